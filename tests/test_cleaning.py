import json
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemelo import UserError
from gemelo.cleaning import Redactor, clean as clean_jsonl
from gemelo.parsing import Message, Parsed


def clean(parsed, names, redact):
    jsonl, metrics = clean_jsonl(parsed, names, redact)
    return [json.loads(line) for line in jsonl.decode().splitlines()], metrics


def m(author, text, kind="text", lines=1, edited=False):
    return Message(datetime(2023, 1, 1, 10, 0), author, text, kind, edited, "chat", lines)


def parsed(*messages, stray=0):
    return Parsed(list(messages), sum(x.lines for x in messages) + stray, stray)


def test_keeps_text_as_written_and_accounts_for_every_line():
    p = parsed(m("Martu", "JAJAJA posta?? 😂\nq onda", lines=2, edited=True), m("Flor", "<Multimedia omitido>", "media"),
               m(None, "Los mensajes y las llamadas están cifrados…", "system"), m("Flor", "Se eliminó este mensaje.", "deleted"),
               m("Flor", "¿Venís?"), stray=2)
    kept, metrics = clean(p, ["Martu"], {"phones": True, "emails": True, "urls": False})
    assert [k["text"] for k in kept] == ["JAJAJA posta?? 😂\nq onda", "¿Venís?"]
    assert metrics["lines_read"] == 8
    assert metrics["lines_kept"] + sum(metrics["lines_dropped"].values()) == metrics["lines_read"]
    assert metrics["lines_dropped"] == {"deleted": 1, "media": 1, "not_a_message": 2, "system": 1}
    assert metrics["messages_by_author"] == {"Martu": 1, "Flor": 1}
    assert metrics["edited"] == 1


def test_several_names_of_the_author_become_one():
    kept, metrics = clean(parsed(m("Martu", "a"), m("Martu Celu", "b"), m("Flor", "c")), ["Martu", "Martu Celu"], {})
    assert [k["author"] for k in kept] == ["Martu", "Martu", "Flor"]


def test_unknown_author_lists_the_authors_and_the_closest_match():
    with pytest.raises(UserError) as e:
        clean(parsed(m("Martina", "a"), m("Martina", "b"), m("Flor", "c")), ["Martinna"], {})
    msg = str(e.value)
    assert "\n" not in msg and "closest: 'Martina'" in msg and "Martina (2)" in msg and "Flor (1)" in msg


def test_redaction_is_stable_and_leaves_times_alone():
    r = Redactor(k for k in ("phones", "emails"))
    out = r("llamame al +54 9 11 5555-0101 o a flor.gomez@example.com, a las 20.15.21.15 hs")
    assert out == "llamame al <TEL_1> o a <EMAIL_1>, a las 20.15.21.15 hs"
    assert r("otra vez +54 9 11 5555-0101 y 011 4555-1234") == "otra vez <TEL_1> y <TEL_2>"
    assert Redactor(["urls"])("mirá https://example.com/x") == "mirá <URL_1>"


def test_blank_messages_are_dropped_as_empty_and_counted():
    from gemelo.parsing import parse_text

    text = ("21/08/22, 19:40 - Flor: \u00a0\n21/08/22, 19:41 - Flor: \u200b\n21/08/22, 19:42 - Martu: \u3000 \n"
            "21/08/22, 19:43 - Martu: dale\n")
    kept, metrics = clean(parse_text(text), ["Martu"], {})
    assert [k["text"] for k in kept] == ["\u200b", "dale"]  # a zero-width space is not white space
    assert metrics["lines_dropped"] == {"empty": 2} and metrics["messages_by_author"] == {"Flor": 1, "Martu": 1}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789 -()+.:/@abwh\u00a0\n", max_size=40), max_size=6))
def test_redaction_candidates_hold_every_text_a_pattern_changes(texts):
    kinds = ["phones", "emails", "urls"]
    changed = {i for i, t in enumerate(texts) if Redactor(kinds)(t) != t}
    assert changed <= set(Redactor(kinds).candidates([t.encode() for t in texts]))


def test_a_big_export_cleaned_in_halves_is_cleaned_as_in_one_piece(tmp_path, monkeypatch):
    """Counts add up across the halves, and placeholders are numbered in file order as in one piece."""
    import gemelo.parsing as parsing
    from gemelo.cleaning import clean_path

    start = datetime(2022, 8, 21, 9, 0)
    lines = []
    for i in range(2000):
        ts = start + timedelta(minutes=3 * i)
        author = ("Martu", "Martu Celu", "Flor")[i % 3]
        body = (f"llamame al +54 9 11 5555-{i % 7:04d}" if i % 50 == 0 else f"mail flor{i % 3}@example.com"
                if i % 70 == 1 else "<Multimedia omitido>" if i % 9 == 0 else f"mensaje {i}\nsigue")  # fmt: skip
        lines.append(f"{ts:%d/%m/%y, %H:%M} - {author}: {body}")
    path = tmp_path / "chat.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(parsing, "_HALVES_MIN", 0)
    monkeypatch.setattr(parsing.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    redact = {"phones": True, "emails": True, "urls": False}
    halves, metrics = clean_path(path, ["Martu", "Martu Celu"], redact, jobs=2)
    one, one_metrics = clean_path(path, ["Martu", "Martu Celu"], redact, jobs=1)
    assert len(halves) == 2 and len(one) == 1
    assert b"".join(map(bytes, halves)) == one[0] and metrics == one_metrics
    assert metrics["redacted"] == {"TEL": 7, "EMAIL": 3} and b"<TEL_7>" in one[0] and b"5555-" not in one[0]
