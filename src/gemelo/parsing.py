"""Parse WhatsApp ".txt" exports (Android and iOS, any date layout, Spanish and English texts).

A header (the line that starts a message) is found by one precompiled regex: `re.split` over the whole
text, on UTF-8 bytes, so the scan runs in C. Everything else is decided per export: the day/month order is
inferred from the data (a field over 12, else the order of consecutive dates, which never go backwards inside
one export, else day first), and several exports pasted into one file are told apart (a BOM at a line start,
a change of header style, the time going back more than 12 hours, a second encryption notice with the time
going back), each with its own inference and its own `chat` id.

Speed: a 150,000-line export parses, process included, in about a fifteenth of what whatstk needs. The usual
file (one header style, one consistent date order) is split with a regex made for its style, checked, and
decided with C-level `map`/`set` passes over columns and over the distinct date and time strings; other files
go through a header-by-header plan first. Messages are kept as columns: the `Message` objects are built when
`Parsed.messages` is first read, and `jsonl` writes JSON Lines straight from the columns. `parse_apply`
parses a big export in two halves at once, in two processes, where that gives exactly the one-piece result.
See ../shared/notes/whatsapp-formats.md for the variants handled.
"""

from __future__ import annotations

import gc
import mmap
import os
import pickle
import re
from datetime import date as _date
from datetime import datetime, timedelta
from itertools import chain, compress, islice, repeat
from json.encoder import encode_basestring
from operator import add, attrgetter, is_, itemgetter, sub
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from gemelo import UserError

if TYPE_CHECKING:  # (typing and pathlib cost import time; parse_path imports pathlib itself)
    from pathlib import Path
    from typing import Callable, Iterable, Iterator

    Buffer = bytes | memoryview

T = TypeVar("T")

__all__ = ["Columns", "Message", "Parsed", "json_lines", "jsonl", "parse_apply", "parse_path", "parse_text"]


class Message(NamedTuple):
    """One message, as shown in the chat (a named tuple: a big export's are built from columns in C)."""

    ts: datetime  # naive local time, seconds precision
    author: str | None  # None for system lines without an author (Android)
    text: str  # body; newlines of multi-line messages kept; edited marker and leading LRM/RLM stripped
    kind: str  # "text" | "media" | "deleted" | "system"
    edited: bool  # an edited marker was stripped from the text
    chat: str  # which export it came from ("name", "name#2" for the 2nd export pasted in one file)
    lines: int  # source lines this message spans (header + continuation lines)

    def to_json(self) -> dict:
        return {
            "ts": self.ts.isoformat(),
            "author": self.author,
            "text": self.text,
            "kind": self.kind,
            "edited": self.edited,
            "chat": self.chat,
        }


class Parsed:
    """The messages of one or more exports, and the line accounting: lines_read == sum(m.lines) + stray_lines.

    A Parsed made by parse_text/parse_path may hold its messages as columns (`_parts`: lists of Messages and
    _Block columns) until `messages` is first read; then they are built once and kept. `replaced` counts the
    bytes of a UTF-8 export that were not UTF-8 and were read as U+FFFD (a damaged file keeps its other lines)."""

    replaced = 0

    def __init__(self, messages: list[Message], lines_read: int, stray_lines: int):
        self.messages = messages
        self.lines_read = lines_read  # all lines read in all files
        self.stray_lines = stray_lines  # lines that belong to no message

    def __eq__(self, other: object) -> bool:
        fields = (self.messages, self.lines_read, self.stray_lines)
        return isinstance(other, Parsed) and fields == (other.messages, other.lines_read, other.stray_lines)

    def __repr__(self) -> str:
        return f"Parsed({len(self.messages)} messages, lines_read={self.lines_read}, stray_lines={self.stray_lines})"

    @classmethod
    def _lazy(cls, parts: list, lines_read: int, stray_lines: int) -> Parsed:
        p = cls.__new__(cls)
        p._parts = parts
        p.lines_read = lines_read
        p.stray_lines = stray_lines
        return p

    def __getattr__(self, name: str):
        if name == "messages" and "_parts" in self.__dict__:
            msgs: list[Message] = []
            for part in self.__dict__.pop("_parts"):
                msgs.extend(part if isinstance(part, list) else part.messages())
            self.messages = msgs
            return msgs
        raise AttributeError(name)

    def _chunks(self) -> list:
        """The message lists and column blocks this holds, without building anything."""
        parts = self.__dict__.get("_parts")
        return [self.messages] if parts is None else parts

    def columns(self) -> Iterator[Columns]:
        """The messages as Columns, a chunk at a time (an export parsed by the fast path is one chunk)."""
        for chunk in self._chunks():
            yield _columns(chunk) if isinstance(chunk, list) else chunk.columns()

    def __iter__(self):  # iterating a Parsed iterates its messages
        return iter(self.messages)


def _no_gc(fn):
    """Run fn with the cycle collector paused: parsing makes ~10^6 short-lived acyclic objects, and the
    collector's passes over them would only cost time."""

    def wrapper(*args, **kwargs):
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    wrapper.__name__ = fn.__name__
    wrapper.__qualname__ = fn.__qualname__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def jsonl(parsed: Parsed) -> bytes:
    """All the messages as UTF-8 JSON Lines, each line byte for byte `json.dumps(m.to_json(), ensure_ascii=False)`
    + "\\n", written from the columns without building the Message objects (~10x faster)."""
    return b"".join(chain.from_iterable(map(json_lines, parsed.columns())))


class Columns(NamedTuple):
    """Messages as parallel lists, the form the JSON writer and the clean stage read (no Message object per
    message): texts as UTF-8 bytes, timestamps as keys into small tables of ISO dates and times."""

    day: list  # per message, a key of `days`
    days: dict  # key -> "2023-03-14"
    clock: list  # per message, a key of `clocks`
    clocks: dict  # key -> "09:17:00"
    author: list[str | None]
    text: list[bytes]
    kind: list[str]
    edited: list[bool]
    chat: list[str]
    lines: list[int]
    quotes: bool  # a text may hold a double quote
    rare: bool  # a text may hold a backslash or a control character other than newline


def _columns(msgs: list[Message]) -> Columns:
    ts = list(map(_get_ts, msgs))
    distinct = set(ts)
    texts = [m.text.encode(*_UTF8) for m in msgs]
    blob = b"".join(texts)
    return Columns(
        ts, {t: t.date().isoformat() for t in distinct}, ts, {t: t.time().isoformat() for t in distinct},
        list(map(_get_author, msgs)), texts, list(map(_get_kind, msgs)), list(map(_get_edited, msgs)),
        list(map(_get_chat, msgs)), list(map(_get_lines, msgs)), b'"' in blob, b"\x00" in blob.translate(_RARE_ESC_TABLE),
    )  # fmt: skip


