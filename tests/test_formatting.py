import pytest
from _tiny import tiny_format

from gemelo.formatting import to_messages

SEP = "<|msg_sep|>"
SYSTEM = "Sos {author}."
CONV = {"chat": "c", "group": False, "turns": [
    {"author": "Flor", "text": "¿Vamos al cine?"},
    {"author": "Martu", "text": f"siii{SEP}re va 😂"},
    {"author": "Flor", "text": "Dale."},
    {"author": "Martu", "text": "nos vemos"},
]}


@pytest.fixture(scope="module")
def chat():
    return tiny_format("chat", SYSTEM)


@pytest.fixture(scope="module")
def plain():
    return tiny_format("plain", SYSTEM)


def trained_text(tok, ids, labels):
    return tok.decode([i for i, l in zip(ids, labels) if l != -100])


def test_roles_author_is_assistant_and_group_names_stay_visible():
    msgs = to_messages(CONV, "Martu", SYSTEM)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant"]
    assert msgs[0]["content"] == "Sos Martu."
    group = {"group": True, "turns": [{"author": "Tomi", "text": "Hola"}, {"author": "Juli", "text": "Buenas"},
                                      {"author": "Martu", "text": "holaa"}]}
    msgs = to_messages(group, "Martu", SYSTEM)
    assert msgs[1] == {"role": "user", "content": "Tomi: Hola\nJuli: Buenas", "name": "Tomi"}


def test_chat_template_labels_cover_only_replies_and_end_of_turn(chat):
    tok = chat.tokenizer
    ids, labels = chat.encode(chat.messages(CONV))
    assert trained_text(tok, ids, labels) == f"siii{SEP}re va 😂<|im_end|>nos vemos<|im_end|>"
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    # the system prompt, the user turns and the role headers get no loss; every reply's end of turn does
    trained_ends = [l for i, l in zip(ids, labels) if i == im_end and l != -100]
    assert len(trained_ends) == 2 and ids.count(im_end) == 5
    assert "Vamos" not in trained_text(tok, ids, labels) and "assistant" not in trained_text(tok, ids, labels)
    assert chat.end_of_turn == "<|im_end|>" and im_end in chat.stop_ids


def test_plain_format_trains_the_end_of_reply_token_not_the_speaker_tag(plain):
    tok = plain.tokenizer
    text, spans = plain.render(plain.messages(CONV))
    assert text.startswith("Sos Martu.\nFlor: ¿Vamos al cine?\nMartu: siii")
    ids, labels = plain.encode(plain.messages(CONV))
    # the space after "Martu:" shares the reply's first token, so it is trained with it
    assert trained_text(tok, ids, labels).strip() == f"siii{SEP}re va 😂{tok.eos_token} nos vemos{tok.eos_token}"
    assert "Martu:" not in trained_text(tok, ids, labels)
    prompt = plain.text(plain.messages(CONV)[:2], generation_prompt=True)
    assert prompt.endswith("Martu: ")
    assert plain.end_of_turn == tok.eos_token and plain.stop_ids == [tok.eos_token_id]


def test_long_conversations_are_cut_at_turn_boundaries(chat):
    tok = chat.tokenizer
    long = {"group": False, "turns": [{"author": "Flor" if i % 2 == 0 else "Martu", "text": f"mensaje {i} " * 8}
                                      for i in range(12)]}
    exs = chat.examples(long, 7, max_length=128)
    assert len(exs) > 1
    for e in exs:
        assert len(e["input_ids"]) <= 128 and e["conv_id"] == 7
        assert any(l != -100 for l in e["labels"])
        assert tok.decode(e["input_ids"]).startswith("<|im_start|>system\nSos Martu.")
    assert sum(e["reply_words"] for e in exs) == 6 * 16  # every reply in exactly one example
