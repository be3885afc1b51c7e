import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type HostTensor } from "../../formats/safetensors";
import { bitsPerByte, textBytes } from "../../lib/bpb";
import { flopsPerToken } from "../../lib/estimates";
import type { EvalPredictions } from "../../lib/eval/contracts";
import { NO_VERIFIED_CHECKPOINT, type CheckpointCorrupt, type CheckpointSaved, type Heartbeat, type MetricPoint, type RecordedCheckpoint, type RecoveryEvent } from "../../lib/protocol";
import { Rng } from "../../lib/rng";
import type { RunConfig } from "../../lib/run-config";
import { batchSizeAt, createSchedule } from "../../lib/schedule";
import { wellFormed } from "../../lib/text-guard";
import { type BackendChoice, selectBackend } from "../backend/backend";
import { activeGemm } from "../backend/kernels/native-gemm";
import { findLatest, removeAbandoned, saveCheckpoint } from "../checkpoint/checkpoint";
import { forkParent, loadWeights, OPTIM_PREFIX, restore } from "../checkpoint/restore";
import { excludeData } from "../data/exclude-stream";
import { loadDomains, metricDomain, resolveDataset } from "../data/load";
import { type Batch, MixtureSampler } from "../data/mixture";
import { datasetByteLengths } from "../data/text-bytes";
import { EvalBudget, formatEvalMetrics, prepareRunEvals } from "../eval/mid-training";
import { countParams, createParams, disposeParams, modelConfig, type ModelConfig, type Params } from "../model/model";
import { objectiveLoss } from "../model/objectives";
import { zLossPoints } from "../model/stabilisers";
import { createOptimizer, reportedLr } from "../optimizers";
import { accumulateGradients, objectivePass } from "./accumulate";
import { clipByGlobalNorm } from "./clip";
import { disrupt, FaultInjector, gradFactor, lossFactor } from "./faults";
import { LayerStats } from "./layer-stats";
import { guardMemory } from "./memory-guard";
import { WorkerPool } from "./parallel/pool";
import { workerCount } from "./parallel/shards";
import { Recovery } from "./recovery";

export interface TrainHooks {
  /** `workers`: threads computing gradients (config.workers resolved); 1 = the trainer's own. */
  onStart(info: { backend: string; workers: number; paramCount: number; startStep: number; warning?: string }): void | Promise<void>;
  onMetrics(points: MetricPoint[]): void;
  /**
   * Called before a checkpoint is renamed into place. Resuming starts after that checkpoint, so
   * whatever the metrics of the steps before it still need (being on disk) must be done here.
   */
  beforeCheckpoint?(step: number): void;
  onCheckpoint(info: CheckpointSaved): void | Promise<void>;
  /** Per-example benchmark predictions, one call per task after each benchmark round. */
  onEvalPredictions?(p: EvalPredictions): void | Promise<void>;
  onLog(message: string): void;
  /** What the trainer is doing now, for liveness: a long evaluation is not a stall. */
  onPhase?(phase: Heartbeat["phase"]): void;
  /** A recovery policy acted (skipped an update, rolled back, gave up); sent after the step's metrics. */
  onRecovery?(event: RecoveryEvent): void | Promise<void>;
  shouldStop(): boolean;
}

/**
 * What the server recorded of the run's checkpoints, asked for before any is loaded: each file must
 * match its recorded sha256 as well as its sidecar, and a damaged one is reported with the fallback.
 */
export interface CheckpointVerification {
  recorded: RecordedCheckpoint[];
  corrupt(c: CheckpointCorrupt): Promise<void>;
}

export interface TrainResult {
  status: "completed" | "stopped";
  step: number;
}

/** Mean loss over the fixed validation batches, read back with one sync. */
async function evaluate(params: Params, model: ModelConfig, batches: Batch[], B: number, T: number): Promise<number> {
  const mean = tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (const batch of batches) {
      total = tf.add(total, objectiveLoss(params, model, { ...batch, B, T }));
    }
    return tf.div(total, batches.length);
  });
  const [value] = await mean.data(); // not dataSync: webgpu in Node can only read asynchronously
  mean.dispose();
  return value;
}

