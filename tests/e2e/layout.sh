#!/usr/bin/env bash
# Writes the link order files of the release app and of the hello-world measure.sh compares it
# with: the functions each binary runs from launch to an idle first screen (the app with the M31
# run open, as measure.sh measures it), found by running it under valgrind's callgrind, listed in
# the binary's own address order. A release build on x86-64 Linux links those functions next to
# each other (`src-tauri/link_layout.rs`), so what the window runs sits on a few hundred pages
# instead of being spread over the whole 25 MB of code, each call mapping its 64 KiB of
# neighbours (the kernel's fault-around).
#
#   tests/e2e/layout.sh          (needs valgrind; runs itself under .ci/xvfb.sh without $DISPLAY)
#
# Writes src-tauri/layout/flightdeck-app.order and tests/e2e/hello/layout/flightdeck-hello.order;
# rebuild (release) to use them. Rerun it when measure.sh reports few of the ordered functions
# found in the binary (a new compiler or new dependency versions rename them); names that are
# gone are skipped by the linker, so a stale file costs memory, never correctness.
# Knobs: FLIGHTDECK_LAYOUT_SECONDS (how long each binary runs under callgrind, default 150: the
# app reaches its idle run screen in ~60 s there), FLIGHTDECK_MEASURE_NO_BUILD=1 (use what is built).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${DISPLAY:-}" ]; then exec "$root/.ci/xvfb.sh" "$0" "$@"; fi
command -v valgrind >/dev/null || { echo "layout.sh: needs valgrind (Debian: apt-get install valgrind)" >&2; exit 1; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/flightdeck-target}
export PATH="$HOME/.cargo/bin:$PATH"
# The settings the app runs with by default (and measure.sh measures both sides with).
export NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=${WEBKIT_DISABLE_COMPOSITING_MODE:-1} JSC_useJIT=${JSC_useJIT:-false}
secs=${FLIGHTDECK_LAYOUT_SECONDS:-150}

if [ "${FLIGHTDECK_MEASURE_NO_BUILD:-}" != 1 ]; then
  (cd "$root/ui" && "$root/.ci/npm-ci.sh" . >/dev/null && npm run --silent build >/dev/null)
  cargo build -q --release -p flightdeck-app -p flightdeck-cli -p flightdeck-hello --manifest-path "$root/Cargo.toml"
fi
bin=$CARGO_TARGET_DIR/release
work=$(mktemp -d /tmp/flightdeck-layout.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/config"
echo '{"user_name":"layout"}' >"$work/config/settings.json"
run=$("$bin/flightdeck" --store "$work/store.sqlite" run new bundled:m31 --env sandbox --release v1.0.0 --by layout 2>/dev/null)

# profile NAME OUT ARGS...: run $bin/NAME under callgrind for $secs s (SIGINT makes callgrind
# write its counts and stop the program), then write to OUT the functions of NAME that ran.
profile() {
  local name=$1 out=$2
  shift 2
  echo "layout: $name under callgrind for $secs s"
  # Through timeout: a background job of a script starts with SIGINT ignored, and timeout gives
  # it back its default, which callgrind needs to write its counts.
  timeout -s INT -k 60 "$secs" valgrind --tool=callgrind --demangle=no --compress-strings=no --compress-pos=no \
    --callgrind-out-file="$work/$name.cg" "$bin/$name" "$@" >"$work/$name.log" 2>&1 &
  pid=$!
  wait "$pid" || true
  pid=
  [ -s "$work/$name.cg" ] || { echo "layout.sh: callgrind wrote nothing for $name:" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
  # Every function that ran has cost of its own: an `fn=` line under `ob=` (its object).
  awk -v obj="/$name" '
    /^ob=/ { ob = substr($0, 4); next }
    /^fn=/ { if (substr(ob, length(ob) - length(obj) + 1) == obj) print substr($0, 4) }' "$work/$name.cg" | sort -u >"$work/$name.ran"
  # In the address order of the binary as it is (each crate's functions stay together).
  mkdir -p "$(dirname "$out")"
  nm --defined-only -S "$bin/$name" | awk 'NR == FNR { ran[$0] = 1; next }
    NF == 4 && $3 ~ /^[tTwW]$/ && ($4 in ran) && !seen[$4]++ { print $1, $4 }' "$work/$name.ran" - \
    | sort | awk '{ print $2 }' >"$out"
  echo "layout: $(wc -l <"$work/$name.ran") functions of $name ran; $(wc -l <"$out") written to ${out#"$root"/}"
}

profile flightdeck-app "$root/src-tauri/layout/flightdeck-app.order" \
  --store "$work/store.sqlite" --config-dir "$work/config" --open "$run"
profile flightdeck-hello "$root/tests/e2e/hello/layout/flightdeck-hello.order"
