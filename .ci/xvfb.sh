#!/usr/bin/env bash
# Run a command with a private X server (Xvfb) as $DISPLAY, for the real app window: the
# WebDriver end-to-end tests (tauri-driver + WebKitWebDriver) and screenshots. Xvfb is stopped
# when the command ends, however it ends (SIGTERM, then SIGKILL after 5 s), and never holds this
# script's output: a leftover X server would keep a caller reading that output waiting.
#   .ci/xvfb.sh command [args...]
set -euo pipefail
size=${FLIGHTDECK_XVFB_SIZE:-1280x800x24}
# -displayfd lets Xvfb pick a free display number and tell us which one it took.
fifo=$(mktemp -u /tmp/flightdeck-xvfb.XXXXXX)
mkfifo "$fifo"
Xvfb -displayfd 3 -screen 0 "$size" -nolisten tcp 3>"$fifo" >/dev/null 2>&1 &
xvfb_pid=$!
stop_xvfb() {
  kill -TERM "$xvfb_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$xvfb_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$xvfb_pid" 2>/dev/null || true
  rm -f "$fifo"
}
trap stop_xvfb EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
read -r -t 20 display <"$fifo" || { echo "error: Xvfb did not start" >&2; exit 1; }
export DISPLAY=":$display"
echo "xvfb: DISPLAY=$DISPLAY ($size, pid $xvfb_pid)"
status=0
"$@" || status=$?
exit "$status"
