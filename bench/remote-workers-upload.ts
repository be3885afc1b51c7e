// Checkpoint upload throughput for bench:workers (bench/remote-workers.ts): CheckpointUploader over
// loopback to the real server, next to a plain local copy and one plain HTTP PUT measured in the
// same invocation, and how many bytes a resumed upload sends again.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { UPLOAD_CHUNK_BYTES } from "../lib/worker-protocol";
import { bearer } from "../tests/helpers/auth";
import { TINY } from "../tests/helpers/server";
import { CheckpointUploader } from "../trainer/checkpoint/upload";
import type { KeyedApi } from "./remote-workers-start";

const MB = 1e6;
function median(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface Rate {
  label: string;
  mbPerS: number[];
}

export interface UploadResult {
  bytes: number;
  upload: Rate;
  ceilings: Rate[];
  /** Of each upload() call: seconds in chunk PUTs and in the commit (the server's sha256, fsync and rename). */
  phases: { putS: number[]; commitS: number[]; otherS: number[]; requests: number[]; slowestPutS: number[] };
  resume: {
    cutAt: number;
    keptOfCutChunk: number;
    sentByHand: number;
    sentByUpload: number;
    resent: number;
    seconds: number;
    statuses: Record<string, number>;
  };
  claimMs: number;
}

interface Sent {
  method: string;
  bytes: number;
  status: number;
  ms: number;
}

/** Every upload request this process makes with fetch, as CheckpointUploader makes them. */
const sent: Sent[] = [];
const plainFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!url.includes("/api/workers/upload/")) return plainFetch(input, init);
  const t = performance.now();
  const res = await plainFetch(input, init);
  const body = init?.body;
  const bytes = body instanceof Uint8Array ? body.byteLength : typeof body === "string" ? Buffer.byteLength(body) : 0;
  sent.push({ method: init?.method ?? "GET", bytes, status: res.status, ms: performance.now() - t });
  return res;
};

const INFO = {
  name: "bench-uploader", host: "localhost", platform: `${process.platform} ${process.arch}`, cores: 1, memoryBytes: 0, gpus: [],
  backends: ["wasm"], autoBackend: "wasm", queues: ["bench"], maxRuns: 1, version: "bench",
};

