#!/usr/bin/env bash
# The window against a bare Tauri window, like for like: idle memory and time to first paint of
# Flightdeck (the M31 run open; the same with its Signals view open) against a Tauri hello-world
# (tests/e2e/hello, the same Tauri, one window of the same size), each pair with the same WebKit
# compositing setting (on, then off), the same JavaScriptCore JIT setting (the app's default, off)
# and the same build profile, in one run; then the M31 run scrolled top to bottom in the real
# window, frame times from requestAnimationFrame. Flightdeck's start screen (no run open) is
# measured too: the app's own floor, which no change to the run screen can go below.
#
#   tests/e2e/measure.sh            (runs itself under .ci/xvfb.sh when there is no $DISPLAY)
#
# Memory is PSS and RSS summed over each app's whole process tree (the app, WebKit's web and
# network processes) from /proc/PID/smaps_rollup, once idle on its first screen and the figure has
# stopped moving (at least FLIGHTDECK_MEASURE_SETTLE s, default 5, then until three readings a
# second apart are within 2 %, at most FLIGHTDECK_MEASURE_SETTLE_MAX s, default 40); the web
# process's own PSS and anonymous memory are shown beside it. First paint is from process start to the page's second animation frame after
# its first screen has its data (the `ui_ready` / `ready` command). Scrolling: the run screen's
# checklist scrolled by FLIGHTDECK_MEASURE_SCROLL_STEP px (default 40) an animation frame over
# WebDriver (measure-scroll.mjs), p50 / p95 of the frame intervals.
#
# Goals, each judged on the worse of the two compositing settings: PSS ratio <= 1.15 with the run
# open and <= 1.25 with the Signals view open, first paint <= 1.5x hello-world's, scrolling p95
# <= 16.7 ms. Exits 3 when one is missed (1 on an error).
#
# Knobs: FLIGHTDECK_MEASURE_PROFILE (debug, the default, or release), FLIGHTDECK_MEASURE_RUNS (3),
# FLIGHTDECK_MEASURE_SETTLE (5), FLIGHTDECK_MEASURE_COMPOSITING ("on off"),
# FLIGHTDECK_MEASURE_NO_BUILD=1 (measure what is built: `make app` builds all three), FLIGHTDECK_MEASURE_SCROLL=0 (skip scrolling).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${DISPLAY:-}" ]; then exec "$root/.ci/xvfb.sh" "$0" "$@"; fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}
export PATH="$HOME/.cargo/bin:$PATH"
# No accessibility bus under Xvfb: without this, GTK waits for one (both sides alike).
export NO_AT_BRIDGE=1
# JavaScriptCore's JIT: the app turns it off unless told (src-tauri/src/lib.rs webkit_defaults);
# the hello-world gets the same setting, like for like. JSC_useJIT=true measures both with it.
export JSC_useJIT=${JSC_useJIT:-false}
# JavaScriptCore's heap room between collections: the app gives its page 4 MiB (the same
# webkit_defaults; JSC's own default is 32 MiB); the hello-world gets the same.
export JSC_largeHeapSize=${JSC_largeHeapSize:-4194304}
# Skia's painting: the app paints on the CPU unless told (the same webkit_defaults; it matters with
# compositing on); the hello-world gets the same. WEBKIT_SKIA_ENABLE_CPU_RENDERING=0 measures both
# with GPU painting.
export WEBKIT_SKIA_ENABLE_CPU_RENDERING=${WEBKIT_SKIA_ENABLE_CPU_RENDERING:-1}
# glibc's malloc arenas: the app limits its own process to one (src-tauri/src/malloc.rs) unless
# MALLOC_ARENA_MAX or GLIBC_TUNABLES is set; the hello-world gets the same through the variable.
hello_arenas=${MALLOC_ARENA_MAX:-1}
profile=${FLIGHTDECK_MEASURE_PROFILE:-debug}
settle=${FLIGHTDECK_MEASURE_SETTLE:-5}
settle_max=${FLIGHTDECK_MEASURE_SETTLE_MAX:-40}
runs=${FLIGHTDECK_MEASURE_RUNS:-3}
settings=${FLIGHTDECK_MEASURE_COMPOSITING:-on off}
step=${FLIGHTDECK_MEASURE_SCROLL_STEP:-40}
points=2880
flag=(); [ "$profile" = release ] && flag=(--release)


