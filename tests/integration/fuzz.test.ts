import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { io, type Socket } from "socket.io-client";
import { EV } from "../../lib/protocol";
import { appRouter } from "../../server/trpc/router";
import { openTestDb, type TestDb } from "../helpers/db";
import { liveLaunch } from "../helpers/live-launch";
import { browserSocket, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

/**
 * Property-based fuzz over every tRPC procedure (enumerated from the router, so procedures added
 * later are covered) and every socket event on both namespaces. Queries get hostile but
 * valid-shaped inputs; mutations only get inputs that are invalid (refused by their schema, or
 * carrying NUL or a lone surrogate, or a wrong-typed number field), so nothing legitimately
 * starts work. Figures are printed as `fuzz: ...` for the issue's before/after table.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 8); // samples per procedure per generator
// Printed with the figures: FUZZ_SEED=<seed> replays the same inputs.
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
let sampled = 0;
const sample = <T>(arb: fc.Arbitrary<T>, n: number) => fc.sample(arb, { numRuns: n, seed: SEED + sampled++ });
// Internal text that must never reach a client.
const INTERNAL = /prisma|sqlite|postgres|\bSELECT\b|\bINSERT\b|\bUPDATE "|invalid `|node_modules|\.ts:\d+|TypeError|ReferenceError|Cannot read prop|Cannot convert|is not a function|is not iterable|Maximum call stack/i;

let server: TestServer;
let db: TestDb;
let countAll = "";
const figures = { seed: SEED, inputs: 0, status500: 0, internalText: 0, invalidWrites: 0, socketInputs: 0, socketInternal: 0 };
const problems: string[] = [];

before(async () => {
  server = await startServer(tempDataDir("fuzz"));
  db = await openTestDb(server.dataDir, { readonly: true });
  countAll = `SELECT ${(await db.tables()).map((t) => `(SELECT COUNT(*) FROM "${t}") AS "${t}"`).join(", ")}`;
});
after(async () => {
  console.log(`fuzz: ${JSON.stringify(figures)}`);
  const byKind = new Map<string, number>();
  for (const p of problems) byKind.set(p.split(" {")[0].split(":")[0], (byKind.get(p.split(" {")[0].split(":")[0]) ?? 0) + 1);
  console.log(`fuzz problems by kind: ${JSON.stringify([...byKind])}`);
  if (problems.length) console.log(`fuzz problems (first 40):\n${problems.slice(0, 40).map((x) => x.slice(0, 240)).join("\n")}`);
  await db?.close();
  await server?.stop();
});

/** Rows in every table, in one statement. */
async function rowCounts(): Promise<Record<string, number>> {
  return (await db.get<Record<string, number>>(countAll))!;
}
const grown = (a: Record<string, number>, b: Record<string, number>) => Object.keys(b).filter((k) => b[k] > (a[k] ?? 0));

// ---- hostile values ----
const nastyStrings = [
  "\u0000", "a\u0000b", "\ud800", "x\udfffy", "\udc00\ud800", "ok\ud83d", "../../etc/passwd", "/etc/passwd", "../../../../../../etc/shadow",
  "..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/proc/self/environ", "file:///etc/passwd", "__proto__", "constructor",
  "prototype", "toString", "hasOwnProperty", "'; DROP TABLE \"Run\"; --", "\" OR 1=1 --", "", " ", "\u202e", "💥", "\uffff", "NaN", "Infinity",
  "-1", "1e309", "true", "null", "[]", "{}", "ds-0000000000000000", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:22/",
];
const hugeStrings = ["a".repeat(100_000), "\ud800".repeat(20_000), "é".repeat(1_000_000), "../".repeat(5000)];
const protoJson = ['{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"__proto__":[],"toString":1,"valueOf":"x"}'];

const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 1, arbitrary: fc.constantFrom(...hugeStrings) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom("\u0000", "\ud800", "\udfff"), fc.string({ maxLength: 8 })).map((p) => p.join("")) },
);
const hostileNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), 1e-320, -0, 0.5, -1, 1e21, 4294967296, 2 ** 31),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const deep = fc.integer({ min: 50, max: 3000 }).map((n) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
});
const hostileKey = fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "id", "runId", "path", "\u0000", "\ud800"), fc.string({ maxLength: 10 }));
const { value: hostile } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(...protoJson).map((j) => JSON.parse(j)),
    deep,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie("value"), { maxKeys: 4 }),
  ),
}));

/** A zod object schema's shape, through optional/nullable/refine wrappers; null when it has none. */
function shapeOf(schema: unknown): Record<string, unknown> | null {
  let s = schema as { shape?: Record<string, unknown>; _zod?: { def?: { innerType?: unknown; in?: unknown; options?: unknown[] } } } | undefined;
  for (let i = 0; i < 6 && s; i++) {
    if (s.shape) return s.shape;
    const def = s._zod?.def;
    s = (def?.innerType ?? def?.in ?? def?.options?.[0]) as typeof s;
  }
  return null;
}

