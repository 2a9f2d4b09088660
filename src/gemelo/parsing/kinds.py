"""A message's kind (text, media, deleted, system) and its edited marker, from the locale tables.

The rules are written once, in `locales`; this module compiles them into lookups, and into the cheap gates
(first and last four characters) that let a plain text message, the common case, pass with a few set lookups.

One rule needs no table: iOS puts U+200E (LRM) right after `Name: ` on every line that is not a person's
text (system events, media, deleted messages), in any language, and before the edited marker it appends.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from gemelo.parsing.locales import LOCALES

MARKS = "\u200e\u200f"  # LRM, RLM
BLANKS = " \u00a0\u202f\n" + MARKS


def _variants(kind: str, text: str) -> list[str]:
    """The text, with its first letter's case swapped, and a deleted text without its final period."""
    out = [text]
    if text[:1].isalpha():
        out.append(text[0].swapcase() + text[1:])
    if kind == "deleted" and text.endswith("."):
        out += [t[:-1] for t in out]
    return out


def _rules(how: str, kind: str | None = None) -> list[str]:
    return [v for rows in LOCALES.values() for k, h, text in rows if h == how and kind in (None, k) and k != "edited"
            for v in _variants(k, text)]


def _group_by_kind(how: str) -> dict[str, tuple[str, ...]]:
    kinds = {k for rows in LOCALES.values() for k, h, _ in rows if h == how and k != "edited"}
    return {k: tuple(_rules(how, k)) for k in sorted(kinds)}


EXACT = {v: k for rows in LOCALES.values() for k, h, text in rows if h == "is" for v in _variants(k, text)}
STARTS = _group_by_kind("starts")
ENDS = _group_by_kind("ends")
EDITED = tuple(v for rows in LOCALES.values() for k, _, text in rows if k == "edited" for v in _variants(k, text))
PHRASES = tuple(sorted({t.lower() for t in _rules("has") + _rules("starts", "system")}))  # any case, anywhere

# Gates derived from the rules, so that plain text passes with a few set lookups: a body can only match a
# "starts" rule if its first four characters are some rule's, an "ends" rule if its last four are (or its
# first line's: an attachment's caption may follow), and an edited marker if it ends with ">".
HEADS = frozenset(s[:4] for group in STARTS.values() for s in group)
TAILS = frozenset(s[-4:] for group in ENDS.values() for s in group)
# The same gates on UTF-8, for the fast path (a text's bytes start with a rule's bytes only if they start with
# its first four bytes, and so on).
HEADS_UTF8 = frozenset([s.encode()[:4] for group in STARTS.values() for s in group]  # and a leading mark:
                       + [m.encode() + bytes([c]) for m in MARKS for c in range(256)] + [m.encode() for m in MARKS])
TAILS_UTF8 = frozenset(s.encode()[-4:] for group in ENDS.values() for s in group)
EXACT_UTF8 = {text.encode(): kind for text, kind in EXACT.items()}


class Kind(NamedTuple):
    text: str  # the body without its marks and edited marker
    kind: str  # "text" | "media" | "deleted" | "system"
    edited: bool
    recognised: bool = True  # False for a system line that no table names (a language not in `locales`)


def _strip_edited(body: str) -> tuple[str, bool]:
    """The body without a trailing edited marker: a known one, or (iOS, any language) U+200E + `<…>`."""
    if not body.endswith(">"):
        return body, False
    cut = next((len(m) for m in EDITED if body.endswith(m)), 0)
    if not cut:
        start = body.rfind("\u200e<")
        if start < 0 or "\n" in body[start:] or "<" in body[start + 2 :]:
            return body, False
        cut = len(body) - start
    return body[:-cut].rstrip(BLANKS), True


def classify(body: str) -> Kind:
    """The kind of a message with an author, from its body (the text after `Name: `). Spaces and tabs at its
    end go: a hand-edited file may have them, and they must not hide a marker."""
    body = body.rstrip(" \t")
    lrm = body[:1] in MARKS and body != ""
    if lrm:
        body = body.lstrip(MARKS)
    body, edited = _strip_edited(body)
    kind = EXACT.get(body)
    if kind is None and body[:4] in HEADS:
        kind = next((k for k, starts in STARTS.items() if body.startswith(starts)), None)
    first_line = body.partition("\n")[0].rstrip(" \t")  # an attachment's caption may follow on the next lines
    if kind is None and (body[-4:] in TAILS or first_line[-4:] in TAILS):
        kind = next((k for k, ends in ENDS.items() if first_line.endswith(ends) or body.endswith(ends)), None)
    if kind is not None:
        return Kind(body, kind, edited)
    if lrm:  # iOS: not a person's text, in a language the tables do not know
        return Kind(body, "system", edited, names_an_event(body))
    return Kind(body, "text", edited)


@lru_cache(maxsize=4096)
def names_an_event(text: str) -> bool:
    """Whether the text holds a system phrase of some language (a substring search each: 25x a big regex;
    system lines repeat, as missed calls do)."""
    low = text.lower()
    return any(map(low.__contains__, PHRASES))


def system(line: str) -> Kind:
    """A line without an author (Android system events), and whether a table knows its wording."""
    line = line.lstrip(MARKS).rstrip(" \t")
    return Kind(line, "system", False, names_an_event(line))


def is_event(author: str) -> bool:
    """Whether what stands before a `: ` is an event text rather than a name (`X cambió el asunto a: Y`)."""
    return " " in author and names_an_event(author)
