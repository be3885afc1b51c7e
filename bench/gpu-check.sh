#!/bin/bash
# The GPU check, for a machine with an NVIDIA GPU and no Node.js. First, where Node is:
#   sh bench/prepare-device.sh        (fills .device/, gitignored; carry it to the GPU machine)
# then on the GPU machine, from the repository root:
#   bash bench/gpu-check.sh           (results under $OUT, else bench-results/gpu)
# It prints the machine's GPU, driver and Vulkan setup and what Dawn sees, then runs the throughput
# bench (bench/train-throughput.ts, bundled) on webgpu, on tensorflow (tfjs-node-gpu, where it
# loads) and on wasm as the same machine's CPU baseline. PyTorch is not run there (--no-torch).
# WEBGPU_ARGS / WASM_ARGS replace the bench flags of those runs. With WORKER_SERVER and WORKER_KEY
# set, it then runs the bundled worker against that server for WORKER_SECONDS (default 120), and
# stops it with SIGTERM as a scheduler would (its other WORKER_* settings apply as usual).
set -u
cd "$(dirname "$0")/.."
D=$PWD/.device
OUT=${OUT:-$PWD/bench-results/gpu}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-check.log") 2>&1
. bench/device-env.sh

section() { printf '\n== %s\n' "$*"; }

device_unpack "$D" || exit 1

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
device_node || exit 1
device_libs

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
if [ -n "${WORKER_SERVER:-}" ] && [ -n "${WORKER_KEY:-}" ]; then
  limit=${WORKER_SECONDS:-120}
  section "worker against $WORKER_SERVER for ${limit}s"
  # --preserve-status: exit 0 means it also stopped cleanly after the SIGTERM at the limit.
  # --foreground: the worker alone gets that SIGTERM, once; a second one tells it to quit at once.
  DATA_DIR=${DATA_DIR:-$R/worker-data} timeout --foreground --preserve-status --kill-after=60 "$limit" "$NODE" "$R/pretrain-worker.js"
  echo "worker: exit $?"
fi
section done
ls -la "$OUT"
