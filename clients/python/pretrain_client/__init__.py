"""Log a training run to a pretrain dashboard (or any server speaking MLflow's REST API).

    import pretrain_client
    run = pretrain_client.init(project="gpt2-small", config={"lr": 6e-4})
    run.log({"loss": 2.5}, step=1)
    run.finish()
"""

import atexit
import getpass
import logging
import os
import sys
import time
import uuid

from .journal import default_root
from .rest import ApiError, Rest, as_int, call_with_retry
from .run import Run

__all__ = ["init", "log", "finish", "current", "Run", "ApiError"]

_log = logging.getLogger("pretrain_client")
_current = None
_crashed = False


def _env(*names):
    for n in names:
        if os.environ.get(n):
            return os.environ[n]
    return None


def init(project="default", name=None, config=None, url=None, key=None, run_id=None, buffer_dir=None,
         flush_interval=1.0, timeout=120.0):
    """Starts (or, with run_id=, resumes) a run and makes it the current one.

    project: the MLflow experiment, made if it does not exist. config: logged as params.
    url / key: default to $PRETRAIN_URL / $PRETRAIN_KEY, then $MLFLOW_TRACKING_URI / $MLFLOW_TRACKING_TOKEN.
    buffer_dir: where unacknowledged points are kept, default ~/.cache/pretrain-client (one folder per run).
    timeout: how long init waits for an unreachable server before raising.
    """
    global _current
    rest = Rest(url or _env("PRETRAIN_URL", "MLFLOW_TRACKING_URI"), key or _env("PRETRAIN_KEY", "MLFLOW_TRACKING_TOKEN"))
    deadline = time.monotonic() + timeout
    told = []

    def waiting(e, delay):
        if not told:
            told.append(1)
            _log.warning("pretrain_client: %s; retrying for up to %.0f s", e, timeout)

    def call(method, endpoint, body):
        return call_with_retry(rest, method, endpoint, body, deadline, waiting)

    next_step = 0
    if run_id:
        found = call("GET", "runs/get", {"run_id": run_id})["run"]
        info = found["info"]
        steps = [as_int(m.get("step"), 0) for m in found.get("data", {}).get("metrics", []) or []]
        next_step = max(steps) + 1 if steps else 0
        call("POST", "runs/update", {"run_id": run_id, "status": "RUNNING"})
        info["status"] = "RUNNING"
    else:
        experiment_id = _experiment(call, project)
        tags = [{"key": "pretrain.client_key", "value": uuid.uuid4().hex},
                {"key": "mlflow.source.name", "value": os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"}]
        body = {"experiment_id": experiment_id, "start_time": int(time.time() * 1000), "tags": tags}
        if name:
            body["run_name"] = name
        try:
            body["user_id"] = getpass.getuser()
        except Exception:  # no user name in a bare container; MLflow allows none
            pass
        # Retrying this is safe: the server returns the run it made for the same client key.
        info = call("POST", "runs/create", body)["run"]["info"]
    info["run_id"] = info.get("run_id") or info.get("run_uuid")
    run = Run(rest, info, buffer_dir or default_root(), flush_interval=flush_interval, next_step=next_step)
    if config is not None:
        run.log_params(config)
    _current = run
    return run


def _experiment(call, project):
    for attempt in range(3):
        try:
            exp = call("GET", "experiments/get-by-name", {"experiment_name": project})["experiment"]
            if exp.get("lifecycle_stage") == "deleted":
                raise ApiError(f"project {project!r} is deleted on the server; restore it or pick another name")
            return str(exp["experiment_id"])
        except ApiError as e:
            if e.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        try:
            return str(call("POST", "experiments/create", {"name": project})["experiment_id"])
        except ApiError as e:
            if e.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            # Another process made it between our get and create: get it again.
    raise ApiError(f"project {project!r}: neither found nor created")


def current():
    return _current


def log(metrics, step=None):
    if _current is None:
        raise RuntimeError("pretrain_client.log() before pretrain_client.init()")
    _current.log(metrics, step=step)


def finish(status="completed", timeout=120.0):
    global _current
    run = _current
    if run is None:
        return 0
    left = run.finish(status, timeout=timeout)
    if _current is run:
        _current = None
    return left


def _note_crash(hook):
    def wrapped(*args):
        global _crashed
        _crashed = True
        return hook(*args)
    return wrapped


sys.excepthook = _note_crash(sys.excepthook)


@atexit.register
def _at_exit():
    # A script that ends without finish(): flush, and say how it ended.
    if _current is not None:
        finish("failed" if _crashed else "completed", timeout=float(os.environ.get("PRETRAIN_EXIT_TIMEOUT", "60")))


