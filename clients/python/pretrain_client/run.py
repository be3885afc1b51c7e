"""A run being logged: log() journals and queues, a background thread sends in order."""

import collections
import logging
import threading
import time

from . import journal as journal_mod
from .rest import ApiError, Backoff
from .values import MAX_KEY, MAX_METRICS_PER_BATCH, MAX_PARAM_VALUE, MAX_PARAMS_PER_BATCH, chunks, flatten, metric_value

log = logging.getLogger("pretrain_client")

STATUSES = {"completed": "FINISHED", "failed": "FAILED", "killed": "KILLED",
            "FINISHED": "FINISHED", "FAILED": "FAILED", "KILLED": "KILLED"}


class _Pending:
    __slots__ = ("rec", "since", "sent")

    def __init__(self, rec):
        self.rec, self.since, self.sent = rec, time.monotonic(), 0

    def size(self):
        return len(self.rec["points"]) if self.rec["kind"] == "metrics" else 1


class Run:
    def __init__(self, rest, info, buffer_root, flush_interval=1.0, next_step=0):
        self.id = info["run_id"]
        self.experiment_id = info.get("experiment_id")
        self.name = info.get("run_name")
        self.url = rest.base
        self._rest = rest
        self._flush_interval = flush_interval
        self._step = next_step
        self._cv = threading.Condition()
        self._queue = collections.deque()
        self._queued_points = 0
        self._next_id = 0
        self._flushing = 0
        self._stop = False
        self._finished = False
        self._down_since = None
        self._skipped = set()
        self._journal = journal_mod.Journal(buffer_root, self.id, self.url)
        self.buffer_path = self._journal.path
        self.adopted_points = self._adopt(buffer_root)
        self._thread = threading.Thread(target=self._send_loop, name="pretrain-client-sender", daemon=True)
        self._thread.start()

    # ---- the caller's side -------------------------------------------------------------------

    @property
    def finished(self):
        return self._finished

    @property
    def step(self):
        """The step the next log() without step= gets."""
        return self._step

    def log(self, metrics, step=None):
        """Queues {name: number}; returns at once. Without `step`, the step after the last one."""
        if self._finished:
            log.warning("pretrain_client: log() after finish() on run %s is ignored", self.id)
            return
        if not isinstance(metrics, dict):
            raise TypeError("log() takes a dict of {name: number}")
        now = int(time.time() * 1000)
        points = []
        with self._cv:
            if step is None:
                step = self._step
            step = int(step)
            self._step = step + 1
            for key, value in metrics.items():
                v = metric_value(value)
                if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY or v is None:
                    self._skip(key, value)
                    continue
                points.append([key, v, now, step])
            if points:
                self._push({"kind": "metrics", "points": points})

    def log_params(self, params):
        """Params are flattened with "/" and stringified. MLflow keeps the first value of a param:
        logging a different value for it later is refused by the server (and reported)."""
        items = []
        for k, v in flatten(params).items():
            if len(k) > MAX_KEY:
                log.warning("pretrain_client: param %r is longer than %d characters; skipped", k[:60] + "…", MAX_KEY)
                continue
            if len(v) > MAX_PARAM_VALUE:
                log.warning("pretrain_client: param %s is %d characters; cut to %d", k, len(v), MAX_PARAM_VALUE)
                v = v[:MAX_PARAM_VALUE]
            items.append([k, v])
        with self._cv:
            for chunk in chunks(items, MAX_PARAMS_PER_BATCH):
                self._push({"kind": "params", "items": chunk})

    def set_tags(self, tags):
        items = [[str(k), str(v)] for k, v in tags.items()]
        with self._cv:
            for chunk in chunks(items, MAX_PARAMS_PER_BATCH):
                self._push({"kind": "tags", "items": chunk})

    def flush(self, timeout=None):
        """Blocks until every queued record is acknowledged or dropped; returns the number of
        metric points still unsent (0 when all went through)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            self._flushing += 1
            self._cv.notify_all()
            try:
                while self._queue and not self._stop:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        break
                    self._cv.wait(left)
                return self._queued_points
            finally:
                self._flushing -= 1

    def finish(self, status="completed", timeout=120.0):
        """Flushes, then marks the run FINISHED / FAILED / KILLED. What cannot be sent within
        `timeout` stays in the disk buffer and goes out on the next init of this run (or of any
        run of this server from the same buffer directory)."""
        if self._finished:
            return 0
        if status not in STATUSES:
            raise ValueError(f"status must be completed, failed or killed, not {status!r}")
        with self._cv:
            self._push({"kind": "status", "status": STATUSES[status], "end_time": int(time.time() * 1000)})
        left = self.flush(timeout)
        with self._cv:
            self._finished = True
            self._stop = True
            done = not self._queue
            self._cv.notify_all()
        self._journal.close(delete=done)
        if not done:
            log.warning(
                "pretrain_client: %d metric points%s of run %s are not acknowledged after %.0f s; they stay "
                "buffered in %s and are sent on the next pretrain_client.init(run_id=%r) (or any init "
                "for this server with the same buffer_dir)",
                left, " and the final status", self.id, timeout, self.buffer_path, self.id)
        return left

    # ---- queue ---------------------------------------------------------------------------------

    def _push(self, rec):
        """Under self._cv. Journals the record before queueing it, so a crash cannot lose it."""
        rec = {"id": self._next_id, "run": rec.get("run", self.id), **rec}
        self._next_id += 1
        self._journal.append(rec)
        p = _Pending(rec)
        self._queue.append(p)
        if rec["kind"] == "metrics":
            self._queued_points += len(rec["points"])
        if self._queued_points >= MAX_METRICS_PER_BATCH or rec["kind"] == "status":
            self._cv.notify_all()

    def _adopt(self, root):
        recs, held = journal_mod.adopt(root, self.url, self.id)
        points = 0
        with self._cv:
            for r in recs:
                if r.get("kind") not in ("metrics", "params", "tags", "status") or not r.get("run"):
                    continue
                self._push({k: v for k, v in r.items() if k not in ("t", "id")})
                if r["kind"] == "metrics":
                    points += len(r["points"])
                    if r["run"] == self.id:
                        self._step = max(self._step, 1 + max(p[3] for p in r["points"]))
        journal_mod.remove_adopted(held)
        if points:
            log.warning("pretrain_client: re-sending %d metric points left unsent by an earlier process", points)
        return points

    def _skip(self, key, value):
        if key in self._skipped:
            return
        self._skipped.add(key)
        log.warning("pretrain_client: metric %r = %r skipped: names are 1-%d characters and values numbers",
                    key, value, MAX_KEY)

    def _ready(self):
        if not self._queue:
            return False
        if self._flushing or self._queued_points >= MAX_METRICS_PER_BATCH:
            return True
        head = self._queue[0]
        return head.rec["kind"] == "status" or time.monotonic() - head.since >= self._flush_interval

    def _take(self):
        """Under self._cv: the next request, and how many queued units it covers."""
        head = self._queue[0]
        rec = head.rec
        if rec["kind"] == "status":
            return "runs/update", {"run_id": rec["run"], "status": rec["status"], "end_time": rec["end_time"]}, 1
        if rec["kind"] in ("params", "tags"):
            return "runs/log-batch", {"run_id": rec["run"], rec["kind"]: [{"key": k, "value": v} for k, v in rec["items"]]}, 1
        metrics = []
        for p in self._queue:
            if p.rec["kind"] != "metrics" or p.rec["run"] != rec["run"]:
                break
            room = MAX_METRICS_PER_BATCH - len(metrics)
            part = p.rec["points"][p.sent:p.sent + room]
            metrics.extend({"key": k, "value": v, "timestamp": t, "step": s} for k, v, t, s in part)
            if len(metrics) >= MAX_METRICS_PER_BATCH:
                break
        return "runs/log-batch", {"run_id": rec["run"], "metrics": metrics}, len(metrics)

    def _consume(self, units):
        """Under self._cv: drops `units` from the head and records the acknowledgement."""
        acked = None
        while units > 0 and self._queue:
            p = self._queue[0]
            n = min(units, p.size() - p.sent)
            p.sent += n
            units -= n
            if p.rec["kind"] == "metrics":
                self._queued_points -= n
            if p.sent >= p.size():
                self._queue.popleft()
                acked = p.rec["id"]
        if acked is not None:
            self._journal.ack(acked, nothing_pending=not self._queue)
        self._cv.notify_all()

    # ---- the sender thread -------------------------------------------------------------------

    def _send_loop(self):
        backoff = Backoff()
        while True:
            with self._cv:
                while not self._stop and not self._ready():
                    wait = None
                    if self._queue:
                        wait = max(0.01, self._flush_interval - (time.monotonic() - self._queue[0].since))
                    self._cv.wait(wait)
                if self._stop:
                    return
                endpoint, body, units = self._take()
            try:
                self._deliver(endpoint, body)
            except ApiError as e:
                if e.retryable:
                    self._note_down(e)
                    delay = backoff.next_delay(e.retry_after)
                    with self._cv:
                        self._cv.wait_for(lambda: self._stop, delay)
                    continue
                self._drop(endpoint, body, e)
            if self._down_since is not None:
                log.warning("pretrain_client: the server answers again after %.0f s; sending what was buffered",
                            time.monotonic() - self._down_since)
                self._down_since = None
            backoff.reset()
            with self._cv:
                self._consume(units)

    def _deliver(self, endpoint, body):
        """Sends one request. A log-batch refused as invalid is split until the bad points are
        isolated, so one bad point does not cost the other 999; only they are dropped."""
        try:
            self._rest.call("POST", endpoint, body)
        except ApiError as e:
            metrics = body.get("metrics")
            if e.retryable or e.status != 400 or not metrics or len(metrics) < 2:
                raise
            half = len(metrics) // 2
            for part in (metrics[:half], metrics[half:]):
                try:
                    self._deliver(endpoint, {**body, "metrics": part})
                except ApiError as inner:
                    if inner.retryable:
                        raise
                    self._drop(endpoint, {**body, "metrics": part}, inner)

    def _drop(self, endpoint, body, e):
        what = f"{len(body['metrics'])} metric points" if body.get("metrics") else endpoint
        if body.get("metrics") and len(body["metrics"]) == 1:
            m = body["metrics"][0]
            what = f"metric {m['key']!r} at step {m['step']}"
        log.warning("pretrain_client: the server refused %s of run %s (dropped): %s", what, body.get("run_id"), e)

    def _note_down(self, e):
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("pretrain_client: %s; retrying with backoff, logged points are kept on disk in %s",
                        e, self.buffer_path)
