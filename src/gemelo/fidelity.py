"""Persona fidelity: how much a model's replies read like the author's (style) and answer what was said
(sense, see gemelo.sense), beyond perplexity.

A style profile summarises a set of replies (each reply a burst of messages); distances compare the
profile of the author's real held-out replies with a model's replies to the same contexts; an
author-attribution classifier (character n-grams, trained on the training split only) says how often a
reply would pass as the author's. The author's markers (words, spellings, emojis, laughs) are learned from
the training split, the author's messages against everyone else's, so they hold for any language or dialect.
Every figure carries a bootstrap 95% interval over the held-out contexts, the unit that was sampled.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Callable

import numpy as np

EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")
LAUGH = re.compile(r"\b(?:(?:j+[aeiosu]+){2,}j*|(?:ja){1,}j+s+[js]*|(?:js){2,}j?|(?:h+a+){2,}h?|x+d+|(?:je){2,})\b",
                   re.IGNORECASE)
WORD = re.compile(r"\w+", re.UNICODE)
TOKEN = re.compile(rf"\w+|{EMOJI.pattern}", re.UNICODE)


def laugh_form(text: str) -> str:
    """jaja, jsjs, haha, xd or jeje: the family of a laugh, whatever its length or case."""
    t = text.lower()
    if "s" in t and t.startswith("j"):
        return "jsjs"
    for form in ("xd", "haha", "jeje"):
        if t[0] == form[0] and t[1] == form[1]:
            return form
    return "jaja"


def tokens(text: str) -> list[str]:
    """Words (lower-cased), emojis and laughs (as their family: every jajaja is one `jaja`) of a message."""
    out = []
    for t in TOKEN.findall(text.lower()):
        if t != "\ufe0f":
            out.append(laugh_form(t) if LAUGH.fullmatch(t) else t)
    return out


def markers(author: list[str], others: list[str], top: int = 30, z: float = 1.96) -> list[tuple[str, float]]:
    """The author's most distinctive tokens against everyone else's, learned from their messages: the log-odds
    ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), z-scored; the prior is the
    pooled counts, which shrinks rare tokens towards zero. Those above `z`, most distinctive first."""
    a = Counter(t for m in author for t in tokens(m))
    o = Counter(t for m in others for t in tokens(m))
    prior = a + o
    a0, na, no = sum(prior.values()), sum(a.values()), sum(o.values())
    found = []
    for w, pw in prior.items():
        delta = (math.log((a[w] + pw) / (na + a0 - a[w] - pw)) - math.log((o[w] + pw) / (no + a0 - o[w] - pw)))
        score = delta / math.sqrt(1 / (a[w] + pw) + 1 / (o[w] + pw))
        if score > z:
            found.append((w, round(score, 2)))
    return sorted(found, key=lambda x: -x[1])[:top]


def profile(replies: list[list[str]], marks: frozenset[str] = frozenset()) -> dict:
    """The style of a set of replies; every rate is per message unless its name says otherwise.
    `marks`: the author's learned markers (see `markers`); marker_rate is their share of the tokens."""
    messages = [m for r in replies for m in r]
    n = max(len(messages), 1)
    words = [w.lower() for m in messages for w in WORD.findall(m)]
    toks = [t for m in messages for t in tokens(m)]
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
        "marker_rate": sum(t in marks for t in toks) / max(len(toks), 1),
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
         "exclamation_rate", "opening_exclamation_mark", "final_period_rate", "marker_rate",
         "distinct_1", "distinct_2")


def distances(real: list[list[str]], generated: list[list[str]], marks: frozenset[str] = frozenset()) -> dict:
    """How far generated replies are from the real ones; 0 everywhere means indistinguishable style."""
    pr, pg = profile(real, marks), profile(generated, marks)
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

    def attributed(self, replies: list[list[str]]) -> np.ndarray:
        """1 for each reply (a burst read as one text) attributed to the author, else 0; an empty reply is 0."""
        texts = [" ".join(r) for r in replies]
        said = np.array([bool(r) for r in replies])
        return self.model.predict(texts).astype(float) * said if texts else np.zeros(0)

    def author_rate(self, replies: list[list[str]]) -> float:
        """Share of replies attributed to the author."""
        return float(self.attributed(replies).mean()) if replies else math.nan


def training_texts(conversations: list[dict], author: str, separator: str) -> tuple[list[str], list[bool]]:
    """Every turn of the training conversations as one text (a burst joined by spaces), labelled by author."""
    texts, labels = [], []
    for conv in conversations:
        for t in conv["turns"]:
            texts.append(" ".join(m for m in t["text"].split(separator)))
            labels.append(t["author"] == author)
    return texts, labels


