import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { openTestDb, type TestDb } from "../helpers/db";
import { startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

/**
 * Every path a request names (eval-set files, dataset folders, files inside them) or a trainer
 * reported (checkpoints, opened by export and generate) must resolve inside DATA_DIR or an
 * IMPORT_ROOTS directory after symlinks, checkpoints inside their run's directory. Refusals name
 * the rule and read the same whether the target exists; inside the roots everything still works.
 */
const outside = tempDataDir("outside");
const importRoot = tempDataDir("import-root");
const SECRET = "root:x:0:0:TOP-SECRET-MARKER";
const hellaswag = (i: number) =>
  JSON.stringify({ ind: i, activity_label: "Baking", ctx_a: `A man puts flour in bowl ${i}.`, ctx_b: "he", endings: ["mixes it.", "flies away.", "sings.", "sleeps."], label: 0 });
const prose = (i: number) =>
  `The river ran quietly past the old mill number ${i}, where farmers brought their grain every autumn. ` +
  "Children watched the heavy wheel turn while the miller told stories about floods, harvests and the long winters of the valley.";

let server: TestServer;
let db: TestDb;
let runId = "";

before(async () => {
  fs.writeFileSync(path.join(outside, "secret.jsonl"), `${hellaswag(0)}\n`);
  fs.writeFileSync(path.join(outside, "secret.txt"), SECRET);
  fs.mkdirSync(path.join(outside, "corpus"));
  fs.writeFileSync(path.join(outside, "corpus", "a.txt"), SECRET);
  server = await startServer(tempDataDir("paths"), { IMPORT_ROOTS: importRoot, UPLOAD_MAX_MB: "0.05" });
  db = await openTestDb(server.dataDir);
  // Symlinks inside DATA_DIR pointing out: to a file, to a folder.
  fs.symlinkSync(path.join(outside, "secret.jsonl"), path.join(server.dataDir, "link.jsonl"));
  fs.symlinkSync(path.join(outside, "corpus"), path.join(server.dataDir, "link-corpus"));
  const run = await server.api.run.create.mutate({ ...TINY, name: "paths", steps: 20, evals: [] });
  runId = run.id;
  await server.api.run.stop.mutate({ id: runId }).catch(() => {});
  await waitFor("the run to stop", async () => !["queued", "running", "stopping"].includes((await server.api.run.get.query({ id: runId })).status));
});
after(async () => {
  await db?.close();
  await server?.stop();
});

/** The error a call fails with; it must fail. */
async function refusal(call: Promise<unknown>): Promise<{ message: string; code: string }> {
  try {
    await call;
  } catch (e) {
    const err = e as { message: string; data?: { code?: string } };
    return { message: err.message, code: err.data?.code ?? "" };
  }
  assert.fail("the call was expected to be refused");
}

/** Refused with the rule (403), never the content, and the same words for an existing and a missing target. */
async function assertRefusedAlike(what: string, calls: Record<string, () => Promise<unknown>>, rule = /must lie inside DATA_DIR or an IMPORT_ROOTS directory/) {
  const seen = new Map<string, string>();
  for (const [label, call] of Object.entries(calls)) {
    const r = await refusal(call());
    assert.equal(r.code, "FORBIDDEN", `${what} ${label}: ${r.message}`);
    assert.match(r.message, rule, `${what} ${label}`);
    assert.doesNotMatch(r.message, /root:x|TOP-SECRET|hellaswag|Baking|not a file|no such file|ENOENT/i, `${what} ${label}`);
    seen.set(r.message, label);
  }
  assert.equal(seen.size, 1, `${what}: one message for every refused target, got ${JSON.stringify([...seen])}`);
}

test("evalSet.register: outside paths, traversal and a symlink out are refused alike; files in DATA_DIR and IMPORT_ROOTS register", async () => {
  const register = (p: string) => () => server.api.evalSet.register.mutate({ task: "hellaswag", name: "x", path: p });
  await assertRefusedAlike("evalSet.register", {
    existing: register(path.join(outside, "secret.jsonl")),
    missing: register(path.join(outside, "missing.jsonl")),
    passwd: register("/etc/passwd"),
    traversal: register("../../../../../../etc/passwd"),
    "relative traversal to an existing file": register(path.relative(server.dataDir, path.join(outside, "secret.jsonl"))),
    "symlink out": register(path.join(server.dataDir, "link.jsonl")),
    "relative symlink out": register("link.jsonl"),
  });
  assert.equal((await db.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "EvalSet"`))!.n, 0);

  fs.writeFileSync(path.join(importRoot, "hs.jsonl"), `${hellaswag(1)}\n${hellaswag(2)}\n`);
  fs.mkdirSync(path.join(server.dataDir, "evals-here"), { recursive: true });
  fs.writeFileSync(path.join(server.dataDir, "evals-here", "hs.jsonl"), `${hellaswag(3)}\n`);
  assert.equal((await register(path.join(importRoot, "hs.jsonl"))()).examples, 2);
  assert.equal((await register("evals-here/hs.jsonl")()).examples, 1, "relative to DATA_DIR");
});

test("dataset.prepare: a folder outside, a missing one and a symlink out are refused alike before anything is read; folders inside prepare", async () => {
  const prepare = (p: string) => () =>
    server.api.dataset.prepare.mutate({ name: "f", sources: [{ domain: "mine", kind: "folder", path: p, weight: 1 }] });
  await assertRefusedAlike("dataset.prepare", {
    existing: prepare(path.join(outside, "corpus")),
    missing: prepare(path.join(outside, "nope")),
    root: prepare("/"),
    traversal: prepare("../../../../../../etc"),
    "symlink out": prepare(path.join(server.dataDir, "link-corpus")),
  });
  assert.equal((await db.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "Dataset"`))!.n, 0);

  // Inside IMPORT_ROOTS, with a file and a folder inside it linking out: the links are not followed.
  const folder = path.join(importRoot, "corpus");
  fs.mkdirSync(folder);
  for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(folder, `doc${i}.txt`), prose(i));
  fs.symlinkSync(path.join(outside, "secret.txt"), path.join(folder, "leak.txt"));
  fs.symlinkSync(path.join(outside, "corpus"), path.join(folder, "leak-dir"));
  const d = await server.api.dataset.prepare.mutate({
    name: "inside", sources: [{ domain: "mine", kind: "folder", path: folder, weight: 1 }],
    quality: { enabled: false }, safety: { enabled: false }, dedup: { near: false }, tokenizer: { vocabSize: 300, trainBytes: 10_000 },
  });
  const ready = await waitFor("the folder dataset", async () => {
    const now = await server.api.dataset.get.query({ id: d.id });
    if (now.status === "failed") throw new Error(`dataset failed: ${now.error}`);
    return now.status === "ready" ? now : null;
  }, 300_000);
  assert.equal(ready.manifest?.sources.find((s) => s.domain === "mine")?.documents, 6, "the six real files, not the links");
  const written = fs.readdirSync(path.join(server.dataDir, "datasets", d.id), { recursive: true, encoding: "utf8" });
  for (const f of written) {
    const p = path.join(server.dataDir, "datasets", d.id, f);
    if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p, "latin1").includes("TOP-SECRET"), `${f} holds the secret`);
  }
  assert.ok(!JSON.stringify(await server.api.dataset.flagged.query({ id: d.id })).includes("TOP-SECRET"));
});

