#!/usr/bin/env bash
# Re-measures the README's "Performance" figures on this machine, in one command:
#   criterion benches (bulk IN engine + host native / VCD / Verilator, link layer, CRC blocks and host side),
#   the simulators side by side (rust-hdl, Verilator, cocotb + Icarus: `pip install cocotb` first, else that row
#   says it is skipped), the closed loop on the Verilator backend (16 MiB), and the full throughput sweep
#   (out/sweep/sweep.{csv,svg,png}). Measured: 8 min 58 s on 2 cores, building the 16 engine configurations.
# Installs the system tools it needs like the test command does.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-tools.sh
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(rustc --version)"
cargo bench -p usb3-tb --bench bulk_in_throughput
cargo bench -p usb3-tb --bench link_throughput
cargo bench -p usb3-tb --bench blocks
cargo bench -p usb3-tb --bench simulators
cargo run --release -- sim --backend verilator --no-vcd --bytes 16777216
cargo run --release -- sweep --out out/sweep
