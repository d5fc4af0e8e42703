#!/usr/bin/env bash
# Installs what the engine and its tests need on a headless Debian bookworm machine:
# - Mesa lavapipe (a CPU Vulkan driver) from bookworm-backports, because Dawn rejects bookworm's own
#   Mesa 22.3 ("shaderUniform*ArrayDynamicIndexing required");
# - Chromium, for the demo page's end-to-end test (WebGPU through SwiftShader).
# Idempotent: returns quickly when both are already there.
set -euo pipefail

have_lavapipe() {
  ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 &&
    ldconfig -p | grep -q libvulkan.so.1 &&
    dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^25\.'
}

have_chromium() { [ -x /usr/bin/chromium ]; }

if have_lavapipe && have_chromium; then
  echo "install-system-deps: lavapipe (Mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)) and chromium already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: run as root (apt-get needs it)" >&2
  exit 1
fi

backports=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -f "$backports" ]; then
  cat >"$backports" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if ! have_lavapipe; then
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers
  apt-get install -y -qq libvulkan1
  have_lavapipe || { echo "install-system-deps: lavapipe still missing after install" >&2; exit 1; }
  echo "install-system-deps: lavapipe installed"
fi
if ! have_chromium; then
  apt-get install -y -qq chromium
  have_chromium || { echo "install-system-deps: chromium still missing after install" >&2; exit 1; }
  echo "install-system-deps: chromium installed"
fi
