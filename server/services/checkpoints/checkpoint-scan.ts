import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Db } from "../../db/db";

// The layout a trainer writes (trainer/checkpoint/checkpoint.ts): checkpoints/step-NNNNNN/ holding the
// weights and a sidecar with their sha256; `.tmp-step-…` while it is being written.
const WEIGHTS = "checkpoint.safetensors";
const SIDECAR = "checkpoint.sha256";

export interface ScanResult {
  recorded: number[];
  /** Steps whose file does not match its sidecar (or lacks one): left unrecorded. */
  rejected: { step: number; reason: string }[];
  removed: string[];
}

/**
 * Records the run's checkpoints that are on disk but not in the database (a trainer killed between
 * the rename and the server's ack leaves one), once the file's own sha256 matches its sidecar.
 * With `removeTemp`, also removes abandoned temporary folders: only when no trainer of the run is
 * alive, as a live one may be writing one now.
 */
export async function scanCheckpoints(db: Db, runId: string, runDir: string, removeTemp: boolean): Promise<ScanResult> {
  const result: ScanResult = { recorded: [], rejected: [], removed: [] };
  const root = path.join(runDir, "checkpoints");
  if (!fs.existsSync(root)) return result;
  const entries = fs.readdirSync(root);
  if (removeTemp)
    for (const d of entries.filter((e) => e.startsWith(".tmp-step-"))) {
      fs.rmSync(path.join(root, d), { recursive: true, force: true });
      result.removed.push(d);
    }
  const known = new Set((await db.checkpoint.findMany({ where: { runId }, select: { step: true } })).map((c) => c.step));
  for (const d of entries) {
    const m = /^step-(\d+)$/.exec(d);
    if (!m || known.has(Number(m[1]))) continue;
    const step = Number(m[1]);
    const file = path.join(root, d, WEIGHTS);
    const sidecar = path.join(root, d, SIDECAR);
    if (!fs.existsSync(file) || !fs.existsSync(sidecar)) {
      result.rejected.push({ step, reason: `${d} lacks ${fs.existsSync(file) ? SIDECAR : WEIGHTS}` });
      continue;
    }
    const sha256 = await hashFile(file);
    const expected = fs.readFileSync(sidecar, "utf8").trim().split(/\s+/)[0];
    if (sha256 !== expected) {
      result.rejected.push({ step, reason: `${d}: the file's sha256 ${sha256.slice(0, 12)}… does not match its sidecar's ${expected.slice(0, 12)}…` });
      continue;
    }
    const data = { runId, step, path: file, bytes: fs.statSync(file).size, sha256 };
    await db.checkpoint.upsert({ where: { runId_step: { runId, step } }, create: data, update: data });
    result.recorded.push(step);
  }
  return result;
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash("sha256");
    fs.createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}
