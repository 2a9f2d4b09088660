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
from datetime import datetime
from itertools import compress, repeat
from operator import add, eq, is_, itemgetter, le, not_, sub

from gemelo.parsing import kinds
from gemelo.parsing.body import clean_author, message
from gemelo.parsing.dates import BACK, ORDERS, day, real, timestamp
from gemelo.parsing.headers import PATTERN, layout, numbers, pattern, seconds
from gemelo.parsing.messages import UTF8, Block, Parsed

ANY_HEADER = pattern(utf8=True)


def parse(raw: bytes, chat: str) -> Parsed | None:
    """The export in raw (normalised UTF-8); None where it takes the reference parser."""
    raw = b"\n" + raw
    first = ANY_HEADER.search(raw)
    shape = first and layout(PATTERN.match(first[0][1:].decode()))  # read by the reference's own regex
    if not shape:
        return None
    parts = pattern(shape, utf8=True).split(raw)  # before the first header, then (date, time, 12 h marker, body)s
    dates, times, bodies = parts[1::4], list(zip(parts[2::4], parts[3::4])), parts[4::4]
    if any(map(ANY_HEADER.search, compress(bodies, map(bytes.count, bodies, repeat(b"\n"))))):
        return None  # a header-like line inside a message: a quote, or another export?
    secs = {t: seconds(t[0].decode(), t[1].decode()) for t in set(times)}
    numbered = {d: numbers(d.decode()) for d in set(dates)}
    order = None if None in secs.values() else one_export(dates, numbered, secs, times, shape.year_first)
    if order is None:
        return None
    day_iso = {d: timestamp(day(n, order), 0).date().isoformat().encode() + b"T" for d, n in numbered.items()}
    time_iso = {t: timestamp(1, s).time().isoformat().encode() for t, s in secs.items()}
    stamps = list(map(add, map(day_iso.__getitem__, dates), map(time_iso.__getitem__, times)))
    parsed = Parsed([], raw.count(b"\n"), Counter(not_a_message=parts[0].count(b"\n")))
    parsed.parts.append(columns(bodies, stamps, chat, parsed))
    parsed.dropped = +parsed.dropped
    return parsed


def one_export(dates: list[bytes], numbered: dict, secs: dict, times: list, year_first: bool) -> tuple | None:
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


def columns(bodies: list[bytes], stamps: list[bytes], chat: str, parsed: Parsed) -> Block:
    """The messages: one-line `Name: text` ones straight from the columns (plain text, or a text a locale
    table holds whole), the others by `body.message`, counted in parsed as the reference does."""
    n = len(bodies)
    split = list(map(bytes.partition, bodies, repeat(b": ")))
    heads, seps, texts = (list(map(itemgetter(i), split)) for i in range(3))
    texts = list(map(bytes.rstrip, texts, repeat(b" \t")))  # as `kinds.classify` does
    names = {raw: clean_author(raw.decode(*UTF8)) for raw in set(heads)}
    authors = list(map(names.__getitem__, heads))
    block = Block(stamps, authors, texts, list(map(kinds.EXACT_UTF8.get, texts, repeat("text"))), [False] * n,
                  [chat] * n, [1] * n)
    for i in special(bodies, seps, block):
        m, recognised = message(bodies[i].decode(*UTF8), datetime.fromisoformat(stamps[i].decode()), chat)
        block.authors[i], block.texts[i], block.kinds[i], block.edited[i], block.lines[i] = (
            m.author, m.text.encode(*UTF8), m.kind, m.edited, m.lines)
        parsed.dropped["empty"] += bodies[i].count(b"\n") + 1 - m.lines
        parsed.unrecognised += 0 if recognised else m.lines
    return block


def special(bodies: list[bytes], seps: list[bytes], block: Block) -> set[int]:
    """Indices of the messages that take `body.message`: several lines, no author, or a text that a locale
    rule might match but not whole (the gates derived from the rules), a column at a time."""
    at = range(len(bodies))
    found = set(compress(at, map(bytes.count, bodies, repeat(b"\n"))))
    found.update(compress(at, map(not_, seps)))
    found.update(compress(at, map(is_, block.authors, repeat(None))))
    texts = list(compress(block.texts, map(eq, block.kinds, repeat("text"))))  # not held whole by a table
    at = list(compress(at, map(eq, block.kinds, repeat("text"))))
    found.update(compress(at, map(kinds.HEADS_UTF8.__contains__, map(itemgetter(slice(4)), texts))))
    found.update(compress(at, map(kinds.TAILS_UTF8.__contains__, map(itemgetter(slice(-4, None)), texts))))
    found.update(compress(at, map(bytes.endswith, texts, repeat(b">"))))
    found.update(compress(at, map(bytes.startswith, texts, repeat(kinds.MARKS_UTF8))))
    return found
