#!/usr/bin/env bash
# The real-window suite (tests/e2e): tauri-driver + WebKitWebDriver drive the built app on
# $DISPLAY (run it under .ci/xvfb.sh). Expects `make app` to have built the app and the CLI.
# Screenshots land in $CARGO_TARGET_DIR/e2e-screenshots/ (outside the clone).
set -euo pipefail
: "${DISPLAY:?run under .ci/xvfb.sh}"
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}
command -v WebKitWebDriver >/dev/null || { echo "error: WebKitWebDriver missing (apt install webkit2gtk-driver)" >&2; exit 1; }
for bin in flightdeck-app flightdeck; do
  [ -x "$CARGO_TARGET_DIR/debug/$bin" ] || { echo "error: $CARGO_TARGET_DIR/debug/$bin not built (make app)" >&2; exit 1; }
done
.ci/npm-ci.sh tests/e2e
# A session without a Secret Service or accessibility bus must not stall WebKit.
export NO_AT_BRIDGE=1
# With accelerated compositing off (the app's Linux default, to save memory) WebKitWebDriver's
# screenshots stall: the CI run of 2026-12-01 hung on the second one. The suite turns it on.
export WEBKIT_DISABLE_COMPOSITING_MODE=${WEBKIT_DISABLE_COMPOSITING_MODE:-0}

# Every process of this run carries FLIGHTDECK_E2E_SUITE=<fresh value> (the harness tags what it
# starts, and the value is inherited from here): what is left afterwards is found by it, even
# re-parented to init, and another suite running on the same machine is never counted.
suite=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
ours() {
  local d
  for d in /proc/[0-9]*; do
    if tr '\0' '\n' 2>/dev/null <"$d/environ" | grep -qxF "FLIGHTDECK_E2E_SUITE=$suite"; then echo "${d#/proc/}"; fi
  done
}
# On CI nothing else runs, so any app, WebKitWebDriver or tauri-driver process at all (matched by
# process name, not command line: `cargo test -p flightdeck-app` is no app) is a leftover too,
# marker or not (zombies aside: they hold nothing and wait for init to reap them). These are
# reported, never killed: only processes carrying this run's marker are.
strays() {
  [ "${CI:-}" = true ] || return 0
  local name p
  for name in flightdeck-app WebKitWebDriver tauri-driver WebKitWebProces WebKitNetworkPr; do
    for p in $(pgrep -x "$name" || true); do
      if [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" != Z ]; then echo "$p"; fi
    done
  done
}

# teardown.test.mjs first: it checks from outside that a test ending with the app open (passing,
# failing, timed out, the app, WebKitWebDriver or the test process killed, the driver stopped)
# leaves the runner free to exit within 10 s with nothing left running; if that is broken, the
# suite below could hang. Then the suite. Each test has a time limit (--test-timeout; the slowest
# suite test takes about 30 s, the teardown tests set their own), and each run is bounded
# (.ci/bounded.sh), well above its normal time on 2 cores (measured 2026-12-03 on a loaded
# machine: teardown 90-105 s, the suite 100-125 s).
run_node() { # NAME LIMIT NORMAL FILE [TEST_TIMEOUT_MS: each test's and the file's own, default 120000]
  (cd tests/e2e && FLIGHTDECK_E2E_SUITE=$suite ../../.ci/bounded.sh "$1" "$2" "$3" \
    node --test --test-concurrency=1 --test-timeout="${5:-120000}" --test-force-exit --test-reporter=spec "$4")
}
status=0
run_node "the window suite's teardown check (tests/e2e/teardown.test.mjs)" 420 "about 100 s" teardown.test.mjs || status=$?
run_node "the window suite (tests/e2e/app.test.mjs)" 720 "about 2 minutes" app.test.mjs || status=$?
# The Signals view against a real Prometheus scraping a sandbox (both started by the test):
# waiting for the first scrapes and for the error SLO's fast burn pair to trip takes most of it.
run_node "the Signals view (tests/e2e/signals.test.mjs)" 480 "about 2 minutes" signals.test.mjs || status=$?
run_node "the Controls view in the window (tests/e2e/controls.test.mjs)" 300 "about 30 s" controls.test.mjs || status=$?
# Backups against .ci/services.sh's two Postgres clusters: generating the source database (a few
# hundred MB) and the backup, the drill and the cancelled dump of it.
run_node "backups and the restore drill in the window (tests/e2e/backup.test.mjs)" 300 "about 90 s" backup.test.mjs 240000 || status=$?
# The D0–D7 watch on a clock 30 times faster: a dozen one-minute slots take about 25 s.
run_node "the D0–D7 watch in the window (tests/e2e/watch.test.mjs)" 300 "about 1 minute" watch.test.mjs || status=$?
# Two apps (two people, two drivers) on one run in a shared Postgres store (.ci/services.sh's).
run_node "two people on one shared run (tests/e2e/shared.test.mjs)" 240 "about 40 s" shared.test.mjs 180000 || status=$?
echo "screenshots: $CARGO_TARGET_DIR/e2e-screenshots/; tauri-driver and WebKitWebDriver logs: $CARGO_TARGET_DIR/e2e-logs/"

# Nothing may be left running: a leftover holding an output pipe is what hung CI (issue 9).
# (The harness's watchdog may still be at work for a moment after a test process ended.)
left=$(ours | sort -un)
for _ in $(seq 50); do [ -z "$left" ] && break; sleep 0.1; left=$(ours | sort -un); done
all=$( (echo "$left"; strays) | grep . | sort -un || true)
if [ -n "$all" ]; then
  echo "error: the window suite left processes running:" >&2
  ps -o pid=,ppid=,etime=,args= -p "$(echo "$all" | paste -sd,)" >&2 || true
  if [ -n "$left" ]; then
    # Stop this run's own (these pids only), so this run at least does not hang on them.
    kill -TERM $left 2>/dev/null || true
    sleep 3
    kill -KILL $left 2>/dev/null || true
  fi
  exit 1
fi
exit "$status"
