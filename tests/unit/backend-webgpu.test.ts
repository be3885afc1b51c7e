import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { explainNoAdapter, startWebgpu, vulkanFacts } from "../../trainer/backend/webgpu";

test("each missing piece of Vulkan gets its own plain reason, without the summary's separator", () => {
  const none = { loader: false, drivers: [], gpuDevice: false, nvidia: false };
  assert.equal(explainNoAdapter(none), "the Vulkan loader libvulkan.so.1 is not installed");
  assert.match(explainNoAdapter({ ...none, gpuDevice: true, nvidia: true }), /^the Vulkan loader libvulkan\.so\.1 is not installed \(NVIDIA's Vulkan driver is nvidia_icd\.json .*graphics in NVIDIA_DRIVER_CAPABILITIES\)$/);
  assert.match(explainNoAdapter({ ...none, loader: true }), /^Vulkan has no driver \(no ICD manifest in \/etc\/vulkan\/icd\.d or /);
  assert.equal(
    explainNoAdapter({ ...none, loader: true, drivers: ["intel_icd.x86_64.json", "lvp_icd.x86_64.json"] }),
    "no GPU device (/dev/dri or /dev/nvidia*) for the Vulkan drivers here: intel_icd.x86_64.json, lvp_icd.x86_64.json (software)",
  );
  assert.equal(explainNoAdapter({ ...none, loader: true, gpuDevice: true, drivers: ["lvp_icd.x86_64.json"] }), "software Vulkan only (lvp_icd.x86_64.json (software))");
  assert.match(explainNoAdapter({ ...none, loader: true, gpuDevice: true, nvidia: true, drivers: ["nvidia_icd.json"] }), /^Dawn accepted none of the Vulkan drivers \(nvidia_icd\.json\)/);
  for (const loader of [false, true])
    for (const nvidia of [false, true])
      for (const drivers of [[], ["lvp_icd.x86_64.json"], ["nvidia_icd.json"]])
        assert.doesNotMatch(explainNoAdapter({ loader, drivers, gpuDevice: nvidia, nvidia }), /;/);
});

test("vulkanFacts finds the loader on LD_LIBRARY_PATH and the drivers VK_ICD_FILENAMES names", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vulkan-"));
  try {
    fs.writeFileSync(path.join(dir, "libvulkan.so.1"), "");
    fs.writeFileSync(path.join(dir, "vk_swiftshader_icd.json"), "{}");
    const f = vulkanFacts({ LD_LIBRARY_PATH: `/nonexistent:${dir}`, VK_ICD_FILENAMES: `${dir}/vk_swiftshader_icd.json:${dir}/missing.json` });
    assert.equal(f.loader, true);
    assert.deepEqual(f.drivers, ["vk_swiftshader_icd.json"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a webgpu package that fails to load is a reason, not a crash", async () => {
  const r = await startWebgpu({ allowSoftware: true, load: () => Promise.reject(new Error("libvulkan.so.1: cannot open shared object file\nstack")) });
  assert.deepEqual(r, { ok: false, reason: "the webgpu package failed to load (libvulkan.so.1: cannot open shared object file)" });
});

// Chromium (the browser tests' own) ships SwiftShader, a software Vulkan driver that Dawn accepts:
// the whole webgpu path runs on it, in a child process because the loader path is read at start.
const CHROMIUM = "/usr/lib/chromium";
const swiftshader = fs.existsSync(`${CHROMIUM}/vk_swiftshader_icd.json`) ? false : "no Chromium SwiftShader here";

const CHILD = `
const tf = await import("@tensorflow/tfjs");
const { selectBackend } = await import(${JSON.stringify(path.resolve("trainer/backend/backend.ts"))});
const out = { auto: await selectBackend("auto"), webgpu: await selectBackend("webgpu") };
const run = async () => {
  const a = tf.randomNormal([64, 48], 0, 1, "float32", 1), b = tf.randomNormal([48, 32], 0, 1, "float32", 2);
  const g = tf.grad((x) => tf.matMul(x, b).square().sum())(a);
  return Array.from(await g.data());
};
out.gpu = await run();
try { tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync(); } catch (e) { out.syncError = e.message; }
await tf.setBackend("cpu");
out.cpu = await run();
console.log(JSON.stringify(out));
`;

test("webgpu computes gradients on SwiftShader: explicit runs with a warning, auto skips it for wasm", { skip: swiftshader, timeout: 120_000 }, () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], {
    encoding: "utf8",
    env: { ...process.env, VK_ICD_FILENAMES: `${CHROMIUM}/vk_swiftshader_icd.json`, LD_LIBRARY_PATH: CHROMIUM },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(out.auto.name, "wasm");
  assert.match(out.auto.note, /^tensorflow: not installed; webgpu: only a software adapter \(SwiftShader driver 5\.0\.0\), slower than wasm; using wasm, matrix products on /);
  assert.deepEqual(out.webgpu, { name: "webgpu", label: "webgpu", warning: "webgpu runs on a software adapter (SwiftShader driver 5.0.0), not a GPU; wasm is likely faster" });
  const maxDiff = Math.max(...out.gpu.map((v: number, i: number) => Math.abs(v - out.cpu[i]) / (1 + Math.abs(out.cpu[i]))));
  assert.ok(maxDiff < 1e-4, `gradient differs from cpu by ${maxDiff}`);
  assert.match(out.syncError, /^webgpu in Node cannot read a tensor synchronously \(dataSync\/arraySync\); use await tensor\.data\(\) \(OffscreenCanvas is not defined\)$/);
});
