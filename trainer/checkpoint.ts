/**
 * Checkpoints in the safetensors format (https://github.com/huggingface/safetensors):
 * u64 little-endian header length N, N bytes of JSON header, then raw little-endian tensor data.
 * Header: { "<name>": { dtype: "F32", shape, data_offsets: [begin, end] }, "__metadata__": {str: str} },
 * offsets relative to the end of the header, tensors stored in name order and contiguous.
 *
 * Layout: <runDir>/checkpoints/step-NNNNNN/{checkpoint.safetensors, checkpoint.sha256}. Written to a
 * temporary directory, fsynced, then renamed into place, so a directory that exists is complete.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { CheckpointSaved } from "../lib/protocol";
import { RunConfig } from "../lib/run-config";
import { writeDirAtomic } from "./atomic-dir";

/**
 * 2: token datasets; `data_state` (mixture sampler JSON), `dataset_id` and `vocab_size` replace `data_cursor`.
 * 3: `tokens_seen` (batch ramp) and `schedule_state` (plateau schedule JSON); optimizer slots other than AdamW's.
 */
export const CHECKPOINT_FORMAT_VERSION = 3;
export const CHECKPOINT_FILE = "checkpoint.safetensors";
export const SHA256_FILE = "checkpoint.sha256";

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

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
  /** The data sampler's position, as plain JSON (trainer/mixture.ts MixtureState). */
  dataState: unknown;
  /** The prepared dataset trained on (`ds-…`), resolved even when the config says `default`. */
  datasetId: string;
  vocabSize: number;
}

const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function encodeSafetensors(tensors: Map<string, HostTensor>, metadata: Record<string, string>): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`tensor ${name}: shape [${t.shape}] does not hold ${t.data.length} values`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + size * 4] };
    offset += size * 4;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align tensor data to 8 bytes
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    const bytes = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    if (!isLittleEndian) throw new Error("big-endian hosts are not supported");
    bytes.copy(out, pos);
    pos += bytes.length;
  }
  return out;
}

export function decodeSafetensors(buf: Uint8Array): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8) throw new Error("file shorter than the 8-byte header length");
  const n = Number(b.readBigUInt64LE(0));
  if (n > b.length - 8) throw new Error(`header length ${n} exceeds file size ${b.length}`);
  const header = JSON.parse(b.subarray(8, 8 + n).toString("utf8")) as Record<string, unknown>;
  const dataStart = 8 + n;
  const dataLen = b.length - dataStart;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, HostTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== "F32") throw new Error(`tensor ${name}: dtype ${dtype} is not supported`);
    const [begin, end] = data_offsets;
    const size = shape.reduce((x, y) => x * y, 1);
    if (!(begin >= 0 && end <= dataLen && end - begin === size * 4))
      throw new Error(`tensor ${name}: offsets [${begin}, ${end}] do not fit shape [${shape}] in ${dataLen} data bytes`);
    // Copied out, so the result does not pin the file buffer and is 4-byte aligned.
    const data = new Float32Array(size);
    new Uint8Array(data.buffer).set(b.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}

export const stepDirName = (step: number) => `step-${String(step).padStart(6, "0")}`;

/** Where a run's checkpoint at a step lives: runs keep theirs under <dataDir>/runs/<runId>/. */
export function checkpointFile(dataDir: string, runId: string, step: number): string {
  return path.join(dataDir, "runs", runId, "checkpoints", stepDirName(step), CHECKPOINT_FILE);
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

function checkpointPath(runDir: string, step: number) {
  return path.join(runDir, "checkpoints", stepDirName(step), CHECKPOINT_FILE);
}
