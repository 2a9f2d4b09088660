"""¿Quién lo escribió? A blind test of a twin by people, on this machine only.

A person sees a held-out context (from the samples stage) and two replies, the author's real one and the
fine-tuned twin's, in random order, and picks the one they think is real. Each answer is appended to
metrics/blind/answers.jsonl (which context, which side was real, which was picked: no chat text; git-ignored,
never uploaded), and metrics/blind/summary.json holds, per model, the share of correct guesses with a Wilson
95% interval: about 50% means people cannot tell the twin from the author, 100% that they always can.
"""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timezone
from pathlib import Path

FOLDER = Path("metrics/blind")


def pairs(metrics: Path = Path("metrics")) -> dict[str, list[dict]]:
    """Per model: the samples stage's contexts where the real and the twin's reply both say something and differ."""
    out = {}
    for f in sorted((metrics / "samples").glob("*.json")):
        rows = json.loads(f.read_text(encoding="utf-8"))
        usable = [{"index": i, **r} for i, r in enumerate(rows) if r["real"] and r["finetuned"] and r["real"] != r["finetuned"]]
        if usable:
            out[f.stem] = usable
    return out


def deal(rows: list[dict], rng: random.Random) -> dict:
    """One question: a context and its two replies, the real one on a random side."""
    row = rng.choice(rows)
    real_side = rng.choice("AB")
    a, b = (row["real"], row["finetuned"]) if real_side == "A" else (row["finetuned"], row["real"])
    return {"index": row["index"], "history": row["history"], "A": a, "B": b, "real_side": real_side}


def wilson(correct: int, n: int) -> list[float]:
    """The Wilson score 95% interval of a share: honest with few answers and at 0% or 100%."""
    if n == 0:
        return [math.nan, math.nan]
    z, p = 1.96, correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [max(0.0, centre - half), min(1.0, centre + half)]


def summarize(answers: list[dict]) -> dict[str, dict]:
    """Per model: answers, the share of correct guesses (the twin spotted) and its interval."""
    out = {}
    for key in sorted({a["model"] for a in answers}):
        hits = [a["correct"] for a in answers if a["model"] == key]
        out[key] = {"answers": len(hits), "correct": sum(hits) / len(hits), "correct_ci95": wilson(sum(hits), len(hits))}
    return out


def record(key: str, question: dict, picked: str, folder: Path = FOLDER) -> dict[str, dict]:
    """Append one answer and rewrite the summary; returns the summary."""
    from gemelo.pipeline import write_json

    folder.mkdir(parents=True, exist_ok=True)
    answer = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "model": key,
              "context": question["index"], "real_side": question["real_side"], "picked": picked,
              "correct": picked == question["real_side"]}
    with (folder / "answers.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(answer) + "\n")
    summary = summarize(read_answers(folder))
    write_json(folder / "summary.json", summary)
    return summary


def read_answers(folder: Path = FOLDER) -> list[dict]:
    f = folder / "answers.jsonl"
    return [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line] if f.exists() else []


def read_summary(folder: Path = FOLDER) -> dict[str, dict]:
    f = folder / "summary.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.exists() else {}
