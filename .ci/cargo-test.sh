#!/usr/bin/env bash
# The workspace's tests, all but the desktop shell's (`make app` builds that; `--workspace`
# alone would ignore default-members and build the webview).
# Plain `cargo test`, as on a fresh CI machine. FLIGHTDECK_NEXTEST=1 uses cargo-nextest instead
# (faster, per-test timings) plus the doc tests nextest skips.
set -euo pipefail
if [ "${FLIGHTDECK_NEXTEST:-}" = 1 ]; then
  cargo nextest run --workspace --exclude flightdeck-app --no-fail-fast
  cargo test --workspace --exclude flightdeck-app --doc
else
  cargo test --workspace --exclude flightdeck-app --no-fail-fast
fi
