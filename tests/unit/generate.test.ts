import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { type HostTensor } from "../../formats/safetensors";
import { GenerateResult, SamplingOptions } from "../../lib/generation";
import { Rng } from "../../lib/rng";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { selectBackend } from "../../trainer/backend/backend";
import { saveCheckpoint } from "../../trainer/checkpoint/checkpoint";
import { generate, InputError, loadGenerator, type Generator } from "../../trainer/inference/generate";
import { argmax, sampleToken, topKIds } from "../../trainer/inference/sampling";
import { createParams, disposeParams } from "../../trainer/model/model";
import { writeTextDataset } from "../helpers/text-dataset";
import { writeTokenDataset } from "../helpers/token-dataset";

const repo = path.resolve(import.meta.dirname, "../..");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "generate-test-"));
const dataDir = path.join(root, "data");
const { manifest, tokenizer } = writeTextDataset(dataDir);
const V = tokenizer.vocabSize;
const CONTEXT = 16;

/** A randomly initialised model saved as a real checkpoint; `edit` may change its weights first. */
function checkpoint(run: string, over: Partial<RunConfigInput> = {}, edit?: (t: Map<string, HostTensor>) => void, datasetId = manifest.id) {
  const config = RunConfig.parse({ name: run, nLayer: 2, nHead: 2, dModel: 32, contextLength: CONTEXT, dataset: datasetId, ...over });
  const params = createParams({ arch: config.arch, nLayer: 2, nHead: 2, dModel: 32, contextLength: CONTEXT, vocabSize: V }, new Rng(3));
  const tensors = new Map<string, HostTensor>([...params].map(([n, p]) => [n, { shape: p.shape, data: p.dataSync() as Float32Array }]));
  disposeParams(params);
  edit?.(tensors);
  const saved = saveCheckpoint(path.join(dataDir, "runs", run), {
    step: 7, config, tensors, optimizerT: 7, tokensSeen: 0, scheduleState: null, rngState: [1, 2, 3, 4],
    dataState: {}, datasetId, vocabSize: V,
  });
  return saved.path;
}

await selectBackend("wasm");
const file = checkpoint("main");
const gen: Generator = await loadGenerator(file);
after(() => {
  gen.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});
const opts = (over: Partial<SamplingOptions>) => SamplingOptions.parse({ prompt: "The quick brown fox", maxTokens: 24, ...over });

test("greedy generation is deterministic, and top-k 1 is greedy at any temperature", async () => {
  const a = await gen.sample(opts({ temperature: 0, seed: 1 }));
  const b = await gen.sample(opts({ temperature: 0, seed: 2 }));
  assert.deepEqual(b.tokens, a.tokens, "the seed does not matter at temperature 0");
  assert.equal(a.promptTokens, tokenizer.encode("The quick brown fox").length);
  // A random model seldom ends a text: this one runs to maxTokens, past the 16-token context.
  assert.equal(a.stop, "max_tokens");
  assert.equal(a.tokens.length, 24);
  for (const temperature of [0.5, 1, 2]) {
    const k1 = await gen.sample(opts({ temperature, topK: 1, seed: 9 }));
    assert.deepEqual(k1.tokens, a.tokens, `top-k 1 at temperature ${temperature}`);
  }
});

test("sampling repeats with the same seed and differs with another", async () => {
  const o = opts({ temperature: 1, topK: 0, seed: 42 });
  const a = await gen.sample(o);
  const b = await gen.sample(o);
  assert.deepEqual(b.tokens, a.tokens);
  assert.equal(a.seed, 42);
  const c = await gen.sample({ ...o, seed: 43 });
  assert.notDeepEqual(c.tokens, a.tokens);
  const greedy = await gen.sample(opts({ temperature: 0 }));
  assert.notDeepEqual(a.tokens, greedy.tokens, "temperature 1 over the whole vocabulary is not argmax");
  const drawn = await gen.sample(opts({ temperature: 1 }));
  assert.ok(Number.isInteger(drawn.seed), "a seed is drawn when none is given, and reported");
  assert.deepEqual((await gen.sample(opts({ temperature: 1, seed: drawn.seed }))).tokens, drawn.tokens);
});

test("the output decodes, and maxTokens is respected", async () => {
  for (const maxTokens of [1, 5, 40]) {
    const r = await gen.sample(opts({ temperature: 0.9, topK: 40, maxTokens, seed: 5 }));
    assert.ok(r.tokens.length <= maxTokens);
    if (r.stop === "max_tokens") assert.equal(r.tokens.length, maxTokens);
    assert.ok(r.tokens.every((t) => Number.isInteger(t) && t >= 0 && t < V && t !== tokenizer.eotId));
    assert.equal(r.text, tokenizer.decode(r.tokens));
    assert.ok(r.ms > 0);
  }
  // An empty prompt starts from end-of-text; a prompt longer than the context is cropped to it.
  // (Greedy would stop at once: a random model with tied embeddings echoes its last token, here eot.)
  const empty = await gen.sample(opts({ prompt: "", temperature: 1, topK: 0, maxTokens: 3, seed: 1 }));
  assert.equal(empty.promptTokens, 0);
  assert.equal(empty.stop, "max_tokens");
  assert.equal(empty.tokens.length, 3);
  const long = await gen.sample(opts({ prompt: "sea shells ".repeat(40), temperature: 0, maxTokens: 3 }));
  assert.ok(long.promptTokens > CONTEXT);
  assert.equal(long.tokens.length, 3);
});

