import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { RunConfig } from "../../lib/run-config";
import { WorkerInfo } from "../../lib/worker-protocol";
import { browserTests } from "../helpers/browser";
import { openTestDb, type TestDb } from "../helpers/db";
import { tempDataDir, waitFor } from "../helpers/server";

const e2e = browserTests();
const SHOTS = process.env.UI_SHOTS_DIR ?? "/tmp/ui-shots";

const GIB = 2 ** 30;
const GPU_BOX = WorkerInfo.parse({
  name: "gpu-box-1", host: "gpu-box-1.lab", platform: "linux x64", cores: 32, memoryBytes: 256 * GIB,
  gpus: [
    { name: "NVIDIA H100 80GB HBM3", memoryBytes: 80 * GIB, driver: "550.54.15", index: 0 },
    { name: "NVIDIA H100 80GB HBM3", memoryBytes: 80 * GIB, driver: "550.54.15", index: 1 },
  ],
  backends: ["tensorflow", "webgpu", "wasm", "cpu"], autoBackend: "tensorflow", queues: ["gpu", "big"], maxRuns: 2, version: "0.1.0",
});
const CPU_BOX = WorkerInfo.parse({
  name: "cpu-box", host: "10.0.0.7", platform: "linux arm64", cores: 8, memoryBytes: 16 * GIB, gpus: [],
  backends: ["wasm", "cpu"], autoBackend: "wasm", queues: ["cpu"], maxRuns: 1, version: "0.0.9",
});

/** A DateTime `agoMs` before now, as Prisma stores one on this engine. */
function at(db: TestDb, agoMs: number): string {
  const iso = new Date(Date.now() - agoMs).toISOString();
  return db.provider === "sqlite" ? iso.replace("Z", "+00:00") : iso.replace("Z", "");
}

