import { TRPCError } from "@trpc/server";
import { SEVERITIES, type Severity } from "../../../lib/anomaly/types";
import type { Alert, Webhook, WebhookDelivery, Db } from "../../db/db";
import { guardedPost, OutboundRefused } from "./outbound";

export interface WebhookOptions {
  /** POSTs per delivery, the first included. */
  attempts: number;
  /** Wait before the first retry; doubles each retry, with jitter. */
  baseDelayMs: number;
  /** Limit on one POST, answer body included. */
  timeoutMs: number;
  /** One POST per (webhook, run, alert type) in this window; the rest are recorded as deduplicated. */
  dedupWindowMs: number;
  /** The dashboard's public base URL, so payloads can link the run page; a function when it is known only after listen. */
  publicUrl?: string | (() => string);
  /** POST to loopback and private networks too (WEBHOOK_ALLOW_PRIVATE); link-local and metadata addresses stay refused. */
  allowPrivate?: boolean;
  /** Who claims the deliveries this service sends (scale-out: the instance id). */
  instanceId?: string;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = { attempts: 5, baseDelayMs: 1000, timeoutMs: 5000, dedupWindowMs: 10 * 60_000 };
/** A receiver may ask for a longer pause with Retry-After; we wait no longer than this. */
const MAX_RETRY_AFTER_MS = 60_000;
/** A claim outlasts the POST (or the wait before the next one) by this much before another instance may take the delivery over. */
const CLAIM_MARGIN_MS = 5_000;
/** Abandoned deliveries picked up per sweep. */
const SWEEP_BATCH = 20;

export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];
export type DispatchedAlert = Alert & { runName: string };
type Dated<T> = Omit<T, "createdAt" | "updatedAt"> & { createdAt: string; updatedAt: string };
/** A delivery as it leaves the server (dates as ISO strings, as JSON sends them; who sends it stays inside). */
export type DeliveryRow = Omit<Dated<WebhookDelivery>, "claimedBy" | "claimedUntil">;
export type DeliveryResult = Pick<WebhookDelivery, "status" | "attempts" | "httpStatus" | "error">;

const toRow = ({ claimedBy: _by, claimedUntil: _until, ...d }: WebhookDelivery): DeliveryRow => ({ ...d, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString() });
const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === "P2002";
const rank = (severity: string) => Math.max(0, SEVERITIES.indexOf(severity as never));

/** Null when the URL is one we can POST to, else why not. */
export function webhookUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `Not a valid URL: ${url.slice(0, 200)}`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `Webhook URL must start with http:// or https:// (got ${parsed.protocol})`;
  return null;
}

const SLACK_EMOJI: Record<string, string> = { info: ":information_source:", warning: ":warning:", critical: ":rotating_light:" };
const slackEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The request body for one alert in the webhook's format. */
export function webhookPayload(format: string, alert: DispatchedAlert, runUrl: string | null, test = false): unknown {
  const { id, type, severity, runId, runName, step, value, threshold, message, key } = alert;
  if (format !== "slack") {
    const body = { alert: { id, type, severity, runId, runName, step, value, threshold, message, key, createdAt: alert.createdAt.toISOString() } };
    return { ...(test ? { test: true } : {}), ...body, ...(runUrl ? { url: runUrl } : {}) };
  }
  const emoji = SLACK_EMOJI[severity] ?? ":bell:";
  const mark = test ? "[TEST] " : "";
  const run = runUrl ? `<${runUrl}|${slackEscape(runName)}>` : `*${slackEscape(runName)}*`;
  const fields = [["Severity", severity], ["Step", String(step)], ["Value", value === null ? "n/a" : String(value)], ["Threshold", threshold === null ? "n/a" : String(threshold)]];
  if (key) fields.push(["Metric", key]);
  return {
    text: `${emoji} ${mark}${severity.toUpperCase()} ${type} on run ${runName} at step ${step}: ${message}`.replace(/\s+/g, " "),
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: `${emoji} ${mark}*${slackEscape(type)}* on run ${run}\n${slackEscape(message)}`.slice(0, 3000) },
        fields: fields.map(([k, v]) => ({ type: "mrkdwn", text: `*${k}*\n${slackEscape(v)}`.slice(0, 2000) })),
      },
    ],
  };
}

