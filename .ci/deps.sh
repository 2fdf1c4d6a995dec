#!/usr/bin/env bash
# Install the Debian 12 packages that building and testing Flightdeck needs, and nothing else.
# Runs `apt-get update` only when something is missing, so a provisioned machine pays nothing.
set -euo pipefail

packages=(
  # Tauri 2 / WebKitGTK build
  libwebkit2gtk-4.1-dev build-essential pkg-config file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev
  # the real window under Xvfb, WebDriver, screenshots and icons
  xvfb xauth x11-utils webkit2gtk-driver imagemagick
  # the runbook's own reference renderer (GFM)
  cmark-gfm
  # real services the tests talk to: Postgres, Secret Service over a private D-Bus, Prometheus
  postgresql gnome-keyring libsecret-tools dbus-x11 prometheus
  # archive checks (PDF text, structure) and benchmarks
  poppler-utils qpdf hyperfine curl openssl
  # a zone with summer time for the app's zone-table test (TZ=Europe/Berlin); minimal images lack it
  tzdata
)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all ${#packages[@]} present"
else
  echo "system packages missing: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi

# rustup's cargo may come without the linters that CI runs.
if command -v rustup >/dev/null; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi
command -v cargo >/dev/null || { echo "error: cargo not found (install Rust with rustup)" >&2; exit 1; }
