import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

const dataDir = tempDataDir("run-admin");
let server: TestServer;
let dataset: string;
let parent: { id: string };

const code = (e: unknown) => (e as { data?: { code?: string } })?.data?.code;
const finished = (id: string) =>
  waitFor("the run to complete", async () => {
    const r = await server.api.run.get.query({ id });
    if (r.status === "failed" || r.status === "crashed") throw new Error(`run ${r.status}: ${r.error}`);
    return r.status === "completed";
  });

before(async () => {
  server = await startServer(dataDir);
  dataset = await prepareSmall(server);
  parent = await server.api.run.create.mutate({ ...TINY, name: "admin-parent", dataset, steps: 30, checkpointInterval: 30 });
  await finished(parent.id);
});
after(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("a run is renamed, annotated, labelled, filed under a project, starred and archived; bad annotations are refused field by field", async () => {
  const updated = await server.api.run.annotate.mutate({
    id: parent.id, change: { name: "baseline 124M", notes: "# Why\n- lr sweep *anchor*", labels: ["baseline", "seed 1"], project: "scaling", starred: true },
  });
  assert.equal(updated.name, "baseline 124M");
  assert.deepEqual(updated.labels, ["baseline", "seed 1"]);
  assert.equal(updated.project, "scaling");
  assert.equal(updated.starred, true);
  assert.equal((await server.api.run.get.query({ id: parent.id })).notes, "# Why\n- lr sweep *anchor*");
  await server.api.run.annotate.mutate({ id: parent.id, change: { archived: true } });
  const again = await server.api.run.get.query({ id: parent.id });
  assert.equal(again.archived, true);
  assert.equal(again.name, "baseline 124M", "a partial change keeps the rest");
  await server.api.run.annotate.mutate({ id: parent.id, change: { archived: false, project: null } });
  assert.equal((await server.api.run.get.query({ id: parent.id })).project, null);
  assert.deepEqual(await server.api.run.vocabulary.query(), { labels: [{ name: "baseline", runs: 1 }, { name: "seed 1", runs: 1 }], projects: [] });

  for (const change of [{ name: "  " }, { labels: ["ok", "ok"] }, { labels: ["-bad"] }, { labels: Array.from({ length: 21 }, (_, i) => `l${i}`) }, { notes: "x".repeat(20_001) }]) {
    const e = await server.api.run.annotate.mutate({ id: parent.id, change }).catch((err) => err);
    assert.equal(code(e), "BAD_REQUEST", JSON.stringify(change).slice(0, 80));
  }
  assert.equal(code(await server.api.run.annotate.mutate({ id: "nope", change: { starred: true } }).catch((e) => e)), "NOT_FOUND");
});

test("the trainer's log is read in slices that end at a line, and downloads whole", async () => {
  const first = await server.api.run.log.query({ id: parent.id, maxBytes: 300 });
  assert.ok(first.text.length > 0 && first.text.length <= 300);
  assert.ok(first.text.endsWith("\n"), "a slice ends at a line end");
  let all = first.text;
  for (let next = first.next; next < first.size; ) {
    const slice = await server.api.run.log.query({ id: parent.id, from: next, maxBytes: 300 });
    all += slice.text;
    next = slice.next;
  }
  const res = await fetch(`${server.url}/api/download/runs/${parent.id}/trainer.log`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), all);
  assert.match(all, /step/);
  assert.deepEqual((await server.api.run.log.query({ id: parent.id, from: 10 ** 9 })).restarted, true);
});

test("an exported model and a dataset's tokenizer download as .tar.gz archives that unpack with tar", async () => {
  const res = await fetch(`${server.url}/api/download/runs/${parent.id}/export/30`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get("content-disposition") ?? "", /attachment; filename=".*step-30\.tar\.gz"/);
  const out = fs.mkdtempSync(path.join(dataDir, "untar-"));
  fs.writeFileSync(path.join(out, "a.tar.gz"), Buffer.from(await res.arrayBuffer()));
  execFileSync("tar", ["xzf", "a.tar.gz"], { cwd: out });
  const [folder] = fs.readdirSync(out).filter((f) => f !== "a.tar.gz");
  assert.deepEqual(fs.readdirSync(path.join(out, folder)).sort(), ["config.json", "model.safetensors", "tokenizer.json"]);
  const exported = path.join(dataDir, "runs", parent.id, "checkpoints", "step-000030", "export");
  for (const f of ["config.json", "model.safetensors", "tokenizer.json"])
    assert.deepEqual(fs.readFileSync(path.join(out, folder, f)), fs.readFileSync(path.join(exported, f)), f);

  const tok = await fetch(`${server.url}/api/download/datasets/${dataset}/tokenizer`);
  assert.equal(tok.status, 200);
  fs.writeFileSync(path.join(out, "t.tar.gz"), Buffer.from(await tok.arrayBuffer()));
  const listing = execFileSync("tar", ["tzf", "t.tar.gz"], { cwd: out, encoding: "utf8" }).trim().split("\n").sort();
  assert.deepEqual(listing, [`${dataset}/manifest.json`, `${dataset}/tokenizer.json`]);

  for (const [url, status] of [[`/api/download/runs/${parent.id}/export/999`, 404], [`/api/download/runs/${parent.id}/export/x`, 400], ["/api/download/runs/nope/trainer.log", 404], ["/api/download/datasets/ds-0000000000000000/tokenizer", 404], ["/api/download/runs/..%2F..%2Fapp.db/trainer.log", 400]] as const) {
    const r = await fetch(server.url + url);
    assert.equal(r.status, status, `${url}: ${await r.text()}`);
  }
});

test("delete: refused while running or while forks depend on it; then rows and files go, and the answer says how much was freed", async () => {
  const fork = await server.api.run.create.mutate({ ...TINY, name: "admin-fork", dataset, steps: 2000, initFrom: { runId: parent.id, step: 30 } });
  await waitFor("the fork to run", async () => (await server.api.run.get.query({ id: fork.id })).status === "running");
  const confirm = true as const;
  assert.equal(code(await server.api.run.delete.mutate({ id: fork.id, confirm }).catch((e) => e)), "CONFLICT", "a running run is stopped first");
  assert.equal(code(await server.api.run.delete.mutate({ id: parent.id, confirm }).catch((e) => e)), "CONFLICT", "its fork depends on it");
  assert.equal(code(await server.api.run.delete.mutate({ id: parent.id } as never).catch((e) => e)), "BAD_REQUEST", "deleting needs confirm: true");
  await server.api.run.stop.mutate({ id: fork.id });
  await waitFor("the fork to stop", async () => (await server.api.run.get.query({ id: fork.id })).status === "stopped");
  const gone = await server.api.run.delete.mutate({ id: fork.id, confirm });
  assert.ok(gone.freedBytes > 0);
  assert.equal(fs.existsSync(path.join(dataDir, "runs", fork.id)), false);
  assert.equal(code(await server.api.run.get.query({ id: fork.id }).catch((e) => e)), "NOT_FOUND");
  assert.deepEqual(await server.api.run.forks.query({ id: parent.id }), []);
  await server.api.run.delete.mutate({ id: parent.id, confirm });
  assert.ok(!(await server.api.run.list.query()).some((r) => r.id === parent.id));
  assert.equal(fs.existsSync(path.join(dataDir, "runs", parent.id)), false);
});
