// Prepares a dataset: `npm run prepare-data -- --spec spec.json` shows a progress bar; Ctrl-C cancels.
// Under the dashboard (--json) it prints one JSON object per line: progress, then done or error.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DatasetSpec } from "../../lib/dataset-spec";
import { Cancelled, datasetId, prepareDataset, type PrepareProgress } from "../pipeline/prepare";

function fail(message: string, code = 2): never {
  if (json) console.log(JSON.stringify({ type: "error", error: message }));
  else console.error(`error: ${message}`);
  process.exit(code);
}

let json = false;
let values: { spec?: string; "data-dir"?: string; json?: boolean };
try {
  values = parseArgs({ options: { spec: { type: "string" }, "data-dir": { type: "string" }, json: { type: "boolean" } } }).values;
} catch (e) {
  fail((e as Error).message);
}
json = values.json ?? false;
if (!values.spec) fail("--spec <file.json> is required (a DatasetSpec; {\"name\":\"mine\"} takes every default)");
let raw: unknown;
try {
  raw = JSON.parse(fs.readFileSync(values.spec, "utf8"));
} catch (e) {
  fail(`cannot read spec ${values.spec}: ${(e as Error).message}`);
}
const parsed = DatasetSpec.safeParse(raw);
if (!parsed.success)
  fail(`invalid spec ${values.spec}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
const dataDir = path.resolve(values["data-dir"] ?? process.env.DATA_DIR ?? "./data");

const abort = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => abort.abort());

let last = 0;
function show(p: PrepareProgress) {
  if (json) {
    if (Date.now() - last < 250 && p.fraction < 1) return;
    last = Date.now();
    console.log(JSON.stringify({ type: "progress", ...p }));
    return;
  }
  const width = 30;
  const filled = Math.round(p.fraction * width);
  const line = `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${(p.fraction * 100).toFixed(0).padStart(3)}% ${p.message}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(100).slice(0, 100)}`);
  else if (Date.now() - last > 1000 || p.fraction === 1) {
    last = Date.now();
    console.log(line);
  }
}

try {
  const id = datasetId(parsed.data);
  if (json) console.log(JSON.stringify({ type: "start", id }));
  const manifest = await prepareDataset(parsed.data, { dataDir, onProgress: show, signal: abort.signal });
  if (process.stdout.isTTY && !json) process.stdout.write("\n");
  const tokens = manifest.shards.reduce((n, s) => n + s.tokens, 0);
  const documents = Object.values(manifest.domains).reduce((n, d) => n + d.documents + d.valDocuments, 0);
  if (json) console.log(JSON.stringify({ type: "done", id: manifest.id, tokens, documents, vocabSize: manifest.tokenizer.vocabSize }));
  else console.log(`dataset ${manifest.id}: ${documents.toLocaleString("en-US")} documents, ${tokens.toLocaleString("en-US")} tokens, vocabulary ${manifest.tokenizer.vocabSize} → ${path.join(dataDir, "datasets", manifest.id)}`);
  process.exit(0);
} catch (e) {
  if (e instanceof Cancelled) fail(e.message, 130);
  fail(e instanceof Error ? e.message : String(e), 1);
}
