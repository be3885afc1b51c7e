// Where checkpoints live on disk: <dataDir>/runs/<runId>/checkpoints/step-NNNNNN/{checkpoint.safetensors,
// checkpoint.sha256}, the format version inside them, and finding one from what a person types.
import fs from "node:fs";
import path from "node:path";

/** Accepts checkpoint.safetensors itself or the step-NNNNNN directory that holds it. */
export function resolveCheckpointFile(p: string): string {
  const abs = path.resolve(p);
  if (!fs.existsSync(abs)) throw new Error(`no checkpoint at ${abs}: the path does not exist`);
  const file = fs.statSync(abs).isDirectory() ? path.join(abs, CHECKPOINT_FILE) : abs;
  if (!fs.existsSync(file))
    throw new Error(`no checkpoint at ${abs}: expected ${CHECKPOINT_FILE} or a checkpoints/step-NNNNNN directory holding one`);
  return file;
}

/**
 * The data directory a checkpoint lives in (<dataDir>/runs/<id>/checkpoints/step-N/file), so a
 * checkpoint under the dashboard's data finds its dataset without --data-dir.
 */
export function dataDirOf(checkpointFile: string): string | null {
  const stepDir = path.dirname(checkpointFile);
  const checkpoints = path.dirname(stepDir);
  const runs = path.dirname(path.dirname(checkpoints));
  const ok = /^step-\d+$/.test(path.basename(stepDir)) && path.basename(checkpoints) === "checkpoints" && path.basename(runs) === "runs";
  return ok ? path.dirname(runs) : null;
}

/**
 * 2: token datasets; `data_state` (mixture sampler JSON), `dataset_id` and `vocab_size` replace `data_cursor`.
 * 3: `tokens_seen` (batch ramp) and `schedule_state` (plateau schedule JSON); optimizer slots other than AdamW's.
 */
export const CHECKPOINT_FORMAT_VERSION = 3;
export const CHECKPOINT_FILE = "checkpoint.safetensors";
export const SHA256_FILE = "checkpoint.sha256";

export const stepDirName = (step: number) => `step-${String(step).padStart(6, "0")}`;

/** Where a run's checkpoint at a step lives: runs keep theirs under <dataDir>/runs/<runId>/. */
export function checkpointFile(dataDir: string, runId: string, step: number): string {
  return checkpointPath(path.join(dataDir, "runs", runId), step);
}

export function checkpointPath(runDir: string, step: number) {
  return path.join(runDir, "checkpoints", stepDirName(step), CHECKPOINT_FILE);
}

/** Checkpoint directories under runDir, newest step first. */
export function listCheckpoints(runDir: string): { step: number; file: string }[] {
  const root = path.join(runDir, "checkpoints");
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((d) => /^step-(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), file: path.join(root, m[0], CHECKPOINT_FILE) }))
    .sort((a, b) => b.step - a.step);
}
