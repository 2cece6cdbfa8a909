#!/usr/bin/env bash
# Re-measures the README's "Performance" figures on this machine, in one command:
#   criterion benches (bulk IN engine + host native / VCD / Verilator, link layer, CRC blocks and host side),
#   the simulators side by side (rust-hdl, Verilator, cocotb + Icarus: `pip install cocotb` first, else that row
#   says it is skipped), the closed loop on the Verilator backend (16 MiB from power-on; 16 MiB from U0 with 1 MiB
#   TDs on each Verilator installed, the system's and the project's, when both are), the cost of waveforms on the
#   Verilator backend (4 MiB from U0: none, VCD, FST), and the full throughput sweep (out/sweep/sweep.{csv,svg,png}).
# With --gigabyte it also runs the 1 GiB bulk IN transfer against intel-b150 (1 MiB TDs) on the Verilator backend
# (about ten more minutes here; max RSS from /usr/bin/time when present); with --regress every regression scenario
# on the Verilator backend at --jobs 1 and at --jobs 2.
# Installs the system tools it needs like the test command does. Prints which Verilator each run used.
set -euo pipefail
gigabyte=0
regress=0
for arg in "$@"; do
    case "$arg" in
        --gigabyte) gigabyte=1 ;;
        --regress) regress=1 ;;
        *) echo "perf.sh: unknown argument '$arg' (known: --gigabyte, --regress)" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
./scripts/install-tools.sh
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(rustc --version)"
cargo bench -p usb3-tb --bench bulk_in_throughput
cargo bench -p usb3-tb --bench link_throughput
cargo bench -p usb3-tb --bench blocks
cargo bench -p usb3-tb --bench simulators
cargo build --release
usb3=./target/release/usb3
mkdir -p out
timer=()
if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -f "max RSS %M KB, %e s wall"); fi
"$usb3" sim --backend verilator --no-vcd --bytes 16777216
# The Verilator installations side by side (the same run; the project runs the newer one).
from_u0=(sim --from-u0 --backend verilator --no-vcd --td-bytes 1048576 --bytes 16777216 --log out/perf-u0.log)
system_verilator="$(command -v verilator || true)"
project_verilator="$(ls .tools/venv/lib/python3*/site-packages/verilator/bin/verilator 2>/dev/null | tail -1 || true)"
for v in "$system_verilator" "$project_verilator"; do
    [ -n "$v" ] || continue
    echo "perf.sh: 16 MiB from U0 with $v"
    USB3_VERILATOR="$v" "$usb3" "${from_u0[@]}" | grep -E "simulated|model|throughput"
done
# What a waveform costs on the Verilator backend (4 MiB from U0): none, VCD, FST; and the files' sizes.
waves=(sim --from-u0 --backend verilator --td-bytes 1048576 --bytes 4194304 --log out/perf-waves.log)
for w in "--no-vcd" "--vcd out/perf-waves.vcd" "--fst out/perf-waves.fst"; do
    echo "perf.sh: waveform: $w"
    # shellcheck disable=SC2086
    "$usb3" "${waves[@]}" $w | grep -E "simulated"
done
ls -l out/perf-waves.vcd out/perf-waves.fst
rm -f out/perf-waves.vcd out/perf-waves.fst
"$usb3" sweep --out out/sweep
if [ "$regress" = 1 ]; then
    for j in 1 2; do
        echo "perf.sh: every regression scenario on the Verilator backend, --jobs $j"
        "${timer[@]}" "$usb3" regress --backend verilator --jobs "$j" --junit "out/perf-regress-j$j.xml" | tail -3
    done
fi
if [ "$gigabyte" = 1 ]; then
    "${timer[@]}" "$usb3" sim --from-u0 --backend verilator --no-vcd --host intel-b150 --td-bytes 1048576 \
        --bytes 1073741824 --log out/gigabyte.log
fi
