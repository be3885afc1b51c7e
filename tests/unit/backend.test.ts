import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../trainer/backend/backend";
import { activeGemm, nativeGemm, nativeGemmEnabled, useNativeGemm } from "../../trainer/backend/kernels/native-gemm";
import { vulkanFacts } from "../../trainer/backend/webgpu";

// These machines have no GPU: webgpu finds no adapter, whatever Vulkan is installed.
const noGpu = vulkanFacts().gpuDevice ? "this machine has a GPU device" : false;

test("auto falls through to wasm and says why it skipped tensorflow and webgpu", { skip: noGpu }, async () => {
  const r = await selectBackend("auto");
  assert.equal(r.name, "wasm");
  assert.match(r.note ?? "", /^tensorflow: not installed; webgpu: no GPU adapter: [^;]+; using wasm, matrix products on (OpenBLAS \d[\d.]*|XNNPACK; OpenBLAS not used: .+|XNNPACK \(OpenBLAS turned off by TRAINER_NATIVE_GEMM=0\))$/);
  assert.equal(r.label, activeGemm() ? "wasm + OpenBLAS" : "wasm");
  assert.ok(r.note!.length <= 500, "one log line");
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(tf.getKernel("UnsortedSegmentSum", "wasm"), "missing kernel registered");
});

test("explicit webgpu without a GPU fails with the reason", { skip: noGpu }, async () => {
  await assert.rejects(
    selectBackend("webgpu"),
    /^Error: Backend "webgpu" cannot start: no GPU adapter: (the Vulkan loader libvulkan\.so\.1 is not installed|.*Vulkan).*\. Choose "auto" or "wasm" on this machine\.$/,
  );
});

test("explicit tensorflow that cannot load throws a clear error", async () => {
  await assert.rejects(selectBackend("tensorflow"), /tfjs-node.*neither loads \(not installed\)/);
});

test("wasm says where its matrix products run; turned off, XNNPACK", async () => {
  const native = nativeGemm();
  const wasEnabled = nativeGemmEnabled();
  useNativeGemm(true); // the note with OpenBLAS on, whatever TRAINER_NATIVE_GEMM says
  const on = await selectBackend("wasm");
  assert.equal(on.note, native.ok ? `matrix products on ${native.lib.config.split(" ").slice(0, 2).join(" ")}` : `matrix products on XNNPACK; OpenBLAS not used: ${native.ok || native.reason}`);
  useNativeGemm(false);
  try {
    assert.deepEqual(await selectBackend("wasm"), { name: "wasm", label: "wasm", note: "matrix products on XNNPACK (OpenBLAS turned off by TRAINER_NATIVE_GEMM=0)" });
  } finally {
    useNativeGemm(wasEnabled);
  }
});

test("cpu is never silent", async () => {
  const r = await selectBackend("cpu");
  assert.equal(r.name, "cpu");
  assert.match(r.warning ?? "", /slower/);
  assert.equal((await selectBackend("wasm")).name, "wasm");
});
