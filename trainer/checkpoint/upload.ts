import fs from "node:fs";
import type { CheckpointSaved } from "../../lib/protocol";
import { UPLOAD_CHUNK_BYTES, UploadCommitted } from "../../lib/worker-protocol";

/** How long one checkpoint may take to reach the server, retries included, before the trainer gives up on it. */
const GIVE_UP_MS = 30 * 60_000;
const RETRY_MS = 2000;
const REQUEST_TIMEOUT_MS = 120_000;

class Permanent extends Error {}

/**
 * Sends a checkpoint a trainer on a remote worker wrote to the server's copy of the run's
 * directory (server/services/checkpoints/checkpoint-uploads.ts), in chunks. After any failure it asks the
 * server how much it has and goes on from there, trying each server address in turn; the server
 * checks the whole file's sha256 at the commit. Returns the checkpoint as the server now holds it,
 * which is what checkpoint:saved reports.
 */
export class CheckpointUploader {
  /** Bytes sent and seconds spent, over every upload so far. */
  readonly totals = { bytes: 0, seconds: 0 };

  constructor(
    private servers: string[],
    private runId: string,
    private token: string,
    private apiKey: string | undefined,
  ) {}

  async upload(c: CheckpointSaved): Promise<CheckpointSaved> {
    const started = Date.now();
    const deadline = started + GIVE_UP_MS;
    let server = 0;
    let lastError = "";
    while (Date.now() < deadline) {
      const base = `${this.servers[server].replace(/\/+$/, "")}/api/workers/upload/${encodeURIComponent(this.runId)}/${c.step}/${c.sha256}`;
      try {
        let offset = (await this.call<{ received: number }>(base, { method: "GET" })).received;
        const fd = await fs.promises.open(c.path, "r");
        try {
          while (offset < c.bytes) {
            const chunk = Buffer.alloc(Math.min(UPLOAD_CHUNK_BYTES, c.bytes - offset));
            const { bytesRead } = await fd.read(chunk, 0, chunk.length, offset);
            if (bytesRead !== chunk.length) throw new Permanent(`the checkpoint file ${c.path} is shorter than the ${c.bytes} bytes it was written with`);
            offset = (await this.call<{ received: number }>(`${base}?offset=${offset}`, { method: "PUT", body: chunk, headers: { "content-type": "application/octet-stream" } })).received;
          }
        } finally {
          await fd.close();
        }
        const done = UploadCommitted.parse(await this.call(`${base}/commit`, { method: "POST", body: JSON.stringify({ bytes: c.bytes }), headers: { "content-type": "application/json" } }));
        const seconds = (Date.now() - started) / 1000;
        this.totals.bytes += c.bytes;
        this.totals.seconds += seconds;
        return { ...c, path: done.path };
      } catch (e) {
        if (e instanceof Permanent) throw e;
        lastError = (e as Error).message;
        server = (server + 1) % this.servers.length;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
    throw new Error(`the checkpoint of step ${c.step} did not reach the server in ${GIVE_UP_MS / 60_000} min: ${lastError}`);
  }

  private async call<T>(url: string, init: RequestInit): Promise<T> {
    const headers = { ...(init.headers as Record<string, string>), "x-trainer-token": this.token, ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}) };
    const res = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = (await res.json().catch(() => ({}))) as T & { error?: string };
    // 409: the server has a different count of bytes than we thought; the loop asks again.
    if (res.status === 403 || res.status === 404 || res.status === 413) throw new Permanent(`upload refused (${res.status}): ${body.error ?? res.statusText}`);
    if (!res.ok) throw new Error(`upload answered ${res.status}: ${body.error ?? res.statusText}`);
    return body;
  }
}
