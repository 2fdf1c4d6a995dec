#!/usr/bin/env bash
# The Controls view with 1,000 flags: render time in the real window (tests/e2e/bench-controls.mjs).
#   tests/e2e/bench-controls.sh     (builds ui, app and CLI in FLIGHTDECK_MEASURE_PROFILE, default
#                                    debug; runs itself under .ci/xvfb.sh when there is no $DISPLAY)
# FLIGHTDECK_APP / FLIGHTDECK_CLI point at other binaries (a release app built elsewhere);
# FLIGHTDECK_BENCH_NO_BUILD=1 builds nothing (the binaries and ui/dist as they are).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${DISPLAY:-}" ]; then exec "$root/.ci/xvfb.sh" "$0" "$@"; fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}
profile=${FLIGHTDECK_MEASURE_PROFILE:-debug}
flag=(); [ "$profile" = release ] && flag=(--release)
if [ -z "${FLIGHTDECK_BENCH_NO_BUILD:-}" ]; then
  (cd "$root/ui" && "$root/.ci/npm-ci.sh" . >/dev/null && npm run --silent build >/dev/null)
  cargo build -q "${flag[@]}" -p flightdeck-app -p flightdeck-cli --manifest-path "$root/Cargo.toml"
fi
"$root/.ci/npm-ci.sh" "$root/tests/e2e" >/dev/null
"$root/.ci/tauri-driver.sh" >/dev/null
export NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=${WEBKIT_DISABLE_COMPOSITING_MODE:-0}
export FLIGHTDECK_APP=${FLIGHTDECK_APP:-$CARGO_TARGET_DIR/$profile/flightdeck-app}
export FLIGHTDECK_CLI=${FLIGHTDECK_CLI:-$CARGO_TARGET_DIR/$profile/flightdeck}
echo "Controls view bench (app $FLIGHTDECK_APP; the UI is Vite's production build; load: $(cut -d' ' -f1-3 /proc/loadavg))"
cd "$root/tests/e2e" && node bench-controls.mjs
