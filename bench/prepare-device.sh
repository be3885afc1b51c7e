#!/bin/sh
# Packs into .device/ (gitignored) what bench/gpu-check.sh needs on a GPU machine that has no Node.js:
# this machine's node binary, the throughput bench bundled by esbuild (with the adapter probe and the
# gradient worker), and the files those bundles load at run time: Dawn's native module and the tfjs
# wasm binaries. The big binaries are gzipped to keep the carried folder under the 64 MiB the device
# tool takes. Then run the device with carry [".device"] and `sh bench/gpu-check.sh`.
# It also bundles the remote worker (worker/cli.ts) as pretrain-worker.js, with the two scripts that
# start it, so a GPU machine without Node runs `bash .device/run-bundled-worker.sh --server …`.
set -eu
cd "$(dirname "$0")/.."
D=.device
rm -rf "$D"
mkdir -p "$D/node_modules/webgpu/dist/linux-x64" "$D/node_modules/@tensorflow/tfjs-backend-wasm/dist" "$D/lib" "$D/vulkan"

# Node's official binary carries debug symbols; stripped it is ~86 MB, gzipped ~31 MB.
cp "$(node -p process.execPath)" "$D/node"
strip "$D/node" 2>/dev/null || echo "strip failed; carrying node with its symbols"
gzip -9 "$D/node"

# The bundles are ESM (.js under a "type": "module" package.json), all in one folder, so that
# trainer/loop/parallel/pool.ts finds its worker as ./worker.js beside it. require() is defined for the
# CommonJS parts of tfjs, and __dirname for the wasm glue's default path (setWasmPaths overrides it).
# The worker's bundle is named pretrain-worker.js because worker.js is the gradient thread's.
echo '{ "type": "module" }' > "$D/package.json"
if [ -e worker/cli.ts ]; then entry=pretrain-worker=worker/cli.ts; else
  entry=; echo "error: no worker/cli.ts here, so .device gets the bench bundles but no pretrain-worker.js"; fi
npx esbuild bench/train-throughput.ts bench/gpu-adapter.ts trainer/loop/parallel/worker.ts $entry \
  --bundle --splitting --format=esm --platform=node --target=node20 --outdir="$D" --entry-names='[name]' --log-level=warning \
  --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url), __dirname = import.meta.dirname;"

cp bench/device-env.sh deploy/run-bundled-worker.sh "$D/"

# Resolved at run time: Dawn's loader picks dist/<platform>-<arch>/dawn.node, and trainer/backend/backend.ts
# finds the wasm binaries beside the package's main file.
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$D/node_modules/webgpu/"
gzip -9 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$D/node_modules/webgpu/dist/linux-x64/dawn.node.gz"
W=node_modules/@tensorflow/tfjs-backend-wasm
cp "$W/package.json" "$D/$W/"
cp "$W/dist/tf-backend-wasm.node.js" "$W"/dist/*.wasm "$D/$W/dist/"

# dawn.node needs GLIBCXX_3.4.30; an older host libstdc++ gets this machine's (gpu-check.sh decides).
for lib in libstdc++.so.6 libgcc_s.so.1; do cp -L "/lib/$(uname -m)-linux-gnu/$lib" "$D/lib/"; done
# The Vulkan loader, for a host without one: the system's, else the one Chromium ships.
for v in "/lib/$(uname -m)-linux-gnu/libvulkan.so.1" /usr/lib/chromium/libvulkan.so.1; do
  if [ -e "$v" ]; then cp -L "$v" "$D/vulkan/"; break; fi
done
[ -e "$D/vulkan/libvulkan.so.1" ] || echo "no libvulkan.so.1 here to carry; the device must have its own"

du -sh "$D"
du -ab "$D" | sort -rn | head -8
