"use client";
import { useMemo, useState, type ReactNode } from "react";
import {
  ACCELERATORS, CHINCHILLA, CHINCHILLA_FIT, DEFAULT_MFU, fmtBytesDecimal, fmtCount, fmtDuration, fmtSci, fittedLoss, outsideFit, planRun, readPlanConfig,
  TOKENS_PER_PARAM, type Accelerator, type MemoryColumn, type Plan,
} from "../../../lib/planning";
import { LABELS, type RunConfigKey } from "../../../lib/run-config";
import { fmtInt } from "../../lib/format";

const DASH = "—";
const ROWS: { label: string; key: keyof MemoryColumn; checkpointed?: boolean }[] = [
  { label: "Parameters", key: "params" },
  { label: "Gradients", key: "grads" },
  { label: "Optimizer", key: "optimizer" },
  { label: "Activations", key: "activations", checkpointed: false },
  { label: "Activations, checkpointed", key: "activationsCheckpointed", checkpointed: true },
  { label: "Total", key: "total", checkpointed: false },
  { label: "Total, checkpointed", key: "totalCheckpointed", checkpointed: true },
];

/** A whole number in [1, 1e6], or null. */
function readGpus(text: string): number | null {
  const n = Number(text);
  return text.trim() !== "" && Number.isInteger(n) && n >= 1 && n <= 1e6 ? n : null;
}

/**
 * Run planning estimates (lib/planning) for the values in the run form, recomputed as they change.
 * `config` may be the form's raw strings or parsed values; fields that do not parse show "—".
 */
