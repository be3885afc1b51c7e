import crypto from "node:crypto";
import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CHECKPOINT_FILE, SHA256_FILE, stepDirName as stepDir } from "../../../formats/checkpoint";
import { sha256File } from "./checkpoint-integrity";

/** A refused upload request, with its HTTP status. */
export class UploadRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The largest chunk one PUT may carry (the trainer sends 8 MiB). */
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * Checkpoints a remote trainer uploads into its run's directory on the server, in chunks that can
 * resume where a broken connection left them. A chunk is appended to a staging file named by the
 * step and the file's sha256 (so a resumed upload only ever continues the same bytes); the commit
 * checks size and sha256 and renames the step's folder into place, as a local trainer's write
 * does. The staging folder starts `.tmp-step-`, so what a dead upload leaves is cleaned like any
 * abandoned checkpoint write.
 */
export class CheckpointUploads {
  private busy = new Set<string>();
  /** The running sha256 of each staging file appended to by this process, so the commit need not read it back. */
  private hashes = new Map<string, { hash: crypto.Hash; bytes: number }>();

  constructor(private runDir: (runId: string) => string) {}

  private staging(runId: string, step: number, sha256: string) {
    return path.join(this.runDir(runId), "checkpoints", `.tmp-${stepDir(step)}-upload-${sha256.slice(0, 16)}`);
  }

  received(runId: string, step: number, sha256: string): number {
    const file = path.join(this.staging(runId, step, sha256), CHECKPOINT_FILE);
    return fs.existsSync(file) ? fs.statSync(file).size : 0;
  }

  async append(runId: string, step: number, sha256: string, offset: number, body: http.IncomingMessage): Promise<number> {
    const dir = this.staging(runId, step, sha256);
    if (this.busy.has(dir)) throw new UploadRefused(409, "Another upload of this checkpoint is in progress");
    this.busy.add(dir);
    try {
      const have = this.received(runId, step, sha256);
      if (offset !== have) throw new UploadRefused(409, `The server has ${have} bytes of this checkpoint; send from offset ${have}`);
      const declared = Number(body.headers["content-length"] ?? 0);
      if (declared > MAX_CHUNK_BYTES) throw new UploadRefused(413, `A chunk is at most ${MAX_CHUNK_BYTES} bytes`);
      fs.mkdirSync(dir, { recursive: true });
      // A staging file another process began (a restarted server) is hashed whole at the commit.
      const running = this.hashes.get(dir) ?? (have === 0 ? { hash: crypto.createHash("sha256"), bytes: 0 } : null);
      if (running && running.bytes !== have) this.hashes.delete(dir);
      else if (running) this.hashes.set(dir, running);
      const hashing = running && running.bytes === have ? running : null;
      let seen = 0;
      const cap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          seen += chunk.length;
          if (seen > MAX_CHUNK_BYTES) return done(new UploadRefused(413, `A chunk is at most ${MAX_CHUNK_BYTES} bytes`));
          if (hashing) {
            hashing.hash.update(chunk);
            hashing.bytes += chunk.length;
          }
          done(null, chunk);
        },
      });
      const out = fs.createWriteStream(path.join(dir, CHECKPOINT_FILE), { flags: "a" });
      try {
        await pipeline(body, cap, out);
      } catch (e) {
        // A cut-off chunk leaves what arrived; the sender asks how much and goes on from there.
        if (e instanceof UploadRefused) throw e;
      }
      // A write that failed part-way leaves the file shorter than what was hashed: hashed whole at the commit instead.
      const received = this.received(runId, step, sha256);
      if (hashing && hashing.bytes !== received) this.hashes.delete(dir);
      return received;
    } finally {
      this.busy.delete(dir);
    }
  }

  /** Verifies the staged file and puts it in place as the step's checkpoint; returns where it now is. */
  async commit(runId: string, step: number, sha256: string, bytes: number) {
    const dir = this.staging(runId, step, sha256);
    const file = path.join(dir, CHECKPOINT_FILE);
    const finalDir = path.join(this.runDir(runId), "checkpoints", stepDir(step));
    const finalFile = path.join(finalDir, CHECKPOINT_FILE);
    if (!fs.existsSync(file)) {
      // A commit whose answer was lost: the checkpoint is already in place.
      if (fs.existsSync(finalFile) && (await sha256File(finalFile)) === sha256) return { path: finalFile, bytes, sha256 };
      throw new UploadRefused(404, `Nothing was uploaded for the checkpoint of step ${step}`);
    }
    const size = fs.statSync(file).size;
    if (size !== bytes) throw new UploadRefused(409, `The server has ${size} bytes of this checkpoint, not ${bytes}; send the rest from offset ${size}`);
    const running = this.hashes.get(dir);
    this.hashes.delete(dir);
    const actual = running && running.bytes === size ? running.hash.digest("hex") : await sha256File(file);
    if (actual !== sha256) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new UploadRefused(422, `The uploaded checkpoint's sha256 ${actual.slice(0, 12)}… is not ${sha256.slice(0, 12)}…; it was discarded, upload it again`);
    }
    fs.writeFileSync(path.join(dir, SHA256_FILE), `${sha256}  ${CHECKPOINT_FILE}\n`);
    for (const f of [file, dir]) {
      const fd = fs.openSync(f, "r");
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    }
    // rename cannot replace a non-empty folder: an earlier copy of the step moves aside first.
    const old = fs.existsSync(finalDir) ? `${dir}.old` : null;
    if (old) fs.renameSync(finalDir, old);
    fs.renameSync(dir, finalDir);
    if (old) fs.rmSync(old, { recursive: true, force: true });
    return { path: finalFile, bytes, sha256 };
  }
}
