import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { RunMonitor, type ObservedPoint } from "../../lib/anomaly/monitor";
import { ADOPT_AFTER } from "../../lib/anomaly/loss";
import { median, trendBaseline } from "../../lib/anomaly/rolling";
import { AnomalyThresholds, DEFAULT_THRESHOLDS } from "../../lib/anomaly/thresholds";
import type { Anomaly } from "../../lib/anomaly/types";

const FIXTURES = ["normal-adamw-gpt2", "normal-lion-llama", "normal-adafactor-small-batch"];
type Series = Record<string, [number, number | null][]>;
const load = (name: string): Series =>
  JSON.parse(fs.readFileSync(new URL(`../fixtures/anomaly/${name}.json`, import.meta.url), "utf8")).series;

/** Feeds a run step by step, as the trainer's batches arrive, and returns every anomaly. */
function replay(series: Series, thresholds?: Partial<AnomalyThresholds>): Anomaly[] {
  const byStep = new Map<number, ObservedPoint[]>();
  for (const [key, points] of Object.entries(series))
    for (const [step, value] of points) byStep.set(step, [...(byStep.get(step) ?? []), { step, key, value, wallTime: 1000 * step }]);
  const m = new RunMonitor(thresholds);
  return [...byStep.keys()].sort((a, b) => a - b).flatMap((s) => m.observe(byStep.get(s)!));
}

/** A copy of the series with f applied to key's values at the given steps. */
function plant(series: Series, key: string, steps: number[], f: (v: number) => number | null): Series {
  const out = structuredClone(series);
  out[key] = out[key].map(([s, v]) => [s, steps.includes(s) && v !== null ? f(v) : v]);
  return out;
}
const valueAt = (series: Series, key: string, step: number) => series[key].find(([s]) => s === step)![1]!;
const before = (series: Series, key: string, step: number, n = DEFAULT_THRESHOLDS.window) =>
  series[key].filter(([s]) => s < step).slice(-n).map(([, v]) => v!);
const brief = (as: Anomaly[]) => as.map((a) => `${a.type}@${a.step}:${a.key}`);

const run = load("normal-adamw-gpt2");
const AT = 300;

test("silent over every whole fixture with the default thresholds", () => {
  let total = 0;
  for (const name of FIXTURES) {
    const found = replay(load(name));
    total += found.length;
    assert.deepEqual(found.map((a) => a.message), [], name);
  }
  console.log(`false alarms over ${FIXTURES.length} fixtures × 600 steps (loss, grad_norm, tokens_per_sec, val_loss): ${total}`);
});

test("measured: all fixtures fed end to end into one monitor alarm only at the joins", () => {
  const joined: Series = {};
  const joins: number[] = [];
  let offset = 0;
  for (const name of FIXTURES) {
    const series = load(name);
    for (const [key, points] of Object.entries(series)) (joined[key] ??= []).push(...points.map(([s, v]) => [s + offset, v] as [number, number | null]));
    joins.push(offset);
    offset += 601;
  }
  const found = replay(joined);
  const nearJoin = (step: number) => joins.some((j) => j > 0 && step >= j && step < j + DEFAULT_THRESHOLDS.warmup);
  const types = (as: Anomaly[]) => [...new Set(as.map((a) => a.type))].join(", ") || "none";
  console.log(`end to end (${offset} steps, warmup only at the start): ${found.length} alarms, ${found.filter((a) => nearJoin(a.step)).length} of them within ${DEFAULT_THRESHOLDS.warmup} steps after a join (${types(found)})`);
  assert.deepEqual(found.filter((a) => !nearJoin(a.step)).map((a) => a.message), []);
});

