from itertools import count

from gemelo.config import Params
from gemelo.grouping import group, make_conversations, make_turns, split_chat

CFG = Params({"burst_gap_minutes": 30, "session_gap_minutes": 180, "max_turns": 4,
              "separator": "<|msg_sep|>", "validation": 0.2, "test": 0.2})


def msg(ts, author, text, chat="a"):
    return {"ts": ts, "author": author, "text": text, "chat": chat}


def test_bursts_of_one_author_become_one_turn():
    turns = make_turns([
        msg("2023-01-01T10:00:00", "Martu", "hola"),
        msg("2023-01-01T10:00:30", "Martu", "che"),
        msg("2023-01-01T11:00:00", "Martu", "sigo acá"),   # over burst_gap: a new turn
        msg("2023-01-01T11:01:00", "Flor", "¿Qué?"),
    ], __import__("datetime").timedelta(minutes=30))["a"]
    assert [t.texts for t in turns] == [["hola", "che"], ["sigo acá"], ["¿Qué?"]]
    assert turns[0].to_json("|")["text"] == "hola|che"


def test_conversations_cut_at_silence_backwards_clock_and_max_turns():
    from datetime import timedelta
    ms = [msg(f"2023-01-01T{h:02d}:00:00", a, "x") for h, a in [(1, "A"), (2, "B"), (9, "A"), (10, "B")]]
    ms.append(msg("2023-01-01T05:00:00", "A", "pasted older export"))
    convs = make_conversations(make_turns(ms, timedelta(minutes=30))["a"], timedelta(hours=3), 16)
    assert [len(c) for c in convs] == [2, 2, 1]
    many = [msg(f"2023-01-01T10:{m:02d}:00", "AB"[m % 2], "x") for m in range(10)]
    convs = make_conversations(make_turns(many, timedelta(minutes=30))["a"], timedelta(hours=3), 4)
    assert [len(c) for c in convs] == [4, 4, 2]


def test_split_is_chronological():
    parts = split_chat(list(range(10)), 0.2, 0.2)
    assert parts == {"train": [0, 1, 2, 3, 4, 5], "validation": [6, 7], "test": [8, 9]}


def _chat(chat, day0, n_convs, clock):
    out = []
    for c in range(n_convs):
        for k in range(4):
            out.append(msg(f"2023-{1 + (day0 + c) // 28:02d}-{1 + (day0 + c) % 28:02d}T12:{k:02d}:00",
                           "Martu" if k % 2 else "Flor", f"{chat} mensaje {next(clock)}", chat))
    return out


def test_no_message_of_test_conversations_is_trained_on_even_with_overlapping_exports():
    clock = count()
    chat_a = _chat("a", 0, 20, clock)
    overlap = [dict(m, chat="a-again") for m in chat_a[-30:]]  # the same chat exported again later
    splits, metrics = group(chat_a + _chat("b", 5, 10, clock) + overlap, "Martu", CFG)
    def keys(split):
        return {(t["ts"], t["text"]) for c in splits[split] for t in c["turns"]}
    assert keys("test") and keys("train")
    assert not keys("test") & keys("train")
    assert not keys("validation") & keys("train")
    assert metrics["duplicate_messages_dropped"] == 30
    # each chat contributes its most recent conversations to the test split
    assert {c["chat"] for c in splits["test"]} == {"a", "b"}
    for chat in ("a", "b"):
        last_train = max(c["start"] for c in splits["train"] if c["chat"] == chat)
        assert all(c["start"] > last_train for c in splits["test"] if c["chat"] == chat)


def test_conversations_without_the_author_are_dropped():
    ms = [msg("2023-01-01T10:00:00", "Flor", "hola"), msg("2023-01-01T10:01:00", "Tomi", "hola")]
    splits, metrics = group(ms, "Martu", CFG)
    assert sum(map(len, splits.values())) == 0
    assert metrics["conversations_without_author_dropped"] == 1