export function PlanPanel({ config, vocabSize, measuredTokensPerSec }: {
  config: Partial<Record<string, unknown>>;
  vocabSize: number;
  measuredTokensPerSec: number | null;
}) {
  const [gpusText, setGpusText] = useState("8");
  const [accelerator, setAccelerator] = useState<Accelerator>("h100");
  const [mfuPct, setMfuPct] = useState(DEFAULT_MFU * 100);
  const gpus = readGpus(gpusText);
  const read = useMemo(() => readPlanConfig(config, vocabSize), [config, vocabSize]);
  const plan: Plan | null = useMemo(
    () => (read.ok ? planRun({ ...read.config, gpus: gpus ?? 1, accelerator, mfu: mfuPct / 100, measuredTokensPerSec }) : null),
    [read, gpus, accelerator, mfuPct, measuredTokensPerSec],
  );
  // Without a valid GPU count the per-GPU and at-scale figures mean nothing; the rest still does.
  const cluster = gpus === null ? null : plan;
  const ckpt = read.ok && read.config.gradientCheckpointing;
  const gpuMemory = ACCELERATORS[accelerator].memoryBytes;
  // The ZeRO paper's K: optimizer-state bytes per parameter under mixed precision.
  const k = plan ? (plan.memory.zero[0].optimizer / plan.params).toFixed(1) : DASH;
  const columns: { title: string; col: MemoryColumn | undefined; perGpu: boolean }[] = [
    { title: "This trainer (fp32)", col: plan?.memory.trainer, perGpu: false },
    ...[0, 1, 2, 3].map((stage) => ({ title: `ZeRO-${stage}`, col: cluster?.memory.zero[stage], perGpu: true })),
  ];

  return (
    <section data-testid="plan-panel" className="space-y-4 rounded-lg border border-slate-800 bg-slate-900 p-4 text-sm">
      <h2 className="font-semibold text-slate-200">Plan</h2>
      {!read.ok && (
        <p className="text-amber-300" data-testid="plan-invalid">
          Fix {read.invalid.map((k) => (k in LABELS ? LABELS[k as RunConfigKey] : "the dataset's vocabulary")).join(", ")} to see these estimates.
        </p>
      )}

      <Section title="Model">
        <Row label="Parameters" testid="params" value={plan ? `${fmtInt(plan.params)} (${fmtCount(plan.params)})` : DASH} />
        <Row label="Tokens per step" value={plan ? fmtInt(plan.tokensPerStep) : DASH} />
        <Row label="Training tokens D" value={plan ? `${fmtCount(plan.tokens)}` : DASH} />
      </Section>

      <Section title="Compute">
        <Row label="FLOPs / token" testid="flops-per-token" value={fmtSci(plan?.flopsPerToken.total)} />
        <Row label="of which attention" value={fmtSci(plan?.flopsPerToken.attention)} />
        <Row label="Total, 6ND" testid="total-flops" value={fmtSci(plan?.totalFlops)} />
        <Row label="Total, with attention" value={fmtSci(plan?.totalFlopsWithAttention)} />
      </Section>

      <Section title="Chinchilla">
        <Row label="Tokens / parameter" testid="tokens-per-param"
          value={plan ? `${plan.chinchilla.tokensPerParam.toFixed(1)} · ${plan.chinchilla.regime}` : DASH} />
        <Row label={`Optimal N, D (${TOKENS_PER_PARAM} tok/param)`}
          value={plan ? `${fmtCount(plan.chinchilla.optimal.params)}, ${fmtCount(plan.chinchilla.optimal.tokens)}` : DASH} />
        <Row label="Predicted loss" testid="chinchilla-loss" value={plan ? fittedLoss(plan.chinchilla.loss, plan.chinchilla.fit) : DASH} />
        <Row label="at the optimal split" testid="chinchilla-optimal-loss"
          value={plan ? fittedLoss(plan.chinchilla.optimalLoss, plan.chinchilla.optimalFit) : DASH} />
        {plan && !plan.chinchilla.fit.inRange && (
          <p className="text-xs text-amber-300" data-testid="plan-chinchilla-outside">
            {outsideFit(plan.params, plan.tokens).join("; ")}. The fit covers about {fmtCount(CHINCHILLA_FIT.params.min)}–{fmtCount(CHINCHILLA_FIT.params.max)} parameters
            and {fmtCount(CHINCHILLA_FIT.tokens.min)}–{fmtCount(CHINCHILLA_FIT.tokens.max)} tokens; its formula gives {plan.chinchilla.loss.toFixed(2)} here,
            {plan.chinchilla.fit.far ? " an extrapolation far outside its data, not a prediction." : " extrapolated past its data."}
          </p>
        )}
        <p className="text-xs text-slate-500">
          L = {CHINCHILLA.E} + {CHINCHILLA.A}/N<sup>{CHINCHILLA.alpha}</sup> + {CHINCHILLA.B}/D<sup>{CHINCHILLA.beta}</sup> (Hoffmann et al. 2022). Fit on
          MassiveText with its tokenizer: indicative only for another dataset or tokenizer.
        </p>
      </Section>

      <Section title="Memory">
        <label className="flex items-center justify-between gap-2 text-slate-400">
          GPUs (ZeRO data parallel)
          <input type="number" min={1} value={gpusText} onChange={(e) => setGpusText(e.target.value)} aria-invalid={gpus === null}
            data-testid="plan-gpus" className={`w-20 rounded border bg-slate-950 px-2 py-0.5 text-right font-mono ${gpus === null ? "border-rose-500" : "border-slate-700"}`} />
        </label>
        <div className="overflow-x-auto">
          <table className="w-full font-mono text-xs tabular-nums">
            <thead>
              <tr className="text-slate-400">
                <th className="py-1 pr-2 text-left font-normal" />
                {columns.map((c) => <th key={c.title} className="px-1 py-1 text-right align-bottom font-normal">{c.title}</th>)}
              </tr>
            </thead>
            <tbody>
              {ROWS.map((r) => {
                const chosen = r.checkpointed === undefined || r.checkpointed === ckpt;
                return (
                  <tr key={r.key} className={chosen ? "text-slate-100" : "text-slate-500"}>
                    <td className="py-0.5 pr-2 text-left font-sans">{r.label}</td>
                    {columns.map((c, i) => {
                      const v = c.col?.[r.key];
                      const over = c.perGpu && r.key.startsWith("total") && v !== undefined && v > gpuMemory;
                      const testid = i === 0 && chosen && r.key.startsWith("total") ? "plan-memory-total" : undefined;
                      return <td key={c.title} data-testid={testid} className={`whitespace-nowrap px-1 py-0.5 text-right ${over ? "text-rose-300" : ""}`}>{fmtBytesDecimal(v)}</td>;
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <p className="text-xs text-slate-500">
          GB = 10⁹ bytes. This trainer: fp32 weights and gradients, {plan ? fmtInt(plan.memory.microBatch) : DASH} sequences per pass. ZeRO
          columns, per GPU: 16-bit weights and gradients, fp32 master copy and optimizer state (K = {k}; 12 for AdamW), stage 1 splits the
          optimizer state, 2 also the gradients, 3 also the weights; activations for {cluster ? fmtInt(cluster.memory.gpuMicroBatch) : DASH} sequences
          per GPU at 16 bits (Korthikanti et al. 2022). Red: over the {fmtBytesDecimal(gpuMemory)} of one {ACCELERATORS[accelerator].label}.
        </p>
      </Section>

      <Section title="Time">
        <Row label="This backend" testid="time-local"
          value={plan?.time.localSeconds != null ? `${fmtDuration(plan.time.localSeconds)} at ${fmtInt(measuredTokensPerSec)} tok/s` : DASH} />
        {measuredTokensPerSec === null && <p className="text-xs text-slate-500">No throughput measured on this backend yet.</p>}
        <div className="flex flex-wrap items-center gap-2 text-slate-400">
          <select value={accelerator} onChange={(e) => setAccelerator(e.target.value as Accelerator)} aria-label="Accelerator" data-testid="plan-accelerator"
            className="rounded border border-slate-700 bg-slate-950 px-1 py-0.5">
            {Object.entries(ACCELERATORS).map(([id, a]) => <option key={id} value={id}>{a.label} · {a.peakFlops / 1e12} TFLOP/s</option>)}
          </select>
          <span>× {gpus ?? DASH} GPUs</span>
          <label className="flex items-center gap-1">
            MFU {mfuPct}%
            <input type="range" min={5} max={100} step={1} value={mfuPct} onChange={(e) => setMfuPct(Number(e.target.value))} aria-label="MFU" data-testid="plan-mfu" />
          </label>
        </div>
        <Row label="At scale" testid="time-scale" value={fmtDuration(cluster?.time.scaleSeconds)} />
        <p className="text-xs text-slate-500">Model FLOPs with attention / (GPUs × dense BF16 peak × MFU).</p>
      </Section>
    </section>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="space-y-1">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-400">{title}</h3>
      {children}
    </div>
  );
}

function Row({ label, value, testid }: { label: string; value: string; testid?: string }) {
  return (
    <div className="flex justify-between gap-3">
      <span className="text-slate-400">{label}</span>
      <span className="text-right font-mono tabular-nums" data-testid={testid ? `plan-${testid}` : undefined}>{value}</span>
    </div>
  );
}
