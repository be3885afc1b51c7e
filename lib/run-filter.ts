import type { Cell } from "./config-diff";

/** How the runs table is filtered and sorted; it lives in the page's URL so a view can be shared. */
export const FILTER_OPS = ["=", "!=", ">", ">=", "<", "<=", "~"] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** `field op value` over a run's flattened config, e.g. optimizer = lion, lr > 1e-3, anomaly.spikeZ >= 10. */
export interface ConfigFilter {
  field: string;
  op: FilterOp;
  value: string;
}

export interface RunsView {
  statuses: string[];
  text: string;
  filters: ConfigFilter[];
  /** A column id: name, status, step, loss, tps, created, config:<dotted key> or metric:<key>. */
  sort: string;
  desc: boolean;
  /** Extra columns, config:<dotted key> or metric:<key>. */
  columns: string[];
  /** Only runs carrying every one of these labels. */
  labels: string[];
  /** Only runs of this project; "" = any. */
  project: string;
  /** Rows under a header per project or per label. */
  group: "none" | "project" | "label";
  /** Archived runs are shown too. */
  archived: boolean;
}

export const DEFAULT_VIEW: RunsView = { statuses: [], text: "", filters: [], sort: "created", desc: true, columns: [], labels: [], project: "", group: "none", archived: false };

/** What the table remembers between visits (localStorage): how it is sorted, its columns and grouping. */
export const REMEMBERED: (keyof RunsView)[] = ["sort", "desc", "columns", "group"];

const OP_PATTERN = /^\s*([\w.]+)\s*(!=|>=|<=|=|>|<|~)\s*(.*?)\s*$/;

export function parseFilter(text: string): ConfigFilter | null {
  const m = OP_PATTERN.exec(text);
  return m ? { field: m[1], op: m[2] as FilterOp, value: m[3] } : null;
}

export const formatFilter = (f: ConfigFilter) => `${f.field} ${f.op} ${f.value}`;

const asNumber = (v: Cell | string): number | null => {
  if (typeof v === "number") return v;
  if (typeof v !== "string" || v.trim() === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/**
 * Numbers compare as numbers (so 0.003 > 1e-3); anything else as case-insensitive text, where
 * ~ means "contains". A run without the field never matches.
 */
export function matchesFilter(config: Readonly<Record<string, Cell>>, f: ConfigFilter): boolean {
  if (!(f.field in config) || config[f.field] === null) return false;
  const cell = config[f.field];
  const a = asNumber(cell);
  const b = asNumber(f.value);
  if (a !== null && b !== null && f.op !== "~") return compareBy(f.op, a - b);
  const text = String(cell).toLowerCase();
  const want = f.value.toLowerCase();
  if (f.op === "~") return text.includes(want);
  return compareBy(f.op, text.localeCompare(want));
}

function compareBy(op: FilterOp, order: number): boolean {
  switch (op) {
    case "=": return order === 0;
    case "!=": return order !== 0;
    case ">": return order > 0;
    case ">=": return order >= 0;
    case "<": return order < 0;
    case "<=": return order <= 0;
    default: return false;
  }
}

/** Whether any word of the query is missing from the run's name, id and config values. */
export function matchesText(haystack: string, query: string): boolean {
  const text = haystack.toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((word) => text.includes(word));
}

export type SortValue = number | string | boolean | null | undefined;

/** Orders two sort values; empty values go last whichever the direction. */
export function compareSortValues(a: SortValue, b: SortValue, desc: boolean): number {
  const emptyA = a === null || a === undefined || (typeof a === "number" && Number.isNaN(a));
  const emptyB = b === null || b === undefined || (typeof b === "number" && Number.isNaN(b));
  if (emptyA || emptyB) return emptyA === emptyB ? 0 : emptyA ? 1 : -1;
  const order = typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b), "en", { numeric: true });
  return desc ? -order : order;
}

/** The view as query parameters, leaving defaults out so plain `/` stays plain. */
export function viewToQuery(view: RunsView): string {
  const q = new URLSearchParams();
  if (view.statuses.length) q.set("status", view.statuses.join(","));
  if (view.text) q.set("q", view.text);
  for (const f of view.filters) q.append("f", `${f.field}${f.op}${f.value}`);
  if (view.sort !== DEFAULT_VIEW.sort || view.desc !== DEFAULT_VIEW.desc) q.set("sort", `${view.desc ? "-" : ""}${view.sort}`);
  if (view.columns.length) q.set("cols", view.columns.join(","));
  if (view.labels.length) q.set("labels", view.labels.join(","));
  if (view.project) q.set("project", view.project);
  if (view.group !== "none") q.set("group", view.group);
  if (view.archived) q.set("archived", "1");
  const s = q.toString();
  return s ? `?${s}` : "";
}

type Params = Record<string, string | string[] | undefined>;
const all = (p: Params, k: string) => [p[k] ?? []].flat();
const list = (p: Params, k: string) => all(p, k).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);

export function viewFromQuery(params: Params): RunsView {
  const sort = all(params, "sort")[0] ?? "";
  return {
    statuses: list(params, "status"),
    text: all(params, "q")[0] ?? "",
    filters: all(params, "f").flatMap((f) => parseFilter(f) ?? []),
    sort: sort.replace(/^-/, "") || DEFAULT_VIEW.sort,
    desc: sort ? sort.startsWith("-") : DEFAULT_VIEW.desc,
    columns: list(params, "cols"),
    labels: list(params, "labels"),
    project: all(params, "project")[0] ?? "",
    group: (["project", "label"] as const).find((g) => g === all(params, "group")[0]) ?? "none",
    archived: all(params, "archived")[0] === "1",
  };
}

/** Whether a query sets any of the remembered settings itself (a shared link wins over what this browser remembers). */
export const querySetsRemembered = (params: Params) => ["sort", "cols", "group"].some((k) => all(params, k).length > 0);
