"""Persona fidelity: how much a model's replies read like the author's, beyond perplexity.

A style profile summarises a set of replies (each reply a burst of messages); distances compare the
profile of the author's real held-out replies with a model's replies to the same contexts; and an
author-attribution classifier (character n-grams, trained on the training split only) says how often a
reply would pass as the author's.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")
LAUGH = re.compile(r"\b(?:(?:j+[aeiosu]+){2,}j*|(?:ja){1,}j+s+[js]*|(?:js){2,}j?|(?:h+a+){2,}h?|x+d+|(?:je){2,})\b",
                   re.IGNORECASE)
WORD = re.compile(r"\w+", re.UNICODE)
# Abbreviations and spellings typical of written rioplatense Spanish (and of the sample's author).
SPELLINGS = {"q", "xq", "pq", "tmb", "tb", "bldo", "bld", "re", "posta", "dale", "che", "nada", "ntp", "tqm",
             "bue", "nah", "x", "k", "ke", "d", "msj", "finde", "onda"}


def laugh_form(text: str) -> str:
    """jaja, jsjs, haha, xd or jeje: the family of a laugh, whatever its length or case."""
    t = text.lower()
    if "s" in t and t.startswith("j"):
        return "jsjs"
    for form in ("xd", "haha", "jeje"):
        if t[0] == form[0] and t[1] == form[1]:
            return form
    return "jaja"


def profile(replies: list[list[str]]) -> dict:
    """The style of a set of replies; every rate is per message unless its name says otherwise."""
    messages = [m for r in replies for m in r]
    n = max(len(messages), 1)
    words = [w.lower() for m in messages for w in WORD.findall(m)]
    emojis = [e for m in messages for e in EMOJI.findall(m) if e != "\ufe0f"]
    letters = [m.strip()[0] for m in messages if m.strip() and m.strip()[0].isalpha()]
    questions = [m for m in messages if "?" in m]
    exclaims = [m for m in messages if "!" in m]
    laughs = [laugh_form(x) for m in messages for x in LAUGH.findall(m)]
    bigrams = list(zip(words, words[1:]))
    return {
        "replies": len(replies),
        "messages": len(messages),
        "chars": [len(m) for m in messages],
        "words": [len(WORD.findall(m)) for m in messages],
        "messages_per_reply": [len(r) for r in replies],
        "emoji_rate": len(emojis) / n,
        "top_emoji": [e for e, _ in Counter(emojis).most_common(5)],
        "lowercase_start": sum(c.islower() for c in letters) / max(len(letters), 1),
        "laugh_rate": sum(bool(LAUGH.search(m)) for m in messages) / n,
        "laugh_forms": dict(Counter(laughs).most_common()),
        "question_rate": len(questions) / n,
        "opening_question_mark": sum("¿" in m for m in questions) / max(len(questions), 1),
        "exclamation_rate": len(exclaims) / n,
        "opening_exclamation_mark": sum("¡" in m for m in exclaims) / max(len(exclaims), 1),
        "final_period_rate": sum(m.rstrip().endswith(".") for m in messages) / n,
        "spelling_rate": sum(w in SPELLINGS for w in words) / max(len(words), 1),
        "distinct_1": len(set(words)) / max(len(words), 1),
        "distinct_2": len(set(bigrams)) / max(len(bigrams), 1),
        "top_words": [w for w, _ in Counter(words).most_common(10)],
    }


def ngrams(replies: list[list[str]], kind: str) -> Counter:
    if kind == "word":
        return Counter(w.lower() for r in replies for m in r for w in WORD.findall(m))
    return Counter(m[i:i + 3] for r in replies for m in r for i in range(max(len(m) - 2, 0)))


def jensen_shannon(p: Counter, q: Counter) -> float:
    """Jensen–Shannon divergence in bits (0: same distribution, 1: nothing in common)."""
    keys = list(set(p) | set(q))
    if not keys:
        return 0.0
    a = np.array([p[k] for k in keys], dtype=float)
    b = np.array([q[k] for k in keys], dtype=float)
    if a.sum() == 0 or b.sum() == 0:
        return 1.0
    a, b = a / a.sum(), b / b.sum()
    m = (a + b) / 2

    def kl(x, y):
        nz = x > 0
        return float(np.sum(x[nz] * np.log2(x[nz] / y[nz])))

    return (kl(a, m) + kl(b, m)) / 2


def wasserstein(x: list[float], y: list[float]) -> float:
    """Earth mover's distance between two samples of a length distribution (in their unit)."""
    if not x or not y:
        return math.nan
    support = np.sort(np.concatenate([x, y]))
    fx = np.searchsorted(np.sort(x), support[:-1], side="right") / len(x)
    fy = np.searchsorted(np.sort(y), support[:-1], side="right") / len(y)
    return float(np.sum(np.abs(fx - fy) * np.diff(support)))


