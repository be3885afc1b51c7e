import { invalid } from "./errors";

/**
 * MLflow's search filter: clauses joined by AND, each `<entity>.<name> <op> <value>`, e.g.
 * `tags.mlflow.runName = 'a' AND metrics.loss < 2 AND attributes.status IN ('RUNNING')`.
 */
export type Entity = "attribute" | "tag" | "param" | "metric";
export interface Clause {
  entity: Entity;
  name: string;
  op: "=" | "!=" | ">" | ">=" | "<" | "<=" | "LIKE" | "ILIKE" | "IN" | "NOT IN";
  value: string | number | string[];
}

/** What a filter is checked against: one run's (or experiment's) fields, by entity. */
export interface Subject {
  attribute: Record<string, string | number | null>;
  tag: Record<string, string>;
  param: Record<string, string>;
  metric: Record<string, number | null>;
}

const ENTITY: Record<string, Entity> = {
  attributes: "attribute", attribute: "attribute", attr: "attribute", run: "attribute",
  tags: "tag", tag: "tag", params: "param", param: "param", parameter: "param", parameters: "param", metrics: "metric", metric: "metric",
};
const TOKEN = /\s*(?:(`[^`]*`|"[^"]*")|('(?:[^'\\]|\\.|'')*')|(\(|\)|,)|(!=|>=|<=|=|>|<)|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][\w.:/\-]*(?:`[^`]*`|"[^"]*")?))/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m || m[0].length === 0) throw invalid(`Error on parsing filter '${text}': unexpected text at '${text.slice(at, at + 20)}'`);
    out.push(m[0].trim());
    at = TOKEN.lastIndex;
  }
  return out;
}

const unquote = (t: string) => (/^['"`]/.test(t) ? t.slice(1, -1).replace(/''/g, "'").replace(/\\'/g, "'") : t);

export function parseFilter(text: string | undefined, defaultEntity: Entity = "attribute"): Clause[] {
  if (!text || !text.trim()) return [];
  const tokens = tokenize(text);
  const clauses: Clause[] = [];
  let i = 0;
  const next = () => tokens[i++];
  while (i < tokens.length) {
    const ident = next();
    let entity: Entity = defaultEntity;
    let name = ident;
    const dot = ident.indexOf(".");
    if (dot > 0 && ENTITY[ident.slice(0, dot).toLowerCase()]) {
      entity = ENTITY[ident.slice(0, dot).toLowerCase()];
      name = ident.slice(dot + 1);
    }
    name = unquote(name);
    let op = (next() ?? "").toUpperCase();
    if (op === "NOT" && (tokens[i] ?? "").toUpperCase() === "IN") (next(), (op = "NOT IN"));
    if (!["=", "!=", ">", ">=", "<", "<=", "LIKE", "ILIKE", "IN", "NOT IN"].includes(op)) throw invalid(`Invalid comparator '${op}' in filter '${text}'`);
    let value: Clause["value"];
    if (op === "IN" || op === "NOT IN") {
      if (next() !== "(") throw invalid(`Expected a parenthesised list after ${op} in filter '${text}'`);
      const list: string[] = [];
      for (let t = next(); t !== ")"; t = next()) {
        if (t === undefined) throw invalid(`Unclosed list in filter '${text}'`);
        if (t !== ",") list.push(unquote(t));
      }
      value = list;
    } else {
      const raw = next();
      if (raw === undefined) throw invalid(`Missing value in filter '${text}'`);
      value = /^['"]/.test(raw) ? unquote(raw) : Number(raw);
      if (typeof value === "number" && Number.isNaN(value)) throw invalid(`Invalid value '${raw}' in filter '${text}'`);
    }
    clauses.push({ entity, name, op: op as Clause["op"], value });
    if (i < tokens.length && next().toUpperCase() !== "AND") throw invalid(`Only AND joins clauses in filter '${text}'`);
  }
  return clauses;
}

const like = (pattern: string, flags: string) =>
  new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/%/g, ".*").replace(/_/g, ".")}$`, flags);

export function matches(subject: Subject, clauses: Clause[]): boolean {
  return clauses.every((c) => {
    const actual = subject[c.entity][c.name];
    if (actual === undefined || actual === null) return c.op === "!=" || c.op === "NOT IN";
    switch (c.op) {
      case "=": return String(actual) === String(c.value);
      case "!=": return String(actual) !== String(c.value);
      case "LIKE": return like(String(c.value), "s").test(String(actual));
      case "ILIKE": return like(String(c.value), "si").test(String(actual));
      case "IN": return (c.value as string[]).includes(String(actual));
      case "NOT IN": return !(c.value as string[]).includes(String(actual));
      default: {
        const [a, b] = typeof actual === "number" || typeof c.value === "number" ? [Number(actual), Number(c.value)] : [actual, c.value];
        return c.op === ">" ? a > b : c.op === ">=" ? a >= b : c.op === "<" ? a < b : a <= b;
      }
    }
  });
}
