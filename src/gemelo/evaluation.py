"""Perplexity of base and fine-tuned models on the held-out test split, on the author's reply tokens only.

Token-weighted (total negative log-likelihood over total scored tokens, never a mean of per-example
perplexities); bits per byte and per-word perplexity beside it, because per-token perplexity cannot be
compared across tokenizers; and a bootstrap 95% interval over conversations, the unit that was sampled.
"""

from __future__ import annotations

import math

import numpy as np


def score(model, dataset, batch_size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Summed NLL (nats) and number of scored tokens of every example; padding is never scored."""
    import torch

    from gemelo.training import collate

    device = next(model.parameters()).device
    nll, count = [], []
    model.eval()
    from tqdm.auto import tqdm

    for i in tqdm(range(0, len(dataset), batch_size), desc="scoring", unit="batch", leave=False):
        batch = collate([dataset[j] for j in range(i, min(i + batch_size, len(dataset)))], pad_id=0)
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.no_grad():
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        logits, labels = logits[:, :-1].float(), batch["labels"][:, 1:]
        mask = labels != -100
        logp = torch.log_softmax(logits, dim=-1)
        token_nll = -logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1) * mask
        nll.extend(token_nll.sum(1).double().cpu().tolist())
        count.extend(mask.sum(1).cpu().tolist())
    return np.array(nll, dtype=np.float64), np.array(count, dtype=np.int64)


def summarize(nll: np.ndarray, tokens: np.ndarray, n_bytes: np.ndarray, n_words: np.ndarray,
              groups: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict:
    """Perplexity, bits per byte, word perplexity, and a bootstrap interval of the perplexity by group."""
    total = nll.sum()
    ids, inverse = np.unique(groups, return_inverse=True)
    g_nll = np.bincount(inverse, weights=nll)
    g_tok = np.bincount(inverse, weights=tokens)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    boot = np.exp(g_nll[draws].sum(1) / g_tok[draws].sum(1))
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {
        "ppl": float(math.exp(total / tokens.sum())),
        "bpb": float(total / (n_bytes.sum() * math.log(2))),
        "word_ppl": float(math.exp(total / n_words.sum())),
        "tokens": int(tokens.sum()),
        "nll": float(total),
        "ci95": [float(lo), float(hi)],
    }


def evaluate(model, dataset, batch_size: int, n_boot: int, seed: int) -> dict:
    nll, tokens = score(model, dataset, batch_size)
    return summarize(nll, tokens, np.array(dataset["reply_bytes"]), np.array(dataset["reply_words"]),
                     np.array(dataset["conv_id"]), n_boot, seed)


def perplexity_stage(cfg, key: str) -> None:
    """The perplexity stage: base against fine-tuned on the test split, to metrics/perplexity/<key>.json."""
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
    write_json(METRICS / "perplexity" / f"{key}.json", result)
    with tracked(cfg, key, "perplexity", run_id=card.mlflow_run_id) as active:
        if active:
            import mlflow

            mlflow.log_metrics({f"{v}_{m}": result[v][m] for v in result for m in ("ppl", "bpb", "word_ppl")})
    print(json.dumps(result))