def json_lines(c: Columns, keep: Iterable[bool] | None = None, step: int = 8192) -> Iterator[bytes]:
    """UTF-8 JSON Lines for the messages of c (those where keep is true), each byte for byte
    `json.dumps(m.to_json(), ensure_ascii=False)` + "\\n": the pieces of a line are looked up in tables built
    once per distinct value and joined in C; only the texts that need escapes are escaped."""
    n = len(c.text)
    dj = {k: b'{"ts": "' + d.encode() + b"T" for k, d in c.days.items()}
    tj = {k: t.encode() + b'", "author": ' for k, t in c.clocks.items()}
    aj = {a: (b"null" if a is None else b'"' + _json_inner(a) + b'"') + b', "text": "' for a in set(c.author)}
    chats = set(c.chat)
    if len(chats) == 1:  # one export: line ends differ by kind, and in the few edited messages
        chat = chats.pop()
        ends = {k: _tail_json(k, False, chat) for k in set(c.kind)}
        tail = list(map(ends.__getitem__, c.kind))
        for i in compress(range(n), c.edited):
            tail[i] = _tail_json(c.kind[i], True, chat)
    else:
        tail = list(map(_tail_json, c.kind, c.edited, c.chat))
    texts = c.text
    # texts needing JSON escapes: a newline (only in messages of several lines), a quote, a backslash or control
    esc = set(compress(range(n), map((1).__lt__, c.lines)))
    if c.quotes:
        esc.update(compress(range(n), map(bytes.count, texts, repeat(b'"'))))
    if c.rare:
        esc.update(compress(range(n), map(_B_RARE_ESC.search, texts)))
    if esc:
        texts = list(texts)
        for i in esc:
            t = texts[i]
            if c.rare:
                if _B_CTRL_NOT_NL.search(t):
                    texts[i] = _json_inner(_dec(t))
                    continue
                t = t.replace(b"\\", b"\\\\")
            if c.quotes:  # only backslash, quote and newline to escape: the bytes json.dumps writes
                t = t.replace(b'"', b'\\"')
            texts[i] = t.replace(b"\n", b"\\n")
    columns = [c.day, c.clock, c.author, texts, tail]
    if keep is not None:
        keep = list(keep)
        columns = [list(compress(col, keep)) for col in columns]
    day, clock, author, texts, tail = columns
    for start in range(0, len(day), step):
        stop = start + step
        out: list = [None] * (5 * len(day[start:stop]))  # five pieces a line, put in place by slice (C speed)
        out[0::5] = map(dj.__getitem__, day[start:stop])
        out[1::5] = map(tj.__getitem__, clock[start:stop])
        out[2::5] = map(aj.__getitem__, author[start:stop])
        out[3::5] = texts[start:stop]
        out[4::5] = tail[start:stop]
        yield b"".join(out)


_get_ts = attrgetter("ts")
_get_author = attrgetter("author")
_get_kind = attrgetter("kind")
_get_edited = attrgetter("edited")
_get_chat = attrgetter("chat")
_get_lines = attrgetter("lines")


def _tail_json(kind: str, edited: bool, chat: str) -> bytes:
    """What ends a JSON line after the text."""
    e = "true" if edited else "false"
    return f'", "kind": {encode_basestring(kind)}, "edited": {e}, "chat": {encode_basestring(chat)}}}\n'.encode(*_UTF8)


def _make(*columns: Iterable) -> list[Message]:
    """Messages built from their columns (in Message's field order) by `tuple.__new__` over a zip, all in C
    (a call of Message(...) per message is 3x slower)."""
    return list(map(tuple.__new__, repeat(Message), zip(*columns)))


# --------------------------------------------------------------------------------------------------
# The header regex
# --------------------------------------------------------------------------------------------------
# A header: optional BOM/LRM/RLM, optional "[", a full date (same separator twice), optional comma, spaces
# (plain, NBSP or NNBSP), an optional word (`klo`, `à`), a time (":" or "."), an optional 12 h marker
# (AM, am, a.m., a. m., with any of those spaces), an optional stray dot, then "]" (iOS) or " - " (Android).
# The scan runs on UTF-8 bytes: no UCS-4 blow-up of a text holding one emoji, one byte a character.
_DATE = rb"\d{1,4}(?:/\d{1,2}/|\.\d{1,2}\.|-\d{1,2}-)\d{1,4}\.?"
_DATE_PARTS = re.compile(r"(\[?)(\d+)([/.\-])(\d+)[/.\-](\d+)(\.?)(,?)", re.ASCII)
_TIME_PARTS = re.compile(r"(\d+)([:.])(\d+)(?:[:.](\d+))?(.*)", re.ASCII | re.S)
_B_SP = rb"(?: |\xc2\xa0|\xe2\x80\xaf)"
_B_MARKS = rb"(?:\xef\xbb\xbf|\xe2\x80\x8e|\xe2\x80\x8f)*"
_B_TIME = rb"\d{1,2}[:.]\d\d(?:[:.]\d\d)?(?:" + _B_SP + rb"*[aApP]\.?" + _B_SP + rb"?[mM]\.?)?\.?"
_B_SEP = rb"(?:\]" + _B_SP + rb"?|" + _B_SP + rb"?(?:-|\xe2\x80\x93)" + _B_SP + rb")"
_B_MID = _B_SP + rb"+(?:(?:klo|\xc3\xa0|um|at|a las|\xc3\xa0s)" + _B_SP + rb"+)?"
_B_AUTHOR = rb"(?:([^:\n]*): )?"  # what stands before the first ": " of the header line, if no ":" precedes
# Fast split of b"\n" + data: [junk, (date, time+separator, author or None, rest of the message) * n]
_B_FAST = re.compile(
    rb"\n" + _B_MARKS + rb"(\[?" + _DATE + rb",?)" + _B_MID + rb"(" + _B_TIME + _B_SEP + rb")" + _B_AUTHOR
)
# General split of b"\n" + data: [junk, (whole header, date, time+separator, author or None, rest) * n]
_B_FULL = re.compile(
    rb"\n(" + _B_MARKS + rb"(\[?" + _DATE + rb",?)" + _B_MID + rb"(" + _B_TIME + _B_SEP + rb"))" + _B_AUTHOR
)
# After a split on one style's regex (whose lines may start with LRM/RLM, not BOM): a header it missed, or a
# line starting with a BOM (a second export), in the rest
_B_LRM = rb"(?:\xe2\x80\x8e|\xe2\x80\x8f)*"
_B_CHECK = re.compile(rb"\n(?:\xef\xbb\xbf|" + _B_LRM + rb"\[?" + _DATE + rb",?" + _B_MID + _B_TIME + _B_SEP + b")")
_B_DIGITS = re.compile(rb"\d+")
# What JSON escapes (json.dumps with ensure_ascii=False): controls, quote, backslash.
_B_CTRL_NOT_NL = re.compile(rb"[\x00-\x09\x0b-\x1f]")
_B_RARE_ESC = re.compile(rb"[\x00-\x09\x0b-\x1f\\]")
_RARE_ESC_TABLE = bytes(0 if b < 32 and b != 10 or b == 92 else b for b in range(256))  # 0 marks them


def _style_regex(m: re.Match) -> re.Pattern:
    """A split regex for one export's header style, built from one of its headers (a _B_FAST match): the
    same groups, literal where _B_FAST has choices of style (a third faster); the spaces and 12 h markers,
    which vary inside one export (NBSP or not), stay as in _B_FAST. Whatever it matches, _B_FAST matches."""
    runs = iter((rb"\d{1,4}", rb"\d{1,2}", rb"\d{1,4}"))
    d = _B_DIGITS.sub(lambda _: next(runs), re.escape(m.group(1)))
    mid = m.string[m.end(1) : m.start(2)]
    mid = rb"\ " if mid == b" " else _B_MID
    t = m.group(2)
    tm = _B_TIME_PARTS.match(t)
    assert tm is not None
    time = rb"\d{1,2}" + re.escape(tm.group(1)) + rb"\d\d" + (rb"[:.]\d\d" if tm.group(2) else b"")
    marker = rb"(?:" + _B_SP + rb"*[aApP]\.?" + _B_SP + rb"?[mM]\.?)" if tm.group(3) else b""
    sep = rb"\]" + _B_SP + rb"?" if b"]" in t else _B_SP + rb"?(?:-|\xe2\x80\x93)" + _B_SP
    return re.compile(
        rb"\n" + _B_LRM + b"(" + d + b")" + mid + b"(" + time + marker + rb"\.?" + sep + b")" + _B_AUTHOR
    )


