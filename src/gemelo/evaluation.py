"""Perplexity of base and fine-tuned models on the held-out test split, on the author's reply tokens only.

Token-weighted (total negative log-likelihood over total scored tokens, never a mean of per-example
perplexities); bits per byte and per-word perplexity beside it, because per-token perplexity cannot be
compared across tokenizers; and a bootstrap 95% interval over conversations, the unit that was sampled.
"""

from __future__ import annotations

import math

import numpy as np


def score(model, dataset, batch_size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Summed NLL (nats) and number of scored tokens of every example; padding is never scored.

    The head is computed only at the scored positions (gemelo.loss), and the batches hold examples of
    similar length (less padding); the results come back in the dataset's order."""
    import torch
    from tqdm.auto import tqdm

    from gemelo.loss import output_head, reply_nll, token_nll
    from gemelo.training import collate

    device = next(model.parameters()).device
    head = output_head(model)
    order = np.argsort([len(dataset[j]["input_ids"]) for j in range(len(dataset))], kind="stable")
    nll, count = np.zeros(len(order), dtype=np.float64), np.zeros(len(order), dtype=np.int64)
    model.eval()
    for i in tqdm(range(0, len(order), batch_size), desc="scoring", unit="batch", leave=False):
        rows = order[i:i + batch_size]
        batch = {k: v.to(device) for k, v in collate([dataset[int(j)] for j in rows], pad_id=0).items()}
        with torch.no_grad():
            h, targets, example = reply_nll(model, batch, head)
            per_token = token_nll(h, targets, head).double()
        nll[rows] = torch.zeros(len(rows), dtype=torch.float64, device=device).index_add_(0, example, per_token).cpu()
        count[rows] = torch.bincount(example, minlength=len(rows)).cpu()
    return nll, count


def summarize(nll: np.ndarray, tokens: np.ndarray, n_bytes: np.ndarray, n_words: np.ndarray,
              groups: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict:
    """Perplexity, bits per byte, word perplexity, and bootstrap intervals of perplexity and bits per byte by
    group (the same resamples for both)."""
    total = nll.sum()
    ids, inverse = np.unique(groups, return_inverse=True)
    g_nll, g_tok, g_bytes = (np.bincount(inverse, weights=w) for w in (nll, tokens, n_bytes))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    boot_nll = g_nll[draws].sum(1)

    def interval(boot: np.ndarray) -> list[float]:
        return [float(x) for x in np.percentile(boot, [2.5, 97.5])]

    return {
        "ppl": float(math.exp(total / tokens.sum())),
        "ppl_ci95": interval(np.exp(boot_nll / g_tok[draws].sum(1))),
        "bpb": float(total / (n_bytes.sum() * math.log(2))),
        "bpb_ci95": interval(boot_nll / (g_bytes[draws].sum(1) * math.log(2))),
        "word_ppl": float(math.exp(total / n_words.sum())),
        "tokens": int(tokens.sum()),
        "nll": float(total),
    }


HEADLINE = ("ppl", "ppl_ci95", "bpb", "bpb_ci95")  # the DVC metric; the rest goes to <key>.details.json


def evaluate(model, dataset, batch_size: int, n_boot: int, seed: int) -> dict:
    nll, tokens = score(model, dataset, batch_size)
    return summarize(nll, tokens, np.array(dataset["reply_bytes"]), np.array(dataset["reply_words"]),
                     np.array(dataset["conv_id"]), n_boot, seed)


def perplexity_stage(cfg, key: str) -> None:
    """The perplexity stage: base against fine-tuned on the test split, to metrics/perplexity/<key>.json (the
    headline figures) and <key>.details.json (word perplexity, scored tokens, summed NLL)."""
    import json

    from datasets import load_from_disk

    from gemelo import UserError
    from gemelo.config import model_config
    from gemelo.models import load_trained
    from gemelo.pipeline import METRICS, MODELS, PROCESSED, write_json
    from gemelo.tracking import run as tracked

    model_config(cfg, key)
    data = load_from_disk(str(PROCESSED / key))
    if "test" not in data:
        raise UserError("the test split is empty: the chats are too short to hold out conversations")
    test = data["test"]
    args = dict(batch_size=cfg.evaluate.batch_size, n_boot=cfg.evaluate.bootstrap, seed=cfg.train.seed)
    tuned, _, card = load_trained(MODELS / key)
    tuned_scores = evaluate(tuned, test, **args)
    del tuned  # one model in memory at a time
    result = {"base": evaluate(load_trained(MODELS / key, base=True)[0], test, **args), "finetuned": tuned_scores}
    # the headline figures are the DVC metric (`dvc exp show` lists the numbers, not the intervals); the rest beside
    write_json(METRICS / "perplexity" / f"{key}.json", {v: {k: r[k] for k in HEADLINE} for v, r in result.items()})
    write_json(METRICS / "perplexity" / f"{key}.details.json",
               {v: {k: x for k, x in r.items() if k not in HEADLINE} for v, r in result.items()})
    with tracked(cfg, key, "perplexity", run_id=card.mlflow_run_id) as active:
        if active:
            import mlflow

            mlflow.log_metrics({f"{v}_{m}": result[v][m] for v in result for m in ("ppl", "bpb", "word_ppl")})
    print(json.dumps(result))
