import crypto from "node:crypto";
import fs from "node:fs";
import type http from "node:http";
import { pipeline } from "node:stream/promises";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { checkpointFile } from "../../formats/checkpoint";
import { RunConfig } from "../../lib/run-config";
import { TrainerExitReport, WorkerHeartbeat, WorkerInfo, WORKERS_PREFIX } from "../../lib/worker-protocol";
import { refusal, type Resolved } from "../auth/principal";
import type { Services } from "../services";
import { CheckpointUploads, UploadRefused } from "../services/checkpoints/checkpoint-uploads";
import { datasetFile, defaultDatasetId } from "../services/workers/worker-files";

/**
 * The workers' HTTP API (docs/workers.md), every route behind an API key with the write scope:
 *
 *   POST /api/workers/register                                 WorkerInfo → { id, heartbeatMs, leaseTtlMs }
 *   POST /api/workers/<id>/heartbeat                           { runs } → { stop, lost }
 *   POST /api/workers/<id>/claim                               → { assignment | null }
 *   POST /api/workers/<id>/runs/<run>/exit                     TrainerExitReport
 *   POST /api/workers/<id>/leave
 *   GET  /api/workers/<id>/runs/<run>/dataset/<file>           a file of the run's prepared dataset
 *   GET  /api/workers/<id>/runs/<run>/checkpoint/<of>/<step>   the run's (or its fork parent's) checkpoint
 *   GET  /api/workers/<id>/runs/<run>/eval/<index>             a registered benchmark file of the run
 *
 * and the trainer's checkpoint upload, which also needs the run's live trainer token (x-trainer-token):
 *
 *   GET  /api/workers/upload/<run>/<step>/<sha256>             → { received } (bytes staged so far)
 *   PUT  /api/workers/upload/<run>/<step>/<sha256>?offset=N    a chunk, appended at N → { received }
 *   POST /api/workers/upload/<run>/<step>/<sha256>/commit      { bytes } → { path, bytes, sha256 }
 */

const JSON_LIMIT = 1_000_000;
const Commit = z.object({ bytes: z.number().int().min(0) });
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const STATUS: Partial<Record<TRPCError["code"], number>> = { BAD_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, PAYLOAD_TOO_LARGE: 413 };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...(status >= 400 ? { connection: "close" } : {}) }).end(JSON.stringify(body));
}

async function readJson<S extends z.ZodType>(req: http.IncomingMessage, schema: S): Promise<z.infer<S>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > JSON_LIMIT) throw new HttpError(413, `The request body is over ${JSON_LIMIT / 1e6} MB`);
    chunks.push(chunk);
  }
  let raw: unknown;
  try {
    raw = size === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "The request body is not JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; "));
  return parsed.data;
}

function sendFile(res: http.ServerResponse, file: string, sha256: string | null) {
  const stat = fs.statSync(file);
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": stat.size, "cache-control": "no-store", ...(sha256 ? { "x-sha256": sha256 } : {}) });
  return pipeline(fs.createReadStream(file), res);
}

