"""Sweeps: the hyper-parameters that make the best twin, chosen on the validation split.

`stages/sweep.py` is a Hydra app on conf/sweep.yaml (the pipeline's conf/config.yaml and the sweep's own
settings). Each job fine-tunes the one selected model in the job's own folder (multirun/sweep/<time>/<job>/,
never models/) and returns the bits per byte of the author's replies in the validation split, which Hydra's
basic sweeper (grids, `-m key=a,b`) or the Optuna sweeper (`search=cpu`, conf/search/) minimises. The test
split, on which the perplexity stage reports, is never read: a job formats the train and validation
conversations only. `Tracking`, a Hydra callback, gives MLflow a parent run for the sweep and a child run per
job; at the end the parent holds the best value and configuration, and the best one is printed with the
override that makes it the pipeline's (or written into conf/model/<key>.yaml with `sweep.save=true`).
"""

from __future__ import annotations

import shlex
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from hydra.experimental.callback import Callback

from gemelo import UserError
from gemelo.config import CONF, Params, check
from gemelo.pipeline import _fail as fail

OBJECTIVE = "val_bpb"  # the metric every job returns and logs, and the sweep minimises


def settings(config) -> tuple[Params, Params]:
    """A job's pipeline config (checked as a stage checks its own) and the sweep's settings, from Hydra's."""
    from omegaconf import OmegaConf

    cfg = Params(OmegaConf.to_container(OmegaConf.masked_copy(config, [k for k in config if k != "hydra"]),
                                        resolve=True))
    sweep = cfg.pop("sweep")
    check(cfg, CONF)
    return cfg, sweep


def chosen_model(cfg: Params) -> str:
    """The model a sweep tunes: the one selected."""
    if len(cfg.model) != 1:
        raise UserError(f"a sweep tunes one model, not {len(cfg.model)} ({', '.join(cfg.model)}): "
                        f"choose it with 'model=[<key>]'")
    return next(iter(cfg.model))


NOT_THE_TWIN = ("sweep.", "hydra.", "mlflow.", "evaluate.", "chat.")  # settings that do not change the model


def swept_settings(overrides: list[str]) -> list[str]:
    """The `key=value` overrides of a job that set how the twin is made (not config groups, not where MLflow
    logs or how the score's interval is drawn): the configuration a job stands for."""
    return [o for o in overrides if "." in o.partition("=")[0] and not o.startswith(NOT_THE_TWIN)]


def check_overrides(cfg: Params, key: str, overrides: list[str]) -> None:
    """A global `train.x` the model's own `train.x` beats would sweep nothing: stop, naming the key to sweep."""
    own = cfg.model[key].get("train") or {}
    for o in swept_settings(overrides):
        name = o.partition("=")[0]
        if name.startswith("train.") and name.removeprefix("train.") in own:
            raise UserError(f"{name} is overridden by model.{key}.{name} (conf/model/{key}.yaml): "
                            f"sweep model.{key}.{name} instead")


def objective(cfg: Params, key: str, folder: Path) -> dict:
    """Fine-tune the model in `folder` (data, checkpoints and model inside it) and score it on the validation
    split: bits per byte of the author's replies, with perplexity and a bootstrap interval."""
    import mlflow
    from datasets import load_from_disk

    from gemelo.config import model_config
    from gemelo.evaluation import evaluate
    from gemelo.formatting import format_splits
    from gemelo.models import load_trained
    from gemelo.training import finetune

    data = folder / "data"
    format_splits(cfg, key, ("train", "validation"), data)  # never the test split
    if not (data / "validation").exists():
        raise UserError("the validation split is empty: a sweep needs it (raise group.validation)")
    active = mlflow.active_run()
    finetune(cfg, model_config(cfg, key), data, folder / "model", folder / "checkpoints",
             run_id=active.info.run_id if active else None)
    model = load_trained(folder / "model")[0]
    scores = evaluate(model, load_from_disk(str(data / "validation")), cfg.evaluate.batch_size,
                      cfg.evaluate.bootstrap, cfg.train.seed)
    if active:
        lo, hi = scores["bpb_ci95"]
        mlflow.log_metrics({OBJECTIVE: scores["bpb"], "val_bpb_lo": lo, "val_bpb_hi": hi, "val_ppl": scores["ppl"]})
    return scores


def job(config) -> float:
    """One job of the sweep (Hydra's task function): the validation bits per byte of one configuration."""
    from hydra.core.hydra_config import HydraConfig

    hydra = HydraConfig.get()
    cfg, _ = settings(config)
    key = chosen_model(cfg)
    check_overrides(cfg, key, list(hydra.overrides.task))
    scores = objective(cfg, key, Path(hydra.runtime.output_dir))
    (lo, hi), swept = scores["bpb_ci95"], swept_settings(list(hydra.overrides.task))
    print(f"gemelo: {OBJECTIVE} {scores['bpb']:.4f} (95% CI {lo:.4f}–{hi:.4f}) with "
          f"{' '.join(swept) or 'the configuration as it is'}")
    return scores["bpb"]


