#!/usr/bin/env bash
# `make demo`: the desktop app on the bundled M31 runbook against the local sandbox.
# Runs under .ci/demo-pg.sh (a throwaway Postgres, when Postgres is installed) and starts
# `flightdeck sandbox` in its Postgres mode on it, the demo store's sandbox environment pointed
# there (DATABASE_URL, RESTORE_TARGET_URL, BACKUP_DIR), so M31 §3's backup and restore drill and
# §7's final backup run from the window; without Postgres the sandbox runs on SQLite and those
# three steps say the environment has no database to back up. Also starts a Prometheus
# (Debian's `prometheus`) scraping it every second on 127.0.0.1:9090, where the sandbox
# environment's PROMETHEUS_URL points (FLIGHTDECK_DEMO_PROMETHEUS_PORT for another port; the demo
# store's sandbox environment is then told so), so the golden signals are live from the first
# minute; opens (or creates) the demo run in the store (FLIGHTDECK_STORE, or the CLI's default),
# and opens the app on it.
# Without a display it runs under Xvfb for FLIGHTDECK_DEMO_SECONDS (default 20) and saves a
# screenshot instead. Everything it started is stopped with SIGTERM when the app closes, and the
# sandbox environment's variables it set are put back as they were.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FLIGHTDECK_DEMO_DATABASE_URL:-}" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exec .ci/demo-pg.sh "$0" "$@"
fi
target=${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}
cli="$target/debug/flightdeck"
app="$target/debug/flightdeck-app"
release=${FLIGHTDECK_DEMO_RELEASE:-v1.0.0-demo}
store_args=()
[ -n "${FLIGHTDECK_STORE:-}" ] && store_args=(--store "$FLIGHTDECK_STORE")

sandbox_pid=
prom_pid=
prom_dir=
# Each sandbox variable the demo points at what it started is put back as it was (or removed
# when it was not stored) as the demo ends, so the store is left as found: a later run does not
# back up a throwaway cluster that is gone.
restore=()
demo_var() { # KEY VALUE
  local prev
  prev=$("$cli" "${store_args[@]}" --json env show sandbox 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      let v; try { v = (JSON.parse(s).vars || []).find((v) => v.key === process.argv[1] && v.source === "stored"); } catch {}
      process.stdout.write(v ? "=" + v.value : "");
    });' "$1") || prev=
  restore+=("$1$prev")
  "$cli" "${store_args[@]}" env set-var sandbox "$1" "$2" >/dev/null
}
put_back() {
  local r
  for r in "${restore[@]}"; do
    if [[ $r == *=* ]]; then
      "$cli" "${store_args[@]}" env set-var sandbox "${r%%=*}" "${r#*=}" >/dev/null 2>&1 || true
    else
      "$cli" "${store_args[@]}" env unset-var sandbox "$r" >/dev/null 2>&1 || true
    fi
  done
}
cleanup() {
  put_back
  [ -n "$sandbox_pid" ] && kill -TERM "$sandbox_pid" 2>/dev/null || true
  if [ -n "$prom_pid" ]; then
    kill -TERM "$prom_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$prom_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  [ -n "$prom_dir" ] && rm -rf "$prom_dir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if "$cli" sandbox --help >/dev/null 2>&1; then
  log=$(mktemp /tmp/flightdeck-sandbox.XXXXXX.log)
  db_args=()
  [ -n "${FLIGHTDECK_DEMO_DATABASE_URL:-}" ] && db_args=(--db "$FLIGHTDECK_DEMO_DATABASE_URL")
  "$cli" sandbox "${db_args[@]}" >"$log" 2>&1 &
  sandbox_pid=$!
  echo "sandbox: started (pid $sandbox_pid, log $log, database: ${FLIGHTDECK_DEMO_DATABASE_URL:-SQLite})"
else
  echo "sandbox: this CLI has no \`sandbox\` command yet; the run opens without a target"
fi

# Prometheus scraping the sandbox every second (its data in a temp dir, removed at the end).
prom_port=${FLIGHTDECK_DEMO_PROMETHEUS_PORT:-9090}
if ! command -v prometheus >/dev/null; then
  echo "prometheus: not installed (.ci/deps.sh installs it); the Signals view shows no data"
elif (exec 3<>"/dev/tcp/127.0.0.1/$prom_port") 2>/dev/null; then
  echo "prometheus: 127.0.0.1:$prom_port is already in use; the demo reads whatever answers there" \
    "(FLIGHTDECK_DEMO_PROMETHEUS_PORT picks another port)"
else
  prom_dir=$(mktemp -d /tmp/flightdeck-demo-prometheus.XXXXXX)
  printf '%s\n' 'global:' '  scrape_interval: 1s' '  scrape_timeout: 1s' '  evaluation_interval: 1s' \
    'scrape_configs:' '  - job_name: sandbox' '    static_configs:' \
    "      - targets: ['127.0.0.1:8731']" >"$prom_dir/prometheus.yml"
  prometheus --config.file="$prom_dir/prometheus.yml" --storage.tsdb.path="$prom_dir/data" \
    --web.listen-address="127.0.0.1:$prom_port" >"$prom_dir/prometheus.log" 2>&1 &
  prom_pid=$!
  echo "prometheus: started on http://127.0.0.1:$prom_port scraping the sandbox every second" \
    "(pid $prom_pid, log $prom_dir/prometheus.log)"
  if [ "$prom_port" != 9090 ]; then
    demo_var PROMETHEUS_URL "http://127.0.0.1:$prom_port"
  fi
fi

# The backups of §3 and §7 go to the data folder (beside the store), the drill to the same
# throwaway cluster's scratch database.
if [ -n "${FLIGHTDECK_DEMO_DATABASE_URL:-}" ]; then
  data=$(dirname "${FLIGHTDECK_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/flightdeck/flightdeck.sqlite}")
  demo_var DATABASE_URL "$FLIGHTDECK_DEMO_DATABASE_URL"
  demo_var RESTORE_TARGET_URL "$FLIGHTDECK_DEMO_RESTORE_URL"
  demo_var BACKUP_DIR "$data/backups/sandbox"
  echo "backups: the sandbox environment backs up $FLIGHTDECK_DEMO_DATABASE_URL into $data/backups/sandbox"
else
  echo "postgres: not installed (.ci/deps.sh installs it); the sandbox runs on SQLite and M31's backup steps have no database"
fi

run=$("$cli" "${store_args[@]}" --json run list | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const r = JSON.parse(s).find((r) => r.release === process.argv[1] && r.env === "sandbox");
    process.stdout.write(r ? r.run_id : "");
  });' "$release")
