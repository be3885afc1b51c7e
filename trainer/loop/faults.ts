import fs from "node:fs";
import path from "node:path";
import { type Fault, faultId } from "../../lib/faults";

const FIRED_FILE = "faults-fired.json";

/**
 * Fires each configured fault once per run. What fired is remembered in the run directory, so a
 * fault that crashed the trainer does not fire again after the restart, and one whose step is
 * replayed after a rollback does not fire twice.
 */
export class FaultInjector {
  private fired: Set<string>;
  private readonly file: string;

  constructor(private readonly faults: Fault[], runDir: string) {
    this.file = path.join(runDir, FIRED_FILE);
    this.fired = new Set(faults.length > 0 && fs.existsSync(this.file) ? (JSON.parse(fs.readFileSync(this.file, "utf8")) as string[]) : []);
  }

  /** The faults due at this step, now marked as fired. */
  take(step: number): Fault[] {
    const due = this.faults.filter((f) => f.step === step && !this.fired.has(faultId(f)));
    if (due.length === 0) return [];
    for (const f of due) this.fired.add(faultId(f));
    fs.writeFileSync(this.file, JSON.stringify([...this.fired]));
    return due;
  }
}

/** Runs the process-level faults (sleep, exit, signal, abort); the numeric ones are applied by the step. */
export async function disrupt(faults: Fault[], log: (msg: string) => void): Promise<void> {
  for (const f of faults) {
    if (f.kind === "sleep") {
      log(`fault injection: sleeping ${f.seconds} s at step ${f.step}${f.blocking ? " (blocking the process)" : ""}`);
      if (f.blocking) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, f.seconds * 1000);
      else await new Promise((r) => setTimeout(r, f.seconds * 1000));
    } else if (f.kind === "exit") {
      log(`fault injection: exiting with code ${f.code} at step ${f.step}`);
      process.exit(f.code);
    } else if (f.kind === "signal") {
      log(`fault injection: sending ${f.signal} to itself at step ${f.step}`);
      process.kill(process.pid, f.signal);
      // SIGTERM is handled (a graceful stop at the end of this step); the others end the process.
      if (f.signal !== "SIGTERM") await new Promise((r) => setTimeout(r, 60_000));
    } else if (f.kind === "abort") {
      log(`fault injection: a failed wasm allocation at step ${f.step}`);
      // Emscripten's abort() without assertions, word for word.
      throw new WebAssembly.RuntimeError("Aborted(). Build with -sASSERTIONS for more info.");
    }
  }
}

/** The factor the step's loss and its gradients are multiplied by (NaN for a nan fault). */
export function lossFactor(faults: Fault[]): number {
  let k = 1;
  for (const f of faults) if (f.kind === "loss_scale") k *= f.factor; else if (f.kind === "nan") k = NaN;
  return k;
}

export function gradFactor(faults: Fault[]): number {
  return faults.reduce((k, f) => (f.kind === "grad_scale" ? k * f.factor : k), 1);
}