test("loss ×3 at one step is a spike, with the level and σ of the 100 points before it", () => {
  const planted = plant(run, "loss", [AT], (v) => 3 * v);
  const found = replay(planted);
  assert.deepEqual(brief(found), [`loss_spike@${AT}:loss`]);
  const [a] = found;
  const { level, sigma } = trendBaseline(before(run, "loss", AT));
  assert.equal(a.value, 3 * valueAt(run, "loss", AT));
  assert.equal(a.threshold, level + Math.max(DEFAULT_THRESHOLDS.spikeZ * sigma, 0.05 * level));
  assert.ok(a.threshold! > 1.05 * level && a.threshold! < a.value!);
  assert.equal(a.severity, "warning");
  assert.match(a.message, /^loss 18\.\d at step 300 is \d+ robust σ \(\+\d+%\) above the local level 6\.\d+ of the last 100 points \(threshold 12σ and \+5%\)$/);
});

test("loss ×0.3 at one step is an abnormal drop", () => {
  const found = replay(plant(run, "loss", [AT], (v) => 0.3 * v));
  assert.deepEqual(brief(found), [`loss_drop@${AT}:loss`]);
  const { level, sigma } = trendBaseline(before(run, "loss", AT));
  assert.equal(found[0].value, 0.3 * valueAt(run, "loss", AT));
  assert.equal(found[0].threshold, level - Math.max(DEFAULT_THRESHOLDS.dropZ * sigma, 0.05 * level));
  assert.match(found[0].message, /below the local level/);
});

test("NaN on loss, grad_norm and val_loss is critical, even during warmup", () => {
  let s = plant(run, "loss", [AT, 3], () => null);
  s = plant(s, "grad_norm", [AT + 1], () => null);
  s = plant(s, "val_loss", [AT], () => null);
  const found = replay(s);
  assert.deepEqual(brief(found).sort(), ["nan@3:loss", `nan@${AT}:loss`, `nan@${AT}:val_loss`, `nan@${AT + 1}:grad_norm`].sort());
  for (const a of found) {
    assert.equal(a.severity, "critical");
    assert.equal(a.value, null);
    assert.equal(a.threshold, null);
  }
  assert.equal(found.find((a) => a.step === 3)!.message, "loss is NaN or Inf at step 3");
});

test("grad norm ×50 is an explosion against 25× the rolling median", () => {
  const found = replay(plant(run, "grad_norm", [AT], (v) => 50 * v));
  assert.deepEqual(brief(found), [`grad_explosion@${AT}:grad_norm`]);
  const med = median(before(run, "grad_norm", AT));
  assert.equal(found[0].value, 50 * valueAt(run, "grad_norm", AT));
  assert.ok(found[0].value! < DEFAULT_THRESHOLDS.gradCeiling, "caught by the multiple, not the ceiling");
  assert.equal(found[0].threshold, 25 * med);
  assert.match(found[0].message, /^grad_norm \d+\.?\d* at step 300 is \d+\.?\d*× the median 0\.\d+ of the last 100 points \(threshold 25×\)$/);
});

test("grad norm above the ceiling is an explosion even during warmup", () => {
  const found = replay(plant(run, "grad_norm", [5], () => 150));
  assert.deepEqual(brief(found), ["grad_explosion@5:grad_norm"]);
  assert.equal(found[0].value, 150);
  assert.equal(found[0].threshold, 100);
  assert.equal(found[0].message, "grad_norm 150 at step 5 is above the ceiling 100");
});

test("a vanishing grad norm (1e-12) is found", () => {
  const found = replay(plant(run, "grad_norm", [AT], () => 1e-12));
  assert.deepEqual(brief(found), [`grad_vanishing@${AT}:grad_norm`]);
  assert.equal(found[0].value, 1e-12);
  assert.equal(found[0].threshold, 1e-6);
});

