import { z } from "zod";

const step = z.number().int().min(0);

/**
 * Test-only fault injection: each fault fires once per run, at the start of its step's update,
 * so tests and the README demo can reproduce every anomaly on demand. Not shown in the form.
 * - loss_scale: multiply the step's loss (and so its gradients) by factor — a loss spike.
 * - grad_scale: multiply the step's gradients by factor — a gradient-norm explosion.
 * - nan: make the step's loss and gradients NaN.
 * - sleep: stop stepping for seconds; blocking also freezes the process, heartbeats included.
 * - exit: exit the process with code; signal: kill it with a signal (a crash).
 * - abort: throw what tfjs-backend-wasm throws when its heap cannot grow ("Aborted()"), an out-of-memory failure.
 */
export const Fault = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("loss_scale"), step, factor: z.number().positive().max(1e6) }),
  z.object({ kind: z.literal("grad_scale"), step, factor: z.number().positive().max(1e12) }),
  z.object({ kind: z.literal("nan"), step }),
  z.object({ kind: z.literal("sleep"), step, seconds: z.number().positive().max(3600), blocking: z.boolean().default(false) }),
  z.object({ kind: z.literal("exit"), step, code: z.number().int().min(1).max(255) }),
  z.object({ kind: z.literal("signal"), step, signal: z.enum(["SIGKILL", "SIGTERM", "SIGSEGV", "SIGABRT"]) }),
  z.object({ kind: z.literal("abort"), step }),
]);
export type Fault = z.infer<typeof Fault>;

/** A fault's identity, for remembering that it already fired. */
export const faultId = (f: Fault) => `${f.kind}@${f.step}`;