export async function measureUploads(o: { url: string; key: string; api: KeyedApi; dataDir: string; scratch: string; mb: number; repeats: number; log: (s: string) => void }): Promise<UploadResult> {
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${o.url}/api/workers/${route}`, { method: "POST", headers: { "content-type": "application/json", ...bearer(o.key) }, body: JSON.stringify(body) });
    const answer = (await res.json()) as any;
    if (!res.ok) throw new Error(`POST ${route}: ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const worker = (await post("register", INFO)).id as string;
  const run = await o.api.run.create.mutate({ ...TINY, name: "bench-upload", queue: "bench", dataset: "default", evals: [] });
  const claimStarted = performance.now();
  const assignment = (await post(`${worker}/claim`, {})).assignment;
  const claimMs = performance.now() - claimStarted;
  if (assignment?.runId !== run.id) throw new Error(`the claim did not hand over the bench run: ${JSON.stringify(assignment)}`);
  const token = assignment.token as string;
  // The hold lasts the lease past each heartbeat; a lapsed one would end the run and its token.
  const beat = setInterval(() => void post(`${worker}/heartbeat`, { runs: [{ runId: run.id, phase: "uploading" }] }).catch((e) => o.log(`heartbeat: ${(e as Error).message}`)), 2000);
  try {
    const src = path.join(o.scratch, "checkpoint.bin");
    const bytes = o.mb * 1024 * 1024;
    const sha256 = await writeRandom(src, bytes);
    o.log(`upload: ${(bytes / MB).toFixed(0)} MB random file written; ${o.repeats} repeats of each path`);
    const checkpoints = path.join(o.dataDir, "runs", run.id, "checkpoints");

    const copy: number[] = [];
    const copySync: number[] = [];
    const put: number[] = [];
    const ceilingServer = await putServer(o.dataDir);
    try {
      for (let i = 0; i < o.repeats; i++) {
        const dest = path.join(o.dataDir, "bench-copy.bin");
        let t = performance.now();
        await fs.promises.copyFile(src, dest);
        const copied = performance.now() - t;
        await fsyncFile(dest);
        const synced = performance.now() - t;
        fs.rmSync(dest);
        copy.push(bytes / MB / (copied / 1000));
        copySync.push(bytes / MB / (synced / 1000));

        t = performance.now();
        await putWhole(ceilingServer.url, src, bytes);
        put.push(bytes / MB / ((performance.now() - t) / 1000));
        fs.rmSync(ceilingServer.file, { force: true });
      }
    } finally {
      await ceilingServer.close();
    }

    const rates: number[] = [];
    const phases: UploadResult["phases"] = { putS: [], commitS: [], otherS: [], requests: [], slowestPutS: [] };
    for (let i = 0; i < o.repeats; i++) {
      const step = 1000 + i;
      const uploader = new CheckpointUploader([o.url], run.id, token, o.key);
      const from = sent.length;
      const t = performance.now();
      const done = await uploader.upload({ step, path: src, bytes, sha256 });
      const seconds = (performance.now() - t) / 1000;
      rates.push(bytes / MB / seconds);
      if (fs.statSync(done.path).size !== bytes) throw new Error(`the uploaded checkpoint at ${done.path} is not ${bytes} bytes`);
      const mine = sent.slice(from);
      const puts = mine.filter((s) => s.method === "PUT");
      phases.putS.push(puts.reduce((a, s) => a + s.ms, 0) / 1000);
      phases.commitS.push(mine.filter((s) => s.method === "POST").reduce((a, s) => a + s.ms, 0) / 1000);
      // Reading each chunk from disk into a fresh buffer, and the GET of the offset.
      phases.otherS.push(seconds - mine.reduce((a, s) => a + s.ms, 0) / 1000 + mine.filter((s) => s.method === "GET").reduce((a, s) => a + s.ms, 0) / 1000);
      phases.slowestPutS.push(Math.max(...puts.map((s) => s.ms)) / 1000);
      phases.requests.push(mine.length);
      fs.rmSync(path.dirname(done.path), { recursive: true, force: true });
    }

    const resume = await resumed(o.url, o.key, run.id, token, src, bytes, sha256);
    fs.rmSync(checkpoints, { recursive: true, force: true });
    fs.rmSync(src);
    return {
      bytes,
      upload: { label: "CheckpointUploader.upload()", mbPerS: rates },
      ceilings: [
        { label: "single HTTP PUT, same process (+ fsync)", mbPerS: put },
        { label: "fs.copyFile into DATA_DIR (+ fsync)", mbPerS: copySync },
        { label: "fs.copyFile into DATA_DIR (no fsync)", mbPerS: copy },
      ],
      phases,
      resume,
      claimMs,
    };
  } finally {
    clearInterval(beat);
    // The run ends as a worker's stopped run does, so no worker started later claims it.
    await o.api.run.stop.mutate({ id: run.id }).catch(() => {});
    await post(`${worker}/runs/${run.id}/exit`, { code: 0, signal: null, tail: ["bench upload done"] }).catch(() => {});
    await post(`${worker}/leave`, {}).catch(() => {});
  }
}

/**
 * Half the file goes up by hand in the uploader's own chunks, the next chunk is cut off half-way
 * through its body (the server keeps what arrived), then upload() must go on from the server's
 * offset: whatever it sends beyond the rest of the file was sent twice.
 */
