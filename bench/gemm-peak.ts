// Our backend's best square 2-D matmul, for context beside the machine's GEMM peak: it bounds what
// a step can reach without kernels of our own.
import * as tf from "@tensorflow/tfjs";
import { activeGemm } from "../trainer/backend/kernels/native-gemm";

export interface MatmulPeak {
  backend: string;
  /** Best GFLOP/s per size. */
  bySize: { n: number; gflops: number }[];
  gflops: number;
}

/** Times a @ b on the current backend for growing n; stops growing once one product takes over a second. */
export async function ourMatmulPeak(sizes = [256, 512, 1024, 2048]): Promise<MatmulPeak> {
  const bySize: MatmulPeak["bySize"] = [];
  for (const n of sizes) {
    const a = tf.randomNormal([n, n]);
    const b = tf.randomNormal([n, n]);
    const once = async () => {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      await c.data(); // the read waits for async backends; on wasm it is a copy of n² floats
      c.dispose();
      return (performance.now() - t0) / 1000;
    };
    const first = await once(); // warm-up: kernel setup, first allocation
    const reps = Math.max(2, Math.min(10, Math.ceil(0.5 / first)));
    let best = Infinity;
    for (let i = 0; i < reps; i++) best = Math.min(best, await once());
    tf.dispose([a, b]);
    bySize.push({ n, gflops: (2 * n ** 3) / best / 1e9 });
    if (first > 1) break;
  }
  return { backend: activeGemm() && tf.getBackend() === "wasm" ? "wasm + OpenBLAS" : tf.getBackend(), bySize, gflops: Math.max(...bySize.map((s) => s.gflops)) };
}