_B_TIME_PARTS = re.compile(rb"\d+([:.])\d+([:.]\d+)?(" + _B_SP + rb"*[aApP])?")


# Date orders: positions of (year, month, day) among the three date fields.
_DMY = (2, 1, 0)
_MDY = (2, 0, 1)
_YMD = (0, 1, 2)
_YDM = (0, 2, 1)

_SPLIT_BACK = 12 * 3600  # the time going back more than this (seconds) starts a new export
_VOTE_BACK = 3600  # going back more than this under an order counts against that order

_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# --------------------------------------------------------------------------------------------------
# Texts (Spanish and English) that tell a message's kind
# --------------------------------------------------------------------------------------------------


def _both_cases(items: Iterable[str]) -> list[str]:
    out = []
    for s in items:
        out.append(s)
        if s[:1].isalpha():
            out.append(s[0].swapcase() + s[1:])
    return out


_MEDIA_EXACT = (
    "<Multimedia omitido>", "<Media omitted>", "<Archivo omitido>", "<Multimedia omitidos>",
    "imagen omitida", "image omitted", "foto omitida", "photo omitted",
    "audio omitido", "audio omitted", "video omitido", "vídeo omitido", "video omitted",
    "sticker omitido", "sticker omitted", "GIF omitido", "GIF omitted",
    "Tarjeta de contacto omitida", "Contact card omitted", "documento omitido", "document omitted",
    "null", "Ubicación en tiempo real compartida", "Live location shared",
    "Mensaje de voz omitido", "Voice message omitted",
)  # fmt: skip
_DELETED_EXACT = (
    "Se eliminó este mensaje.", "Este mensaje fue eliminado.", "Eliminaste este mensaje.",
    "This message was deleted.", "You deleted this message.",
)  # fmt: skip
_EXACT_KIND: dict[str, str] = {}
for _s in _both_cases(_MEDIA_EXACT):
    _EXACT_KIND[_s] = "media"
for _s in _both_cases(_DELETED_EXACT):
    _EXACT_KIND[_s] = "deleted"
    _EXACT_KIND[_s[:-1]] = "deleted"

_EDITED = ("<Se editó este mensaje.>", "<This message was edited>", "<Se editó este mensaje>")
_ATTACHED_SUFFIX = (" (archivo adjunto)", " (file attached)")
_OMITTED_SUFFIX = (" omitido", " omitida", " omitidos", " omitidas", " omitted")
_LOCATION_PREFIX = tuple(_both_cases(("Ubicación: http", "Location: http", "Ubicación en tiempo real", "Live location")))

# System texts at the start of a body (under an author: the iOS fake author, or Android's "Author: " form).
_SYS_STRICT_TEXTS = _both_cases((
    "Los mensajes y las llamadas están cifrados de extremo a extremo",
    "Los mensajes y llamadas están cifrados de extremo a extremo",
    "Tus mensajes y llamadas ahora están protegidos",
    "Los mensajes que envíes a este chat y las llamadas",
    "Los mensajes que envíes a este grupo",
    "Messages and calls are end-to-end encrypted",
    "Messages to this group are now secured",
    "Messages you send to this chat and calls are now secured",
    "Messages you send to this group are now secured",
    "Cambió tu código de seguridad con", "Tu código de seguridad con", "Your security code with",
    "Llamada perdida", "Llamada de voz perdida", "Videollamada perdida", "Llamada de video perdida",
    "Missed voice call", "Missed video call", "Missed group voice call", "Missed group video call",
    "Activaste los mensajes temporales", "Desactivaste los mensajes temporales",
    "Bloqueaste a este contacto", "Desbloqueaste a este contacto",
    "You blocked this contact", "You unblocked this contact",
    "You turned on disappearing messages", "You turned off disappearing messages",
    "Ahora eres admin", "You're now an admin", "You are now an admin",
    "Creaste el grupo", "You created group", "You were added", "Te añadieron", "Saliste del grupo",
    "You left", "Se eliminó este grupo",
))  # fmt: skip
_SYS_STRICT = re.compile("|".join(re.escape(s) for s in _SYS_STRICT_TEXTS))

# Endings that can make a body (with an author, not LRM-led) special; see _B_PREFIX4.
_SUFFIXES = (">", ")", "documento omitido", "document omitted")

# System phrases anywhere in an LRM-led body (iOS puts LRM before its system texts under the fake author).
_SYS_ANY = re.compile(
    "|".join(
        re.escape(s)
        for s in (
            "cifrados de extremo a extremo", "cifrado de extremo a extremo", "end-to-end encrypted",
            "end-to-end encryption", "código de seguridad", "security code",
            "llamada perdida", "llamada de voz perdida", "videollamada perdida", "llamada de video perdida",
            "missed voice call", "missed video call", "missed group",
            "creó el grupo", "creó este grupo", "creaste el grupo", "created group", "created this group",
            "te añadió", "añadió a", "añadiste a", "eliminó a", "eliminaste a", "salió del grupo", "salió",
            "saliste del grupo", "se unió usando", "se unió", "te uniste", "cambió el asunto",
            "cambiaste el asunto", "cambió la foto del grupo", "cambió el ícono del grupo",
            "cambió el icono del grupo", "cambió la descripción", "cambiaste la descripción",
            "eliminó la foto del grupo", "eres admin", "mensajes temporales",
            "bloqueaste a este contacto", "desbloqueaste a este contacto", "cambió su número",
            "cambió a un nuevo número", "cambió los ajustes", "cambió la configuración",
            " added ", " removed ", " left", "joined using", " joined", "changed the subject",
            "changed this group's", "changed the group description", "changed the group icon",
            "deleted this group's icon", "now an admin", "no longer an admin", "disappearing messages",
            "blocked this contact", "unblocked this contact", "changed their phone number",
            "changed to a new number", "changed the settings", "you were added", "were added",
        )
    ),
    re.IGNORECASE,
)
# Event phrases that can stand before a ": " in an Android system line (`X cambió el asunto del grupo a: Y`,
# a group or contact name holding ": "): a would-be author containing one is no author.
_SYS_IN_AUTHOR = re.compile(
    "|".join(
        re.escape(s)
        for s in _both_cases((
            "cambió el asunto", "cambiaste el asunto", "cambió el nombre", "cambiaste el nombre",
            "cambió la descripción", "cambiaste la descripción", "changed the subject", "changed the group",
            "changed this group's", "creó el grupo", "creaste el grupo", "created group", "created this group",
            "código de seguridad", "security code", "añadió a", "añadiste a", "eliminó a", "eliminaste a",
            " added ", " removed ", "You added", "You removed", "fijó un mensaje", "pinned a message",
            "cifrados de extremo a extremo", "end-to-end encrypted",
        ))
    )
)  # fmt: skip
# First wording of a fresh export: seen again below other messages (time not going forward), a new export.
_ENC_NOTICE = ("cifrados de extremo a extremo. ", "are end-to-end encrypted. ")
_B_ENC_NOTICE = tuple(s.encode() for s in _ENC_NOTICE)

