import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { datasetFiles } from "../../../formats/dataset";
import { ensureSyntheticSet } from "../../../formats/eval-sets";
import { SYNTHETIC, type EvalPredictions, type EvalSource, type EvalTask } from "../../../lib/eval/contracts";
import { readTaskFile } from "../../../lib/eval/read-file";
import { parseTaskLines } from "../../../lib/eval/readers";
import type { Example } from "../../../lib/eval/tasks";
import type { RunConfig } from "../../../lib/run-config";
import { BpeTokenizer } from "../../../lib/tokenizer/bpe";
import { confine } from "../../confine";
import { confinedPath } from "../../confined";
import type { Db } from "../../db/db";
import { checkpointFile } from "../checkpoints/checkpoint-lookup";

const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** Parsed example files kept in memory; a benchmark file is parsed once, not per request. */
const CACHED_SETS = 6;

/** The examples a run scored for one task (`key` names the set, so two runs can be checked to share it), or why they cannot be read. */
export type ExampleSet = { key: string | null; file: string; examples: Example[] } | { key: string | null; file: string; missing: string };

/** Registered benchmark files, and the per-example predictions trainers report. */
export class EvalService {
  private parsed = new Map<string, { mtimeMs: number; examples: Example[] }>();

  constructor(
    private db: Db,
    private dataDir: string,
    /** DATA_DIR, then IMPORT_ROOTS: where a registered file may lie. */
    private roots: readonly string[] = [dataDir],
  ) {}

  async listSets() {
    const rows = await this.db.evalSet.findMany({ orderBy: [{ task: "asc" }, { createdAt: "desc" }] });
    return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
  }

