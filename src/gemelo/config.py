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
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(Path(conf_dir).resolve()), version_base=None):
            cfg = hydra_compose(config_name="config", overrides=list(overrides))
        return Params(OmegaConf.to_container(cfg, resolve=True))
    except (HydraException, OmegaConfBaseException) as e:
        first = " ".join(str(e).split("\n")[0].split())
        raise UserError(f"cannot compose conf/ with {' '.join(overrides) or 'no overrides'}: {first}") from None


def write_params(path: Path = PARAMS, overrides: Sequence[str] = (), conf_dir: Path = CONF) -> None:
    """Regenerate params.yaml from conf/ (run after editing conf/; a test fails when they disagree)."""
    cfg = compose(overrides, conf_dir)
    check(cfg, conf_dir)
    path.write_text(dump(cfg), encoding="utf-8")


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
    """Read params.yaml, apply `a.b=value` overrides given on the command line, and check the result against
    the settings conf/ knows (when the project's conf/ is beside params.yaml)."""
    import yaml

    if not path.exists():
        raise UserError(f"{path} not found: run the stages from the project root, or `gemelo params` to create it")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_loader()) or {}
    except yaml.YAMLError as e:
        raise UserError(f"{path} is not valid YAML ({' '.join(str(e).split())[:200]}): run `gemelo params`") from None
    cfg = override(Params(data), overrides)
    if (path.parent / CONF).is_dir():
        check(cfg, path.parent / CONF)
    return cfg


# The valid range of every numeric or enumerated setting ("model.*" is any model), checked before a stage
# starts work; chat.Sampling checks its values (which may come from the command line) with the same rules.
def _int(lo: int):
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= lo, f"a whole number of at least {lo}"


