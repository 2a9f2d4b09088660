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

PATTERNS = {
    "emails": ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    "urls": ("URL", re.compile(r"https?://\S+|www\.\S+")),
    # At least 8 digits, grouped by spaces or dashes, optional +country code and (area code);
    # dots are not separators, so times and dates such as 20.15.21.15 are left alone.
    "phones": ("TEL", re.compile(r"(?<![\w/:.])\+?\(?\d{1,4}\)?(?:[ \-]?\(?\d\)?){7,14}(?![\w/:])")),
}


class Redactor:
    """Replaces personal data by numbered placeholders that stay the same for the same value."""

    def __init__(self, kinds: Iterable[str]):
        wanted = set(kinds)
        self.patterns = [PATTERNS[k] for k in ("emails", "urls", "phones") if k in wanted]
        self.seen: dict[tuple[str, str], str] = {}

    def _placeholder(self, label: str, value: str) -> str:
        key = (label, value)
        if key not in self.seen:
            n = sum(1 for lab, _ in self.seen if lab == label) + 1
            self.seen[key] = f"<{label}_{n}>"
        return self.seen[key]

    def __call__(self, text: str) -> str:
        for label, pattern in self.patterns:
            text = pattern.sub(lambda m: self._placeholder(label, m.group(0)), text)
        return text


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
    check_authors(parsed.messages, names)
    redactor = Redactor(k for k, on in redact.items() if on)
    canonical = names[0]
    kept: list[dict] = []
    lines = Counter({"kept": 0})
    dropped = Counter()
    kinds = Counter()
    authors = Counter()
    for m in parsed.messages:
        kinds[m.kind] += 1
        reason = m.kind if m.kind != "text" else ("empty" if not m.text.strip() else None)
        if reason:
            dropped[reason] += m.lines
            continue
        author = canonical if m.author in names else m.author
        authors[author] += 1
        lines["kept"] += m.lines
        kept.append({"ts": m.ts.isoformat(), "author": author, "text": redactor(m.text), "chat": m.chat})
    if parsed.stray_lines:
        dropped["not_a_message"] += parsed.stray_lines
    metrics = {
        "lines_read": parsed.lines_read,
        "lines_kept": lines["kept"],
        "lines_dropped": dict(sorted(dropped.items())),
        "messages_by_kind": dict(sorted(kinds.items())),
        "messages_kept": len(kept),
        "messages_by_author": dict(authors.most_common()),
        "edited": sum(1 for m in parsed.messages if m.edited and m.kind == "text"),
        "redacted": dict(Counter(label for label, _ in redactor.seen)),
    }
    assert metrics["lines_kept"] + sum(dropped.values()) == parsed.lines_read, "line accounting is off"
    return kept, metrics
