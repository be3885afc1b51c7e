"use client";
import { useEffect, useState } from "react";
import type { RouterOutputs } from "../../../server/trpc/router";
import { trpc } from "../../lib/trpc";
import { type Column, type Summary } from "./checkpoint-compare-column";
import type { CheckpointParams } from "./checkpoint-params";

type Diff = RouterOutputs["checkpointCompare"]["exampleDiff"];
type Item = Diff["fixed"][number];

const LIMIT = 50;
const select = "rounded-md border border-slate-700 bg-slate-950 px-2 py-1 text-sm text-slate-100 outline-none focus:ring-2 focus:ring-indigo-500/40";
const fmtLl = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(2));

/** Which benchmark examples one checkpoint gets right and another wrong, with their text. */
export function CheckpointCompareExamples({ summary, columns, params, onChange }: {
  summary: Summary; columns: Column[]; params: CheckpointParams; onChange: (c: Partial<CheckpointParams>) => void;
}) {
  // Tagged with the pair and task it answers, so a slow answer never shows under another pair's labels.
  const [state, setState] = useState<{ key: string; diff: Diff | null; error: string | null }>({ key: "", diff: null, error: null });
  const A = columns[params.a];
  const B = columns[params.b];
  const tasks = A && B ? summary.checkpoints[params.a].predictionTasks.filter((t) => summary.checkpoints[params.b].predictionTasks.includes(t)) : [];
  const task = params.task && tasks.includes(params.task as never) ? params.task : (tasks[0] ?? null);
  const ready = Boolean(A && B && A !== B && task);
  const key = ready ? `${A.letter}${B.letter}:${task}` : "";

  useEffect(() => {
    if (!ready) return;
    let live = true;
    trpc.checkpointCompare.exampleDiff.query({ a: A.ref, b: B.ref, task: task as Diff["task"], limit: LIMIT }).then(
      (diff) => live && setState({ key, diff, error: null }),
      (e: Error) => live && setState({ key, diff: null, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [key]); // the key names both refs and the task

  const current = state.key === key;
  const diff = current ? state.diff : null;
  return (
    <section className="rounded-lg border border-slate-800 bg-slate-900/40" data-testid="examples">
      <div className="flex flex-wrap items-center gap-3 border-b border-slate-800 px-4 py-2.5">
        <h2 className="text-sm font-semibold text-slate-200">Per-example differences</h2>
        <label className="flex items-center gap-2 text-xs text-slate-400">Task
          <select value={task ?? ""} onChange={(e) => onChange({ task: e.target.value })} className={select} data-testid="examples-task" disabled={tasks.length === 0}>
            {tasks.length === 0 && <option value="">none at both steps</option>}
            {tasks.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <PairSelect label="From" value={params.a} columns={columns} onChange={(a) => onChange({ a })} testid="examples-a" />
        <PairSelect label="to" value={params.b} columns={columns} onChange={(b) => onChange({ b })} testid="examples-b" />
        {ready && !current && <span className="text-xs text-slate-500">loading…</span>}
      </div>
      <div className="space-y-4 p-4">
        {columns.length < 2 ? <p className="text-sm text-slate-400">Add a second checkpoint to compare examples.</p>
          : A === B ? <p className="text-sm text-slate-400">Pick two different checkpoints.</p>
          : !task ? <p className="text-sm text-slate-400">No benchmark has stored predictions at both {A.letter} and {B.letter}; predictions are stored at each checkpoint a run scores.</p>
          : current && state.error ? <p role="alert" className="text-sm text-rose-300" data-testid="examples-error">{state.error}</p>
          : diff && (
            <>
              <Counts diff={diff} a={A} b={B} />
              <div className="grid gap-4 xl:grid-cols-2">
                <Group title={`Fixed by ${B.letter}`} hint={`${A.letter} wrong, ${B.letter} right`} tone="emerald" items={diff.fixed} total={diff.counts.fixed} diff={diff} a={A} b={B} testid="fixed" />
                <Group title={`Broken by ${B.letter}`} hint={`${A.letter} right, ${B.letter} wrong`} tone="rose" items={diff.broken} total={diff.counts.broken} diff={diff} a={A} b={B} testid="broken" />
              </div>
            </>
          )}
      </div>
    </section>
  );
}

function PairSelect({ label, value, columns, onChange, testid }: { label: string; value: number; columns: Column[]; onChange: (i: number) => void; testid: string }) {
  return (
    <label className="flex items-center gap-2 text-xs text-slate-400">{label}
      <select value={value} onChange={(e) => onChange(Number(e.target.value))} className={select} data-testid={testid}>
        {columns.map((c, i) => <option key={c.letter} value={i}>{c.letter} · {c.runName} @{c.step}</option>)}
      </select>
    </label>
  );
}

function Counts({ diff, a, b }: { diff: Diff; a: Column; b: Column }) {
  const c = diff.counts;
  const parts = [
    { key: "bothRight", label: "both right", n: c.bothRight, bar: "bg-emerald-700/60", text: "text-emerald-200" },
    { key: "fixed", label: `fixed by ${b.letter}`, n: c.fixed, bar: "bg-emerald-400", text: "text-emerald-300" },
    { key: "broken", label: `broken by ${b.letter}`, n: c.broken, bar: "bg-rose-400", text: "text-rose-300" },
    { key: "bothWrong", label: "both wrong", n: c.bothWrong, bar: "bg-slate-700", text: "text-slate-300" },
  ];
  return (
    <div data-testid="example-counts" data-total={c.total} data-pair={`${a.letter}${b.letter}:${diff.task}`}>
      <div className="flex flex-wrap items-baseline gap-x-5 gap-y-1 text-sm">
        {parts.map((p) => (
          <span key={p.key} data-testid={`count-${p.key}`} data-n={p.n}><span className={`font-mono text-base font-semibold ${p.text}`}>{p.n}</span> <span className="text-slate-400">{p.label}</span></span>
        ))}
        <span className="ml-auto text-xs text-slate-500">
          {c.total} examples scored at both {a.letter} and {b.letter}{c.onlyOne ? ` · ${c.onlyOne} scored at only one` : ""}{diff.synthetic ? " · synthetic set" : ""}
        </span>
      </div>
      <div className="mt-2 flex h-2 overflow-hidden rounded bg-slate-800">
        {parts.map((p) => p.n > 0 && <div key={p.key} className={p.bar} style={{ width: `${(100 * p.n) / Math.max(1, c.total)}%` }} title={`${p.n} ${p.label}`} />)}
      </div>
    </div>
  );
}

function Group({ title, hint, tone, items, total, diff, a, b, testid }: {
  title: string; hint: string; tone: "emerald" | "rose"; items: Item[]; total: number; diff: Diff; a: Column; b: Column; testid: string;
}) {
  return (
    <div data-testid={`group-${testid}`}>
      <h3 className={`mb-2 text-sm font-semibold ${tone === "emerald" ? "text-emerald-300" : "text-rose-300"}`}>
        {title} <span className="font-mono">({total})</span> <span className="ml-1 text-xs font-normal text-slate-500">{hint}{total > items.length ? ` · first ${items.length} shown` : ""}</span>
      </h3>
      {items.length === 0 ? <p className="rounded-md border border-dashed border-slate-800 px-3 py-4 text-center text-sm text-slate-500">None.</p> : (
        <ul className="space-y-2">{items.map((item) => <Example key={item.index} item={item} kind={diff.kind} a={a} b={b} />)}</ul>
      )}
    </div>
  );
}

function Example({ item, kind, a, b }: { item: Item; kind: Diff["kind"]; a: Column; b: Column }) {
  return (
    <li className="rounded-md border border-slate-800 bg-slate-950 p-3" data-testid="example" data-index={item.index}>
      <div className="mb-1 flex items-baseline gap-2 text-xs text-slate-500"><span className="font-mono">#{item.index}</span>{item.note && <span className="text-amber-300" data-testid="example-note">{item.note}</span>}</div>
      {item.text && (
        <p className="max-h-32 overflow-auto whitespace-pre-wrap break-words text-sm leading-relaxed text-slate-300" data-testid="example-context">
          {item.text.context}
          {kind === "target" && <span className="rounded-sm bg-emerald-500/20 px-0.5 text-emerald-200">{item.text.choices[0]}</span>}
        </p>
      )}
      {kind === "target" ? (
        <div className="mt-2 flex flex-wrap gap-4 text-xs">
          {([[a, item.a], [b, item.b]] as const).map(([col, p]) => (
            <span key={col.letter} className="flex items-center gap-1.5">
              <Badge column={col} />
              <span className={p.correct ? "text-emerald-300" : "text-rose-300"}>{p.correct ? "predicts the word" : "misses the word"}</span>
              <span className="font-mono text-slate-500">ll {fmtLl(p.ll[0])}</span>
            </span>
          ))}
        </div>
      ) : item.text ? (
        <ol className="mt-2 space-y-1">
          {item.text.choices.map((choice, i) => {
            const gold = i === item.gold;
            return (
              <li key={i} data-testid="choice" data-gold={gold}
                className={`flex items-start gap-2 rounded border-l-2 px-2 py-1 text-sm ${gold ? "border-emerald-400 bg-emerald-500/10 text-emerald-100" : "border-slate-800 text-slate-400"}`}>
                <span className="w-4 shrink-0 font-mono text-xs text-slate-500">{i + 1}</span>
                <span className="flex-1 break-words">{choice.trim()}{gold && <span className="ml-2 text-xs text-emerald-300">✓ answer</span>}</span>
                <span className="flex shrink-0 items-center gap-1">
                  {item.a.prediction === i && <Badge column={a} />}
                  {item.b.prediction === i && <Badge column={b} />}
                  <span className="ml-1 w-20 text-right font-mono text-[11px] leading-4 text-slate-500" title="Log-likelihood of this choice at each checkpoint">
                    <span style={{ color: a.color }}>{a.letter}</span> {fmtLl(item.a.ll[i])}<br /><span style={{ color: b.color }}>{b.letter}</span> {fmtLl(item.b.ll[i])}
                  </span>
                </span>
              </li>
            );
          })}
        </ol>
      ) : (
        <p className="mt-1 text-xs text-slate-500">
          answer {item.gold + 1}; {a.letter} picked {item.a.prediction + 1}, {b.letter} picked {item.b.prediction + 1}
        </p>
      )}
    </li>
  );
}

function Badge({ column }: { column: Column }) {
  return (
    <span className="inline-flex h-4 w-4 items-center justify-center rounded text-[10px] font-bold text-slate-950" style={{ background: column.color }} title={`${column.letter}'s pick: ${column.runName} @${column.step}`}>
      {column.letter}
    </span>
  );
}
