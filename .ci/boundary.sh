#!/usr/bin/env bash
# The engine and the CLI must build without a webview: no tauri, wry or tao anywhere in their
# normal dependency tree, on any target. (DESIGN.md "Architecture"; STYLE.md point 1.)
set -euo pipefail
tree=$(cargo tree -p flightdeck-engine -p flightdeck-cli -e normal --target all --prefix none)
bad=$(printf '%s\n' "$tree" | grep -Ei '^(tauri([-_][a-z0-9_-]*)?|wry|tao) v' | sort -u || true)
if [ -n "$bad" ]; then
  echo "error: the engine or the CLI depends on the desktop stack:" >&2
  printf '%s\n' "$bad" | sed 's/^/  /' >&2
  echo "see how it got there: cargo tree -p flightdeck-engine -p flightdeck-cli -e normal -i <crate>" >&2
  exit 1
fi
echo "boundary ok: $(printf '%s\n' "$tree" | sort -u | wc -l) crates under engine + cli, none of tauri/wry/tao"
