import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { classifyBlas, describeBlas, ourBlas, torchBlasRefusal } from "../../bench/blas";
import { cpuMark, otherCores } from "../../bench/other-cpu";
import { CONFIGS, Flags, formatTable, mfu, modelFlops, percentile, prepareFlags, throughput, type ConfigResult } from "../../bench/train-throughput-report";
import { countParams } from "../../trainer/model/model";

const parse = (values: Record<string, unknown>) => Flags.safeParse(prepareFlags(values));

test("FLOPs per token are 6N + 12·L·d·T with N counted as the trainer builds the model", () => {
  const f = modelFlops(CONFIGS.tiny);
  assert.equal(f.params, 875_264);
  assert.equal(f.params, countParams({ ...CONFIGS.tiny, arch: "gpt2" }));
  assert.equal(f.attention, 12 * 4 * 128 * 128);
  assert.equal(f.total, 6 * 875_264 + 12 * 4 * 128 * 128);
  assert.equal(f.tokensPerStep, 8 * 128);
  const large = modelFlops(CONFIGS.large);
  assert.equal(large.params, countParams({ ...CONFIGS.large, arch: "gpt2" }));
  assert.ok(large.params / f.params > 9 && large.params / f.params < 14, `large is ${large.params / f.params}× tiny`);
});

test("MFU divides achieved model FLOP/s by the peak", () => {
  assert.equal(mfu(1000, 6e6, 100), 0.06);
});

test("percentiles interpolate between order statistics, and throughput is per step", () => {
  assert.equal(percentile([3, 1, 2], 50), 2);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 10), 2);
  assert.equal(percentile([0, 10], 90), 9);
  assert.throws(() => percentile([], 50), /no values/);
  // Steps of 1 s, 2 s and 4 s at 1000 tokens: per-step 1000, 500, 250 tok/s (not 3000 / 7 s pooled).
  const t = throughput([2, 1, 4], 1000);
  assert.deepEqual(t.tokensPerSec, { median: 500, p10: 300, p90: 900 });
  assert.equal(t.steps, 3);
});

test("flags: defaults, config lists and the errors they give", () => {
  const d = parse({});
  assert.ok(d.success);
  assert.deepEqual(d.data.configs, ["tiny", "large"]);
  assert.equal(d.data.torch, true);
  assert.equal(d.data.steps, undefined);
  assert.equal(d.data.backend, "auto");
  assert.equal(d.data.rounds, 1);
  assert.equal(d.data.out, "bench-results/train-throughput.json");
  const custom = parse({ configs: "large, tiny", steps: "7", warmup: "0", backend: "cpu", "no-torch": true });
  assert.ok(custom.success);
  assert.deepEqual([custom.data.configs, custom.data.steps, custom.data.warmup, custom.data.backend, custom.data.torch], [["large", "tiny"], 7, 0, "cpu", false]);
  const errors = (values: Record<string, unknown>) => {
    const r = parse(values);
    assert.ok(!r.success);
    return r.error.issues.map((i) => i.message).join("; ");
  };
  assert.match(errors({ configs: "tiny,huge" }), /--configs takes .*tiny, large/);
  assert.match(errors({ configs: "," }), /names no config/);
  assert.match(errors({ steps: "0" }), /--steps must be at least 1/);
  assert.match(errors({ steps: "2.5" }), /--steps must be a whole number/);
  assert.match(errors({ warmup: "x" }), /--warmup must be a number/);
  assert.match(errors({ rounds: "0" }), /--rounds must be at least 1/);
  assert.match(errors({ backend: "tpu" }), /--backend must be one of: auto, .*wasm/);
});

test("the CLI exits 2 with a clear message on an unknown flag or a bad value", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", path.join("bench", "train-throughput.ts"), ...args], { encoding: "utf8", timeout: 60_000 });
  const unknown = run("--bogus");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /error: .*--bogus/);
  const bad = run("--configs", "medium", "--no-torch");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error: --configs takes/);
});

test("the table shows ratio and MFU, and says which side failed or was skipped", () => {
  const model = { ...CONFIGS.tiny, ...modelFlops(CONFIGS.tiny) };
  const ours = { ...throughput([1, 1, 1], 1024), backend: "wasm", mfu: 0.01, load: [1, 1], otherCores: [0.01] };
  const torch = { ...throughput([0.5, 0.5], 1024), params: model.params, mfu: 0.02, load: [1, 1], otherCores: [0.02] };
  const rows: ConfigResult[] = [
    { name: "tiny", model, ours, torch },
    { name: "large", model, ours: { error: "out of memory" }, torch: null },
  ];
  const [header, tiny, large] = formatTable(rows);
  assert.match(header, /config \| ours tok\/s \(median, p10–p90\) \| PyTorch tok\/s \| ours\/PyTorch \| our MFU \| PyTorch MFU/);
  assert.deepEqual(tiny.split("|").map((c) => c.trim()), ["tiny", "1,024 (1,024–1,024)", "2,048", "0.500", "1.00%", "2.00%"]);
  assert.deepEqual(large.split("|").map((c) => c.trim()), ["large", "failed", "skipped", "n/a", "n/a", "n/a"]);
});