def _num(lo: float, hi: float = float("inf"), lo_open: bool = False, hi_open: bool = False):
    def ok(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        return (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if hi == float("inf"):
        return ok, f"a number {'greater than' if lo_open else 'of at least'} {lo:g}"
    lb, hb = "(" if lo_open else "[", ")" if hi_open else "]"
    return ok, f"a number in {lb}{lo:g}, {hi:g}{hb}"


def _bool():
    return lambda v: isinstance(v, bool), "true or false"


def _one_of(*values: str):
    return lambda v: v in values, "one of " + ", ".join(values)


_TRAIN = {"learning_rate": _num(0, lo_open=True), "epochs": _num(0, lo_open=True),
          "max_steps": (lambda v: isinstance(v, int) and not isinstance(v, bool) and (v == -1 or v >= 1),
                        "-1 (use epochs) or a whole number of at least 1"),
          "batch_size": _int(1), "grad_accum": _int(1), "warmup_ratio": _num(0, 1), "weight_decay": _num(0),
          "eval_steps": _int(1), "save_steps": _int(1), "logging_steps": _int(1), "seed": _int(0),
          "gradient_checkpointing": _bool(), "bf16": _bool(), "liger": _bool()}
RULES = {
    **{f"train.{k}": r for k, r in _TRAIN.items()}, **{f"model.*.train.{k}": r for k, r in _TRAIN.items()},
    "group.burst_gap_minutes": _num(0), "group.session_gap_minutes": _num(0, lo_open=True),
    "group.max_turns": _int(2), "group.validation": _num(0, 1, hi_open=True),
    "group.test": _num(0, 1, lo_open=True, hi_open=True),
    "model.*.format": _one_of("chat", "plain"), "model.*.method": _one_of("full", "lora", "qlora"),
    "model.*.dtype": _one_of("float32", "bfloat16", "float16"), "model.*.max_length": _int(16),
    "model.*.lora.r": _int(1), "model.*.lora.alpha": _num(0, lo_open=True),
    "model.*.lora.dropout": _num(0, 1, hi_open=True),
    "evaluate.batch_size": _int(1), "evaluate.bootstrap": _int(1),
    "chat.temperature": _num(0, 5), "chat.top_p": _num(0, 1, lo_open=True),
    "chat.repetition_penalty": _num(0, 10, lo_open=True),
    "chat.max_new_tokens": _int(1), "chat.seed": _int(0), "chat.samples": _int(1),
    "fidelity.distractors": _int(1), "fidelity.judge_context": _int(8), "fidelity.markers": _int(1),
}
FREE = ("model.*.template_kwargs",)  # the keys of a chat template's own switches are the template's business


def check_value(rule: str, value: Any, name: str | None = None) -> None:
    """One setting against its rule (as keyed in RULES); a value out of range is a one-line error."""
    ok, wants = RULES[rule]
    if not ok(value):
        raise UserError(f"{name or rule} must be {wants}, not {value!r}")


def _leaves(d: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v and not path.startswith(FREE):
            out.update(_leaves(v, path + "."))
        else:
            out[path] = v
    return out


def known_settings(conf_dir: Path = CONF) -> set[str]:
    """Every setting conf/ defines, with `model.*` for any model: read from conf/ itself, so that a setting
    is known as soon as it is written there."""
    import yaml

    base = yaml.load((conf_dir / "config.yaml").read_text(encoding="utf-8"), Loader=_loader()) or {}
    base.pop("defaults", None)
    known = set(_leaves(base))
    for f in sorted((conf_dir / "model").glob("*.yaml")):
        for settings in (yaml.load(f.read_text(encoding="utf-8"), Loader=_loader()) or {}).values():
            known |= {f"model.*.{k}" for k in _leaves(settings)}
    return known | {f"model.*.train.{k}" for k in _TRAIN} | {f"model.*.{k}" for k in FREE}


def check(cfg: Params, conf_dir: Path = CONF) -> None:
    """Stop in one line on a setting conf/ does not know (naming the closest known one), a setting missing
    from params.yaml, or a value out of its range."""
    import difflib

    known = known_settings(conf_dir)
    leaves = _leaves(plain(cfg))
    for key, value in leaves.items():
        parts = key.split(".")
        generic = ".".join(["model", "*", *parts[2:]]) if parts[0] == "model" and len(parts) > 2 else key
        if generic.startswith(tuple(f + "." for f in FREE)):
            continue
        if generic not in known:
            names = sorted(k.replace("model.*", ".".join(parts[:2])) for k in known)
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else "; the settings are listed in conf/config.yaml"
            raise UserError(f"unknown setting {key}{hint}")
        if generic in RULES:
            check_value(generic, value, key)
    missing = sorted(k for k in known if not k.startswith("model.") and k not in leaves)
    if missing:
        raise UserError(f"params.yaml lacks {missing[0]}: run `gemelo params` (or `make params`) to compose it "
                        "from conf/")
    if not cfg.model:
        raise UserError("no model selected: choose one or more in conf/config.yaml, "
                        "e.g. `gemelo params 'model=[smollm2_135m]'`")
    if not authors(cfg) or not all(authors(cfg)):
        raise UserError("data.author must name the person to clone (a name, or a list of the names they appear under)")
    if cfg.group.validation + cfg.group.test >= 1:
        raise UserError(f"group.validation + group.test must leave conversations to train on, not "
                        f"{cfg.group.validation} + {cfg.group.test}")


def model_config(cfg: Params, key: str) -> Params:
    """One model's settings, with its `train:` entries merged over the global `train:` defaults."""
    if key not in cfg.model:
        raise UserError(f"unknown model {key!r}; selected models: {', '.join(cfg.model)} (see conf/model/)")
    m = plain(cfg.model[key])
    m["train"] = {**plain(cfg.train), **(m.get("train") or {})}
    m["key"] = key
    return Params(m)


def own_train_settings(cfg: Params, key: str) -> str:
    """The model's own `train:` values that beat different global ones, as `max_steps=50 (global -1), …`."""
    own = cfg.model[key].get("train") or {}
    return ", ".join(f"{k}={v} (global {cfg.train[k]})" for k, v in own.items() if cfg.train.get(k, v) != v)


def authors(cfg: Params) -> list[str]:
    """The author's names as a list (the config may give one name or several)."""
    a = cfg.data.author
    if a is None:
        return []
    return [str(a)] if isinstance(a, str) else [str(x) for x in a]
