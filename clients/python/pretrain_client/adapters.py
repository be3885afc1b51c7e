"""Hooks for Hugging Face transformers (PretrainCallback) and Lightning (PretrainLogger).

Neither library is needed to import this module: without it, the classes derive from `object`
and still work when called the same way the library would call them.
"""

import os

from . import init as _init
from .values import metric_value

try:
    from transformers import TrainerCallback as _CallbackBase
except ImportError:
    _CallbackBase = object

try:
    from lightning.pytorch.loggers import Logger as _LoggerBase
    from lightning.pytorch.utilities import rank_zero_only as _rank_zero_only
except ImportError:
    try:
        from pytorch_lightning.loggers import Logger as _LoggerBase
        from pytorch_lightning.utilities import rank_zero_only as _rank_zero_only
    except ImportError:
        _LoggerBase, _rank_zero_only = object, None


def _rank():
    if _rank_zero_only is not None and getattr(_rank_zero_only, "rank", None) is not None:
        return _rank_zero_only.rank
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")))


def _numbers(logs):
    """The entries that are numbers; the trainers also log strings and lists."""
    return {k: v for k, v in (logs or {}).items() if metric_value(v) is not None and not isinstance(v, str)}


class PretrainCallback(_CallbackBase):
    """transformers.Trainer(..., callbacks=[PretrainCallback(project="my-project")])."""

    def __init__(self, project=None, name=None, **init_kwargs):
        self.project = project or os.environ.get("PRETRAIN_PROJECT", "huggingface")
        self.name = name
        self.init_kwargs = init_kwargs
        self.run = None

    def _config(self, args, model):
        config = {}
        model_config = getattr(model, "config", None)
        if model_config is not None and hasattr(model_config, "to_dict"):
            config["model"] = model_config.to_dict()
        if args is not None:
            config.update(args.to_dict() if hasattr(args, "to_dict") else vars(args))
        return config

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if not getattr(state, "is_world_process_zero", True):
            return
        if self.run is not None and not self.run.finished:
            return
        name = self.name or getattr(args, "run_name", None)
        self.run = _init(project=self.project, name=name, config=self._config(args, model), **self.init_kwargs)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.run is None or self.run.finished:
            return
        metrics = _numbers(logs)
        if metrics:
            self.run.log(metrics, step=state.global_step)

    def on_train_end(self, args, state, control, **kwargs):
        if self.run is not None and not self.run.finished:
            self.run.finish("completed")


class PretrainLogger(_LoggerBase):
    """lightning.Trainer(logger=PretrainLogger(project="my-project"))."""

    def __init__(self, project="lightning", name=None, run_id=None, **init_kwargs):
        if _LoggerBase is not object:
            super().__init__()
        self.project = project
        self.run_name = name
        self.init_kwargs = init_kwargs
        self._run_id = run_id
        self._run = None

    @property
    def name(self):
        return self.project

    @property
    def version(self):
        return self.experiment.id if _rank() == 0 else self._run_id

    @property
    def experiment(self):
        """The pretrain_client Run; after finalize() it is resumed, so a test() after fit()
        still logs to the same run."""
        if _rank() != 0:
            return None
        if self._run is None or self._run.finished:
            resume = self._run.id if self._run is not None else self._run_id
            self._run = _init(project=self.project, name=self.run_name, run_id=resume, **self.init_kwargs)
            self._run_id = self._run.id
        return self._run

    def log_metrics(self, metrics, step=None):
        if _rank() != 0:
            return
        numbers = _numbers(metrics)
        if numbers:
            self.experiment.log(numbers, step=step)

    def log_hyperparams(self, params, *args, **kwargs):
        if _rank() != 0:
            return
        self.experiment.log_params(params)

    def save(self):
        pass

    def finalize(self, status):
        if _rank() != 0 or self._run is None or self._run.finished:
            return
        self._run.finish({"success": "completed", "finished": "completed", "failed": "failed"}.get(status, "completed"))
