// One MLflow REST call with Node's fetch, and which failures are worth retrying. No dependencies,
// so the client folder can be copied into any Node 20 project.

export const API = "/api/2.0/mlflow/";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly errorCode: string | null = null,
    readonly retryable = false,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export class Rest {
  readonly base: string;
  constructor(url: string | undefined, readonly key?: string, readonly timeoutMs = 30_000) {
    if (!url) throw new Error("no server URL: pass url or set PRETRAIN_URL (or MLFLOW_TRACKING_URI)");
    this.base = url.replace(/\/+$/, "");
  }

  async call(method: "GET" | "POST", endpoint: string, body?: Record<string, unknown>): Promise<any> {
    let url = this.base + API + endpoint;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    let payload: string | undefined;
    if (method === "GET") {
      if (body) url += "?" + new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)]));
    } else {
      payload = JSON.stringify(body ?? {});
      headers["content-type"] = "application/json";
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new ApiError(`${method} ${endpoint}: cannot reach ${this.base} (${cause})`, null, null, true);
    }
    if (!res.ok) {
      let code: string | null = null;
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text);
        code = typeof parsed.error_code === "string" ? parsed.error_code : null;
        if (typeof parsed.message === "string") message = parsed.message;
      } catch { /* a non-JSON error page: its text is the message */ }
      const after = Number(res.headers.get("retry-after"));
      const retryable = res.status >= 500 || res.status === 429;
      throw new ApiError(`${method} ${endpoint}: HTTP ${res.status} ${code ?? ""}: ${message}`, res.status, code, retryable, after > 0 ? after * 1000 : null);
    }
    if (!text) return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(`${method} ${endpoint}: the answer is not JSON: ${text.slice(0, 200)}`, res.status, null, true);
    }
  }
}

/** Exponential backoff with full jitter, so many clients do not retry in lockstep. */
export class Backoff {
  private attempt = 0;
  constructor(private baseMs = 500, private capMs = 10_000) {}
  next(retryAfterMs: number | null = null) {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.attempt++);
    return Math.max(ceiling / 2 + Math.random() * (ceiling / 2), retryAfterMs ?? 0);
  }
  reset() {
    this.attempt = 0;
  }
}

export const sleep = (ms: number, ref = true) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    if (!ref) t.unref();
  });

/** Retries retryable failures until `deadline` (Date.now() ms); then throws the last error. */
export async function callWithRetry(rest: Rest, method: "GET" | "POST", endpoint: string, body: Record<string, unknown> | undefined, deadline: number, onRetry?: (e: ApiError) => void) {
  const backoff = new Backoff();
  for (;;) {
    try {
      return await rest.call(method, endpoint, body);
    } catch (e) {
      if (!(e instanceof ApiError) || !e.retryable) throw e;
      const delay = backoff.next(e.retryAfterMs);
      if (Date.now() + delay > deadline) throw e;
      onRetry?.(e);
      await sleep(delay);
    }
  }
}

/** int64 fields may come as numbers or as strings. */
export const asInt = (v: unknown, fallback = 0) => (v === undefined || v === null || v === "" ? fallback : Number(v));