def bootstrap(n: int, statistic: Callable[[np.ndarray], dict[str, float]], n_boot: int, seed: int,
              bias_corrected: Callable[[str], bool] = lambda k: False) -> tuple[dict, dict]:
    """Each figure `statistic` returns over all n contexts, with its bootstrap 95% interval over n contexts drawn
    with replacement (the same draws for every figure given the same seed).

    Figures for which `bias_corrected(name)` holds are plug-in estimates biased by the sample's size (a
    divergence between two small samples' word counts grows when a resample repeats contexts): for those the
    figure is 2·θ̂ − mean(θ*) and the interval the basic bootstrap's, [2·θ̂ − q97.5, 2·θ̂ − q2.5], clipped to [0, 1]."""
    figures = statistic(np.arange(n))
    rng = np.random.default_rng(seed)
    draws = [statistic(rng.integers(0, n, n)) for _ in range(n_boot)]
    intervals = {}
    for k, value in figures.items():
        values = [d[k] for d in draws]
        lo, hi = (float(x) for x in np.nanpercentile(values, [2.5, 97.5]))
        if bias_corrected(k):
            figures[k] = min(1.0, max(0.0, 2 * value - float(np.nanmean(values))))
            lo, hi = max(0.0, 2 * value - hi), min(1.0, 2 * value - lo)
        intervals[k] = [lo, hi]
    return figures, intervals


def style_gap(d: dict) -> float:
    """The mean absolute difference of the bounded rates (0: the author's own style)."""
    return float(np.mean([d[f"diff_{k}"] for k in RATES]))


VARIANTS = ("base", "finetuned")


def fidelity(samples: list[dict], train_convs: list[dict], author: str, separator: str, seed: int = 0,
             n_boot: int = 1000, top_markers: int = 30, sense: dict[str, list[float]] | None = None) -> dict:
    """Style (profiles, distances, attribution) and, given the per-context win rates of gemelo.sense, sense,
    for the real replies and each variant's, each figure with its bootstrap interval over contexts."""
    texts, labels = training_texts(train_convs, author, separator)
    judge = Attributor(seed).fit(texts, labels)
    learned = markers([t for t, a in zip(texts, labels) if a], [t for t, a in zip(texts, labels) if not a], top_markers)
    marks = frozenset(w for w, _ in learned)
    replies = {v: [s[v] for s in samples] for v in ("real", *VARIANTS)}
    passed = {v: judge.attributed(r) for v, r in replies.items()}
    wins = {v: np.array(w) for v, w in (sense or {}).items()}

    def figures(i: np.ndarray) -> dict[str, float]:
        out = {f"{v}_attributed": float(p[i].mean()) for v, p in passed.items()}
        out.update({f"{v}_sense": float(w[i].mean()) for v, w in wins.items()})
        for v in VARIANTS:
            d = distances([replies["real"][k] for k in i], [replies[v][k] for k in i], marks)
            out.update({f"{v}_style_gap": style_gap(d), f"{v}_jsd_words": d["jsd_words"], f"{v}_jsd_char3": d["jsd_char3"]})
        return out

    n = len(samples)
    headline, intervals = bootstrap(n, figures, n_boot, seed, lambda k: "_jsd_" in k) if n else ({}, {})
    result = {"contexts": n, "markers": learned, "summary": {}}
    for k, value in headline.items():
        result["summary"].update({k: value, f"{k}_ci95": intervals.get(k, [math.nan, math.nan])})
    for v, r in replies.items():
        result[v] = {"profile": profile(r, marks), "attributed": passed[v].tolist()}
        if v != "real":
            result[v]["distances"] = distances(replies["real"], r, marks)
    for v, w in wins.items():
        result.setdefault(v, {})["sense"] = w.tolist()
    return result


def fidelity_stage(cfg, key: str) -> None:
    """The fidelity stage: does the samples stage's twin write like the author, and answer what was said?
    The summary (each figure with its interval) to metrics/fidelity/<key>.json, the rest to <key>.details.json."""
    import json

    from gemelo import UserError
    from gemelo.card import ModelCard
    from gemelo.config import authors, model_config
    from gemelo.pipeline import CONVERSATIONS, METRICS, MODELS, read_jsonl, write_json
    from gemelo.sense import Associations, Judge, sense
    from gemelo.tracking import run as tracked

    model_config(cfg, key)
    samples_file = METRICS / "samples" / f"{key}.json"
    if not samples_file.exists():
        raise UserError(f"{samples_file} not found: run the samples stage first (`dvc repro samples@{key}`)")
    rows = json.loads(samples_file.read_text(encoding="utf-8"))
    author = authors(cfg)[0]
    train = read_jsonl(CONVERSATIONS / "train.jsonl")
    if cfg.fidelity.judge == "learned":
        judge = Associations(train, author, cfg.group.separator)
    else:
        judge = Judge.load(cfg.fidelity.judge, author=author, separator=cfg.group.separator,
                           system_prompt=cfg.format.system_prompt.format(author=author),
                           context_tokens=cfg.fidelity.judge_context)
    wins = sense(judge, rows, VARIANTS, cfg.fidelity.distractors, cfg.train.seed)
    del judge
    result = fidelity(rows, train, author, cfg.group.separator,
                      seed=cfg.train.seed, n_boot=cfg.evaluate.bootstrap, top_markers=cfg.fidelity.markers, sense=wins)
    headline = {"contexts": result["contexts"], **result.pop("summary")}
    write_json(METRICS / "fidelity" / f"{key}.json", headline)  # the DVC metric: a column each in `dvc exp show`
    write_json(METRICS / "fidelity" / f"{key}.details.json", result)  # markers, profiles, per-context figures
    with tracked(cfg, key, "fidelity", run_id=ModelCard.read(MODELS / key).mlflow_run_id) as active:
        if active:
            import mlflow

            mlflow.log_metrics({f"fidelity_{k}": v for k, v in headline.items() if isinstance(v, float)})
