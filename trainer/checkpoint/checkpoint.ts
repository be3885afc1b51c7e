/**
 * A run's full training state as a checkpoint: saved to a temporary directory, fsynced, then
 * renamed into place, so a directory that exists is complete; loaded back and verified for an
 * exact resume. The file layout is formats/checkpoint.ts, the tensor encoding formats/safetensors.ts.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CHECKPOINT_FILE, CHECKPOINT_FORMAT_VERSION, checkpointPath, listCheckpoints, SHA256_FILE, stepDirName } from "../../formats/checkpoint";
import { decodeSafetensors, encodeSafetensors, type HostTensor } from "../../formats/safetensors";
import type { CheckpointSaved } from "../../lib/protocol";
import { RunConfig } from "../../lib/run-config";
import { writeDirAtomic } from "./atomic-dir";

/** Everything needed to continue a run exactly. */
export interface TrainState {
  step: number;
  config: RunConfig;
  /**
   * Model parameters by name, and optimizer state as `optim.<slot>.<name>` (AdamW: m, v; Lion: m;
   * Adafactor: vr, vc for matrices, v for vectors). config.optimizer says which optimizer wrote them.
   */
  tensors: Map<string, HostTensor>;
  optimizerT: number;
  /** Training tokens consumed so far; the batch-size ramp is a function of it. */
  tokensSeen: number;
  /** The lr schedule's state, as plain JSON (null for the stateless schedules). */
  scheduleState: unknown;
  rngState: number[];
  /** The data sampler's position, as plain JSON (trainer/data/mixture.ts MixtureState). */
  dataState: unknown;
  /** The prepared dataset trained on (`ds-…`), resolved even when the config says `default`. */
  datasetId: string;
  vocabSize: number;
}

export function saveCheckpoint(runDir: string, state: TrainState): CheckpointSaved {
  const root = path.join(runDir, "checkpoints");
  fs.mkdirSync(root, { recursive: true });
  const metadata: Record<string, string> = {
    format: "pretrain-dashboard/gpt",
    format_version: String(CHECKPOINT_FORMAT_VERSION),
    step: String(state.step),
    config: JSON.stringify(state.config),
    optimizer_t: String(state.optimizerT),
    tokens_seen: String(state.tokensSeen),
    schedule_state: JSON.stringify(state.scheduleState ?? null),
    rng_state: JSON.stringify(state.rngState),
    data_state: JSON.stringify(state.dataState),
    dataset_id: state.datasetId,
    vocab_size: String(state.vocabSize),
  };
  const bytes = encodeSafetensors(state.tensors, metadata);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");

  const finalDir = path.join(root, stepDirName(state.step));
  // Re-saving a step (resuming a finished run) replaces the old copy.
  writeDirAtomic(finalDir, [
    [CHECKPOINT_FILE, bytes],
    [SHA256_FILE, Buffer.from(`${sha256}  ${CHECKPOINT_FILE}\n`)],
  ], () => true);
  return { step: state.step, path: path.join(finalDir, CHECKPOINT_FILE), bytes: bytes.length, sha256 };
}

/**
 * Reads and verifies one checkpoint file; throws with the reason when it is damaged. The file must
 * match its sidecar and, where given, the sha256 the server recorded for it. `requireHash`: a file
 * with neither cannot be verified and is refused (a server always records or sidecars its own).
 */
