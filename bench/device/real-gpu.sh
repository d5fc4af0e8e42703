#!/usr/bin/env bash
# Issue #6, "On a real GPU": B1 and B3 on the engine (Bun → bun-webgpu → Dawn → Vulkan → the GPU's driver) next
# to PyTorch-CUDA on the same machine, with the kernel profiles and the engine's op tests on that GPU.
# On the device machine, from the repository root, after bench/device/pack.sh here (carry: .device):
#   bash bench/device/real-gpu.sh
# Writes to $OUT (bench/out/real-gpu when OUT is unset), seven files: env.txt (GPU, driver, adapter, versions),
# run.md and run.json (bench/run.ts), run.log, profile-b1.txt, profile-b3.txt, tests.log. Steps that fail are
# logged and the rest still run; the exit status counts the failed steps.
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-bench/out/real-gpu}"
mkdir -p "$out"
kit=.device
failed=0
step() { # step NAME FILE COMMAND...: runs COMMAND, output to FILE, and notes a failure without stopping
  local name=$1 file=$2; shift 2
  echo "== $name ($(date -u +%T))"
  if ! timeout "${STEP_TIMEOUT:-240}" "$@" >"$file" 2>&1; then echo "   failed: see $(basename "$file")"; failed=$((failed + 1)); fi
}

# Bun, bun-webgpu and the image codecs from the kit, unless node_modules is there already
if [ ! -x node_modules/bun/bin/bun.exe ]; then
  [ -f "$kit/kit.tar.xz" ] || { echo "real-gpu.sh: no node_modules and no $kit/kit.tar.xz (run bench/device/pack.sh, carry .device)" >&2; exit 2; }
  xz -dc "$kit/kit.tar.xz" | tar -xf -
fi
bun=$PWD/node_modules/bun/bin/bun.exe
# Vulkan's loader, where the machine has none (the .deb unpacked over /, then ldconfig)
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  for f in "$kit"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# NVIDIA's Vulkan driver manifest, where it sits outside the loader's search path
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$icd
fi

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
  echo "bun $("$bun" --version)"
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(), torch.cuda.get_device_name())" 2>&1
  lscpu | grep -m1 'Model name'
  echo "cores $(nproc)"
} >"$out/env.txt"
# the adapter the engine gets: a real GPU, not lavapipe or Dawn's null backend
step "adapter" "$out/adapter.tmp" "$bun" -e 'const { WebGpuBackend } = await import("./engine/webgpu/backend.ts"); const b = await WebGpuBackend.create(); console.log("engine adapter:", b.description); b.destroy();'
cat "$out/adapter.tmp" >>"$out/env.txt" && rm -f "$out/adapter.tmp"
cat "$out/env.txt"

# the engine's op and model tests on this GPU (GPU against the CPU reference); CI=true: none may skip
step "tests (engine, models)" "$out/tests.log" env CI=true "$bun" test/run.ts test/engine test/models
tail -n 1 "$out/tests.log"
# the paired benchmark: engine and PyTorch-CUDA alternating step by step, 15 pairs
step "bench B1, B3" "$out/run.log" "$bun" bench/run.ts --only B1,B3 --impls engine,pytorch --torch-device cuda --python python3 \
  --runs 15 --json --out "$out/run.json" --results "$out/run.md"
grep '^| B' "$out/run.log" || true
step "profile B1" "$out/profile-b1.txt" "$bun" bench/profile-step.ts baseline 192 16 4
step "profile B3" "$out/profile-b3.txt" "$bun" bench/profile-step.ts infer
head -n 4 "$out/profile-b1.txt" "$out/profile-b3.txt"
echo "real-gpu.sh: $failed step(s) failed; files in $out"
exit "$failed"