_MARKS = "\u200e\u200f"
_TILDE = ("~\u202f", "~ ", "~\u00a0")
_BLANK_END = frozenset(" \t\n\u00a0\u202f\u200e\u200f")


# --------------------------------------------------------------------------------------------------
# Decoding headers: each distinct date and time string is decoded once
# --------------------------------------------------------------------------------------------------
class _DateInfo:
    __slots__ = ("style", "fields", "valid")

    def __init__(self, style, fields, valid):
        self.style = style  # (bracket, separator, year first, year digits, trailing dot, comma)
        self.fields = fields  # the three numbers as written
        self.valid = valid  # {order: (year, month, day, ordinal * 86400)} for the orders giving a real date


class _TimeInfo:
    __slots__ = ("style", "secs", "delta")

    def __init__(self, style, secs):
        self.style = style  # (separator, seconds, 12 h marker, bracket)
        self.secs = secs  # seconds since midnight, or None if impossible
        self.delta = timedelta(seconds=secs) if secs is not None else None


def _date_info(chunk: str) -> _DateInfo:
    m = _DATE_PARTS.match(chunk)
    assert m is not None
    br, a, sep, b, c, dot, comma = m.groups()
    f = (int(a), int(b), int(c))
    yfirst = len(a) >= 3
    style = (br, sep, yfirst, len(a) if yfirst else len(c), dot, comma)
    valid = {}
    for o in (_YMD, _YDM) if yfirst else (_DMY, _MDY):
        y, mo, d = f[o[0]], f[o[1]], f[o[2]]
        if y < 100:
            y += 2000
        if 1 <= mo <= 12 and 1 <= d <= _DAYS[mo - 1] and 1900 <= y <= 2200:
            if mo == 2 and d == 29 and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
                continue
            valid[o] = (y, mo, d, _date(y, mo, d).toordinal() * 86400)
    return _DateInfo(style, f, valid)


def _time_info(chunk: str) -> _TimeInfo:
    m = _TIME_PARTS.search(chunk)
    assert m is not None
    h_s, sep, mi_s, s_s, marker = m.groups()
    hh, mi, ss = int(h_s), int(mi_s), int(s_s) if s_s else 0
    ap = next((ch for ch in marker if ch in "aApP"), None)
    style = (sep, s_s is not None, ap is not None, "]" in marker)  # not the spaces: they vary in one export
    if ap is not None:
        if ap in "aA":
            if hh == 12:
                hh = 0
        elif hh < 12:
            hh += 12
    if hh > 23 or mi > 59 or ss > 59:
        return _TimeInfo(style, None)
    return _TimeInfo(style, hh * 3600 + mi * 60 + ss)


# --------------------------------------------------------------------------------------------------
# Authors and kinds
# --------------------------------------------------------------------------------------------------
def _clean_author(raw: str) -> str | None:
    """The author as shown (no `~ `, no marks), or None where it is really an event text."""
    got = _AUTHORS.get(raw, _AUTHORS)
    if got is _AUTHORS:
        got = _AUTHORS[raw] = _clean_author_uncached(raw)
        if len(_AUTHORS) > 4096:
            _AUTHORS.clear()
    return got  # type: ignore[return-value]


_AUTHORS: dict = {}


def _clean_author_uncached(raw: str) -> str | None:
    a = raw.strip(_MARKS)
    if a.startswith(_TILDE):
        a = a[2:].lstrip(_MARKS)
    a = a.strip()
    if not a or (" " in a and _SYS_IN_AUTHOR.search(a)):
        return None
    return a


def _kind(body: str) -> tuple[str, str, bool]:
    """(text, kind, edited) for the body of a message with an author (see _B_PREFIX4 for the fast path)."""
    lrm = False
    if body[:1] in _MARKS and body:
        body = body.lstrip(_MARKS)
        lrm = True
    edited = False
    if body.endswith(">"):
        for mark in _EDITED:
            if body.endswith(mark):
                body = body[: -len(mark)].rstrip(" \u00a0\u202f\u200e\u200f\n")
                edited = True
                break
    k = _EXACT_KIND.get(body)
    if k is not None:
        return body, k, edited
    if body.startswith(("<adjunto: ", "<attached: ")) and body.endswith(">"):
        return body, "media", edited
    if body.endswith(("documento omitido", "document omitted")) or (lrm and body.endswith(_OMITTED_SUFFIX)):
        return body, "media", edited
    nl = body.find("\n")
    first = body if nl < 0 else body[:nl]
    if first.endswith(_ATTACHED_SUFFIX) or body.startswith(_LOCATION_PREFIX):
        return body, "media", edited
    if _SYS_STRICT.match(body) or (lrm and _SYS_ANY.search(body)):
        return body, "system", edited
    return body, "text", edited


def _trim_blank_tail(body: str) -> tuple[str, int]:
    """Cut trailing blank lines off a message: they belong to no message. Returns (body, lines cut)."""
    s = body.rstrip()
    tail = body[len(s) :]
    i = tail.find("\n")
    if i < 0:
        return body, 0
    return body[: len(s) + i], tail.count("\n")


def _one_message(body: str, ts: datetime, chat: str) -> tuple[Message, int]:
    """The general path for one message. Returns (message, trailing blank lines cut off)."""
    nl = body.count("\n")
    cut = 0
    if nl and body[-1] in _BLANK_END:
        body, cut = _trim_blank_tail(body)
        nl -= cut
    n = nl + 1
    author, sep, rest = body.partition(": ")
    if sep and "\n" not in author:
        a = _clean_author(author)
        if a is None:
            return Message(ts, None, body.lstrip(_MARKS), "system", False, chat, n), cut
        text, kind, edited = _kind(rest)
        return Message(ts, a, text, kind, edited, chat, n), cut
    # no "Author: " on the header line: `Author:.` / `Author:`, or a system line (author None)
    i = body.find("\n")
    first = body if i < 0 else body[:i]
    j = first.find(":")
    if j > 0 and (j == len(first) - 1 or first[j + 1 :] == "."):
        a = _clean_author(first[:j])
        if a is not None:
            text, kind, edited = _kind(body[j + 1 :])
            return Message(ts, a, text, kind, edited, chat, n), cut
    return Message(ts, None, body.lstrip(_MARKS), "system", False, chat, n), cut


# --------------------------------------------------------------------------------------------------
# One export kept as columns of UTF-8 bytes (the fast path)
# --------------------------------------------------------------------------------------------------
_B_EXACT_KIND = {k.encode(): v for k, v in _EXACT_KIND.items()}
# Cheap gate in front of the slower checks (bytes): a body can only be special if its first four bytes are
# one of these (a system or location text, or LRM/RLM and anything), it ends with one of _B_SUFFIXES (">"
# covers `<adjunto: …>` and the edited marks), or it spans lines.
_B_PREFIX4 = frozenset(
    [s.encode()[:4] for s in _SYS_STRICT_TEXTS + list(_LOCATION_PREFIX)]
    + [m + bytes((c,)) for m in ("\u200e".encode(), "\u200f".encode()) for c in range(256)]
    + ["\u200e".encode(), "\u200f".encode()]
)
_B_SUFFIXES = tuple(s.encode() for s in _SUFFIXES)
_B_BLANK_LAST = frozenset(b" \t\n\xa0\xaf\x8e\x8f")  # last bytes of " ", tab, NBSP, NNBSP, LRM, RLM
_first4 = itemgetter(slice(0, 4))
_UTF8 = ("utf-8", "surrogatepass")


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "surrogatepass")


