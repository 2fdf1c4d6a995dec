#!/usr/bin/env bash
# Start the built desktop app on $DISPLAY (run it under .ci/xvfb.sh), wait for its window,
# screenshot the screen, then stop the app with SIGTERM. Proves the shell really opens a window.
set -euo pipefail
: "${DISPLAY:?run under .ci/xvfb.sh}"
app="${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}/debug/flightdeck-app"
out_dir="${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}/screenshots"
out="$out_dir/app-smoke.png"
mkdir -p "$out_dir"
log=$(mktemp /tmp/flightdeck-app-smoke.XXXXXX.log)

"$app" >"$log" 2>&1 &
app_pid=$!
trap 'kill -TERM "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 300); do
  kill -0 "$app_pid" 2>/dev/null || { echo "error: the app exited early:" >&2; cat "$log" >&2; exit 1; }
  xwininfo -root -tree 2>/dev/null | grep -q '"Flightdeck"' && break
  sleep 0.1
done
xwininfo -root -tree | grep -q '"Flightdeck"' || { echo "error: no Flightdeck window after 30 s" >&2; cat "$log" >&2; exit 1; }
# Give WebKit time to load and paint the page before the screenshot.
sleep "${FLIGHTDECK_SMOKE_SETTLE:-3}"
import -window root "$out"
echo "app window up; screenshot: $out"
if [ -s "$log" ]; then echo "app output:"; sed 's/^/  /' "$log"; fi