test("throughput at 20% for 8 readings fires from the 5th low reading on", () => {
  const low = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => AT + i);
  const found = replay(plant(run, "tokens_per_sec", low, (v) => 0.2 * v));
  assert.deepEqual(brief(found), low.slice(4).map((s) => `throughput_drop@${s}:tokens_per_sec`));
  const first = found[0];
  assert.equal(first.value, 0.2 * valueAt(run, "tokens_per_sec", AT + 4));
  const history = run.tokens_per_sec.filter(([s]) => s < AT + 4).map(([s, v]) => (low.includes(s) ? 0.2 * v! : v!)).slice(-100);
  assert.equal(first.threshold, 0.5 * median(history));
  assert.match(first.message, /low for 5 readings in a row \(threshold 50% for 5\)$/);
});

test("a throughput dip shorter than the patience stays silent", () => {
  assert.deepEqual(replay(plant(run, "tokens_per_sec", [AT, AT + 1, AT + 2, AT + 3], (v) => 0.2 * v)), []);
});

test("a lasting shift becomes the new normal instead of alarming forever", () => {
  const later = run.loss.map(([s]) => s).filter((s) => s >= AT);
  const loss = replay(plant(run, "loss", later, (v) => 1.5 * v));
  assert.deepEqual(brief(loss), later.slice(0, ADOPT_AFTER).map((s) => `loss_spike@${s}:loss`));
  const slow = replay(plant(run, "tokens_per_sec", later, (v) => 0.3 * v));
  assert.ok(slow.length > 0 && slow.every((a) => a.step < AT + DEFAULT_THRESHOLDS.window / 2 + 1), `${slow.length} until ${slow.at(-1)?.step}`);
  const grad = replay(plant(run, "grad_norm", later, (v) => 40 * v));
  assert.ok(grad.length > 0 && grad.every((a) => a.step < AT + DEFAULT_THRESHOLDS.window / 2 + 1), `${grad.length} until ${grad.at(-1)?.step}`);
});

test("a spike lasting 6 steps is reported at each step, and its recovery is not a drop", () => {
  const spike = [0, 1, 2, 3, 4, 5].map((i) => AT + i);
  const found = replay(plant(run, "loss", spike, (v) => 1.8 * v));
  assert.deepEqual(brief(found), spike.map((s) => `loss_spike@${s}:loss`));
});

test("on a flat, quiet loss a 2% bump is silent however many σ it is; a 10% bump fires", () => {
  const flat = (bump: number): Series => ({
    loss: Array.from({ length: 200 }, (_, i) => [i, 2 + 0.001 * Math.sin(i * 1.7) + (i === 150 ? bump : 0)]),
  });
  assert.deepEqual(replay(flat(0)), []);
  assert.deepEqual(replay(flat(0.04)), []); // about 30 σ, but only +2%
  assert.deepEqual(brief(replay(flat(0.2))), ["loss_spike@150:loss"]);
  assert.deepEqual(brief(replay(flat(-0.2))), ["loss_drop@150:loss"]);
});

test("nothing fires during warmup except NaN and the absolute grad limits", () => {
  const early = [20, 30, 40];
  let s = plant(run, "loss", early, (v) => 5 * v);
  s = plant(s, "grad_norm", early, (v) => 60 * v);
  s = plant(s, "tokens_per_sec", run.tokens_per_sec.map(([x]) => x).filter((x) => x < 50), (v) => 0.1 * v);
  assert.deepEqual(replay(s), []);
  assert.equal(replay(s, { warmup: 10 }).length > 0, true);
});

/** Plants a spike of `multiple` every 50 points after warmup in every fixture; the share caught. */
function spikeCatchRate(multiple: number): number {
  let caught = 0;
  let planted = 0;
  for (const name of FIXTURES) {
    const series = load(name);
    const at = series.loss.map(([s]) => s).filter((s, i) => i >= DEFAULT_THRESHOLDS.warmup + 10 && (i - DEFAULT_THRESHOLDS.warmup - 10) % 50 === 0);
    const found = replay(plant(series, "loss", at, (v) => multiple * v)).filter((a) => a.type === "loss_spike");
    planted += at.length;
    caught += at.filter((s) => found.some((a) => a.step === s)).length;
  }
  return caught / planted;
}

