"use client";
import { useMemo, useState } from "react";
import { THRESHOLD_HINTS, THRESHOLD_LABELS, type AnomalyThresholds } from "../../../lib/anomaly/thresholds";
import { backendChoices, backendNote } from "../../../lib/backends";
import { DEFAULT_DOMAINS } from "../../../lib/dataset-domains";
import { DatasetSpec } from "../../../lib/dataset-spec";
import { flopsPerToken, paramCount, tokensPerStep } from "../../../lib/estimates";
import { formBoolean, formNumber } from "../../../lib/form-number";
import {
  ARCHITECTURES, FORK_LOCKED, HINTS, LABELS, OBJECTIVES, OPTIMIZERS, RECOVERY_POLICIES, RunConfig, RunConfigFields, SCHEDULES, type RunConfigKey,
} from "../../../lib/run-config";
import { formFieldErrors, formFieldsOf, issueErrors } from "../../lib/field-errors";
import { fmtInt } from "../../lib/format";
import { serverFieldErrors, trpc } from "../../lib/trpc";
import { useNavigate } from "../common/navigation";
import { usePolled } from "../common/use-polled";
import { DeepSpeedImportPanel } from "./deepspeed-import";
import { EvalPicker, type RegisteredSet } from "./eval-picker";
import { fieldClass } from "./field-class";
import { PlanPanel } from "./plan-panel";
import { QueueField, THIS_SERVER } from "./queue-field";
import { formIssues, formMemoryVerdict } from "./run-form-checks";
import { useBackendReport } from "./use-backend-report";

const GROUPS: { title: string; keys: RunConfigKey[]; withThresholds?: boolean }[] = [
  { title: "Model", keys: ["arch", "nLayer", "nHead", "dModel", "contextLength"] },
  { title: "Objective", keys: ["objective", "prefixFraction"] },
  { title: "Optimizer", keys: ["optimizer", "lr", "weightDecay", "beta1", "beta2", "clipNorm", "adafactorRelativeStep"] },
  { title: "Stabilisers", keys: ["zLoss", "qkNorm", "logitSoftCap", "attnSoftCap"] },
  { title: "Schedule", keys: ["steps", "schedule", "warmupSteps", "minLr", "decayEvery", "decayFactor", "plateauPatience", "plateauFactor"] },
  { title: "Batch", keys: ["batchSize", "microBatchSize", "batchRampStart", "batchRampTokens"] },
  { title: "Evaluation and checkpointing", keys: ["evalInterval", "evalBatches", "evalExamples", "evalBudget", "checkpointInterval", "logInterval", "layerStatsInterval", "gradientCheckpointing", "evals"] },
  { title: "Data and runtime", keys: ["seed", "dataset", "mixWeights", "queue", "backend", "workers"] },
  {
    title: "Recovery & alerts",
    keys: ["recovery", "rollbackSkipBatches", "rollbackLrScale", "rollbackLrSteps", "maxRollbacks", "restartOnCrash", "maxRestarts", "alertWebhook"],
    withThresholds: true,
  },
];

/**
 * Form values are the inputs' strings, keyed by field name; the nested anomaly thresholds are
 * fields of their own named "anomaly.<threshold>", as formFieldErrors names their issues.
 */
type FormValues = Record<string, string>;
const THRESHOLDS = Object.keys(THRESHOLD_LABELS) as (keyof AnomalyThresholds)[];
/** Test-only settings the form never shows (the schema's default applies). */
const NOT_IN_FORM = new Set<string>(["faults", "initFrom", "exclude"]);
/** Fields the form shows in its groups; an error on any other is listed beside the Start button. */
const PLACED = new Set<string>(["name", "anomaly", "ignoreMemoryCheck", ...GROUPS.flatMap((g) => g.keys)]);
const isPlaced = (field: string) => PLACED.has(field) || field.startsWith("anomaly.");

