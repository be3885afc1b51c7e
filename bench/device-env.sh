# Sourced (bash) by bench/gpu-check.sh and deploy/run-bundled-worker.sh: unpacks the folder that
# bench/prepare-device.sh fills and makes its node and Dawn's native module run on this host.
#   device_unpack DIR [INTO]   copies DIR into INTO, else a temporary folder, as $R (removed when
#                       the shell exits, not when it execs), and gunzips $NODE and $DAWN there, so
#                       DIR stays small enough to carry again
#   device_node         prints the carried node's version, or why it does not run here
#   device_libs         points LD_LIBRARY_PATH and Vulkan at the carried libraries the host lacks
ARCH=$(uname -m)

unzip_to() { # gzip is nearly everywhere; python3 is the fallback
  if command -v gzip >/dev/null; then gzip -dc "$1" > "$2"
  else python3 -c 'import gzip,shutil,sys; shutil.copyfileobj(gzip.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
has_lib() { ldconfig -p 2>/dev/null | grep -q "$1" || ls /lib/$ARCH-linux-gnu/$1* /usr/lib/$ARCH-linux-gnu/$1* /usr/lib64/$1* >/dev/null 2>&1; }

device_unpack() {
  [ -e "$1/node.gz" ] || { echo "error: $1/node.gz is missing: run bench/prepare-device.sh and carry .device"; return 1; }
  R=${2:-$(mktemp -d)}
  trap 'rm -rf "$R"' EXIT
  mkdir -p "$R" || return 1
  cp -r "$1"/. "$R"
  NODE=$R/node
  DAWN=$R/node_modules/webgpu/dist/linux-x64/dawn.node
  { unzip_to "$NODE.gz" "$NODE" && chmod +x "$NODE" && unzip_to "$DAWN.gz" "$DAWN"; } || { echo "error: cannot unpack the carried binaries"; return 1; }
}

device_node() {
  "$NODE" -v || { echo "error: the carried node does not run here (glibc $(getconf GNU_LIBC_VERSION 2>/dev/null); it needs 2.28)"; return 1; }
}

device_libs() {
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
}
