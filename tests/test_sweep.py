"""The sweep (stages/sweep.py, gemelo.sweep) on the tiny model: a grid and an Optuna search, each job a child
MLflow run under the sweep's parent run, the objective on the validation split only, and one-line errors.

The project has no formatted data and a test split that is not JSON: a sweep that read the test split, or
took the pipeline's formatted data (which holds it), would fail.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from _tiny import ROOT, conversations, gemelo_cache  # noqa: F401 (gemelo_cache: a fixture)
from gemelo.config import compose, model_config
from gemelo.pipeline import CONVERSATIONS, write_jsonl


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """conf/ and the group stage's conversations; the test split is unreadable."""
    shutil.copytree(ROOT / "conf", tmp_path / "conf")
    monkeypatch.chdir(tmp_path)
    for split in ("train", "validation"):
        write_jsonl(CONVERSATIONS / f"{split}.jsonl", conversations()[split])
    (CONVERSATIONS / "test.jsonl").write_text("the test split: never to be read by a sweep\n")
    return tmp_path


def sweep(monkeypatch, project: Path, *args: str) -> None:
    """`python stages/sweep.py ARGS`, in this process, logging to the project's own MLflow store."""
    from gemelo.sweep import main

    monkeypatch.setattr(sys, "argv", ["stages/sweep.py", *args, f"mlflow.tracking_uri=sqlite:///{project}/mlflow.db",
                                      "evaluate.bootstrap=50"])
    main()


