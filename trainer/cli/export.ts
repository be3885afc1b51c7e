// `npm run export -- --checkpoint <checkpoint.safetensors | step dir> [--out <dir>] [--data-dir <dir>] [--json]`
import { z } from "zod";
import { exportCheckpoint, UnsupportedExportError } from "../checkpoint/export";
import { fail, parseFlags } from "./flags";

const Flags = z.object({
  checkpoint: z.string({ error: "--checkpoint <checkpoint.safetensors or its step directory> is required" }).min(1),
  out: z.string().min(1).optional(),
  "data-dir": z.string().min(1).optional(),
  json: z.boolean().default(false),
});

const flags = parseFlags(
  { checkpoint: { type: "string" }, out: { type: "string" }, "data-dir": { type: "string" }, json: { type: "boolean" } },
  Flags,
);

try {
  const result = exportCheckpoint({ checkpoint: flags.checkpoint, outDir: flags.out, dataDir: flags["data-dir"] });
  if (flags.json) console.log(JSON.stringify(result));
  else {
    console.log(`exported step ${result.step} → ${result.outDir}`);
    for (const f of result.files) console.log(`  ${f.name.padEnd(18)} ${f.bytes.toLocaleString("en-US")} bytes`);
    if (!result.files.some((f) => f.name === "tokenizer.json")) console.log("  (the checkpoint's dataset has no tokenizer.json here; pass --data-dir to find it)");
  }
} catch (e) {
  fail((e as Error).message, e instanceof UnsupportedExportError ? 2 : 1); // 2: a bad request (the server answers BAD_REQUEST)
}