if [ "${FLIGHTDECK_MEASURE_NO_BUILD:-}" != 1 ]; then
  echo "building (profile $profile, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  (cd "$root/ui" && "$root/.ci/npm-ci.sh" . >/dev/null && npm run --silent build >/dev/null)
  # The hello-world shares the app's compiled Tauri (a workspace member built in the same
  # command, so with the same features): seconds once the app is built.
  cargo build -q "${flag[@]}" -p flightdeck-app -p flightdeck-cli -p flightdeck-hello --manifest-path "$root/Cargo.toml"
fi
"$root/.ci/npm-ci.sh" "$root/tests/e2e" >/dev/null
"$root/.ci/tauri-driver.sh" >/dev/null
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

# "PSS_KiB RSS_KiB NPROC WEB_PSS_KiB WEB_ANON_KiB USS_KiB" for the tree under $1 (WEB: WebKit's
# web process, where the page lives; USS: private pages only, which unlike PSS does not move
# with what else runs on the machine sharing the same libraries).
memory() {
  local pss=0 rss=0 n=0 wpss=0 wanon=0 uss=0 a b c u
  for p in $(tree "$1"); do
    [ -r /proc/"$p"/smaps_rollup ] || continue
    read -r a b c u < <(awk '/^Pss:/{p=$2} /^Rss:/{r=$2} /^Anonymous:/{n=$2} /^Private_(Clean|Dirty):/{u+=$2} END{print p+0, r+0, n+0, u+0}' /proc/"$p"/smaps_rollup)
    pss=$((pss + a)); rss=$((rss + b)); n=$((n + 1)); uss=$((uss + u))
    if [ "$(cat /proc/"$p"/comm 2>/dev/null)" = WebKitWebProces ]; then wpss=$a; wanon=$c; fi
  done
  echo "$pss $rss $n $wpss $wanon $uss"
}

