#!/bin/bash
# Runs the worker on a machine without Node.js, from the folder bench/prepare-device.sh fills where
# Node is (.device: node, the worker bundled as pretrain-worker.js, Dawn, libraries):
#   bash deploy/run-bundled-worker.sh [DEVICE_DIR] [worker flags…]
#   bash .device/run-bundled-worker.sh [worker flags…]        (prepare-device.sh copies this script in)
# DEVICE_DIR defaults to the folder this script is in when that is the carried one, else ../.device.
# Pass the key as WORKER_KEY in the environment, not as --key, which `ps` would show.
# The carried files are unpacked under TMPDIR (default /tmp), then node replaces this shell, so
# signals reach the worker itself, once, and its exit status is this script's (0 clean, 2 bad
# flags, 1 other errors).
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ] && [ -d "$1" ]; then D=$(cd "$1" && pwd); shift
elif [ -e "$here/node.gz" ]; then D=$here
else D=$(cd "$here/.." && pwd)/.device; fi

if [ -e "$here/../bench/device-env.sh" ]; then . "$here/../bench/device-env.sh"; else . "$here/device-env.sh"; fi
# The unpacked copy is named after the pid node will have; no shell is left to remove it, so a
# later start removes the copies whose worker has exited.
tmp=${TMPDIR:-/tmp}
for old in "$tmp"/pretrain-device.*; do
  if [ -O "$old" ] && ! kill -0 "${old##*.}" 2>/dev/null; then rm -rf "$old"; fi
done
device_unpack "$D" "$tmp/pretrain-device.$$" || exit 1
[ -e "$R/pretrain-worker.js" ] || { echo "error: $D has no pretrain-worker.js: run bench/prepare-device.sh where worker/cli.ts exists"; exit 1; }
device_node || exit 1
device_libs

exec "$NODE" "$R/pretrain-worker.js" "$@"