// ---- valid bases, poisoned in one place: a bad string or a wrong-typed number ----
const VALID: Record<string, unknown> = {
  "run.create": { ...TINY, name: "fz", steps: 3, evals: [] },
  "dataset.prepare": { name: "fz", sources: [{ domain: "web", kind: "spam-assassin", weight: 1, maxDocuments: 3 }] },
  "evalSet.register": { task: "lambada", name: "fz", content: '{"text": "one two three four"}\n' },
  "webhook.create": { runId: null, url: "https://example.com/hook", format: "json", minSeverity: "info" },
  "alert.mute": { runId: null, type: "*", minutes: 5 },
  "checkpoint.generate": { runId: "r", step: 0, prompt: "hello", temperature: 0.5 },
  "checkpointCompare.generate": { checkpoints: [{ runId: "r", step: 0 }], prompts: ["hi"], temperature: 0.5 },
};
type Leaf = { path: (string | number)[]; value: unknown };
function leaves(v: unknown, at: (string | number)[] = []): Leaf[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...at, i]));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => leaves(x, [...at, k]));
  return [{ path: at, value: v }];
}
function setAt(v: unknown, p: (string | number)[], x: unknown): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let o = copy;
  for (const k of p.slice(0, -1)) o = o[k] as typeof o;
  o[p[p.length - 1]] = x;
  return copy;
}
// JSON escapes NUL and lone surrogates (and only those among these) as \uXXXX, paired ones stay raw.
const hasBadText = (v: unknown) => /\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(JSON.stringify(v) ?? "");
function poisoned(base: unknown) {
  const ls = leaves(base);
  const strings = ls.filter((l) => typeof l.value === "string");
  const numbers = ls.filter((l) => typeof l.value === "number");
  return fc.oneof(
    fc.tuple(fc.constantFrom(...strings), fc.constantFrom("\u0000", "\ud800", "\udfff", "a\u0000", "n\ud800x")).map(([l, bad]) => ({ input: setAt(base, l.path, `${l.value}${bad}`), at: null })),
    ...(numbers.length ? [fc.tuple(fc.constantFrom(...numbers), fc.constantFrom(true, false, null, "", [], "7", [3], {})).map(([l, bad]) => ({ input: setAt(base, l.path, bad), at: l.path }))] : []),
  );
}

// ---- transport ----
type Proc = { path: string; type: "query" | "mutation"; inputs: { safeParse(v: unknown): { success: boolean } }[] };
const procedures: Proc[] = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string; inputs: Proc["inputs"] } }>).map(
  ([p, proc]) => ({ path: p, type: proc._def.type as Proc["type"], inputs: proc._def.inputs }),
);

async function call(p: Proc, input: unknown) {
  const body = JSON.stringify(input) ?? "null";
  const url = p.type === "query" ? `${server.url}/api/trpc/${p.path}?input=${encodeURIComponent(body)}` : `${server.url}/api/trpc/${p.path}`;
  let res: Response;
  try {
    res = p.type === "query" ? await fetch(url) : await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  } catch (e) {
    // Node's HTTP parser drops a request line over its 16 KB header limit: a refusal, not an answer.
    if (url.length > 16_000) return { status: 431, text: "", error: undefined };
    throw e;
  }
  const text = await res.text();
  let json: { error?: { message?: string; data?: { code?: string; httpStatus?: number } } } = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* a non-JSON answer is judged by its status and text */
  }
  return { status: res.status, text, error: json.error };
}

function judge(where: string, r: { status: number; text: string; error?: { message?: string; data?: { code?: string } } }) {
  figures.inputs++;
  if (r.status >= 500 || r.error?.data?.code === "INTERNAL_SERVER_ERROR") {
    figures.status500++;
    problems.push(`500 ${where}: ${r.text.slice(0, 200)}`);
  }
  const message = r.error?.message ?? (r.status >= 400 ? r.text : "");
  if (INTERNAL.test(message) && !/^(Internal error|Invalid input) \(request id [0-9a-f-]+\)$/.test(message)) {
    figures.internalText++;
    problems.push(`internal text ${where}: ${message.slice(0, 200)}`);
  }
}

/** A non-number put where a number was, that the schema accepted and turned into a number (or refused). */
function coerced(p: Proc, input: unknown, at: (string | number)[]) {
  if (refuses(p.inputs[0], input)) return true;
  const r = (p.inputs[0] as unknown as { safeParse(v: unknown): { success: boolean; data?: unknown } }).safeParse(input);
  const out = at.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], r.data);
  return typeof out === "number";
}
/** A schema that throws on a value (rather than reporting issues) refuses it too: the server answers BAD_REQUEST for it. */
const refuses = (s: Proc["inputs"][number], v: unknown) => {
  try {
    return !s.safeParse(v).success;
  } catch {
    return true;
  }
};
const isInvalid = (p: Proc, v: unknown) => hasBadText(v) || p.inputs.some((s) => refuses(s, v));

async function stopStrayRuns() {
  for (const r of await server.api.run.list.query())
    if (["queued", "running"].includes(r.status)) await server.api.run.stop.mutate({ id: r.id }).catch(() => {});
}

