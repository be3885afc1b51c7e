// `npm run generate -- --checkpoint <checkpoint.safetensors | step dir> --prompt "…" [--temperature 0.8]
//   [--top-k 40] [--max-tokens 100] [--seed N] [--data-dir <dir>] [--json]`
// Prints the prompt and its continuation; --json prints one GenerateResult line instead (the server's form).
import { z } from "zod";
import { SamplingOptions } from "../lib/generation";
import { fail, parseFlags } from "./cli-flags";
import { generate, InputError } from "./generate";

const Flags = SamplingOptions.extend({
  checkpoint: z.string({ error: "--checkpoint <checkpoint.safetensors or its step directory> is required" }).min(1),
  prompt: SamplingOptions.shape.prompt.default(""),
  dataDir: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const opts = parseFlags(
  {
    checkpoint: { type: "string" }, prompt: { type: "string" }, temperature: { type: "string" }, "top-k": { type: "string" },
    "max-tokens": { type: "string" }, seed: { type: "string" }, "data-dir": { type: "string" }, json: { type: "boolean" },
  },
  Flags,
  ({ "top-k": topK, "max-tokens": maxTokens, "data-dir": dataDir, ...rest }) => ({ ...rest, topK, maxTokens, dataDir }),
  (i) => `${flagName(String(i.path[0] ?? ""))}: ${i.message}`,
);

try {
  const result = await generate({ ...opts, checkpointFile: opts.checkpoint });
  if (opts.json) console.log(JSON.stringify(result));
  else {
    console.log(opts.prompt + result.text);
    const rate = result.tokens.length / Math.max(result.ms / 1000, 1e-9);
    console.error(
      `${result.tokens.length} tokens in ${result.ms.toFixed(0)} ms (${rate.toFixed(1)} tokens/s; load ${result.loadMs.toFixed(0)} ms), ` +
        `stopped at ${result.stop === "eot" ? "end of text" : "--max-tokens"}, seed ${result.seed}`,
    );
  }
  process.exit(0);
} catch (e) {
  fail((e as Error).message, e instanceof InputError ? 2 : 1);
}
