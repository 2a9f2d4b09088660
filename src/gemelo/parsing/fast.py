"""The usual file, one export in one header layout, parsed a column at a time, on UTF-8 bytes.

It gives what `text.reference` gives (a test holds them together) in a fraction of the time, which is what
lets `gemelo parse` beat whatstk tenfold: a regex made for the first header's layout cuts the whole file at
the headers in one C call; the date order is decided on the column of dates, each distinct date and time
decoded once; the locale rules' gates (`kinds.HEADS_UTF8`, ...) pick out the few messages that may not be
plain one-line text, which go through `body.message`; and the JSON Lines are joined from byte pieces, never
from a Message per message. It returns None, leaving the file to the reference parser, where that one has
more to decide: a header-like line of any layout inside a message, an impossible time, several exports.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from itertools import compress, repeat
from operator import add, eq, is_, itemgetter, le, sub

from gemelo.parsing import kinds
from gemelo.parsing.body import clean_author, message
from gemelo.parsing.dates import BACK, ORDERS, day, real
from gemelo.parsing.headers import PATTERN, Layout, layout, numbers, pattern, seconds
from gemelo.parsing.messages import UTF8, Block, Parsed

ANY_HEADER = pattern(utf8=True)


def parse(raw: bytes, chat: str) -> Parsed | None:
    """The export in raw (normalised UTF-8); None where it takes the reference parser."""
    read = plan_and_parse(raw, chat)
    return read and read[0]


def first_layout(raw: bytes) -> Layout | None:
    """The layout of the first header in "\n" + raw, read by the reference's own regex."""
    first = ANY_HEADER.search(raw)
    return first and layout(PATTERN.match(first[0][1:].decode()))


def plan_and_parse(raw: bytes, chat: str) -> tuple[Parsed, Layout, tuple] | None:
    """The parse, and the layout and date order it read the export in (what `halves` checks)."""
    raw = b"\n" + raw
    shape = first_layout(raw)
    if not shape:
        return None
    parts = pattern(shape, utf8=True).split(raw)  # before the first header, then (date, time, name, text) each
    dates, times, heads, texts = parts[1::4], parts[2::4], parts[3::4], parts[4::4]
    lines = list(map(add, map(bytes.count, texts, repeat(b"\n")), repeat(1)))
    if any(map(ANY_HEADER.search, compress(texts, map((1).__lt__, lines)))):
        return None  # a header-like line inside a message: a quote, or another export?
    secs = {t: seconds(t.decode()) for t in set(times)}
    numbered = {d: numbers(d.decode()) for d in set(dates)}
    order = None if None in secs.values() else one_export(dates, numbered, secs, times, shape.year_first)
    if order is None:
        return None
    day_iso = {d: date.fromordinal(day(n, order)).isoformat().encode() for d, n in numbered.items()}
    time_iso = {t: f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}".encode() for t, s in secs.items()}
    parsed = Parsed([], raw.count(b"\n"), Counter(not_a_message=parts[0].count(b"\n")))
    when = list(map(day_iso.__getitem__, dates)), list(map(time_iso.__getitem__, times))
    parsed.parts.append(columns(heads, texts, lines, when, chat, parsed))
    parsed.dropped = +parsed.dropped
    return parsed, shape, order


def one_export(dates: list[bytes], numbered: dict, secs: dict, times: list[bytes], year_first: bool) -> tuple | None:
    """The date order under which every date is real and the time never goes back (where `exports.by_time`
    finds one export), the preferred one first; None if there is none."""
    orders = set.intersection(*(real(n, year_first) for n in numbered.values()))
    clock = list(map(secs.__getitem__, times))
    for order in (o for o in ORDERS[year_first] if o in orders):
        at = {d: day(n, order) * 86400 for d, n in numbered.items()}
        moments = list(map(add, map(at.__getitem__, dates), clock))
        if all(map(le, map(sub, moments[:-1], repeat(BACK)), moments[1:])):
            return order
    return None


def columns(heads: list[bytes | None], texts: list[bytes], lines: list[int], when: tuple[list[bytes], list[bytes]],
            chat: str, parsed: Parsed) -> Block:
    """The messages: `Name: text` ones straight from the columns (plain text, or a text a locale table holds
    whole), the others by `body.message`, counted in parsed as the reference does."""
    texts = list(map(bytes.rstrip, texts, repeat(b" \t")))  # as `kinds.classify` does
    names = {raw: clean_author(raw.decode(*UTF8)) for raw in set(heads) if raw is not None}
    block = Block(*when, list(map(names.get, heads)), texts, list(map(kinds.EXACT_UTF8.get, texts, repeat("text"))),
                  [False] * len(texts), [chat] * len(texts), lines)
    for i in not_plain(heads, block):
        body = texts[i] if heads[i] is None else heads[i] + b": " + texts[i]
        ts = datetime.fromisoformat(f"{block.dates[i].decode()}T{block.clocks[i].decode()}")
        m, recognised = message(body.decode(*UTF8), ts, chat)
        parsed.dropped["empty"] += lines[i] - m.lines
        parsed.unrecognised += 0 if recognised else m.lines
        block.authors[i], block.texts[i], block.kinds[i], block.edited[i], block.lines[i] = (
            m.author, m.text.encode(*UTF8), m.kind, m.edited, m.lines)
    return block


def not_plain(heads: list[bytes | None], block: Block) -> set[int]:
    """Indices of the messages that take `body.message`: no `Name: ` on the first line, a text that a locale
    rule might match (the gates derived from the rules) but not whole, or several lines whose last may be
    blank; found a column at a time."""
    at = range(len(heads))
    found = set(compress(at, map(is_, block.authors, repeat(None))))  # no name, or an event's text
    text_kind = list(map(eq, block.kinds, repeat("text")))  # not held whole by a table
    undecided, texts = list(compress(at, text_kind)), list(compress(block.texts, text_kind))
    found.update(compress(undecided, map(kinds.HEADS_UTF8.__contains__, map(itemgetter(slice(4)), texts))))
    found.update(compress(undecided, map(kinds.TAILS_UTF8.__contains__, map(itemgetter(slice(-4, None)), texts))))
    found.update(compress(undecided, map(bytes.endswith, texts, repeat(b">"))))
    several = list(compress(at, map((1).__lt__, block.lines)))  # a caption after an attachment's name?
    firsts = map(bytes.rstrip, map(itemgetter(0), map(bytes.partition, (block.texts[i] for i in several),
                                                       repeat(b"\n"))), repeat(b" \t"))
    found.update(compress(several, map(kinds.TAILS_UTF8.__contains__, map(itemgetter(slice(-4, None)), firsts))))
    for i in several:  # a blank last line, to cut? (only one of white space: Unicode's, as str.strip knows it)
        text = block.texts[i]
        if not 33 <= text[-1] <= 126 and not text.rpartition(b"\n")[2].decode(*UTF8).strip():
            found.add(i)
    return found
