"""Conversations → tokenized training examples for one model, with the loss on the author's replies only.

The author is the `assistant`, everyone else the `user`. Models with a chat template use it; models
without one (GPT-2) use a plain format: one `Name: text` line per turn, each reply closed by the end-of-
sequence token, which is trained so that the model learns to stop. In group chats the other speakers'
names stay visible. Each example carries labels that are -100 everywhere except on the author's reply
tokens, the end-of-turn token included.
"""

from __future__ import annotations

PLAIN_SYSTEM = "{system}\n"


def to_messages(conv: dict, author: str, system_prompt: str) -> list[dict]:
    """Chat messages: system, then alternating user/assistant (other speakers' consecutive turns merged)."""
    msgs = [{"role": "system", "content": system_prompt.format(author=author)}]
    for t in conv["turns"]:
        role = "assistant" if t["author"] == author else "user"
        content = f"{t['author']}: {t['text']}" if role == "user" and conv.get("group") else t["text"]
        if msgs[-1]["role"] == role == "user":
            msgs[-1]["content"] += "\n" + content
        else:
            msgs.append({"role": role, "content": content, "name": t["author"]})
    return msgs


def render(msgs: list[dict], tokenizer, fmt: str, author: str, generation_prompt: bool = False) -> tuple[str, list[tuple[int, int]]]:
    """The text the model sees and the character spans of the author's replies (content + end of turn)."""
    if fmt == "plain":
        return _render_plain(msgs, tokenizer.eos_token, author, generation_prompt)
    spans = []
    for k, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        before = _chat(tokenizer, msgs[:k], add_generation_prompt=True)
        through = _chat(tokenizer, msgs[:k + 1])
        if not through.startswith(before):
            raise ValueError("the chat template does not render conversations prefix by prefix")
        spans.append((len(before), len(through.rstrip())))
    return _chat(tokenizer, msgs, add_generation_prompt=generation_prompt), spans


def _chat(tokenizer, msgs: list[dict], add_generation_prompt: bool = False) -> str:
    plain = [{"role": m["role"], "content": m["content"]} for m in msgs]
    return tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=add_generation_prompt)


def _render_plain(msgs, eos: str, author: str, generation_prompt: bool) -> tuple[str, list[tuple[int, int]]]:
    text, spans = "", []
    for m in msgs:
        if m["role"] == "system":
            text += PLAIN_SYSTEM.format(system=m["content"])
        elif m["role"] == "user":
            name = "" if m["content"].startswith(f"{m['name']}: ") else f"{m['name']}: "
            text += f"{name}{m['content']}\n"
        else:
            text += f"{author}: "
            start = len(text)
            text += m["content"] + eos
            spans.append((start, len(text)))
            text += "\n"
    if generation_prompt:
        text += f"{author}: "
    return text, spans


def tokenize(text: str, spans: list[tuple[int, int]], tokenizer) -> tuple[list[int], list[int]]:
    """Token ids and labels: a token is trained when it overlaps an author's reply span.

    Overlap, not containment: byte-level BPE glues the space after `Name:` to the reply's first word.
    """
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    labels = []
    for tid, (start, end) in zip(enc["input_ids"], enc["offset_mapping"]):
        inside = any(start < e and end > s for s, e in spans)
        labels.append(tid if inside else -100)
    return enc["input_ids"], labels


def reply_stats(msgs: list[dict], separator: str) -> tuple[int, int]:
    """UTF-8 bytes and whitespace words of the author's replies (a separator counts as a newline)."""
    replies = [m["content"].replace(separator, "\n") for m in msgs if m["role"] == "assistant"]
    return sum(len(r.encode()) for r in replies), sum(len(r.split()) for r in replies)


def examples(conv: dict, conv_id: int, tokenizer, author: str, mcfg, system_prompt: str, separator: str) -> list[dict]:
    """One conversation as one or more examples that fit max_length, cut at turn boundaries.

    Each window starts with the system prompt; a window with no author reply trains nothing and is
    skipped; a single turn longer than max_length is truncated.
    """
    msgs = to_messages(conv, author, system_prompt)
    out, window = [], [msgs[0]]
    for m in msgs[1:]:
        trial = window + [m]
        if len(window) > 1 and len(tokenize(*render(trial, tokenizer, mcfg.format, author), tokenizer)[0]) > mcfg.max_length:
            out.append(window)
            window = [msgs[0], m]
        else:
            window = trial
    out.append(window)
    result = []
    for w in out:
        while w and w[-1]["role"] != "assistant":  # what follows the last reply trains nothing
            w = w[:-1]
        if len(w) < 2:
            continue
        ids, labels = tokenize(*render(w, tokenizer, mcfg.format, author), tokenizer)
        ids, labels = ids[:mcfg.max_length], labels[:mcfg.max_length]
        if all(x == -100 for x in labels):
            continue
        n_bytes, n_words = reply_stats(w, separator)
        result.append({"input_ids": ids, "labels": labels, "conv_id": conv_id, "length": len(ids),
                       "reply_bytes": n_bytes, "reply_words": n_words})
    return result
