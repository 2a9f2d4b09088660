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

from gemelo import UserError, disk_full
from gemelo.config import load

MESSAGES = Path("data/interim/messages.jsonl")
CONVERSATIONS = Path("data/interim/conversations")
PROCESSED = Path("data/processed")
MODELS = Path("models")
CHECKPOINTS = Path("checkpoints")
METRICS = Path("metrics")


TMP = ".tmp"  # what a stage writes its outputs under before renaming them into place


def write_bytes(path: Path, *chunks: bytes | memoryview) -> None:
    """Write through a temporary file, so that a stage stopped halfway leaves no half-written output (and a
    failed write no temporary: it may hold chat text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + TMP)
    try:
        with tmp.open("wb") as f:
            f.writelines(chunks)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale_temporaries() -> None:
    """Temporaries a killed stage left (kill -9 leaves no chance to clean up): removed before a stage starts.
    DVC runs one stage at a time in a workspace, so none of them is being written."""
    import shutil

    for folder in (MESSAGES.parent, PROCESSED, MODELS, METRICS):
        for stale in folder.glob(f"**/*{TMP}") if folder.is_dir() else ():
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)


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


def _stop(signum: int, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds, so that temporaries are removed on the way out


# What sends a stage run by hand to Hydra: its flags (--help, --cfg job, -m, ...) and its own override forms.
HYDRA_ARGS = ("-", "hydra.", "hydra/", "+", "~")
# Jobs run in the project root and Hydra writes no .hydra/ or log files; a sweep leaves only its record,
# multirun/multirun.yaml (git-ignored).
HYDRA_QUIET = ["hydra.run.dir=.", "hydra.sweep.dir=multirun", "hydra.sweep.subdir=.", "hydra.output_subdir=null",
               "hydra/job_logging=none"]


def run(stage: Callable, argv: list[str] | None = None) -> None:
    """Entry point of a stage script: `[MODEL] [key=value ...]`; user errors end in one line, exit 2.

    The stage is a Hydra app whose primary config is params.yaml, the composed parameters DVC reads:
    `--help`, `--cfg job`, `-m key=a,b` (one job per value) and every Hydra override work by hand. Run as DVC
    runs it (a model key and plain key=value overrides at most), it reads params.yaml with PyYAML instead,
    which starts in hundredths of a second rather than tenths; both read the same values (a test checks).
    """
    argv = sys.argv[1:] if argv is None else argv
    wanted = stage.__code__.co_argcount - 1  # the model key, for per-model stages
    keys = [a for a in argv[:wanted] if "=" not in a and not a.startswith(HYDRA_ARGS)]
    rest = argv[len(keys):]
    if any(a.startswith(HYDRA_ARGS) for a in rest):
        _hydra(stage, keys, rest)
    else:
        _guarded(stage, argv, lambda: load([a for a in rest if "=" in a]), [a for a in argv if "=" not in a])


def _guarded(stage: Callable, argv: list[str], config: Callable, keys: list[str]) -> None:
    """Run the stage on the config: user errors, a full disk and SIGTERM end it in one line."""
    import signal

    signal.signal(signal.SIGTERM, _stop)
    wanted = stage.__code__.co_argcount - 1
    try:
        if len(keys) != wanted:
            usage = "MODEL " if wanted else ""
            raise UserError(f"usage: {sys.argv[0]} {usage}[key=value ...], got {' '.join(argv) or 'nothing'}")
        cfg = config()
        remove_stale_temporaries()
        stage(cfg, *keys)
    except UserError as e:
        _fail(e)
    except OSError as e:
        if (full := disk_full(e)) is None:
            raise
        _fail(full)


def _fail(error: UserError) -> None:
    print(f"gemelo: error: {error}", file=sys.stderr)
    sys.exit(2)


def _hydra(stage: Callable, keys: list[str], args: list[str]) -> None:
    """The stage as a Hydra app on params.yaml; each job (one, or one per value under -m) runs the stage."""
    import hydra
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    from gemelo.config import CONF, PARAMS, Params, check, plain

    try:
        params = load()
    except UserError as e:
        _fail(e)
    # params.yaml as Hydra's primary config, kept in memory (a config folder would make groups of the whole tree)
    ConfigStore.instance().store(name="params", node=OmegaConf.create(plain(params)))

    @hydra.main(config_path=None, config_name="params", version_base=None)
    def job(hcfg) -> None:
        def config() -> Params:
            cfg = Params(OmegaConf.to_container(hcfg, resolve=True))
            if CONF.is_dir():
                check(cfg, CONF)
            return cfg
        _guarded(stage, keys, config, keys)  # without a model key: a usage error, as by DVC's path

    sys.argv = [sys.argv[0], *args, *HYDRA_QUIET, f"hydra.job.name={Path(sys.argv[0]).stem}"]
    job()