test("checkpoint.export and checkpoint.generate open only checkpoints inside their run's directory", async () => {
  const runDir = path.join(server.dataDir, "runs", runId);
  fs.mkdirSync(path.join(runDir, "checkpoints"), { recursive: true });
  fs.writeFileSync(path.join(outside, "ckpt.safetensors"), SECRET);
  fs.symlinkSync(path.join(outside, "ckpt.safetensors"), path.join(runDir, "checkpoints", "link.safetensors"));
  // Another run's directory is inside DATA_DIR, yet not this run's.
  fs.mkdirSync(path.join(server.dataDir, "runs", "other"), { recursive: true });
  fs.writeFileSync(path.join(server.dataDir, "runs", "other", "ckpt.safetensors"), "x");
  // As a trainer could once report them: rows planted directly, whatever the trainer channel now accepts.
  const planted: Record<string, string> = {
    existing: path.join(outside, "ckpt.safetensors"),
    missing: path.join(outside, "gone.safetensors"),
    passwd: "/etc/passwd",
    "traversal out of the run directory": path.join(runDir, "..", "..", "..", "ckpt.safetensors"),
    "symlink out": path.join(runDir, "checkpoints", "link.safetensors"),
    "another run's": path.join(server.dataDir, "runs", "other", "ckpt.safetensors"),
  };
  const insert = (step: number, file: string) =>
    db.run(`INSERT INTO "Checkpoint" ("runId", "step", "path", "bytes", "sha256", "createdAt") VALUES (?, ?, ?, 1, ?, ?)`, runId, step, file, "0".repeat(64), db.now());
  const steps = Object.keys(planted).map((label, i) => [label, 1000 + i] as const);
  for (const [label, step] of steps) await insert(step, planted[label]);
  for (const proc of ["export", "generate"] as const) {
    await assertRefusedAlike(`checkpoint.${proc}`, Object.fromEntries(steps.map(([label, step]) => [label, () =>
      proc === "export" ? server.api.checkpoint.export.mutate({ runId, step }) : server.api.checkpoint.generate.mutate({ runId, step, prompt: "hi" })])),
    /^checkpoint: A checkpoint must lie inside its run's directory/);
  }
  // Inside the run's directory the rule lets it through: a missing file there is reported as gone.
  await insert(2000, path.join(runDir, "checkpoints", "step-002000", "model.safetensors"));
  const r = await refusal(server.api.checkpoint.export.mutate({ runId, step: 2000 }));
  assert.equal(r.code, "NOT_FOUND", r.message);
  assert.match(r.message, /is gone/);
});

test("uploads stream into DATA_DIR/uploads with a byte cap and plain names, and register from there", async () => {
  const put = (url: string, body: string) => fetch(`${server.url}${url}`, { method: "PUT", body });
  const ok = await put("/api/upload/evalset/hs.jsonl", `${hellaswag(4)}\n${hellaswag(5)}\n${hellaswag(6)}\n`);
  assert.equal(ok.status, 201);
  const stored = (await ok.json()) as { path: string; bytes: number };
  assert.ok(stored.path.startsWith(path.join(server.dataDir, "uploads", "evalsets")), stored.path);
  assert.equal((await server.api.evalSet.register.mutate({ task: "hellaswag", name: "uploaded", path: stored.path })).examples, 3);

  const big = await put("/api/upload/evalset/big.jsonl", "x".repeat(60_000));
  assert.equal(big.status, 413);
  assert.match(((await big.json()) as { error: string }).error, /over the 0\.05 MB limit \(UPLOAD_MAX_MB\)/);
  assert.equal(fs.readdirSync(path.join(server.dataDir, "uploads", "evalsets")).filter((f) => f.includes("big")).length, 0, "nothing left of a refused upload");
  // Without a Content-Length the stream itself is cut at the cap.
  const chunked = await fetch(`${server.url}/api/upload/evalset/chunked.jsonl`, {
    method: "PUT", duplex: "half",
    body: new ReadableStream({ start(c) { for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode("y".repeat(10_000))); c.close(); } }),
  } as RequestInit);
  assert.equal(chunked.status, 413);

  for (const bad of ["/api/upload/evalset/..%2F..%2Fescape.jsonl", "/api/upload/folder/../x.txt", "/api/upload/folder/a/.hidden.txt", "/api/upload/evalset/x.sh", "/api/upload/elsewhere/x.txt"]) {
    const r = await put(bad, "data");
    assert.ok([400, 404].includes(r.status), `${bad}: ${r.status}`);
  }
  assert.equal((await fetch(`${server.url}/api/upload/evalset/x.jsonl`)).status, 405);
  assert.ok(!fs.existsSync(path.join(server.dataDir, "escape.jsonl")) && !fs.existsSync(path.join(server.dataDir, "uploads", "x.txt")));

  const folderFile = await put("/api/upload/folder/mine/doc.txt", prose(9));
  assert.equal(folderFile.status, 201);
  assert.equal(((await folderFile.json()) as { folder: string }).folder, path.join(server.dataDir, "uploads", "folders", "mine"));
});