def _json_inner(s: str) -> bytes:
    return encode_basestring(s)[1:-1].encode("utf-8", "surrogatepass")


class _Block:
    """One export's messages as columns of UTF-8 bytes. Plain messages (an author, then an ordinary or
    exactly-known text) are described by the columns alone; the others are built one by one through
    _one_message (which gives the same result for plain ones) and kept in `over` by index."""

    __slots__ = (
        "n", "chat", "dch", "tch", "ddt", "ttd", "auth", "amap", "authors", "bodies", "kinds", "nls", "over",
        "rare_esc", "quotes",
    )  # fmt: skip

    def __init__(self, chat, dch, tch, ddt, ttd, auth, bodies, rare_esc, quotes):
        self.n = len(bodies)
        self.chat = chat
        self.dch = dch  # date bytes per message
        self.tch = tch  # time bytes per message
        self.ddt = ddt  # {date bytes: midnight datetime}
        self.ttd = ttd  # {time bytes: timedelta}
        self.auth = auth  # author bytes as written, or None
        self.bodies = bodies  # the message after "Author: " (or after the header when there is none)
        self.rare_esc = rare_esc  # the text holds a backslash or a control character other than newline
        self.quotes = quotes  # the text holds a double quote

    def classify(self, nls: list[int] | None) -> int:
        """Fill the columns; build the messages that are not plain. Returns the stray lines found."""
        n = self.n
        auth = self.auth
        bodies = self.bodies
        if nls is None:
            nls = list(map(bytes.count, bodies, repeat(b"\n")))
        amap = {r: None if r is None else _clean_author(_dec(r)) for r in set(auth)}
        authors = list(map(amap.__getitem__, auth))
        kinds = list(map(_B_EXACT_KIND.get, bodies, repeat("text")))
        odd = set(range(n)) if _FORCE_SLOW else set(compress(range(n), map(is_, authors, repeat(None))))
        odd.update(compress(range(n), map(_B_PREFIX4.__contains__, map(_first4, bodies))))
        odd.update(compress(range(n), map(bytes.endswith, bodies, repeat(_B_SUFFIXES))))
        for i in compress(range(n), nls):  # multi-line: trailing blank lines, a caption under an attachment
            b = bodies[i]
            if b[-1] in _B_BLANK_LAST or b")\n" in b:
                odd.add(i)
        over = {}
        stray = 0
        ddt, ttd, dch, tch = self.ddt, self.ttd, self.dch, self.tch
        for i in sorted(odd):
            if kinds[i] != "text" and authors[i] is not None and not nls[i] and not _FORCE_SLOW:
                continue  # an exact placeholder (`<Multimedia omitido>`): the columns have it right
            r = auth[i]
            body = _dec(bodies[i] if r is None else r + b": " + bodies[i])
            over[i], cut = _one_message(body, ddt[dch[i]] + ttd[tch[i]], self.chat)
            stray += cut
        self.amap = amap
        self.authors = authors
        self.kinds = kinds
        self.nls = nls
        self.over = over
        return stray

    def messages(self) -> list[Message]:
        msgs = _make(
            map(add, map(self.ddt.__getitem__, self.dch), map(self.ttd.__getitem__, self.tch)),  # ts
            self.authors,
            map(bytes.decode, self.bodies, *map(repeat, _UTF8)),  # text
            self.kinds,
            repeat(False),  # edited
            repeat(self.chat),
            map((1).__add__, self.nls),  # lines
        )
        for i, m in self.over.items():
            msgs[i] = m
        return msgs

    def columns(self) -> Columns:
        n = self.n
        kind, author, text, edited = list(self.kinds), list(self.authors), list(self.bodies), [False] * n
        lines = list(map((1).__add__, self.nls))
        for i, m in self.over.items():
            kind[i], author[i], text[i], edited[i], lines[i] = m.kind, m.author, m.text.encode(*_UTF8), m.edited, m.lines
        clocks = {}
        for c, t in self.ttd.items():
            s = t.seconds
            clocks[c] = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        days = {c: d.date().isoformat() for c, d in self.ddt.items()}
        return Columns(self.dch, days, self.tch, clocks, author, text, kind, edited, [self.chat] * n, lines,
                       self.quotes, self.rare_esc)


# --------------------------------------------------------------------------------------------------
# parse_text
# --------------------------------------------------------------------------------------------------
def parse_text(text: str, chat: str = "chat") -> Parsed:
    """Parse one file's decoded text (which may hold several exports pasted one after another)."""
    return _parse(text.encode("utf-8", "surrogatepass"), chat)


@_no_gc
def _parse(raw: bytes, chat: str) -> Parsed:
    """Parse one file's text given as UTF-8 bytes."""
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    if not raw:
        return Parsed([], 0, 0)
    end = len(raw) - raw.endswith(b"\n")  # the final newline ends the last line; it does not start another
    n_lines = raw.count(b"\n", 0, end) + 1
    # "\n" + the text (so every line starts after a newline); a BOM opening the file opens the first export
    nl_raw = b"".join((b"\n", memoryview(raw)[3 if raw.startswith(_B_BOM) else 0 : end]))

    parts = None
    if not _FORCE_GENERAL:
        first = _B_FAST.search(nl_raw, 0, 100000)
        if first is not None:  # split on the regex made for the first header's style, then check it
            parts = _style_regex(first).split(nl_raw)
            nls = list(map(bytes.count, parts[4::4], repeat(b"\n")))
            multi = compress(parts[4::4], nls)
            if len(parts) == 1 or _B_CHECK.search(parts[0]) or any(map(_B_CHECK.search, multi)):
                # a header of another shape, or a line starting with a BOM (a second export), somewhere
                parts = None
                if nl_raw.find(_B_BOM) < 0:
                    parts = _B_FAST.split(nl_raw)
                    nls = None
    order = None
    dcache: dict = {}
    tcache: dict = {}
    if parts is not None:
        if len(parts) == 1:
            return Parsed([], n_lines, n_lines)
        dch = parts[1::4]
        tch = parts[2::4]
        dcache = {c: _date_info(c.decode("ascii")) for c in set(dch)}
        tcache = {c: _time_info(_dec(c)) for c in set(tch)}
        first_end = len(parts[0]) + len(parts[1]) + len(parts[2]) + len(parts[3] or b"") + len(parts[4]) + 8
        plan = _fast_plan(nl_raw, first_end, dch, tch, dcache, tcache)
        order = plan and plan.order
    if order is not None:
        stray = parts[0].count(b"\n")  # junk before the first header
        block = _Block(
            chat,
            dch,
            tch,
            {c: datetime(*d.valid[order][:3]) for c, d in dcache.items()},
            {c: t.delta for c, t in tcache.items()},
            parts[3::4],
            parts[4::4],
            b"\x00" in nl_raw.translate(_RARE_ESC_TABLE),
            b'"' in nl_raw,
        )
        del parts
        stray += block.classify(nls)
        parsed = Parsed._lazy([block], n_lines, stray)
        parsed._plan = plan
        return parsed

    # the general path: headers checked one by one, exports told apart, each kept as columns
    parts = _B_FULL.split(nl_raw)
    if len(parts) == 1:
        return Parsed([], n_lines, n_lines)
    for c in set(parts[2::5]) - dcache.keys():
        dcache[c] = _date_info(c.decode("ascii"))
    for c in set(parts[3::5]) - tcache.keys():
        tcache[c] = _time_info(_dec(c))
    groups, bodies, extra = _general_plan(parts[1::5], parts[2::5], parts[3::5], parts[4::5], parts[5::5], dcache, tcache)
    rare_esc = b"\x00" in nl_raw.translate(_RARE_ESC_TABLE)
    quotes = b'"' in nl_raw
    blocks = []
    stray = parts[0].count(b"\n") + extra
    for n_seg, (ks, order) in enumerate(groups):
        s_dch = [parts[2 + 5 * k] for k in ks]
        s_tch = [parts[3 + 5 * k] for k in ks]
        block = _Block(
            chat if n_seg == 0 else f"{chat}#{n_seg + 1}",
            s_dch,
            s_tch,
            {c: datetime(*dcache[c].valid[order][:3]) for c in set(s_dch)},
            {c: tcache[c].delta for c in set(s_tch)},
            [parts[4 + 5 * k] for k in ks],
            [bodies[k] for k in ks],
            rare_esc,
            quotes,
        )
        stray += block.classify(None)
        blocks.append(block)
    return Parsed._lazy(blocks, n_lines, stray)


