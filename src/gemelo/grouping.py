"""Messages → turns → conversations → chronological train/validation/test splits.

A turn is a burst: consecutive messages of one author, joined by the separator so the model learns to
write several WhatsApp messages in a row. Conversations are cut at long silences, at chat boundaries and
at a maximum length. Each chat is split by time (the latest conversations are the test set), and no
message is shared between conversations, so nothing of the test set is ever trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

SPLITS = ("train", "validation", "test")


@dataclass
class Turn:
    author: str
    texts: list[str]
    start: datetime
    end: datetime

    def to_json(self, sep: str) -> dict:
        return {"author": self.author, "text": sep.join(self.texts), "ts": self.start.isoformat()}


def make_turns(messages: list[dict], burst_gap: timedelta) -> dict[str, list[Turn]]:
    """Bursts of one author, per chat; a new chat or a clock going backwards also ends a burst."""
    chats: dict[str, list[Turn]] = {}
    last: Turn | None = None
    last_chat = None
    for m in messages:
        ts = datetime.fromisoformat(m["ts"])
        turns = chats.setdefault(m["chat"], [])
        same = (last is not None and m["chat"] == last_chat and m["author"] == last.author
                and timedelta(0) <= ts - last.end <= burst_gap)
        if same:
            last.texts.append(m["text"])
            last.end = ts
        else:
            last = Turn(m["author"], [m["text"]], ts, ts)
            turns.append(last)
        last_chat = m["chat"]
    return chats


def make_conversations(turns: list[Turn], session_gap: timedelta, max_turns: int) -> list[list[Turn]]:
    """Cut one chat's turns at silences longer than session_gap, at clocks going backwards, and at max_turns."""
    convs: list[list[Turn]] = []
    for t in turns:
        prev = convs[-1][-1] if convs else None
        if prev is None or not timedelta(0) <= t.start - prev.end <= session_gap or len(convs[-1]) >= max_turns:
            convs.append([t])
        else:
            convs[-1].append(t)
    return convs


def dedupe_messages(messages: list[dict]) -> tuple[list[dict], int]:
    """Drop messages already seen in another export (the same chat exported twice overlaps).

    Repeats inside one export are real and kept; across exports they would let a test message
    reappear in training.
    """
    first_chat: dict[tuple, str] = {}
    kept = []
    for m in messages:
        key = (m["ts"], m["author"], m["text"])
        chat = first_chat.setdefault(key, m["chat"])
        if chat == m["chat"]:
            kept.append(m)
    return kept, len(messages) - len(kept)


def split_chat(convs: list, validation: float, test: float) -> dict[str, list]:
    """The oldest conversations train, the next validate, the most recent test."""
    n = len(convs)
    n_test = round(n * test) if n >= 3 else 0
    n_val = round(n * validation) if n >= 3 else 0
    n_train = n - n_test - n_val
    return {"train": convs[:n_train], "validation": convs[n_train:n_train + n_val], "test": convs[n_train + n_val:]}


def group(messages: list[dict], author: str, cfg) -> tuple[dict[str, list[dict]], dict]:
    """The whole group stage: returns conversations per split (as JSON-ready dicts) and its metrics."""
    messages, duplicates = dedupe_messages(messages)
    splits: dict[str, list[dict]] = {s: [] for s in SPLITS}
    dropped_no_author = 0
    for chat_name, chat_turns in make_turns(messages, timedelta(minutes=cfg.burst_gap_minutes)).items():
        convs = make_conversations(chat_turns, timedelta(minutes=cfg.session_gap_minutes), cfg.max_turns)
        with_author = [c for c in convs if any(t.author == author for t in c)]
        dropped_no_author += len(convs) - len(with_author)
        speakers = {t.author for c in convs for t in c}
        for split, part in split_chat(with_author, cfg.validation, cfg.test).items():
            for c in part:
                splits[split].append({
                    "chat": chat_name,
                    "group": len(speakers) > 2,
                    "start": c[0].start.isoformat(),
                    "turns": [t.to_json(cfg.separator) for t in c],
                })
    metrics = {
        "messages_in": len(messages) + duplicates,
        "duplicate_messages_dropped": duplicates,
        "conversations_without_author_dropped": dropped_no_author,
        "conversations": {s: len(v) for s, v in splits.items()},
        "author_turns": {s: sum(t["author"] == author for c in v for t in c["turns"]) for s, v in splits.items()},
    }
    return splits, metrics


def group_stage(cfg) -> None:
    """The group stage: data/interim/messages.jsonl to conversations per split, and metrics/group.json."""
    from gemelo import UserError
    from gemelo.config import authors
    from gemelo.pipeline import CONVERSATIONS, MESSAGES, METRICS, read_jsonl, write_json, write_jsonl

    splits, metrics = group(read_jsonl(MESSAGES), authors(cfg)[0], cfg.group)
    if not splits["train"]:
        raise UserError("no conversation with the author left to train on: check data.author and group settings")
    if not splits["test"]:
        raise UserError("no conversation left to test on (each chat needs at least 3 with the author): add chats, "
                        "or raise group.test")
    for name, convs in splits.items():
        write_jsonl(CONVERSATIONS / f"{name}.jsonl", convs)
    write_json(METRICS / "group.json", metrics)
