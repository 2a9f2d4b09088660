"""gemelo.parsing.halves: a big export in two halves at once, in two processes, exactly as in one piece, or
in one piece where the halves could disagree."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gemelo.parsing import halves, jsonl, parse_path
from test_parsing import BOM, chats


def _in_parts(path, monkeypatch) -> tuple[int, bytes]:
    """parse_apply with jobs=2 on any file size and two cores: (number of parts, JSON Lines)."""
    monkeypatch.setattr(halves, "MIN_BYTES", 0)
    monkeypatch.setattr(halves.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    parts = halves.parse_apply(path, jsonl, jobs=2)
    return len(parts), b"".join(parts)


def _export(n, start=datetime(2021, 1, 13), step=timedelta(minutes=7), header="%d/%m/%y, %H:%M - "):
    return "".join(f"{start + step * i:{header}}{'Ana' if i % 3 else 'Beto'}: mensaje {i} \"q\"\n"
                   f"{'segunda línea' + chr(10) if i % 5 == 0 else ''}" for i in range(n))  # fmt: skip


def test_halves_give_exactly_the_one_piece_parse(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_text(_export(800), encoding="utf-8")
    assert _in_parts(path, monkeypatch) == (2, jsonl(parse_path(path)))
    monkeypatch.setattr(halves.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert len(halves.parse_apply(path, jsonl, jobs=2)) == 1  # one core: one process


US = "%m/%d/%y, %H:%M - "
SECOND_HALVES = {  # after a US export of 2021-01-13 to -16 (month first), and why the halves are not the whole
    # on 3 March only: alone, the second half would be read day first (1 March... 3 January)
    "ambiguous dates": _export(400, start=datetime(2021, 3, 3), step=timedelta(minutes=1), header=US),
    "an export pasted": _export(400, start=datetime(2020, 1, 13), header=US),  # the time goes back at the cut
    "another layout": _export(400, start=datetime(2021, 2, 1), header="[%d/%m/%y, %H:%M:%S] "),
}


@pytest.mark.parametrize("case", sorted(SECOND_HALVES))
def test_halves_that_could_disagree_give_way_to_one_piece(tmp_path, monkeypatch, case):
    path = tmp_path / "chat.txt"
    path.write_text(_export(400, header=US) + SECOND_HALVES[case], encoding="utf-8")
    assert _in_parts(path, monkeypatch) == (1, jsonl(parse_path(path)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(chats(), min_size=1, max_size=3))
def test_halves_agree_with_one_piece_on_any_export(tmp_path, monkeypatch, exports):
    """Several generated exports pasted together (any layout, CRLF, BOMs): halves or not, the same output."""
    path = tmp_path / "chat.txt"
    path.write_bytes("".join(BOM + text for _, text, _ in exports).encode("utf-8"))
    assert _in_parts(path, monkeypatch)[1] == jsonl(parse_path(path))