// The workers' HTTP registration is not on this branch yet: the row is what it would write (WorkerService.register).
async function insertWorker(db: TestDb, info: WorkerInfo, opts: { heartbeatAgoMs?: number; leftAgoMs?: number } = {}): Promise<string> {
  const id = `w-${crypto.randomBytes(6).toString("hex")}`;
  await db.run(
    `INSERT INTO "Worker" ("id", "name", "host", "info", "queues", "maxRuns", "keyId", "startedAt", "heartbeatAt", "leftAt") VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
    id, info.name, info.host, JSON.stringify(info), JSON.stringify(info.queues), info.maxRuns, at(db, 3600_000), at(db, opts.heartbeatAgoMs ?? 0),
    opts.leftAgoMs === undefined ? null : at(db, opts.leftAgoMs),
  );
  return id;
}

const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? "";

test("the Workers page lists live and gone workers, the form runs on their queues, and the run page says where it runs", { skip: e2e.skip }, async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  // A long hold, so the late worker stays late (not offline) however slowly this machine runs the test.
  const server = await e2e.start(tempDataDir("workers-page"), { WORKER_LEASE_TTL_MS: "600000" });
  const db = await openTestDb(server.dataDir);
  const browser = await e2e.browser();
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  await page.goto(`${server.url}/workers`);
  const command = await waitFor("the start command with this server's URL", async () => {
    const c = await text(page, "[data-testid=worker-command]");
    return c.includes(server.url) ? c : null;
  }, 30_000);
  assert.equal(command, `npm run worker -- --server ${server.url} --key <API key with write scope> --queue gpu`);
  assert.equal(await page.getAttribute("[data-testid=workers-empty] a[href='/settings/keys']", "href"), "/settings/keys");
  await page.screenshot({ path: path.join(SHOTS, "workers-empty.png"), fullPage: true });

  const gpuId = await insertWorker(db, GPU_BOX);
  await insertWorker(db, CPU_BOX, { heartbeatAgoMs: 20 * 60_000 });
  await insertWorker(db, { ...GPU_BOX, name: "gpu-box-2", host: "gpu-box-2.lab", gpus: GPU_BOX.gpus.slice(0, 1) }, { heartbeatAgoMs: 8000 });
  await insertWorker(db, { ...CPU_BOX, name: "old-box", host: "old-box.lab" }, { heartbeatAgoMs: 2 * 3600_000, leftAgoMs: 2 * 3600_000 });
  // Its heartbeats, as a running worker would send them.
  const beat = setInterval(() => void db.run(`UPDATE "Worker" SET "heartbeatAt" = ? WHERE "id" = ?`, at(db, 0), gpuId).catch(() => {}), 500);
  try {
    const gpuRow = page.locator(`[data-testid=worker-row][data-worker-id=${gpuId}]`);
    await gpuRow.waitFor({ timeout: 10_000 });
    assert.equal(await page.locator("[data-testid=worker-row]").count(), 4);
    assert.equal(await gpuRow.locator("[data-testid=worker-state]").textContent(), "idle");
    assert.match((await gpuRow.locator("[data-testid=worker-heartbeat]").textContent()) ?? "", /^\d s ago$/);
    assert.equal(await gpuRow.locator("[data-testid=worker-heartbeat]").getAttribute("data-tone"), "ok");
    assert.equal(await gpuRow.locator("[data-testid=worker-gpus]").innerText(), "2 × NVIDIA H100 80GB HBM3\n80.0 GiB · driver 550.54.15");
    assert.equal(await gpuRow.locator("[data-testid=worker-queues]").textContent(), "gpubig");
    assert.equal(await gpuRow.locator("[data-testid=worker-backends] [data-auto]").textContent(), "tensorflow auto");
    const lateRow = page.locator("[data-testid=worker-row]", { hasText: "gpu-box-2" });
    assert.equal(await lateRow.getAttribute("data-state"), "idle");
    assert.equal(await lateRow.locator("[data-testid=worker-heartbeat]").getAttribute("data-tone"), "late");
    const cpuRow = page.locator("[data-testid=worker-row]", { hasText: "cpu-box" });
    assert.equal(await cpuRow.getAttribute("data-state"), "offline");
    assert.equal(await cpuRow.locator("[data-testid=worker-heartbeat]").getAttribute("data-tone"), "offline");
    assert.equal(await cpuRow.locator("[data-testid=worker-gpus]").textContent(), "no GPU");
    assert.equal(await page.locator("[data-testid=worker-row]", { hasText: "old-box" }).getAttribute("data-state"), "left");
    await page.screenshot({ path: path.join(SHOTS, "workers.png"), fullPage: true });

    // The form offers the live queue (not the offline worker's), with its worker counts.
    await page.goto(`${server.url}/runs/new`);
    const gpuOption = page.locator("#field-queue option[value=gpu]");
    await gpuOption.waitFor({ state: "attached", timeout: 10_000 });
    assert.equal(await gpuOption.textContent(), "gpu — 2 workers, 2 idle");
    assert.equal(await page.locator("#field-queue option[value=cpu]").count(), 0);
    assert.equal(await page.inputValue("#field-queue"), "(this server)");
    await page.selectOption("#field-queue", "gpu");
    assert.match(await text(page, "#field-queue-hint"), /next gpu worker with a free slot; 2 of 2 workers idle now/);
    assert.match(await text(page, "#field-backend-hint"), /On a worker, auto takes that worker's best backend/);

    // A typed queue no worker pulls yet is allowed and said so; a bad name is refused beside the field, and nothing is created.
    await page.selectOption("#field-queue", "(another)");
    await page.fill("#field-queue-name", "Big GPUs");
    await page.click("button[type=submit]");
    assert.match(await text(page, "[data-testid=error-queue]"), /A queue name: lowercase letters/);
    assert.deepEqual(await server.api.run.list.query(), []);
    const runtime = page.locator("fieldset", { has: page.locator("#field-queue") });
    await runtime.scrollIntoViewIfNeeded();
    await runtime.screenshot({ path: path.join(SHOTS, "form-run-on-error.png") });
    await page.fill("#field-queue-name", "h200");
    assert.equal(await text(page, "#field-queue-hint"), "No live worker pulls from h200 yet: the run waits queued until one starts with --queue h200 · Workers");
    await runtime.screenshot({ path: path.join(SHOTS, "form-run-on-typed.png") });

    await page.selectOption("#field-queue", "gpu");
    await runtime.screenshot({ path: path.join(SHOTS, "form-run-on.png") });
    await page.fill("#field-name", "on-gpu");
    await page.click("button[type=submit]");
    await page.waitForURL((u) => /^\/runs\/[a-z0-9]+$/.test(u.pathname) && u.pathname !== "/runs/new");
    const runId = new URL(page.url()).pathname.split("/").pop()!;
    assert.equal(await text(page, "[data-testid=run-place]"), "on queue gpu");
    assert.equal(await text(page, "[data-testid=run-backend]"), "backend: waiting for a worker");
    assert.equal((await server.api.run.get.query({ id: runId })).config.queue, "gpu");

    // A worker claims it (the columns a claim writes): the run page, the runs table and the Workers page say so.
    await db.run(`UPDATE "Run" SET "workerId" = ?, "workerLeaseUntil" = ? WHERE "id" = ?`, gpuId, at(db, -600_000), runId);
    await db.run(`UPDATE "Worker" SET "activity" = ? WHERE "id" = ?`, JSON.stringify([{ runId, phase: "fetching", detail: "fetching dataset ds-1: 12.0 of 40.0 MB (30%)" }]), gpuId);
    await page.reload();
    await waitFor("the worker's name on the run page", async () => (await text(page, "[data-testid=run-place]")) === "on queue gpu · on worker gpu-box-1", 10_000);
    assert.equal(await page.getAttribute("[data-testid=run-place] a", "href"), "/workers");
    await page.screenshot({ path: path.join(SHOTS, "run-on-worker.png") });
    await page.goto(server.url);
    const place = page.locator(`[data-testid=run-row][data-run-id=${runId}] [data-testid=run-place]`);
    await waitFor("the worker's name in the runs table", async () => (await place.textContent()) === "on queue gpu · on worker gpu-box-1", 10_000);
    await page.screenshot({ path: path.join(SHOTS, "runs-on-worker.png") });
    await page.goto(`${server.url}/workers`);
    await waitFor("the worker busy with the run", async () => (await gpuRow.getAttribute("data-state")) === "busy", 10_000);
    assert.match(await gpuRow.locator(`[data-testid=worker-runs] a[href='/runs/${runId}']`).innerText(), new RegExp(`^on-gpu \\d+/${RunConfig.parse({ name: "defaults" }).steps}`), "the form's default steps");
    assert.equal(await text(page, "[data-testid=worker-run-phase]"), "fetching dataset ds-1: 12.0 of 40.0 MB (30%)", "a fetch's progress shows beside its run");
    assert.match(await text(page, "[data-testid=worker-row][data-state=busy] [data-testid=worker-runs]"), /^1 of 2 slots/);
    await page.screenshot({ path: path.join(SHOTS, "workers-busy.png"), fullPage: true });
    await server.api.run.stop.mutate({ id: runId });
  } finally {
    clearInterval(beat);
    await db.close();
  }
  assert.deepEqual(pageErrors, []);
});
