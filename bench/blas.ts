// Which BLAS each side of bench/train-throughput.ts multiplies on. Debian's python3-torch calls the
// generic libblas.so.3, which the alternatives system points at OpenBLAS only when
// libopenblas0-pthread is installed; otherwise at the reference BLAS, about 30× slower at GEMM.
// A ratio against that measures the BLAS, not the trainer, so the bench refuses to print one.
// Pure: the bench gathers the inputs (the python process's mapped libraries, torch's build line).

export const BLAS_KINDS = ["openblas", "mkl", "blis", "atlas", "accelerate", "reference", "unknown"] as const;
export type BlasKind = (typeof BLAS_KINDS)[number];

/** Optimised BLAS libraries; a comparison against any other is refused. */
export const FAST_BLAS: ReadonlySet<BlasKind> = new Set(["openblas", "mkl", "blis", "atlas", "accelerate"]);

export interface BlasInfo {
  kind: BlasKind;
  /** What the kind was read from: the library paths, or the build line's BLAS_INFO. */
  detail: string;
}

const BY_PATH: [RegExp, BlasKind][] = [
  [/openblas/i, "openblas"],
  [/mkl/i, "mkl"],
  [/blis/i, "blis"],
  [/atlas/i, "atlas"],
  [/accelerate|veclib/i, "accelerate"],
];

/**
 * Classifies the BLAS a process runs on from the shared libraries mapped into it (resolved paths)
 * and, when none names one (a wheel with MKL linked in statically), the BLAS_INFO of torch's build
 * line. A bare libblas.so / libcblas.so outside any optimised library's folder is the reference BLAS.
 */
export function classifyBlas(libs: string[], buildInfo = ""): BlasInfo {
  for (const [re, kind] of BY_PATH) {
    const hit = libs.filter((l) => re.test(l));
    if (hit.length) return { kind, detail: hit.join(", ") };
  }
  const reference = libs.filter((l) => /^lib(c)?blas\.so/.test(l.split("/").at(-1) ?? ""));
  if (reference.length) return { kind: "reference", detail: reference.join(", ") };
  const info = /BLAS_INFO=([^,\s]+)/.exec(buildInfo)?.[1];
  if (info) {
    const kind: BlasKind = /mkl/i.test(info) ? "mkl" : /open/i.test(info) ? "openblas" : /blis/i.test(info) ? "blis" : /accelerate/i.test(info) ? "accelerate" : "unknown";
    return { kind, detail: `BLAS_INFO=${info} in torch's build line, no BLAS library mapped` };
  }
  return { kind: "unknown", detail: libs.length ? libs.join(", ") : "no BLAS library mapped and no BLAS_INFO" };
}

const NAMES: Record<BlasKind, string> = {
  openblas: "OpenBLAS", mkl: "Intel MKL", blis: "BLIS", atlas: "ATLAS", accelerate: "Apple Accelerate", reference: "the reference BLAS (netlib, unoptimised)", unknown: "an unknown BLAS",
};

export const describeBlas = (b: BlasInfo) => `${NAMES[b.kind]} (${b.detail})`;

/** Why no ratio may be printed against PyTorch on this BLAS, or null when it is an optimised one. */
export function torchBlasRefusal(b: BlasInfo, installHint: string): string | null {
  if (FAST_BLAS.has(b.kind)) return null;
  return `PyTorch would run on ${describeBlas(b)}; against an unoptimised BLAS the ratio measures the BLAS, not the trainer, so PyTorch is not measured and no ratio is printed. ${installHint}`;
}

/** What our side's matrix products run on, from the backend's name and the OpenBLAS addon's state. */
export function ourBlas(backend: string, gemm: { enabled: boolean; ok: true; config: string; threads: number } | { enabled: boolean; ok: false; reason: string }): string {
  if (backend === "tensorflow") return "libtensorflow's own kernels (Eigen on CPU, cuBLAS on a GPU)";
  if (backend === "webgpu") return "WebGPU compute shaders (no BLAS)";
  if (backend === "cpu") return "tfjs's JavaScript cpu kernels (no BLAS)";
  if (!gemm.enabled) return "XNNPACK in wasm (OpenBLAS turned off by TRAINER_NATIVE_GEMM=0)";
  return gemm.ok ? `OpenBLAS, ${gemm.threads} threads (${gemm.config})` : `XNNPACK in wasm (no OpenBLAS: ${gemm.reason})`;
}
