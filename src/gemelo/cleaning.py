"""Keep the real messages, as written, and account for every line that is dropped.

Case, emojis, punctuation and spelling are the style the model must learn, so nothing is normalised.
Only personal data can be redacted, with stable placeholders (the same number is always `<TEL_1>`).

The work runs on the parse's columns (`parsing.Block`) and writes JSON Lines straight from them: a Message
object and a json.dumps call per message would cost most of the stage's time on a big export.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from itertools import accumulate, compress, repeat
from operator import and_, eq, itemgetter, not_
from typing import TYPE_CHECKING, Iterable

from gemelo import UserError
from gemelo.parsing import Block, parse_path

if TYPE_CHECKING:
    from pathlib import Path

    from gemelo.parsing import Parsed

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

    def candidates(self, texts: list[bytes], at: list[int] | None = None) -> list[int]:
        """Indices (in `at`, if given) of the texts (UTF-8) in which a pattern may match: found by a few fast
        searches over all the texts joined, so that the patterns themselves run on a handful of texts, not on
        every message."""
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
        return sorted(found) if at is None else [at[i] for i in sorted(found)]


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


def clean(parsed: Parsed, names: list[str], redact: dict[str, bool]) -> tuple[bytes, dict]:
    """The text messages that say something, as JSON Lines (ts, author, text, kind, edited, chat) with every
    name of the author unified to the first and personal data redacted, and the metrics, which count lines
    so that kept plus dropped lines add up to the lines read."""
    redactor = Redactor(k for k, on in redact.items() if on)
    dropped, kinds, writers, authors = Counter(parsed.dropped), Counter(), Counter(), Counter()
    lines_kept = edited = 0
    pieces = []
    for part in parsed.parts:
        b = part if isinstance(part, Block) else Block.of(part)
        keep = list(map(eq, b.kinds, repeat("text")))
        kinds.update(b.kinds)
        writers.update(a for a in compress(b.authors, keep) if a is not None)
        for kind, lines in zip(compress(b.kinds, map(not_, keep)), compress(b.lines, map(not_, keep))):
            dropped[kind] += lines
        maybe = compress(range(len(keep)), map(and_, keep, map(_MAYBE_BLANK.__contains__, map(_first_byte, b.texts))))
        for i in maybe:
            if not b.texts[i].decode("utf-8", "surrogatepass").strip():
                dropped["empty"] += b.lines[i]
                keep[i] = False
        names_of = [names[0] if a in names else a for a in b.authors] if len(names) > 1 else b.authors
        lines_kept += sum(compress(b.lines, keep))
        edited += sum(compress(b.edited, keep))
        authors.update(compress(names_of, keep))
        texts = list(b.texts)
        for i in redactor.candidates([t for t, k in zip(texts, keep) if k], [i for i, k in enumerate(keep) if k]):
            texts[i] = redactor(texts[i].decode("utf-8", "surrogatepass")).encode("utf-8", "surrogatepass")
        pieces.append(b._replace(texts=texts).jsonl(keep, names_of))
    check_authors(writers, names)
    metrics = {
        "lines_read": parsed.lines_read,
        "lines_kept": lines_kept,
        "lines_dropped": dict(sorted(dropped.items())),
        "messages_by_kind": dict(sorted(kinds.items())),
        "messages_kept": sum(authors.values()),
        "messages_by_author": dict(authors.most_common()),
        "edited": edited,
        "bad_bytes_replaced": parsed.replaced,
        "unrecognised_system_lines": parsed.unrecognised,
        "redacted": dict(sorted(redactor.numbered.items())),
    }
    if metrics["lines_kept"] + sum(dropped.values()) != parsed.lines_read:
        raise RuntimeError(f"line accounting is off: {metrics}")  # a parser bug, never the user's
    return b"".join(pieces), metrics


def clean_path(path: str | Path, names: list[str], redact: dict[str, bool]) -> tuple[bytes, dict]:
    """`clean` of the exports at path (a .txt, a .zip or a folder)."""
    return clean(parse_path(path), names, redact)


def clean_stage(cfg) -> None:
    """The clean stage: the exports at data.raw to data/interim/messages.jsonl, and metrics/data.json."""
    from gemelo.config import authors
    from gemelo.pipeline import MESSAGES, METRICS, write_bytes, write_json

    jsonl, metrics = clean_path(cfg.data.raw, authors(cfg), dict(cfg.data.redact))
    write_bytes(MESSAGES, jsonl)
    write_json(METRICS / "data.json", metrics)
