"""Turning a trainer's config and metric values into what MLflow's REST API accepts."""

import argparse
import dataclasses
import json
import math
import types

# MLflow's own limits (mlflow/utils/validation.py in MLflow 2.x and 3.x): keys up to 250
# characters, param values up to 6000 (500 before MLflow 2.3; the server here follows 6000).
MAX_KEY = 250
MAX_PARAM_VALUE = 6000
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100


def metric_value(v):
    """A float, or the protobuf JSON spelling of a non-finite one; None when it is not a number."""
    if isinstance(v, bool):
        v = float(v)
    try:
        f = float(v)  # also takes numpy scalars and one-element tensors
    except (TypeError, ValueError):
        return None
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return f


def _nested(obj):
    """The mapping inside a dict, dataclass or namespace; None for anything else."""
    if isinstance(obj, dict):
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, (argparse.Namespace, types.SimpleNamespace)):
        return vars(obj)
    return None


def as_config(obj):
    """The top-level config: also any object with to_dict() (transformers' TrainingArguments)."""
    if obj is None:
        return {}
    m = _nested(obj)
    if m is not None:
        return m
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    raise TypeError(f"config must be a dict, dataclass or namespace, not {type(obj).__name__}")


def _scalar(v):
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        try:
            return json.dumps(list(v))
        except (TypeError, ValueError):
            return str(v)
    return str(v)


def flatten(config, prefix=""):
    """Nested dicts, dataclasses and namespaces become one level of "a/b/c" keys with string
    values."""
    out = {}
    for k, v in as_config(config).items() if prefix == "" else config.items():
        key = f"{prefix}/{k}" if prefix else str(k)
        inner = _nested(v)
        if inner is not None and inner:
            out.update(flatten(inner, key))
        else:
            out[key] = _scalar(v)
    return out


def chunks(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]
