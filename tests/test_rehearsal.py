"""A rehearsal of the pipeline for each named model: format → finetune → perplexity → samples → fidelity → compare.

GPT-2 spanish, SmolLM3-3B and Phi-3-mini on their real configs cut down to two narrow layers (random weights)
and their real formats (tests/data/models/), loaded through `source:` pointing at a local folder, exactly as
a user with the real weights downloaded would point it at theirs. On a CPU: LoRA where the model's own
setting is QLoRA. Then the chat stops at each format's own end of turn.
"""

from __future__ import annotations

import contextlib
import json

import pytest
import torch
from _real_models import KEYS, model_folder
from _tiny import AUTHOR, ROOT, SEP, conversations, gemelo_cache, read_json  # noqa: F401

from gemelo.config import Params, compose, dump, load, plain

END = {"gpt2_spanish": "<|endoftext|>", "smollm3_3b": "<|im_end|>", "phi3_mini": "<|end|>"}


@pytest.fixture(scope="module")
def project(tmp_path_factory, gemelo_cache):  # noqa: F811
    """A project whose params.yaml selects the three models from local folders; every stage run once."""
    from gemelo.chat import samples_stage
    from gemelo.comparison import compare_stage
    from gemelo.evaluation import perplexity_stage
    from gemelo.fidelity import fidelity_stage
    from gemelo.formatting import format_stage
    from gemelo.pipeline import CONVERSATIONS, write_jsonl
    from gemelo.training import finetune_stage

    root = tmp_path_factory.mktemp("rehearsal")
    overrides = [f"model=[{','.join(KEYS)}]", "chat.samples=3", "chat.max_new_tokens=4", "fidelity.judge=tiny:llama", "evaluate.bootstrap=50"]
    for key in KEYS:
        folder = model_folder(key, root / "downloads" / key)
        overrides += [f"model.{key}.source={folder}", f"model.{key}.method=lora", f"model.{key}.dtype=float32",
                      f"model.{key}.max_length=96"]
        overrides += [f"++model.{key}.train.{k}" for k in ("max_steps=2", "batch_size=4", "grad_accum=1",
                                                           "eval_steps=2", "save_steps=2", "gradient_checkpointing=false")]
    (root / "params.yaml").write_text(dump(Params(plain(compose(overrides, conf_dir=ROOT / "conf")))), encoding="utf-8")
    with contextlib.chdir(root):
        for split, convs in conversations().items():
            write_jsonl(CONVERSATIONS / f"{split}.jsonl", convs)
        cfg = load([f"mlflow.tracking_uri=sqlite:///{root}/mlflow.db"])
        for key in KEYS:
            for stage in (format_stage, finetune_stage, perplexity_stage, samples_stage, fidelity_stage):
                stage(cfg, key)
        compare_stage(cfg)
    return root


@pytest.mark.parametrize("key", KEYS)
def test_every_stage_ran_on_the_real_format(project, key):
    from datasets import load_from_disk
    from transformers import AutoTokenizer

    from gemelo.card import ModelCard

    card = ModelCard.read(project / "models" / key)
    assert card.config["source"] == str(project / "downloads" / key) and card.method == "lora"
    assert card.chat_format["kind"] == ("plain" if key == "gpt2_spanish" else "chat")
    tok = AutoTokenizer.from_pretrained(project / "models" / key)
    train = load_from_disk(str(project / "data/processed" / key))["train"]
    end = tok.convert_tokens_to_ids(END[key])
    for labels in train["labels"]:  # every trained run closes with the model's own end of turn
        trained = [x for x in labels if x != -100]
        assert trained and trained[-1] == end or len(labels) == 96
    ppl = read_json(project / "metrics/perplexity" / f"{key}.details.json")
    assert ppl["base"]["tokens"] == ppl["finetuned"]["tokens"] > 0 and ppl["base"]["nll"] != ppl["finetuned"]["nll"]
    samples = json.loads((project / "metrics/samples" / f"{key}.json").read_text(encoding="utf-8"))
    assert len(samples) == 3 and all(isinstance(r["finetuned"], list) for r in samples)
    assert {"finetuned_attributed", "finetuned_sense_ci95"} <= set(read_json(project / "metrics/fidelity" / f"{key}.json"))
    assert "profile" in read_json(project / "metrics/fidelity" / f"{key}.details.json")["finetuned"]


def test_the_comparison_holds_the_three_models(project):
    table = (project / "metrics/compare.md").read_text(encoding="utf-8")
    for key in KEYS:
        assert f"| {key} | base |" in table and f"| {key} | finetuned |" in table and f"| {key} | " in table.split("## Persona fidelity")[1]


def scripted(twin, texts: list[str]):
    """Make the model's head emit a fixed sequence of tokens (what a trained twin would write), whatever its
    weights; returns the script and a counter of forward passes."""
    tok = twin.tokenizer
    script = []
    for t in texts:
        script += [tok.convert_tokens_to_ids(t)] if t in tok.get_added_vocab() else tok.encode(t, add_special_tokens=False)
    calls = [0]

    def hook(module, inputs, logits):
        forced = torch.full_like(logits, -1e4)
        forced[..., -1, script[min(calls[0], len(script) - 1)]] = 1e4
        calls[0] += 1
        return forced

    generate = twin.model.generate

    def restart(*args, **kwargs):  # each generation starts the script over
        calls[0] = 0
        return generate(*args, **kwargs)

    twin.model.generate = restart
    return twin.model.get_output_embeddings().register_forward_hook(hook), script, calls


@pytest.mark.parametrize("key", KEYS)
def test_chat_and_samples_stop_at_the_models_own_end_of_turn(project, key, monkeypatch):
    from gemelo.chat import Sampling, Twin, side_by_side

    monkeypatch.chdir(project)
    twin = Twin.load(key)
    handle, script, calls = scripted(twin, ["hola", SEP, "che", END[key], "basura", "basura", "basura"])
    try:
        greedy = Sampling(temperature=0, max_new_tokens=30)
        assert twin.reply([{"role": "user", "content": "¿todo bien?"}], greedy) == ["hola", "che"]
        # generation stopped at the end of turn: one forward pass per token up to it, none after
        assert calls[0] == script.index(twin.tokenizer.convert_tokens_to_ids(END[key])) + 1
        (row,) = side_by_side(twin, twin, [{"history": [{"role": "user", "content": "hola", "name": "Flor"}],
                                            "group": False, "real": ["che"]}], greedy)
        assert row["base"] == row["finetuned"] == ["hola", "che"]
    finally:
        handle.remove()