/** Fields that only mean something for one choice are shown only with it. */
function relevant(k: RunConfigKey, v: FormValues): boolean {
  if (k === "prefixFraction") return v.objective === "prefix";
  if (k === "adafactorRelativeStep") return v.optimizer === "adafactor";
  if (k === "decayEvery" || k === "decayFactor") return v.schedule === "step";
  if (k === "plateauPatience" || k === "plateauFactor") return v.schedule === "plateau";
  if (k === "batchRampTokens") return Number(v.batchRampStart) > 0;
  if (k === "rollbackSkipBatches" || k === "rollbackLrScale" || k === "rollbackLrSteps" || k === "maxRollbacks") return v.recovery === "rollback";
  if (k === "maxRestarts") return v.restartOnCrash === "true";
  return true;
}

function labelAndHint(name: string): { label: string; hint: string } {
  const [group, threshold] = name.split(".") as [RunConfigKey, keyof AnomalyThresholds | undefined];
  return threshold ? { label: THRESHOLD_LABELS[threshold], hint: THRESHOLD_HINTS[threshold] } : { label: LABELS[group], hint: HINTS[group] };
}

/** An id and test id without the dot, which CSS selectors would read as a class. */
const domName = (name: string) => name.replace(".", "-");

const options = (values: readonly string[]) => values.map((v) => ({ value: v, label: v }));
const BOOLEAN = options(["false", "true"]);
type Choice = { value: string; label: string };
export type DatasetChoice = { id: string; name: string; vocabSize: number | null; domains: string[] };
const DEFAULT_VOCAB = DatasetSpec.parse({ name: "default" }).tokenizer.vocabSize;
/** Workers come and go: the Run on choices are asked for again this often. */
const QUEUES_EVERY_MS = 3000;

/** Numbers that may be null ("off"): an empty input means null. */
const NULLABLE_NUMBERS = new Set<string>(["logitSoftCap", "attnSoftCap"]);
const defaults: FormValues = formValuesOf(RunConfigFields.parse({ name: "run" }));

const TEXT_FIELDS = new Set<string>([
  "name", "dataset", "backend", "arch", "objective", "optimizer", "schedule", "adafactorRelativeStep", "gradientCheckpointing", "recovery", "restartOnCrash", "alertWebhook",
  "mixWeights", "qkNorm",
]);
/** Fields typed as JSON; text that is not JSON goes to zod as it is, which names the field in its error. */
const JSON_FIELDS = new Set<string>(["evals", "mixWeights"]);

function parseJsonField(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** The form's values for a config: every field as the text its input holds. */
function formValuesOf(config: Record<string, unknown>): FormValues {
  return Object.fromEntries(
    Object.entries(config).flatMap(([k, v]) =>
      NOT_IN_FORM.has(k) ? []
      : k === "anomaly" ? Object.entries(v as object).map(([t, x]) => [`anomaly.${t}`, String(x)])
      : k === "queue" ? [[k, (v as string | null) ?? THIS_SERVER]]
      : NULLABLE_NUMBERS.has(k) && v === null ? [[k, ""]]
      : [[k, typeof v === "object" ? JSON.stringify(v) : String(v)]]),
  );
}

/** Selects whose text is "true" or "false". */
const BOOLEAN_FIELDS = new Set<string>(["adafactorRelativeStep", "gradientCheckpointing", "restartOnCrash", "ignoreMemoryCheck", "qkNorm"]);

/** The schema takes numbers and booleans only, so the text is converted here; empty inputs become NaN, an error rather than zero. */
function toInput(values: FormValues) {
  const input: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(values)) {
    const value = name === "queue" ? (v === THIS_SERVER ? null : v)
      : NULLABLE_NUMBERS.has(name) && v.trim() === "" ? null
      : JSON_FIELDS.has(name) ? parseJsonField(v) : BOOLEAN_FIELDS.has(name) ? formBoolean(v) : TEXT_FIELDS.has(name) ? v : formNumber(v);
    const [group, field] = name.split(".");
    if (field) ((input[group] ??= {}) as Record<string, unknown>)[field] = value;
    else input[name] = value;
  }
  return input;
}

/** A throughput this machine measured, on a run of known FLOPs per token. */
export type MeasuredThroughput = { runName: string; backend: string; tokensPerSec: number; flopsPerToken: number };

/** A fork starts from the parent's config and weights; the model's shape stays the parent's. */
export type ForkOf = { runId: string; runName: string; step: number; config: Record<string, unknown> };

