import { DEFAULT_THRESHOLDS } from "./thresholds";
import { anomaly, fmt, type Anomaly } from "./types";

/** Phases in which the step is expected to advance; the others (eval, checkpoint, setup) may hold it. */
const STEPPING_PHASE = "train";

/**
 * Stalls: no heartbeat at all for stallSeconds (the process is frozen or gone), or heartbeats
 * while training but the step does not move (a hung device call, a dead data loader). Fires once
 * per stall and re-arms when the step moves or the trainer reports a phase that holds the step.
 */
export class StallWatch {
  private lastBeatMs: number | null = null;
  private lastProgressMs = 0;
  private step = 0;
  private phase = "setup";
  private fired = false;

  /** silence: what the beats are, as the alert names their absence ("no heartbeat", "nothing logged"). */
  constructor(
    private readonly stallSeconds: number,
    private readonly silence = "no heartbeat",
  ) {}

  beat(nowMs: number, step: number, phase = STEPPING_PHASE): void {
    const progressed = this.lastBeatMs === null || step !== this.step || phase !== STEPPING_PHASE || this.phase !== STEPPING_PHASE;
    if (progressed) {
      this.lastProgressMs = nowMs;
      this.fired = false;
    }
    this.lastBeatMs = nowMs;
    this.step = step;
    this.phase = phase;
  }

  check(nowMs: number): Anomaly | null {
    if (this.lastBeatMs === null || this.fired) return null;
    const limitMs = this.stallSeconds * 1000;
    const silentS = (nowMs - this.lastBeatMs) / 1000;
    const stuckS = (nowMs - this.lastProgressMs) / 1000;
    let message: string;
    let seconds: number;
    if (nowMs - this.lastBeatMs > limitMs) {
      seconds = silentS;
      message = `${this.silence} for ${fmt(silentS)} s (last at step ${this.step} in phase ${this.phase}; threshold ${fmt(this.stallSeconds)} s)`;
    } else if (this.phase === STEPPING_PHASE && nowMs - this.lastProgressMs > limitMs) {
      seconds = stuckS;
      message = `step stuck at ${this.step} for ${fmt(stuckS)} s while heartbeats continue in phase ${this.phase} (threshold ${fmt(this.stallSeconds)} s)`;
    } else {
      return null;
    }
    this.fired = true;
    return anomaly({ type: "stall", step: this.step, value: seconds, threshold: this.stallSeconds, message });
  }
}

/** Out-of-memory warning when RSS passes memoryShare of the limit; once until it falls back under. */
export class MemoryWatch {
  private over = false;

  constructor(private readonly memoryShare: number) {}

  check(step: number, rssBytes: number, limitBytes: number): Anomaly | null {
    if (!(limitBytes > 0) || !Number.isFinite(rssBytes)) return null;
    const limit = this.memoryShare * limitBytes;
    if (rssBytes <= limit) {
      this.over = false;
      return null;
    }
    if (this.over) return null;
    this.over = true;
    return anomaly({
      type: "oom", step, value: rssBytes, threshold: limit,
      message: `memory ${gib(rssBytes)} at step ${step} is ${fmt((100 * rssBytes) / limitBytes)}% of the ${gib(limitBytes)} limit (threshold ${fmt(100 * this.memoryShare)}%); the trainer may be killed for running out of memory`,
    });
  }
}

/**
 * Output that means an allocation failed: V8's heap limit, the OS (ENOMEM), wasm's heap (an
 * emscripten abort, "Aborted()", is how tfjs-backend-wasm fails a malloc past its 4 GiB; a
 * WebAssembly.Memory that cannot grow) and JS buffers too large to allocate (RangeError).
 */
const OOM_TEXT =
  /out of memory|heap limit|ENOMEM|cannot allocate memory|could not allocate memory|Aborted\(|Cannot enlarge memory|Array buffer allocation failed|RangeError:.*(allocat|Invalid typed array length|Array buffer)/i;

/** How the trainer's own messages about memory begin: the memory check at start-up, and a failed allocation explained. */
export const OUT_OF_MEMORY = "Out of memory";

export function isOutOfMemory(text: string): boolean {
  return OOM_TEXT.test(text);
}

/**
 * A trainer's failure as a person reads it: a failed allocation ("Aborted(). Build with
 * -sASSERTIONS for more info.") becomes a plain out-of-memory message that keeps the original.
 */
export function explainFailure(message: string, backend: string | null): string {
  if (!isOutOfMemory(message) || message.includes(OUT_OF_MEMORY)) return message;
  const where = backend === "wasm" ? "the wasm backend's heap (at most 4 GiB)" : "this machine's memory";
  return `${OUT_OF_MEMORY}: an allocation failed in ${where}; make the model, batch or context smaller, or set a micro-batch or gradient checkpointing (${clip(message)})`;
}

/** A run whose trainer reported failing: an oom alert when the failure was memory, else null (the run's error says why). */
export function classifyFailure(f: { step: number; error: string | undefined }): Anomaly | null {
  if (!f.error || !isOutOfMemory(f.error)) return null;
  return anomaly({ type: "oom", step: f.step, value: null, threshold: null, message: `trainer failed at step ${f.step}: ${clip(f.error)}` });
}

/**
 * Classifies a trainer exit the server did not ask for. type "oom" when signal is SIGKILL and
 * memory was near the limit, or the output tail mentions out of memory / heap limit / ENOMEM;
 * else "crash".
 */
export function classifyExit(e: {
  code: number | null;
  signal: string | null;
  step: number;
  tail: string[];
  lastRssBytes?: number;
  limitBytes?: number;
  memoryShare?: number;
}): Anomaly {
  const share = e.memoryShare ?? DEFAULT_THRESHOLDS.memoryShare;
  // Neither is known for a trainer no live server was the parent of (it died while the server was down, or after adoption).
  const how = e.signal ? `killed by ${e.signal}` : e.code === null ? "ended with an unknown exit status" : `exited with code ${e.code}`;
  const limit = e.limitBytes !== undefined && e.limitBytes > 0 ? share * e.limitBytes : null;
  const nearLimit = limit !== null && e.lastRssBytes !== undefined && e.lastRssBytes >= limit;
  const oomLine = [...e.tail].reverse().find((l) => OOM_TEXT.test(l));
  const lastLine = [...e.tail].reverse().find((l) => l.trim() !== "");
  if ((e.signal === "SIGKILL" && nearLimit) || oomLine !== undefined) {
    const why = oomLine !== undefined
      ? `after printing "${clip(oomLine)}"`
      : `with memory at ${fmt((100 * e.lastRssBytes!) / e.limitBytes!)}% of the ${gib(e.limitBytes!)} limit`;
    return anomaly({
      type: "oom", step: e.step, value: e.lastRssBytes ?? null, threshold: limit,
      message: `trainer ${how} at step ${e.step} ${why}: it ran out of memory`,
    });
  }
  return anomaly({
    type: "crash", step: e.step, value: e.code, threshold: null,
    message: `trainer ${how} at step ${e.step}${lastLine === undefined ? " with no output" : `; last output: "${clip(lastLine)}"`}`,
  });
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
const clip = (line: string) => (line.length > 200 ? `${line.trim().slice(0, 199)}…` : line.trim());