def write_default(key: str, overrides: list[str], conf_dir: Path = CONF) -> list[str]:
    """Write the model's settings among `overrides` into conf/model/<key>.yaml, its comments and layout kept
    (a global `train.x` becomes the model's own `train.x`); returns the overrides that are not the model's."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip: comments, quotes and flow-style mappings stay as written
    yaml.preserve_quotes, yaml.width = True, 4096
    path = conf_dir / "model" / f"{key}.yaml"
    doc = yaml.load(path)
    rest = []
    for o in OverridesParser.create().parse_overrides(overrides):  # values as Hydra reads them (escapes too)
        name = o.key_or_group
        if name.startswith(f"model.{key}."):
            *parents, last = name.split(".")[2:]
        elif name.startswith("train."):
            *parents, last = name.split(".")
        else:
            rest.append(o.input_line)
            continue
        node = doc[key]
        for k in parents:
            node = node.setdefault(k, {})
        node[last] = o.value()
    yaml.dump(doc, path)
    return rest


class Tracking(Callback):
    """MLflow for a sweep: a parent run, a child run per job (every setting a parameter under its override
    name, the objective the metric `val_bpb`), and at the end the best child's value and parameters on the
    parent. A user error stops the sweep in one line, as it stops a stage."""

    def __init__(self) -> None:
        self.parent: str | None = None  # set in the sweep's process, pickled along to the jobs' processes

    def on_multirun_start(self, config, **kwargs) -> None:
        from mlflow import MlflowClient

        from gemelo.tracking import experiment, tags

        with self._stop_on_user_error():
            cfg, _ = settings(config)
            key = chosen_model(cfg)
            folder = str(Path(config.hydra.sweep.dir).resolve())
            experiment_id = experiment(cfg)  # first: it points MLflow at the store
            run = MlflowClient().create_run(experiment_id, run_name=f"sweep {key}",
                                            tags={**tags(key, "sweep"), "sweep_dir": folder})
            self.parent = run.info.run_id

    def on_job_start(self, config, **kwargs) -> None:
        import mlflow
        from omegaconf import OmegaConf

        from gemelo.tracking import start

        with self._stop_on_user_error():
            cfg, _ = settings(config)
            start(cfg, chosen_model(cfg), "sweep", parent_run_id=self.parent)
            mlflow.set_tag("overrides", " ".join(swept_settings(list(config.hydra.overrides.task))))
            if (number := OmegaConf.select(config, "hydra.job.num")) is not None:  # a multirun's job
                mlflow.set_tag("job", str(number))

    def on_job_end(self, config, job_return, **kwargs) -> None:
        import mlflow
        from hydra.core.utils import JobStatus

        failed = job_return.status != JobStatus.COMPLETED
        mlflow.end_run("FAILED" if failed else "FINISHED")
        error = job_return._return_value  # a failed job's exception (return_value would raise it)
        if failed and isinstance(error, UserError):
            with self._stop_on_user_error():
                raise error

    def on_multirun_end(self, config, **kwargs) -> None:
        with self._stop_on_user_error():
            best = self._finish("FINISHED")
            if best is None:
                return
            cfg, sweep = settings(config)
            key = chosen_model(cfg)
            overrides = best.data.tags.get("overrides", "").split()
            print(f"gemelo: best {OBJECTIVE} {best.data.metrics[OBJECTIVE]:.4f} (job {best.data.tags['job']}, MLflow "
                  f"run {best.info.run_id}) with {' '.join(overrides) or 'the configuration as it is'}")
            if not overrides:
                return
            print("gemelo: run the pipeline with it: dvc exp run " + " ".join(f"-S {shlex.quote(o)}" for o in overrides))
            if not sweep.save:
                print(f"gemelo: make it the default: sweep.save=true writes it into conf/model/{key}.yaml")
                return
            rest = write_default(key, overrides)
            print(f"gemelo: wrote it into conf/model/{key}.yaml; `gemelo params` (or `dvc exp run`) composes "
                  f"params.yaml from it" + (f"; not the model's, so not written: {' '.join(rest)}" if rest else ""))

    def _finish(self, status: str):
        """End the parent run, with the best finished child's value and parameters on it; returns that child."""
        import time

        from mlflow import MlflowClient
        from mlflow.entities import Metric, Param, RunTag

        if self.parent is None:
            return None
        client = MlflowClient()  # the store on_multirun_start set
        children = client.search_runs([client.get_run(self.parent).info.experiment_id], max_results=1,
                                      filter_string=f"tags.mlflow.parentRunId = '{self.parent}' "
                                                    "and attributes.status = 'FINISHED'",
                                      order_by=[f"metrics.{OBJECTIVE} ASC"])
        best = children[0] if children else None
        if best is not None:
            now = int(time.time() * 1000)
            client.log_batch(self.parent, metrics=[Metric(OBJECTIVE, best.data.metrics[OBJECTIVE], now, 0)],
                             params=[Param(k, v) for k, v in best.data.params.items()],
                             tags=[RunTag("best_run_id", best.info.run_id),
                                   RunTag("best_overrides", best.data.tags.get("overrides", ""))])
        client.set_terminated(self.parent, status)
        self.parent = None
        return best

    @contextmanager
    def _stop_on_user_error(self) -> Iterator[None]:
        """A user error ends the sweep (and its parent run) in one line, as it ends a stage, not in Hydra's
        error report."""
        try:
            yield
        except UserError as e:
            self._finish("FAILED")
            fail(e)


def main() -> None:
    """stages/sweep.py: the sweep as a Hydra app on conf/sweep.yaml, run from the project root."""
    import hydra

    if not (CONF / "sweep.yaml").exists():
        fail(UserError(f"{CONF / 'sweep.yaml'} not found: run the sweep from the project root"))
    hydra.main(config_path=str(CONF.resolve()), config_name="sweep", version_base=None)(job)()
