"""Configuration: `conf/` (Hydra) is composed into `params.yaml`, which every stage reads.

DVC composes `conf/` itself on `dvc exp run` (hydra.enabled) but `dvc repro` reads `params.yaml` as it
is, so the stages read `params.yaml` and accept Hydra-style `key=value` overrides for quick runs by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig, OmegaConf

from gemelo import UserError

PARAMS = Path("params.yaml")
CONF = Path("conf")


def compose(overrides: Sequence[str] = (), conf_dir: Path = CONF) -> DictConfig:
    """Compose `conf/config.yaml` exactly as `dvc exp run` does (initialize_config_dir + compose + resolve)."""
    from hydra import compose as hydra_compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(Path(conf_dir).resolve()), version_base=None):
        cfg = hydra_compose(config_name="config", overrides=list(overrides))
    OmegaConf.resolve(cfg)
    return cfg


def write_params(path: Path = PARAMS, overrides: Sequence[str] = (), conf_dir: Path = CONF) -> None:
    """Regenerate params.yaml from conf/ (run after editing conf/; a test fails when they disagree)."""
    path.write_text(OmegaConf.to_yaml(compose(overrides, conf_dir)), encoding="utf-8")


def load(overrides: Sequence[str] = (), path: Path = PARAMS) -> DictConfig:
    """Read params.yaml and apply `a.b=value` overrides given on the command line."""
    if not path.exists():
        raise UserError(f"{path} not found: run the stages from the project root, or `gemelo params` to create it")
    cfg = OmegaConf.load(path)
    bad = [o for o in overrides if "=" not in o]
    if bad:
        raise UserError(f"overrides must look like key=value, got {bad[0]!r}")
    return OmegaConf.merge(cfg, OmegaConf.from_dotlist(list(overrides)))


def model_config(cfg: DictConfig, key: str) -> DictConfig:
    """One model's settings, with its `train:` entries merged over the global `train:` defaults."""
    if key not in cfg.model:
        raise UserError(f"unknown model {key!r}; selected models: {', '.join(cfg.model)} (see conf/model/)")
    m = OmegaConf.to_container(cfg.model[key], resolve=True)
    m["train"] = OmegaConf.to_container(OmegaConf.merge(cfg.train, m.get("train") or {}))
    m["key"] = key
    return OmegaConf.create(m)


def authors(cfg: DictConfig) -> list[str]:
    """The author's names as a list (the config may give one name or several)."""
    a = cfg.data.author
    return [str(a)] if isinstance(a, str) else [str(x) for x in a]
