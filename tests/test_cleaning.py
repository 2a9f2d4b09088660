import json
from collections import Counter
from datetime import datetime

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
    return Parsed([list(messages)], sum(x.lines for x in messages) + stray, Counter(not_a_message=stray))


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




def test_redaction_numbers_values_in_file_order_across_files(tmp_path):
    from gemelo.cleaning import clean_path

    (tmp_path / "a.txt").write_text("01/01/21, 10:00 - Martu: llamame al +54 9 11 5555-0101\n"
                                    "01/01/21, 10:01 - Flor: flor@example.com\n01/01/21, 10:02 - Flor: <Multimedia omitido>\n",
                                    encoding="utf-8")
    (tmp_path / "b.txt").write_text("[02/01/21, 10:00:00] Martu: otro: 011 4555-1234 y +54 9 11 5555-0101\n", encoding="utf-8")
    out, metrics = clean_path(tmp_path, ["Martu"], {"phones": True, "emails": True, "urls": False})
    assert [json.loads(line)["text"] for line in out.decode().splitlines()] == [
        "llamame al <TEL_1>", "<EMAIL_1>", "otro: <TEL_2> y <TEL_1>"]
    assert metrics["redacted"] == {"EMAIL": 1, "TEL": 2} and metrics["lines_dropped"] == {"media": 1}
