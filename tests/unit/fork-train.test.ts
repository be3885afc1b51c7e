import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { datasetsRoot, TOKENIZER_FILE } from "../../formats/dataset";
import type { MetricPoint } from "../../lib/protocol";
import { RunConfig, type RunConfigInput } from "../../lib/run-config";
import { type TrainHooks, train } from "../../trainer/loop/train";
import { writeTokenDataset } from "../helpers/token-dataset";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "fork-test-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, "data");
const domains = [
  { name: "web", weight: 0.8, trainTokens: 20_000, valTokens: 2_000 },
  { name: "code", weight: 0.2, trainTokens: 20_000, valTokens: 2_000 },
];
const dataset = writeTokenDataset(dataDir, { vocabSize: 64, domains });
const other = writeTokenDataset(dataDir, { vocabSize: 64, domains, seed: 2, name: "other" });
// Same vocabulary size, different merges: what another dataset's BPE would give.
const otherTokenizer = path.join(datasetsRoot(dataDir), other.id, TOKENIZER_FILE);
fs.writeFileSync(otherTokenizer, JSON.stringify({ ...JSON.parse(fs.readFileSync(otherTokenizer, "utf8")), note: "other merges" }));

const config = (over: Partial<RunConfigInput>) =>
  RunConfig.parse({
    name: "f", evals: [], nLayer: 1, nHead: 2, dModel: 32, contextLength: 32, batchSize: 8, steps: 120, warmupSteps: 5,
    evalInterval: 1000, evalBatches: 1, checkpointInterval: 60, dataset: dataset.id, backend: "wasm", ...over,
  });

async function run(name: string, over: Partial<RunConfigInput>) {
  const metrics: MetricPoint[] = [];
  const logs: string[] = [];
  const hooks: TrainHooks = {
    onStart: () => {}, onCheckpoint: () => {}, shouldStop: () => false,
    onMetrics: (ps) => void metrics.push(...ps),
    onLog: (m) => void logs.push(m),
  };
  await train(config(over), { runDir: path.join(dataDir, "runs", name), dataDir }, hooks);
  const series = (key: string) => metrics.filter((m) => m.key === key).map((m) => m.value as number);
  return { series, logs };
}

test("a fork starts from its parent's weights, not from scratch, and a mixture override changes the data mix", async () => {
  const parent = await run("parent", {});
  const fresh = await run("fresh", { steps: 1, warmupSteps: 0 });
  const fork = await run("child", { steps: 20, lr: 1e-3, initFrom: { runId: "parent", step: 120 } });
  const remixed = await run("remixed", { steps: 20, lr: 1e-3, initFrom: { runId: "parent", step: 120 }, mixWeights: { code: 4, web: 1 } });
  const parentEnd = parent.series("loss").slice(-10).reduce((a, b) => a + b, 0) / 10;
  const [forkStart] = fork.series("loss");
  const [freshStart] = fresh.series("loss");
  assert.ok(fork.logs.some((l) => l.startsWith("forked from run parent at step 120")), fork.logs.join("\n"));
  assert.ok(forkStart < 1.5 * parentEnd, `fork's first loss ${forkStart} vs the parent's last ${parentEnd}`);
  assert.ok(forkStart < freshStart - 0.5, `fork's first loss ${forkStart} vs a fresh model's ${freshStart}`);
  // code was 20% of the parent's sequences; the fork asks for 80%.
  assert.ok(parent.series("data/share/code").at(-1)! < 0.3);
  assert.ok(remixed.series("data/share/code").at(-1)! > 0.6, `code share ${remixed.series("data/share/code").at(-1)}`);
});

test("a fork fails clearly on a missing checkpoint, another tokenizer or an unknown domain", async () => {
  await assert.rejects(run("bad-step", { initFrom: { runId: "parent", step: 7 } }), /run parent has no checkpoint at step 7/);
  await assert.rejects(run("bad-tok", { dataset: other.id, initFrom: { runId: "parent", step: 120 } }), /tokenizer differs/);
  await assert.rejects(run("bad-mix", { mixWeights: { books: 1 } }), /mixWeights names books; dataset .* has the domains web, code/);
});