export function createWorkerApi(services: Services) {
  const { workers, runs, db } = services;
  const uploads = new CheckpointUploads((id) => runs.runDir(id));

  const trainerToken = async (runId: string, req: http.IncomingMessage) => {
    const token = req.headers["x-trainer-token"];
    if (typeof token !== "string" || !(await runs.authenticate(runId, token)))
      throw new HttpError(403, "The trainer token is not this run's live one (the run was resumed, restarted or has ended)");
  };

  const runConfig = async (runId: string) => {
    const row = await db.run.findUnique({ where: { id: runId }, select: { config: true } });
    if (!row) throw new HttpError(404, `No run with id ${runId}`);
    return RunConfig.parse(JSON.parse(row.config));
  };

  async function route(req: http.IncomingMessage, res: http.ServerResponse, keyId: string | null) {
    const url = new URL(req.url ?? "/", "http://local");
    const parts = url.pathname.slice(WORKERS_PREFIX.length).split("/").map((p) => decodeURIComponent(p));
    if (parts.some((p) => !NAME.test(p))) throw new HttpError(400, "Malformed worker API path");
    const [first, second, third, runId, fifth, ...rest] = parts;
    const method = req.method ?? "GET";
    const is = (m: string, n: number) => method === m && parts.length === n;

    if (first === "register" && is("POST", 1)) return send(res, 201, await workers.register(await readJson(req, WorkerInfo), keyId));
    if (first === "upload") return upload(req, res, url, parts.slice(1));
    const id = first;
    if (second === "heartbeat" && is("POST", 2)) return send(res, 200, await workers.heartbeat(id, keyId, await readJson(req, WorkerHeartbeat)));
    if (second === "claim" && is("POST", 2)) return send(res, 200, { assignment: await workers.claim(id, keyId) });
    if (second === "leave" && is("POST", 2)) return void (await workers.leave(id, keyId), send(res, 200, { ok: true }));
    if (second !== "runs" || !third) throw new HttpError(404, "No such worker API route");
    const run = third;
    if (runId === "exit" && is("POST", 4)) return void (await workers.exit(id, keyId, run, await readJson(req, TrainerExitReport)), send(res, 200, { ok: true }));
    if (method !== "GET") throw new HttpError(405, "Files are fetched with GET");
    await workers.assertAssigned(id, keyId, run);
    const config = await runConfig(run);
    if (runId === "dataset" && parts.length >= 5) {
      // Shards sit in a subfolder (tokens/web.train.bin); only names the dataset lists are served.
      const name = parts.slice(4).join("/");
      const datasetId = config.dataset === "default" ? defaultDatasetId() : config.dataset;
      const found = await datasetFile(runs.dataDir, datasetId, name);
      if (!found) throw new HttpError(404, `Dataset ${datasetId} has no file ${name}`);
      return sendFile(res, found.path, found.entry.sha256);
    }
    if (runId === "checkpoint" && parts.length === 6) {
      const [of, step] = [fifth, Number(rest[0])];
      const allowed = of === run || (config.initFrom?.runId === of && config.initFrom.step === step);
      if (!allowed || !Number.isInteger(step)) throw new HttpError(403, "A worker fetches its run's own checkpoints, or its fork parent's");
      const row = await db.checkpoint.findUnique({ where: { runId_step: { runId: of, step } } });
      if (!row) throw new HttpError(404, `Run ${of} has no recorded checkpoint at step ${step}`);
      return sendFile(res, checkpointFile(runs.dataDir, of, step), row.sha256);
    }
    if (runId === "eval" && parts.length === 5) {
      const source = config.evals[Number(fifth)];
      if (!source || source.file === "synthetic") throw new HttpError(404, `Run ${run} has no registered benchmark file at place ${fifth}`);
      return sendFile(res, source.file, null);
    }
    throw new HttpError(404, "No such worker API route");
  }

  async function upload(req: http.IncomingMessage, res: http.ServerResponse, url: URL, parts: string[]) {
    const [runId, stepText, sha256, action] = parts;
    const step = Number(stepText);
    if (!runId || !Number.isInteger(step) || step < 0 || !/^[0-9a-f]{64}$/.test(sha256 ?? "")) throw new HttpError(400, "Upload to /api/workers/upload/<run>/<step>/<sha256>");
    await trainerToken(runId, req);
    const method = req.method ?? "GET";
    if (method === "GET" && parts.length === 3) return send(res, 200, { received: uploads.received(runId, step, sha256) });
    if (method === "PUT" && parts.length === 3) {
      const offset = Number(url.searchParams.get("offset"));
      if (!Number.isInteger(offset) || offset < 0) throw new HttpError(400, "PUT a chunk with ?offset=<bytes already sent>");
      return send(res, 200, { received: await uploads.append(runId, step, sha256, offset, req) });
    }
    if (method === "POST" && action === "commit" && parts.length === 4) {
      const { bytes } = await readJson(req, Commit);
      return send(res, 200, await uploads.commit(runId, step, sha256, bytes));
    }
    throw new HttpError(404, "No such upload route");
  }

  return async (req: http.IncomingMessage, res: http.ServerResponse, who: Resolved) => {
    try {
      const refused = refusal(who, "write");
      if (refused) throw new HttpError(refused.code === "UNAUTHORIZED" ? 401 : 403, refused.message);
      const keyId = who.principal?.kind === "key" ? who.principal.keyId : null;
      await route(req, res, keyId);
    } catch (e) {
      if (e instanceof HttpError || e instanceof UploadRefused) return void (req.resume(), send(res, e.status, { error: e.message }));
      if (e instanceof TRPCError) return void (req.resume(), send(res, STATUS[e.code] ?? 400, { error: e.message }));
      const id = crypto.randomUUID();
      console.error(`Internal error (request id ${id}) in ${req.method} ${req.url}:`, e);
      send(res, 500, { error: `Internal error (request id ${id})` });
    }
  };
}