async function fuzzProcedure(p: Proc) {
  const shape = shapeOf(p.inputs[0]);
  const gens = [hostile, ...(shape ? [fc.record(Object.fromEntries(Object.keys(shape).map((k) => [k, hostile])), { requiredKeys: [] })] : [])];
  if (shape) gens.push(fc.record(Object.fromEntries(Object.keys(shape).map((k) => [k, hostileString])), { requiredKeys: [] }));
  const base = VALID[p.path];
  const samples: { input: unknown; poisoned: boolean }[] = gens.flatMap((g) => sample(g, RUNS).map((input) => ({ input, poisoned: false })));
  if (base) samples.push(...sample(poisoned(base), RUNS * 3).map(({ input, at }) => ({ input, poisoned: at === null || coerced(p, input, at) })));
  for (const { input, poisoned: byConstruction } of samples) {
    // Mutations get only invalid input: refused by the schema, bad text, or a wrong type the schema coerced into a number.
    if (p.type === "mutation" && !byConstruction && !isInvalid(p, input)) continue;
    const before = p.type === "mutation" ? await rowCounts() : null;
    const r = await call(p, input);
    judge(`${p.path} ${JSON.stringify(input)?.slice(0, 120)}`, r);
    if (before) {
      const tables = grown(before, await rowCounts());
      if (tables.length) {
        figures.invalidWrites++;
        problems.push(`row written (${tables.join(", ")}) by ${p.path} ${JSON.stringify(input)?.slice(0, 160)}`);
        if (p.path === "run.create") await stopStrayRuns();
      }
    }
  }
}

test("every procedure: hostile input gets no 500, no internal text, and writes no row when invalid", async () => {
  assert.ok(procedures.length >= 30, `enumerated ${procedures.length} procedures`);
  for (const p of procedures) await fuzzProcedure(p);
  await stopStrayRuns();
  assert.ok(figures.inputs >= 1000, `${figures.inputs} inputs sent`);
  assert.deepEqual(problems.filter((x) => !x.startsWith("socket")), []);
});

/** Each event once with an obviously wrong payload: those that answer are awaited from then on, the rest are only emitted. */
async function fuzzSocket(socket: Socket, label: string) {
  const events = [...new Set(Object.values(EV))];
  const acked = new Set<string>();
  for (const ev of events) if (await socket.timeout(1500).emitWithAck(ev, 12345).then(() => true, () => false)) acked.add(ev);
  const payloads = sample(fc.oneof(hostile, fc.record({ runId: hostileString, message: hostileString, seq: hostile, points: hostile, path: hostileString, step: hostile })), 40);
  payloads.push({ seq: 0, points: [{ step: 1, key: "lo\u0000ss", value: 1, wallTime: 1 }] }, { message: "x\ud800" }, { step: 1, path: "\ud800", bytes: 1, sha256: "a".repeat(64) });
  for (const ev of events) {
    for (const payload of payloads) {
      if (hasBadText(payload) === false && ev.startsWith("trainer:done")) continue; // a valid done would end the run legitimately
      const before = await rowCounts();
      figures.socketInputs++;
      if (!acked.has(ev)) {
        socket.emit(ev, payload);
        continue;
      }
      const reply = (await socket.timeout(5000).emitWithAck(ev, payload).catch((e: Error) => ({ ok: false, error: `no answer: ${e.message}` }))) as { ok: boolean; error?: string };
      if (reply.ok === false && reply.error && INTERNAL.test(reply.error)) {
        figures.socketInternal++;
        problems.push(`socket internal text ${label} ${ev}: ${reply.error.slice(0, 200)}`);
      }
      if ((reply.ok === false || hasBadText(payload)) && grown(before, await rowCounts()).length) {
        figures.invalidWrites++;
        problems.push(`socket row written by invalid ${label} ${ev}: ${JSON.stringify(payload)?.slice(0, 120)}`);
      }
    }
  }
  // An oversized payload closes its transport and the client reconnects by itself; the check is
  // that it can, so a reconnect still under way at the last payload is waited for.
  await waitFor(`${label} socket connected again`, () => socket.connected, 20_000).catch(() => {});
  assert.ok(socket.connected, `${label} socket still connected`);
}

test("every socket event on both namespaces: hostile payloads get a clean refusal and write nothing", async () => {
  const browser = await browserSocket(server.url);
  // Closed on failure too: a socket left reconnecting would keep the file running to its timeout.
  await fuzzSocket(browser, "browser").finally(() => browser.close());
  // A live launch with no trainer of the server's gives the /trainer namespace a real token; made
  // only now, since the procedure fuzz may stop any run it finds.
  const runToken = await liveLaunch(server, "fuzz-target");
  const trainer = io(`${server.url}/trainer`, { transports: ["websocket"], auth: runToken, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    trainer.once("connect", resolve);
    trainer.once("connect_error", reject);
  });
  await fuzzSocket(trainer, "trainer").finally(() => trainer.close());
  assert.deepEqual(problems.filter((x) => x.startsWith("socket")), []);
});

test("the server is alive and answering at the end", async () => {
  assert.equal(server.proc.exitCode, null);
  assert.ok(Array.isArray(await server.api.run.list.query()));
  const res = await fetch(`${server.url}/`);
  assert.equal(res.status, 200);
});
