"""Keep the real messages, as written, and account for every line that is dropped.

Case, emojis, punctuation and spelling are the style the model must learn, so nothing is normalised.
Only personal data can be redacted, with stable placeholders (the same number is always `<TEL_1>`).

The work runs on the parser's columns and writes JSON Lines straight from them (a Message object and a
json.dumps call per message would cost most of the stage's time); a big export is cleaned in two halves at
once (`parse_apply`), whose counts add up and whose redactions are numbered afterwards, in file order.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import Counter
from functools import partial
from itertools import accumulate, compress, repeat
from operator import and_, eq, itemgetter, not_
from typing import TYPE_CHECKING, Iterable

from gemelo import UserError
from gemelo.parsing import json_lines, parse_apply

if TYPE_CHECKING:
    from pathlib import Path

    from gemelo.parsing import Buffer, Parsed

PATTERNS = {  # label and pattern
    "emails": ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    "urls": ("URL", re.compile(r"(?:https?://|www\.)[^\s\0]+")),
    # At least 8 digits, grouped by spaces or dashes, optional +country code and (area code);
    # dots are not separators, so times and dates such as 20.15.21.15 are left alone.
    "phones": ("TEL", re.compile(r"(?<![\w/:.])\+?\(?[0-9]{1,4}\)?(?:[ \-]?\(?[0-9]\)?){7,14}(?![\w/:])")),
}
# What a text must hold for a pattern to match in it, looked for in all the texts at once (a superset):
# "@"; "http" or "www."; a phone number is a run of at least 8 characters out of digits, spaces, dashes,
# parentheses and "+", which this table turns into "0"s.
_TRIGGERS = {"emails": (b"@",), "urls": (b"http", b"www."), "phones": (b"0" * 8,)}
_PHONE_CHARS = bytes.maketrans(b"0123456789 -()+", b"0" * 15)
# First bytes of a text that may be blank: nothing, ASCII white space, or a lead byte of Unicode white space
_MAYBE_BLANK = frozenset([b""] + [bytes((b,)) for b in b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \xc2\xe1\xe2\xe3"])
_first_byte = itemgetter(slice(0, 1))


class Redactor:
    """Replaces personal data by numbered placeholders that stay the same for the same value."""

    def __init__(self, kinds: Iterable[str]):
        wanted = set(kinds)
        self.kinds = [k for k in PATTERNS if k in wanted]
        self.seen: dict[tuple[str, str], str] = {}
        self.numbered: Counter = Counter()  # placeholders given so far, per label: one pass, however many values

    def _placeholder(self, label: str, value: str) -> str:
        key = (label, value)
        if key not in self.seen:
            self.numbered[label] += 1
            self.seen[key] = f"<{label}_{self.numbered[label]}>"
        return self.seen[key]

    def __call__(self, text: str) -> str:
        for kind in self.kinds:
            label, pattern = PATTERNS[kind]
            text = pattern.sub(lambda m: self._placeholder(label, m.group(0)), text)
        return text

    def candidates(self, texts: list[bytes]) -> list[int]:
        """Indices of the texts (UTF-8) in which a pattern may match: found by a few fast searches over all the
        texts joined, so that the patterns themselves run on a handful of texts, not on every message."""
        if not self.kinds or not texts:
            return []
        joined = b"\n".join(texts)  # no pattern matches across a newline
        starts: list[int] = []
        found: set[int] = set()
        for kind in self.kinds:
            blob = joined.translate(_PHONE_CHARS) if kind == "phones" else joined
            for needle in _TRIGGERS[kind]:
                pos = blob.find(needle)
                while pos >= 0:
                    starts = starts or list(accumulate(map((1).__add__, map(len, texts)), initial=0))
                    i = bisect_right(starts, pos) - 1
                    found.add(i)
                    pos = blob.find(needle, starts[i + 1])
        return sorted(found)


def check_authors(counts: Counter, names: list[str]) -> None:
    """Stop with the authors found (and the closest match) when a configured name is not in the chats."""
    missing = [n for n in names if n not in counts]
    if not missing:
        return
    import difflib

    close = difflib.get_close_matches(missing[0], list(counts), n=1, cutoff=0.0)
    found = ", ".join(f"{a} ({n})" for a, n in counts.most_common(20))
    hint = f"; closest: {close[0]!r}" if close else ""
    raise UserError(f"author {missing[0]!r} is not in the chats{hint}; authors found (messages): {found}. "
                    "Set data.author to one of them")


class Part:
    """The counts of what the clean stage keeps of one parse (or of one half of it), to add up."""

    def __init__(self, lines_read: int = 0):
        self.kept = 0  # messages kept: lines of the part's JSON Lines
        self.candidates: list[tuple[int, str]] = []  # (line, text) that may need redaction
        self.lines_read = lines_read
        self.replaced = 0  # bad bytes of a UTF-8 export read as U+FFFD
        self.lines_kept = 0
        self.dropped: Counter = Counter()  # lines, by reason
        self.kinds: Counter = Counter()  # messages, by kind
        self.writers: Counter = Counter()  # text messages by author as written (the author check)
        self.authors: Counter = Counter()  # kept messages by author
        self.edited = 0


def clean_part(parsed: Parsed, names: list[str], redact: Iterable[str]) -> tuple[bytes, Part]:
    """The text messages that say something, as JSON Lines with every author's names unified to the first
    (not yet redacted), and their counts."""
    part = Part(lines_read=parsed.lines_read)
    part.replaced = parsed.replaced
    pieces = []
    redactor = Redactor(redact)
    for c in parsed.columns():
        n = len(c.text)
        keep = list(map(eq, c.kind, repeat("text")))
        part.kinds.update(c.kind)
        part.writers.update(compress(c.author, keep))
        part.writers.pop(None, None)
        for i in compress(range(n), map(not_, keep)):
            part.dropped[c.kind[i]] += c.lines[i]
        maybe = compress(range(n), map(and_, keep, map(_MAYBE_BLANK.__contains__, map(_first_byte, c.text))))
        for i in maybe:
            if not c.text[i].decode("utf-8", "surrogatepass").strip():
                part.dropped["empty"] += c.lines[i]
                keep[i] = False
        if len(names) > 1:
            c = c._replace(author=[names[0] if a in names else a for a in c.author])
        part.lines_kept += sum(compress(c.lines, keep))
        part.edited += sum(compress(c.edited, keep))
        part.authors.update(compress(c.author, keep))
        texts = list(compress(c.text, keep))
        for j in redactor.candidates(texts):
            part.candidates.append((part.kept + j, texts[j].decode("utf-8", "surrogatepass")))
        pieces.extend(json_lines(c, keep))
        part.kept += len(texts)
    if parsed.stray_lines:
        part.dropped["not_a_message"] += parsed.stray_lines
    return b"".join(pieces), part


def combine(results: list[tuple[Buffer, Part]], names: list[str], redact: Iterable[str]) -> tuple[list[Buffer], dict]:
    """The parts' JSON Lines, redacted in file order, and the stage's metrics, which count lines so that kept
    plus dropped lines add up to the lines read."""
    chunks = [out for out, _ in results]
    parts = [part for _, part in results]
    total = Part()
    for p in parts:
        total.lines_read += p.lines_read
        total.lines_kept += p.lines_kept
        total.edited += p.edited
        total.replaced += p.replaced
        for name in ("dropped", "kinds", "writers", "authors"):  # Counters
            getattr(total, name).update(getattr(p, name))
    check_authors(total.writers, names)
    redactor = Redactor(redact)
    for i, p in enumerate(parts):  # in file order, so that <TEL_1> is the first number met
        fixes = {}
        for line, text in p.candidates:
            new = redactor(text)
            if new != text:
                fixes[line] = new
        if fixes:
            lines = bytes(chunks[i]).split(b"\n")
            for k, text in fixes.items():
                row = json.loads(lines[k])
                row["text"] = text
                lines[k] = json.dumps(row, ensure_ascii=False).encode("utf-8", "surrogatepass")
            chunks[i] = b"\n".join(lines)
    metrics = {
        "lines_read": total.lines_read,
        "lines_kept": total.lines_kept,
        "lines_dropped": dict(sorted(total.dropped.items())),
        "messages_by_kind": dict(sorted(total.kinds.items())),
        "messages_kept": sum(total.authors.values()),
        "messages_by_author": dict(total.authors.most_common()),
        "edited": total.edited,
        "bad_bytes_replaced": total.replaced,
        "redacted": dict(sorted(redactor.numbered.items())),
    }
    assert metrics["lines_kept"] + sum(total.dropped.values()) == total.lines_read, "line accounting is off"
    return chunks, metrics


def clean(parsed: Parsed, names: list[str], redact: dict[str, bool]) -> tuple[bytes, dict]:
    """The kept messages of a parse as JSON Lines (ts, author, text, kind, edited, chat), and the metrics."""
    kinds = [k for k, on in redact.items() if on]
    chunks, metrics = combine([clean_part(parsed, names, kinds)], names, kinds)
    return b"".join(chunks), metrics


def clean_path(path: str | Path, names: list[str], redact: dict[str, bool], jobs: int = 1) -> tuple[list[Buffer], dict]:
    """`clean` of the exports at path, as pieces of JSON Lines to write one after another; a big export is
    cleaned in two halves at once when jobs > 1."""
    kinds = [k for k, on in redact.items() if on]
    return combine(parse_apply(path, partial(clean_part, names=names, redact=kinds), jobs), names, kinds)


def clean_stage(cfg) -> None:
    """The clean stage: the exports at data.raw to data/interim/messages.jsonl, and metrics/data.json."""
    from gemelo.config import authors
    from gemelo.pipeline import MESSAGES, METRICS, write_bytes, write_json

    jsonl, metrics = clean_path(cfg.data.raw, authors(cfg), dict(cfg.data.redact), jobs=2)
    write_bytes(MESSAGES, *jsonl)
    write_json(METRICS / "data.json", metrics)
