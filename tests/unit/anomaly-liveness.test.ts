import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyExit } from "../../lib/anomaly/liveness";
import { RunMonitor } from "../../lib/anomaly/monitor";

const S = 300; // default stallSeconds
const GiB = 2 ** 30;

/** Beats every second from t0 for n seconds, the step advancing each beat when `advance`. */
function beats(m: RunMonitor, t0: number, n: number, step: number, phase: string, advance: boolean) {
  for (let i = 0; i < n; i++) {
    m.beat(t0 + 1000 * i, advance ? step + i : step, phase);
    assert.equal(m.checkStall(t0 + 1000 * i), null, `no stall at ${i} s`);
  }
}

test("no stall before the first beat or while steps advance", () => {
  const m = new RunMonitor();
  assert.equal(m.checkStall(1e9), null);
  beats(m, 0, 600, 0, "train", true);
});

test("no beat for stallSeconds + 1 s is a stall, once, and re-arms after progress", () => {
  const m = new RunMonitor();
  beats(m, 0, 10, 100, "train", true); // last beat at 9 s, step 109
  assert.equal(m.checkStall(9_000 + S * 1000), null, "exactly the limit is not yet a stall");
  const a = m.checkStall(9_000 + (S + 1) * 1000)!;
  assert.equal(a.type, "stall");
  assert.equal(a.severity, "critical");
  assert.equal(a.step, 109);
  assert.equal(a.value, S + 1);
  assert.equal(a.threshold, S);
  assert.equal(a.message, "no heartbeat for 301 s (last at step 109 in phase train; threshold 300 s)");
  assert.equal(m.checkStall(9_000 + (S + 100) * 1000), null, "fires once per stall");
  const t = 9_000 + (S + 200) * 1000;
  m.beat(t, 110, "train");
  assert.equal(m.checkStall(t + 1000), null);
  assert.equal(m.checkStall(t + (S + 1) * 1000)?.type, "stall", "re-armed by progress");
});

test("steps stuck while beats continue in phase train is a stall", () => {
  const m = new RunMonitor();
  m.beat(0, 41, "train");
  for (let s = 1; s <= S; s++) {
    m.beat(s * 1000, 42, "train"); // step 42 from 1 s on, then stuck
    assert.equal(m.checkStall(s * 1000), null);
  }
  m.beat((S + 2) * 1000, 42, "train");
  const a = m.checkStall((S + 2) * 1000)!;
  assert.equal(a.type, "stall");
  assert.equal(a.step, 42);
  assert.equal(a.value, S + 1);
  assert.equal(a.threshold, S);
  assert.equal(a.message, "step stuck at 42 for 301 s while heartbeats continue in phase train (threshold 300 s)");
  m.beat((S + 3) * 1000, 42, "train");
  assert.equal(m.checkStall((S + 3) * 1000), null, "once per stall");
  m.beat((S + 4) * 1000, 43, "train");
  assert.equal(m.checkStall((S + 4) * 1000), null);
});

test("a long evaluation or checkpoint with beats is not a stall; training after it gets a fresh clock", () => {
  for (const phase of ["eval", "checkpoint", "setup"]) {
    const m = new RunMonitor();
    beats(m, 0, 5, 10, "train", true);
    beats(m, 5_000, 3 * S, 14, phase, false); // 15 minutes without a new step
    m.beat(5_000 + 3 * S * 1000, 14, "train");
    assert.equal(m.checkStall(5_000 + 3 * S * 1000 + 1000), null, phase);
    assert.equal(m.checkStall(5_000 + 3 * S * 1000 + (S + 1) * 1000)?.type, "stall", `${phase}: stuck after returning to train`);
  }
});

