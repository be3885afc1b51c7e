import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CHECKPOINT_FILE, SHA256_FILE, stepDirName as stepDir } from "../formats/checkpoint";
import { datasetsRoot, MANIFEST_FILE } from "../formats/dataset";
import type { RunConfig } from "../lib/run-config";
import type { Assignment, FileEntry } from "../lib/worker-protocol";
import type { ServerApi } from "./server-api";

/** Written after a dataset's files were all fetched and verified: its presence with the same list is a cache hit. */
const VERIFIED_FILE = "fetched.sha256.json";

export interface Progress {
  (detail: string): void;
}

/**
 * Puts on this machine what a run needs before its trainer starts: the prepared dataset (cached
 * by id across runs, each file checked by sha256), the checkpoint it resumes from, a fork's parent
 * checkpoint, and its registered benchmark files. Returns the config the local trainer gets: the
 * same, with benchmark paths pointing at the local copies.
 */
export async function fetchForRun(api: ServerApi, a: Assignment, dataDir: string, runDir: string, progress: Progress): Promise<RunConfig> {
  const total = [...(a.dataset?.files ?? []), ...(a.resume ? [a.resume.file] : []), ...(a.parent ? [a.parent.file] : []), ...a.evalFiles.map((e) => e.file)].reduce((s, f) => s + f.bytes, 0);
  let got = 0;
  const counted = (what: string) => (n: number) => {
    got += n;
    progress(`fetching ${what}: ${fmtMB(got)} of ${fmtMB(total)} MB (${Math.round((got / Math.max(total, 1)) * 100)}%)`);
  };

  if (a.dataset) await fetchDataset(api, a.runId, a.dataset.id, a.dataset.files, dataDir, counted(`dataset ${a.dataset.id}`));
  if (a.resume) await fetchCheckpoint(api, a.runId, a.runId, a.resume.step, a.resume.file, runDir, counted(`checkpoint step ${a.resume.step}`));
  if (a.parent)
    await fetchCheckpoint(api, a.runId, a.parent.runId, a.parent.step, a.parent.file, path.join(dataDir, "runs", a.parent.runId), counted(`parent checkpoint ${a.parent.runId}@${a.parent.step}`));
  const evals = [...a.config.evals];
  for (const { index, file } of a.evalFiles) {
    const dest = path.join(dataDir, "evalsets", `${file.sha256.slice(0, 16)}-${file.name}`);
    if (!(await matches(dest, file))) await api.download(a.runId, `eval/${index}`, file, dest, counted(`benchmark ${file.name}`));
    evals[index] = { ...evals[index], file: dest };
  }
  return { ...a.config, evals };
}

async function fetchDataset(api: ServerApi, runId: string, id: string, files: FileEntry[], dataDir: string, onBytes: (n: number) => void) {
  const dir = path.join(datasetsRoot(dataDir), id);
  const record = path.join(dir, VERIFIED_FILE);
  const want = JSON.stringify(files);
  if (fs.existsSync(record) && fs.readFileSync(record, "utf8") === want && fs.existsSync(path.join(dir, MANIFEST_FILE))) return;
  // The manifest last: a dataset folder with one is complete, here as where it was prepared.
  const ordered = [...files.filter((f) => f.name !== MANIFEST_FILE), ...files.filter((f) => f.name === MANIFEST_FILE)];
  fs.rmSync(path.join(dir, MANIFEST_FILE), { force: true });
  for (const f of ordered) {
    const dest = path.join(dir, f.name);
    if (await matches(dest, f)) {
      onBytes(f.bytes);
      continue;
    }
    await api.download(runId, `dataset/${f.name.split("/").map(encodeURIComponent).join("/")}`, f, dest, onBytes);
  }
  fs.writeFileSync(record, want);
}

async function fetchCheckpoint(api: ServerApi, runId: string, of: string, step: number, file: FileEntry, runDir: string, onBytes: (n: number) => void) {
  const dir = path.join(runDir, "checkpoints", stepDir(step));
  const dest = path.join(dir, CHECKPOINT_FILE);
  if (await matches(dest, file)) return void onBytes(file.bytes);
  const tmpDir = path.join(runDir, "checkpoints", `.tmp-${stepDir(step)}-fetch`);
  fs.rmSync(tmpDir, { recursive: true, force: true });
  await api.download(runId, `checkpoint/${encodeURIComponent(of)}/${step}`, file, path.join(tmpDir, CHECKPOINT_FILE), onBytes);
  fs.writeFileSync(path.join(tmpDir, SHA256_FILE), `${file.sha256}  ${CHECKPOINT_FILE}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmpDir, dir);
}

/** Whether a local file is already the one wanted (size first, so a miss costs no hashing). */
async function matches(file: string, entry: FileEntry): Promise<boolean> {
  if (!fs.existsSync(file) || fs.statSync(file).size !== entry.bytes) return false;
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex") === entry.sha256;
}

const fmtMB = (bytes: number) => (bytes / 1e6).toFixed(1);
