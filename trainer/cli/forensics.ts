// `npm run forensics -- --checkpoint <checkpoint.safetensors | step dir> --step N [--data-dir <dir>] [--json]`
// Rebuilds step N's training batch from a checkpoint at or before N (docs/forensics.md): each row's
// domain, the documents it holds with their offsets in the domain's stream, the decoded text, and
// the row's loss with the checkpoint's weights. Progress goes to stderr as `progress <0..1> <what>`.
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { readManifest } from "../../formats/dataset";
import { MAX_PIECE_CHARS, type RebuiltBatch } from "../../lib/forensics";
import { selectBackend } from "../backend/backend";
import { excludeData } from "../data/exclude-stream";
import { loadDomains } from "../data/load";
import { windowPieces } from "../forensics/documents";
import { rebuildBatch } from "../forensics/rebuild";
import { checkpointDataDir, checkpointModel, readCheckpoint, readDatasetTokenizer } from "../inference/generate";
import { objectiveLoss } from "../model/objectives";
import { fail, parseFlags } from "./flags";

const Flags = z.object({
  checkpoint: z.string({ error: "--checkpoint <checkpoint.safetensors or its step directory> is required" }).min(1),
  step: z.coerce.number({ error: "--step must be a number" }).int("--step must be a whole number").min(0, "--step must be at least 0"),
  "data-dir": z.string().min(1).optional(),
  json: z.boolean().optional(),
});
const flags = parseFlags({ checkpoint: { type: "string" }, step: { type: "string" }, "data-dir": { type: "string" }, json: { type: "boolean" } }, Flags);
const progress = (fraction: number, what: string) => console.error(`progress ${fraction.toFixed(3)} ${what}`);

try {
  const started = performance.now();
  await selectBackend("wasm");
  progress(0, "reading the checkpoint");
  const { file, state } = readCheckpoint(flags.checkpoint);
  if (flags.step < state.step) fail(`step ${flags.step} is before the checkpoint's step ${state.step}; pick a checkpoint at or before it`, 2);
  const config = state.config;
  const dataDir = checkpointDataDir(file, flags["data-dir"]);
  const manifest = readManifest(dataDir, state.datasetId);
  if (!manifest) fail(`the checkpoint's dataset ${state.datasetId} is not prepared under ${dataDir}`, 2);
  const eotId = manifest.tokenizer.eotId;
  const original = loadDomains(manifest, dataDir, config.mixWeights);
  const domains = excludeData(original, config.exclude, Object.keys(manifest.domains));
  let decode: (ids: number[]) => string;
  let decodeNote: string | null = null;
  try {
    const tokenizer = readDatasetTokenizer(dataDir, state.datasetId, state.vocabSize);
    decode = (ids) => tokenizer.decode(ids);
  } catch (e) {
    decodeNote = `text shown as token ids: ${(e as Error).message}`;
    decode = (ids) => ids.join(" ");
  }
  const rebuilt = rebuildBatch(config, domains, state, flags.step, {
    vocabSize: state.vocabSize, maskId: eotId, onProgress: (done, total) => progress(0.1 + (0.6 * done) / total, `replaying step ${state.step + done} of ${flags.step}`),
  });
  progress(0.7, "computing each row's loss");
  const { params, cfg } = checkpointModel(state);
  const T = config.contextLength;
  const rows: RebuiltBatch["rows"] = [];
  for (let r = 0; r < rebuilt.rows; r++) {
    const slice = { x: rebuilt.batch.x.slice(r * T, (r + 1) * T), y: rebuilt.batch.y.slice(r * T, (r + 1) * T), B: 1, T };
    const lossT = tf.tidy(() => objectiveLoss(params, cfg, slice, rebuilt.lossRng, eotId));
    const [loss] = await lossT.data();
    lossT.dispose();
    const { domain, start } = rebuilt.sources[r];
    const d = domains.find((x) => x.name === domain)!;
    const full = original.find((x) => x.name === domain)!.train;
    const pieces = windowPieces(d.train, d.origin ?? null, full, start, T, eotId).map((p) => {
      const text = decode(p.ids);
      return { docStart: p.docStart, docLength: p.docLength, offset: p.offset, tokens: p.ids.length, text: text.slice(0, MAX_PIECE_CHARS), truncated: text.length > MAX_PIECE_CHARS };
    });
    rows.push({ row: r, domain, loss: Number.isFinite(loss) ? loss : null, pieces });
    if (r % 8 === 0) progress(0.7 + (0.3 * r) / rebuilt.rows, `loss of row ${r + 1} of ${rebuilt.rows}`);
  }
  const result: RebuiltBatch = {
    step: flags.step, checkpointStep: state.step, objective: config.objective, contextLength: T, tokensSeen: rebuilt.tokensSeen,
    decoded: decodeNote === null, decodeNote, excluded: { domains: config.exclude.domains, documents: config.exclude.documents.length },
    rows, ms: Math.round(performance.now() - started),
  };
  progress(1, "done");
  if (flags.json) console.log(JSON.stringify(result));
  else {
    console.log(`step ${result.step}, rebuilt from the checkpoint at step ${result.checkpointStep}; ${rows.length} rows (loss with the weights of step ${state.step})`);
    for (const row of [...rows].sort((a, b) => (b.loss ?? Infinity) - (a.loss ?? Infinity)))
      console.log(`row ${row.row} ${row.domain} loss ${row.loss?.toFixed(4) ?? "NaN"}: ${row.pieces.map((p) => `${row.domain}@${p.docStart}+${p.offset - p.docStart}`).join(", ")}`);
  }
  process.exit(0);
} catch (e) {
  fail((e as Error).message, 1);
}
