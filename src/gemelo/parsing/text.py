"""One file's text to messages: the parser's main line.

1. `normalise`: byte-order marks and NULs go (they are never anyone's text), every line ending becomes `\\n`;
2. `headers.find` the lines that start a message; those without a real date under any order are text;
3. `exports.split` them into exports, each with its date order;
4. each header and the lines up to the next header make one message (`body.message`), whose kind the locale
   tables tell (`kinds`).
Every line read ends up in a message or in a named count of `Parsed.dropped`. A file of one export, the
usual one, takes `fast.parse` instead, which gives the same result (a test holds them together).
"""

from __future__ import annotations

import re

from gemelo.parsing import fast
from gemelo.parsing.body import message
from gemelo.parsing.dates import day, real, timestamp
from gemelo.parsing.exports import split
from gemelo.parsing.headers import find
from gemelo.parsing.messages import Parsed

LINE_END = re.compile(rb"\r*\n|\r")  # CRLF, CRCRLF (a CRLF file saved again on Windows), a lone CR


def normalise(raw: bytes) -> bytes:
    """UTF-8 without BOMs and NULs, with `\\n` line ends, and no final newline (it ends the last line)."""
    raw = raw.replace("\ufeff".encode(), b"").replace(b"\x00", b"")
    raw = LINE_END.sub(b"\n", raw) if b"\r" in raw else raw
    return raw[:-1] if raw.endswith(b"\n") else raw


def parse_text(text: str, chat: str = "chat") -> Parsed:
    """Parse one file's decoded text (which may hold several exports pasted one after another)."""
    return parse_utf8(text.encode("utf-8", "surrogatepass"), chat)


def parse_utf8(raw: bytes, chat: str = "chat") -> Parsed:
    """Parse one file's text, in UTF-8."""
    raw = normalise(raw)
    return fast.parse(raw, chat) or reference(raw.decode("utf-8", "surrogatepass"), chat)


def reference(text: str, chat: str) -> Parsed:
    """The parse of a normalised text, header by header."""
    parsed = Parsed([[]], text.count("\n") + 1 if text else 0)
    exports = split([h for h in find(text) if real(h.date, h.layout.year_first)])
    starts = [h.start for export in exports for h in export.headers] + [len(text) + 1]
    parsed.dropped["not_a_message"] = text.count("\n", 0, starts[0]) if exports else parsed.lines_read
    k = 0
    for n, (headers, order) in enumerate(exports):
        name = chat if n == 0 else f"{chat}#{n + 1}"
        for h in headers:
            k += 1
            m, recognised = message(text[h.end : starts[k] - 1], timestamp(day(h.date, order), h.secs), name)
            parsed.parts[0].append(m)
            parsed.dropped["empty"] += text.count("\n", h.start, starts[k] - 1) + 1 - m.lines
            parsed.unrecognised += 0 if recognised else m.lines
    parsed.dropped = +parsed.dropped  # no zero counts
    return parsed
