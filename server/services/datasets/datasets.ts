import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { datasetsRoot, FLAGGED_FILE, MANIFEST_FILE, readManifest, type DatasetManifest } from "../../../formats/dataset";
import { datasetId } from "../../../formats/dataset-id";
import { DatasetSpec } from "../../../lib/dataset-spec";
import { confinedPath } from "../../confined";
import type { Dataset, Db } from "../../db/db";
import type { Hub } from "../hub/hub";

const root = path.resolve(import.meta.dirname, "../../..");
export const DATASET_STATUSES = ["queued", "preparing", "ready", "failed", "cancelled"] as const;
export type DatasetStatus = (typeof DATASET_STATUSES)[number];

export type DatasetSummary = Omit<Dataset, "spec" | "createdAt" | "finishedAt"> & {
  status: DatasetStatus;
  spec: DatasetSpec;
  createdAt: string;
  finishedAt: string | null;
};

function toSummary(d: Dataset): DatasetSummary {
  return {
    ...d,
    status: d.status as DatasetStatus,
    spec: DatasetSpec.parse(JSON.parse(d.spec)),
    createdAt: d.createdAt.toISOString(),
    finishedAt: d.finishedAt?.toISOString() ?? null,
  };
}

/** One line the prepare process prints under --json. */
type JobLine =
  | { type: "start"; id: string }
  | { type: "progress"; stage: string; fraction: number; message: string }
  | { type: "done"; id: string; tokens: number; documents: number; vocabSize: number }
  | { type: "error"; error: string };

/**
 * Prepared datasets: rows in the database, files under DATA_DIR/datasets/<id>/. Preparation runs
 * in a child process (trainer/cli/prepare.ts) whose progress is stored and pushed live.
 */
export class DatasetService {
  private jobs = new Map<string, { proc: ChildProcess; cancelled: boolean }>();

  constructor(
    private db: Db,
    private hub: Hub,
    private dataDir: string,
    /** DATA_DIR, then IMPORT_ROOTS: where a folder source may lie. */
    private roots: readonly string[] = [dataDir],
  ) {}

  async list(): Promise<DatasetSummary[]> {
    await this.adoptFromDisk();
    const rows = await this.db.dataset.findMany({ orderBy: { createdAt: "desc" } });
    return rows.map(toSummary);
  }