  /**
   * Registers a file by path (inside DATA_DIR or an IMPORT_ROOTS directory, symlinks followed), or
   * an upload (stored under DATA_DIR/evalsets/); it is parsed in full first.
   */
  async register(input: { task: EvalTask; name: string; path?: string; content?: string }) {
    let file: string;
    if (input.content !== undefined) {
      if (Buffer.byteLength(input.content) > MAX_UPLOAD_BYTES) throw new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: "Uploads are limited to 50 MB; register a path instead" });
      const dir = path.join(this.dataDir, "evalsets");
      fs.mkdirSync(dir, { recursive: true });
      const hash = crypto.createHash("sha256").update(input.content).digest("hex").slice(0, 16);
      file = path.join(dir, `${input.task}-${hash}.jsonl`);
      this.validate(() => parseTaskLines(input.task, input.content!, input.name).length);
      fs.writeFileSync(file, input.content);
    } else if (input.path) {
      // Confined before anything is looked at: outside the roots, existence is not revealed.
      file = confinedPath(input.path, this.roots, "An eval-set file", "path");
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new TRPCError({ code: "BAD_REQUEST", message: `path: ${input.path} is not a file inside the allowed roots` });
    } else {
      throw new TRPCError({ code: "BAD_REQUEST", message: "Give a path or upload a file" });
    }
    const examples = this.validate(() => readTaskFile(input.task, file).length);
    const data = { task: input.task, name: input.name, path: file, examples };
    const row = await this.db.evalSet.upsert({ where: { path: file }, create: data, update: data });
    return { ...row, createdAt: row.createdAt.toISOString() };
  }

  /** Every benchmark of a new run must be synthetic or a registered file of the same task. */
  async checkRunEvals(evals: EvalSource[]) {
    for (const e of evals) {
      if (e.file === SYNTHETIC) continue;
      const set = await this.db.evalSet.findUnique({ where: { path: e.file } });
      if (!set) throw new TRPCError({ code: "BAD_REQUEST", message: `evals: ${e.file} is not a registered benchmark file` });
      // A file registered before paths were confined is refused here too.
      confinedPath(e.file, this.roots, "An eval-set file", "evals");
      if (set.task !== e.task) throw new TRPCError({ code: "BAD_REQUEST", message: `evals: ${e.file} is registered for ${set.task}, not ${e.task}` });
    }
  }

  async storePredictions(runId: string, p: EvalPredictions) {
    await this.db.$transaction([
      this.db.evalPrediction.deleteMany({ where: { runId, step: p.step, task: p.task } }),
      this.db.evalPrediction.createMany({
        data: p.predictions.map((x) => ({
          runId, step: p.step, task: p.task, synthetic: p.synthetic,
          index: x.index, prediction: x.prediction, gold: x.gold, correct: x.correct, ll: JSON.stringify(x.ll),
        })),
      }),
    ]);
  }

  async predictions(runId: string, task: string, step: number) {
    const rows = await this.db.evalPrediction.findMany({ where: { runId, task, step }, orderBy: { index: "asc" } });
    return rows.map((r) => ({ ...r, ll: JSON.parse(r.ll) as (number | null)[] }));
  }

  /**
   * The examples behind a run's stored predictions for `task`, as its trainer read them (a stored
   * index is an index into this list): the registered file the run names, or the synthetic set of
   * the checkpoint's dataset, rebuilt the trainer's way (deterministic from the dataset and its
   * fixed seed) when its cached file is gone.
   */
  exampleSet(config: RunConfig, runId: string, checkpointPath: string, task: EvalTask): ExampleSet {
    const source = config.evals.find((e) => e.task === task);
    if (!source) return { key: null, file: "", missing: `the run's config has no ${task} benchmark` };
    if (source.file !== SYNTHETIC) {
      let file: string;
      try {
        file = confine(source.file, this.roots, "An eval-set file");
      } catch (e) {
        return { key: source.file, file: source.file, missing: (e as Error).message };
      }
      if (!fs.existsSync(file)) return { key: source.file, file: source.file, missing: `the benchmark file ${source.file} is gone` };
      return this.read(task, file, source.file);
    }
    let datasetId: string;
    try {
      datasetId = checkpointDatasetId(checkpointFile(checkpointPath, this.dataDir, runId));
    } catch (e) {
      return { key: null, file: "", missing: `cannot tell the checkpoint's dataset: ${(e as Error).message}` };
    }
    const key = `synthetic:${datasetId}`;
    const { manifest, tokenizerFile } = datasetFiles(this.dataDir, datasetId);
    try {
      if (!manifest || !tokenizerFile) throw new Error(`dataset ${datasetId} is no longer prepared under ${this.dataDir}`);
      const tokenizer = BpeTokenizer.fromJSON(fs.readFileSync(tokenizerFile, "utf8"));
      const file = ensureSyntheticSet(this.dataDir, manifest, (ids) => tokenizer.decode(ids), task, () => {});
      return this.read(task, file, key);
    } catch (e) {
      return { key, file: "", missing: `the synthetic ${task} set cannot be rebuilt: ${(e as Error).message}` };
    }
  }

  private read(task: EvalTask, file: string, key: string | null): ExampleSet {
    try {
      const { mtimeMs } = fs.statSync(file);
      const hit = this.parsed.get(file);
      if (hit && hit.mtimeMs === mtimeMs) return { key, file, examples: hit.examples };
      const examples: Example[] = readTaskFile(task, file);
      this.parsed.delete(file);
      this.parsed.set(file, { mtimeMs, examples });
      if (this.parsed.size > CACHED_SETS) this.parsed.delete(this.parsed.keys().next().value!);
      return { key, file, examples };
    } catch (e) {
      return { key, file, missing: `cannot read ${file}: ${(e as Error).message}` };
    }
  }

  /** Parses the whole file; any malformed line becomes a clear BAD_REQUEST naming file and line. */
  private validate(parse: () => number): number {
    try {
      const n = parse();
      if (n === 0) throw new Error("the file holds no examples");
      return n;
    } catch (e) {
      throw new TRPCError({ code: "BAD_REQUEST", message: (e as Error).message });
    }
  }
}

/** The dataset a checkpoint was trained on, from its safetensors header alone (the weights are not read). */
function checkpointDatasetId(file: string): string {
  const fd = fs.openSync(file, "r");
  try {
    const size = Buffer.alloc(8);
    fs.readSync(fd, size, 0, 8, 0);
    const n = Number(size.readBigUInt64LE(0));
    if (!(n > 0 && n < 100 * 1024 * 1024)) throw new Error(`${file} has no safetensors header`);
    const header = Buffer.alloc(n);
    fs.readSync(fd, header, 0, n, 8);
    const id = (JSON.parse(header.toString("utf8")) as { __metadata__?: Record<string, string> }).__metadata__?.dataset_id;
    if (!id) throw new Error(`${file} records no dataset_id`);
    return id;
  } finally {
    fs.closeSync(fd);
  }
}
