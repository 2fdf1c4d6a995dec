#!/usr/bin/env bash
# A throwaway Postgres for the sandbox's Postgres mode, then a command next to it:
#   .ci/demo-pg.sh command [args...]
# initdb in a temp dir (trust authentication, 127.0.0.1 only) on $FLIGHTDECK_DEMO_PG_PORT
# (default 54329), a database `m31_sandbox` made in it; the command gets
#   FLIGHTDECK_DEMO_DATABASE_URL  the sandbox's database (`flightdeck sandbox --db ...`; M31's
#                                 DATABASE_URL: §3 and §7 back it up)
#   FLIGHTDECK_DEMO_RESTORE_URL   the same cluster's maintenance database (M31's
#                                 RESTORE_TARGET_URL: §3's drill restores into a scratch database
#                                 there, never into m31_sandbox)
# The cluster is stopped and its files removed when the command ends, however it ends.
# `make demo` runs under it (.ci/demo.sh); so can the README's walk-through.
set -euo pipefail
port=${FLIGHTDECK_DEMO_PG_PORT:-54329}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$pgbin/initdb" ] || { echo "error: Postgres not found under /usr/lib/postgresql (run .ci/deps.sh)" >&2; exit 1; }
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "error: 127.0.0.1:$port is already in use; set FLIGHTDECK_DEMO_PG_PORT to a free port" >&2
  exit 1
fi
work=$(mktemp -d /tmp/flightdeck-demo-pg.XXXXXX)
# Postgres refuses to run as root: as root, run it as the `postgres` user.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  as_pg=(runuser -u postgres --)
  chown postgres: "$work"
fi
pg_pid=
cmd_pid=
cleanup() {
  status=$?
  # The command first (a signal to this script reaches it here), then the cluster.
  if [ -n "$cmd_pid" ] && kill -0 "$cmd_pid" 2>/dev/null; then
    kill -TERM "$cmd_pid" 2>/dev/null || true
    wait "$cmd_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_pid" ] && kill -0 "$pg_pid" 2>/dev/null; then
    kill -TERM "$pg_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -A trust -U postgres >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1" -w start >/dev/null \
  || { cat "$work/pg.log" >&2; exit 1; }
pg_pid=$(head -n1 "$work/pg/postmaster.pid")
"$pgbin/psql" "postgres://postgres@127.0.0.1:$port/postgres" -X -q -c "CREATE DATABASE m31_sandbox"
export FLIGHTDECK_DEMO_DATABASE_URL="postgres://postgres@127.0.0.1:$port/m31_sandbox"
export FLIGHTDECK_DEMO_RESTORE_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "postgres (the sandbox's database, throwaway): $FLIGHTDECK_DEMO_DATABASE_URL (pid $pg_pid)"
# In the background (its stdin kept), so a signal to this script runs the clean-up at once
# rather than after the command ends.
status=0
"$@" <&0 &
cmd_pid=$!
wait "$cmd_pid" || status=$?
cmd_pid=
exit "$status"
