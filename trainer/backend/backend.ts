import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { memoryLimitBytes } from "../../host/memory-limit";
import type { BackendReport } from "../../lib/backends";
import type { BACKENDS } from "../../lib/run-config";
import { nativeGemm, nativeGemmEnabled } from "./kernels/native-gemm";
import { registerWasmKernels } from "./kernels/wasm";
import { firstLine, startWebgpu } from "./webgpu";

export type BackendChoice = (typeof BACKENDS)[number];

// Optional dependencies: their install downloads libtensorflow, which often fails. Each
// registers the "tensorflow" backend when it loads.
const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

async function tryNative(): Promise<{ ok: true; pkg: string } | { ok: false; reason: string }> {
  const reasons: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    try {
      await import(/* webpackIgnore: true */ pkg);
      if (await tf.setBackend("tensorflow")) {
        await tf.ready();
        return { ok: true, pkg };
      }
      reasons.push(`${pkg}: loaded but the tensorflow backend did not initialise`);
    } catch (e) {
      reasons.push(notInstalled(e, pkg) ? `${pkg} not installed` : `${pkg}: ${firstLine(e)}`);
    }
  }
  return { ok: false, reason: reasons.every((r) => r.endsWith(" not installed")) ? "not installed" : reasons.join(", ") };
}

let wasmPathsSet = false;

async function tryWasm(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    registerWasmKernels();
    if (!wasmPathsSet) {
      // The .wasm binaries sit next to the package's Node entry (dist/); point at them
      // explicitly so bundling or a changed working directory cannot lose them.
      const entry = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
      setWasmPaths(path.dirname(entry) + path.sep);
      wasmPathsSet = true;
    }
    const listeners = () => [...process.listeners("uncaughtException"), ...process.listeners("unhandledRejection")];
    const before = new Set(listeners());
    const ok = await tf.setBackend("wasm");
    await tf.ready();
    // The Emscripten loader installs process handlers that rethrow from inside the handler, so
    // every later crash prints the whole minified wasm glue as its "source line". Node's defaults
    // do the same job without that noise.
    for (const l of listeners()) {
      if (before.has(l)) continue;
      process.removeListener("uncaughtException", l as NodeJS.UncaughtExceptionListener);
      process.removeListener("unhandledRejection", l as NodeJS.UnhandledRejectionListener);
    }
    if (!ok) return { ok: false, reason: "wasm backend did not initialise" };
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: firstLine(e) };
  }
}

function notInstalled(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string };
  return (err.code === "ERR_MODULE_NOT_FOUND" || err.code === "MODULE_NOT_FOUND") && String(err.message).includes(pkg);
}

// Measured on the default model (2 layers, width 64, batch 8 x 64): cpu ~200 tokens/s, wasm ~30x that.
const CPU_SLOW = "the pure-JS cpu backend is much slower than wasm (at least 4x; ~30x measured for the default model)";

/** Where wasm's matrix products run: OpenBLAS when it loads (kernels/native-gemm.ts), else XNNPACK. */
function wasmGemm(): { label: string; note: string } {
  if (!nativeGemmEnabled()) return { label: "wasm", note: "matrix products on XNNPACK (OpenBLAS turned off by TRAINER_NATIVE_GEMM=0)" };
  const s = nativeGemm();
  return s.ok
    ? { label: "wasm + OpenBLAS", note: `matrix products on ${s.lib.config.split(" ").slice(0, 2).join(" ")}` }
    : { label: "wasm", note: `matrix products on XNNPACK; OpenBLAS not used: ${s.reason}` };
}

export type SelectedBackend = {
  /** The backend tfjs runs: tensorflow, webgpu, wasm or cpu. */
  name: string;
  /** The name with what it computes on, for the run page: "wasm + OpenBLAS". */
  label: string;
  warning?: string;
  note?: string;
};

/**
 * Picks and initialises the TensorFlow.js backend. `auto` tries native TensorFlow (GPU, then
 * CPU), then webgpu on a GPU adapter, then wasm, then cpu; when it skips one, the warning names
 * each skipped backend and why (the run page and the CLI show it).
 */
