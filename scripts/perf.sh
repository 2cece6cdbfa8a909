#!/usr/bin/env bash
# Re-measures the README's "Performance" figures on this machine, in one command:
#   criterion benches (bulk IN engine + host native / VCD / Verilator, link layer, CRC blocks and host side),
#   the simulators side by side (rust-hdl, Verilator, cocotb + Icarus: `pip install cocotb` first, else that row
#   says it is skipped), the closed loop on the Verilator backend (16 MiB), and the full throughput sweep
#   (out/sweep/sweep.{csv,svg,png}). Measured: 8 min 58 s on 2 cores, building the 16 engine configurations.
# With --gigabyte it also runs the 1 GiB bulk IN transfer against intel-b150 on the Verilator backend (about six
# more minutes; max RSS from /usr/bin/time when present).
# Installs the system tools it needs like the test command does.
set -euo pipefail
gigabyte=0
for arg in "$@"; do
    case "$arg" in
        --gigabyte) gigabyte=1 ;;
        *) echo "perf.sh: unknown argument '$arg' (known: --gigabyte)" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
./scripts/install-tools.sh
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(rustc --version)"
cargo bench -p usb3-tb --bench bulk_in_throughput
cargo bench -p usb3-tb --bench link_throughput
cargo bench -p usb3-tb --bench blocks
cargo bench -p usb3-tb --bench simulators
cargo run --release -- sim --backend verilator --no-vcd --bytes 16777216
cargo run --release -- sweep --out out/sweep
if [ "$gigabyte" = 1 ]; then
    timer=()
    if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -f "max RSS %M KB, %e s wall"); fi
    "${timer[@]}" ./target/release/usb3 sim --backend verilator --no-vcd --host intel-b150 --td-bytes 1048576 \
        --bytes 1073741824 --log out/gigabyte.log
fi