test("llama and prefix-LM checkpoints generate too", async () => {
  for (const over of [{ arch: "llama" as const }, { objective: "prefix" as const }]) {
    const other = await loadGenerator(checkpoint(Object.values(over).join("-"), over));
    try {
      const a = await other.sample(opts({ temperature: 0.8, seed: 4, maxTokens: 20 }));
      assert.equal(a.tokens.length, 20, JSON.stringify(over));
      assert.deepEqual((await other.sample(opts({ temperature: 0.8, seed: 4, maxTokens: 20 }))).tokens, a.tokens);
    } finally {
      other.dispose();
    }
  }
});

test("generation stops at the end-of-text token", async () => {
  // ln_f outputs its bias e whatever the input; wte[eot] = 10 e makes eot the clear argmax.
  const eotFile = checkpoint("eot", {}, (t) => {
    const C = 32;
    const e = Float32Array.from({ length: C }, (_, i) => (i % 2 ? 1 : -1) / Math.sqrt(C));
    t.get("ln_f.g")!.data.fill(0);
    t.get("ln_f.b")!.data.set(e);
    t.get("wte")!.data.set(e.map((x) => 10 * x), tokenizer.eotId * C);
  });
  const r = await generate({ checkpointFile: eotFile, ...opts({ temperature: 0 }) });
  assert.equal(r.stop, "eot");
  assert.deepEqual(r.tokens, []);
  assert.equal(r.text, "");
  assert.ok(r.loadMs > 0);
});

test("sampling helpers: ties go to the lower id, top-k keeps exactly k", () => {
  const logits = Float32Array.from([1, 3, 3, -2, 0.5, 3]);
  assert.equal(argmax(logits), 1);
  assert.deepEqual(topKIds(logits, 1), [1]);
  assert.deepEqual(topKIds(logits, 2), [1, 2]);
  assert.deepEqual(topKIds(logits, 4), [0, 1, 2, 5]);
  assert.deepEqual(topKIds(logits, 10), [0, 1, 2, 3, 4, 5]);
  const rng = new Rng(1);
  const counts = new Map<number, number>();
  for (let i = 0; i < 3000; i++) {
    const t = sampleToken(logits, 1, 3, rng);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), [1, 2, 5], "only the top 3 are drawn");
  for (const id of [1, 2, 5]) assert.ok(Math.abs(counts.get(id)! / 3000 - 1 / 3) < 0.05, `equal logits draw evenly (${id}: ${counts.get(id)})`);
  assert.throws(() => sampleToken(Float32Array.from([0, NaN]), 1, 0, rng), /NaN logit/);
});

test("requests the checkpoint cannot serve fail clearly", async () => {
  await assert.rejects(gen.sample(opts({ topK: V + 1 })), (e: Error) => e instanceof InputError && e.message === `topK ${V + 1} exceeds the vocabulary of ${V} tokens`);
  await assert.rejects(loadGenerator(checkpoint("mlm", { objective: "mlm" })), /trained as a masked LM .* cannot generate text/);
  const stub = writeTokenDataset(dataDir, { vocabSize: V, domains: [{ name: "x", weight: 1, trainTokens: 100, valTokens: 100 }], seed: 9 });
  await assert.rejects(loadGenerator(checkpoint("stub", {}, undefined, stub.id)), /cannot load .*tokenizer\.json: invalid tokenizer\.json/);
  await assert.rejects(loadGenerator(file, path.join(root, "elsewhere")), /dataset ds-\w+ has no tokenizer\.json under .*elsewhere.*; pass --data-dir/);
  await assert.rejects(loadGenerator(path.join(root, "missing")), /no checkpoint at .*missing: the path does not exist/);
});

test("the CLI prints the same result as a JSON line with --json, in its own process", async () => {
  const args = ["--checkpoint", path.dirname(file), "--prompt", "sea shells", "--temperature", "0.8", "--top-k", "20", "--max-tokens", "12", "--seed", "11"];
  const run = (...extra: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", path.join(repo, "trainer", "cli", "generate.ts"), ...args, ...extra], { cwd: repo, encoding: "utf8" });
  const json = run("--json");
  assert.equal(json.status, 0, json.stderr);
  const result = GenerateResult.parse(JSON.parse(json.stdout.trim().split("\n").pop()!));
  const here = await gen.sample(opts({ prompt: "sea shells", temperature: 0.8, topK: 20, maxTokens: 12, seed: 11 }));
  assert.deepEqual(result.tokens, here.tokens, "same seed, same text across processes");
  assert.equal(result.backend, "wasm");
  const plain = run();
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, `sea shells${here.text}\n`);
  assert.match(plain.stderr, /12 tokens in \d+ ms \([\d.]+ tokens\/s; load \d+ ms\), stopped at --max-tokens, seed 11/);
  const bad = run("--max-tokens", "0");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error: --max-tokens: At least 1/);
});
