/**
 * Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models"), Approach 3: the
 * parametric fit L(N, D) = E + A/N^α + B/D^β. Fit on MassiveText with its SentencePiece tokenizer,
 * so on another dataset or tokenizer the loss is indicative only. N counts all parameters.
 */
export const CHINCHILLA = { E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 } as const;

/** Chinchilla's rule of thumb: compute-optimal training uses about 20 tokens per parameter. */
export const TOKENS_PER_PARAM = 20;

/** Ratios within this factor of 20 count as about compute-optimal. */
const NEAR = 1.25;

/**
 * What the fit was made on: "over 400 language models ranging from 70 million to over 16 billion
 * parameters on 5 to 500 billion tokens". Outside these the power laws are extrapolated: far below
 * them A/N^α and B/D^β grow without bound, to losses above the uniform guess over the vocabulary.
 */
export const CHINCHILLA_FIT = { params: { min: 70e6, max: 16e9 }, tokens: { min: 5e9, max: 500e9 } } as const;

/** How far outside the fitted range a value lies: 1 inside it, else the factor below the minimum or above the maximum. */
export interface FitOffset {
  side: "within" | "below" | "above";
  factor: number;
}

function offset(x: number, range: { min: number; max: number }): FitOffset {
  if (x < range.min) return { side: "below", factor: range.min / x };
  if (x > range.max) return { side: "above", factor: x / range.max };
  return { side: "within", factor: 1 };
}

/** Beyond this factor outside the fitted range the formula's value is not shown as a loss at all. */
export const FAR_OUTSIDE_FIT = 10;

export interface FitCheck {
  /** Both N and D inside the fitted range. */
  inRange: boolean;
  /** N or D more than FAR_OUTSIDE_FIT× outside it. */
  far: boolean;
  params: FitOffset;
  tokens: FitOffset;
}

/** Where N and D sit against the range the fit was made on. */
export function fitRange(params: number, tokens: number): FitCheck {
  const p = offset(params, CHINCHILLA_FIT.params);
  const t = offset(tokens, CHINCHILLA_FIT.tokens);
  return { inRange: p.side === "within" && t.side === "within", far: Math.max(p.factor, t.factor) > FAR_OUTSIDE_FIT, params: p, tokens: t };
}

/** The loss as the panel shows it: plain inside the fit, marked just outside, withheld far outside. */
export function fittedLoss(loss: number, fit: FitCheck): string {
  if (fit.inRange) return loss.toFixed(3);
  return fit.far ? "outside the fit" : `${loss.toFixed(3)} (extrapolated)`;
}

export function chinchillaLoss(params: number, tokens: number): number {
  const { E, A, B, alpha, beta } = CHINCHILLA;
  return E + A / params ** alpha + B / tokens ** beta;
}

/** With C = 6·N·D and D = 20·N: N_opt = √(C / 120), D_opt = 20·N_opt. */
export function computeOptimal(flops: number): { params: number; tokens: number } {
  const params = Math.sqrt(flops / (6 * TOKENS_PER_PARAM));
  return { params, tokens: TOKENS_PER_PARAM * params };
}

export type Regime = "under-trained" | "compute-optimal" | "over-trained";

/** Fewer tokens per parameter than ≈ 20 is under-trained for the compute spent; more is over-trained. */
export function regime(tokensPerParam: number): Regime {
  if (tokensPerParam < TOKENS_PER_PARAM / NEAR) return "under-trained";
  if (tokensPerParam > TOKENS_PER_PARAM * NEAR) return "over-trained";
  return "compute-optimal";
}

const count = (x: number) => {
  const units: [number, string][] = [[1e12, " T"], [1e9, " B"], [1e6, " M"], [1e3, " K"]];
  const [div, unit] = units.find(([d]) => x >= d) ?? [1, ""];
  return `${Number((x / div).toPrecision(3))}${unit}`;
};
const times = (f: number) => `${f < 10 ? f.toFixed(1) : Math.round(f).toLocaleString("en-US")}×`;

/** One clause per value outside the fitted range, e.g. "N = 235 K is 298× below the smallest model fitted (70 M)". */
export function outsideFit(params: number, tokens: number): string[] {
  const fit = fitRange(params, tokens);
  const out: string[] = [];
  const { params: P, tokens: D } = CHINCHILLA_FIT;
  if (fit.params.side === "below") out.push(`N = ${count(params)} is ${times(fit.params.factor)} below the smallest model fitted (${count(P.min)})`);
  if (fit.params.side === "above") out.push(`N = ${count(params)} is ${times(fit.params.factor)} above the largest model fitted (${count(P.max)})`);
  if (fit.tokens.side === "below") out.push(`D = ${count(tokens)} is ${times(fit.tokens.factor)} below the fewest tokens fitted (${count(D.min)})`);
  if (fit.tokens.side === "above") out.push(`D = ${count(tokens)} is ${times(fit.tokens.factor)} above the most tokens fitted (${count(D.max)})`);
  return out;
}
