"""Keep the real messages, as written, and account for every line that is dropped.

Case, emojis, punctuation and spelling are the style the model must learn, so nothing is normalised.
Only personal data can be redacted, with stable placeholders (the same number is always `<TEL_1>`).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import Iterable

from gemelo import UserError
from gemelo.parsing import Message, Parsed

PATTERNS = {  # label, pattern, and substrings without which a text cannot match (a cheap first check)
    "emails": ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), ("@",)),
    "urls": ("URL", re.compile(r"(?:https?://|www\.)[^\s\0]+"), ("http", "www.")),
    # At least 8 digits, grouped by spaces or dashes, optional +country code and (area code);
    # dots are not separators, so times and dates such as 20.15.21.15 are left alone.
    "phones": ("TEL", re.compile(r"(?<![\w/:.])\+?\(?\d{1,4}\)?(?:[ \-]?\(?\d\)?){7,14}(?![\w/:])"), ()),
}


class Redactor:
    """Replaces personal data by numbered placeholders that stay the same for the same value."""

    def __init__(self, kinds: Iterable[str]):
        wanted = set(kinds)
        self.patterns = [PATTERNS[k] for k in PATTERNS if k in wanted]
        self.seen: dict[tuple[str, str], str] = {}

    def _placeholder(self, label: str, value: str) -> str:
        key = (label, value)
        if key not in self.seen:
            n = sum(1 for lab, _ in self.seen if lab == label) + 1
            self.seen[key] = f"<{label}_{n}>"
        return self.seen[key]

    def _sub(self, label: str, pattern: re.Pattern, text: str) -> str:
        return pattern.sub(lambda m: self._placeholder(label, m.group(0)), text)

    def __call__(self, text: str) -> str:
        for label, pattern, _ in self.patterns:
            text = self._sub(label, pattern, text)
        return text

    def many(self, texts: list[str]) -> list[str]:
        """Redact many texts fast: a pattern with a trigger runs only on the texts holding it; one without
        runs once over all the texts joined (one regex call, not one per message). No pattern crosses a NUL."""
        texts = list(texts)
        for label, pattern, triggers in self.patterns:
            if triggers:
                for i, t in enumerate(texts):
                    if any(x in t for x in triggers):
                        texts[i] = self._sub(label, pattern, t)
            elif any("\0" in t for t in texts):
                texts = [self._sub(label, pattern, t) for t in texts]
            else:
                texts = self._sub(label, pattern, "\0".join(texts)).split("\0")
        return texts


def check_authors(messages: list[Message], names: list[str]) -> None:
    """Stop with the authors found (and the closest match) when a configured name is not in the chats."""
    counts = Counter(m.author for m in messages if m.kind == "text" and m.author)
    missing = [n for n in names if n not in counts]
    if not missing:
        return
    close = difflib.get_close_matches(missing[0], list(counts), n=1, cutoff=0.0)
    found = ", ".join(f"{a} ({n})" for a, n in counts.most_common(20))
    hint = f"; closest: {close[0]!r}" if close else ""
    raise UserError(f"author {missing[0]!r} is not in the chats{hint}; authors found (messages): {found}. "
                    "Set data.author to one of them")


def clean(parsed: Parsed, names: list[str], redact: dict[str, bool]) -> tuple[list[dict], dict]:
    """Text messages of every author (the author's names unified to the first), and the accounting.

    The metrics count lines, so that kept + dropped lines add up to the lines read.
    """
    messages = parsed.messages
    check_authors(messages, names)
    kinds = Counter(m.kind for m in messages)
    dropped = Counter()
    for m in messages:
        if m.kind != "text":
            dropped[m.kind] += m.lines
    texts = [m for m in messages if m.kind == "text"]
    empty = [m for m in texts if not m.text.strip()]
    dropped["empty"] += sum(m.lines for m in empty)
    texts = [m for m in texts if m.text.strip()] if empty else texts
    if parsed.stray_lines:
        dropped["not_a_message"] += parsed.stray_lines
    dropped = +dropped  # only the reasons that happened
    redactor = Redactor(k for k, on in redact.items() if on)
    unified = {a: (names[0] if a in names else a) for a in {m.author for m in texts}}
    kept = [{"ts": m.ts.isoformat(), "author": unified[m.author], "text": t, "chat": m.chat}
            for m, t in zip(texts, redactor.many([m.text for m in texts]))]
    authors = Counter(r["author"] for r in kept)
    lines_kept = sum(m.lines for m in texts)
    metrics = {
        "lines_read": parsed.lines_read,
        "lines_kept": lines_kept,
        "lines_dropped": dict(sorted(dropped.items())),
        "messages_by_kind": dict(sorted(kinds.items())),
        "messages_kept": len(kept),
        "messages_by_author": dict(authors.most_common()),
        "edited": sum(m.edited for m in texts),
        "redacted": dict(Counter(label for label, _ in redactor.seen)),
    }
    assert metrics["lines_kept"] + sum(dropped.values()) == parsed.lines_read, "line accounting is off"
    return kept, metrics
