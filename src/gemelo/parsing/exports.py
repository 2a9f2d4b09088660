"""One file may hold several exports pasted one after another: where each starts, and its date order.

Three steps:
1. `common_layouts`: a header layout seen once in a file, unlike the first header's, is a quoted line inside
   a message, not an export of its own;
2. `by_layout`: a change of layout starts a new export (an iOS export pasted below an Android one);
3. `by_time`: within one layout, a new export starts where no date order keeps the time going forward
   (`dates.chronological`); it starts at the earliest header from which the new export's dates hold together
   and its time went back, so that its ambiguous first dates are read in its own order.
A byte-order mark starts no export: it is ignored everywhere.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import NamedTuple

from gemelo.parsing.dates import BACK, chronological, moment, prefer, real
from gemelo.parsing.headers import Header


class Export(NamedTuple):
    headers: list[Header]
    order: tuple  # dates.DMY, MDY, YMD or YDM


def split(headers: list[Header]) -> list[Export]:
    """The exports, in file order, of a file's headers (those with a real date under some order)."""
    return [export for run in by_layout(common_layouts(headers)) for export in by_time(run)]


def common_layouts(headers: list[Header]) -> list[Header]:
    """The headers whose layout is the file's first or is seen more than once."""
    seen = Counter(h.layout for h in headers)
    first = headers[0].layout if headers else None
    return [h for h in headers if h.layout == first or seen[h.layout] > 1]


def by_layout(headers: list[Header]) -> list[list[Header]]:
    return [list(run) for _, run in groupby(headers, key=lambda h: h.layout)]


def _orders(before: set, a: Header, b: Header) -> set:
    """The orders of `before` under which b can follow a in one export."""
    return {o for o in before if chronological(moment(a.date, a.secs, o), moment(b.date, b.secs, o))}


def _prefixes(run: list[Header]) -> list[set]:
    """For each k, the orders under which run[:k + 1] is one export."""
    out = [real(run[0].date, run[0].layout.year_first)]
    for a, b in zip(run, run[1:]):
        out.append(_orders(out[-1], a, b))
    return out


def by_time(run: list[Header]) -> list[Export]:
    """The exports of one layout's run of headers: each ends where no date order it still allows keeps the
    time going forward, and is read in the preferred order of those it allows."""
    year_first = run[0].layout.year_first
    exports = []
    start, prefixes = 0, _prefixes(run[:1])
    for i in range(1, len(run)):
        keep = _orders(prefixes[-1], run[i - 1], run[i])
        if keep:
            prefixes.append(keep)
            continue
        j = _new_start(run, start, i, prefixes)
        exports.append(Export(run[start:j], prefer(prefixes[j - 1 - start], year_first)))
        start, prefixes = j, _prefixes(run[j : i + 1])
    exports.append(Export(run[start:], prefer(prefixes[-1], year_first)))
    return exports


def _new_start(run: list[Header], start: int, i: int, prefixes: list[set]) -> int:
    """Where the export that run[i] belongs to begins: the earliest j in (start, i] such that run[j..i] is one
    export under some order and run[j]'s time, in that order, goes back from run[j - 1]'s in the old one."""
    best = i
    suffix = real(run[i].date, run[i].layout.year_first)
    for j in range(i, start, -1):
        if j < i:
            suffix = _orders(suffix, run[j], run[j + 1])
            if not suffix:
                break
        old = [moment(run[j - 1].date, run[j - 1].secs, o) for o in prefixes[j - 1 - start]]
        new = [moment(run[j].date, run[j].secs, o) for o in suffix]
        if any(n < t - BACK for n in new for t in old):
            best = j
    return best