test("other processes' cores: the arithmetic, and this process's threads and finished children count as its own", () => {
  assert.equal(otherCores({ machine: 10, own: 2, wallMs: 0 }, { machine: 13, own: 3, wallMs: 1000 }), 2);
  assert.equal(otherCores({ machine: 10, own: 2, wallMs: 0 }, { machine: 10.5, own: 3, wallMs: 1000 }), 0, "tick rounding never goes negative");
  assert.equal(otherCores(null, { machine: 1, own: 1, wallMs: 1 }), null);
  const burn = "const t = process.cpuUsage(); while (process.cpuUsage(t).user < 400_000);";
  const before = cpuMark()!;
  const t = process.cpuUsage();
  while (process.cpuUsage(t).user < 400_000);
  const afterSelf = cpuMark()!;
  assert.ok(afterSelf.own - before.own >= 0.35, `own CPU grew by ${afterSelf.own - before.own} s after 0.4 s of work`);
  assert.ok(afterSelf.machine - before.machine >= afterSelf.own - before.own - 0.03, "the machine's busy time includes ours");
  assert.equal(spawnSync(process.execPath, ["-e", burn]).status, 0);
  const afterChild = cpuMark()!;
  assert.ok(afterChild.own - afterSelf.own >= 0.35, `a finished child's 0.4 s counted ${afterChild.own - afterSelf.own} s`);
});

test("BLAS of the PyTorch side: read from the mapped libraries, else torch's build line; only an optimised one gets a ratio", () => {
  // Debian without libopenblas0-pthread: libblas.so.3 resolves to the reference BLAS.
  const reference = classifyBlas(["/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0", "/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3.11.0"], "BLAS_INFO=generic");
  assert.equal(reference.kind, "reference");
  assert.match(torchBlasRefusal(reference, "Install OpenBLAS.") ?? "", /reference BLAS.*no ratio is printed\. Install OpenBLAS\./);
  // With it, the same libblas.so.3 resolves into OpenBLAS's folder.
  const open = classifyBlas(["/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"], "BLAS_INFO=generic");
  assert.equal(open.kind, "openblas");
  assert.equal(torchBlasRefusal(open, ""), null);
  assert.equal(classifyBlas(["/usr/lib/x86_64-linux-gnu/libopenblas.so.0"]).kind, "openblas");
  // A wheel with MKL linked in maps no BLAS library; its build line says which.
  assert.deepEqual(classifyBlas([], "  - BLAS_INFO=mkl, BUILD_TYPE=Release"), { kind: "mkl", detail: "BLAS_INFO=mkl in torch's build line, no BLAS library mapped" });
  assert.equal(classifyBlas(["/opt/lib/libblis.so.4"]).kind, "blis");
  const unknown = classifyBlas([], "");
  assert.equal(unknown.kind, "unknown");
  assert.notEqual(torchBlasRefusal(unknown, ""), null, "an unknown BLAS gets no ratio either");
  assert.match(describeBlas(reference), /^the reference BLAS \(netlib, unoptimised\) \(\/usr\/lib\/x86_64-linux-gnu\/blas\/libblas\.so\.3\.11\.0\)$/);
});

test("BLAS of our side: OpenBLAS with its build line, XNNPACK with the reason, or what the backend uses instead", () => {
  assert.equal(ourBlas("wasm", { enabled: true, ok: true, config: "OpenBLAS 0.3.21 DYNAMIC_ARCH Haswell", threads: 2 }), "OpenBLAS, 2 threads (OpenBLAS 0.3.21 DYNAMIC_ARCH Haswell)");
  assert.equal(ourBlas("wasm", { enabled: true, ok: false, reason: "libopenblas.so.0 is not installed" }), "XNNPACK in wasm (no OpenBLAS: libopenblas.so.0 is not installed)");
  assert.match(ourBlas("wasm", { enabled: false, ok: true, config: "x", threads: 1 }), /TRAINER_NATIVE_GEMM=0/);
  assert.match(ourBlas("tensorflow", { enabled: true, ok: false, reason: "" }), /libtensorflow/);
  assert.match(ourBlas("cpu", { enabled: true, ok: false, reason: "" }), /no BLAS/);
});
