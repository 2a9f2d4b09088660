"""The three named models and the offline default on their real formats: what is trained, what chat prompts.

GPT-2 spanish with its real tokenizer; SmolLM3-3B and Phi-3-mini with their real chat templates and special
tokens at their real ids (tests/data/models/, stand-in vocabularies); SmolLM2 with the tokenizer of the GGUF
file the pipeline uses. Each model's settings come from conf/model/<key>.yaml, and its tokenizer goes through
`load_tokenizer` from a local folder, as a user's downloaded model would.
"""

from __future__ import annotations

from functools import lru_cache

import pytest
from _real_models import tokenizer as real_tokenizer
from _tiny import AUTHOR, ROOT, SEP, gemelo_cache  # noqa: F401
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from gemelo.config import Params, plain
from gemelo.formatting import ChatFormat, settings

# the model's own end of turn, and what its stop ids must hold
END = {"gpt2_spanish": "<|endoftext|>", "smollm3_3b": "<|im_end|>", "phi3_mini": "<|end|>",
       "smollm2_135m": "<|im_end|>"}
KEYS = sorted(END)
OTHERS = ["Flor", "Juan Pérez", "Mamá 💕"]
WORDS = ["hola", "che", "jajaja", "posta", "q", "onda", "¿Vamos?", "¡Dale!", "re", "lindo", "😂", "🥲🙌", "✨",
         "nos", "vemos", "mañana", "Sí.", "no", "ñandú", "10:30", "amiga", "...", "xq", "tmb", "OK", "I'm", "fine"]


@lru_cache(maxsize=None)
def _config():
    from gemelo.config import compose

    return compose([f"model=[{','.join(KEYS)}]"], conf_dir=ROOT / "conf")


@lru_cache(maxsize=None)
def _loaded_tokenizer(key: str, folder: str):
    from gemelo.config import model_config
    from gemelo.models import load_tokenizer

    mcfg = model_config(_config(), key)
    if key == "smollm2_135m":  # the tokenizer of the packaged GGUF file (converting the weights too takes 30 s)
        import importlib.util
        from pathlib import Path

        from transformers import AutoTokenizer

        package, _, name = mcfg.source.removeprefix("gguf:").partition("/")
        where = Path(list(importlib.util.find_spec(package).submodule_search_locations)[0])
        AutoTokenizer.from_pretrained(where, gguf_file=name).save_pretrained(folder)
    else:
        real_tokenizer(key).save_pretrained(folder)
    mcfg.source = folder
    return load_tokenizer(mcfg, _config().group.separator)


@pytest.fixture(scope="module")
def formats(tmp_path_factory, gemelo_cache) -> dict:  # noqa: F811
    """key -> a function of the system prompt giving the model's ChatFormat, built as the format stage does."""
    from gemelo.config import model_config

    def build(key):
        tok = _loaded_tokenizer(key, str(tmp_path_factory.mktemp(key)))
        mcfg = model_config(_config(), key)

        def fmt(system_prompt: str) -> ChatFormat:
            cfg = Params(plain(_config()))
            cfg.format.system_prompt = system_prompt
            return ChatFormat(tok, **settings(cfg, mcfg, AUTHOR))
        return fmt

    return {key: build(key) for key in KEYS}


message = st.one_of(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join),
                    st.text(st.sampled_from("abcñáé ¿?¡!.,😂🥲\u200d:)jJ"), min_size=1, max_size=15)
                    .map(str.strip).filter(bool))
turn = st.tuples(st.sampled_from([AUTHOR, AUTHOR] + OTHERS), st.lists(message, min_size=1, max_size=3))


@st.composite
def conversation(draw) -> dict:
    turns = draw(st.lists(turn, min_size=1, max_size=7).filter(lambda ts: any(a == AUTHOR for a, _ in ts)))
    merged = []  # the group stage never leaves two turns of one speaker in a row
    for author, texts in turns:
        if merged and merged[-1][0] == author:
            merged[-1] = (author, merged[-1][1] + texts)
        else:
            merged.append((author, texts))
    speakers = {a for a, _ in merged}
    group = len(speakers) > 2 or draw(st.booleans()) and len(speakers) > 1
    return {"chat": "c", "group": group, "turns": [{"author": a, "text": SEP.join(t)} for a, t in merged]}


def trained_runs(ids: list[int], labels: list[int], tok) -> list[str]:
    """The decoded runs of consecutive trained tokens."""
    runs, run = [], []
    for i, lab in zip(ids, labels):
        if lab != -100:
            assert lab == i
            run.append(i)
        elif run:
            runs.append(run)
            run = []
    return [tok.decode(r) for r in runs + ([run] if run else [])]


def replies(conv: dict, end: str) -> list[str]:
    return [t["text"] + end for t in conv["turns"] if t["author"] == AUTHOR]


@pytest.mark.parametrize("key", KEYS)
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conv=conversation(), system=st.sampled_from(["Sos {author}. Respondé como {author} en WhatsApp.", ""]),
       max_length=st.sampled_from([40, 96, 4096]))
