"""What a parse gives: the messages, and the account of every line read."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from functools import cached_property
from itertools import compress, repeat
from json.encoder import encode_basestring
from typing import NamedTuple

UTF8 = ("utf-8", "surrogatepass")
ESCAPED = re.compile(rb'["\\\x00-\x1f]')  # what json.dumps escapes in a text (ensure_ascii=False)
CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f]")  # the escapes other than quote, backslash and newline


class Message(NamedTuple):
    """One message, as shown in the chat."""

    ts: datetime  # naive local time, seconds precision
    author: str | None  # None for system lines without an author (Android)
    text: str  # body; newlines of multi-line messages kept; edited marker and leading LRM/RLM stripped
    kind: str  # "text" | "media" | "deleted" | "system"
    edited: bool  # an edited marker was stripped from the text
    chat: str  # which export it came from ("name", "name#2" for the 2nd export pasted in one file)
    lines: int  # source lines this message spans (header + continuation lines)

    def to_json(self) -> dict:
        return {"ts": self.ts.isoformat(), "author": self.author, "text": self.text, "kind": self.kind,
                "edited": self.edited, "chat": self.chat}


class Block(NamedTuple):
    """Messages as columns (texts in UTF-8): what the fast path makes, and what the JSON Lines writer reads.
    The dates and times are ISO 8601 (b"2024-03-14", b"09:00:00"), shared by the messages that have them."""

    dates: list[bytes]
    clocks: list[bytes]
    authors: list[str | None]
    texts: list[bytes]
    kinds: list[str]
    edited: list[bool]
    chats: list[str]
    lines: list[int]

    @classmethod
    def of(cls, messages: list[Message]) -> Block:
        ts, authors, texts, kinds, edited, chats, lines = map(list, zip(*messages)) if messages else [[]] * 7
        return cls([t.date().isoformat().encode() for t in ts], [t.time().isoformat().encode() for t in ts],
                   authors, [t.encode(*UTF8) for t in texts], kinds, edited, chats, lines)

    def messages(self) -> list[Message]:
        when = {k: datetime.fromisoformat(b"T".join(k).decode()) for k in set(zip(self.dates, self.clocks))}
        texts = [t.decode(*UTF8) for t in self.texts]
        columns = map(when.__getitem__, zip(self.dates, self.clocks)), self.authors, texts, self.kinds, self.edited
        return list(map(tuple.__new__, repeat(Message), zip(*columns, self.chats, self.lines)))

    def jsonl(self, keep: list[bool] | None = None, authors: list | None = None) -> bytes:
        """The kept messages as lines of `json.dumps(m.to_json(), ensure_ascii=False)`, with the authors given.
        Joined from byte pieces made once per distinct value: a big export's lines in a tenth of the time."""
        columns = [self.dates, self.clocks, self.authors if authors is None else authors, self.texts, self.kinds,
                   self.edited, self.chats]
        if keep is not None:
            columns = [list(compress(c, keep)) for c in columns]
        dates, clocks, names, texts, kinds, edited, chats = columns
        ends = list(kinds) if len(set(chats)) == 1 else list(zip(kinds, repeat(False), chats))  # what ends a line
        for i in compress(range(len(ends)), edited):
            ends[i] = kinds[i], True, chats[i]
        start = {d: b'{"ts": "' + d + b"T" for d in set(dates)}
        clock = {c: c + b'", "author": ' for c in set(clocks)}
        name = {a: (b"null" if a is None else encode_basestring(a).encode(*UTF8)) + b', "text": "' for a in set(names)}
        end = {e: self._end(*((e, False, chats[0]) if isinstance(e, str) else e)) for e in set(ends)}
        texts = list(texts)
        at = list(compress(range(len(texts)), map(ESCAPED.search, texts)))  # the texts json.dumps escapes
        escaped = [texts[i] for i in at]
        for old, new in ((b"\\", b"\\\\"), (b'"', b'\\"'), (b"\n", b"\\n")):  # as json.dumps does, 10x faster
            escaped = list(map(bytes.replace, escaped, repeat(old), repeat(new)))
        rare = CONTROL.search(b"".join(escaped)) is not None  # a tab, a control character: json.dumps's own way
        for i, text in zip(at, escaped):
            texts[i] = encode_basestring(texts[i].decode(*UTF8))[1:-1].encode(*UTF8) if rare and CONTROL.search(text) else text
        pieces = [b""] * (5 * len(texts))
        pieces[0::5] = map(start.__getitem__, dates)
        pieces[1::5] = map(clock.__getitem__, clocks)
        pieces[2::5] = map(name.__getitem__, names)
        pieces[3::5] = texts
        pieces[4::5] = map(end.__getitem__, ends)
        return b"".join(pieces)

    @staticmethod
    def _end(kind: str, edited: bool, chat: str) -> bytes:
        return f'", "kind": "{kind}", "edited": {str(edited).lower()}, "chat": {encode_basestring(chat)}}}\n'.encode(*UTF8)


class Parsed:
    """The messages of one or more exports, and the line accounting:
    lines_read == sum(m.lines for m in messages) + sum(dropped.values()).

    The messages are held in parts, in file order: lists of Messages (the reference parser's) and Blocks (the
    fast path's), turned into one list of Messages only when `messages` is first read."""

    def __init__(self, parts: list[list[Message] | Block], lines_read: int, dropped: Counter | None = None):
        self.parts = parts
        self.lines_read = lines_read  # all lines read in all files
        self.dropped = Counter() if dropped is None else dropped  # lines in no message: "not_a_message", "empty"
        self.replaced = 0  # bytes of a UTF-8 export that were not UTF-8, read as U+FFFD
        self.unrecognised = 0  # lines of system messages whose wording no locale table knows

    def __repr__(self) -> str:
        return f"Parsed({len(self)} messages, lines_read={self.lines_read}, dropped={dict(self.dropped)})"

    @cached_property
    def messages(self) -> list[Message]:
        return [m for part in self.parts for m in (part.messages() if isinstance(part, Block) else part)]

    def __iter__(self):
        return iter(self.messages)

    def __eq__(self, other: object) -> bool:  # the same messages and counts, however they are held
        fields = ("messages", "lines_read", "dropped", "replaced", "unrecognised")
        return isinstance(other, Parsed) and all(getattr(self, f) == getattr(other, f) for f in fields)

    def __len__(self) -> int:  # without building the messages
        return sum(len(part.texts) if isinstance(part, Block) else len(part) for part in self.parts)

    def add(self, other: Parsed) -> None:
        self.parts += other.parts
        self.__dict__.pop("messages", None)
        self.lines_read += other.lines_read
        self.dropped.update(other.dropped)
        self.replaced += other.replaced
        self.unrecognised += other.unrecognised


def jsonl(parsed: Parsed) -> bytes:
    """All the messages as UTF-8 JSON Lines (`json.dumps(m.to_json(), ensure_ascii=False)` each)."""
    return b"".join(Block.of(part).jsonl() if isinstance(part, list) else part.jsonl() for part in parsed.parts)