# measure CMD...: start, wait for the first-paint line, idle, read memory, stop.
# Prints "PAINT_MS PSS RSS NPROC WEB_PSS WEB_ANON USS IDLE_S".
measure() {
  local log=$work/app.log
  FLIGHTDECK_TIMING=1 "$@" 2>"$log" >/dev/null &
  pid=$!
  local paint=
  for _ in $(seq 600); do
    paint=$(grep -so 'first paint [0-9]* ms' "$log" | grep -o '[0-9]*' || true)
    [ -n "$paint" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "error: $1 exited:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.05
  done
  [ -n "$paint" ] || { echo "error: $1 never reported its first paint" >&2; cat "$log" >&2; exit 1; }
  # Idle until the memory stops moving: at least $settle s, then until three readings a second
  # apart are within 2 % of each other (WebKit builds its layers' tiles for seconds after the
  # first paint on a busy machine), at most $settle_max s.
  local t=0 m a b c
  m=$(memory "$pid"); a=0 b=0
  while :; do
    sleep 1; t=$((t + 1))
    m=$(memory "$pid"); c=${m%% *}
    if [ "$t" -ge "$settle" ] && awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN{lo=a; hi=a; if(b<lo)lo=b; if(c<lo)lo=c; if(b>hi)hi=b; if(c>hi)hi=c; exit !(hi - lo <= 0.02 * hi)}'; then break; fi
    [ "$t" -ge "$settle_max" ] && break
    a=$b; b=$c
  done
  echo "$paint $m $t"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
env_of() { [ "$1" = on ] && echo 0 || echo 1; } # WEBKIT_DISABLE_COMPOSITING_MODE for a setting
app=("$bin/flightdeck-app" --store "$store" --config-dir "$work/config" --open "$run")

# Interleaved (hello, run, signals, start screen; on, off; then again), so a change in the machine's load
# falls on every kind alike.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq "$runs"); do
  for c in $settings; do
    export WEBKIT_DISABLE_COMPOSITING_MODE; WEBKIT_DISABLE_COMPOSITING_MODE=$(env_of "$c")
    MALLOC_ARENA_MAX=$hello_arenas measure "$bin/flightdeck-hello" >>"$work/hello-$c.rows"
    measure "${app[@]}" >>"$work/run-$c.rows"
    measure "${app[@]}" --view signals --synthetic-signals "$points" >>"$work/signals-$c.rows"
    # The start screen, no run open: the app's own floor (its process, its page), not a goal.
    measure "$bin/flightdeck-app" --store "$store" --config-dir "$work/config" >>"$work/start-$c.rows"
  done
done
# col FILE N: the median of column N.
col() { cut -d' ' -f"$2" "$1" | median; }

declare -A p50 p95 scroll_line marks
scroll_failed=0
if [ "${FLIGHTDECK_MEASURE_SCROLL:-1}" = 1 ]; then
  for c in $settings; do
    for k in run hello; do
      args=("$store" "$work/config" "$run" "$step"); app_bin=$bin/flightdeck-app
      [ $k = hello ] && args=(hello - - "$step") && app_bin=$bin/flightdeck-hello
      arenas=(); [ $k = hello ] && arenas=(MALLOC_ARENA_MAX="$hello_arenas")
      out=$(cd "$root/tests/e2e" && env "${arenas[@]}" WEBKIT_DISABLE_COMPOSITING_MODE=$(env_of "$c") \
        FLIGHTDECK_APP="$app_bin" FLIGHTDECK_CLI="$bin/flightdeck" node measure-scroll.mjs "${args[@]}" 2>&1) \
        || { echo "error: scrolling ($k, compositing $c): $out" >&2; out="failed"; scroll_failed=1; }
      scroll_line[$k-$c]=$(grep '^scroll' <<<"$out" || echo "$out")
      [ $k = hello ] && continue
      p50[$c]=$(grep -o 'p50_ms=[0-9.]*' <<<"$out" | cut -d= -f2 || true)
      p95[$c]=$(grep -o 'p95_ms=[0-9.]*' <<<"$out" | cut -d= -f2 || true)
      marks[$c]=$(grep '^marks' <<<"$out" || true)
    done
  done
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# layout_of BIN ORDER: how many of the functions BIN's order file names (src-tauri/link_layout.rs)
# BIN still has; few means a new compiler or dependencies renamed them: rerun tests/e2e/layout.sh.
layout_of() {
  if [ "$profile" != release ] || [ ! -s "$2" ]; then echo "none ($profile build)"; return; fi
  echo "$(nm --defined-only "$1" 2>/dev/null | awk 'NR == FNR { want[$0] = 1; next } ($3 in want) && !seen[$3]++ { c++ } END { print c + 0 }' "$2" -) of $(wc -l <"$2") ordered functions found"
}
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo
echo "the window vs a bare Tauri window ($profile builds, JSC_useJIT=$JSC_useJIT, JSC_largeHeapSize=$JSC_largeHeapSize, WEBKIT_SKIA_ENABLE_CPU_RENDERING=$WEBKIT_SKIA_ENABLE_CPU_RENDERING and malloc arenas $hello_arenas on both, median of $runs, ${settle}s idle, $(nproc) cores, load $load_start -> $load_end)"
echo "code layout: app $(layout_of "$bin/flightdeck-app" "$root/src-tauri/layout/flightdeck-app.order"); hello-world $(layout_of "$bin/flightdeck-hello" "$root/tests/e2e/hello/layout/flightdeck-hello.order")"
printf '  %-13s %-24s %8s %8s %8s %6s %9s %9s %9s %7s\n' compositing "" "PSS MiB" "USS MiB" "RSS MiB" procs "web PSS" "web anon" "1st paint" "idle s"
for c in $settings; do
  for k in hello start run signals; do
    f=$work/$k-$c.rows
    case $k in hello) what="hello-world" ;; start) what="Flightdeck, start screen" ;; run) what="Flightdeck, M31 run" ;; *) what="Flightdeck, + Signals" ;; esac
    printf '  %-13s %-24s %8s %8s %8s %6s %9s %9s %6s ms %7s\n' "$c" "$what" "$(mib "$(col "$f" 2)")" "$(mib "$(col "$f" 7)")" \
      "$(mib "$(col "$f" 3)")" "$(col "$f" 4)" "$(mib "$(col "$f" 5)")" "$(mib "$(col "$f" 6)")" "$(col "$f" 1)" "$(col "$f" 8)"
  done
