import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { TRPCError } from "@trpc/server";
import { datasetsRoot, readManifest } from "../../formats/dataset";
import { refusal, type Resolved } from "../auth/principal";
import type { Services } from "../services";
import { LOG_FILE } from "../services/runs/trainer-log";
import { filesUnder, tarStream } from "./tar";

/**
 * Downloads to the browser's machine (an export path on the server is no use from another one):
 *
 *   GET /api/download/runs/<run>/export/<step>      the exported model of that checkpoint, .tar.gz
 *   GET /api/download/runs/<run>/trainer.log        the trainer's log
 *   GET /api/download/datasets/<id>/tokenizer       the dataset's tokenizer and manifest, .tar.gz
 */
export const DOWNLOAD_PREFIX = "/api/download/";
const ID = /^[A-Za-z0-9_-]{1,64}$/;

class DownloadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS: Partial<Record<TRPCError["code"], number>> = { BAD_REQUEST: 400, NOT_FOUND: 404, CONFLICT: 409, UNAUTHORIZED: 401, FORBIDDEN: 403 };
const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "run";

export function createDownloads(services: Services) {
  async function archive(res: http.ServerResponse, name: string, files: [string, string][]) {
    res.writeHead(200, { "content-type": "application/gzip", "content-disposition": `attachment; filename="${name}.tar.gz"`, "cache-control": "no-store" });
    await pipeline(tarStream(files), createGzip({ level: 1 }), res);
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse) {
    const parts = new URL(req.url ?? "/", "http://local").pathname.slice(DOWNLOAD_PREFIX.length).split("/");
    if (req.method !== "GET") throw new DownloadError(405, "Downloads are fetched with GET");
    const [kind, id, what, step] = parts;
    if (!id || !ID.test(id)) throw new DownloadError(400, "Malformed download path");
    if (kind === "runs" && what === "export" && parts.length === 4) {
      if (!/^\d{1,10}$/.test(step ?? "")) throw new DownloadError(400, "The export step must be a whole number");
      const run = await services.runs.get(id);
      const result = await services.exporter.export({ runId: id, step: Number(step) });
      return archive(res, `${safeName(run.name)}-step-${step}`, filesUnder(result.outDir, `${safeName(run.name)}-step-${step}`));
    }
    if (kind === "runs" && what === "trainer.log" && parts.length === 3) {
      await services.runs.get(id);
      const file = path.join(services.runs.runDir(id), LOG_FILE);
      if (!fs.existsSync(file)) throw new DownloadError(404, "This run has no trainer log (it has not started here, or it logs from elsewhere)");
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-disposition": `attachment; filename="${id}-trainer.log"`, "cache-control": "no-store" });
      return pipeline(fs.createReadStream(file), res);
    }
    if (kind === "datasets" && what === "tokenizer" && parts.length === 3) {
      const manifest = readManifest(services.runs.dataDir, id);
      if (!manifest) throw new DownloadError(404, `No prepared dataset ${id}`);
      const dir = path.join(datasetsRoot(services.runs.dataDir), id);
      return archive(res, `${id}-tokenizer`, [[`${id}/${manifest.tokenizer.file}`, path.join(dir, manifest.tokenizer.file)], [`${id}/manifest.json`, path.join(dir, "manifest.json")]]);
    }
    throw new DownloadError(404, "No such download");
  }

  return async (req: http.IncomingMessage, res: http.ServerResponse, who: Resolved) => {
    try {
      const refused = refusal(who, "read");
      if (refused) throw new DownloadError(refused.code === "UNAUTHORIZED" ? 401 : 403, refused.message);
      await route(req, res);
    } catch (e) {
      const status = e instanceof DownloadError ? e.status : e instanceof TRPCError ? (STATUS[e.code] ?? 400) : 500;
      if (status === 500) console.error(`download ${req.url} failed:`, e);
      if (res.headersSent) return void res.destroy(e as Error);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ error: status === 500 ? "The download failed; the server log says why" : (e as Error).message }));
    }
  };
}