test("measured: smallest planted spike multiple the defaults catch", () => {
  const grid = Array.from({ length: 40 }, (_, i) => Math.round((1.02 + 0.02 * i) * 100) / 100);
  const rates = grid.map((m) => [m, spikeCatchRate(m)] as const);
  const all = rates.find(([, r]) => r === 1)![0];
  const half = rates.find(([, r]) => r >= 0.5)![0];
  console.log(`spike multiple caught at every planted position: ×${all}; at half of them: ×${half}`);
  console.log(`catch rate by multiple: ${rates.filter(([m]) => m <= all).map(([m, r]) => `×${m} ${Math.round(100 * r)}%`).join(", ")}`);
  assert.ok(all <= 1.6, `defaults should catch a ×1.6 spike everywhere, caught from ×${all}`);
  assert.equal(spikeCatchRate(3), 1);
});

test("measured: false alarms if thresholds were looser (the margin of each default)", () => {
  const count = (t: Partial<AnomalyThresholds>, type: string) =>
    FIXTURES.reduce((n, name) => n + replay(load(name), t).filter((a) => type === "any" || a.type === type).length, 0);
  const rows = [
    ["spikeZ", [6, 8, 10, 12], "loss_spike"],
    ["dropZ", [4, 5, 6, 8], "loss_drop"],
    ["gradExplodeMultiple", [5, 10, 15, 20, 25], "grad_explosion"],
    ["throughputPatience", [1, 2, 3, 5], "throughput_drop"],
    ["warmup", [0, 10, 20, 30, 40, 50], "any"],
  ] as const;
  for (const [field, values, type] of rows)
    console.log(`${type} alarms by ${field}: ${values.map((v) => `${v} → ${count({ [field]: v }, type)}`).join(", ")}`);
  assert.equal(count({ spikeZ: 12 }, "loss_spike"), 0);
});

test("measured: the most extreme normal readings after warmup, which the defaults must clear", () => {
  const t = DEFAULT_THRESHOLDS;
  let rise = 0, fall = 0, grad = 0, slow = Infinity, lowRun = 0;
  for (const name of FIXTURES) {
    const series = load(name);
    const values = (key: string) => series[key].map(([, v]) => v!);
    const loss = values("loss"), g = values("grad_norm"), tps = values("tokens_per_sec");
    let run = 0;
    // Nothing in the fixtures is flagged, so every value is in the window, as here.
    for (let i = t.warmup; i < loss.length; i++) {
      const { level, sigma } = trendBaseline(loss.slice(Math.max(0, i - t.window), i));
      const z = (loss[i] - level) / sigma, rel = (loss[i] - level) / level;
      if (rel > t.spikeMinRise) rise = Math.max(rise, z);
      if (rel < -t.spikeMinRise) fall = Math.max(fall, -z);
      grad = Math.max(grad, g[i] / median(g.slice(Math.max(0, i - t.window), i)));
      const share = tps[i] / median(tps.slice(Math.max(0, i - t.window), i));
      slow = Math.min(slow, share);
      run = share < t.throughputShare ? run + 1 : 0;
      lowRun = Math.max(lowRun, run);
    }
  }
  console.log(`largest normal loss rise ${rise.toFixed(1)}σ (spikeZ ${t.spikeZ}), fall ${fall.toFixed(1)}σ (dropZ ${t.dropZ}), both beyond ${t.spikeMinRise * 100}%`);
  console.log(`largest normal grad norm ${grad.toFixed(1)}× median (gradExplodeMultiple ${t.gradExplodeMultiple}); lowest tokens/s ${slow.toFixed(2)}× median, longest run under ${t.throughputShare}: ${lowRun} (patience ${t.throughputPatience})`);
  assert.ok(rise < t.spikeZ && fall < t.dropZ && grad < t.gradExplodeMultiple && lowRun < t.throughputPatience);
});
