#!/usr/bin/env bash
# The workspace's tests (default members: the desktop shell is built by `make app`, not here).
# Plain `cargo test`, as on a fresh CI machine. FLIGHTDECK_NEXTEST=1 uses cargo-nextest instead
# (faster, per-test timings) plus the doc tests nextest skips.
set -euo pipefail
if [ "${FLIGHTDECK_NEXTEST:-}" = 1 ]; then
  cargo nextest run --workspace --no-fail-fast
  cargo test --workspace --doc
else
  cargo test --workspace --no-fail-fast
fi