type PostResult = { ok: boolean; retry: boolean; httpStatus: number | null; error: string | null; retryAfterMs?: number };
const STOPPED: PostResult = { ok: false, retry: false, httpStatus: null, error: "Stopped: the server shut down before this delivery finished" };

/**
 * Delivers alerts to webhooks in the background, with retries and dedup; also the CRUD the router
 * needs. Each delivery row is claimed by the instance that sends it, renewed before every POST and
 * every wait, so two instances never send one delivery; one whose sender died is taken over by
 * another once its claim runs out (resumeAbandoned).
 */
export class WebhookService {
  private opts: WebhookOptions;
  private inflight = new Set<Promise<unknown>>();
  private stopping = new AbortController();
  /** Serialises the dedup check and the row insert, so two alerts at once cannot both pass the check. */
  private gate: Promise<unknown> = Promise.resolve();

  constructor(
    private db: Db,
    opts: Partial<WebhookOptions> = {},
    private onDelivery: (d: DeliveryRow) => void = () => {},
  ) {
    this.opts = { ...DEFAULT_WEBHOOK_OPTIONS, ...opts };
  }

  dispatch(alert: DispatchedAlert): void {
    if (this.stopping.signal.aborted) return;
    const job = this.fanOut(alert)
      .catch((e) => console.error(`webhooks: alert ${alert.id} could not be dispatched:`, e))
      .finally(() => this.inflight.delete(job));
    this.inflight.add(job);
  }

  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all(this.inflight);
  }

  /** Cuts waits and requests short (those deliveries end as failed, saying so) and waits for the rows to be written. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private async fanOut(alert: DispatchedAlert) {
    const hooks = await this.db.webhook.findMany({ where: { enabled: true, OR: [{ runId: null }, { runId: alert.runId }] } });
    const chosen = hooks.filter((h) => rank(alert.severity) >= rank(h.minSeverity));
    await Promise.all(chosen.map((h) => this.deliver(h, alert)));
  }

  private get me() {
    return this.opts.instanceId ?? "solo";
  }

  private claimUntil(waitMs: number) {
    return new Date(Date.now() + waitMs + this.opts.timeoutMs + CLAIM_MARGIN_MS);
  }

  /** Claims a pending delivery for the next POST; false when another instance has it (or it is no longer pending). */
  private async claim(id: number): Promise<boolean> {
    const { count } = await this.db.webhookDelivery.updateMany({
      where: { id, status: "pending", OR: [{ claimedBy: this.me }, { claimedBy: null }, { claimedUntil: { lt: new Date() } }] },
      data: { claimedBy: this.me, claimedUntil: this.claimUntil(0) },
    });
    return count === 1;
  }

  private async deliver(hook: Webhook, alert: DispatchedAlert) {
    const decided = this.gate.then(() => this.open(hook, alert));
    this.gate = decided.catch(() => {});
    const row = await decided;
    if (!row) return;
    this.emit(row);
    if (row.status === "pending") await this.attempt(hook, alert, row, 1);
  }

  /** POSTs from attempt `first` on, until delivered, refused for good, or out of attempts. */
  private async attempt(hook: Webhook, alert: DispatchedAlert, row: WebhookDelivery, first: number) {
    const body = JSON.stringify(webhookPayload(hook.format, alert, this.runUrl(alert.runId)));
    for (let attempts = first; ; attempts++) {
      // Stopped while waiting to retry: record why, and leave the last real attempt's figures.
      const skipped = this.stopping.signal.aborted;
      if (!skipped && !(await this.claim(row.id))) return;
      const r = skipped ? STOPPED : await this.post(hook.url, body);
      const status = r.ok ? "delivered" : r.retry && attempts < this.opts.attempts ? "pending" : "failed";
      const backoff = this.opts.baseDelayMs * 2 ** (attempts - 1);
      const waitMs = r.retryAfterMs ?? backoff / 2 + (Math.random() * backoff) / 2;
      const claim = status === "pending" && !skipped ? { claimedUntil: this.claimUntil(waitMs) } : {};
      const data = skipped ? { status, error: r.error } : { status, attempts, httpStatus: r.httpStatus, error: r.error, ...claim };
      row = await this.db.webhookDelivery.update({ where: { id: row.id }, data });
      this.emit(row);
      if (status !== "pending") return;
      await this.sleep(waitMs);
    }
  }

  /**
   * Scale-out: takes over pending deliveries whose sender stopped renewing its claim (it died),
   * and goes on with their retries here. Returns how many were taken.
   */
  async resumeAbandoned(): Promise<number> {
    if (this.stopping.signal.aborted) return 0;
    const now = new Date();
    const stale = await this.db.webhookDelivery.findMany({
      where: { status: "pending", claimedUntil: { lt: now } },
      orderBy: { id: "asc" },
      take: SWEEP_BATCH,
      include: { webhook: true, alert: { include: { run: { select: { name: true } } } } },
    });
    let taken = 0;
    for (const d of stale) {
      const { count } = await this.db.webhookDelivery.updateMany({
        where: { id: d.id, status: "pending", claimedUntil: { lt: now } },
        data: { claimedBy: this.me, claimedUntil: this.claimUntil(0) },
      });
      if (count === 0) continue;
      taken++;
      console.log(`webhooks: delivery #${d.id} (alert ${d.alertId}) was left pending by ${d.claimedBy ?? "an earlier server"}; retrying it here`);
      const { webhook, alert: { run, ...alert }, ...row } = d;
      const job = this.attempt(webhook, { ...alert, runName: run.name }, row, row.attempts + 1)
        .catch((e) => console.error(`webhooks: delivery #${d.id} could not be resumed:`, e))
        .finally(() => this.inflight.delete(job));
      this.inflight.add(job);
    }
    return taken;
  }

  private emit(row: WebhookDelivery) {
    try {
      this.onDelivery(toRow(row));
    } catch (e) {
      console.error("webhooks: onDelivery listener failed:", e);
    }
  }

  /** Creates the delivery row: pending, or deduplicated when this pair was POSTed within the window (read from the database, so restarts keep it). */
  private async open(hook: Webhook, alert: DispatchedAlert) {
    const window = this.opts.dedupWindowMs;
    const earlier = await this.db.webhookDelivery.findFirst({
      where: { webhookId: hook.id, status: { not: "deduplicated" }, createdAt: { gte: new Date(Date.now() - window) }, alert: { runId: alert.runId, type: alert.type } },
      orderBy: { id: "desc" },
    });
    const base = { webhookId: hook.id, alertId: alert.id, claimedBy: this.me, claimedUntil: this.claimUntil(0) };
    let data: typeof base & { status: string; error?: string } = { ...base, status: "pending" };
    if (earlier) {
      const ago = Math.round((Date.now() - earlier.createdAt.getTime()) / 1000);
      data = { ...base, status: "deduplicated", error: `Suppressed: delivery #${earlier.id} already carried a ${alert.type} alert of this run ${ago}s ago (one per ${Math.round(window / 1000)}s)` };
    }
    try {
      return await this.db.webhookDelivery.create({ data });
    } catch (e) {
      // One delivery per (webhook, alert): another instance dispatched this alert already.
      if (isUniqueViolation(e)) return null;
      throw e;
    }
  }

  private runUrl(runId: string): string | null {
    const base = typeof this.opts.publicUrl === "function" ? this.opts.publicUrl() : this.opts.publicUrl;
    return base ? `${base.replace(/\/+$/, "")}/runs/${encodeURIComponent(runId)}` : null;
  }

  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const signal = this.stopping.signal;
      const done = () => { clearTimeout(timer); signal.removeEventListener("abort", done); resolve(); };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    });
  }

  private async post(url: string, body: string): Promise<PostResult> {
    const problem = webhookUrlProblem(url);
    if (problem) return { ok: false, retry: false, httpStatus: null, error: problem };
    const signal = AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.stopping.signal]);
    try {
      const headers = { "content-type": "application/json", "user-agent": "pretrain-dashboard-webhooks" };
      const res = await guardedPost(url, body, { headers, signal, allowPrivate: this.opts.allowPrivate ?? false });
      if (res.status >= 200 && res.status < 300) return { ok: true, retry: false, httpStatus: res.status, error: null };
      const retry = res.status >= 500 || res.status === 429;
      const error = `HTTP ${res.status}${res.text ? `: ${res.text.slice(0, 200)}` : ""}`;
      const after = res.headers["retry-after"];
      return { ok: false, retry, httpStatus: res.status, error, retryAfterMs: retryAfter(typeof after === "string" ? after : null) };
    } catch (e) {
      const err = e as Error & { code?: string };
      if (e instanceof OutboundRefused) return { ok: false, retry: false, httpStatus: null, error: err.message };
      if (this.stopping.signal.aborted) return STOPPED;
      if (signal.aborted) return { ok: false, retry: true, httpStatus: null, error: `Timed out after ${this.opts.timeoutMs} ms` };
      return { ok: false, retry: true, httpStatus: null, error: err.code ?? err.message };
    }
  }

  // --- management, for the router ---

  async list(runId: string | null) {
    const hooks = await this.db.webhook.findMany({
      where: runId ? { OR: [{ runId: null }, { runId }] } : { runId: null },
      orderBy: { id: "asc" },
      include: { deliveries: { orderBy: { id: "desc" }, take: 5, select: { id: true, status: true, httpStatus: true, createdAt: true } } },
    });
    return hooks.map(({ createdAt, deliveries, ...h }) => ({
      ...h,
      createdAt: createdAt.toISOString(),
      recent: deliveries.map((d) => ({ ...d, createdAt: d.createdAt.toISOString() })),
    }));
  }

  async create(input: { runId: string | null; url: string; format: WebhookFormat; minSeverity: Severity }) {
    const problem = webhookUrlProblem(input.url);
    if (problem) throw new TRPCError({ code: "BAD_REQUEST", message: problem });
    if (input.runId && !(await this.db.run.findUnique({ where: { id: input.runId }, select: { id: true } })))
      throw new TRPCError({ code: "NOT_FOUND", message: `No run with id ${input.runId}` });
    const hook = await this.db.webhook.create({ data: input });
    return { ...hook, createdAt: hook.createdAt.toISOString() };
  }

  async update(id: number, data: { enabled?: boolean; format?: WebhookFormat; minSeverity?: Severity }) {
    await this.get(id);
    const hook = await this.db.webhook.update({ where: { id }, data });
    return { ...hook, createdAt: hook.createdAt.toISOString() };
  }

  async remove(id: number) {
    await this.get(id);
    await this.db.webhook.delete({ where: { id } });
    return { id };
  }

  /** One POST of a clearly marked test alert, now; nothing is stored, since a test alert belongs to no run. */
  async test(id: number): Promise<DeliveryResult> {
    const hook = await this.get(id);
    const run = hook.runId ? await this.db.run.findUnique({ where: { id: hook.runId }, select: { name: true } }) : null;
    const alert: DispatchedAlert = {
      id: 0, runId: hook.runId ?? "test", runName: run?.name ?? "test", type: "test", severity: "info", step: 0, value: null, threshold: null,
      message: "Test alert from the pretraining dashboard: this webhook works.", key: null, muted: false, acknowledged: false, acknowledgedAt: null, createdAt: new Date(), dedupKey: null,
    };
    const runUrl = hook.runId ? this.runUrl(hook.runId) : null;
    const r = await this.post(hook.url, JSON.stringify(webhookPayload(hook.format, alert, runUrl, true)));
    return { status: r.ok ? "delivered" : "failed", attempts: 1, httpStatus: r.httpStatus, error: r.error };
  }

  async deliveries(webhookId: number | undefined, limit: number) {
    const rows = await this.db.webhookDelivery.findMany({
      where: webhookId === undefined ? {} : { webhookId },
      orderBy: { id: "desc" },
      take: limit,
      include: { alert: { select: { type: true, severity: true, runId: true, step: true, message: true, run: { select: { name: true } } } } },
    });
    return rows.map(({ alert: { run, ...alert }, ...d }) => ({ ...toRow(d), alert: { ...alert, runName: run.name } }));
  }

  private async get(id: number) {
    const hook = await this.db.webhook.findUnique({ where: { id } });
    if (!hook) throw new TRPCError({ code: "NOT_FOUND", message: `No webhook with id ${id}` });
    return hook;
  }
}

/** Retry-After in seconds or as an HTTP date, capped; undefined when absent or unreadable. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}
