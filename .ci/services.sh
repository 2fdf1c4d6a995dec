#!/usr/bin/env bash
# Run a command next to the real services the tests use, then stop them:
#   - a throwaway Postgres on 127.0.0.1:$FLIGHTDECK_TEST_PG_PORT (default 25432) in a temp dir,
#     exported as FLIGHTDECK_TEST_PG_URL;
#   - a second Postgres, the "source" of the backup tests, on $FLIGHTDECK_TEST_PG_SOURCE_PORT
#     (default: the first's port + 1) with password (scram-sha-256) authentication and a random
#     password made here, exported as FLIGHTDECK_TEST_PG_SOURCE_URL (no password in it) and
#     FLIGHTDECK_TEST_PG_SOURCE_PASSWORD; the first one is the drills' target;
#   - a private D-Bus session with an unlocked gnome-keyring (Secret Service), so keyring tests
#     never touch the user's own keyring;
#   - Prometheus (Debian's `prometheus`, exported as FLIGHTDECK_TEST_PROMETHEUS): every test that
#     needs one starts its own from there, scraping the sandbox that test started, through
#     flightdeck_testsupport::prometheus (1 s scrapes, a temp dir, killed on drop). One shared
#     Prometheus would mix the sandboxes of tests running side by side in one set of series.
# Everything started here is stopped with SIGTERM when the command ends, however it ends.
#   .ci/services.sh command [args...]
set -euo pipefail

# Already inside a services session (make test → make app): use it as it is.
if [ -n "${FLIGHTDECK_SERVICES_DIR:-}" ] && [ -d "$FLIGHTDECK_SERVICES_DIR" ] && [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  exec "$@"
fi

# Below Linux's ephemeral range (32768-60999), so no outgoing connection of a test can hold it.
port=${FLIGHTDECK_TEST_PG_PORT:-25432}
work=$(mktemp -d /tmp/flightdeck-services.XXXXXX)
pgdata=$work/pg
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$pgbin/initdb" ] || { echo "error: Postgres not found under /usr/lib/postgresql (run .ci/deps.sh)" >&2; exit 1; }

# Postgres refuses to run as root: as root, run it as the `postgres` user.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  as_pg=(runuser -u postgres --)
  chown postgres: "$work"
fi

pg_pid=
src_pid=
stop_pg() {
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  fi
}
cleanup() {
  status=$?
  stop_pg "$pg_pid"
  stop_pg "$src_pid"
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

src_port=${FLIGHTDECK_TEST_PG_SOURCE_PORT:-$((port + 1))}
for p in "$port" "$src_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "error: 127.0.0.1:$p is already in use; set FLIGHTDECK_TEST_PG_PORT (and FLIGHTDECK_TEST_PG_SOURCE_PORT) to free ports" >&2
    exit 1
  fi
done

"${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$work/pg.log" \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null \
  || { cat "$work/pg.log" >&2; exit 1; }
pg_pid=$(head -n1 "$pgdata/postmaster.pid")
export FLIGHTDECK_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "postgres: $FLIGHTDECK_TEST_PG_URL (pid $pg_pid)"

# The backup tests' source: password authentication, so a wrong password is a real failure.
src_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
(umask 077; printf '%s\n' "$src_password" >"$work/src-pw")
[ -z "${as_pg[*]}" ] || chown postgres: "$work/src-pw"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg-source" -A scram-sha-256 -U postgres --pwfile="$work/src-pw" \
  >"$work/initdb-source.log" 2>&1 || { cat "$work/initdb-source.log" >&2; exit 1; }
rm -f "$work/src-pw"
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg-source" -l "$work/pg-source.log" \
  -o "-p $src_port -k $work -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null \
  || { cat "$work/pg-source.log" >&2; exit 1; }
src_pid=$(head -n1 "$work/pg-source/postmaster.pid")
export FLIGHTDECK_TEST_PG_SOURCE_URL="postgres://postgres@127.0.0.1:$src_port/postgres"
export FLIGHTDECK_TEST_PG_SOURCE_PASSWORD=$src_password
echo "postgres (backup source, password auth): $FLIGHTDECK_TEST_PG_SOURCE_URL (pid $src_pid)"

# Prometheus for the tests that start one. Missing: under CI that is a broken setup (.ci/deps.sh
# installs it); elsewhere those tests skip.
if prom=$(command -v prometheus); then
  export FLIGHTDECK_TEST_PROMETHEUS=$prom
  echo "prometheus: $prom ($("$prom" --version 2>&1 | head -n1)), one per test that needs it"
elif [ -n "${CI:-}" ]; then
  echo "error: prometheus not found (run .ci/deps.sh)" >&2
  exit 1
else
  echo "prometheus: not installed; the tests that need it are skipped (.ci/deps.sh installs it)"
fi

# The keyring daemon keeps its files in the temp dir, and stops with the private bus.
mkdir -m 700 "$work/keyring"
export FLIGHTDECK_SERVICES_DIR=$work
status=0
dbus-run-session -- bash -c '
  set -euo pipefail
  echo -n flightdeck-test | XDG_DATA_HOME="$FLIGHTDECK_SERVICES_DIR/keyring" \
    XDG_RUNTIME_DIR="$FLIGHTDECK_SERVICES_DIR/keyring" \
    gnome-keyring-daemon --foreground --components=secrets --unlock >/dev/null 2>&1 &
  keyring_pid=$!
  trap "kill -TERM $keyring_pid 2>/dev/null || true" EXIT
  for _ in $(seq 100); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
      | grep -q "boolean true" && break
    sleep 0.1
  done
  echo "secret service: gnome-keyring (pid $keyring_pid) on $DBUS_SESSION_BUS_ADDRESS"
  "$@"
' services "$@" || status=$?
exit "$status"
