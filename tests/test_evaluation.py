"""Perplexity: the summary arithmetic, score() against a hand computation, and the perplexity stage end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _tiny import copy_project, gemelo_cache, in_vocab_config, read_json, tiny_project  # noqa: F401

from gemelo.card import ModelCard
from gemelo.evaluation import score, summarize

# ---------------------------------------------------------------------------------------------------------------
# 1. summarize
# ---------------------------------------------------------------------------------------------------------------


def test_summarize_is_token_weighted_with_bits_per_byte_and_word_perplexity():
    nll = np.array([2.0, 30.0, 9.0])      # nats per example
    tokens = np.array([1, 10, 4])
    n_bytes = np.array([5, 40, 12])
    n_words = np.array([1, 8, 3])
    groups = np.array([0, 1, 1])
    out = summarize(nll, tokens, n_bytes, n_words, groups, n_boot=500, seed=0)

    total = 41.0
    assert out["ppl"] == pytest.approx(math.exp(total / 15))
    assert out["ppl"] == pytest.approx(math.exp(41 / 15))
    # not the mean of per-example perplexities (e^2, e^3, e^2.25), nor exp of the mean per-example loss
    mean_of_ppls = np.mean(np.exp(nll / tokens))
    assert abs(out["ppl"] - mean_of_ppls) > 1.0
    assert out["ppl"] != pytest.approx(math.exp(np.mean(nll / tokens)))
    assert out["bpb"] == pytest.approx(total / (57 * math.log(2)))
    assert out["word_ppl"] == pytest.approx(math.exp(total / 12))
    assert out["tokens"] == 15 and isinstance(out["tokens"], int)
    assert out["nll"] == pytest.approx(total)
    lo, hi = out["ppl_ci95"]
    assert lo <= out["ppl"] <= hi and lo < hi
    # the intervals are over groups: the two group-level perplexities, and bits per byte, bound them
    g = sorted([math.exp(2 / 1), math.exp(39 / 14)])
    assert g[0] - 1e-9 <= lo and hi <= g[1] + 1e-9
    lo, hi = out["bpb_ci95"]
    assert lo <= out["bpb"] <= hi and lo < hi
    g = sorted([2 / (5 * math.log(2)), 39 / (52 * math.log(2))])
    assert g[0] - 1e-9 <= lo and hi <= g[1] + 1e-9


def test_summarize_interval_collapses_when_all_groups_are_identical():
    nll = np.array([3.0, 5.0, 3.0, 5.0, 3.0, 5.0])
    tokens = np.array([2, 4, 2, 4, 2, 4])
    groups = np.array(["a", "a", "b", "b", "c", "c"])  # three identical conversations of two examples each
    out = summarize(nll, tokens, tokens * 3, tokens, groups, n_boot=200, seed=1)
    assert out["ppl"] == pytest.approx(math.exp(24 / 18))
    assert out["ppl_ci95"] == pytest.approx([out["ppl"], out["ppl"]])
    assert out["bpb_ci95"] == pytest.approx([out["bpb"], out["bpb"]])


def test_summarize_bootstrap_resamples_groups_not_examples():
    # one group holds almost every token: resampling examples would narrow the interval, groups cannot
    nll = np.array([1.0, 1.0, 1.0, 40.0])
    tokens = np.array([1, 1, 1, 10])
    out = summarize(nll, tokens, tokens, tokens, np.array([0, 0, 0, 1]), n_boot=2000, seed=0)
    lo, hi = out["ppl_ci95"]
    assert lo == pytest.approx(math.e) and hi == pytest.approx(math.exp(4.0))


# ---------------------------------------------------------------------------------------------------------------
# 2. score against a hand computation
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_llama():
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(in_vocab_config("llama", 401)).eval()


def _rows():
    g = torch.Generator().manual_seed(3)
    rows = []
    for n, mask in ((9, [0, 1, 2, 5]), (15, [1, 2, 3, 4, 10, 11])):
        ids = torch.randint(3, 400, (n,), generator=g).tolist()
        labels = [-100 if k in mask else t for k, t in enumerate(ids)]
        rows.append({"input_ids": ids, "labels": labels})
    # the first token's label is kept in the second example: nothing predicts it, so it is never scored
    assert rows[1]["labels"][0] != -100
    return rows


def _by_hand(model, row) -> tuple[float, int]:
    """Sum of -log p(token | prefix) over the labelled positions, one forward pass per position."""
    total, count = 0.0, 0
    ids = row["input_ids"]
    with torch.no_grad():
        for t in range(1, len(ids)):
            if row["labels"][t] == -100:
                continue
            logits = model(input_ids=torch.tensor([ids[:t]])).logits[0, -1].double()
            total -= torch.log_softmax(logits, dim=-1)[row["labels"][t]].item()
            count += 1
    return total, count


def test_score_matches_a_position_by_position_computation(tiny_llama):
    rows = _rows()
    expected = [_by_hand(tiny_llama, r) for r in rows]
    assert [c for _, c in expected] == [5, 8]
    for bs in (1, 2):
        nll, count = score(tiny_llama, rows, batch_size=bs)
        assert count.tolist() == [5, 8]
        np.testing.assert_allclose(nll, [e for e, _ in expected], atol=1e-4, rtol=0)


def test_score_ignores_padding_whatever_the_batch(tiny_llama):
    rows = _rows()
    rows = [rows[1], rows[0], rows[1]]  # short example padded between two long ones
    one = score(tiny_llama, rows, batch_size=1)
    two = score(tiny_llama, rows, batch_size=2)
    three = score(tiny_llama, rows, batch_size=3)
    for other in (two, three):
        np.testing.assert_allclose(other[0], one[0], atol=1e-4, rtol=0)
        assert other[1].tolist() == one[1].tolist()


# ---------------------------------------------------------------------------------------------------------------
# 3. the perplexity stage end to end
# ---------------------------------------------------------------------------------------------------------------


def test_perplexity_stage_writes_base_and_finetuned_metrics(tmp_path, monkeypatch, tiny_project):
    from datasets import load_from_disk

    from gemelo.evaluation import perplexity_stage
    from gemelo.training import finetune_stage
    from gemelo.config import load

    project = copy_project(tiny_project, tmp_path / "project")
    monkeypatch.chdir(project)
    db = tmp_path / "mlflow.db"
    cfg = load(["model.tiny.train.max_steps=2", "model.tiny.train.eval_steps=2", "model.tiny.train.save_steps=2",
                "evaluate.bootstrap=200", f"mlflow.tracking_uri=sqlite:///{db}"])
    assert list(cfg.model) == ["tiny"]
    finetune_stage(cfg, "tiny")
    perplexity_stage(cfg, "tiny")

    headline = read_json(project / "metrics/perplexity/tiny.json")
    details = read_json(project / "metrics/perplexity/tiny.details.json")
    assert list(headline) == list(details) == ["base", "finetuned"]
    # the DVC metric holds the headline figures only; the rest is beside it
    assert all(list(headline[v]) == ["ppl", "ppl_ci95", "bpb", "bpb_ci95"] for v in headline)
    out = {v: {**headline[v], **details[v]} for v in headline}
    test = load_from_disk(str(project / "data/processed/tiny"))["test"]
    scored = sum(sum(lab != -100 for lab in labels[1:]) for labels in test["labels"])
    for variant in out.values():
        assert {"ppl", "bpb", "word_ppl", "tokens", "nll"} <= set(variant)
        assert variant["tokens"] == scored
        assert all(math.isfinite(variant[k]) and variant[k] > 0 for k in ("ppl", "bpb", "word_ppl"))
        assert variant["ppl"] == pytest.approx(math.exp(variant["nll"] / variant["tokens"]))
        assert variant["bpb"] == pytest.approx(variant["nll"] / (sum(test["reply_bytes"]) * math.log(2)))
        lo, hi = variant["ppl_ci95"]
        assert lo <= variant["ppl"] <= hi
    # the two rows really are two models (the test conversations were also trained on, so it got better)
    assert out["finetuned"]["nll"] != out["base"]["nll"]
    assert out["finetuned"]["ppl"] < out["base"]["ppl"]

    import mlflow

    card = ModelCard.read(project / "models/tiny")
    run = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}").get_run(card.mlflow_run_id)
    assert run.data.metrics["finetuned_ppl"] == pytest.approx(out["finetuned"]["ppl"])
    assert run.data.metrics["base_ppl"] == pytest.approx(out["base"]["ppl"])
