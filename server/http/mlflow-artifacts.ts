import crypto from "node:crypto";
import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { invalid, missing, MlflowError } from "../../lib/mlflow/errors";
import { refusal, type Resolved } from "../auth/principal";
import { confine, PathRefused } from "../confine";
import type { Services } from "../services";

/**
 * MLflow's artifact proxy (`mlflow-artifacts:` URIs): a run's artifacts live in its own directory,
 * DATA_DIR/runs/<run>/artifacts/, and nowhere else.
 *
 *   PUT /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>   streamed, size-capped
 *   GET /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>   the file
 *   GET /api/2.0/mlflow-artifacts/artifacts?path=<experiment>/<run>/artifacts/<dir>   {files: [{path, is_dir, file_size}]}
 */
const SEGMENT = /^[^\u0000-\u001f\\/]{1,255}$/;

async function locate(services: Services, relative: string) {
  const parts = relative.split("/").filter((p, i, all) => p !== "" || i === all.length - 1);
  if (parts.at(-1) === "") parts.pop();
  const [experiment, runId, artifacts, ...rest] = parts;
  if (!experiment || !runId || artifacts !== "artifacts")
    throw invalid(`Artifact paths look like <experiment id>/<run id>/artifacts/<path>, not '${relative.slice(0, 200)}'`);
  if (rest.some((p) => !SEGMENT.test(p) || p === "." || p === ".."))
    throw invalid(`Invalid artifact path '${rest.join("/").slice(0, 200)}': no empty, '.' or '..' parts and no control characters`);
  const run = await services.db.run.findUnique({ where: { id: runId } });
  if (!run || run.source === "trainer" || String(run.experimentId ?? 0) !== experiment) throw missing(`Run '${runId}' of experiment ${experiment} not found`);
  const base = path.join(services.runs.runDir(run.id), "artifacts");
  fs.mkdirSync(base, { recursive: true });
  try {
    return { base, target: confine(path.join(base, ...rest), [base], "An artifact path"), rest };
  } catch (e) {
    if (e instanceof PathRefused) throw new MlflowError("PERMISSION_DENIED", e.message);
    throw e;
  }
}

export async function serveArtifacts(services: Services, req: http.IncomingMessage, res: http.ServerResponse, who: Resolved, tail: string, url: URL) {
  const method = req.method ?? "GET";
  const refused = refusal(who, method === "GET" || method === "HEAD" ? "read" : "write");
  if (refused) throw refused;
  if (!tail.startsWith("/artifacts")) throw new MlflowError("ENDPOINT_NOT_FOUND", "The artifact proxy lives under /api/2.0/mlflow-artifacts/artifacts");
  const rel = decodeURIComponent(tail.slice("/artifacts".length).replace(/^\//, ""));
  if (rel === "" && method === "GET") return list(services, res, url.searchParams.get("path") ?? "");
  const { target } = await locate(services, rel);
  if (method === "PUT") return upload(services, req, res, target);
  if (method !== "GET") throw new MlflowError("ENDPOINT_NOT_FOUND", `Artifacts take PUT or GET, not ${method}`);
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw missing(`No artifact at '${rel}'`);
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": stat.size, "cache-control": "no-store" });
  await pipeline(fs.createReadStream(target), res);
}

async function list(services: Services, res: http.ServerResponse, dir: string) {
  const { target, rest } = await locate(services, dir);
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return json(res, 200, {});
  const files = fs.readdirSync(target, { withFileTypes: true })
    .filter((e) => !e.name.startsWith(".upload-"))
    .map((e) => {
      const p = [...rest, e.name].join("/");
      return e.isDirectory() ? { path: p, is_dir: true } : { path: p, is_dir: false, file_size: fs.statSync(path.join(target, e.name)).size };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
  json(res, 200, files.length ? { files } : {});
}

/** Streamed to a hidden file beside the target and renamed into place, so a cut upload leaves no half file. */
async function upload(services: Services, req: http.IncomingMessage, res: http.ServerResponse, target: string) {
  const cap = services.artifactMaxBytes;
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > cap) throw new MlflowError("INVALID_PARAMETER_VALUE", `The artifact is ${declared} bytes; this server takes at most ${cap} (ARTIFACT_MAX_MB)`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw invalid("A directory already exists at that artifact path");
  const temp = path.join(path.dirname(target), `.upload-${crypto.randomBytes(6).toString("hex")}`);
  let size = 0;
  try {
    await pipeline(
      req,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          size += chunk.length;
          if (size > cap) throw new MlflowError("INVALID_PARAMETER_VALUE", `The artifact is over ${cap} bytes, this server's cap (ARTIFACT_MAX_MB)`);
          yield chunk;
        }
      },
      fs.createWriteStream(temp),
    );
    const fd = fs.openSync(temp, "r");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temp, target);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  json(res, 200, {});
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}
