"""Shared helpers for test_training.py and test_evaluation.py: tiny models, hand-made chats, a tmp project.

Nothing here downloads anything: every model is a tiny random one (`tiny:<arch>`) built into a temporary
GEMELO_CACHE, and the tokenizer is trained locally on a few sentences. Test modules use the fixtures by
importing them (`from _tiny import gemelo_cache, tiny_project`); there is deliberately no conftest.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

from gemelo.config import Params, dump, override, plain

ROOT = Path(__file__).resolve().parents[1]
SEP = "<|msg_sep|>"
AUTHOR = "Martu"

LORA = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": "all-linear"}

# A few hand-made conversations: the author (Martu) and friends, one group chat, bursts joined by the separator.
_CHATS = [
    [("Flor", "hola che como andas"), (AUTHOR, f"todo bien{SEP}vos?"), ("Flor", "re bien jajaja")],
    [(AUTHOR, "nos vemos mañana?"), ("Flor", "dale"), (AUTHOR, f"genial{SEP}llevo el mate")],
    [("Juan", "¿Cómo estás?"), (AUTHOR, "bien, en la facultad"), ("Juan", "qué bueno"), (AUTHOR, "posta 😂")],
    [("Flor", "viste el colectivo"), ("Juan", "un desastre"), (AUTHOR, f"jajaja{SEP}boluda{SEP}re lindo igual")],
    [(AUTHOR, "amiga"), ("Flor", "qué onda"), (AUTHOR, "tal vez vamos a comer")],
    [("Juan", "Hello, how are you?"), (AUTHOR, "Fine thanks :)")],
    [("Flor", "el trabajo?"), (AUTHOR, f"no{SEP}mañana"), ("Flor", "¡Qué bueno!"), (AUTHOR, "sí ✨")],
    [(AUTHOR, "che 0123456789"), ("Juan", "dale"), (AUTHOR, "🙌")],
]


def conversations() -> dict[str, list[dict]]:
    """8 train, 2 validation and 3 test conversations, as the group stage writes them."""
    convs = []
    for i, turns in enumerate(_CHATS + _CHATS[:5]):
        speakers = {a for a, _ in turns}
        convs.append({"chat": f"chat{i % 3}", "group": len(speakers) > 2,
                      "turns": [{"author": a, "text": t, "ts": f"2023-01-{i + 1:02d}T10:0{k}:00"}
                                for k, (a, t) in enumerate(turns)]})
    return {"train": convs[:8], "validation": convs[8:10], "test": convs[10:]}


@lru_cache(maxsize=None)
def _composed() -> dict:
    from gemelo.config import compose

    return plain(compose(["model=[tiny]"], conf_dir=ROOT / "conf"))


def tiny_cfg(overrides=()):
    """The pipeline's config with `model=[tiny]`, composed from conf/ as `gemelo params 'model=[tiny]'` does."""
    return override(Params(_composed()), overrides)


def tiny_mcfg(overrides=(), **model):
    """The tiny model's settings (train defaults merged), with entries of `model.tiny` replaced by **model."""
    from gemelo.config import model_config

    cfg = tiny_cfg(overrides)
    for k, v in model.items():
        cfg.model.tiny[k] = v
    return model_config(cfg, "tiny")


def tokenizer_with_separator():
    """The tiny tokenizer with the separator added, as load_tokenizer does for every model."""
    from gemelo.models import tiny_tokenizer

    tok = tiny_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": [SEP]}, replace_extra_special_tokens=False)
    return tok


def tiny_format(kind: str = "chat", system_prompt: str | None = None):
    """The tiny model's ChatFormat, built as the format stage builds it (chat template, or the plain format)."""
    from gemelo.formatting import ChatFormat, settings

    cfg = tiny_cfg([f"format.system_prompt={system_prompt}"] if system_prompt is not None else [])
    return ChatFormat(tokenizer_with_separator(), **settings(cfg, tiny_mcfg(format=kind), AUTHOR))


def in_vocab_config(arch: str, vocab_size: int):
    """gemelo.models.tiny_config, with special-token ids that lie outside the tiny vocabulary cleared.

    tiny_config keeps the architectures' default pad/bos/eos ids (Phi-3: pad 32000; SmolLM3: pad 128004),
    which are out of range for a 401-token vocabulary: nn.Embedding(padding_idx=...) then fails. See
    test_training.test_tiny_config_builds_every_architecture.
    """
    from gemelo.models import tiny_config

    config = tiny_config(arch, vocab_size)
    for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
        value = getattr(config, name, None)
        if isinstance(value, int) and not 0 <= value < vocab_size:
            setattr(config, name, None)
    return config


def write_project(path: Path, overrides=()) -> Path:
    """A project folder: params.yaml (model=[tiny]), the conversations, and data/processed/tiny from the format stage."""
    from gemelo.formatting import format_stage
    from gemelo.pipeline import CONVERSATIONS, write_jsonl

    path.mkdir(parents=True, exist_ok=True)
    (path / "params.yaml").write_text(dump(_composed()), encoding="utf-8")
    with contextlib.chdir(path):
        for split, convs in conversations().items():
            write_jsonl(CONVERSATIONS / f"{split}.jsonl", convs)
        format_stage(tiny_cfg(overrides), "tiny")
    return path


def copy_project(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest, dirs_exist_ok=True)
    return dest


@pytest.fixture(scope="session", autouse=True)
def gemelo_cache(tmp_path_factory):
    """Tiny models are built into a temporary cache, never ~/.cache; the hub is never contacted."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEMELO_CACHE", str(tmp_path_factory.mktemp("gemelo_cache")))
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
            mp.setenv(var, "1")
        mp.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf_home")))
        mp.setenv("TOKENIZERS_PARALLELISM", "false")
        # every MLflow store is named explicitly (mlflow.tracking_uri override); none comes from the environment
        for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "DVC_ROOT", "MLFLOW_TRACKING_URI"):
            mp.delenv(var, raising=False)
        yield Path(os.environ["GEMELO_CACHE"])


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory, gemelo_cache) -> Path:
    """A prepared project (params.yaml + data/processed/tiny), built once; copy it before writing to it."""
    return write_project(tmp_path_factory.mktemp("template"))


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
