// The MLflow conformance fixtures (tests/fixtures/mlflow/*.json): their shape, how a step is
// expanded into the exact request it stands for, and how an answer is matched against what the
// fixture expects. Used by the fixture unit test and by the conformance runner.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

export const FIXTURE_DIR = path.resolve(import.meta.dirname, "../fixtures/mlflow");

const Auth = z.enum(["bearer", "basic", "none", "wrong-basic", "wrong-bearer"]);

const Step = z.strictObject({
  /** What the Python client call behind this request is (for the reader and the failure message). */
  note: z.string().optional(),
  method: z.enum(["GET", "POST"]),
  /** From the server's root, e.g. /api/2.0/mlflow/runs/create. */
  path: z.string().regex(/^\/(api|ajax-api)\/2\.0\/mlflow\//, "a path under /api/2.0/mlflow/ or /ajax-api/2.0/mlflow/"),
  /** GET only: what `requests` turns the JSON body into, one value per name (lists repeat the name). */
  query: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))])).optional(),
  /** POST only: the JSON body as the client sends it. */
  body: z.record(z.string(), z.unknown()).optional(),
  auth: Auth.optional(),
  expect: z.strictObject({
    status: z.number().int().min(100).max(599),
    /** A subset of the answer: see `match` for the $-matchers. */
    body: z.unknown().optional(),
  }),
  capture: z.record(z.string().regex(/^\w+$/), z.string().min(1)).optional(),
}).refine((s) => s.method === "GET" ? s.body === undefined : s.query === undefined, { message: "a GET carries query parameters, a POST a body" });

const DashboardCheck = z.strictObject({
  note: z.string().optional(),
  /** A tRPC query, e.g. run.get. */
  procedure: z.string().regex(/^\w+(\.\w+)+$/),
  input: z.unknown().optional(),
  /** A subset of the procedure's result. */
  expect: z.unknown(),
});

export const Fixture = z.strictObject({
  description: z.string().min(10),
  /** The MLflow code or documentation the request sequence follows. */
  source: z.string().min(10),
  /** How every step authenticates unless it says otherwise (default bearer). */
  auth: Auth.optional(),
  steps: z.array(Step).min(1),
  dashboard: z.array(DashboardCheck).optional(),
});
export type Fixture = z.infer<typeof Fixture>;
export type FixtureStep = z.infer<typeof Step>;
export type Vars = Record<string, unknown>;

export function loadFixtures(): { name: string; raw: unknown }[] {
  return fs.readdirSync(FIXTURE_DIR).filter((f) => f.endsWith(".json")).sort()
    .map((f) => ({ name: f.replace(/\.json$/, ""), raw: JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, f), "utf8")) }));
}

const VAR = /\$\{(\w+)(:string)?\}/g;

/** Variables a value refers to, so the unit test can check each is captured (or built in) before use. */
export function referencedVars(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === "string") for (const m of value.matchAll(VAR)) out.add(m[1]);
  else if (Array.isArray(value)) value.forEach((v) => referencedVars(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => referencedVars(v, out));
  return out;
}

/** Names every fixture may use without capturing them: ${now} (ms), ${uniq} (this replay's own suffix), ${i} inside a $repeat. */
export const BUILT_INS = new Set(["now", "uniq", "i"]);

/**
 * Fills in `${var}` and expands `{"$repeat": n, "from"?: k, "of": item}` array elements into n
 * copies of item with ${i} = k, k+1, … A string that is one `${var}` alone takes the variable's own
 * type, so `"timestamp": "${now}"` sends a number; `${var:string}` or a longer text writes it out.
 */
export function expand(value: unknown, vars: Vars): unknown {
  if (typeof value === "string") {
    const whole = value.match(/^\$\{(\w+)\}$/);
    if (whole) return lookup(whole[1], vars);
    return value.replace(VAR, (_, name: string) => String(lookup(name, vars)));
  }
  if (Array.isArray(value)) {
    return value.flatMap((v) => {
      if (isRepeat(v)) {
        const from = v.from ?? 0;
        return Array.from({ length: v.$repeat }, (_, k) => expand(v.of, { ...vars, i: from + k }));
      }
      return [expand(v, vars)];
    });
  }
  if (value && typeof value === "object") {
    // A matcher's own operands are expanded too; only their keys stay as they are.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, vars)]));
  }
  return value;
}