async function resumed(url: string, key: string, runId: string, token: string, src: string, bytes: number, sha256: string): Promise<UploadResult["resume"]> {
  const step = 2000;
  const base = `${url}/api/workers/upload/${runId}/${step}/${sha256}`;
  const headers = { ...bearer(key), "x-trainer-token": token };
  const received = async () => ((await (await plainFetch(base, { headers })).json()) as { received: number }).received;
  const fd = await fs.promises.open(src, "r");
  let offset = 0;
  let sentByHand = 0;
  try {
    while (offset + UPLOAD_CHUNK_BYTES <= bytes / 2) {
      const chunk = Buffer.alloc(UPLOAD_CHUNK_BYTES);
      await fd.read(chunk, 0, chunk.length, offset);
      const res = await plainFetch(`${base}?offset=${offset}`, { method: "PUT", headers, body: chunk });
      offset = ((await res.json()) as { received: number }).received;
      sentByHand += chunk.length;
    }
    const chunk = Buffer.alloc(Math.min(UPLOAD_CHUNK_BYTES, bytes - offset));
    await fd.read(chunk, 0, chunk.length, offset);
    const half = Math.floor(chunk.length / 2);
    await cutPut(`${base}?offset=${offset}`, headers, chunk, half, async () => (await received()) >= offset + half);
    sentByHand += half;
  } finally {
    await fd.close();
  }
  // The server notices the cut, keeps what arrived and frees the staging file; as a trainer's retry would, wait until it has.
  let cutAt = await received();
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await received();
    if (now === cutAt) break;
    cutAt = now;
  }
  const from = sent.length;
  const t = performance.now();
  await new CheckpointUploader([url], runId, token, key).upload({ step, path: src, bytes, sha256 });
  const seconds = (performance.now() - t) / 1000;
  const mine = sent.slice(from);
  const sentByUpload = mine.filter((s) => s.method === "PUT").reduce((a, s) => a + s.bytes, 0);
  const statuses: Record<string, number> = {};
  for (const s of mine) statuses[`${s.method} ${s.status}`] = (statuses[`${s.method} ${s.status}`] ?? 0) + 1;
  return { cutAt, keptOfCutChunk: cutAt - offset, sentByHand, sentByUpload, resent: sentByUpload - (bytes - cutAt), seconds, statuses };
}

/** A PUT declaring the whole chunk whose connection is destroyed after `send` bytes, once `arrived` says the server has them. */
function cutPut(url: string, headers: Record<string, string>, chunk: Buffer, send: number, arrived: () => Promise<boolean>) {
  const u = new URL(url);
  return new Promise<void>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: "PUT", headers: { ...headers, "content-length": chunk.length } });
    req.on("error", () => {});
    req.on("response", (res) => reject(new Error(`the cut chunk was answered ${res.statusCode} before the cut`)));
    req.write(chunk.subarray(0, send), async () => {
      const deadline = Date.now() + 30_000;
      while (!(await arrived())) {
        if (Date.now() > deadline) return reject(new Error("the server never had the first half of the cut chunk"));
        await new Promise((r) => setTimeout(r, 20));
      }
      req.destroy();
      resolve();
    });
  });
}

async function writeRandom(file: string, bytes: number) {
  const hash = crypto.createHash("sha256");
  const out = await fs.promises.open(file, "w");
  try {
    for (let at = 0; at < bytes; at += UPLOAD_CHUNK_BYTES) {
      const piece = crypto.randomBytes(Math.min(UPLOAD_CHUNK_BYTES, bytes - at));
      hash.update(piece);
      await out.write(piece);
    }
  } finally {
    await out.close();
  }
  return hash.digest("hex");
}

async function fsyncFile(file: string) {
  const fd = await fs.promises.open(file, "r");
  await fd.sync();
  await fd.close();
}

/** The raw ceiling: one request body streamed to a file and fsynced, by a bare node:http server. */
async function putServer(dataDir: string) {
  const file = path.join(dataDir, "bench-put.bin");
  const server = http.createServer((req, res) => {
    pipeline(req, fs.createWriteStream(file))
      .then(() => fsyncFile(file))
      .then(() => res.writeHead(200).end())
      .catch((e: Error) => res.writeHead(500).end(e.message));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, file, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function putWhole(url: string, src: string, bytes: number) {
  return new Promise<void>((resolve, reject) => {
    const req = http.request(url, { method: "PUT", headers: { "content-length": bytes, "content-type": "application/octet-stream" } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`the ceiling PUT answered ${res.statusCode}`))));
    });
    req.on("error", reject);
    pipeline(fs.createReadStream(src), req).catch(reject);
  });
}

export { median };
