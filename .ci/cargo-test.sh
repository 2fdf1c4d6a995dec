#!/usr/bin/env bash
# The workspace's tests, all but the desktop shell's (`make app` builds that; `--workspace`
# alone would ignore default-members and build the webview).
# Plain `cargo test`, as on a fresh CI machine. FLIGHTDECK_NEXTEST=1 uses cargo-nextest instead
# (faster, per-test timings, and a per-test time limit from .config/nextest.toml) plus the doc
# tests nextest skips.
# The tests are built first (a cold build is long and varies), then run under an outer time
# bound (.ci/bounded.sh), so a hanging test fails fast with a message naming the suite: the run
# takes about 5 minutes on 2 cores (305 s measured 2026-12-03 on a busy machine, the archive
# tests 126 s of it), the bound is FLIGHTDECK_CARGO_TEST_LIMIT (default 900 s).
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${FLIGHTDECK_CARGO_TEST_LIMIT:-900}
normal="about 5 minutes"
ws=(--workspace --exclude flightdeck-app --exclude flightdeck-hello)
if [ "${FLIGHTDECK_NEXTEST:-}" = 1 ]; then
  cargo nextest run "${ws[@]}" --no-run
  .ci/bounded.sh "cargo nextest (all but the app)" "$limit" "$normal" cargo nextest run "${ws[@]}" --no-fail-fast
  .ci/bounded.sh "cargo test --doc (all but the app)" "$limit" "$normal" cargo test "${ws[@]}" --doc
else
  cargo test "${ws[@]}" --no-run
  .ci/bounded.sh "cargo test (all but the app)" "$limit" "$normal" cargo test "${ws[@]}" --no-fail-fast
fi
