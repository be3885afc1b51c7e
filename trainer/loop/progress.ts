import type { MetricPoint } from "../../lib/protocol";

/** One human line of progress: `step 120/300 │ loss 2.41 │ val 2.52 │ lr 2.9e-3 │ 11,200 tok/s │ eta 0:18`. */
export function formatProgress(points: MetricPoint[], totalSteps: number, started: { at: number; step: number }): string {
  const v = Object.fromEntries(points.map((p) => [p.key, p.value]));
  const step = Math.max(...points.map((p) => p.step));
  const parts = [`step ${step}/${totalSteps}`];
  if (v.loss !== undefined) parts.push(`loss ${fmt(v.loss, 4)}`);
  if (v.val_loss !== undefined) parts.push(`val ${fmt(v.val_loss, 4)} (ppl ${fmt(v.val_ppl, 2)}${v.val_bpb !== undefined ? `, ${fmt(v.val_bpb, 3)} bits/byte` : ""})`);
  if (v.lr !== undefined) parts.push(`lr ${v.lr === null ? "NaN" : v.lr.toExponential(2)}`);
  if (v.grad_norm !== undefined) parts.push(`grad ${fmt(v.grad_norm, 3)}`);
  if (v.tokens_per_sec) parts.push(`${Math.round(v.tokens_per_sec).toLocaleString("en-US")} tok/s`);
  const elapsed = (Date.now() - started.at) / 1000;
  const done = step - started.step;
  if (done > 0 && step < totalSteps) parts.push(`eta ${clock((elapsed / done) * (totalSteps - step))}`);
  return parts.join(" │ ");
}

function fmt(x: number | null | undefined, digits: number) {
  return x === null || x === undefined || !Number.isFinite(x) ? "NaN" : x.toFixed(digits);
}

function clock(seconds: number) {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