export function RunForm({ defaultName, datasets, evalSets, throughput, fork }: {
  defaultName: string; datasets: DatasetChoice[]; evalSets: RegisteredSet[]; throughput: MeasuredThroughput | null; fork: ForkOf | null;
}) {
  const backends = useBackendReport();
  const navigate = useNavigate();
  const [values, setValues] = useState<FormValues>(() =>
    fork ? { ...defaults, ...formValuesOf(fork.config), name: `${fork.runName}-fork-${fork.step}` } : { ...defaults, name: defaultName });
  const onWorker = values.queue !== THIS_SERVER;
  const CHOICES: Partial<Record<RunConfigKey, Choice[]>> = {
    dataset: [{ value: "default", label: "default mixture (prepared on first use)" }, ...datasets.map((d) => ({ value: d.id, label: `${d.name} · ${d.id}` }))],
    backend: backendChoices(onWorker ? null : backends.report),
    arch: options(ARCHITECTURES),
    objective: options(OBJECTIVES),
    optimizer: options(OPTIMIZERS),
    schedule: options(SCHEDULES),
    adafactorRelativeStep: BOOLEAN,
    gradientCheckpointing: BOOLEAN,
    qkNorm: BOOLEAN,
    recovery: options(RECOVERY_POLICIES),
    restartOnCrash: BOOLEAN,
  };
  const queues = usePolled(() => trpc.worker.queues.query(), QUEUES_EVERY_MS);
  // This server's probe says nothing of a worker's machine: there the worker's own backends decide.
  const backend: { hint?: string; error?: string } = onWorker
    ? { hint: values.backend === "auto" ? "On a worker, auto takes that worker's best backend (the Workers page shows which)" : `On a worker, ${values.backend} must start on that worker, or the run fails with the reason` }
    : backendNote(values.backend, backends.report, backends.error);
  const hints: Partial<Record<string, string>> = {
    backend: backend.hint,
    workers: backends.report && !onWorker ? `${HINTS.workers}; this machine has ${backends.report.cores} cores` : undefined,
  };
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [thresholdsOpen, setThresholdsOpen] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const vocabOf = (dataset: string) => datasets.find((d) => d.id === dataset)?.vocabSize ?? DEFAULT_VOCAB;
  const domainsOf = (dataset: string) => (dataset === "default" ? DEFAULT_DOMAINS : (datasets.find((d) => d.id === dataset)?.domains ?? null));
  /** Every check at once: the schema (its cross-field rules included), unknown domains and memory, so errors come in one round. */
  function validate(v: FormValues) {
    const input = toInput(v);
    const result = RunConfig.safeParse(input);
    const memory = formMemoryVerdict(input, vocabOf(v.dataset), backends.report, v.queue !== THIS_SERVER);
    const issues = [...(result.success ? [] : result.error.issues), ...formIssues(input, domainsOf(v.dataset), memory)];
    return { parsed: result, memory, errors: issueErrors(issues) };
  }
  const check = useMemo(() => validate(values), [values, backends.report, datasets]); // eslint-disable-line react-hooks/exhaustive-deps
  const { parsed, memory } = check;
  const vocabSize = vocabOf(values.dataset);
  const locked = new Set<string>(fork ? FORK_LOCKED : []);
  const localThroughput = throughput && parsed.success
    ? (throughput.tokensPerSec * throughput.flopsPerToken) / flopsPerToken({ ...parsed.data, vocabSize })
    : null;

  function set(name: string, value: string) {
    const next = { ...values, [name]: value };
    setValues(next);
    if (Object.keys(errors).length) setErrors(validate(next).errors);
  }

  /** A threshold's error must not hide in the collapsed group. */
  function showErrors(found: Partial<Record<string, string>>) {
    setErrors(found);
    if (Object.keys(found).some((k) => k.startsWith("anomaly"))) setThresholdsOpen(true);
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!parsed.success || Object.keys(check.errors).length > 0) return showErrors(check.errors);
    setSubmitting(true);
    try {
      const run = await trpc.run.create.mutate({ ...parsed.data, initFrom: fork && { runId: fork.runId, step: fork.step } });
      navigate(`/runs/${run.id}`);
    } catch (err) {
      const fields = serverFieldErrors(err);
      showErrors(fields ? formFieldsOf(fields) : { form: err instanceof Error ? err.message : String(err) });
      setSubmitting(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="grid grid-cols-[minmax(0,1fr)] gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]" data-testid="run-form">
      <div className="min-w-0 space-y-6">
        {fork && (
          <p className="rounded-md border border-indigo-500/40 bg-indigo-500/10 px-3 py-2 text-sm text-indigo-200" data-testid="fork-banner">
            Forking <a href={`/runs/${fork.runId}`} className="underline">{fork.runName}</a> at step {fork.step}: the new run starts from
            those weights with a fresh optimizer, schedule and data position. Change the learning rate, the schedule or the mixture;
            the model&apos;s shape ({FORK_LOCKED.map((k) => LABELS[k].toLowerCase()).join(", ")}) must stay the parent&apos;s.
          </p>
        )}
        <Field name="name" value={values.name} error={errors.name} onChange={set} wide />
        <DeepSpeedImportPanel onApply={(c) => setValues((v) => ({ ...v, ...Object.fromEntries(Object.entries(c).filter(([k]) => !locked.has(k)).map(([k, x]) => [k, String(x)])) }))} />
        {GROUPS.map((g) => (
          <fieldset key={g.title} className="min-w-0 rounded-lg border border-slate-800 p-4">
            <legend className="px-1 text-sm font-semibold text-slate-300">{g.title}</legend>
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3">
              {g.keys.filter((k) => relevant(k, values) || errors[k]).map((k) =>
                k === "evals"
                  ? <EvalPicker key={k} value={JSON.parse(values.evals)} sets={evalSets} error={errors.evals} onChange={(v) => set("evals", JSON.stringify(v))} />
                  : k === "queue"
                  ? <QueueField key={k} value={values.queue} error={errors.queue} queues={queues.data} queuesError={queues.error} onChange={set} />
                  : <Field key={k} name={k} value={values[k]} error={errors[k] ?? (k === "backend" ? backend.error : undefined)} onChange={set} choices={CHOICES[k]}
                      hint={locked.has(k) ? `Locked: a fork keeps ${fork!.runName}'s ${LABELS[k as RunConfigKey].toLowerCase()} (${values[k]}), the shape its weights have` : hints[k]}
                      locked={locked.has(k)} />)}
            </div>
            {g.withThresholds && (
              <details open={thresholdsOpen} onToggle={(e) => setThresholdsOpen(e.currentTarget.open)} className="mt-4 rounded-md border border-slate-800" data-testid="anomaly-thresholds">
                <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-slate-300">
                  {LABELS.anomaly} <span className="ml-2 text-xs font-normal text-slate-500">{HINTS.anomaly}</span>
                </summary>
                <div className="grid grid-cols-1 gap-4 border-t border-slate-800 p-3 sm:grid-cols-2 xl:grid-cols-3">
                  {THRESHOLDS.map((t) => `anomaly.${t}`).map((name) => <Field key={name} name={name} value={values[name]} error={errors[name]} onChange={set} />)}
                </div>
                {errors.anomaly && <p className="px-3 pb-3 text-xs text-rose-300" data-testid="error-anomaly">{errors.anomaly}</p>}
              </details>
            )}
          </fieldset>
        ))}
        <fieldset className="min-w-0 rounded-lg border border-slate-800 p-4">
          <legend className="px-1 text-sm font-semibold text-slate-300">Plan</legend>
          {throughput && (
            <p className="mb-3 text-xs text-slate-500">
              Time on this machine scales the {fmtInt(throughput.tokensPerSec)} tok/s that run {throughput.runName} measured on {throughput.backend} by FLOPs per token.
            </p>
          )}
          <PlanPanel config={parsed.success ? parsed.data : toInput(values)} vocabSize={vocabSize} measuredTokensPerSec={localThroughput} />
        </fieldset>
      </div>
      <aside className="min-w-0 space-y-4">
        <div className="sticky top-4 space-y-4 rounded-lg border border-slate-800 bg-slate-900 p-4 text-sm">
          <h2 className="font-semibold text-slate-200">Estimate</h2>
          {parsed.success ? (
            <dl className="grid grid-cols-2 gap-y-1 font-mono tabular-nums">
              <dt className="text-slate-400">Vocabulary</dt><dd className="text-right">{fmtInt(vocabSize)}</dd>
              <dt className="text-slate-400">Parameters</dt><dd className="text-right">{fmtInt(paramCount({ ...parsed.data, vocabSize }))}</dd>
              <dt className="text-slate-400">Tokens/step</dt><dd className="text-right">{fmtInt(tokensPerStep(parsed.data))}</dd>
              <dt className="text-slate-400">Total tokens</dt><dd className="text-right">{fmtInt(tokensPerStep(parsed.data) * parsed.data.steps)}</dd>
              <dt className="text-slate-400">FLOPs/token</dt><dd className="text-right">{flopsPerToken({ ...parsed.data, vocabSize }).toExponential(2)}</dd>
            </dl>
          ) : (
            <p className="text-amber-300" data-testid="estimate-blocked">
              Fix {Object.keys(formFieldErrors(parsed.error)).map((f, i) => (
                <span key={f}>{i > 0 && ", "}<a href={`#field-${domName(f)}`} className="underline">{isPlaced(f) ? labelAndHint(f).label : f}</a></span>
              ))} to see the estimate.
            </p>
          )}
          {(memory?.fits === false || errors.ignoreMemoryCheck) && (
            <div className={`space-y-2 rounded-md border p-2 text-xs ${errors.ignoreMemoryCheck ? "border-rose-500 text-rose-200" : "border-amber-500/60 text-amber-200"}`} data-testid="memory-check">
              <p data-testid={errors.ignoreMemoryCheck ? "error-ignoreMemoryCheck" : "memory-warning"}>
                {errors.ignoreMemoryCheck ?? (memory?.message && `This run ${memory.message}.`)}
              </p>
              <label className="flex items-center gap-2 text-slate-200">
                <input type="checkbox" id="field-ignoreMemoryCheck" checked={values.ignoreMemoryCheck === "true"} data-testid="try-anyway"
                  onChange={(e) => set("ignoreMemoryCheck", String(e.target.checked))} />
                {LABELS.ignoreMemoryCheck}: start it even so
              </label>
            </div>
          )}
          {Object.entries(errors).filter(([f]) => !isPlaced(f)).map(([f, message]) => (
            <p key={f} className="text-rose-300" role="alert" data-testid={`error-${domName(f)}`}>
              {f === "form" ? message : `${f in LABELS ? LABELS[f as RunConfigKey] : f}: ${message}`}
            </p>
          ))}
          <button type="submit" disabled={submitting} className="w-full rounded-md bg-indigo-500 px-4 py-2 font-medium text-white hover:bg-indigo-400 disabled:opacity-50">
            {submitting ? "Starting…" : "Start run"}
          </button>
        </div>
      </aside>
    </form>
  );
}

function Field(props: {
  name: string; value: string; error?: string; hint?: string; onChange: (name: string, v: string) => void; wide?: boolean; choices?: Choice[]; locked?: boolean;
}) {
  const { name, value, error, choices } = props;
  const id = `field-${domName(name)}`;
  const { label, hint: defaultHint } = labelAndHint(name);
  const hint = props.hint ?? defaultHint;
  const cls = fieldClass(error) + (props.locked ? " cursor-not-allowed opacity-60" : "");
  return (
    <div className={props.wide ? "max-w-md" : ""}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-300">{label}</label>
      {choices ? (
        <select id={id} name={name} value={value} disabled={props.locked} onChange={(e) => props.onChange(name, e.target.value)} className={cls}>
          {choices.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
        </select>
      ) : (
        <input id={id} name={name} value={value} readOnly={props.locked} aria-readonly={props.locked} inputMode={TEXT_FIELDS.has(name) ? "text" : "decimal"} autoComplete="off"
          onChange={(e) => props.onChange(name, e.target.value)} aria-invalid={Boolean(error)} aria-describedby={`${id}-hint`} className={cls} />
      )}
      <p id={`${id}-hint`} className={`mt-1 text-xs ${error ? "text-rose-300" : "text-slate-500"}`} data-testid={error ? `error-${domName(name)}` : undefined}>
        {error ?? hint}
      </p>
    </div>
  );
}