export async function selectBackend(choice: BackendChoice): Promise<SelectedBackend> {
  if (choice === "tensorflow") {
    const r = await tryNative();
    if (!r.ok)
      throw new Error(
        `Backend "tensorflow" needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, and neither loads (${r.reason}). ` +
          `Install one (set TFJS_NODE_CDN_STORAGE to a mirror if the libtensorflow download fails) or choose "wasm".`,
      );
    return { name: tf.getBackend(), label: tf.getBackend() };
  }
  if (choice === "webgpu") {
    const r = await startWebgpu({ allowSoftware: true });
    if (!r.ok) throw new Error(`Backend "webgpu" cannot start: ${r.reason}. Choose "auto" or "wasm" on this machine.`);
    return { name: "webgpu", label: "webgpu", warning: r.software ? `webgpu runs on a software adapter (${r.adapter}), not a GPU; wasm is likely faster` : undefined };
  }
  if (choice === "wasm") {
    const r = await tryWasm();
    if (!r.ok) throw new Error(`Backend "wasm" failed to initialise: ${r.reason}`);
    const gemm = wasmGemm();
    return { name: "wasm", label: gemm.label, note: gemm.note };
  }
  if (choice === "cpu") {
    await tf.setBackend("cpu");
    await tf.ready();
    return { name: "cpu", label: "cpu", warning: `cpu backend chosen explicitly; ${CPU_SLOW}` };
  }
  const native = await tryNative();
  if (native.ok) return { name: tf.getBackend(), label: tf.getBackend() };
  const skipped = [`tensorflow: ${native.reason}`];
  const gpu = await startWebgpu({ allowSoftware: false, probing: true });
  // Skipping what is not installed is the normal case: a note for the log, not a warning on the run.
  if (gpu.ok) return { name: "webgpu", label: "webgpu", note: summary(skipped, `using webgpu on ${gpu.adapter}`) };
  skipped.push(`webgpu: ${gpu.reason}`);
  const wasm = await tryWasm();
  if (wasm.ok) {
    const gemm = wasmGemm();
    return { name: "wasm", label: gemm.label, note: summary(skipped, `using wasm, ${gemm.note}`) };
  }
  skipped.push(`wasm: ${wasm.reason}`);
  await tf.setBackend("cpu");
  await tf.ready();
  return { name: "cpu", label: "cpu", warning: summary(skipped, `using cpu: ${CPU_SLOW}`) };
}

/**
 * Tries every backend in this process and says which start and why the others do not: the run
 * form shows it beside the backend field, and `npm run backends` prints it. The last one tried
 * stays active.
 */
export async function probeBackends(cores: number): Promise<BackendReport> {
  const native = await tryNative();
  const gpu = await startWebgpu({ allowSoftware: true, probing: true });
  const wasm = await tryWasm();
  const backends: BackendReport["backends"] = [
    native.ok ? { name: "tensorflow", available: true, detail: `${native.pkg} loaded` } : { name: "tensorflow", available: false, detail: native.reason },
    gpu.ok
      ? { name: "webgpu", available: true, detail: gpu.software ? `software adapter ${gpu.adapter}, not a GPU: slower than wasm, and auto skips it` : `GPU adapter ${gpu.adapter}` }
      : { name: "webgpu", available: false, detail: gpu.reason },
    wasm.ok ? { name: "wasm", available: true, detail: `${wasmGemm().note}; workers can use all ${cores} cores` } : { name: "wasm", available: false, detail: wasm.reason },
    { name: "cpu", available: true, detail: CPU_SLOW },
  ];
  const auto = native.ok ? "tensorflow" : gpu.ok && !gpu.software ? "webgpu" : wasm.ok ? "wasm" : "cpu";
  return { auto, cores, memoryBytes: memoryLimitBytes(), backends };
}

/** One line for the run page (at most 500 characters) and the CLI. */
function summary(skipped: string[], outcome: string): string {
  const line = `${skipped.join("; ")}; ${outcome}`;
  return line.length <= 500 ? line : `${line.slice(0, 499)}…`;
}