function isRepeat(v: unknown): v is { $repeat: number; from?: number; of: unknown } {
  return !!v && typeof v === "object" && "$repeat" in v && typeof (v as { $repeat: unknown }).$repeat === "number";
}

function lookup(name: string, vars: Vars): unknown {
  if (!(name in vars)) throw new Error(`\${${name}} is used before it is captured`);
  return vars[name];
}

/** Reads `a.b.0.c` out of a value; undefined where the path leads nowhere. */
export function dig(value: unknown, dotPath: string): unknown {
  return dotPath.split(".").reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), value);
}

/**
 * Where `actual` fails to contain `expected`, one line per difference (empty when it matches).
 *  - objects: every expected key must match; other keys in the answer are fine;
 *  - arrays: every expected element must match a distinct element of the answer, in any order;
 *  - "$any": present (not undefined); "$string" / "$number" / "$nonempty": of that kind;
 *    "$absent": the key must be missing;
 *  - {"$length": n, "$items"?: [...]}: an array of exactly n elements (containing the items);
 *  - {"$oneOf": [a, b]}: matches one of them; {"$numeric": x}: x as a number or a numeric string.
 */
export function match(expected: unknown, actual: unknown, where = "body"): string[] {
  if (expected === "$any") return actual === undefined ? [`${where}: missing`] : [];
  if (expected === "$absent") return actual === undefined ? [] : [`${where}: expected absent, got ${show(actual)}`];
  if (expected === "$string") return typeof actual === "string" ? [] : [`${where}: expected a string, got ${show(actual)}`];
  if (expected === "$nonempty") return typeof actual === "string" && actual.length > 0 ? [] : [`${where}: expected a non-empty string, got ${show(actual)}`];
  if (expected === "$number") return typeof actual === "number" ? [] : [`${where}: expected a number, got ${show(actual)}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${where}: expected an array, got ${show(actual)}`];
    const free = actual.map((_, k) => k);
    const out: string[] = [];
    expected.forEach((e, k) => {
      const hit = free.findIndex((j) => match(e, actual[j]).length === 0);
      if (hit === -1) out.push(`${where}: no element matches ${where}[${k}] = ${show(e)}${closest(e, actual)}`);
      else free.splice(hit, 1);
    });
    return out;
  }
  if (expected && typeof expected === "object") {
    const e = expected as Record<string, unknown>;
    if ("$oneOf" in e) {
      const options = e.$oneOf as unknown[];
      return options.some((o) => match(o, actual, where).length === 0) ? [] : [`${where}: expected one of ${show(options)}, got ${show(actual)}`];
    }
    if ("$numeric" in e) {
      const n = typeof actual === "string" && actual.trim() !== "" ? Number(actual) : actual;
      return n === e.$numeric ? [] : [`${where}: expected ${show(e.$numeric)} (number or numeric string), got ${show(actual)}`];
    }
    if ("$length" in e) {
      if (!Array.isArray(actual)) return [`${where}: expected an array of ${e.$length}, got ${show(actual)}`];
      const out = actual.length === e.$length ? [] : [`${where}: expected ${e.$length} elements, got ${actual.length}`];
      return e.$items ? [...out, ...match(e.$items, actual, where)] : out;
    }
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return [`${where}: expected an object, got ${show(actual)}`];
    return Object.entries(e).flatMap(([k, v]) => match(v, (actual as Record<string, unknown>)[k], `${where}.${k}`));
  }
  return Object.is(expected, actual) ? [] : [`${where}: expected ${show(expected)}, got ${show(actual)}`];
}

/** For an unmatched array element: the answer's elements with the same key, which usually tell why. */
function closest(expected: unknown, actual: unknown[]): string {
  const key = expected && typeof expected === "object" ? (expected as { key?: unknown }).key : undefined;
  if (key === undefined) return actual.length <= 3 ? ` (answer has ${show(actual)})` : ` (answer has ${actual.length} elements)`;
  const same = actual.filter((a) => a && typeof a === "object" && (a as { key?: unknown }).key === key);
  return same.length ? ` (answer has ${show(same)})` : ` (no element with key ${show(key)})`;
}

export function show(v: unknown): string {
  const s = v === undefined ? "undefined" : JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** The query string `requests` sends for a dict of params (lists repeat the name). */
export function queryString(query: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, String(x));
  const s = p.toString();
  return s ? `?${s}` : "";
}
