"""What follows a header: the author, and the message's text and kind (the locale tables tell it)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from gemelo.parsing import kinds
from gemelo.parsing.messages import Message


def message(body: str, ts: datetime, chat: str) -> tuple[Message, bool]:
    """A message from what follows its header, and whether a system line's wording was recognised. Blank
    lines at its end belong to no message (they are not counted in `lines`)."""
    body = trim_blank_lines(body)
    lines = body.count("\n") + 1
    author, sep, rest = body.partition(": ")
    if not sep or "\n" in author:  # `Name:` alone (an empty message), or a system line
        first = body.partition("\n")[0]
        author, colon, dot = first.partition(":")
        sep = colon and dot in ("", ".")
        rest = body[len(author) + 1 :]
    name = clean_author(author) if sep else None
    kind = kinds.system(body) if name is None else kinds.classify(rest)
    return Message(ts, name, kind.text, kind.kind, kind.edited, chat, lines), kind.recognised


def trim_blank_lines(body: str) -> str:
    end = body.rstrip()
    cut = body.find("\n", len(end))
    return body if cut < 0 else body[:cut]


@lru_cache(maxsize=4096)
def clean_author(raw: str) -> str | None:
    """The author as shown (no `~ ` before a number not in the contacts, no marks), or None where the text
    before `: ` is an event (`X cambió el asunto a: Y`)."""
    name = raw.strip(kinds.MARKS)
    if name.startswith(("~\u202f", "~ ", "~\u00a0")):
        name = name[2:].lstrip(kinds.MARKS)
    name = name.strip()
    return None if not name or kinds.is_event(name) else name