if [ -z "$run" ]; then
  # Created as whoever the CLI takes you for (FLIGHTDECK_USER, else the name the app keeps in
  # its settings, else your login name): the app acts as that same name once it is set there.
  run=$("$cli" "${store_args[@]}" run new bundled:m31 --env sandbox --release "$release")
  me=$("$cli" "${store_args[@]}" --json run show "$run" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(JSON.parse(s).created_by ?? ""));')
  echo "demo run: created $run ($release on sandbox) by $me"
  # Who runs the cutover and who decides are different people (the engine refuses a decision
  # by whoever ran the steps): the header names the release manager, and a decision maker is added.
  "$cli" "${store_args[@]}" run meta "$run" release-manager "$me" --by "$me" >/dev/null
  "$cli" "${store_args[@]}" run people add "$run" "Dana Decider" --role decision-maker --by "$me" >/dev/null
  echo "people: $me (release manager) and Dana Decider (decision maker); the app acts as the name you"
  echo "  give it: give it \"$me\", or add yourself first: flightdeck run people add $run NAME --role ROLE --by \"$me\""
else
  echo "demo run: reopening $run ($release on sandbox)"
fi

if [ -n "${DISPLAY:-}" ]; then
  "$app" "${store_args[@]}" --open "$run"
else
  # 20 s: at 8 s the SLO badges could still read "no data" (Prometheus, started with the demo,
  # had too few scrapes of the sandbox for their windows); at 25 s all four read ok.
  echo "no DISPLAY: showing the app under Xvfb for ${FLIGHTDECK_DEMO_SECONDS:-20} s and saving a screenshot"
  shot="$target/screenshots/demo.png"
  mkdir -p "$(dirname "$shot")"
  .ci/xvfb.sh bash -c '
    "$1" "${@:4}" --open "$2" & pid=$!
    sleep "${FLIGHTDECK_DEMO_SECONDS:-20}"; import -window root "$3"; kill -TERM "$pid"; wait "$pid" || true
  ' demo "$app" "$run" "$shot" "${store_args[@]}"
  echo "screenshot: $shot"
fi
