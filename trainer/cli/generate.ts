// `npm run generate -- --checkpoint <checkpoint.safetensors | step dir> --prompt "…" [--prompt "…" …] [--temperature 0.8]
//   [--top-k 40] [--max-tokens 100] [--seed N] [--data-dir <dir>] [--json] [--batch]`
// Prints each prompt and its continuation; --json prints one GenerateResult line instead (the server's form), or,
// for several prompts or with --batch, one GenerateBatchResult line: the model loads once and every prompt uses the same seed.
import { z } from "zod";
import { formNumber } from "../../lib/form-number";
import { SamplingOptions, type GenerateResult } from "../../lib/generation";
import { generateMany, InputError } from "../inference/generate";
import { fail, parseFlags } from "./flags";

const Flags = SamplingOptions.omit({ prompt: true }).extend({
  checkpoint: z.string({ error: "--checkpoint <checkpoint.safetensors or its step directory> is required" }).min(1),
  prompts: z.array(SamplingOptions.shape.prompt).default([""]),
  dataDir: z.string().min(1).optional(),
  json: z.boolean().default(false),
  batch: z.boolean().default(false),
});

const numbers = (flags: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(flags).flatMap(([k, v]) => (typeof v === "string" ? [[k, formNumber(v)]] : [])));
const flagName = (key: string) => (key === "prompts" ? "--prompt" : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
const opts = parseFlags(
  {
    checkpoint: { type: "string" }, prompt: { type: "string", multiple: true }, temperature: { type: "string" }, "top-k": { type: "string" },
    "max-tokens": { type: "string" }, seed: { type: "string" }, "data-dir": { type: "string" }, json: { type: "boolean" }, batch: { type: "boolean" },
  },
  Flags,
  // The sampling schema takes numbers only: the flags' text is converted here.
  ({ "top-k": topK, "max-tokens": maxTokens, "data-dir": dataDir, prompt: prompts, temperature, seed, ...rest }) => ({
    ...rest, dataDir, prompts, ...numbers({ temperature, topK, maxTokens, seed }),
  }),
  (i) => `${flagName(String(i.path[0] ?? ""))}: ${i.message}`,
);

const stats = (r: Omit<GenerateResult, "loadMs">, loadMs: number) =>
  `${r.tokens.length} tokens in ${r.ms.toFixed(0)} ms (${(r.tokens.length / Math.max(r.ms / 1000, 1e-9)).toFixed(1)} tokens/s; load ${loadMs.toFixed(0)} ms), ` +
  `stopped at ${r.stop === "eot" ? "end of text" : "--max-tokens"}, seed ${r.seed}`;

try {
  const { results, loadMs } = await generateMany({ ...opts, checkpointFile: opts.checkpoint });
  if (opts.json) console.log(JSON.stringify(opts.batch || results.length > 1 ? { results, loadMs } : { ...results[0], loadMs }));
  else {
    results.forEach((r, i) => {
      if (i > 0) console.log("");
      console.log(opts.prompts[i] + r.text);
      console.error(stats(r, loadMs));
    });
  }
  process.exit(0);
} catch (e) {
  fail((e as Error).message, e instanceof InputError ? 2 : 1);
}
