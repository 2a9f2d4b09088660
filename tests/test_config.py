from pathlib import Path

from gemelo.config import compose, load, model_config, plain

ROOT = Path(__file__).resolve().parents[1]


def test_params_yaml_is_composed_from_conf():
    """dvc repro reads params.yaml as it is: what a stage reads must be what composing conf/ gives."""
    composed = plain(compose(conf_dir=ROOT / "conf"))
    assert plain(load(path=ROOT / "params.yaml")) == composed, "params.yaml is out of date with conf/: run `make params`"


def test_every_model_config_composes_and_merges_train_defaults():
    cfg = compose(["model=[tiny,smollm2_135m,gpt2_spanish,smollm3_3b,phi3_mini]"], conf_dir=ROOT / "conf")
    for key in cfg.model:
        m = model_config(cfg, key)
        assert m.format in ("chat", "plain") and m.method in ("full", "lora", "qlora")
        assert m.train.seed == cfg.train.seed  # global default reaches every model
    assert model_config(cfg, "gpt2_spanish").train.learning_rate != cfg.train.learning_rate
    assert model_config(cfg, "phi3_mini").method == "qlora"


def test_overrides_on_the_command_line(tmp_path):
    (tmp_path / "params.yaml").write_text("train: {learning_rate: 0.1, seed: 1}\ndata: {author: Martu}\n")
    cfg = load(["train.learning_rate=5e-4", "data.author=[Martu, Martu Celu]", "chat.top_p=0.5"],
               path=tmp_path / "params.yaml")
    assert cfg.train == {"learning_rate": 5e-4, "seed": 1}  # numbers as OmegaConf reads them, 5e-4 too
    assert cfg.data.author == ["Martu", "Martu Celu"] and cfg.chat.top_p == 0.5  # new keys may be added


def test_params_read_as_omegaconf_reads_them(tmp_path):
    from omegaconf import OmegaConf

    text = "a: {b: yes, c: 2023-01-01, d: 1e-05, e: 0x10, f: 1_000, g: .5, h: null, i: [1, x, 2.5e+3], j: '07'}\n"
    (tmp_path / "params.yaml").write_text(text)
    assert plain(load(path=tmp_path / "params.yaml")) == OmegaConf.to_container(OmegaConf.create(text))


def test_bad_override_is_a_user_error(tmp_path):
    import pytest

    from gemelo import UserError

    (tmp_path / "params.yaml").write_text("train: {}\n")
    with pytest.raises(UserError, match="key=value"):
        load(["=3"], path=tmp_path / "params.yaml")


def test_stage_scripts_check_their_arguments(capsys):
    """A stage run by hand with a wrong argument gets a usage line, not a traceback."""
    import pytest

    from gemelo.cleaning import clean_stage as clean
    from gemelo.pipeline import run
    from gemelo.training import finetune_stage as finetune

    for stage, argv, usage in ((clean, ["extra"], "[key=value ...]"), (finetune, [], "MODEL [key=value ...]")):
        with pytest.raises(SystemExit) as e:
            run(stage, argv)
        assert e.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("gemelo: error: usage:") and usage in err and "\n" not in err


def test_a_stage_script_is_a_hydra_app_on_params_yaml():
    import subprocess
    import sys

    import yaml

    def stage(*args):
        return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)

    helped = stage("stages/finetune.py", "--help")
    assert helped.returncode == 0 and "finetune is powered by Hydra" in helped.stdout
    assert "learning_rate:" in helped.stdout and "Configuration groups" in helped.stdout
    shown = stage("stages/finetune.py", "smollm2_135m", "--cfg", "job", "train.learning_rate=5e-4")
    assert shown.returncode == 0, shown.stderr
    job = yaml.safe_load(shown.stdout)
    assert job["train"]["learning_rate"] == 5e-4 and job == {**plain(load(path=ROOT / "params.yaml")),
                                                               "train": job["train"]}
    typo = stage("stages/finetune.py", "smollm2_135m", "-m", "train.learnin_rate=1,2")
    assert typo.returncode != 0 and "learnin_rate" in typo.stderr and "Traceback" not in typo.stderr


def test_by_hand_with_hydra_and_as_dvc_runs_it_a_stage_reads_the_same_config(tmp_path, monkeypatch):
    import shutil

    from gemelo.pipeline import run

    shutil.copytree(ROOT / "conf", tmp_path / "conf")
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["stages/capture.py"])
    seen = []

    def capture(cfg):
        seen.append(plain(cfg))

    overrides = ["train.learning_rate=5e-4", "data.author=[Martu, Martu Celu]", "chat.top_p=0.5"]
    run(capture, overrides)  # as DVC runs it: PyYAML
    run(capture, [*overrides, "hydra.job.name=capture"])  # a Hydra override sends it through Hydra
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0]["train"]["learning_rate"] == 5e-4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conf", "params.yaml"]  # Hydra wrote nothing


def test_multirun_runs_a_stage_once_per_value(tmp_path):
    import json
    import shutil
    import subprocess
    import sys

    shutil.copytree(ROOT / "conf", tmp_path / "conf")
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")

    def stage(*args):
        out = subprocess.run([sys.executable, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out

    stage(str(ROOT / "stages/clean.py"), f"data.raw={ROOT / 'data/sample'}")
    swept = stage(str(ROOT / "stages/group.py"), "-m", "group.max_turns=4,50")
    assert "#0 : group.max_turns=4" in swept.stdout and "#1 : group.max_turns=50" in swept.stdout
    last = json.loads((tmp_path / "metrics/group.json").read_text())
    stage(str(ROOT / "stages/group.py"), "group.max_turns=4")
    assert json.loads((tmp_path / "metrics/group.json").read_text()) != last  # the jobs really differed
    stage(str(ROOT / "stages/group.py"), "group.max_turns=50")
    assert json.loads((tmp_path / "metrics/group.json").read_text()) == last
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conf", "data", "metrics", "multirun", "params.yaml"]
