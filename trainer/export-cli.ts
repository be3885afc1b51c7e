// `npm run export -- --checkpoint <checkpoint.safetensors | step dir> [--out <dir>] [--data-dir <dir>] [--json]`
import { parseArgs } from "node:util";
import { z } from "zod";
import { exportCheckpoint } from "./export";

const Flags = z.object({
  checkpoint: z.string({ error: "--checkpoint <checkpoint.safetensors or its step directory> is required" }).min(1),
  out: z.string().min(1).optional(),
  "data-dir": z.string().min(1).optional(),
  json: z.boolean().default(false),
});

function fail(message: string, code: number): never {
  console.error(`error: ${message}`);
  process.exit(code);
}

let values;
try {
  values = parseArgs({
    options: { checkpoint: { type: "string" }, out: { type: "string" }, "data-dir": { type: "string" }, json: { type: "boolean" } },
  }).values;
} catch (e) {
  fail((e as Error).message, 2);
}
const flags = Flags.safeParse(values);
if (!flags.success) fail(flags.error.issues.map((i) => i.message).join("; "), 2);

try {
  const result = exportCheckpoint({ checkpoint: flags.data.checkpoint, outDir: flags.data.out, dataDir: flags.data["data-dir"] });
  if (flags.data.json) console.log(JSON.stringify(result));
  else {
    console.log(`exported step ${result.step} → ${result.outDir}`);
    for (const f of result.files) console.log(`  ${f.name.padEnd(18)} ${f.bytes.toLocaleString("en-US")} bytes`);
    if (!result.files.some((f) => f.name === "tokenizer.json")) console.log("  (the checkpoint's dataset has no tokenizer.json here; pass --data-dir to find it)");
  }
} catch (e) {
  fail((e as Error).message, 1);
}
