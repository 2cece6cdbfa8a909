#!/usr/bin/env bash
# The project's test command: installs the system tools the tests need (Verilator, Icarus Verilog, Yosys, Tcl),
# then runs every test of the workspace in release mode (debug builds of rust-hdl are ~29x slower).
# Exits non-zero if anything fails. Extra arguments go to `cargo test` (e.g. `./scripts/test.sh -p usb3-hdl`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-tools.sh

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "test.sh: ERROR: cargo not found; install Rust (rustup or Debian's cargo) first" >&2
  exit 1
fi

log="$(mktemp -t usb3-test.XXXXXX)"
trap 'rm -f "$log"' EXIT

args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--workspace)

set +e
cargo test --release --no-fail-fast "${args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Add up cargo's per-binary "test result:" lines into one closing line.
read -r passed failed ignored binaries < <(awk '
  /^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i) ~ /^passed;?$/)  p += $(i-1)
      if ($(i) ~ /^failed;?$/)  f += $(i-1)
      if ($(i) ~ /^ignored;?$/) g += $(i-1)
    }
    n++
  }
  END { printf "%d %d %d %d\n", p, f, g, n }' "$log")

echo
echo "test.sh: ${binaries} test binaries, cargo exit status ${status}"
echo "tests: ${passed} passed, ${failed} failed, ${ignored} skipped"
if [ "$status" -ne 0 ]; then
  echo "test.sh: FAILED" >&2
  exit "$status"
fi
if [ "$passed" -eq 0 ]; then
  echo "test.sh: FAILED: no test ran" >&2
  exit 1
fi
