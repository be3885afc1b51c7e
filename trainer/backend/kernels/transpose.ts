import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, stock } from "./replace";

/**
 * Transpose for the wasm backend. The stock C++ loop writes the output column by column, one
 * element per output row; when a row is a multiple of 4 KiB (R = 1024 floats: every activation
 * [B*T, C] with B*T = 1024) all those writes fall into one cache set and it slows from ~1 to ~6 ns
 * per element. Those transposes run here in JS, in small tiles, at ~2.5 ns per element; JS is
 * slower than stock everywhere else, so everything else stays stock (sweep in docs/throughput.md).
 *
 * Every permutation the model uses is, after merging dims that move together, one of
 * [P, R, C, L] -> [P, C, R, L]: a batch P of R x C matrices whose elements are runs of L values
 * (2-D transpose: P = L = 1; attention's head split [B, T, H, d] -> [B, H, T, d]: L = d).
 */

const TILE = 8;

/** dst[p][c][r] = src[p][r][c], writing each output row in runs of TILE. */
function swapMiddle(src: Float32Array | Int32Array, dst: Float32Array | Int32Array, P: number, R: number, C: number): void {
  for (let base = 0; base < P * R * C; base += R * C)
    for (let c0 = 0; c0 < C; c0 += TILE) {
      const c1 = Math.min(c0 + TILE, C);
      for (let r0 = 0; r0 < R; r0 += TILE) {
        const r1 = Math.min(r0 + TILE, R);
        for (let c = c0; c < c1; c++) {
          const d = base + c * R;
          for (let r = r0; r < r1; r++) dst[d + r] = src[base + r * C + c];
        }
      }
    }
}

/** [P, R, C, L] for a permutation that swaps two adjacent groups of dims, else null. */
export function asSwap(shape: number[], perm: number[]): [number, number, number, number] | null {
  // Size-1 dims move freely; drop them, renumbering the rest.
  const kept = perm.filter((d) => shape[d] !== 1);
  const rank = [...kept].sort((a, b) => a - b);
  const p = kept.map((d) => rank.indexOf(d));
  const dims = rank.map((d) => shape[d]);
  // Merge runs of consecutive source dims into blocks.
  const blocks: number[][] = [];
  for (const d of p) {
    const last = blocks.at(-1);
    if (last && d === last.at(-1)! + 1) last.push(d);
    else blocks.push([d]);
  }
  const size = (b: number[]) => b.reduce((n, d) => n * dims[d], 1);
  const order = blocks.map((b) => b[0]); // source position of each output block
  const sorted = [...blocks].sort((a, b) => a[0] - b[0]).map(size); // block sizes in source order
  const pattern = order.map((o) => [...order].sort((a, b) => a - b).indexOf(o)).join("");
  if (pattern === "" || pattern === "0") return [1, 1, 1, sorted[0] ?? 1];
  if (pattern === "10") return [1, sorted[0], sorted[1], 1];
  if (pattern === "021") return [sorted[0], sorted[1], sorted[2], 1];
  if (pattern === "102") return [1, sorted[0], sorted[1], sorted[2]];
  if (pattern === "0213") return [sorted[0], sorted[1], sorted[2], sorted[3]];
  return null;
}

/** x transposed by `perm` on the wasm backend, by whichever of JS and the stock kernel is faster. */
export function transposeOn(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  const swap = x.dtype === "float32" || x.dtype === "int32" ? asSwap(x.shape, perm) : null;
  const outShape = perm.map((d) => x.shape[d]);
  if (swap && (swap[1] === 1 || swap[2] === 1)) {
    // Nothing moves in memory: share the data, as Reshape does.
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: outShape, dtype: x.dtype };
  }
  if (!swap || swap[3] !== 1 || swap[1] % 1024 !== 0)
    return stock(tf.Transpose)({ inputs: { x }, backend, attrs: { perm } } as KernelArgs) as tf.TensorInfo;
  const [P, R, C] = swap;
  const out = backend.makeOutput(outShape, x.dtype);
  // Views after makeOutput: its malloc may grow the heap and detach older views.
  swapMiddle(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, P, R, C);
  return out;
}

export function transpose(args: KernelArgs): tf.TensorInfo {
  return transposeOn(args.backend as BackendWasm, args.inputs.x as tf.TensorInfo, args.attrs!.perm as number[]);
}
