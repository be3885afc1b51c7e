"""The transformers and Lightning adapters, called the way those libraries call them, against the
server at $PRETRAIN_URL (neither library is installed: the adapters fall back to `object`).
Also the pure helpers. Run: python3 -m unittest tests/python/test_adapters.py"""

import argparse
import math
import os
import sys
import tempfile
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
from pretrain_client import rest as rest_mod  # noqa: E402
from pretrain_client.adapters import PretrainCallback, PretrainLogger  # noqa: E402
from pretrain_client.values import flatten, metric_value  # noqa: E402

BUFFER = tempfile.mkdtemp(prefix="pretrain-client-adapters-")


def api():
    return rest_mod.Rest(os.environ["PRETRAIN_URL"], os.environ["PRETRAIN_KEY"])


def run_info(run_id):
    run = api().call("GET", "runs/get", {"run_id": run_id})["run"]
    params = {p["key"]: p["value"] for p in run["data"].get("params", [])}
    return run["info"], params


def history(run_id, key):
    points = api().call("GET", "metrics/get-history", {"run_id": run_id, "metric_key": key}).get("metrics", [])
    return sorted((rest_mod.as_int(p["step"]), p["value"]) for p in points)


class TrainingArguments:
    """What the callback uses of transformers.TrainingArguments."""

    run_name = "hf-run"

    def to_dict(self):
        return {"learning_rate": 5e-5, "per_device_train_batch_size": 8, "lr_scheduler_kwargs": {"power": 2}}


class Model:
    config = types.SimpleNamespace(to_dict=lambda: {"n_layer": 4, "n_embd": 128})


class HuggingFaceCallback(unittest.TestCase):
    def test_train_begin_log_end(self):
        cb = PretrainCallback(project="adapters", buffer_dir=BUFFER)
        args, control = TrainingArguments(), object()
        state = types.SimpleNamespace(is_world_process_zero=True, global_step=0)
        cb.on_train_begin(args, state, control, model=Model())
        self.assertIsNotNone(cb.run)
        run_id = cb.run.id
        for step, loss in ((5, 2.5), (10, 2.25)):
            state.global_step = step
            cb.on_log(args, state, control, logs={"loss": loss, "learning_rate": 1e-5 * step, "epoch": step / 10, "note": "text"})
        cb.on_train_end(args, state, control)
        self.assertTrue(cb.run.finished)

        info, params = run_info(run_id)
        self.assertEqual(info["status"], "FINISHED")
        self.assertEqual(info["run_name"], "hf-run")
        self.assertEqual(params["model/n_layer"], "4")
        self.assertEqual(params["learning_rate"], "5e-05")
        self.assertEqual(params["lr_scheduler_kwargs/power"], "2")
        self.assertEqual(history(run_id, "loss"), [(5, 2.5), (10, 2.25)])
        self.assertEqual(history(run_id, "epoch"), [(5, 0.5), (10, 1.0)])
        self.assertEqual(history(run_id, "note"), [])

    def test_other_processes_do_not_log(self):
        cb = PretrainCallback(project="adapters", buffer_dir=BUFFER)
        state = types.SimpleNamespace(is_world_process_zero=False, global_step=3)
        cb.on_train_begin(TrainingArguments(), state, object())
        cb.on_log(TrainingArguments(), state, object(), logs={"loss": 1.0})
        cb.on_train_end(TrainingArguments(), state, object())
        self.assertIsNone(cb.run)


class LightningLogger(unittest.TestCase):
    def test_fit_then_test(self):
        logger = PretrainLogger(project="adapters-lightning", name="pl-run", buffer_dir=BUFFER)
        self.assertEqual(logger.name, "adapters-lightning")
        logger.log_hyperparams(argparse.Namespace(lr=1e-3, optimizer={"name": "adamw", "betas": [0.9, 0.95]}))
        run_id = logger.version
        self.assertEqual(run_id, logger.experiment.id)
        logger.log_metrics({"train_loss": 3.0, "epoch": 0}, step=0)
        logger.log_metrics({"train_loss": 2.0, "epoch": 0}, step=1)
        logger.finalize("success")
        info, params = run_info(run_id)
        self.assertEqual(info["status"], "FINISHED")
        self.assertEqual(info["run_name"], "pl-run")
        self.assertEqual(params["optimizer/name"], "adamw")
        self.assertEqual(params["optimizer/betas"], "[0.9, 0.95]")
        self.assertEqual(history(run_id, "train_loss"), [(0, 3.0), (1, 2.0)])

        # test() after fit(): the same run is resumed, and a failure is recorded as such.
        logger.log_metrics({"test_loss": 1.5}, step=2)
        self.assertEqual(logger.version, run_id)
        self.assertEqual(run_info(run_id)[0]["status"], "RUNNING")
        logger.finalize("failed")
        self.assertEqual(run_info(run_id)[0]["status"], "FAILED")
        self.assertEqual(history(run_id, "test_loss"), [(2, 1.5)])

    def test_other_ranks_do_not_log(self):
        os.environ["RANK"] = "1"
        try:
            logger = PretrainLogger(project="adapters-lightning", buffer_dir=BUFFER)
            logger.log_hyperparams({"lr": 1})
            logger.log_metrics({"loss": 1.0}, step=0)
            logger.finalize("success")
            self.assertIsNone(logger.experiment)
            self.assertIsNone(logger._run)
        finally:
            del os.environ["RANK"]


class Values(unittest.TestCase):
    def test_flatten(self):
        ns = argparse.Namespace(a=1, b={"c": {"d": None}, "e": (1, 2)}, f="x", g={})
        self.assertEqual(flatten(ns), {"a": "1", "b/c/d": "None", "b/e": "[1, 2]", "f": "x", "g": "{}"})

    def test_metric_values(self):
        self.assertEqual(metric_value(math.nan), "NaN")
        self.assertEqual(metric_value(math.inf), "Infinity")
        self.assertEqual(metric_value(-math.inf), "-Infinity")
        self.assertEqual(metric_value(True), 1.0)
        self.assertEqual(metric_value(3), 3.0)
        self.assertIsNone(metric_value("fast"))
        self.assertIsNone(metric_value(None))


if __name__ == "__main__":
    unittest.main()
