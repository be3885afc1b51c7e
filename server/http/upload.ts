import crypto from "node:crypto";
import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Files from the browser's machine come in here rather than as server paths:
 *
 *   PUT /api/upload/evalset/<file.jsonl>            → DATA_DIR/uploads/evalsets/<random>-<file.jsonl>
 *   PUT /api/upload/folder/<folder>/<file.txt|…>    → DATA_DIR/uploads/folders/<folder>/<file>
 *   PUT /api/upload/tfevents/<batch>/[<dir>/…]<events.out.tfevents.…>
 *                                                   → DATA_DIR/uploads/tfevents/<batch>/…, for tensorboard.importUpload
 *
 * The body is streamed to a temporary file and renamed into place, and it stops at `maxBytes`
 * with a 413. The answer is `{ path, bytes }`: the path to give evalSet.register, or (its folder)
 * to a dataset's folder source; both lie inside DATA_DIR, so confinement accepts them.
 */
export const UPLOAD_PREFIX = "/api/upload/";
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FOLDER_FILE = /\.(txt|jsonl|html|htm)$/i;
const EVAL_FILE = /\.(jsonl|json|txt)$/i;

class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Where an upload goes, from its URL; every part is a plain name, so nothing can climb out. */
function target(uploads: string, url: string): string {
  const parts = url.slice(UPLOAD_PREFIX.length).split("?")[0].split("/").map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      throw new UploadError(400, "The upload URL is not valid percent-encoding");
    }
  });
  const bad = parts.find((p) => !NAME.test(p) || p.includes(".."));
  if (bad !== undefined) throw new UploadError(400, "Upload names are letters, digits, '.', '-' and '_' (at most 128, not starting with '.')");
  if (parts[0] === "evalset" && parts.length === 2) {
    if (!EVAL_FILE.test(parts[1])) throw new UploadError(400, "An eval-set upload is a .jsonl file");
    return path.join(uploads, "evalsets", `${crypto.randomUUID().slice(0, 8)}-${parts[1]}`);
  }
  if (parts[0] === "folder" && parts.length === 3) {
    if (!FOLDER_FILE.test(parts[2])) throw new UploadError(400, "A dataset folder holds .txt, .jsonl or .html files");
    return path.join(uploads, "folders", parts[1], parts[2]);
  }
  // A TensorBoard log directory keeps its run subdirectories: each one with event files is a run.
  if (parts[0] === "tfevents" && parts.length >= 3 && parts.length <= 10) {
    if (!parts[parts.length - 1].includes("tfevents")) throw new UploadError(400, 'A TensorBoard upload is an event file: its name contains "tfevents"');
    return path.join(uploads, ...parts);
  }
  throw new UploadError(404, "Upload to /api/upload/evalset/<file.jsonl> or /api/upload/folder/<folder>/<file> or /api/upload/tfevents/<batch>/<event file>");
}

/** Counts bytes as they pass and fails the stream past the cap, so a body without Content-Length is bounded too. */
function capped(maxBytes: number) {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(new UploadError(413, tooLarge(maxBytes)));
      else done(null, chunk);
    },
  });
}

const tooLarge = (maxBytes: number) => `The upload is over the ${+(maxBytes / 1e6).toFixed(3)} MB limit (UPLOAD_MAX_MB)`;

function answer(res: http.ServerResponse, status: number, body: object) {
  if (res.headersSent) return void res.end();
  // A refused body may still be arriving: the connection is not reused after it.
  const headers = { "content-type": "application/json", ...(status >= 400 ? { connection: "close" } : {}) };
  res.writeHead(status, headers).end(JSON.stringify(body));
}

export function createUploadHandler(opts: { dataDir: string; maxBytes: number }) {
  const uploads = path.join(opts.dataDir, "uploads");
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let tmp: string | null = null;
    try {
      if (req.method !== "PUT") throw new UploadError(405, "Uploads are PUT requests");
      const file = target(uploads, req.url ?? "");
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > opts.maxBytes) throw new UploadError(413, tooLarge(opts.maxBytes));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      tmp = `${file}.tmp-${crypto.randomUUID().slice(0, 8)}`;
      // Not pipeline(req, …): that would destroy the request's socket on the cap, before the 413 is sent.
      const counter = capped(opts.maxBytes);
      req.once("close", () => req.complete || counter.destroy(new UploadError(400, "The upload was cut off")));
      req.pipe(counter);
      await pipeline(counter, fs.createWriteStream(tmp, { flags: "wx" }));
      fs.renameSync(tmp, file);
      tmp = null;
      const bytes = fs.statSync(file).size;
      answer(res, 201, { path: file, folder: path.dirname(file), bytes });
    } catch (e) {
      if (tmp) fs.rmSync(tmp, { force: true });
      if (e instanceof UploadError) {
        // The client may still be sending: answer, then stop reading the rest.
        req.unpipe();
        req.resume();
        answer(res, e.status, { error: e.message });
        return;
      }
      const id = crypto.randomUUID();
      console.error(`Internal error (request id ${id}) in upload ${req.url}:`, e);
      answer(res, 500, { error: `Internal error (request id ${id})` });
    }
  };
}