/**
 * Trains a GPT on config.dataset for config.steps optimizer updates, resuming from the newest
 * valid checkpoint in opts.runDir. Per iteration, nanoGPT order: lr, eval, checkpoint, forward/backward
 * accumulated over micro-batches, clip, optimizer step, log; then yields to the event loop and polls
 * shouldStop. The step's batch follows the batch-size ramp; the plateau schedule reads the evals.
 * Benchmarks (config.evals) run at every eval step and checkpoint, within config.evalBudget of the
 * training time; they draw from no rng of the run's, so resume stays exact. With config.workers
 * above 1 the forward/backward passes run on worker threads (parallel/pool.ts) and the rest of the
 * step stays here, so a seed gives the same run, within float rounding, on any number of workers.
 */
export async function train(
  config: RunConfig,
  opts: { runDir: string; dataDir: string; checkpoints?: CheckpointVerification },
  hooks: TrainHooks,
): Promise<TrainResult> {
  const backend = await selectBackend(config.backend);
  const manifest = await resolveDataset(config.dataset, opts.dataDir, hooks.onLog);
  const domains = excludeData(loadDomains(manifest, opts.dataDir, config.mixWeights), config.exclude, Object.keys(manifest.domains));
  const vocabSize = manifest.tokenizer.vocabSize;
  const model: ModelConfig = modelConfig(config, vocabSize);
  const B = config.batchSize;
  const T = config.contextLength;
  const workers = workerCount(config.workers, backend.name, B);
  const modelFlops = flopsPerToken({ ...config, vocabSize });
  guardMemory(config, vocabSize, backend.name, hooks.onLog);
  // OpenBLAS's thread count is per process: the workers share the cores rather than each taking all.
  if (backend.name === "wasm") activeGemm()?.threads(Math.max(1, Math.floor(os.availableParallelism() / workers)));
  hooks.onLog(
    `dataset ${manifest.id} (${manifest.name}): vocabulary ${vocabSize}, ` +
      domains.map((d) => `${d.name} ${(d.weight * 100).toFixed(1)}% of ${d.train.length.toLocaleString("en-US")} tokens`).join(", "),
  );

  const rng = new Rng(config.seed);
  const sampler = new MixtureSampler(domains, B, T, rng);
  const params = createParams(model, rng);
  const optim = createOptimizer(config, params);
  const schedule = createSchedule(config);
  let tokensSeen = 0;
  let pool: WorkerPool | null = null;
  try {
    let startStep = 0;
    for (const dir of removeAbandoned(opts.runDir)) hooks.onLog(`removed ${dir}, a checkpoint an earlier trainer did not finish writing`);
    // Our own checkpoints join the server's records as they are written, for rollbacks.
    const recorded = opts.checkpoints ? new Map(opts.checkpoints.recorded.map((c) => [c.step, c.sha256])) : undefined;
    const latest = async (atMost?: number) => {
      const found = findLatest(opts.runDir, { log: hooks.onLog, atMost, recorded });
      for (const s of found.skipped)
        await opts.checkpoints?.corrupt({ step: s.step, path: s.file, reason: wellFormed(s.reason, 2000), fallbackStep: found.state?.step ?? null });
      return found;
    };
    const first = await latest();
    // Starting over would silently throw the run's progress away: only the person may choose that.
    if (!first.state && first.skipped.length > 0)
      throw new Error(
        `${NO_VERIFIED_CHECKPOINT}: ${first.skipped.map((s) => `step ${s.step} (${s.reason})`).join("; ").slice(0, 3000)}. ` +
          "Resume from scratch to start again at step 0.",
      );
    const resumed = first.state;
    // A continued fork goes on from its parent's checkpoint as a resume would, with this run's config.
    const continued = !resumed && config.initFrom?.continue ? { ...forkParent(config.initFrom, opts.dataDir, manifest), path: `run ${config.initFrom.runId}'s step ${config.initFrom.step}` } : null;
    const from = resumed ?? continued;
    if (from) {
      // Checked before any tensor is touched: a different dataset or tokenizer is a different run.
      if (from.datasetId !== manifest.id)
        throw new Error(`checkpoint ${from.path} was trained on dataset ${from.datasetId}, this run's dataset is ${manifest.id}; start a new run`);
      if (from.vocabSize !== vocabSize)
        throw new Error(`checkpoint ${from.path} has a vocabulary of ${from.vocabSize}, dataset ${manifest.id} has ${vocabSize}; start a new run`);
      if (from.config.optimizer !== config.optimizer)
        throw new Error(`checkpoint ${from.path} holds ${from.config.optimizer} state, this run's optimizer is ${config.optimizer}; start a new run`);
      await restore(params, optim, from.tensors, from.optimizerT);
      rng.setState(from.rngState);
      sampler.setState(from.dataState, { otherDomains: !!continued });
      schedule.setState(from.scheduleState);
      tokensSeen = from.tokensSeen;
      startStep = from.step;
      hooks.onLog(continued ? `continued run ${config.initFrom!.runId} from its step ${startStep}: its weights, optimizer, schedule, rng and data position` : `resumed from ${from.path} at step ${startStep}`);
    } else if (config.initFrom) {
      const parent = forkParent(config.initFrom, opts.dataDir, manifest);
      loadWeights(params, parent.tensors);
      hooks.onLog(`forked from run ${config.initFrom.runId} at step ${config.initFrom.step}: its weights, a fresh optimizer and schedule`);
    }
    await hooks.onStart({ backend: backend.label, workers, paramCount: countParams(model), startStep, warning: backend.warning });
    if (backend.note) hooks.onLog(`backend: ${backend.note}`);
    if (startStep >= config.steps) {
      hooks.onLog(`checkpoint at step ${startStep} already covers the ${config.steps} steps of this run; nothing to do`);
      return { status: "completed", step: startStep };
    }
    if (workers > 1) {
      const started = performance.now();
      pool = await WorkerPool.start({
        workers, backend: backend.name as BackendChoice, model, params, maxRows: B, T, micro: config.microBatchSize, maskId: manifest.tokenizer.eotId,
      });
      hooks.onLog(`${workers} gradient workers ready in ${((performance.now() - started) / 1000).toFixed(1)} s; each step splits its batch between them`);
    }
    const pass = objectivePass(params, model, T, rng, manifest.tokenizer.eotId);

    const suite = await prepareRunEvals(config, manifest, opts.dataDir, hooks.onLog);
    const valSet = sampler.valBatches(config.evalBatches);
    // Bits per byte compares across tokenizers; only next-token loss is a loss per token of the text.
    const bytes = config.objective === "clm" ? datasetByteLengths(opts.dataDir, manifest) : { reason: `the ${config.objective} loss is not per token of text` };
    const byteLengths = "lengths" in bytes ? bytes.lengths : null;
    if ("reason" in bytes) hooks.onLog(`bits per byte not logged: ${bytes.reason}`);
    /** The step's bpb point, when the batch has text and the loss a value. */
    const trainBpb = (step: number, loss: number, batch: Batch, rows: number, wallTime: number): MetricPoint[] => {
      const n = byteLengths ? textBytes(batch.y.subarray(0, rows * T), byteLengths) : 0;
      return n > 0 && Number.isFinite(loss) ? [{ step, key: "bpb", value: bitsPerByte(loss, rows * T, n), wallTime }] : [];
    };
    const valBytes = byteLengths ? valSet.reduce((n, b) => n + textBytes(b.y, byteLengths), 0) : 0;
    const now = () => Date.now() / 1000;
    const emitEval = async (step: number) => {
      const valLoss = await evaluate(params, model, valSet, B, T);
      schedule.observe(step, valLoss);
      const wallTime = now();
      hooks.onMetrics([
        { step, key: "val_loss", value: valLoss, wallTime },
        { step, key: "val_ppl", value: Math.exp(valLoss), wallTime },
        ...(valBytes > 0 ? [{ step, key: "val_bpb", value: bitsPerByte(valLoss, valSet.length * B * T, valBytes), wallTime }] : []),
      ]);
    };
    const checkpoint = async (step: number) => {
      const tensors = new Map<string, HostTensor>();
      for (const [name, p] of params) tensors.set(name, { shape: p.shape, data: (await p.data()) as Float32Array });
      const [iter, ...slots] = await optim.getWeights();
      iter.tensor.dispose(); // the count goes in the metadata as an exact integer
      for (const { name, tensor } of slots) tensors.set(OPTIM_PREFIX + name, { shape: tensor.shape, data: (await tensor.data()) as Float32Array });
      hooks.beforeCheckpoint?.(step);
      const saved = saveCheckpoint(opts.runDir, {
        step, config, tensors, optimizerT: optim.iterations, tokensSeen, scheduleState: schedule.getState(),
        rngState: rng.getState(), dataState: sampler.getState(), datasetId: manifest.id, vocabSize,
      });
      recorded?.set(saved.step, saved.sha256);
      await hooks.onCheckpoint(saved);
    };

    const faults = new FaultInjector(config.faults, opts.runDir);
    const recovery = new Recovery(config);
    // A rollback needs a checkpoint to go back to, even before the first interval.
    // A continued fork writes its own first, so its batches can be rebuilt from its own checkpoints.
    if ((config.recovery === "rollback" && !resumed) || continued) await checkpoint(startStep);
    let restoredAt = -1;

    const budget = new EvalBudget(config.evalBudget);
    const benchmarks = async (step: number) => {
      if (!suite) return;
      const allowance = budget.allowance();
      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      if (allowance <= 0) {
        hooks.onLog(`benchmarks skipped at step ${step}: evaluation has taken ${seconds(budget.spentMs)} of its ${config.evalBudget} share of ${seconds(budget.trainMs)} training`);
        return;
      }
      const result = await suite.run(params, model, step, allowance);
      budget.record(result.ms);
      const wallTime = now();
      hooks.onMetrics(Object.entries(result.metrics).map(([key, value]) => ({ step, key, value, wallTime })));
      hooks.onLog(`benchmarks at step ${step} in ${seconds(result.ms)}${result.complete ? "" : " (cut short by the time budget)"}: ${formatEvalMetrics(result.metrics)}`);
      for (const p of result.predictions) await hooks.onEvalPredictions?.(p);
    };

    const layerStats = new LayerStats(params, model, config.layerStatsInterval);
    let tokensSinceLog = 0;
    let secondsSinceLog = 0;
    for (let step = startStep; step < config.steps; step++) {
      const lr = schedule.lrAt(step) * recovery.lrFactor(step);
      const evalStep = step % config.evalInterval === 0 && step !== restoredAt;
      const checkpointStep = step % config.checkpointInterval === 0 && step > startStep;
      hooks.onPhase?.("eval");
      if (evalStep) await emitEval(step);
      hooks.onPhase?.("checkpoint");
      // After a rollback this rewrites the restored step with the data position past the spike.
      if (checkpointStep) await checkpoint(step);
      hooks.onPhase?.("eval");
      // At a checkpoint's step also when resuming from it: a trainer killed after the rename never ran them.
      if ((evalStep || step % config.checkpointInterval === 0) && step !== restoredAt) await benchmarks(step);
      hooks.onPhase?.("train");

      const injected = faults.take(step);
      await disrupt(injected, hooks.onLog);
      const t0 = performance.now();
      const rows = batchSizeAt(tokensSeen, config);
      const batch = sampler.nextBatch(rows);
      if (pool) await pool.run(batch, rows, rng);
      const { packed, clipped } = tf.tidy(() => {
        let { loss, grads, z } = pool ? pool.gradients() : accumulateGradients(pass, batch, rows, config.microBatchSize || rows, T);
        const k = lossFactor(injected);
        const g = k * gradFactor(injected);
        if (k !== 1) loss = tf.mul(loss, k);
        if (g !== 1) grads = new Map([...grads].map(([name, t]) => [name, tf.mul(t, g)]));
        layerStats.capture(step, grads, batch, rows, T);
        const { grads: clipped, norm } = clipByGlobalNorm(grads, config.clipNorm);
        return { packed: tf.stack([loss, norm, ...(z ? [z] : [])]), clipped: Object.fromEntries(clipped) };
      });
      const [loss, gradNorm, zTerm] = await packed.data(); // the step's only device read, before the update so recovery can veto it
      packed.dispose();
      const verdict = recovery.check(step, loss, gradNorm);
      if (verdict.action === "apply")
        tf.tidy(() => {
          optim.learningRate = lr;
          optim.applyGradients(clipped);
        });
      tf.dispose(Object.values(clipped));
      const statPoints = await layerStats.points(step, now());
      if (statPoints.length > 0) hooks.onMetrics(statPoints);
      tokensSeen += rows * T;
      tokensSinceLog += rows * T;
      secondsSinceLog += (performance.now() - t0) / 1000;

      if (step % config.logInterval === 0 || verdict.action !== "apply") {
        const wallTime = now();
        hooks.onMetrics([
          { step, key: "loss", value: loss, wallTime },
          ...zLossPoints(step, zTerm, wallTime),
          ...trainBpb(step, loss, batch, rows, wallTime),
          { step, key: "lr", value: reportedLr(config, lr, step + 1), wallTime },
          { step, key: "grad_norm", value: gradNorm, wallTime },
          { step, key: "tokens_per_sec", value: tokensSinceLog / secondsSinceLog, wallTime },
          // Achieved model FLOP/s, the numerator of MFU: comparable across model sizes and machines.
          { step, key: "model_gflops", value: (tokensSinceLog / secondsSinceLog) * modelFlops / 1e9, wallTime },
          { step, key: "batch_size", value: rows, wallTime },
          ...sampler.names.flatMap((d) => [
            { step, key: `data/share/${metricDomain(d)}`, value: sampler.share(d), wallTime },
            { step, key: `data/epochs/${metricDomain(d)}`, value: sampler.epochs(d), wallTime },
          ]),
        ]);
        tokensSinceLog = 0;
        secondsSinceLog = 0;
      }

      if (verdict.action === "skip") {
        const message = `skipped the update of step ${step}: ${verdict.anomaly.message}`;
        hooks.onLog(message);
        await hooks.onRecovery?.({ type: "skip_step", step, value: verdict.anomaly.value, threshold: verdict.anomaly.threshold, message });
      } else if (verdict.action === "give-up") {
        const message = `recovery exhausted: ${verdict.anomaly.message}, after ${verdict.attempts} rollbacks (maxRollbacks ${config.maxRollbacks})`;
        await hooks.onRecovery?.({ type: "recovery_exhausted", step, value: verdict.anomaly.value, threshold: verdict.anomaly.threshold, message });
        throw new Error(message);
      } else if (verdict.action === "rollback") {
        const target = (await latest(step)).state;
        if (!target) throw new Error(`rollback at step ${step} found no valid checkpoint to go back to`);
        await restore(params, optim, target.tensors, target.optimizerT);
        schedule.setState(target.scheduleState);
        tokensSeen = target.tokensSeen;
        // The rng and the data position are not restored: training goes on past the batch that
        // spiked, and skips rollbackSkipBatches more.
        for (let i = 0; i < config.rollbackSkipBatches; i++) sampler.nextBatch(batchSizeAt(tokensSeen, config));
        recovery.rolledBack(target.step);
        restoredAt = target.step;
        const lrNote = config.rollbackLrScale !== 1 ? `; lr ×${config.rollbackLrScale} for ${config.rollbackLrSteps} steps` : "";
        const message =
          `rollback ${verdict.attempt}/${config.maxRollbacks}: ${verdict.anomaly.message}; restored the checkpoint at step ${target.step}` +
          ` and skipped ${step - target.step + 1 + config.rollbackSkipBatches} data batches${lrNote}`;
        hooks.onLog(message);
        await hooks.onRecovery?.({
          type: "rollback", step, toStep: target.step, attempt: verdict.attempt,
          value: verdict.anomaly.value, threshold: verdict.anomaly.threshold, message,
        });
        step = target.step - 1; // the loop's step++ lands on the restored step
        continue;
      }

      await new Promise((r) => setImmediate(r)); // let the caller's socket I/O run
      if (hooks.shouldStop() && step + 1 < config.steps) {
        // No benchmarks here: the supervisor kills a trainer that takes too long to stop.
        hooks.onLog(`stop requested; checkpointing at step ${step + 1}`);
        await checkpoint(step + 1);
        return { status: "stopped", step: step + 1 };
      }
    }
    await emitEval(config.steps);
    await checkpoint(config.steps);
    await benchmarks(config.steps);
    return { status: "completed", step: config.steps };
  } finally {
    await pool?.close();
    optim.dispose();
    disposeParams(params);
  }
}