done

# Each goal on the worse of the compositing settings.
missed=0
worst() { sort -g | tail -1; }
goal() { # NAME VALUE LIMIT DETAIL
  local ok=met
  awk -v v="$2" -v l="$3" 'BEGIN{exit !(v <= l)}' || { ok="NOT met"; missed=1; }
  printf '  %-44s %8s  (goal <= %s; %s) %s\n' "$1" "$2" "$3" "$4" "$ok"
}
echo
r_run=""; r_sig=""; r_paint=""; detail_run=""; detail_sig=""; detail_paint=""
for c in $settings; do
  h=$work/hello-$c.rows
  a=$(ratio "$(col "$work/run-$c.rows" 2)" "$(col "$h" 2)"); r_run+="$a"$'\n'; detail_run+="$c $a "
  a=$(ratio "$(col "$work/signals-$c.rows" 2)" "$(col "$h" 2)"); r_sig+="$a"$'\n'; detail_sig+="$c $a "
  a=$(ratio "$(col "$work/run-$c.rows" 1)" "$(col "$h" 1)"); r_paint+="$a"$'\n'; detail_paint+="$c $a "
done
goal "PSS ratio, M31 run open / hello-world" "$(worst <<<"$r_run")" 1.15 "${detail_run% }"
goal "PSS ratio, + Signals view / hello-world" "$(worst <<<"$r_sig")" 1.25 "${detail_sig% }"
goal "first paint ratio, M31 run / hello-world" "$(worst <<<"$r_paint")" 1.5 "${detail_paint% }"
uss=""
for c in $settings; do
  uss+="$c run $(ratio "$(col "$work/run-$c.rows" 7)" "$(col "$work/hello-$c.rows" 7)"), signals $(ratio "$(col "$work/signals-$c.rows" 7)" "$(col "$work/hello-$c.rows" 7)"); "
done
echo "  (USS ratios, not a goal: ${uss%; })"
floor=""
for c in $settings; do floor+="$c $(ratio "$(col "$work/start-$c.rows" 2)" "$(col "$work/hello-$c.rows" 2)"); "; done
echo "  (PSS ratio of the start screen, no run open: the app's floor, not a goal: ${floor%; })"
if [ "${FLIGHTDECK_MEASURE_SCROLL:-1}" = 1 ]; then
  s=""; detail=""
  for c in $settings; do s+="${p95[$c]:-999999}"$'\n'; detail+="$c p50 ${p50[$c]:-?} p95 ${p95[$c]:-?} "; done
  goal "scrolling the M31 run, p95 frame ms" "$(worst <<<"$s")" 16.7 "${detail% }"
  for c in $settings; do
    echo "    compositing $c, Flightdeck:  ${scroll_line[run-$c]}"
    echo "    compositing $c, hello-world: ${scroll_line[hello-$c]} (scroll.html, the yardstick)"
    [ -n "${marks[$c]}" ] && echo "    ${marks[$c]}"
  done
fi
[ "$scroll_failed" = 0 ] || { echo "  error: a scrolling run failed (above)"; exit 1; }
[ "$missed" = 0 ] && echo "  every goal met" || { echo "  a goal is NOT met"; exit 3; }
