#!/usr/bin/env bash
# The workspace's tests (default members: the desktop shell is built by `make app`, not here).
# Uses cargo-nextest when it is installed (faster, per-test timings), plus the doc tests it skips.
set -euo pipefail
if cargo nextest --version >/dev/null 2>&1 && [ "${FLIGHTDECK_NO_NEXTEST:-}" != 1 ]; then
  cargo nextest run --workspace --no-fail-fast
  cargo test --workspace --doc
else
  cargo test --workspace --no-fail-fast
fi
