#!/usr/bin/env bash
# Idle memory and time to first paint: Flightdeck with the M31 run open, against a bare Tauri
# hello-world (tests/e2e/hello) built with the same Tauri and measured in the same run.
#
#   tests/e2e/measure.sh            (runs itself under .ci/xvfb.sh when there is no $DISPLAY)
#
# Memory is PSS and RSS summed over each app's whole process tree (the app, WebKit's web and
# network processes) from /proc/PID/smaps_rollup, after FLIGHTDECK_MEASURE_SETTLE seconds
# (default 5) of idling on its first screen. First paint is from process start to the page's
# second animation frame after its first screen has its data (the `ui_ready` / `ready` command).
# Both are built in the same profile (FLIGHTDECK_MEASURE_PROFILE: debug, the default, or release)
# into the same CARGO_TARGET_DIR. Goal: Flightdeck / hello-world PSS <= 1.15.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${DISPLAY:-}" ]; then exec "$root/.ci/xvfb.sh" "$0" "$@"; fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}
profile=${FLIGHTDECK_MEASURE_PROFILE:-debug}
settle=${FLIGHTDECK_MEASURE_SETTLE:-5}
runs=${FLIGHTDECK_MEASURE_RUNS:-3}
flag=(); [ "$profile" = release ] && flag=(--release)

echo "building (profile $profile, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$root/ui" && "$root/.ci/npm-ci.sh" . >/dev/null && npm run --silent build >/dev/null)
cargo build -q "${flag[@]}" -p flightdeck-app -p flightdeck-cli --manifest-path "$root/Cargo.toml"
cargo build -q "${flag[@]}" --manifest-path "$root/tests/e2e/hello/Cargo.toml"
bin=$CARGO_TARGET_DIR/$profile

work=$(mktemp -d /tmp/flightdeck-measure.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
store=$work/store.sqlite
mkdir -p "$work/config"
echo '{"user_name":"measure"}' >"$work/config/settings.json"
run=$("$bin/flightdeck" --store "$store" run new bundled:m31 --env sandbox --release v1.0.0 --by measure)

# The process and all its descendants.
tree() {
  local p=$1
  echo "$p"
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree "$c"; done
}

# "PSS_KiB RSS_KiB NPROC" for the tree under $1.
memory() {
  local pss=0 rss=0 n=0
  for p in $(tree "$1"); do
    [ -r /proc/"$p"/smaps_rollup ] || continue
    read -r a b < <(awk '/^Pss:/{p=$2} /^Rss:/{r=$2} END{print p+0, r+0}' /proc/"$p"/smaps_rollup)
    pss=$((pss + a)); rss=$((rss + b)); n=$((n + 1))
  done
  echo "$pss $rss $n"
}

# measure NAME CMD...: start, wait for the first-paint line, idle, read memory, stop.
measure() {
  local name=$1; shift
  local log=$work/$name.log
  FLIGHTDECK_TIMING=1 "$@" 2>"$log" >/dev/null &
  pid=$!
  local paint=
  for _ in $(seq 600); do
    paint=$(grep -so 'first paint [0-9]* ms' "$log" | grep -o '[0-9]*' || true)
    [ -n "$paint" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "error: $name exited:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.05
  done
  [ -n "$paint" ] || { echo "error: $name never reported its first paint" >&2; cat "$log" >&2; exit 1; }
  sleep "$settle"
  echo "$paint $(memory "$pid")"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

declare -A pss rss paint procs
# hello: Tauri's defaults. hello-nc: the same with WebKit's compositing off, as Flightdeck
# ships on Linux (src-tauri/src/lib.rs); flightdeck-c: Flightdeck with it on (as the real-window
# tests run it): the like-for-like figures.
for name in hello hello-nc flightdeck flightdeck-c; do
  : >"$work/$name.rows"
  for i in $(seq "$runs"); do
    if [ $name = hello ]; then
      measure hello "$bin/flightdeck-hello" >>"$work/$name.rows"
    elif [ $name = hello-nc ]; then
      WEBKIT_DISABLE_COMPOSITING_MODE=1 measure hello "$bin/flightdeck-hello" >>"$work/$name.rows"
    elif [ $name = flightdeck-c ]; then
      WEBKIT_DISABLE_COMPOSITING_MODE=0 measure flightdeck "$bin/flightdeck-app" --store "$store" --config-dir "$work/config" --open "$run" >>"$work/$name.rows"
    else
      measure flightdeck "$bin/flightdeck-app" --store "$store" --config-dir "$work/config" --open "$run" >>"$work/$name.rows"
    fi
  done
  paint[$name]=$(cut -d' ' -f1 "$work/$name.rows" | median)
  pss[$name]=$(cut -d' ' -f2 "$work/$name.rows" | median)
  rss[$name]=$(cut -d' ' -f3 "$work/$name.rows" | median)
  procs[$name]=$(cut -d' ' -f4 "$work/$name.rows" | median)
done

mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
echo
echo "idle memory and first paint ($profile build, median of $runs, ${settle}s idle, $(nproc) cores)"
printf '  %-34s %10s %10s %6s %13s\n' "" "PSS MiB" "RSS MiB" "procs" "first paint"
printf '  %-34s %10s %10s %6s %10s ms\n' "hello-world (bare Tauri 2)" "$(mib "${pss[hello]}")" "$(mib "${rss[hello]}")" "${procs[hello]}" "${paint[hello]}"
printf '  %-34s %10s %10s %6s %10s ms\n' "hello-world, compositing off" "$(mib "${pss[hello-nc]}")" "$(mib "${rss[hello-nc]}")" "${procs[hello-nc]}" "${paint[hello-nc]}"
printf '  %-34s %10s %10s %6s %10s ms\n' "Flightdeck, M31 run open" "$(mib "${pss[flightdeck]}")" "$(mib "${rss[flightdeck]}")" "${procs[flightdeck]}" "${paint[flightdeck]}"
printf '  %-34s %10s %10s %6s %10s ms\n' "Flightdeck, compositing on" "$(mib "${pss[flightdeck-c]}")" "$(mib "${rss[flightdeck-c]}")" "${procs[flightdeck-c]}" "${paint[flightdeck-c]}"
ratio=$(awk -v a="${pss[flightdeck]}" -v b="${pss[hello]}" 'BEGIN{printf "%.3f", a/b}')
ratio_rss=$(awk -v a="${rss[flightdeck]}" -v b="${rss[hello]}" 'BEGIN{printf "%.3f", a/b}')
like=$(awk -v a="${pss[flightdeck]}" -v b="${pss[hello-nc]}" 'BEGIN{printf "%.3f", a/b}')
echo "  ratio Flightdeck / hello-world: PSS $ratio, RSS $ratio_rss (goal: <= 1.15)"
like_on=$(awk -v a="${pss[flightdeck-c]}" -v b="${pss[hello]}" 'BEGIN{printf "%.3f", a/b}')
echo "  like for like: both with compositing off PSS $like, both on PSS $like_on"
awk -v r="$ratio" 'BEGIN{exit !(r <= 1.15)}' && echo "  goal met" || { echo "  goal NOT met"; exit 3; }