export function loadCheckpoint(file: string, recordedSha?: string, requireHash = false): TrainState {
  const buf = fs.readFileSync(file);
  const actual = crypto.createHash("sha256").update(buf).digest("hex");
  const sidecar = path.join(path.dirname(file), SHA256_FILE);
  const hasSidecar = fs.existsSync(sidecar);
  if (hasSidecar) {
    const expected = fs.readFileSync(sidecar, "utf8").trim().split(/\s+/)[0];
    if (expected !== actual) throw new Error(`sha256 mismatch (file ${actual.slice(0, 12)}…, ${SHA256_FILE} ${expected.slice(0, 12)}…)`);
  }
  if (recordedSha !== undefined && recordedSha !== actual)
    throw new Error(`sha256 mismatch (file ${actual.slice(0, 12)}…, recorded by the server ${recordedSha.slice(0, 12)}…)`);
  if (requireHash && recordedSha === undefined && !hasSidecar) throw new Error(`no recorded sha256 and no ${SHA256_FILE} to verify it against`);
  const { tensors, metadata } = decodeSafetensors(buf);
  const version = Number(metadata.format_version);
  if (version !== CHECKPOINT_FORMAT_VERSION) throw new Error(`format version ${metadata.format_version} is not ${CHECKPOINT_FORMAT_VERSION}`);
  const num = (key: string) => {
    const v = Number(metadata[key]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`metadata ${key}=${metadata[key]} is not a non-negative integer`);
    return v;
  };
  const str = (key: string) => {
    if (typeof metadata[key] !== "string" || metadata[key] === "") throw new Error(`metadata ${key} is missing`);
    return metadata[key];
  };
  return {
    step: num("step"),
    config: RunConfig.parse(JSON.parse(metadata.config)),
    tensors,
    optimizerT: num("optimizer_t"),
    tokensSeen: num("tokens_seen"),
    scheduleState: JSON.parse(str("schedule_state")),
    rngState: JSON.parse(metadata.rng_state),
    dataState: JSON.parse(str("data_state")),
    datasetId: str("dataset_id"),
    vocabSize: num("vocab_size"),
  };
}

/**
 * Removes the temporary folders of checkpoints whose writer died before the rename (writeDirAtomic
 * names them `.tmp-step-…`); returns their names. Only the run's single trainer writes here, so at
 * its start none is in progress.
 */
export function removeAbandoned(runDir: string): string[] {
  const root = path.join(runDir, "checkpoints");
  if (!fs.existsSync(root)) return [];
  const abandoned = fs.readdirSync(root).filter((d) => d.startsWith(".tmp-step-"));
  for (const d of abandoned) fs.rmSync(path.join(root, d), { recursive: true, force: true });
  return abandoned;
}

export interface SkippedCheckpoint {
  step: number;
  file: string;
  reason: string;
}

/**
 * The newest checkpoint (at or before atMost) that reads and verifies, and the newer ones skipped
 * as damaged. With `recorded` (step → sha256, from the server), each file must match its record,
 * a recorded checkpoint whose file is gone counts as damaged, and an unrecorded file needs its
 * sidecar.
 */
export function findLatest(
  runDir: string,
  opts: { log?: (msg: string) => void; atMost?: number; recorded?: ReadonlyMap<number, string> } = {},
): { state: (TrainState & { path: string }) | null; skipped: SkippedCheckpoint[] } {
  const { log = () => {}, atMost = Infinity, recorded } = opts;
  const onDisk = listCheckpoints(runDir);
  const steps = new Set(onDisk.map((c) => c.step));
  const missing = [...(recorded?.keys() ?? [])].filter((step) => !steps.has(step)).map((step) => ({ step, file: checkpointPath(runDir, step) }));
  const skipped: SkippedCheckpoint[] = [];
  for (const { step, file } of [...onDisk, ...missing].filter((c) => c.step <= atMost).sort((a, b) => b.step - a.step)) {
    try {
      if (!fs.existsSync(file)) throw new Error("its file is missing");
      return { state: { ...loadCheckpoint(file, recorded?.get(step), recorded !== undefined), path: file }, skipped };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      skipped.push({ step, file, reason });
      log(`skipping checkpoint at step ${step} (${file}): ${reason}`);
    }
  }
  return { state: null, skipped };
}

/** The newest checkpoint (at or before atMost) that reads and verifies; damaged ones are skipped with a message. */
export function loadLatest(runDir: string, log: (msg: string) => void = () => {}, atMost = Infinity): (TrainState & { path: string }) | null {
  return findLatest(runDir, { log, atMost }).state;
}