_B_BOM = "\ufeff".encode()
_FORCE_GENERAL = False  # tests set it to check that the general path agrees with the fast one
_FORCE_SLOW = False  # tests set it to check that the columns agree with _one_message


# --------------------------------------------------------------------------------------------------
# Exports and their date order
# --------------------------------------------------------------------------------------------------
def _pick_order(feasible: list, votes: dict, dch: list[str], dcache: dict):
    """The export's order: fewest backward steps; on a tie, the field that changes more often is the day;
    else day first (year-month-day for year-first dates)."""
    best = min(feasible, key=lambda o: (votes.get(o, 0), feasible.index(o)))
    if len(feasible) == 2 and votes.get(feasible[0], 0) == votes.get(feasible[1], 0) and feasible[0] == _DMY:
        ch1 = ch2 = 0
        prev = None
        for c in dch:
            if c is not prev and c != prev:
                f = dcache[c].fields
                if prev is not None:
                    pf = dcache[prev].fields
                    ch1 += f[0] != pf[0]
                    ch2 += f[1] != pf[1]
                prev = c
        if ch2 >= ch1 + 3 and ch2 > 2 * ch1:
            best = _MDY
    return best


class _Plan(NamedTuple):
    """What the fast path decided for one export, and what the two halves of a parse in halves must agree on."""

    order: tuple
    feasible: tuple  # the orders under which every date is real
    style: tuple  # (date style, time style)
    first: int  # the first and last header times under `order`, in seconds
    last: int
    worst: int  # the most the time goes back from one header to the next


def _fast_plan(nl_raw, first_end, dch, tch, dcache, tcache) -> _Plan | None:
    """The plan for the whole text when it is plainly one export (one header style, no BOM inside, every
    header valid, the time never going back notably); None when the general path must decide.
    (The caller has checked that no line starts with a BOM.)"""
    styles = {d.style for d in dcache.values()}, {t.style for t in tcache.values()}
    if len(styles[0]) != 1 or len(styles[1]) != 1:
        return None
    if any(t.secs is None for t in tcache.values()):
        return None
    feasible = None
    for key in {tuple(d.valid) for d in dcache.values()}:
        feasible = [o for o in (key if feasible is None else feasible) if o in key]
        if not feasible:
            return None
    tsecs = {c: t.secs for c, t in tcache.items()}
    votes = {}
    ends = {}
    ok = False
    for o in feasible:
        dv = {c: d.valid[o][3] for c, d in dcache.items()}
        vals = list(map(add, map(dv.__getitem__, dch), map(tsecs.__getitem__, tch)))
        backs = map(sub, vals, islice(vals, 1, None))
        if len(feasible) > 1:
            backs = list(backs)
            votes[o] = sum(map(_VOTE_BACK.__lt__, backs))
        worst = max(backs, default=0)
        if worst > 0 and any(nl_raw.find(s, first_end) >= 0 for s in _B_ENC_NOTICE):
            return None  # a later encryption notice with the time going back: maybe a second export
        if worst <= _SPLIT_BACK:
            ok = True
        ends[o] = (vals[0], vals[-1], worst)
    if not ok:
        return None
    order = _pick_order(feasible, votes, dch, dcache)
    return _Plan(order, tuple(feasible), (styles[0].pop(), styles[1].pop()), *ends[order])


def _general_plan(hdrs, dch, tch, auth, bodies, dcache, tcache):
    """Headers checked one by one: impossible ones and short runs of another style (quoted lines) join the
    message before; BOM lines cut; the rest split into exports, each with its order.

    Returns ([(header indices, order) per export], bodies as amended, stray lines found here)."""
    n = len(hdrs)
    bodies = list(bodies)
    extra = 0
    bom = [_B_BOM in h for h in hdrs]
    cut = [False] * n
    for k in range(n):
        b = bodies[k]
        p = b.find(b"\n" + _B_BOM)
        if p >= 0:  # a line starting with a BOM: a pasted export starts there; up to its first header, junk
            extra += b.count(b"\n", p)
            bodies[k] = b[:p]
            cut[k] = True

    def line(k):
        a = auth[k]
        return hdrs[k] + (b"" if a is None else a + b": ") + bodies[k]

    # 1. impossible dates/times are body lines; junk after a BOM line is stray
    kept: list[int] = []
    flag: dict[int, bool] = {}
    junk = True
    pending = False
    for k in range(n):
        ok = tcache[tch[k]].secs is not None and bool(dcache[dch[k]].valid)
        if ok:
            kept.append(k)
            flag[k] = bom[k] or pending
            pending = False
            junk = False
        else:
            text = line(k)
            if junk or bom[k]:
                extra += text.count(b"\n") + 1
                if bom[k]:
                    junk = pending = True
            else:
                bodies[kept[-1]] += b"\n" + text
        if cut[k]:
            junk = pending = True

    # 2. a short run (up to 5) of headers of another style, then the export's own style again: quoted lines
    def style(k):
        return dcache[dch[k]].style, tcache[tch[k]].style

    final: list[int] = []
    i = 0
    m = len(kept)
    cur = style(kept[0]) if kept else None
    while i < m:
        k = kept[i]
        st = style(k)
        if final and st != cur and not flag[k]:
            j = i
            while j < m and j - i <= 5 and style(kept[j]) != cur and not flag[kept[j]]:
                j += 1
            if j < m and j - i <= 5 and style(kept[j]) == cur and not flag[kept[j]]:
                tgt = final[-1]
                for t in range(i, j):
                    bodies[tgt] += b"\n" + line(kept[t])
                i = j
                continue
        cur = st
        final.append(k)
        i += 1

    # 3. exports: a BOM, a style change, no order giving a real date, the time going back notably, or a
    # new encryption notice with the time going back
    def val(k, o):
        return dcache[dch[k]].valid[o][3] + tcache[tch[k]].secs

    def scan(ks):
        """(feasible orders, votes against each) for headers ks read as one export."""
        s_dch = [dch[k] for k in ks]
        feas = [o for o in ((_YMD, _YDM) if dcache[s_dch[0]].style[2] else (_DMY, _MDY))]
        for key in {tuple(dcache[c].valid) for c in set(s_dch)}:
            feas = [o for o in feas if o in key]
        vts = {}
        if len(feas) > 1:
            secs = [tcache[tch[k]].secs for k in ks]
            for o in feas:
                vals = list(map(add, [dcache[c].valid[o][3] for c in s_dch], secs))
                vts[o] = sum(map(_VOTE_BACK.__lt__, map(sub, vals, islice(vals, 1, None))))
        return feas, vts

    groups: list[list[int]] = []
    seg: list[int] = []
    feasible: list = []
    prev_val: dict = {}
    cur = None
    for k in final:
        d = dcache[dch[k]]
        secs = tcache[tch[k]].secs
        valid = d.valid
        st = style(k)
        new = not seg or flag[k] or st != cur
        conflict = False
        if not new:
            if len(feasible) == 1:  # the usual case, kept short
                o = feasible[0]
                if o not in valid:
                    new = conflict = True
                else:
                    v = valid[o][3] + secs
                    low = prev_val[o] - v
                    if low > _SPLIT_BACK or (low > 0 and any(s in bodies[k][:400] for s in _B_ENC_NOTICE)):
                        new = True
                    else:
                        prev_val[o] = v
                        seg.append(k)
                        continue
            else:
                f2 = [o for o in feasible if o in valid]
                if not f2:
                    new = conflict = True
                else:
                    backs = [prev_val[o] - (valid[o][3] + secs) for o in f2]
                    low = min(backs)
                    if low > _SPLIT_BACK or (low > 0 and any(s in bodies[k][:400] for s in _B_ENC_NOTICE)):
                        new = True
                    else:
                        feasible = f2
        moved: list[int] = []
        if conflict:
            # The new export may have started a few headers earlier, where its dates still read both ways:
            # move the boundary back over the tail that is valid, and not going back, in k's orders.
            okset = list(valid)
            j = len(seg)
            nxt = k
            while j > 1:
                h = seg[j - 1]
                common = [o for o in okset if o in dcache[dch[h]].valid]
                if not common or all(val(h, o) - val(nxt, o) > _VOTE_BACK for o in common):
                    break
                okset = common
                nxt = h
                j -= 1
            moved = seg[j:]
            del seg[j:]
        if new:
            if seg:
                groups.append(seg)
            seg = moved
            cur = st
            feasible = [o for o in ((_YMD, _YDM) if d.style[2] else (_DMY, _MDY)) if o in valid]
            for h in moved:
                feasible = [o for o in feasible if o in dcache[dch[h]].valid]
        prev_val = {o: valid[o][3] + secs for o in feasible}
        seg.append(k)
    if seg:
        groups.append(seg)

    result = []
    for ks in groups:
        feasible, votes = scan(ks)
        result.append((ks, _pick_order(feasible, votes, [dch[k] for k in ks], dcache)))
    return result, bodies, extra


