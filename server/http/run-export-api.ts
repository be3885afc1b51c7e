import type http from "node:http";
import os from "node:os";
import { eventFileName } from "../../lib/tfevents/writer";
import type { Services } from "../services";
import { csvLines, CSV_HEADER, metricPages, tfeventsHeader, tfeventsRecords } from "../services/runs/run-export";

/**
 * A run's metrics as downloads, any run (the dashboard's own or an outside one), under the
 * original metric names:
 *
 *   GET /api/runs/<id>/metrics.csv        step,key,value,wall_time
 *   GET /api/runs/<id>/metrics.tfevents   a TensorBoard event file
 *
 * Streamed page by page, waiting for the client to drain each.
 */
export const RUN_EXPORT_PREFIX = "/api/runs/";
const ROUTE = /^\/api\/runs\/([^/?]{1,64})\/metrics\.(csv|tfevents)(?:\?.*)?$/;

class Gone extends Error {}

function write(res: http.ServerResponse, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new Gone());
    if (res.write(chunk)) return resolve();
    const done = (e?: Error) => {
      res.off("drain", done);
      res.off("close", closed);
      if (e) reject(e);
      else resolve();
    };
    const closed = () => done(new Gone());
    res.once("drain", done);
    res.once("close", closed);
  });
}

const fail = (res: http.ServerResponse, status: number, message: string) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ error: message }));

/** Answers the request when it is an export's URL; false leaves it to the next handler. */
export function createRunExportApi(services: Pick<Services, "db" | "outsideRuns">) {
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const m = ROUTE.exec(req.url ?? "");
    if (!m) return false;
    void serve(req, res, decodeURIComponent(m[1]), m[2] as "csv" | "tfevents").catch((e) => {
      if (e instanceof Gone) return;
      console.error(`metric export ${req.url} failed:`, e);
      if (!res.headersSent) fail(res, 500, "The export failed; the server log has the cause");
      else res.destroy(e as Error); // a cut-off download must not look complete
    });
    return true;
  };

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, runId: string, format: "csv" | "tfevents") {
    if (req.method !== "GET" && req.method !== "HEAD") return fail(res, 405, "Exports are GET requests");
    const run = await services.db.run.findUnique({ where: { id: runId }, select: { name: true, createdAt: true } });
    if (!run) return fail(res, 404, `No run ${runId}`);
    const names = await services.outsideRuns.metricNames(runId).catch((): Record<string, string> => ({}));
    const nameOf = (key: string) => names[key] ?? key;
    const base = run.name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80) || runId;
    const filename = format === "csv" ? `${base}-metrics.csv` : `${base}.${eventFileName(os.hostname(), run.createdAt)}`;
    res.writeHead(200, {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/octet-stream",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    });
    if (req.method === "HEAD") return void res.end();
    await write(res, format === "csv" ? CSV_HEADER : tfeventsHeader(run.createdAt.getTime() / 1000));
    for await (const page of metricPages(services.db, runId)) await write(res, format === "csv" ? csvLines(page, nameOf) : tfeventsRecords(page, nameOf));
    res.end();
  }
}
