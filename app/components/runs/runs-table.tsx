"use client";
import Link from "next/link";
import { useEffect, useMemo, useRef, useState } from "react";
import { flattenConfig, rowLabel, type Cell } from "../../../lib/config-diff";
import { ACTIVE_STATUSES, EV, RUN_STATUSES } from "../../../lib/protocol";
import { MAX_COMPARED_RUNS, runColors } from "../../../lib/run-colors";
import { LABELS } from "../../../lib/run-config";
import { compareSortValues, matchesFilter, matchesText, REMEMBERED, viewToQuery, type RunsView, type SortValue } from "../../../lib/run-filter";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fmtInt, fmtNumber, fmtTime } from "../../lib/format";
import { liveSocket } from "../../lib/socket";
import { trpc } from "../../lib/trpc";
import { replaceUrlSoon } from "../common/navigation";
import { RunPlace, useWorkerNames } from "../common/run-place";
import { SourceBadge } from "../common/source-badge";
import { StatusBadge } from "../common/status-badge";
import { metricTitle } from "../compare/compare-metrics";
import { compareHref } from "../compare/compare-params";
import { RunsFilters, type FieldOption } from "./runs-filters";

type Run = RouterOutputs["run"]["list"][number];
type Latest = Record<string, Record<string, number | null>>;

interface Column {
  id: string;
  label: string;
  numeric?: boolean;
  value: (run: Run) => SortValue;
  render: (run: Run) => React.ReactNode;
}

const LATEST_EVERY_MS = 5000;
const mono = "font-mono tabular-nums";

type AlertCounts = RouterOutputs["alert"]["countsByRun"];

const baseColumns = (workerNames: Map<string, string>, alerts: AlertCounts): Column[] => [
  { id: "name", label: "Name", value: (r) => r.name,
    render: (r) => (
      <span className="inline-flex flex-wrap items-center gap-x-2 gap-y-1">
        {r.starred && <span className="text-amber-300" title="Starred" aria-label="starred">★</span>}
        <Link href={`/runs/${r.id}`} className="font-medium text-indigo-300 hover:underline">{r.name}</Link>
        <SourceBadge source={r.source} />
        <RunFlags run={r} alerts={alerts[r.id]} />
        {r.project && <span className="rounded bg-slate-800 px-1.5 text-[11px] text-slate-300" title="Project">{r.project}</span>}
        {r.labels.map((l) => <span key={l} className="rounded-full bg-indigo-500/15 px-1.5 text-[11px] text-indigo-200" data-testid="run-label">{l}</span>)}
        {r.archived && <span className="text-[11px] text-slate-500">archived</span>}
      </span>
    ) },
  { id: "status", label: "Status", value: (r) => RUN_STATUSES.indexOf(r.status), render: (r) => (
      <span className="inline-flex items-center gap-2">
        <StatusBadge status={r.status} queueAhead={r.queueAhead} />
        <RunPlace queue={r.config.queue} workerId={r.workerId} workerName={r.workerId ? workerNames.get(r.workerId) : undefined} />
      </span>
    ) },
  { id: "step", label: "Step", numeric: true, value: (r) => r.step, render: (r) => <Progress step={r.step} total={r.totalSteps} /> },
  { id: "loss", label: "Last loss", numeric: true, value: (r) => r.lastLoss, render: (r) => fmtNumber(r.lastLoss, 4) },
  { id: "tps", label: "Tokens/s", numeric: true, value: (r) => r.tokensPerSec, render: (r) => fmtInt(r.tokensPerSec) },
  { id: "backend", label: "Backend", value: (r) => r.backend, render: (r) => <span className="font-mono text-slate-300">{r.backend ?? "—"}</span> },
  { id: "created", label: "Created", value: (r) => r.createdAt, render: (r) => <span className="text-slate-400">{fmtTime(r.createdAt)}</span> },
];

const showCell = (v: Cell | undefined) => (v === null || v === undefined ? "—" : String(v));

