import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { SYNTHETIC, type EvalPredictions, type EvalSource, type EvalTask } from "../../lib/eval/contracts";
import { readTaskFile } from "../../lib/eval/read-file";
import { parseTaskLines } from "../../lib/eval/readers";
import type { Db } from "../db";

const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** Registered benchmark files, and the per-example predictions trainers report. */
export class EvalService {
  constructor(
    private db: Db,
    private dataDir: string,
  ) {}

  async listSets() {
    const rows = await this.db.evalSet.findMany({ orderBy: [{ task: "asc" }, { createdAt: "desc" }] });
    return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
  }

  /** Registers a file by path, or an upload (stored under DATA_DIR/evalsets/); it is parsed in full first. */
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
      file = path.resolve(input.path);
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new TRPCError({ code: "BAD_REQUEST", message: `${file} is not a file on the server` });
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
