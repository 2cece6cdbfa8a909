#!/usr/bin/env bash
# Install the system tools the tests need, from Debian packages, if they are missing.
#   verilator  - Verilog lint of every generated module (verilator --lint-only), co-simulation and the
#                Verilator backend (the generated Verilog compiled to C++)
#   g++, make  - what Verilator's C++ build needs (the Debian verilator package does not depend on them)
#   iverilog   - second Verilog front end (Icarus Verilog, -g2001); the board simulation
#   yosys      - synthesis: latch check and resource report (usb3 verilog)
#   tclsh      - Quartus-style Tcl scripts (boards/, constraints/)
# Idempotent: installs only what is missing; does nothing when all are present.
set -euo pipefail

# command -> Debian package
declare -A PKG=(
  [verilator]=verilator
  [iverilog]=iverilog
  [yosys]=yosys
  [tclsh]=tcl
  [g++]=g++
  [make]=make
)

missing=()
for tool in verilator iverilog yosys tclsh g++ make; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    missing+=("${PKG[$tool]}")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-tools: all present (verilator, iverilog, yosys, tclsh, g++, make)"
  exit 0
fi

echo "install-tools: installing Debian packages: ${missing[*]}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-tools: ERROR: need root (or sudo) to apt-get install: ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tools: ERROR: apt-get not found; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
  echo "install-tools: ERROR: apt-get update failed" >&2
  exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  echo "install-tools: ERROR: apt-get install ${missing[*]} failed" >&2
  exit 1
fi

for tool in verilator iverilog yosys tclsh; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-tools: ERROR: '$tool' still missing after installing ${missing[*]}" >&2
    exit 1
  fi
done
echo "install-tools: installed ${missing[*]}"