def runs(project: Path) -> tuple[object, list]:
    """The sweep's parent run and its children, from the MLflow store."""
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{project}/mlflow.db")
    found = client.search_runs([client.get_experiment_by_name("gemelo").experiment_id])
    parents = [r for r in found if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and parents[0].data.tags["stage"] == "sweep"
    children = [r for r in found if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(children) == len(found) - 1
    return parents[0], children


def check_parent_holds_the_best(parent, children) -> object:
    best = min(children, key=lambda r: r.data.metrics["val_bpb"])
    assert parent.info.status == "FINISHED" and parent.data.metrics["val_bpb"] == best.data.metrics["val_bpb"]
    assert parent.data.tags["best_run_id"] == best.info.run_id
    assert all(parent.data.params[k] == v for k, v in best.data.params.items())
    # comparable in MLflow's chart views: every child has the same parameters and the objective
    assert all(set(c.data.params) == set(best.data.params) and "val_bpb" in c.data.metrics for c in children)
    return best


def test_a_grid_sweep_scores_each_job_on_validation_and_writes_the_best_on_request(project, monkeypatch, capsys):
    from datasets import load_from_disk

    from gemelo.evaluation import evaluate
    from gemelo.models import load_trained

    sweep(monkeypatch, project, "-m", "model=[tiny]", "train.learning_rate=1e-3,3e-2", "model.tiny.train.max_steps=1,3",
          "sweep.save=true")
    parent, children = runs(project)
    assert len(children) == 4 and all(c.info.status == "FINISHED" for c in children)
    assert {(c.data.params["train.learning_rate"], c.data.params["model.tiny.train.max_steps"]) for c in children} == \
        {("0.001", "1"), ("0.001", "3"), ("0.03", "1"), ("0.03", "3")}
    best = check_parent_holds_the_best(parent, children)

    # each job trained in its own folder, on train and validation only; nothing went to the pipeline's folders
    jobs = sorted(Path(parent.data.tags["sweep_dir"]).glob("[0-9]*"))
    assert len(jobs) == 4 and not (project / "models").exists() and not (project / "data/processed").exists()
    assert all(sorted(p.name for p in (job / "data").glob("*") if p.is_dir()) == ["train", "validation"] for job in jobs)
    # the objective is the validation bits per byte of the job's model
    folder = Path(parent.data.tags["sweep_dir"]) / best.data.tags["job"]
    cfg = compose(["model=[tiny]"], conf_dir=ROOT / "conf")
    scores = evaluate(load_trained(folder / "model")[0], load_from_disk(str(folder / "data/validation")),
                      cfg.evaluate.batch_size, 50, cfg.train.seed)
    assert scores["bpb"] == pytest.approx(best.data.metrics["val_bpb"], rel=1e-6)

    out = capsys.readouterr().out
    assert out.count("gemelo: val_bpb ") == 4
    assert f"gemelo: best val_bpb {best.data.metrics['val_bpb']:.4f}" in out
    chosen = best.data.tags["overrides"].split()
    assert "dvc exp run " + " ".join(f"-S {o}" for o in chosen) in out
    # written into conf/model/tiny.yaml, its comments and quotes kept, as the model's own settings
    text = (project / "conf/model/tiny.yaml").read_text()
    assert text.startswith("# A randomly initialised") and 'source: "tiny:llama"' in text
    values = dict(o.split("=") for o in chosen)
    tiny = model_config(compose(["model=[tiny]"], conf_dir=project / "conf"), "tiny")
    assert tiny.train.learning_rate == float(values["train.learning_rate"])
    assert tiny.train.max_steps == int(values["model.tiny.train.max_steps"])


def test_an_optuna_sweep_with_the_cpu_preset(project, monkeypatch, capsys):
    """conf/search/cpu.yaml as `make sweep` runs it, on the tiny model in place of SmolLM2 and one step a job."""
    sweep(monkeypatch, project, "search=cpu", "model.smollm2_135m.source=tiny:llama",
          "model.smollm2_135m.train.max_steps=1", "hydra.sweeper.n_trials=4")
    parent, children = runs(project)
    assert len(children) == 4 and all(c.info.status == "FINISHED" for c in children)
    for c in children:  # the preset's search space
        assert 3e-4 <= float(c.data.params["train.learning_rate"]) <= 3e-3
        assert c.data.params["model.smollm2_135m.lora.r"] in ("8", "16", "32")
        assert c.data.params["model.smollm2_135m.lora.alpha"] in ("16", "32", "64")
    assert len({c.data.params["train.learning_rate"] for c in children}) == 4  # Optuna chose, trial by trial
    check_parent_holds_the_best(parent, children)
    assert "sweep.save=true writes it into conf/model/smollm2_135m.yaml" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["-m", "model=[tiny,smollm2_135m]", "train.learning_rate=1e-3,3e-2"], "a sweep tunes one model, not 2"),
    (["-m", "model=[tiny]", "train.max_steps=1,2"],
     "train.max_steps is overridden by model.tiny.train.max_steps (conf/model/tiny.yaml): "
     "sweep model.tiny.train.max_steps instead"),
    (["-m", "model=[tiny]", "model.tiny.lora.r=0,4"], "model.tiny.lora.r must be a whole number of at least 1, not 0"),
])
def test_bad_sweep_settings_stop_in_one_line(project, monkeypatch, capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        sweep(monkeypatch, project, *args)
    err = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and err[-1].startswith(f"gemelo: error: {message}")
    assert not any("Traceback" in line for line in err)


def test_an_empty_validation_split_stops_the_sweep_and_its_parent_run(project, monkeypatch, capsys):
    (CONVERSATIONS / "validation.jsonl").write_text("")
    with pytest.raises(SystemExit):
        sweep(monkeypatch, project, "-m", "model=[tiny]", "model.tiny.train.max_steps=1,2")
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "gemelo: error: the validation split is empty: a sweep needs it (raise group.validation)")
    parent, children = runs(project)
    assert parent.info.status == "FAILED" and [c.info.status for c in children] == ["FAILED"]


@pytest.mark.parametrize("preset", ["cpu", "gpu"])
def test_a_search_preset_searches_settings_its_model_has(preset):
    """conf/search/<preset>.yaml: Optuna, minimising, over settings that exist and that no other value beats
    (the GPU preset cannot run here: this is what can be checked of it without CUDA)."""
    from hydra import compose as hydra_compose, initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base=None):
        cfg = hydra_compose("sweep", overrides=[f"search={preset}"], return_hydra_config=True)
    sweeper = cfg.hydra.sweeper
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN" and "optuna" in sweeper._target_ and sweeper.direction == "minimize"
    (key,) = cfg.model
    for name in sweeper.params:
        assert OmegaConf.select(cfg, name) is not None, f"{preset}: {name} is not a setting"
        assert not name.startswith("train.") or name.removeprefix("train.") not in cfg.model[key].train, name
