"""The pipeline's stages as functions of the composed config: the files they read and write.

Each `stages/<name>.py` is a two-line script that calls `run` with one of these. They can be run by hand
from the project root with Hydra-style overrides: `python stages/finetune.py tiny train.max_steps=5`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

from gemelo import UserError
from gemelo.config import authors, load, model_config

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


def clean(cfg) -> None:
    from gemelo.cleaning import clean_path

    jsonl, metrics = clean_path(cfg.data.raw, authors(cfg), dict(cfg.data.redact), jobs=2)
    write_bytes(MESSAGES, *jsonl)
    write_json(METRICS / "data.json", metrics)


def group(cfg) -> None:
    from gemelo.grouping import group as group_messages

    splits, metrics = group_messages(read_jsonl(MESSAGES), authors(cfg)[0], cfg.group)
    if not splits["train"]:
        raise UserError("no conversation with the author left to train on: check data.author and group settings")
    for name, convs in splits.items():
        write_jsonl(CONVERSATIONS / f"{name}.jsonl", convs)
    write_json(METRICS / "group.json", metrics)


def format_(cfg, key: str) -> None:
    from datasets import Dataset, DatasetDict

    from gemelo.formatting import examples
    from gemelo.models import load_tokenizer

    mcfg = model_config(cfg, key)
    tokenizer = load_tokenizer(mcfg, cfg.group.separator)
    author = authors(cfg)[0]
    parts, counts = {}, {}
    for split in ("train", "validation", "test"):
        rows = []
        for i, conv in enumerate(read_jsonl(CONVERSATIONS / f"{split}.jsonl")):
            rows += examples(conv, i, tokenizer, author, mcfg, cfg.format.system_prompt, cfg.group.separator)
        columns = ["input_ids", "labels", "conv_id", "length", "reply_bytes", "reply_words"]
        parts[split] = Dataset.from_dict({c: [r[c] for r in rows] for c in columns})
        counts[split] = {"examples": len(rows), "tokens": sum(r["length"] for r in rows),
                         "trained_tokens": sum(sum(x != -100 for x in r["labels"]) for r in rows)}
    DatasetDict(parts).save_to_disk(str(PROCESSED / key))
    write_json(METRICS / "tokens" / f"{key}.json", counts)


def finetune(cfg, key: str) -> None:
    from gemelo.tracking import run as tracked
    from gemelo.training import finetune as train

    mcfg = model_config(cfg, key)
    with tracked(cfg, key, "finetune") as active:
        metrics = train(cfg, mcfg, PROCESSED / key, MODELS / key, CHECKPOINTS / key,
                        run_id=active.info.run_id if active else None)
        if active:
            import mlflow

            mlflow.log_metrics({f"final_{k}": float(v) for k, v in metrics.items()})
            print(json.dumps(metrics))


def perplexity(cfg, key: str) -> None:
    from datasets import load_from_disk

    from gemelo.evaluation import evaluate
    from gemelo.models import load_trained
    from gemelo.tracking import run as tracked

    model_config(cfg, key)
    test = load_from_disk(str(PROCESSED / key))["test"]
    if len(test) == 0:
        raise UserError("the test split is empty: the chats are too short to hold out conversations")
    args = dict(batch_size=cfg.evaluate.batch_size, n_boot=cfg.evaluate.bootstrap, seed=cfg.train.seed)
    tuned, _, info = load_trained(MODELS / key)
    tuned_scores = evaluate(tuned, test, **args)
    del tuned  # one model in memory at a time
    result = {"base": evaluate(load_trained(MODELS / key, base=True)[0], test, **args), "finetuned": tuned_scores}
    write_json(METRICS / "perplexity" / f"{key}.json", result)
    with tracked(cfg, key, "perplexity", run_id=info.get("mlflow_run_id")) as active:
        if active:
            import mlflow

            mlflow.log_metrics({f"{v}_{m}": result[v][m] for v in result for m in ("ppl", "bpb", "word_ppl")})
    print(json.dumps(result))


def side_by_side_rows(cfg, key: str, prompts_file: str | None = None) -> list[dict]:
    """The author's real reply, the base model's and the fine-tuned one's, for held-out prompts (or for
    the lines of the user's own prompts file)."""
    from gemelo.chat import Sampling, Twin, held_out_prompts, side_by_side

    model_config(cfg, key)
    if prompts_file:
        if not Path(prompts_file).is_file():
            raise UserError(f"prompts file {prompts_file} not found")
        lines = Path(prompts_file).read_text(encoding="utf-8").splitlines()
        prompts = [{"history": [{"role": "user", "content": p}], "real": ""} for p in lines if p.strip()]
    else:
        prompts = held_out_prompts(read_jsonl(CONVERSATIONS / "test.jsonl"), authors(cfg)[0], cfg.chat.samples)
    tuned = Twin.load(str(MODELS / key))
    return side_by_side(tuned, Twin.load(str(MODELS / key), base=True), prompts, Sampling.from_config(cfg.chat))


def samples(cfg, key: str) -> None:
    """The samples stage: side-by-side replies to metrics/samples/<key>.json (kept out of git by DVC)."""
    from gemelo.chat import samples_markdown
    from gemelo.tracking import run as tracked

    rows = side_by_side_rows(cfg, key)
    write_json(METRICS / "samples" / f"{key}.json", rows)
    if not cfg.mlflow.log_text:  # chat text stays on this machine's disk unless the user opts in
        return
    info = json.loads((MODELS / key / "gemelo.json").read_text(encoding="utf-8"))
    with tracked(cfg, key, "samples", run_id=info.get("mlflow_run_id")) as active:
        if active:
            import mlflow

            mlflow.log_text(samples_markdown({key: rows}, authors(cfg)[0], cfg.group.separator), "samples.md")


def fidelity(cfg, key: str) -> None:
    """How much the replies of the samples stage read like the author's, to metrics/fidelity/<key>.json."""
    from gemelo.fidelity import fidelity as measure, summary
    from gemelo.tracking import run as tracked

    model_config(cfg, key)
    samples_file = METRICS / "samples" / f"{key}.json"
    if not samples_file.exists():
        raise UserError(f"{samples_file} not found: run the samples stage first (`dvc repro samples@{key}`)")
    rows = json.loads(samples_file.read_text(encoding="utf-8"))
    result = measure(rows, read_jsonl(CONVERSATIONS / "train.jsonl"), authors(cfg)[0], cfg.group.separator,
                     seed=cfg.train.seed)
    result["summary"] = summary(result)
    write_json(METRICS / "fidelity" / f"{key}.json", result)
    info = json.loads((MODELS / key / "gemelo.json").read_text(encoding="utf-8"))
    with tracked(cfg, key, "fidelity", run_id=info.get("mlflow_run_id")) as active:
        if active:
            import mlflow

            mlflow.log_metrics({f"fidelity_{k}": v for k, v in result["summary"].items() if isinstance(v, float)})


def compare(cfg) -> None:
    from gemelo.comparison import write_comparison

    from gemelo.chat import samples_markdown

    write_comparison(sorted(cfg.model), METRICS)
    rows = {k: json.loads(f.read_text(encoding="utf-8")) for k in sorted(cfg.model)
            if (f := METRICS / "samples" / f"{k}.json").exists()}
    (METRICS / "samples.md").write_text(samples_markdown(rows, authors(cfg)[0], cfg.group.separator), encoding="utf-8")


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