# --------------------------------------------------------------------------------------------------
# parse_path: files, zips, folders; decoding
# --------------------------------------------------------------------------------------------------
_WHAT_TO_PASS = "pass the .txt or .zip that WhatsApp's 'Export chat' gives (or a folder of them)"
_CHAT_NAMES = ("whatsapp chat with ", "chat de whatsapp con ", "whatsapp chat - ", "chat de whatsapp - ")
# A zip member is refused before it is read when it would unpack to more than this, or to more than this many
# times its packed size: generous for real exports (years of chat are tens of MB; text packs 3-10 times),
# fatal to a zip bomb, which would otherwise fill the memory.
ZIP_MAX_BYTES = 512 << 20
ZIP_MAX_RATIO = 100


def _one_line(s: object) -> str:
    return " ".join(str(s).split())


def _decode(data: bytes, where: str) -> tuple[bytes, int]:
    """An export's text as UTF-8 bytes, and how many bad bytes were replaced: UTF-8 with or without BOM,
    UTF-16 with or without BOM, else cp1252 or latin-1 where that yields message lines. A file that is
    UTF-8 but for a few bad bytes (most of its non-ASCII bytes are good UTF-8) stays UTF-8, each bad
    sequence read as U+FFFD, so every other line is exact. Raises UserError for empty, binary or
    undecodable input."""
    skip = 3 if data.startswith(b"\xef\xbb\xbf") else 2 if data.startswith((b"\xff\xfe", b"\xfe\xff")) else 0
    if not (data[skip : skip + 4096].strip(b" \t\r\n\x00") or data[skip:].strip(b" \t\r\n\x00")):
        raise UserError(f"{where}: the file is empty; export the chat again from WhatsApp and {_WHAT_TO_PASS}")
    binary = UserError(f"{where}: this is a binary file, not a WhatsApp chat export; {_WHAT_TO_PASS}")
    enc = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    elif not data.startswith(b"\xef\xbb\xbf"):
        sample = data[:8192]
        nuls = sample.count(b"\x00")
        if nuls:
            even = sample[0::2].count(b"\x00")
            odd = nuls - even
            half = len(sample) // 2
            if odd >= 0.9 * nuls and odd >= 0.3 * half:
                enc = "utf-16-le"
            elif even >= 0.9 * nuls and even >= 0.3 * half:
                enc = "utf-16-be"
            else:
                raise binary
    if enc is not None:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            raise UserError(
                f"{where}: cannot decode this file as {enc.upper()}; it may be damaged: export the chat again"
            ) from None
        if "\x00" in text:
            raise binary
        return text.encode("utf-8", "surrogatepass"), 0
    if _is_utf8(data):
        if b"\x00" in data:
            raise binary
        return data, 0
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = len(data.translate(None, bytes(range(128))))  # the bytes left once ASCII is deleted
    if non_ascii - bad > bad and b"\x00" not in data:
        return text.encode("utf-8"), bad
    for enc in ("cp1252", "latin-1"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _has_headers(text):
            return text.encode("utf-8"), 0
    raise UserError(
        f"{where}: not a readable WhatsApp chat export (not UTF-8/UTF-16 text, no message lines found); "
        f"{_WHAT_TO_PASS}"
    )


def _is_utf8(data: bytes) -> bool:
    """Whether data is valid UTF-8, checked in pieces (no giant str is built)."""
    import codecs

    dec = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(0, len(data), 65536):
            dec.decode(view[i : i + 65536])
        dec.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _has_headers(text: str) -> bool:
    return _B_FAST.search(b"\n" + text[:200000].encode()) is not None


def _no_headers(where: str) -> UserError:
    return UserError(f"{where}: no WhatsApp message lines found (like '21/08/22, 19:40 - Flor: hola'); {_WHAT_TO_PASS}")


def _size(parsed: Parsed) -> int:
    return sum(len(c) if isinstance(c, list) else c.n for c in parsed._chunks())


def _parse_bytes(data: bytes, where: str, chat: str) -> Parsed:
    text, replaced = _decode(data, where)
    parsed = _parse(text, chat)
    if not _size(parsed):
        raise _no_headers(where)
    parsed.replaced = replaced
    return parsed


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise UserError(f"{path}: cannot read the file ({_one_line(e.strerror or e)}); check its permissions") from None


def _parse_zip(path: Path, data: bytes, chat: str) -> Parsed:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [
                n
                for n in zf.namelist()
                if n.lower().endswith(".txt")
                and "__MACOSX/" not in n
                and not n.rsplit("/", 1)[-1].startswith("._")
            ]
            known = [
                n
                for n in names
                if n.rsplit("/", 1)[-1].lower() == "_chat.txt" or n.rsplit("/", 1)[-1].lower().startswith(_CHAT_NAMES)
            ]
            members = sorted(known or names)
            if not members:
                raise UserError(
                    f"{path}: the zip holds no chat text file (_chat.txt or 'WhatsApp Chat with ….txt'); "
                    f"export the chat again from WhatsApp and pass that zip"
                )
            blobs = [(n, _read_member(zf, zf.getinfo(n), path)) for n in members]
    except UserError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, EOFError, NotImplementedError) as e:
        raise UserError(
            f"{path}: cannot read this zip ({_one_line(e)}); export or download it again, or unzip it and pass the .txt"
        ) from None
    out = Parsed._lazy([], 0, 0)
    for name, blob in blobs:
        sub = chat if len(blobs) == 1 else f"{chat}/{name}"
        _merge(out, _parse_bytes(blob, f"{path}:{name}", sub))
    return out


