#!/usr/bin/env bash
# Run a test suite with an outer time bound, so a hang fails fast with a message naming the suite
# instead of using up CI's 90 minutes:
#   .ci/bounded.sh NAME SECONDS NORMAL command [args...]
# NAME names the suite in the message, SECONDS is the bound (set it well above the suite's
# normal time), NORMAL says what that normal time is ("about 40 s on 2 cores").
# On expiry the command and everything in its process group get SIGTERM, then SIGKILL 15 s
# later, and this exits 124. SIGINT/SIGTERM/SIGHUP here are passed on the same way (`timeout`
# runs the command in its own process group, which a terminal's Ctrl-C would not reach).
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: .ci/bounded.sh NAME SECONDS NORMAL command [args...]" >&2; exit 2; }
name=$1 limit=$2 normal=$3
shift 3
timeout --kill-after=15 "$limit" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM HUP
# `wait` returns early when a trapped signal arrives: wait again until the command has ended.
while kill -0 "$pid" 2>/dev/null; do wait "$pid" || true; done
status=0
wait "$pid" || status=$?
if [ "$status" -eq 124 ] || { [ "$status" -eq 137 ] && [ "$SECONDS" -ge "$limit" ]; }; then
  echo "error: $name did not finish within ${limit}s (normally $normal) and was stopped: a test or a process it started hung; see the output above" >&2
  exit 124
fi
exit "$status"
