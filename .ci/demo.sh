#!/usr/bin/env bash
# `make demo`: the desktop app on the bundled M31 runbook against the local sandbox.
# Starts `flightdeck sandbox` in the background (when this CLI has it), opens (or creates) the
# demo run in the store (FLIGHTDECK_STORE, or the CLI's default), and opens the app on it.
# Without a display it runs under Xvfb for FLIGHTDECK_DEMO_SECONDS (default 8) and saves a
# screenshot instead. Everything it started is stopped with SIGTERM when the app closes.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}
cli="$target/debug/flightdeck"
app="$target/debug/flightdeck-app"
release=${FLIGHTDECK_DEMO_RELEASE:-v1.0.0-demo}
store_args=()
[ -n "${FLIGHTDECK_STORE:-}" ] && store_args=(--store "$FLIGHTDECK_STORE")

sandbox_pid=
cleanup() { [ -n "$sandbox_pid" ] && kill -TERM "$sandbox_pid" 2>/dev/null || true; }
trap cleanup EXIT
if "$cli" sandbox --help >/dev/null 2>&1; then
  log=$(mktemp /tmp/flightdeck-sandbox.XXXXXX.log)
  "$cli" sandbox >"$log" 2>&1 &
  sandbox_pid=$!
  echo "sandbox: started (pid $sandbox_pid, log $log)"
else
  echo "sandbox: this CLI has no \`sandbox\` command yet; the run opens without a target"
fi

run=$("$cli" "${store_args[@]}" --json run list | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const r = JSON.parse(s).find((r) => r.release === process.argv[1] && r.env === "sandbox");
    process.stdout.write(r ? r.id : "");
  });' "$release")
if [ -z "$run" ]; then
  run=$("$cli" "${store_args[@]}" run new bundled:m31 --env sandbox --release "$release" --by "$(id -un)")
  echo "demo run: created $run ($release on sandbox)"
else
  echo "demo run: reopening $run ($release on sandbox)"
fi

if [ -n "${DISPLAY:-}" ]; then
  "$app" "${store_args[@]}" --open "$run"
else
  echo "no DISPLAY: showing the app under Xvfb for ${FLIGHTDECK_DEMO_SECONDS:-8} s and saving a screenshot"
  shot="$target/screenshots/demo.png"
  mkdir -p "$(dirname "$shot")"
  .ci/xvfb.sh bash -c '
    "$1" "${@:4}" --open "$2" & pid=$!
    sleep "${FLIGHTDECK_DEMO_SECONDS:-8}"; import -window root "$3"; kill -TERM "$pid"; wait "$pid" || true
  ' demo "$app" "$run" "$shot" "${store_args[@]}"
  echo "screenshot: $shot"
fi
