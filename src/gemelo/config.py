"""Configuration: `conf/` (Hydra) is composed into `params.yaml`, which every stage reads.

DVC composes `conf/` itself on `dvc exp run` (hydra.enabled) but `dvc repro` reads `params.yaml` as it
is, so the stages read `params.yaml` and accept Hydra-style `key=value` overrides for quick runs by hand.
params.yaml is composed and resolved already, so a stage reads it with PyYAML's C loader into `Params`;
Hydra and OmegaConf, which take some 50 ms to import, are needed only to compose conf/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from gemelo import UserError

PARAMS = Path("params.yaml")
CONF = Path("conf")


class Params(dict):
    """A config read from YAML: a dict whose keys also read as attributes (`cfg.train.seed`)."""

    def __init__(self, data: dict | None = None):
        super().__init__({k: _wrap(v) for k, v in (data or {}).items()})

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, _wrap(value))

    __setattr__ = __setitem__


def _wrap(v: Any) -> Any:
    if isinstance(v, dict) and not isinstance(v, Params):
        return Params(v)
    return [_wrap(x) for x in v] if isinstance(v, list) else v


def plain(cfg: Any) -> Any:
    """Params as plain dicts and lists (for JSON, YAML and MLflow)."""
    if isinstance(cfg, dict):
        return {k: plain(v) for k, v in cfg.items()}
    return [plain(x) for x in cfg] if isinstance(cfg, list) else cfg


def compose(overrides: Sequence[str] = (), conf_dir: Path = CONF) -> Params:
    """Compose `conf/config.yaml` exactly as `dvc exp run` does (initialize_config_dir + compose + resolve)."""
    from hydra import compose as hydra_compose, initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=str(Path(conf_dir).resolve()), version_base=None):
        cfg = hydra_compose(config_name="config", overrides=list(overrides))
    return Params(OmegaConf.to_container(cfg, resolve=True))


def write_params(path: Path = PARAMS, overrides: Sequence[str] = (), conf_dir: Path = CONF) -> None:
    """Regenerate params.yaml from conf/ (run after editing conf/; a test fails when they disagree)."""
    path.write_text(dump(compose(overrides, conf_dir)), encoding="utf-8")


def dump(cfg: Params) -> str:
    """The YAML text of a config, as params.yaml holds it."""
    import yaml

    return yaml.safe_dump(plain(cfg), sort_keys=False, allow_unicode=True)


def _loader() -> type:
    """PyYAML's safe loader (in C where built so), reading values as OmegaConf does: `1e-4` is a number (YAML
    1.1 wants a dot in a float), `2023-01-01` a string (not a date)."""
    import re

    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        yaml_implicit_resolvers = {
            first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

    exponent = re.compile(r"^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", exponent, list("-+0123456789."))
    return Loader


def override(cfg: Params, overrides: Sequence[str]) -> Params:
    """Apply `a.b=value` overrides in place, values read as YAML (`x=[a, b]` is a list); returns cfg."""
    import yaml

    for o in overrides:
        key, sep, value = o.partition("=")
        if not sep or not key:
            raise UserError(f"overrides must look like key=value, got {o!r}")
        *parents, last = key.split(".")
        node = cfg
        for k in parents:
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        node[last] = yaml.load(value, Loader=_loader()) if value else ""
    return cfg


def load(overrides: Sequence[str] = (), path: Path = PARAMS) -> Params:
    """Read params.yaml and apply `a.b=value` overrides given on the command line."""
    import yaml

    if not path.exists():
        raise UserError(f"{path} not found: run the stages from the project root, or `gemelo params` to create it")
    return override(Params(yaml.load(path.read_text(encoding="utf-8"), Loader=_loader()) or {}), overrides)


def model_config(cfg: Params, key: str) -> Params:
    """One model's settings, with its `train:` entries merged over the global `train:` defaults."""
    if key not in cfg.model:
        raise UserError(f"unknown model {key!r}; selected models: {', '.join(cfg.model)} (see conf/model/)")
    m = plain(cfg.model[key])
    m["train"] = {**plain(cfg.train), **(m.get("train") or {})}
    m["key"] = key
    return Params(m)


def authors(cfg: Params) -> list[str]:
    """The author's names as a list (the config may give one name or several)."""
    a = cfg.data.author
    return [str(a)] if isinstance(a, str) else [str(x) for x in a]
