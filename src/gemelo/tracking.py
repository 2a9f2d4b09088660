"""MLflow tracking: one run per model per pipeline run, in a SQLite store at the repository root.

The URI is absolute so that `dvc exp run --queue` runs, which execute in temporary copies of the repo
(DVC_ROOT points at the real one), all log into the same store. Under DDP only rank 0 logs.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def tracking_uri(cfg) -> str:
    if cfg.mlflow.tracking_uri:
        return str(cfg.mlflow.tracking_uri)
    root = Path(os.environ.get("DVC_ROOT") or Path.cwd()).resolve()
    return f"sqlite:///{root / 'mlflow.db'}"


def _git_rev() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def flatten(d, prefix: str = "") -> dict:
    """Nested config → {"a.b": value} for mlflow.log_params."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        out.update(flatten(v, key + ".") if isinstance(v, dict) else {key: v})
    return out


def experiment(cfg) -> str:
    """Point MLflow at the project's store and experiment (created if new); returns the experiment's id."""
    import mlflow

    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(tracking_uri(cfg))
    return mlflow.set_experiment(cfg.mlflow.experiment).experiment_id


def tags(key: str, stage: str) -> dict[str, str]:
    """What a run is: the model, the stage, the git revision and the DVC experiment (those known)."""
    found = {"model": key, "stage": stage, "git_rev": _git_rev(),
             "dvc_exp": os.environ.get("DVC_EXP_NAME"), "dvc_root": os.environ.get("DVC_ROOT")}
    return {k: v for k, v in found.items() if v}


def start(cfg, key: str, stage: str, run_id: str | None = None, parent_run_id: str | None = None):
    """Start (or resume, given run_id) the model's MLflow run and make it the active one, nested under
    parent_run_id if given (a sweep's job); returns mlflow's ActiveRun, or None on non-main DDP ranks."""
    if not is_main_process():
        return None
    import mlflow

    from gemelo.config import plain as to_plain

    experiment(cfg)
    active = mlflow.start_run(run_id=run_id, run_name=None if run_id else key, parent_run_id=parent_run_id)
    try:
        mlflow.set_tags(tags(key, stage))
        if run_id is None:
            plain = to_plain(cfg)
            plain["model"] = {key: plain["model"][key]}
            # named as overrides name them (`train.learning_rate`, `model.<key>.lora.r`): the same in every run
            mlflow.log_params(flatten({k: v for k, v in plain.items() if k != "mlflow"}))
            mlflow.log_dict(plain, "config.yaml")  # the composed config, as one file
    except BaseException:
        mlflow.end_run("FAILED")  # not left active: the next run of this process could not start
        raise
    return active


@contextmanager
def run(cfg, key: str, stage: str, run_id: str | None = None) -> Iterator[object | None]:
    """The model's MLflow run (started or resumed, see start) for the duration of the block."""
    active = start(cfg, key, stage, run_id)
    if active is None:
        yield None
        return
    with active:
        yield active
