import { MAX_COMPARED_CHECKPOINTS, MAX_NEW_TOKENS, MAX_PROMPTS } from "../../../lib/generation";

export interface CheckpointRef {
  runId: string;
  step: number;
}

/** Everything /compare/checkpoints shows is in its URL, so a copied link reproduces the comparison. */
export interface CheckpointParams {
  checkpoints: CheckpointRef[];
  prompts: string[];
  temperature: number;
  topK: number;
  maxTokens: number;
  seed: number;
  /** The example diff: its task and the index of each checkpoint of its pair. */
  task: string | null;
  a: number;
  b: number;
}

export const DEFAULT_PROMPTS = ["The", "Once upon a time", "I think that"];
export const DEFAULTS = { temperature: 0.8, topK: 40, maxTokens: 40, seed: 1 };

type Params = Record<string, string | string[] | undefined> | URLSearchParams;

function all(p: Params, key: string): string[] {
  if (p instanceof URLSearchParams) return p.getAll(key);
  const v = p[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function num(p: Params, key: string, fallback: number, min: number, max: number, int = true): number {
  const raw = all(p, key)[0];
  const v = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) return fallback;
  return v;
}

export const refKey = (c: CheckpointRef) => `${c.runId}@${c.step}`;

/**
 * Reads `c=<runId>@<step>,…` and the settings; malformed entries and duplicates are returned in
 * `dropped`, so the page can say what it ignored rather than fail.
 */
export function parseCheckpointParams(p: Params): { params: CheckpointParams; dropped: string[] } {
  const dropped: string[] = [];
  const checkpoints: CheckpointRef[] = [];
  for (const entry of all(p, "c").flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean)) {
    const m = entry.match(/^([^@\s]{1,64})@(\d{1,9})$/);
    const ref = m && { runId: m[1], step: Number(m[2]) };
    if (!ref || checkpoints.some((c) => refKey(c) === refKey(ref)) || checkpoints.length >= MAX_COMPARED_CHECKPOINTS) dropped.push(entry);
    else checkpoints.push(ref);
  }
  const prompts = all(p, "p").slice(0, MAX_PROMPTS);
  const last = Math.max(0, checkpoints.length - 1);
  return {
    params: {
      checkpoints,
      prompts: prompts.length ? prompts : DEFAULT_PROMPTS,
      temperature: num(p, "t", DEFAULTS.temperature, 0, 2, false),
      topK: num(p, "k", DEFAULTS.topK, 0, 16384),
      maxTokens: num(p, "n", DEFAULTS.maxTokens, 1, MAX_NEW_TOKENS),
      seed: num(p, "seed", DEFAULTS.seed, 0, 2 ** 31 - 1),
      task: all(p, "task")[0] || null,
      a: Math.min(num(p, "a", 0, 0, MAX_COMPARED_CHECKPOINTS - 1), last),
      b: Math.min(num(p, "b", 1, 0, MAX_COMPARED_CHECKPOINTS - 1), last),
    },
    dropped,
  };
}

/** The page's URL; settings at their defaults are left out to keep links short. */
export function checkpointsHref(p: CheckpointParams): string {
  const q = new URLSearchParams({ c: p.checkpoints.map(refKey).join(",") });
  if (p.prompts.join("\n") !== DEFAULT_PROMPTS.join("\n")) for (const prompt of p.prompts) q.append("p", prompt);
  if (p.temperature !== DEFAULTS.temperature) q.set("t", String(p.temperature));
  if (p.topK !== DEFAULTS.topK) q.set("k", String(p.topK));
  if (p.maxTokens !== DEFAULTS.maxTokens) q.set("n", String(p.maxTokens));
  if (p.seed !== DEFAULTS.seed) q.set("seed", String(p.seed));
  if (p.task) q.set("task", p.task);
  if (p.a !== 0) q.set("a", String(p.a));
  if (p.b !== 1) q.set("b", String(p.b));
  // Commas and @ stay readable in a copied link.
  return `/compare/checkpoints?${q.toString().replaceAll("%2C", ",").replaceAll("%40", "@")}`;
}