  async get(id: string): Promise<DatasetSummary & { manifest: DatasetManifest | null }> {
    const row = await this.db.dataset.findUnique({ where: { id } });
    if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `No dataset with id ${id}` });
    return { ...toSummary(row), manifest: row.status === "ready" ? readManifest(this.dataDir, id) : null };
  }

  /** Flagged documents, for review in the dashboard. */
  async flagged(id: string, limit: number) {
    await this.get(id);
    const file = path.join(datasetsRoot(this.dataDir), id, FLAGGED_FILE);
    if (!fs.existsSync(file)) return { total: 0, items: [] };
    const all = JSON.parse(fs.readFileSync(file, "utf8")) as unknown[];
    return { total: all.length, items: all.slice(0, limit) };
  }

  /** Starts preparing `spec`, or returns the dataset already prepared (or preparing) with the same settings. */
  async prepare(requested: DatasetSpec): Promise<DatasetSummary> {
    const spec = this.confineFolders(requested);
    const id = datasetId(spec);
    const existing = await this.db.dataset.findUnique({ where: { id } });
    if (existing && ["ready", "preparing", "queued"].includes(existing.status)) return toSummary(existing);
    const data = { name: spec.name, spec: JSON.stringify(spec), status: "queued", progress: 0, error: null, stage: null, message: null, finishedAt: null };
    const row = await this.db.dataset.upsert({ where: { id }, create: { id, ...data }, update: data });
    this.push(row);
    this.launch(id, spec);
    return toSummary(row);
  }

  /**
   * Folder sources must lie inside DATA_DIR or an IMPORT_ROOTS directory, symlinks followed; this
   * is checked before anything in them is read, and the spec carries the real path on, so the
   * preparing process reads exactly the folder that was checked.
   */
  private confineFolders(spec: DatasetSpec): DatasetSpec {
    const sources = spec.sources.map((s, i) => {
      if (s.kind !== "folder") return s;
      const field = `sources.${i}.path`;
      const real = confinedPath(s.path ?? "", this.roots, "A dataset folder", field);
      if (!fs.existsSync(real) || !fs.statSync(real).isDirectory())
        throw new TRPCError({ code: "BAD_REQUEST", message: `${field}: source ${s.domain}: ${s.path} is not a folder inside the allowed roots` });
      return { ...s, path: real };
    });
    return { ...spec, sources };
  }

  async cancel(id: string): Promise<DatasetSummary> {
    const job = this.jobs.get(id);
    if (!job) throw new TRPCError({ code: "CONFLICT", message: "This dataset is not being prepared" });
    job.cancelled = true;
    job.proc.kill("SIGTERM");
    return toSummary(await this.db.dataset.findUniqueOrThrow({ where: { id } }));
  }

  async cancelAll() {
    await Promise.all([...this.jobs.keys()].map((id) => this.cancel(id).catch(() => {})));
  }

  /** Datasets a run prepared on its own (e.g. the default mixture) get rows too. */
  private async adoptFromDisk() {
    const dir = datasetsRoot(this.dataDir);
    if (!fs.existsSync(dir)) return;
    for (const id of fs.readdirSync(dir)) {
      if (!fs.existsSync(path.join(dir, id, MANIFEST_FILE))) continue;
      const m = readManifest(this.dataDir, id);
      if (!m || (await this.db.dataset.findUnique({ where: { id } }))) continue;
      await this.db.dataset.create({ data: { id, name: m.name, status: "ready", progress: 1, spec: JSON.stringify(m.spec), ...totals(m), createdAt: new Date(m.createdAt), finishedAt: new Date(m.createdAt) } });
    }
  }

  /** After a restart no preparation is ours any more. */
  async markOrphans() {
    await this.db.dataset.updateMany({ where: { status: { in: ["queued", "preparing"] } }, data: { status: "failed", error: "The server restarted during preparation; prepare it again" } });
  }

  private launch(id: string, spec: DatasetSpec) {
    const dir = datasetsRoot(this.dataDir);
    fs.mkdirSync(dir, { recursive: true });
    const specFile = path.join(dir, `.spec-${id}.json`);
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const proc = spawn(process.execPath, ["--import", "tsx", path.join(root, "trainer", "cli", "prepare.ts"), "--spec", specFile, "--data-dir", this.dataDir, "--json"], {
      cwd: root, stdio: ["ignore", "pipe", "pipe"],
    });
    const job = { proc, cancelled: false };
    this.jobs.set(id, job);
    let error = "";
    let pending = "";
    let lastWrite = 0;
    proc.stderr!.on("data", (d) => (error = (error + d).slice(-2000)));
    proc.stdout!.on("data", (chunk) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        let msg: JobLine;
        try {
          msg = JSON.parse(line);
        } catch {
          continue; // not ours (a library's log line)
        }
        if (msg.type === "error") error = msg.error;
        if (msg.type !== "progress") continue;
        this.hub.datasetProgress({ id, status: "preparing", progress: msg.fraction, stage: msg.stage, message: msg.message });
        if (Date.now() - lastWrite < 1000) continue; // the database gets a row update a second
        lastWrite = Date.now();
        void this.update(id, { status: "preparing", progress: msg.fraction, stage: msg.stage, message: msg.message });
      }
    });
    proc.on("close", async (code) => {
      this.jobs.delete(id);
      fs.rmSync(specFile, { force: true });
      const manifest = code === 0 ? readManifest(this.dataDir, id) : null;
      if (manifest) await this.update(id, { status: "ready", progress: 1, stage: "done", message: null, error: null, ...totals(manifest), finishedAt: new Date() });
      else if (job.cancelled) await this.update(id, { status: "cancelled", message: "Cancelled", finishedAt: new Date() });
      else await this.update(id, { status: "failed", error: error.trim() || `Preparation exited with code ${code}`, finishedAt: new Date() });
    });
  }

  private async update(id: string, data: Partial<Dataset>) {
    const row = await this.db.dataset.update({ where: { id }, data }).catch((e) => console.error("dataset update failed:", e));
    if (row) this.push(row);
  }

  private push(row: Dataset) {
    this.hub.datasetChanged(toSummary(row));
  }
}

function totals(m: DatasetManifest) {
  return {
    tokens: m.shards.reduce((n, s) => n + s.tokens, 0),
    documents: Object.values(m.domains).reduce((n, d) => n + d.documents + d.valDocuments, 0),
    vocabSize: m.tokenizer.vocabSize,
  };
}
