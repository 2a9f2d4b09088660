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
