"""What the pipeline's stages share: where their files live, how they are written, and how a stage starts.

Each stage is a function of the composed config in the module named for what it does (`formatting.
format_stage`, `training.finetune_stage`, ...), and each `stages/<name>.py` is a script that calls `run`
with it. So a stage depends on the modules it uses and on this small one, not on every other stage's code.
Stages run by hand from the project root with Hydra-style overrides:
`python stages/finetune.py tiny train.max_steps=5`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

from gemelo import UserError
from gemelo.config import load

MESSAGES = Path("data/interim/messages.jsonl")
CONVERSATIONS = Path("data/interim/conversations")
PROCESSED = Path("data/processed")
MODELS = Path("models")
CHECKPOINTS = Path("checkpoints")
METRICS = Path("metrics")


def write_bytes(path: Path, *chunks: bytes | memoryview) -> None:
    """Write through a temporary file, so that a stage stopped halfway leaves no half-written output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as f:
        f.writelines(chunks)
    tmp.replace(path)


def write_json(path: Path, obj) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: json.dumps would build one per row


def write_jsonl(path: Path, rows: list[dict]) -> None:
    write_bytes(path, "".join(map("{}\n".format, map(ENCODE, rows))).encode("utf-8", "surrogatepass"))


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise UserError(f"{path} not found: run the earlier stages first (`dvc repro`)")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def run(stage: Callable, argv: list[str] | None = None) -> None:
    """Entry point of a stage script: `[MODEL] [key=value ...]`; user errors end in one line, exit 2."""
    argv = sys.argv[1:] if argv is None else argv
    keys = [a for a in argv if "=" not in a]
    wanted = stage.__code__.co_argcount - 1  # the model key, for per-model stages
    try:
        if len(keys) != wanted:
            usage = "MODEL " if wanted else ""
            raise UserError(f"usage: {sys.argv[0]} {usage}[key=value ...], got {' '.join(argv) or 'nothing'}")
        cfg = load([a for a in argv if "=" in a])
        stage(cfg, *keys)
    except UserError as e:
        print(f"gemelo: error: {e}", file=sys.stderr)
        sys.exit(2)
