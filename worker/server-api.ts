import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { z } from "zod";
import { ClaimAnswer, HeartbeatAnswer, Registered, type FileEntry, type TrainerExitReport, type WorkerHeartbeat, type WorkerInfo } from "../lib/worker-protocol";

const TIMEOUT_MS = 30_000;

/** An answer the server gave on purpose (4xx): retrying the same request will not help. */
export class ServerRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The worker's calls to the server's /api/workers routes (server/http/worker-api.ts), with its API key.
 * A request that cannot reach one address goes to the next: the ones given on the command line,
 * then the cluster's instances as the server names them at registration.
 */
export class ServerApi {
  private workerId = "";
  private urls: string[];
  private current = 0;

  constructor(
    servers: string | string[],
    private key: string,
  ) {
    this.urls = (Array.isArray(servers) ? servers : [servers]).map((u) => u.replace(/\/+$/, ""));
  }

  /** The address that answered last. */
  get server() {
    return this.urls[this.current];
  }

  /** Every address known, the one that answered last first. */
  get servers() {
    return [this.server, ...this.urls.filter((_, i) => i !== this.current)];
  }

  learn(servers: string[]) {
    for (const u of servers.map((s) => s.replace(/\/+$/, ""))) if (!this.urls.includes(u)) this.urls.push(u);
  }

  /** Sends to the address that answered last, then to each other one while none can be reached. */
  private async reach(route: string, init: RequestInit): Promise<Response> {
    let lastError: unknown;
    for (let tried = 0; tried < this.urls.length; tried++) {
      try {
        return await fetch(`${this.server}/api/workers/${route}`, { ...init, headers: { authorization: `Bearer ${this.key}`, ...(init.headers as object) } });
      } catch (e) {
        lastError = e;
        this.current = (this.current + 1) % this.urls.length;
      }
    }
    throw new Error(`no server answered (${this.urls.join(", ")}): ${(lastError as Error).message}`);
  }

  private async call<S extends z.ZodType>(route: string, schema: S | null, body?: unknown): Promise<z.infer<S>> {
    const res = await this.reach(route, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}), signal: AbortSignal.timeout(TIMEOUT_MS) });
    const answer = (await res.json().catch(() => ({}))) as { error?: unknown };
    const message = typeof answer.error === "string" ? answer.error : ((answer.error as { message?: string })?.message ?? res.statusText);
    if (res.status >= 400 && res.status < 500) throw new ServerRefused(res.status, message);
    if (!res.ok) throw new Error(`the server answered ${res.status}: ${message}`);
    return schema ? schema.parse(answer) : (answer as z.infer<S>);
  }

  async register(info: WorkerInfo) {
    const r = await this.call("register", Registered, info);
    this.workerId = r.id;
    this.learn(r.servers);
    return r;
  }

  get id() {
    return this.workerId;
  }

  heartbeat(beat: WorkerHeartbeat) {
    return this.call(`${this.workerId}/heartbeat`, HeartbeatAnswer, beat);
  }

  async claim() {
    return (await this.call(`${this.workerId}/claim`, ClaimAnswer)).assignment;
  }

  exit(runId: string, report: TrainerExitReport) {
    return this.call(`${this.workerId}/runs/${encodeURIComponent(runId)}/exit`, null, report);
  }

  leave() {
    return this.call(`${this.workerId}/leave`, null);
  }

  /**
   * Downloads one of a run's files to `dest`, through a temporary file, and keeps it only when its
   * size and sha256 match `entry`. `onBytes` sees the bytes as they arrive (progress).
   */
  async download(runId: string, route: string, entry: FileEntry, dest: string, onBytes: (n: number) => void = () => {}) {
    const res = await this.reach(`${this.workerId}/runs/${encodeURIComponent(runId)}/${route}`, { signal: AbortSignal.timeout(30 * 60_000) });
    if (!res.ok || !res.body) {
      const message = ((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.statusText;
      if (res.status >= 400 && res.status < 500) throw new ServerRefused(res.status, `fetching ${entry.name}: ${message}`);
      throw new Error(`fetching ${entry.name}: the server answered ${res.status}: ${message}`);
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.part-${process.pid}`;
    const hash = crypto.createHash("sha256");
    let bytes = 0;
    const source = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
    source.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes(chunk.length);
    });
    try {
      await pipeline(source, fs.createWriteStream(tmp));
      const sha256 = hash.digest("hex");
      if (bytes !== entry.bytes || sha256 !== entry.sha256)
        throw new Error(`${entry.name} arrived with ${bytes} bytes and sha256 ${sha256.slice(0, 12)}…, not ${entry.bytes} bytes and ${entry.sha256.slice(0, 12)}…`);
      fs.renameSync(tmp, dest);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
}