/** Newest value of each metric column for every run, refreshed while any run trains. */
function useLatest(keys: string[], live: boolean): Latest {
  const [latest, setLatest] = useState<Latest>({});
  const joined = keys.join(",");
  useEffect(() => {
    if (keys.length === 0) return;
    let stop = false;
    const load = () =>
      Promise.all(keys.map(async (key) => [key, await trpc.compare.latest.query({ key })] as const))
        .then((pairs) => !stop && setLatest(Object.fromEntries(pairs)))
        .catch((e) => console.error("loading metric columns failed:", e));
    void load();
    const timer = live ? setInterval(load, LATEST_EVERY_MS) : undefined;
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [joined, live]);
  return latest;
}

const REMEMBER_KEY = "runs-table-view";

/** Alert counts per run, refreshed when alerts arrive or change. */
function useAlertCounts(): AlertCounts {
  const [counts, setCounts] = useState<AlertCounts>({});
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = () => void trpc.alert.countsByRun.query().then(setCounts, (e) => console.error("loading alert counts failed:", e));
    // Bursts of alerts come together: one reload after them.
    const soon = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(load, 500);
    };
    const socket = liveSocket();
    const join = () => socket.emit(EV.alertsSubscribe);
    load();
    join();
    socket.on("connect", join);
    socket.on(EV.alertNew, soon);
    socket.on(EV.alertsChanged, soon);
    return () => {
      if (timer) clearTimeout(timer);
      socket.off("connect", join);
      socket.off(EV.alertNew, soon);
      socket.off(EV.alertsChanged, soon);
    };
  }, []);
  return counts;
}