test("no beat at all during an evaluation is still a stall", () => {
  const m = new RunMonitor();
  m.beat(0, 7, "eval");
  assert.match(m.checkStall((S + 1) * 1000)!.message, /^no heartbeat for 301 s \(last at step 7 in phase eval/);
});

test("memory over the share warns once until it falls back under", () => {
  const m = new RunMonitor();
  assert.equal(m.memory(10, 7 * GiB, 8 * GiB), null); // 87.5%
  const a = m.memory(11, 7.6 * GiB, 8 * GiB)!; // 95%
  assert.equal(a.type, "oom");
  assert.equal(a.step, 11);
  assert.equal(a.value, 7.6 * GiB);
  assert.equal(a.threshold, 0.9 * 8 * GiB);
  assert.equal(a.message, "memory 7.6 GiB at step 11 is 95% of the 8.0 GiB limit (threshold 90%); the trainer may be killed for running out of memory");
  assert.equal(m.memory(12, 7.9 * GiB, 8 * GiB), null, "once while over");
  assert.equal(m.memory(13, 6 * GiB, 8 * GiB), null);
  assert.equal(m.memory(14, 7.5 * GiB, 8 * GiB)?.type, "oom", "re-armed");
  assert.equal(new RunMonitor().memory(1, 7 * GiB, 0), null, "no limit known");
  assert.equal(new RunMonitor({ memoryShare: 0.5 }).memory(1, 5 * GiB, 8 * GiB)?.threshold, 4 * GiB);
});

test("SIGKILL with memory near the limit is an oom", () => {
  const a = classifyExit({ code: null, signal: "SIGKILL", step: 412, tail: ["step 411 loss 3.2"], lastRssBytes: 7.7 * GiB, limitBytes: 8 * GiB });
  assert.equal(a.type, "oom");
  assert.equal(a.severity, "critical");
  assert.equal(a.step, 412);
  assert.equal(a.value, 7.7 * GiB);
  assert.equal(a.threshold, 0.9 * 8 * GiB);
  assert.equal(a.message, "trainer killed by SIGKILL at step 412 with memory at 96.3% of the 8.0 GiB limit: it ran out of memory");
});

test("an out-of-memory message in the output is an oom whatever the exit", () => {
  const tail = ["<--- Last few GCs --->", "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", ""];
  const a = classifyExit({ code: 134, signal: null, step: 9, tail });
  assert.equal(a.type, "oom");
  assert.equal(a.value, null);
  assert.equal(a.threshold, null);
  assert.match(a.message, /^trainer exited with code 134 at step 9 after printing "FATAL ERROR: Reached heap limit/);
  assert.equal(classifyExit({ code: 1, signal: null, step: 9, tail: ["Error: ENOMEM: not enough memory"] }).type, "oom");
});

test("code 1, or SIGKILL with memory well under the limit, is a crash", () => {
  const a = classifyExit({ code: 1, signal: null, step: 77, tail: ["Error: boom", "    at train (train.ts:10)", ""] });
  assert.equal(a.type, "crash");
  assert.equal(a.severity, "critical");
  assert.equal(a.step, 77);
  assert.equal(a.value, 1);
  assert.equal(a.threshold, null);
  assert.equal(a.message, 'trainer exited with code 1 at step 77; last output: "at train (train.ts:10)"');
  const k = classifyExit({ code: null, signal: "SIGKILL", step: 5, tail: [], lastRssBytes: 2 * GiB, limitBytes: 8 * GiB });
  assert.equal(k.type, "crash");
  assert.equal(k.message, "trainer killed by SIGKILL at step 5 with no output");
  assert.equal(classifyExit({ code: null, signal: "SIGSEGV", step: 5, tail: [], lastRssBytes: 7.9 * GiB, limitBytes: 8 * GiB }).type, "crash");
});

test("failed allocations are out of memory: wasm's Aborted(), a heap that cannot grow, RangeError allocation failures", async () => {
  const { classifyFailure, explainFailure } = await import("../../lib/anomaly/liveness");
  const oom = [
    "RuntimeError: Aborted(). Build with -sASSERTIONS for more info.",
    "Cannot enlarge memory arrays to size 4294967296 bytes (OOM).",
    "RangeError: Array buffer allocation failed",
    "RangeError: WebAssembly.Memory(): could not allocate memory",
    "RangeError: Invalid typed array length: 4294967296",
  ];
  for (const line of oom) {
    const a = classifyExit({ code: 1, signal: null, step: 0, tail: ["backend wasm, 2,400,000,000 parameters, starting at step 0", line] });
    assert.equal(a.type, "oom", line);
    assert.match(a.message, /ran out of memory/);
    assert.equal(classifyFailure({ step: 0, error: line })?.type, "oom", line);
  }
  assert.equal(classifyExit({ code: 1, signal: null, step: 3, tail: ["RangeError: Maximum call stack size exceeded"] }).type, "crash");
  assert.equal(classifyFailure({ step: 3, error: "dataset ds-0 is not prepared" }), null);
  const explained = explainFailure("Aborted(). Build with -sASSERTIONS for more info.", "wasm");
  assert.match(explained, /^Out of memory: an allocation failed in the wasm backend's heap \(at most 4 GiB\); .*\(Aborted\(\)\. Build with -sASSERTIONS for more info\.\)$/);
  assert.equal(explainFailure(explained, "wasm"), explained, "explained once");
  assert.equal(explainFailure("checkpoint is damaged", "wasm"), "checkpoint is damaged");
});
