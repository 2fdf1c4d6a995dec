#!/usr/bin/env bash
# Make sure tauri-driver (the WebDriver bridge to WebKitWebDriver) is installed; cargo puts it in
# ~/.cargo/bin, where it stays cached between runs. Built in its own target dir so it never
# invalidates the workspace's.
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"
if command -v tauri-driver >/dev/null && tauri-driver --help >/dev/null 2>&1; then
  echo "tauri-driver: $(command -v tauri-driver)"
  exit 0
fi
CARGO_TARGET_DIR="${TMPDIR:-/tmp}/tauri-driver-build" cargo install tauri-driver --locked --version '^2'
