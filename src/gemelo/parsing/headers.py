"""Header lines, the lines that start a message, in every layout WhatsApp has written.

`STYLES` is the one table of layouts (how a header closes; iOS also opens with `[`), and `PATTERN`, built from
it, finds them all: optional LRM marks, a date (`/`, `.` or `-` twice), an optional comma, an optional word
(`klo`, `à`, ...), a time (`:` or `.`, seconds optional), an optional 12-hour marker, then the closing.
The spaces may be plain, NBSP or NNBSP. What a header's date means is decided per export (see `dates`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

SPACE = "(?: |\u00a0|\u202f)"  # plain, NBSP, NNBSP (alternatives, not a class: the same regex works on UTF-8)
MARKS = "(?:\u200e|\u200f)"  # LRM, RLM
DASH = "(?:-|\u2013)"  # hyphen, en dash
STYLES = {  # name: (opening, closing)
    "ios": (r"\[", rf"\]{SPACE}?"),  # [29/9/20, 10:13:49] Noe: hola
    "android": ("", rf"\.?{SPACE}?{DASH}{SPACE}"),  # 21/08/22, 19:40 - Flor: hola   (2022/12/14, 13:34. - …)
    "legacy": ("", ": "),  # 2/12/15, 8:33:07 PM: Name: text   (2013-2016)
}
WORDS = ("klo", "à", "um", "at", "a las", "às")  # between the date and the time in some languages
AMPM = rf"{SPACE}*[aApP]\.?{SPACE}?[mM]\.?"


class Layout(NamedTuple):
    """What stays the same in all the headers of one export."""

    style: str  # a key of STYLES
    sep: str  # between the date's numbers
    year_first: bool
    comma: bool
    word: str | None
    seconds: bool
    ampm: bool


def pattern(layout: Layout | None = None, utf8: bool = False) -> re.Pattern:
    """The header regex, of any layout or of one, on text or on UTF-8 bytes (the fast path splits a file with
    one layout's, on bytes: several times faster). The group named after the style closes the header, so
    `m.lastgroup` names it."""
    if layout is None:
        opening = f"(?P<open>{'|'.join(o for o, _ in STYLES.values() if o)})?"
        date = r"\d{1,4}(?P<sep>[/.\-])\d{1,2}(?P=sep)\d{1,4}"
        comma, word = "(?P<comma>,)?", f"(?:(?P<word>{'|'.join(WORDS)}){SPACE}+)?"
        time = rf"\d{{1,2}}[:.]\d\d(?:[:.]\d\d)?(?P<ampm>{AMPM})?"
        closing = "|".join(f"(?P<{name}>{c})" for name, (_, c) in STYLES.items())
    else:
        opening, sep = STYLES[layout.style][0], re.escape(layout.sep)
        date = (r"\d{3,4}" if layout.year_first else r"\d{1,2}") + rf"{sep}\d{{1,2}}{sep}\d{{1,4}}"
        comma, word = "," if layout.comma else "", f"{layout.word}{SPACE}+" if layout.word else ""
        time = r"\d{1,2}[:.]\d\d" + (r"[:.]\d\d" if layout.seconds else "") + (AMPM if layout.ampm else "")
        closing = STYLES[layout.style][1]
    source = rf"{MARKS}*{opening}(?P<date>{date})\.?{comma}{SPACE}+{word}(?P<time>{time})(?:{closing})"
    if utf8:  # on "\n" + the text (a newline is faster to find than a line start), with `Name: ` if any
        return re.compile(b"\n" + source.encode() + rb"(?:([^\n:]*): )?")  # a name holding ":" is left to the reference
    return re.compile("^" + source, re.MULTILINE)


PATTERN = pattern()


def layout(m: re.Match) -> Layout | None:
    """The layout of a header found by PATTERN, or None where it opens and closes as no style does."""
    style = m.lastgroup
    if bool(m["open"]) != bool(STYLES[style][0]):  # `[` opens iOS headers only
        return None
    return Layout(style, m["sep"], len(m["date"].split(m["sep"])[0]) >= 3, bool(m["comma"]), m["word"],
                  len(DIGITS.findall(m["time"])) == 3, bool(m["ampm"]))


class Header(NamedTuple):
    start: int  # where the header line starts in the text
    end: int  # where the message's own text starts (after the header)
    layout: Layout
    date: tuple[int, int, int]  # the three numbers as written
    secs: int  # seconds since midnight


def find(text: str) -> list[Header]:
    """Every line of text that is a header of some layout, with a real time; its date is checked later."""
    out = []
    for m in PATTERN.finditer(text):
        shape, secs = layout(m), seconds(m["time"])
        if shape is not None and secs is not None:
            out.append(Header(m.start(), m.end(), shape, numbers(m["date"]), secs))
    return out


@lru_cache(maxsize=4096)
def numbers(date: str) -> tuple[int, int, int]:
    a, b, c = re.split(r"[/.\-]", date)
    return int(a), int(b), int(c)


DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=8192)
def seconds(time: str) -> int | None:
    """Seconds since midnight of a header's time (12-hour marker included), or None for an impossible time.
    `12:xx a. m.` is 00:xx, `12:xx p. m.` 12:xx."""
    h, m, *s = map(int, DIGITS.findall(time))
    marker = next((ch for ch in time if ch in "aApP"), "").lower()
    if marker == "a" and h == 12:
        h = 0
    elif marker == "p" and h < 12:
        h += 12
    if h > 23 or m > 59 or (s and s[0] > 59):
        return None
    return h * 3600 + m * 60 + (s[0] if s else 0)