export function RunsTable({ initial, initialView, metricKeys, remember = true }: { initial: Run[]; initialView: RunsView; metricKeys: string[]; remember?: boolean }) {
  const [runs, setRuns] = useState(initial);
  const [view, setView] = useState(initialView);
  const alertCounts = useAlertCounts();

  // The sort, columns and grouping this browser last used, unless the link sets them itself.
  useEffect(() => {
    if (!remember) return;
    try {
      const saved = JSON.parse(localStorage.getItem(REMEMBER_KEY) ?? "null") as Partial<RunsView> | null;
      if (saved) setView((v) => ({ ...v, ...Object.fromEntries(REMEMBERED.filter((k) => k in saved).map((k) => [k, saved[k]])) }));
    } catch {
      localStorage.removeItem(REMEMBER_KEY);
    }
  }, [remember]);
  useEffect(() => {
    localStorage.setItem(REMEMBER_KEY, JSON.stringify(Object.fromEntries(REMEMBERED.map((k) => [k, view[k]]))));
  }, [view.sort, view.desc, view.columns.join(","), view.group]);
  const [selected, setSelected] = useState<string[]>([]);
  const [limitHit, setLimitHit] = useState(false);

  useEffect(() => {
    const socket = liveSocket();
    const join = () => socket.emit(EV.runsSubscribe);
    const update = (run: Run) =>
      setRuns((rows) => (rows.some((r) => r.id === run.id) ? rows.map((r) => (r.id === run.id ? run : r)) : [run, ...rows]));
    join();
    socket.on("connect", join);
    const drop = ({ runId }: { runId: string }) => setRuns((rows) => rows.filter((r) => r.id !== runId));
    socket.on(EV.runStatus, update);
    socket.on(EV.runDeleted, drop);
    return () => {
      socket.off("connect", join);
      socket.off(EV.runStatus, update);
      socket.off(EV.runDeleted, drop);
    };
  }, []);

  const query = viewToQuery(view);
  useEffect(() => replaceUrlSoon(() => `/${query}`), [query]);

  // An outside run's config is a placeholder, not its own: no config cells for it.
  const flat = useMemo(() => new Map(runs.map((r) => [r.id, r.source === "trainer" ? flattenConfig(r.config) : {}])), [runs]);
  const configFields = useMemo<FieldOption[]>(() => {
    const keys = new Set<string>();
    // Fault injection is a test harness's, not a run's setting: it is never a column or a filter.
    for (const f of flat.values()) for (const k of Object.keys(f)) if (k !== "name" && !k.startsWith("faults")) keys.add(k);
    return [...keys].map((k) => ({ id: `config:${k}`, label: rowLabel(k, LABELS) }));
  }, [flat]);
  const metricColumns = view.columns.filter((c) => c.startsWith("metric:")).map((c) => c.slice("metric:".length));
  const latest = useLatest(metricColumns, runs.some((r) => ACTIVE_STATUSES.includes(r.status)));

  const extraColumns: Column[] = view.columns.map((id) => {
    const [kind, ...rest] = id.split(":");
    const key = rest.join(":");
    if (kind === "metric")
      return { id, label: metricTitle(key), numeric: true, value: (r) => latest[key]?.[r.id], render: (r) => fmtNumber(latest[key]?.[r.id], 4) };
    return { id, label: rowLabel(key, LABELS), value: (r) => flat.get(r.id)?.[key], render: (r) => showCell(flat.get(r.id)?.[key]) };
  });
  const workerNames = useWorkerNames(runs.map((r) => r.workerId));
  const columns = [...baseColumns(workerNames, alertCounts), ...extraColumns];
  const sortColumn = columns.find((c) => c.id === view.sort) ?? columns.find((c) => c.id === "created")!;

  const visible = runs
    .filter((r) => view.archived || !r.archived)
    .filter((r) => view.labels.every((l) => r.labels.includes(l)))
    .filter((r) => !view.project || r.project === view.project)
    .filter((r) => view.statuses.length === 0 || view.statuses.includes(r.status))
    .filter((r) => !view.text || matchesText(`${r.name} ${r.id} ${Object.values(flat.get(r.id) ?? {}).join(" ")}`, view.text))
    .filter((r) => view.filters.every((f) => matchesFilter(flat.get(r.id) ?? {}, f)))
    // Starred runs are pinned above the rest, each part in the chosen order.
    .sort((a, b) => Number(b.starred) - Number(a.starred) || compareSortValues(sortColumn.value(a), sortColumn.value(b), view.desc) || b.createdAt.localeCompare(a.createdAt));
  const groups = groupRows(visible, view.group);
  const archivedCount = runs.filter((r) => r.archived).length;
  const labelsInUse = [...new Set(runs.flatMap((r) => r.labels))].sort();
  const projectsInUse = [...new Set(runs.flatMap((r) => (r.project ? [r.project] : [])))].sort();

  const counts: Record<string, number> = {};
  for (const r of runs) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const colors = runColors(selected);
  const change = (c: Partial<RunsView>) => setView((v) => ({ ...v, ...c }));

  function toggle(id: string) {
    if (selected.includes(id)) {
      setSelected(selected.filter((x) => x !== id));
      setLimitHit(false);
    } else if (selected.length >= MAX_COMPARED_RUNS) setLimitHit(true);
    else setSelected([...selected, id]);
  }

  const visibleIds = visible.map((r) => r.id);
  const allVisibleSelected = visibleIds.length > 0 && visibleIds.every((id) => selected.includes(id));
  function toggleAll() {
    if (allVisibleSelected) {
      setSelected(selected.filter((id) => !visibleIds.includes(id)));
      setLimitHit(false);
      return;
    }
    const adding = visibleIds.filter((id) => !selected.includes(id));
    const room = MAX_COMPARED_RUNS - selected.length;
    setSelected([...selected, ...adding.slice(0, room)]);
    setLimitHit(adding.length > room);
  }

  function sortBy(id: string) {
    // A new column starts with the order that puts the interesting end first: names A→Z, numbers high→low.
    change(view.sort === id ? { desc: !view.desc } : { sort: id, desc: id !== "name" && id !== "status" && !id.startsWith("config:") });
  }

  if (runs.length === 0)
    return (
      <div className="rounded-lg border border-dashed border-slate-700 p-12 text-center text-slate-400">
        No runs yet. <Link href="/runs/new" className="text-indigo-300 underline">Start one</Link> — the default config trains a tiny GPT in a few minutes on CPU.
      </div>
    );

  const hiddenSelected = selected.filter((id) => !visibleIds.includes(id)).length;
  return (
    <div className="space-y-3">
      <RunsFilters view={view} onChange={change} counts={counts} configFields={configFields} labels={labelsInUse} projects={projectsInUse} archivedCount={archivedCount}
        columnOptions={[
          { group: "Config", options: configFields },
          { group: "Latest metric", options: metricKeys.map((k) => ({ id: `metric:${k}`, label: metricTitle(k) })) },
        ]} />

      <div className="flex flex-wrap items-center gap-3 text-sm">
        <span className="text-slate-400" data-testid="runs-count">
          {visible.length === runs.length ? `${runs.length} run${runs.length === 1 ? "" : "s"}` : `${visible.length} of ${runs.length} runs`}
        </span>
        {selected.length > 0 && (
          <span className="text-slate-400">
            · {selected.length} selected{hiddenSelected > 0 && ` (${hiddenSelected} hidden by filters)`}
            <button type="button" onClick={() => (setSelected([]), setLimitHit(false))} className="ml-2 text-slate-300 underline hover:text-slate-100">clear</button>
          </span>
        )}
        {limitHit && (
          <span role="alert" data-testid="select-limit" className="rounded-md bg-amber-500/15 px-2 py-0.5 text-amber-200 ring-1 ring-inset ring-amber-500/40">
            At most {MAX_COMPARED_RUNS} runs can be compared at once; unselect one to add another.
          </span>
        )}
        <span className="ml-auto" />
        {selected.length > 0 ? (
          <Link href={compareHref({ runs: selected })} data-testid="compare-button"
            className="rounded-md bg-indigo-500 px-3 py-1.5 font-medium text-white hover:bg-indigo-400">
            Compare ({selected.length})
          </Link>
        ) : (
          <span data-testid="compare-button" aria-disabled className="cursor-default rounded-md bg-slate-800 px-3 py-1.5 font-medium text-slate-500" title="Tick runs to compare">
            Compare (0)
          </span>
        )}
      </div>

      <div className="overflow-x-auto rounded-lg border border-slate-800">
        <table className="w-full text-sm" data-testid="runs-table" data-rows={visible.length} data-sort={`${view.desc ? "-" : ""}${sortColumn.id}`}>
          <thead className="bg-slate-900 text-left text-xs uppercase tracking-wide text-slate-400">
            <tr>
              <th className="w-10 py-2 pl-4">
                <SelectAll checked={allVisibleSelected} some={visibleIds.some((id) => selected.includes(id))} onChange={toggleAll} />
              </th>
              {columns.map((c) => (
                <th key={c.id} className={`whitespace-nowrap px-3 py-2 font-medium ${c.numeric ? "text-right" : ""}`} aria-sort={c.id === sortColumn.id ? (view.desc ? "descending" : "ascending") : undefined}>
                  <button type="button" data-testid={`sort-${c.id}`} onClick={() => sortBy(c.id)}
                    className={`inline-flex items-center gap-1 uppercase tracking-wide hover:text-slate-100 ${c.id === sortColumn.id ? "text-slate-100" : ""}`}>
                    {c.label}
                    <span className="w-2 text-indigo-300">{c.id === sortColumn.id ? (view.desc ? "↓" : "↑") : ""}</span>
                  </button>
                  {view.columns.includes(c.id) && (
                    <button type="button" aria-label={`Remove column ${c.label}`} onClick={() => change({ columns: view.columns.filter((x) => x !== c.id) })}
                      className="ml-1 text-slate-500 hover:text-slate-200">×</button>
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-800">
            {groups.map((g) => [
              g.name !== null && (
                <tr key={`group-${g.name}`} data-testid="runs-group" className="bg-slate-900/70">
                  <td colSpan={columns.length + 1} className="px-4 py-1.5 text-xs font-medium uppercase tracking-wide text-slate-400">
                    {g.name} <span className="text-slate-500">· {g.runs.length}</span>
                  </td>
                </tr>
              ),
              ...g.runs.map((r) => {
              const on = selected.includes(r.id);
              return (
                <tr key={`${g.name}-${r.id}`} data-testid="run-row" data-run-id={r.id} data-selected={on} className={on ? "bg-indigo-500/[0.07]" : "hover:bg-slate-900/60"}>
                  <td className="py-2 pl-4">
                    <span className="flex items-center gap-2">
                      <input type="checkbox" checked={on} onChange={() => toggle(r.id)} data-testid={`select-${r.id}`} aria-label={`Select ${r.name}`}
                        className="h-4 w-4 accent-indigo-500" />
                      <span className="h-2 w-2 rounded-full" style={{ background: colors.get(r.id) ?? "transparent" }} />
                    </span>
                  </td>
                  {columns.map((c) => (
                    <td key={c.id} className={`whitespace-nowrap px-3 py-2 ${c.numeric ? `text-right ${mono}` : ""} ${c.id.startsWith("config:") ? mono : ""}`}>{c.render(r)}</td>
                  ))}
                </tr>
              );
              }),
            ])}
            {visible.length === 0 && (
              <tr>
                <td colSpan={columns.length + 1} className="px-4 py-8 text-center text-slate-400">
                  No runs match.{" "}
                  <button type="button" onClick={() => change({ statuses: [], text: "", filters: [], labels: [], project: "" })} className="text-indigo-300 underline">Clear the filters</button>
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function SelectAll({ checked, some, onChange }: { checked: boolean; some: boolean; onChange: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = some && !checked;
  }, [some, checked]);
  return <input ref={ref} type="checkbox" checked={checked} onChange={onChange} data-testid="select-all" aria-label="Select every run shown" className="h-4 w-4 accent-indigo-500" />;
}

function Progress({ step, total }: { step: number; total: number }) {
  // Outside runs often never say how many steps they will take.
  if (total <= 0) return <span>{step}</span>;
  const pct = Math.min(100, (100 * step) / Math.max(1, total));
  return (
    <div className="flex items-center justify-end gap-2">
      <div className="h-1.5 w-24 overflow-hidden rounded bg-slate-800">
        <div className="h-full bg-indigo-400" style={{ width: `${pct}%` }} />
      </div>
      <span>{step}/{total}</span>
    </div>
  );
}

/** Under a header per project or per label (a run with two labels shows under both); one unnamed group otherwise. */
function groupRows(runs: Run[], by: RunsView["group"]): { name: string | null; runs: Run[] }[] {
  if (by === "none") return [{ name: null, runs }];
  const groups = new Map<string, Run[]>();
  for (const r of runs) for (const name of by === "project" ? [r.project ?? "no project"] : r.labels.length ? r.labels : ["no label"]) groups.set(name, [...(groups.get(name) ?? []), r]);
  return [...groups].sort(([a], [b]) => (a.startsWith("no ") ? 1 : b.startsWith("no ") ? -1 : a.localeCompare(b))).map(([name, rs]) => ({ name, runs: rs }));
}

/** Flags for runs that need a look: alerts raised (warning or critical, open ones brighter) and automatic restarts. */
function RunFlags({ run, alerts }: { run: Run; alerts?: { warning: number; critical: number; open: number } }) {
  const total = (alerts?.warning ?? 0) + (alerts?.critical ?? 0);
  return (
    <>
      {total > 0 && (
        <Link href={`/runs/${run.id}#alerts`} data-testid="run-alert-flag"
          title={`${alerts!.critical} critical and ${alerts!.warning} warning alerts (${alerts!.open} not acknowledged)`}
          className={`rounded px-1.5 text-[11px] font-medium ${alerts!.critical ? "bg-rose-500/20 text-rose-200" : "bg-amber-500/20 text-amber-200"} ${alerts!.open ? "" : "opacity-60"}`}>
          ⚠ {total}
        </Link>
      )}
      {run.restarts > 0 && (
        <span data-testid="run-restart-flag" title={`Restarted ${run.restarts} time${run.restarts === 1 ? "" : "s"} after crashes`} className="rounded bg-sky-500/15 px-1.5 text-[11px] text-sky-200">
          ↻ {run.restarts}
        </span>
      )}
    </>
  );
}