def test_only_the_authors_replies_and_their_end_of_turn_are_trained(formats, key, conv, system, max_length):
    fmt = formats[key](system)
    assert fmt.end_of_turn == END[key]
    assert fmt.tokenizer.convert_tokens_to_ids(END[key]) in fmt.stop_ids
    expected = replies(conv, END[key])
    runs = []
    for ex in fmt.examples(conv, 0, max_length):
        assert len(ex["input_ids"]) <= max_length
        got = trained_runs(ex["input_ids"], ex["labels"], fmt.tokenizer)
        if fmt.kind == "plain":  # byte-level BPE glues the space after "Martu:" to the reply's first word
            got = [r.removeprefix(" ") for r in got]
        cut = ex["length"] == max_length and got and not got[-1].endswith(END[key])
        for k, run in enumerate(got):
            # each run is a whole reply and its end of turn, or the start of one where the example was cut
            whole = run in expected
            start = run.rstrip("\ufffd")  # a cut may fall inside a character's bytes
            assert whole or (cut and k == len(got) - 1 and any(e.startswith(start) for e in expected)), (run, expected)
        runs += got
    if max_length == 4096:  # nothing cut: every reply trained exactly once, in order
        assert runs == expected


@pytest.mark.parametrize("key", KEYS)
@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conv=conversation())
def test_the_chat_prompt_for_the_next_reply_is_the_training_text_up_to_it(formats, key, conv):
    """What `gemelo chat` and the samples stage send equals what training saw before each of the author's replies."""
    from gemelo.chat import held_out_prompts

    fmt = formats[key]("Sos {author}.")
    full = fmt.text(fmt.messages(conv))
    held_out = held_out_prompts([conv], AUTHOR, SEP, 1)
    for j, t in enumerate(conv["turns"]):
        if t["author"] != AUTHOR or j == 0:
            continue
        history = [{"role": "assistant", "content": x["text"]} if x["author"] == AUTHOR else
                   {"role": "user", "content": x["text"], "name": x["author"]} for x in conv["turns"][:j]]
        if held_out:  # the samples stage's prompt is the first of these
            assert held_out.pop() == {"history": history, "group": conv["group"], "real": t["text"].split(SEP)}
        prompt = fmt.prompt(history, conv["group"])
        assert full.startswith(prompt)
        assert full[len(prompt):].startswith(t["text"] + END[key])


def test_phi3_reply_spans_stop_at_its_end_of_turn(formats):
    """The case that went wrong: Phi-3's template appends <|endoftext|> after the last message."""
    fmt = formats["phi3_mini"]("Sos {author}.")
    conv = {"group": False, "turns": [{"author": "Flor", "text": "¿dónde estás?"},
                                      {"author": AUTHOR, "text": f"estoy en el mitre{SEP}llego en 10"},
                                      {"author": "Flor", "text": "Tranqui"}, {"author": AUTHOR, "text": "dale"}]}
    text, _ = fmt.render(fmt.messages(conv))
    assert text.endswith("<|end|>\n<|endoftext|>")
    ids, labels = fmt.encode(fmt.messages(conv))
    assert trained_runs(ids, labels, fmt.tokenizer) == [f"estoy en el mitre{SEP}llego en 10<|end|>", "dale<|end|>"]
    assert fmt.stop_ids == [32000, 32007]


def test_smollm3_renders_without_reasoning_and_without_the_day(formats, monkeypatch):
    """No /think mode, an empty think block before every reply, and a system block that has no date in it:
    the processed data are the same on any day (faked here), so DVC's cache reproduces itself."""
    import datetime as real

    import transformers.utils.chat_template_utils as ctu

    fmt = formats["smollm3_3b"]("Sos {author}.")
    conv = {"group": False, "turns": [{"author": "Flor", "text": "hola"}, {"author": AUTHOR, "text": "holis"}]}

    def render_on(day: real.datetime):
        class Day(real.datetime):
            @classmethod
            def now(cls, tz=None):
                return day
        monkeypatch.setattr(ctu, "datetime", Day)
        return fmt.text(fmt.messages(conv)), fmt.encode(fmt.messages(conv)), fmt.prompt([{"role": "user", "content": "hola"}])

    one, other = render_on(real.datetime(2026, 1, 2)), render_on(real.datetime(2027, 7, 30))
    assert one == other
    text, _, prompt = one
    assert text.startswith("<|im_start|>system\nSos Martu.<|im_end|>\n") and "Date" not in text
    assert "<|im_start|>assistant\n<think>\n\n</think>\nholis<|im_end|>" in text
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n")
    # the faked clock does reach the template: without the override its metadata block shows the day
    plain = ChatFormat(fmt.tokenizer, "chat", AUTHOR, "Sos {author}.", SEP, {"enable_thinking": False})
    monkeypatch.setattr(ctu, "datetime", type("D", (real.datetime,), {"now": classmethod(lambda c, tz=None: real.datetime(2026, 1, 2))}))
    assert "Today Date: 02 January 2026" in plain.text(plain.messages(conv))


def test_gpt2_spanish_plain_format_with_its_real_tokenizer(formats):
    fmt = formats["gpt2_spanish"]("Sos {author}.")
    tok = fmt.tokenizer
    assert tok.eos_token == "<|endoftext|>" and tok.eos_token_id == 50256 and tok.pad_token_id == 50256
    assert len(tok.encode(SEP, add_special_tokens=False)) == 1  # the separator is one added token
    conv = {"group": True, "turns": [{"author": "Flor", "text": "¿Vamos?"}, {"author": "Juan", "text": "dale"},
                                     {"author": AUTHOR, "text": f"siii{SEP}re va 😂"}]}
    text, _ = fmt.render(fmt.messages(conv))
    assert text == f"Sos Martu.\nFlor: ¿Vamos?\nJuan: dale\nMartu: siii{SEP}re va 😂<|endoftext|>\n"
    ids, labels = fmt.encode(fmt.messages(conv))
    assert trained_runs(ids, labels, tok) == [f" siii{SEP}re va 😂<|endoftext|>"]
    assert fmt.stop_ids == [50256]
