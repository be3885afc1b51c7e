"""One MLflow REST call, and which failures are worth retrying."""

import http.client
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request

API = "/api/2.0/mlflow/"


class ApiError(Exception):
    """A call that failed. `retryable` says whether sending it again may succeed."""

    def __init__(self, message, status=None, error_code=None, retryable=False, retry_after=None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.retryable = retryable
        self.retry_after = retry_after


class Rest:
    def __init__(self, url, key=None, timeout=30.0):
        if not url:
            raise ValueError("no server URL: pass url= or set PRETRAIN_URL (or MLFLOW_TRACKING_URI)")
        self.base = url.rstrip("/")
        self.key = key
        self.timeout = timeout

    def call(self, method, endpoint, body=None):
        url = self.base + API + endpoint
        data = None
        headers = {"Accept": "application/json"}
        if self.key:
            headers["Authorization"] = "Bearer " + self.key
        if method == "GET":
            if body:
                url += "?" + urllib.parse.urlencode(body)
        else:
            # allow_nan=False: a float NaN must have been turned into "NaN" by the caller already.
            data = json.dumps(body or {}, allow_nan=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                text = res.read()
        except urllib.error.HTTPError as e:
            raise _http_error(method, endpoint, e) from None
        except (OSError, http.client.HTTPException) as e:
            reason = getattr(e, "reason", e)
            raise ApiError(f"{method} {endpoint}: cannot reach {self.base} ({reason})", retryable=True) from None
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError:
            raise ApiError(f"{method} {endpoint}: the answer is not JSON: {text[:200]!r}", retryable=True) from None


def _http_error(method, endpoint, e):
    raw = b""
    try:
        raw = e.read()
    except Exception:  # the body of a broken answer may itself fail to read; the status says enough
        pass
    code, message = None, raw.decode("utf-8", "replace")[:500]
    try:
        parsed = json.loads(raw)
        code, message = parsed.get("error_code"), parsed.get("message", message)
    except (ValueError, AttributeError):
        pass
    retry_after = None
    if e.headers and e.headers.get("Retry-After"):
        try:
            retry_after = float(e.headers.get("Retry-After"))
        except ValueError:
            pass
    retryable = e.code >= 500 or e.code == 429
    return ApiError(f"{method} {endpoint}: HTTP {e.code} {code or ''}: {message}".replace("  ", " "),
                    status=e.code, error_code=code, retryable=retryable, retry_after=retry_after)


class Backoff:
    """Exponential backoff with full jitter, so many clients do not retry in lockstep."""

    def __init__(self, base=0.5, cap=10.0):
        self.base, self.cap, self.attempt = base, cap, 0

    def next_delay(self, retry_after=None):
        ceiling = min(self.cap, self.base * (2 ** self.attempt))
        self.attempt += 1
        delay = random.uniform(ceiling / 2, ceiling)
        return max(delay, retry_after or 0.0)

    def reset(self):
        self.attempt = 0


def call_with_retry(rest, method, endpoint, body=None, deadline=None, on_retry=None):
    """Retries retryable failures until `deadline` (time.monotonic()); raises the last error then."""
    backoff = Backoff()
    while True:
        try:
            return rest.call(method, endpoint, body)
        except ApiError as e:
            if not e.retryable:
                raise
            delay = backoff.next_delay(e.retry_after)
            if deadline is not None and time.monotonic() + delay > deadline:
                raise
            if on_retry:
                on_retry(e, delay)
            time.sleep(delay)


def as_int(v, default=None):
    """int64 fields may come as numbers or as strings."""
    if v is None or v == "":
        return default
    return int(v)
