#!/usr/bin/env bash
# Time the CLI's `flightdeck run check` (one process per write, as a person runs it) on a new
# bundled-M31 run and on an M31 run of 100,000 events, with hyperfine; print both medians and
# their ratio (issue 9: writes cost the same on a long run; target ratio <= 1.5).
#
# The two stores come from the write bench (`benches/write.rs --keep DIR --generate-only`), which
# also makes the long run's first write (the one that folds the whole log and leaves the
# checkpoint). Each timed check is preceded, untimed, by an uncheck (hyperfine --prepare).
#
# Usage: crates/engine/benches/write-cli.sh [debug|release] [runs]   (default: debug 40)
#   BASELINE=/path/to/an/older/flightdeck also times that binary on both runs (3 runs each; one
#   that folds the whole log per write takes seconds on the long run).
# Needs: hyperfine (.ci/deps.sh installs it), python3.
set -euo pipefail

profile=${1:-debug}
runs=${2:-40}
root=$(cd "$(dirname "$0")/../../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
case "$profile" in
  debug) build=() ;;
  release) build=(--release) ;;
  *) echo "write-cli.sh: profile must be debug or release, not '$profile'" >&2; exit 2 ;;
esac

dir=$(mktemp -d "${TMPDIR:-/var/tmp}/flightdeck-write-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cd "$root"
cargo build -q -p flightdeck-cli "${build[@]}"
# The stores are generated with the bench in the same profile (only its data matters here).
if [ "$profile" = release ]; then
  cargo bench -q -p flightdeck-engine --bench write -- --keep "$dir" --generate-only
else
  cargo test -q -p flightdeck-engine --bench write -- --keep "$dir" --generate-only
fi
read -r new_run long_run item < "$dir/runs.txt"
bin="$target/$profile/flightdeck"

for which in new long; do
  if [ "$which" = new ]; then run=$new_run; else run=$long_run; fi
  store="$dir/$which.sqlite"
  hyperfine --style basic --warmup 3 --runs "$runs" \
    --prepare "$bin --store $store run check $run $item --by bench --uncheck" \
    --export-json "$dir/$which.json" \
    --command-name "$profile CLI check, $which run" \
    "$bin --store $store run check $run $item --by bench"
done

if [ -n "${BASELINE:-}" ]; then
  for which in new long; do
    if [ "$which" = new ]; then run=$new_run; else run=$long_run; fi
    store="$dir/$which.sqlite"
    hyperfine --style basic --runs 3 \
      --prepare "$BASELINE --store $store run check $run $item --by bench --uncheck" \
      --export-json "$dir/baseline-$which.json" \
      --command-name "baseline CLI check, $which run" \
      "$BASELINE --store $store run check $run $item --by bench"
  done
fi

python3 - "$dir" "$profile" <<'EOF'
import json, os, sys
dir, profile = sys.argv[1:3]
def figures(prefix):
    out = []
    for which in ("new", "long"):
        r = json.load(open(os.path.join(dir, f"{prefix}{which}.json")))["results"][0]
        out.append((r["median"] * 1e3, (r["user"] + r["system"]) * 1e3))
    return out
for name, prefix in ((f"{profile} CLI", ""), ("baseline CLI", "baseline-")):
    if not os.path.exists(os.path.join(dir, f"{prefix}new.json")):
        continue
    (new, new_cpu), (long, long_cpu) = figures(prefix)
    print(f"{name} `run check`: new run median {new:.1f} ms, 100,000-event run median {long:.1f} ms; "
          f"ratio {long / new:.2f} (target <= 1.5); mean CPU (user+sys) {new_cpu:.1f} ms vs {long_cpu:.1f} ms")
EOF
