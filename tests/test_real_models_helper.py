"""The helper in _real_models.py: real special ids, working chat templates, lossless Unicode, loadable folders.

Other tests trust these tokenizers and folders to stand for the real models, so the ids are checked against
the vendored files in tests/data/models/, not against numbers copied from the helper.
"""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from _real_models import DATA, KEYS, model_folder, tokenizer

CHAT_KEYS = ("smollm3_3b", "phi3_mini")
TEXTS = [
    "¿Cómo estás? ¡Qué bueno!",
    "jajaja 😂🥲🙌✨💀",
    "ñandú, pingüino, corazón, mañana",
    "NIÑO Ñoño ü ç à",
    "fuera del corpus: 🫠🦩 中文 ❤️",
    "dos  espacios,\nuna línea nueva\ty un tab ",
]
MESSAGES = [{"role": "user", "content": "hola che, ¿cómo andás?"},
            {"role": "assistant", "content": "re bien 😂✨"}]


def read_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("key, token, expected", [
    ("smollm3_3b", "<|im_end|>", 128012), ("smollm3_3b", "<|im_start|>", 128011), ("smollm3_3b", "<think>", 128002),
    ("phi3_mini", "<|end|>", 32007), ("phi3_mini", "<|assistant|>", 32001), ("phi3_mini", "<|endoftext|>", 32000),
    ("phi3_mini", "<|user|>", 32010), ("phi3_mini", "<s>", 1), ("phi3_mini", "<unk>", 0),
    ("gpt2_spanish", "<|endoftext|>", 50256),
])
def test_known_special_ids(key, token, expected):
    assert tokenizer(key).convert_tokens_to_ids(token) == expected


def test_smollm3_added_tokens_match_the_vendored_config():
    tok = tokenizer("smollm3_3b")
    config = read_json(DATA / "smollm3_3b" / "tokenizer_config.json")
    decoder = tok.added_tokens_decoder
    for i, spec in config["added_tokens_decoder"].items():
        assert decoder[int(i)].content == spec["content"]
        assert decoder[int(i)].special == spec["special"], spec["content"]
    assert len(tok) == read_json(DATA / "smollm3_3b" / "config.json")["vocab_size"] == 128256
    assert (tok.eos_token, tok.pad_token, tok.bos_token) == ("<|im_end|>", "<|im_end|>", None)
    assert tok.eos_token_id == read_json(DATA / "smollm3_3b" / "generation_config.json")["eos_token_id"]


def test_phi3_added_tokens_match_the_vendored_file():
    tok = tokenizer("phi3_mini")
    info = read_json(DATA / "phi3_mini" / "special_tokens.json")
    assert {t: tok.convert_tokens_to_ids(t) for t in info["added_tokens"]} == info["added_tokens"]
    assert (tok.bos_token, tok.eos_token, tok.pad_token, tok.unk_token) == ("<s>", "<|endoftext|>", "<|endoftext|>",
                                                                            "<unk>")
    assert tok("hola").input_ids[0] == 1  # add_bos_token true, as the real one
    assert tok.convert_tokens_to_ids("<0x0A>") == 13  # Llama 2's newline byte piece


def test_gpt2_spanish_is_the_real_tokenizer():
    tok = tokenizer("gpt2_spanish")
    assert len(tok) == read_json(DATA / "gpt2_spanish" / "config.json")["vocab_size"] == 50257
    assert tok.eos_token == tok.pad_token == "<|endoftext|>"
    assert tok.chat_template is None


def test_chat_templates_render_and_tokenize_with_the_real_ids():
    smol = tokenizer("smollm3_3b")
    text = smol.apply_chat_template(MESSAGES, tokenize=False, enable_thinking=False)
    assert "Reasoning Mode: /no_think" in text
    assert text.endswith("<|im_start|>assistant\n<think>\n\n</think>\nre bien 😂✨<|im_end|>\n")
    ids = smol(text, add_special_tokens=False).input_ids
    assert ids.count(128011) == 3 and ids.count(128012) == 2 and 128002 in ids  # the system block has no <|im_end|>

    phi = tokenizer("phi3_mini")
    text = phi.apply_chat_template(MESSAGES[:1], tokenize=False, add_generation_prompt=True)
    assert text == "<|user|>\nhola che, ¿cómo andás?<|end|>\n<|assistant|>\n"
    ids = phi(text, add_special_tokens=False).input_ids
    assert [i for i in ids if i >= 32000] == [32010, 32007, 32001]


