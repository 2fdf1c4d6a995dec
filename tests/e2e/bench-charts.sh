#!/usr/bin/env bash
# The Signals view's benchmarks, in the real window (release build by default):
#   (a) 4 panels x 3 series x 2,880 samples refreshed every second: the median time from the
#       samples' arrival in the app to the painted frame, plotters' SVG and the canvas chart (uPlot)
#       side by side in one run (tests/e2e/bench-charts.mjs, over WebDriver). Goal <= 16 ms.
#   (c) idle PSS of the app's whole process tree (the app, WebKit's web and network processes)
#       with the M31 run open and its Signals view showing (the same 2,880-sample panels,
#       refreshing every 2 s), minus the same run open without it (the same flags but
#       `--view signals`). Goal <= 30 MiB.
#
#   tests/e2e/bench-charts.sh      (runs itself under .ci/xvfb.sh when there is no $DISPLAY)
#
# The samples are made up in the app (`--synthetic-signals N`), so what is timed is the view's
# own work (decimating, drawing, sending, painting), not Prometheus. Knobs:
# FLIGHTDECK_BENCH_PROFILE (release|debug), FLIGHTDECK_BENCH_POINTS (2880),
# FLIGHTDECK_BENCH_REFRESHES (30), FLIGHTDECK_MEASURE_SETTLE (10 s), FLIGHTDECK_MEASURE_RUNS (3),
# FLIGHTDECK_BENCH_NO_BUILD=1 (measure what is built), FLIGHTDECK_BENCH_ONLY=a (skip (c)).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${DISPLAY:-}" ]; then exec "$root/.ci/xvfb.sh" "$0" "$@"; fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}
profile=${FLIGHTDECK_BENCH_PROFILE:-release}
points=${FLIGHTDECK_BENCH_POINTS:-2880}
refreshes=${FLIGHTDECK_BENCH_REFRESHES:-30}
settle=${FLIGHTDECK_MEASURE_SETTLE:-10}
runs=${FLIGHTDECK_MEASURE_RUNS:-3}
flag=(); [ "$profile" = release ] && flag=(--release)
export NO_AT_BRIDGE=1
export WEBKIT_DISABLE_COMPOSITING_MODE=${WEBKIT_DISABLE_COMPOSITING_MODE:-0}

if [ "${FLIGHTDECK_BENCH_NO_BUILD:-}" != 1 ]; then
  echo "building (profile $profile, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  (cd "$root/ui" && "$root/.ci/npm-ci.sh" . >/dev/null && npm run --silent build >/dev/null)
  cargo build -q "${flag[@]}" -p flightdeck-app -p flightdeck-cli --manifest-path "$root/Cargo.toml"
fi
"$root/.ci/npm-ci.sh" "$root/tests/e2e" >/dev/null
"$root/.ci/tauri-driver.sh" >/dev/null
bin=$CARGO_TARGET_DIR/$profile

work=$(mktemp -d /tmp/flightdeck-bench-charts.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
store=$work/store.sqlite
mkdir -p "$work/config"
echo '{"user_name":"bench"}' >"$work/config/settings.json"
run=$("$bin/flightdeck" --store "$store" run new bundled:m31 --env sandbox --release v1.0.0 --by bench)

echo
echo "(a) refresh to painted frame, 4 panels x 3 series x $points samples, every 1 s ($profile build, $(nproc) cores)"
(cd "$root/tests/e2e" && FLIGHTDECK_APP="$bin/flightdeck-app" FLIGHTDECK_CLI="$bin/flightdeck" \
  node bench-charts.mjs "$store" "$work/config" "$run" "$points" "$refreshes") | tee "$work/a.txt"

[ "${FLIGHTDECK_BENCH_ONLY:-}" = a ] && exit 0

# The process and all its descendants.
tree() {
  local p=$1
  echo "$p"
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree "$c"; done
}
# PSS KiB over the tree under $1.
pss() {
  local sum=0 a
  for p in $(tree "$1"); do
    [ -r /proc/"$p"/smaps_rollup ] || continue
    a=$(awk '/^Pss:/{print $2}' /proc/"$p"/smaps_rollup)
    sum=$((sum + ${a:-0}))
  done
  echo "$sum"
}
# measure ARGS...: start the app on the run, wait for its first paint, idle, read PSS, stop.
measure() {
  local log=$work/app.log
  FLIGHTDECK_TIMING=1 "$bin/flightdeck-app" --store "$store" --config-dir "$work/config" --open "$run" "$@" 2>"$log" >/dev/null &
  pid=$!
  for _ in $(seq 600); do
    grep -q 'first paint [0-9]* ms' "$log" && break
    kill -0 "$pid" 2>/dev/null || { echo "error: the app exited:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.05
  done
  grep -q 'first paint' "$log" || { echo "error: the app never reported its first paint" >&2; exit 1; }
  sleep "$settle"
  pss "$pid"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

: >"$work/without"; : >"$work/with"
for _ in $(seq "$runs"); do
  measure --synthetic-signals "$points" >>"$work/without"
  measure --synthetic-signals "$points" --view signals >>"$work/with"
done
without=$(median <"$work/without"); with=$(median <"$work/with")
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
echo
echo "(c) idle PSS, M31 run open, median of $runs, ${settle}s idle ($profile build)"
echo "  without the Signals view: $(mib "$without") MiB"
echo "  with the Signals view (4 panels x 3 series x $points samples, plotters, every 2 s): $(mib "$with") MiB"
delta=$((with - without))
echo "  difference: $(mib "$delta") MiB (goal: <= 30 MiB)"
