#!/usr/bin/env bash
# The Controls view with 1,000 flags: render time in the real window (tests/e2e/bench-controls.mjs).
#   tests/e2e/bench-controls.sh     (builds ui, app and CLI in FLIGHTDECK_MEASURE_PROFILE, default
#                                    debug; runs itself under .ci/xvfb.sh when there is no $DISPLAY)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${DISPLAY:-}" ]; then exec "$root/.ci/xvfb.sh" "$0" "$@"; fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}
profile=${FLIGHTDECK_MEASURE_PROFILE:-debug}
flag=(); [ "$profile" = release ] && flag=(--release)
(cd "$root/ui" && "$root/.ci/npm-ci.sh" . >/dev/null && npm run --silent build >/dev/null)
cargo build -q "${flag[@]}" -p flightdeck-app -p flightdeck-cli --manifest-path "$root/Cargo.toml"
"$root/.ci/npm-ci.sh" "$root/tests/e2e" >/dev/null
export NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=${WEBKIT_DISABLE_COMPOSITING_MODE:-0}
export FLIGHTDECK_APP=$CARGO_TARGET_DIR/$profile/flightdeck-app FLIGHTDECK_CLI=$CARGO_TARGET_DIR/$profile/flightdeck
echo "Controls view bench ($profile build of the app; the UI is Vite's production build)"
cd "$root/tests/e2e" && node bench-controls.mjs
