#!/usr/bin/env bash
# Packs what bench/device/real-gpu.sh needs on a GPU machine that has no Bun, no node_modules and maybe no Vulkan
# loader, and cannot download any: Bun, bun-webgpu (Dawn) and the image codecs as one xz tarball, and Debian's
# Vulkan loader as a .deb. Run here, from anywhere, after `npm install`; writes .device/ (git-ignored, ≈ 45 MB,
# within the 64 MiB that may travel with the tree).
#   bash bench/device/pack.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
kit=.device
for p in node_modules/bun/bin/bun.exe node_modules/bun-webgpu node_modules/bun-webgpu-linux-x64 node_modules/pngjs node_modules/jpeg-js; do
  [ -e "$p" ] || { echo "pack.sh: $p is missing: run npm install first" >&2; exit 1; }
done
rm -rf "$kit.tmp" && mkdir -p "$kit.tmp/gl"
tar -cf - node_modules/bun/package.json node_modules/bun/bin/bun.exe node_modules/bun-webgpu node_modules/bun-webgpu-linux-x64 \
  node_modules/pngjs node_modules/jpeg-js | xz -T0 -6 > "$kit.tmp/kit.tar.xz"
# the loader's .deb for amd64, whatever this machine's architecture (apt lists kept apart from the system's)
lists=$(mktemp -d) && mkdir -p "$lists/partial"
apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${apt_opts[@]}" -qq update
(cd "$kit.tmp/gl" && apt-get "${apt_opts[@]}" -qq download libvulkan1)
rm -rf "$lists"
# replace the old kit only once the new one is whole
rm -rf "$kit" && mv "$kit.tmp" "$kit"
du -sh "$kit" "$kit"/* "$kit"/gl/*
