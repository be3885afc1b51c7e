// OpenBLAS under the wasm backend's BatchMatMul. XNNPACK in wasm reaches 20–30 GFLOP/s per core
// here, native OpenBLAS about 100 (AVX2 and FMA, which wasm's 128-bit SIMD cannot issue), so where
// OpenBLAS is installed the products run on it, in place in the wasm heap (native/gemm.c). The
// addon is compiled on first use with the machine's C compiler and Node's headers, and cached.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

export interface NativeGemm {
  /** For each i: C_i[M,N] = op(A_i) @ op(B_i), row-major at byte offsets of `heap`. */
  gemm(heap: ArrayBufferLike, transA: number, transB: number, M: number, N: number, K: number, a: Float64Array, b: Float64Array, c: Float64Array): void;
  /** Sets OpenBLAS's thread count when given one; returns the count. */
  threads(n?: number): number;
  /** OpenBLAS's build line, e.g. "OpenBLAS 0.3.21 … Cooperlake MAX_THREADS=64". */
  config: string;
}

export type NativeGemmStatus = { ok: true; lib: NativeGemm } | { ok: false; reason: string };

const SOURCE = path.join(import.meta.dirname, "native", "gemm.c");
const HEADER_DIRS = [path.resolve(path.dirname(process.execPath), "../include/node"), "/usr/include/node", "/usr/local/include/node"];

let status: NativeGemmStatus | undefined;
/** TRAINER_NATIVE_GEMM=0 keeps every product on XNNPACK (benchmarks compare both). */
let enabled = process.env.TRAINER_NATIVE_GEMM !== "0";

/** The addon, built and loaded once per thread; `reason` says why not in one line. */
export function nativeGemm(): NativeGemmStatus {
  status ??= loadNativeGemm();
  return status;
}

/** The addon the kernels should use now, or null for XNNPACK. */
export function activeGemm(): NativeGemm | null {
  if (!enabled) return null;
  const s = nativeGemm();
  return s.ok ? s.lib : null;
}

/** Turns the OpenBLAS path on or off in this thread (tests and benchmarks compare both). */
export function useNativeGemm(on: boolean): void {
  enabled = on;
}

export const nativeGemmEnabled = () => enabled;

/** Builds (unless cached) and loads the addon; the options are for tests. */
export function loadNativeGemm(opts: { cacheDir?: string; compiler?: string } = {}): NativeGemmStatus {
  const compiler = opts.compiler ?? "cc";
  let source: string;
  try {
    source = fs.readFileSync(SOURCE, "utf8");
  } catch {
    return { ok: false, reason: `its source ${SOURCE} is missing` };
  }
  const headers = HEADER_DIRS.find((d) => fs.existsSync(path.join(d, "node_api.h")));
  const key = createHash("sha256").update(source).update(`${process.versions.modules} ${process.arch} ${process.platform}`).digest("hex").slice(0, 16);
  const file = path.join(opts.cacheDir ?? cacheDir(), `gemm-${key}.node`);
  if (!fs.existsSync(file)) {
    if (!headers) return { ok: false, reason: `Node's headers (node_api.h) are not in ${HEADER_DIRS.join(" or ")}` };
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      execFileSync(compiler, ["-O2", "-shared", "-fPIC", `-I${headers}`, "-o", tmp, SOURCE, "-ldl"], { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
      fs.renameSync(tmp, file); // atomic: trainers starting together never load a half-written file
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      const err = e as { code?: string; stderr?: Buffer; message: string };
      if (err.code === "ENOENT") return { ok: false, reason: `no C compiler (${compiler}) to build it` };
      return { ok: false, reason: `building it failed: ${(err.stderr?.toString() || err.message).trim().split("\n")[0].slice(0, 200)}` };
    }
  }
  try {
    return { ok: true, lib: createRequire(import.meta.url)(file) as NativeGemm };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split("\n")[0].slice(0, 200) };
  }
}

function cacheDir(): string {
  for (const dir of [path.resolve(import.meta.dirname, "../../../node_modules/.cache/native-gemm"), path.join(os.tmpdir(), "native-gemm")]) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
      return dir;
    } catch {
      // not writable (a read-only install): try the next
    }
  }
  return os.tmpdir();
}
