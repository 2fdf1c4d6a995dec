#!/usr/bin/env bash
# `npm ci` in DIR from its committed package-lock.json, skipped when node_modules already holds
# exactly that lock (npm writes its copy to node_modules/.package-lock.json), so a warm machine
# pays nothing and a fresh clone installs exactly what is locked.
#   .ci/npm-ci.sh DIR
set -euo pipefail
dir=$1
command -v npm >/dev/null || { echo "error: npm not found (install Node.js 20+)" >&2; exit 1; }
stamp="$dir/node_modules/.flightdeck-lock.sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "npm: $dir/node_modules matches package-lock.json"
  exit 0
fi
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
