"""A trainer stand-in for tests/integration/python-client.test.ts: logs STEPS steps of four keys
whose values are simple functions of the step (the test computes the same doubles), pacing itself
so the test can kill the server, or this process, mid-run. With RUN_ID set it resumes that run
and logs from the step after the last one it (or the killed process before it) logged."""

import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
import pretrain_client  # noqa: E402

STEPS = int(os.environ["STEPS"])
NAN_STEP = int(os.environ["NAN_STEP"])


def values(s):
    return {
        "loss": 4 + 1 / (s + 1),
        "lr": s * 3e-4 / STEPS,
        "throughput(tps)": 1000 + s * 0.25,
        "grad/norm": math.nan if s == NAN_STEP else s / 7,
    }


run = pretrain_client.init(
    project="python-client-test",
    name="long-run",
    config={"model": {"n_layer": 2, "d_model": 64}, "lr": 3e-4, "tags": ["a", "b"]},
    run_id=os.environ.get("RUN_ID") or None,
    buffer_dir=os.environ["BUFFER_DIR"],
    flush_interval=0.2,
)
print(f"run {run.id} from {run.step} adopted {run.adopted_points}", flush=True)
for s in range(run.step, STEPS):
    run.log(values(s))
    if s % 100 == 0:
        print(f"step {s}", flush=True)
    time.sleep(0.002)
left = run.finish("completed", timeout=120)
print(f"done left={left}", flush=True)
sys.exit(0 if left == 0 else 3)
