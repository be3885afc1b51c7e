import { swigluHidden, type ModelShape } from "../estimates";

/**
 * Shapes of every weight of the model in trainer/model/model.ts, in the trainer's order ([in, out] for
 * matrices). Adafactor's memory depends on them, not only on the count; the LM head is tied to wte.
 */
export function paramShapes(c: ModelShape): number[][] {
  const d = c.dModel;
  const out: number[][] = [[c.vocabSize, d]];
  if (c.arch === "llama") {
    const f = swigluHidden(d);
    for (let l = 0; l < c.nLayer; l++) out.push([d], [d, d], [d, d], [d, d], [d, d], [d], [d, f], [d, f], [f, d]);
    out.push([d]);
    return out;
  }
  out.push([c.contextLength, d]);
  for (let l = 0; l < c.nLayer; l++)
    out.push([d], [d], [d, 3 * d], [3 * d], [d, d], [d], [d], [d], [d, 4 * d], [4 * d], [4 * d, d], [d]);
  out.push([d], [d]);
  return out;
}

export const elements = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