def _read_member(zf, info, path: Path) -> bytes:
    """A zip member's bytes, refused in one line (before or, if its header lies, while reading) when too big."""
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > ZIP_MAX_BYTES or (info.file_size > 1 << 20 and ratio > ZIP_MAX_RATIO):
        raise UserError(f"{path}: {info.filename} would unpack to {info.file_size:,} bytes ({ratio:.0f} times its "
                        f"packed size): not a WhatsApp export; unzip it yourself if you trust it")
    with zf.open(info) as f:
        data = f.read(ZIP_MAX_BYTES + 1)
    if len(data) > ZIP_MAX_BYTES:
        raise UserError(f"{path}: {info.filename} unpacks to more than {ZIP_MAX_BYTES:,} bytes: not a WhatsApp export")
    return data


def _merge(into: Parsed, part: Parsed) -> None:
    into._parts.extend(part._chunks())
    into.lines_read += part.lines_read
    into.stray_lines += part.stray_lines
    into.replaced += part.replaced


def _parse_file(path: Path, chat: str) -> Parsed:
    data = _read(path)
    if path.suffix.lower() == ".zip" or data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _parse_zip(path, data, chat)
    return _parse_bytes(data, str(path), chat)


def parse_path(path: str | Path) -> Parsed:
    """Parse a .txt export, a .zip from the share sheet, or a folder of those (sorted, recursive).

    Raises UserError (one line, saying what to do) on missing, empty, binary or non-WhatsApp input.
    Nothing is returned unless every file parsed.
    """
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise UserError(f"{p}: no such file or folder; check the path")
    if p.is_dir():
        files = sorted(
            (f for f in p.rglob("*") if f.suffix.lower() in (".txt", ".zip") and f.is_file()
             and not any(part.startswith(".") or part == "__MACOSX" for part in f.relative_to(p).parts)),
            key=lambda f: f.relative_to(p).as_posix(),
        )
        if not files:
            raise UserError(f"{p}: the folder holds no .txt or .zip chat exports; {_WHAT_TO_PASS}")
        out = Parsed._lazy([], 0, 0)
        for f in files:
            try:
                _merge(out, _parse_file(f, f.relative_to(p).as_posix()))
            except UserError as e:
                raise UserError(f"{e}; or move it out of the folder {p}") from None
        return out
    if not p.is_file():
        raise UserError(f"{p}: not a regular file; {_WHAT_TO_PASS}")
    return _parse_file(p, p.name)


# --------------------------------------------------------------------------------------------------
# parse_apply: a big export parsed, and worked on, in two halves at once
# --------------------------------------------------------------------------------------------------
_HALVES_MIN = 1 << 20  # below a megabyte (some 20,000 lines) a second process is not worth its start


def parse_apply(path: str | Path, work: Callable[[Parsed], tuple[bytes, T]], jobs: int = 1) -> list[tuple[Buffer, T]]:
    """`[work(parse_path(path))]`, where work makes output bytes and a summary of a parse; with jobs > 1 on a
    machine of several cores, for one big export, `[work(first half), work(second half)]` computed in two
    processes (POSIX fork), when the halves parse exactly as the whole does.

    Parsing is a long run of small C calls that one core does one after another; each half runs on its own
    core. The halves are cut at a header line, each is parsed on its own, and the result is kept only if
    what the whole export's plan depends on agrees across them (one header style, one date order that each
    half is sure of, the time not going back at the cut); otherwise the export is parsed in one piece. The
    second half's output comes back in shared memory (a memoryview), its summary pickled."""
    from pathlib import Path

    p = Path(path)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if jobs > 1 and cores > 1 and hasattr(os, "fork") and p.is_file() and p.stat().st_size >= _HALVES_MIN:
        try:
            with p.open("rb") as f:
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # each process copies only its half
        except (OSError, ValueError):
            data = None
        results = None if data is None else _in_halves(data, p.name, work)
        if results is not None:
            return results
    return [work(parse_path(p))]


def _utf8_half(data: bytes, chat: str) -> Parsed | None:
    """A half parsed, if it is UTF-8 text (other encodings and binary files are left to the one-piece parse)."""
    if b"\x00" in data or not _is_utf8(data):
        return None
    return _parse(data, chat)


@_no_gc
def _in_halves(data: mmap.mmap, chat: str, work: Callable[[Parsed], tuple[bytes, T]]) -> list[tuple[Buffer, T]] | None:
    if data[:2] in (b"PK", b"\xff\xfe", b"\xfe\xff"):
        return None  # a zip, UTF-16
    # a little after the middle: the child, which takes the second half, starts on memory shared with the
    # parent (each first write to a page copies it) and copies its output back
    mid = data.find(b"\n", len(data) * 51 // 100)
    m = _B_FAST.search(data, mid) if mid >= 0 else None
    if m is None or data[m.start() + 1 : m.start() + 4] == _B_BOM:
        return None
    cut = m.start() + 1  # a header line: every _B_FAST match is where the whole text's split cuts too
    # the child's result: 16 bytes (the output's length, the summary's), the output, the pickled summary
    shared = mmap.mmap(-1, 4 * len(data) + (1 << 20))
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the second half, in the child process
        try:
            second = _utf8_half(data[cut:], chat)
            if second is not None:
                out, summary = work(second)
                shared.seek(16)
                shared.write(out)
                pickle.dump((getattr(second, "_plan", None), summary), shared, pickle.HIGHEST_PROTOCOL)
                shared[:16] = len(out).to_bytes(8, "little") + (shared.tell() - 16 - len(out)).to_bytes(8, "little")
        finally:  # whatever happens here, the parent parses in one piece and reports any error itself
            os.write(done_w, b"!")
            os._exit(0)
    os.close(done_w)
    try:
        first = _utf8_half(data[:cut], chat)
        mine = None if first is None else work(first)
        os.read(done_r, 1)  # the child has written its result (it may still be exiting)
        n_out, n_summary = int.from_bytes(shared[:8], "little"), int.from_bytes(shared[8:16], "little")
        if mine is None or not n_summary:
            return None
        plan_b, theirs = pickle.loads(shared[16 + n_out : 16 + n_out + n_summary])
    finally:
        os.close(done_r)
        os.waitpid(pid, 0)
    plan_a = getattr(first, "_plan", None)
    if plan_a is None or plan_b is None or plan_a.style != plan_b.style or plan_a.feasible != plan_b.feasible:
        return None
    if len(plan_a.feasible) != 1:  # an order chosen by votes could change with the other half's votes
        return None
    worst = max(plan_a.worst, plan_b.worst, plan_a.last - plan_b.first)
    if worst > _SPLIT_BACK:
        return None
    if worst > 0 and any(data.find(s, data.find(b"\n") + 1) >= 0 for s in _B_ENC_NOTICE):
        return None  # (the one-piece parse looks after the first message; this, after the first line)
    return [mine, (memoryview(shared)[16 : 16 + n_out], theirs)]