@pytest.mark.parametrize("key", CHAT_KEYS)
def test_a_role_header_newline_never_shares_a_token_with_the_reply(key):
    """The stand-ins learnt no merge with "\\n": the reply starts on a token boundary, as with the real ones."""
    tok = tokenizer(key)
    header = "<|im_start|>assistant\n" if key == "smollm3_3b" else "<|assistant|>\n"
    for reply in ("hola", "jajaja", "¿Qué?", "😂"):
        enc = tok(header + reply, add_special_tokens=False, return_offsets_mapping=True)
        starts = [start for start, _ in enc.offset_mapping]
        assert len(header) in starts, (key, reply)
        assert tok.decode(enc.input_ids[starts.index(len(header)):]) == reply


@pytest.mark.parametrize("key", KEYS)
def test_unicode_round_trips(key):
    tok = tokenizer(key)
    for text in TEXTS:
        ids = tok(text, add_special_tokens=False).input_ids
        assert tok.decode(ids) == text, (key, text)
        offsets = tok(text, add_special_tokens=False, return_offsets_mapping=True).offset_mapping
        assert all(0 <= a <= b <= len(text) for a, b in offsets)


def test_phi3_decoding_drops_one_leading_space():
    """As transformers' LlamaTokenizer: "▁" is prepended only when the text does not start with a space, and
    decoding strips one, so leading spaces lose one; and a word after a special token gets no "▁"."""
    tok = tokenizer("phi3_mini")
    assert tok.decode(tok("  dos", add_special_tokens=False).input_ids) == " dos"
    assert tok.convert_ids_to_tokens(tok("hola").input_ids) == ["<s>", "▁hola"]
    assert "▁hola" not in tok.convert_ids_to_tokens(tok("<|assistant|>\nhola").input_ids)


@pytest.mark.parametrize("key", CHAT_KEYS)
def test_filler_entries_are_never_produced(key):
    tok = tokenizer(key)
    fillers = [i for t, i in tok.get_vocab().items() if t.startswith("<filler_")]
    assert len(fillers) > 30000 and not set(fillers) & set(tok.all_special_ids)
    produced = {i for text in TEXTS + ["<filler_5> <filler_127999>"] for i in tok(text).input_ids}
    assert not produced & set(fillers)


def test_callers_get_their_own_copy():
    tok = tokenizer("phi3_mini")
    tok.add_special_tokens({"additional_special_tokens": ["<|msg_sep|>"]})
    assert tok.convert_tokens_to_ids("<|msg_sep|>") == 32011
    assert len(tokenizer("phi3_mini")) == 32011


@pytest.mark.parametrize("key", KEYS)
def test_model_folder_loads_as_a_real_source(key, tmp_path):
    real = read_json(DATA / key / "config.json")
    folder = model_folder(key, tmp_path / key)
    model = AutoModelForCausalLM.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    config = model.config
    assert config.model_type == real["model_type"]
    assert config.num_hidden_layers == 2 and config.vocab_size == real["vocab_size"]
    assert config.tie_word_embeddings == real.get("tie_word_embeddings", True)
    assert config.eos_token_id == real["eos_token_id"] and config.bos_token_id == real["bos_token_id"]
    assert model.dtype == torch.float32
    ids = tok("hola che 😂", return_tensors="pt").input_ids
    assert ids.tolist() == tokenizer(key)("hola che 😂", return_tensors="pt").input_ids.tolist()
    with torch.no_grad():
        assert model(ids).logits.shape == (1, ids.shape[1], real["vocab_size"])
    if key == "smollm3_3b":
        assert config.no_rope_layers == [1, 0]  # one RoPE layer, one NoPE layer, as in every block of four
