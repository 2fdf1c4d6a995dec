#!/usr/bin/env bash
# Issue 13's benchmark, side by side in one run on a generated database of at least 1 GB:
#   (a) `flightdeck backup run` throughput / raw `pg_dump --format=custom` (goal >= 0.95);
#   (b) the drill's restore (create + data + post-data) / raw `createdb` + `pg_restore --jobs 2
#       --clean --if-exists --no-owner` (goal <= 1.05).
# Each side runs ROUNDS times, alternating; medians are compared. MB/s printed for both.
#   FLIGHTDECK_TEST_PG_PORT=25447 .ci/services.sh crates/engine/benches/backup.sh [debug|release]
set -euo pipefail

profile=${1:-debug}
rounds=${ROUNDS:-3}
rows=${BENCH_ROWS:-7000000}
fd="${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}/$profile/flightdeck"
[ -x "$fd" ] || { echo "build it first: cargo build -p flightdeck-cli $([ "$profile" = release ] && echo --release)" >&2; exit 1; }
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
url=${FLIGHTDECK_TEST_PG_URL:?run under .ci/services.sh}
base=${url%/*}
work=$(mktemp -d /tmp/fd-backup-bench.XXXXXX)
db=fd_bench_$$
cleanup() {
  "$bin/psql" "$url" -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  "$bin/psql" "$url" -X -q -c "DROP DATABASE IF EXISTS ${db}_raw WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "generating $rows rows..."
"$bin/psql" "$url" -X -q -c "CREATE DATABASE $db"
"$bin/psql" "$base/$db" -X -q -c "
  CREATE TABLE customers (id int PRIMARY KEY, name text);
  INSERT INTO customers SELECT g, 'Zoë ' || g FROM generate_series(1, 100000) g;
  CREATE TABLE events (id bigint PRIMARY KEY, customer_id int REFERENCES customers(id),
    payload text, at timestamptz DEFAULT now());
  INSERT INTO events SELECT g, 1 + g % 100000, md5(g::text) || md5((g * 3)::text) || md5((g * 7)::text)
    FROM generate_series(1, $rows) g;
  CREATE INDEX events_by_customer ON events (customer_id);
  SELECT lo_from_bytea(0, 'größe');"
size=$("$bin/psql" "$base/$db" -X -tA -c "SELECT pg_database_size(current_database())")
echo "database: $((size / 1000000)) MB"
[ "$size" -ge 1000000000 ] || echo "warning: under 1 GB; raise BENCH_ROWS"

export FLIGHTDECK_STORE=$work/store.sqlite
"$fd" env new bench >/dev/null
"$fd" env set-var bench DATABASE_URL "$base/$db" >/dev/null
"$fd" env set-var bench RESTORE_TARGET_URL "$url" >/dev/null

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
raw_dump=() fd_dump=() raw_restore=() fd_restore=()
for i in $(seq "$rounds"); do
  t=$(now); "$bin/pg_dump" "$base/$db" --format=custom -f "$work/raw.dump"
  raw_dump+=("$(echo "$(now) - $t" | bc)")
  raw_size=$(stat -c %s "$work/raw.dump")

  rm -rf "$work/fd"; t=$(now)
  "$fd" --json backup run bench -o "$work/fd" >"$work/fd.json" 2>/dev/null
  fd_dump+=("$(echo "$(now) - $t" | bc)")
  fd_size=$(jq -r '.[0].result.captures[] | select(.field == "Size") | .value' "$work/fd.json")

  t=$(now)
  "$bin/psql" "$url" -X -q -c "CREATE DATABASE ${db}_raw"
  "$bin/pg_restore" -d "$base/${db}_raw" --jobs 2 --clean --if-exists --no-owner "$work/raw.dump" 2>/dev/null || true
  raw_restore+=("$(echo "$(now) - $t" | bc)")
  "$bin/psql" "$url" -X -q -c "DROP DATABASE ${db}_raw WITH (FORCE)"

  "$fd" --json backup drill "$work/fd" --target-env bench --jobs 2 >"$work/drill.json" 2>/dev/null || true
  ms=$(jq -r '.[0].result.body.text | fromjson | .restore_ms' "$work/drill.json")
  fd_restore+=("$(echo "scale=3; $ms / 1000" | bc)")
  rto=$(jq -r '.[0].result.body.text | fromjson | "\(.rto_ms) ms, passed \(.passed)"' "$work/drill.json")
  echo "round $i: pg_dump ${raw_dump[-1]} s, flightdeck backup ${fd_dump[-1]} s; pg_restore ${raw_restore[-1]} s, drill restore ${fd_restore[-1]} s (RTO $rto)"
done

rd=$(printf '%s\n' "${raw_dump[@]}" | median); fdd=$(printf '%s\n' "${fd_dump[@]}" | median)
rr=$(printf '%s\n' "${raw_restore[@]}" | median); fr=$(printf '%s\n' "${fd_restore[@]}" | median)
echo "dump size: raw $raw_size bytes, flightdeck ${fd_size} GB"
echo "(a) backup: pg_dump $(echo "scale=1; $raw_size / 1000000 / $rd" | bc) MB/s ($rd s), flightdeck $(echo "scale=1; $raw_size / 1000000 / $fdd" | bc) MB/s ($fdd s): throughput ratio $(echo "scale=3; $rd / $fdd" | bc) (goal >= 0.95)"
echo "(b) restore: pg_restore $(echo "scale=1; $raw_size / 1000000 / $rr" | bc) MB/s ($rr s), drill $(echo "scale=1; $raw_size / 1000000 / $fr" | bc) MB/s ($fr s): time ratio $(echo "scale=3; $fr / $rr" | bc) (goal <= 1.05)"
