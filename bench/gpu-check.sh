#!/bin/bash
# The GPU check, for a machine with an NVIDIA GPU and no Node.js. First, where Node is:
#   sh bench/prepare-device.sh        (fills .device/, gitignored; carry it to the GPU machine)
# then on the GPU machine, from the repository root:
#   bash bench/gpu-check.sh           (results under $OUT, else bench-results/gpu)
# It prints the machine's GPU, driver and Vulkan setup and what Dawn sees, then runs the throughput
# bench (bench/train-throughput.ts, bundled) on webgpu, on tensorflow (tfjs-node-gpu, where it
# loads) and on wasm as the same machine's CPU baseline. PyTorch is not run there (--no-torch).
# WEBGPU_ARGS / WASM_ARGS replace the bench flags of those runs.
set -u
cd "$(dirname "$0")/.."
D=$PWD/.device
OUT=${OUT:-$PWD/bench-results/gpu}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-check.log") 2>&1
ARCH=$(uname -m)

section() { printf '\n== %s\n' "$*"; }
unzip_to() { # gzip is nearly everywhere; python3 is the fallback
  if command -v gzip >/dev/null; then gzip -dc "$1" > "$2"
  else python3 -c 'import gzip,shutil,sys; shutil.copyfileobj(gzip.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
has_lib() { ldconfig -p 2>/dev/null | grep -q "$1" || ls /lib/$ARCH-linux-gnu/$1* /usr/lib/$ARCH-linux-gnu/$1* /usr/lib64/$1* >/dev/null 2>&1; }

[ -e "$D/node.gz" ] || { echo "error: $D/node.gz is missing: run bench/prepare-device.sh and carry .device"; exit 1; }
# Unpacked in a copy, so .device stays small enough to carry again.
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
cp -r "$D"/. "$R"
NODE=$R/node
DAWN=$R/node_modules/webgpu/dist/linux-x64/dawn.node
{ unzip_to "$NODE.gz" "$NODE" && chmod +x "$NODE" && unzip_to "$DAWN.gz" "$DAWN"; } || { echo "error: cannot unpack the carried binaries"; exit 1; }

section machine
uname -srm
grep PRETTY_NAME /etc/os-release 2>/dev/null
echo "glibc $(getconf GNU_LIBC_VERSION 2>/dev/null)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "no nvidia-smi"
echo "NVIDIA_DRIVER_CAPABILITIES=${NVIDIA_DRIVER_CAPABILITIES-unset} NVIDIA_VISIBLE_DEVICES=${NVIDIA_VISIBLE_DEVICES-unset}"
ls -d /dev/nvidia* /dev/dri 2>&1
section "Vulkan and NVIDIA graphics libraries"
ls /etc/vulkan/icd.d /usr/share/vulkan/icd.d 2>&1
ldconfig -p 2>/dev/null | grep -E 'libvulkan|libGLX_nvidia|libEGL_nvidia|libnvidia-glcore|libnvidia-glvkspirv|libcuda\.so' || echo "(ldconfig lists none of them)"

section "node and Dawn"
"$NODE" -v || { echo "error: the carried node does not run here (glibc $(getconf GNU_LIBC_VERSION 2>/dev/null); it needs 2.28)"; exit 1; }
load_dawn() { "$NODE" -e 'process.dlopen({ exports: {} }, process.argv[1])' "$DAWN"; }
if ! load_dawn 2>/dev/null; then
  # dawn.node needs glibc 2.34 and GLIBCXX_3.4.30; the carried libstdc++ covers the second.
  export LD_LIBRARY_PATH=$R/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  load_dawn && echo "dawn.node loads with the carried libstdc++" || echo "error: dawn.node does not load here (above); webgpu will report it"
fi
if ! has_lib libvulkan.so.1 && [ -e "$R/vulkan/libvulkan.so.1" ]; then
  echo "no Vulkan loader here; using the carried libvulkan.so.1"
  export LD_LIBRARY_PATH=$R/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
# NVIDIA's Vulkan driver is libGLX_nvidia.so.0; a container may get the library without its manifest.
if ! ls /etc/vulkan/icd.d/*nvidia* /usr/share/vulkan/icd.d/*nvidia* >/dev/null 2>&1 && has_lib libGLX_nvidia.so.0; then
  echo "libGLX_nvidia.so.0 present without nvidia_icd.json; pointing Vulkan at it"
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.0"}}\n' > "$R/vulkan/nvidia_icd.json"
  export VK_ICD_FILENAMES=$R/vulkan/nvidia_icd.json
fi

section "what Dawn sees"
timeout 60 "$NODE" "$R/gpu-adapter.js" | tee "$OUT/adapter.json"

bench() { # name, seconds, flags...
  local name=$1 limit=$2; shift 2
  section "bench:train on $name ($*)"
  timeout "$limit" "$NODE" "$R/train-throughput.js" --no-torch --out "$OUT/train-$name.json" "$@"
  local rc=$?
  [ $rc -eq 124 ] && echo "stopped after ${limit}s"
  echo "$name: exit $rc"
}
# shellcheck disable=SC2086 # the ARGS variables are word lists
bench webgpu 240 --backend webgpu ${WEBGPU_ARGS:---configs tiny,large}
bench tensorflow 60 --backend tensorflow --configs tiny
bench wasm 120 --backend wasm ${WASM_ARGS:---configs tiny --steps 4 --warmup 1}
section done
ls -la "$OUT"