RATES = ("emoji_rate", "lowercase_start", "laugh_rate", "question_rate", "opening_question_mark",
         "exclamation_rate", "opening_exclamation_mark", "final_period_rate", "spelling_rate",
         "distinct_1", "distinct_2")


def distances(real: list[list[str]], generated: list[list[str]]) -> dict:
    """How far generated replies are from the real ones; 0 everywhere means indistinguishable style."""
    pr, pg = profile(real), profile(generated)
    out = {
        "jsd_words": jensen_shannon(ngrams(real, "word"), ngrams(generated, "word")),
        "jsd_char3": jensen_shannon(ngrams(real, "char"), ngrams(generated, "char")),
        "wasserstein_chars": wasserstein(pr["chars"], pg["chars"]),
        "wasserstein_words": wasserstein(pr["words"], pg["words"]),
        "wasserstein_messages_per_reply": wasserstein(pr["messages_per_reply"], pg["messages_per_reply"]),
    }
    out.update({f"diff_{k}": abs(pr[k] - pg[k]) for k in RATES})
    return out


class Attributor:
    """Author or not, from character n-grams: trained on the training split's messages only."""

    def __init__(self, seed: int = 0):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), min_df=2, sublinear_tf=True),
                                   LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed))

    def fit(self, texts: list[str], is_author: list[bool]) -> "Attributor":
        self.model.fit(texts, is_author)
        return self

    def author_rate(self, replies: list[list[str]]) -> float:
        """Share of replies (a burst read as one text) attributed to the author."""
        texts = [" ".join(r) for r in replies if r]
        return float(np.mean(self.model.predict(texts))) if texts else math.nan


def training_texts(conversations: list[dict], author: str, separator: str) -> tuple[list[str], list[bool]]:
    """Every turn of the training conversations as one text (a burst joined by spaces), labelled by author."""
    texts, labels = [], []
    for conv in conversations:
        for t in conv["turns"]:
            texts.append(" ".join(m for m in t["text"].split(separator)))
            labels.append(t["author"] == author)
    return texts, labels


def fidelity(samples: list[dict], train_convs: list[dict], author: str, separator: str, seed: int = 0) -> dict:
    """Profiles, distances and attribution for the real replies and each model's, from the samples stage."""
    real = [s["real"] for s in samples]
    texts, labels = training_texts(train_convs, author, separator)
    judge = Attributor(seed).fit(texts, labels)
    result = {"real": {"profile": profile(real), "attributed_to_author": judge.author_rate(real)}}
    for variant in ("base", "finetuned"):
        generated = [s[variant] for s in samples]
        result[variant] = {"profile": profile(generated), "attributed_to_author": judge.author_rate(generated),
                           "distances": distances(real, generated)}
    return result


def summary(result: dict) -> dict:
    """The figures for the comparison table: attribution, and the mean of the bounded distances."""
    out = {"real_attributed": result["real"]["attributed_to_author"]}
    for v in ("base", "finetuned"):
        d = result[v]["distances"]
        out[f"{v}_attributed"] = result[v]["attributed_to_author"]
        out[f"{v}_jsd_words"] = d["jsd_words"]
        out[f"{v}_jsd_char3"] = d["jsd_char3"]
        out[f"{v}_style_gap"] = float(np.mean([d[f"diff_{k}"] for k in RATES]))
    closer = [result["finetuned"]["distances"][k] < result["base"]["distances"][k]
              for k in result["base"]["distances"] if not math.isnan(result["base"]["distances"][k])]
    out["finetuned_closer_on"] = f"{sum(closer)}/{len(closer)}"
    return out


def fidelity_stage(cfg, key: str) -> None:
    """The fidelity stage: how much the samples stage's replies read like the author's: the summary to
    metrics/fidelity/<key>.json, the profiles and distances to <key>.details.json."""
    import json

    from gemelo import UserError
    from gemelo.card import ModelCard
    from gemelo.config import authors, model_config
    from gemelo.pipeline import CONVERSATIONS, METRICS, MODELS, read_jsonl, write_json
    from gemelo.tracking import run as tracked

    model_config(cfg, key)
    samples_file = METRICS / "samples" / f"{key}.json"
    if not samples_file.exists():
        raise UserError(f"{samples_file} not found: run the samples stage first (`dvc repro samples@{key}`)")
    rows = json.loads(samples_file.read_text(encoding="utf-8"))
    result = fidelity(rows, read_jsonl(CONVERSATIONS / "train.jsonl"), authors(cfg)[0], cfg.group.separator,
                      seed=cfg.train.seed)
    headline = summary(result)
    write_json(METRICS / "fidelity" / f"{key}.json", headline)  # the DVC metric: a column each in `dvc exp show`
    write_json(METRICS / "fidelity" / f"{key}.details.json", result)  # profiles and distances, with top words
    with tracked(cfg, key, "fidelity", run_id=ModelCard.read(MODELS / key).mlflow_run_id) as active:
        if active:
            import mlflow

            mlflow.log_metrics({f"fidelity_{k}": v for k, v in headline.items() if isinstance(v, float)})
