"""Conversations in a model's own format, with the loss on the author's replies only.

The author is the `assistant`, everyone else the `user`. Models with a chat template use it; models
without one (GPT-2) use a plain format: one `Name: text` line per turn, each reply closed by the end-of-
sequence token, which is trained so that the model learns to stop. In group chats the other speakers'
names stay visible.

`ChatFormat` is the one place that knows how a model reads and writes a conversation: the format stage,
training, perplexity, the side-by-side samples, `gemelo chat` and `gemelo serve` all go through it, and a
trained model's card records its settings, so chat renders exactly what training rendered.
"""

from __future__ import annotations

from pathlib import Path

from gemelo import UserError

PLAIN_SYSTEM = "{system}\n"
USER = "Vos"  # the name the person chatting gets in the plain (GPT-2) format


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


def split_messages(text: str, separator: str) -> list[str]:
    """A reply as the separate messages the author would have sent."""
    return [part.strip() for part in text.split(separator) if part.strip()]


def settings(cfg, mcfg, author: str) -> dict:
    """The settings a ChatFormat is built from, taken from the composed config; a model card records them."""
    return {"kind": mcfg.format, "author": author,
            "system_prompt": cfg.format.system_prompt + mcfg.get("system_suffix", ""),
            "separator": cfg.group.separator, "template_kwargs": dict(mcfg.get("template_kwargs") or {})}


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


class ChatFormat:
    """How one model reads and writes a conversation.

    `kind` is `chat` (the tokenizer's chat template, called with the model's `template_kwargs`) or `plain`.
    A reply trains exactly its content and the model's own end-of-turn token, whatever the template puts
    around them (role headers, Phi-3's document terminator after the last message, SmolLM3's empty think
    block). The end of turn is read off the template itself: the special token that follows a reply's
    content. Model-specific switches are settings, not code: SmolLM3's `enable_thinking` is a template
    keyword, and its `/system_override` is appended to the system prompt (conf/model/smollm3_3b.yaml).
    """

    def __init__(self, tokenizer, kind: str, author: str, system_prompt: str, separator: str,
                 template_kwargs: dict | None = None):
        if kind not in ("chat", "plain"):
            raise UserError(f"format must be chat or plain, not {kind!r} (conf/model/<key>.yaml)")
        if kind == "chat" and not tokenizer.chat_template:
            raise UserError("the tokenizer has no chat template (chat_template.jinja): a damaged model folder? "
                            "Run `dvc repro` again; for a model without one, set format: plain")
        self.tokenizer, self.kind, self.author = tokenizer, kind, author
        self.system_prompt, self.separator = system_prompt, separator
        self.template_kwargs = dict(template_kwargs or {})
        self.end_of_turn = self._end_of_turn()
        ids = {tokenizer.convert_tokens_to_ids(self.end_of_turn), tokenizer.eos_token_id}
        self.stop_ids = sorted(i for i in ids if i is not None)

    # --- rendering --------------------------------------------------------------------------------------

    def _chat(self, msgs: list[dict], generation_prompt: bool) -> str:
        plain = [{"role": m["role"], "content": m["content"]} for m in msgs]
        return self.tokenizer.apply_chat_template(
            plain, tokenize=False, add_generation_prompt=generation_prompt, **self.template_kwargs)

    def _plain(self, msgs: list[dict], generation_prompt: bool) -> tuple[str, list[tuple[int, int]]]:
        text, spans = "", []
        for m in msgs:
            if m["role"] == "system":
                text += PLAIN_SYSTEM.format(system=m["content"])
            elif m["role"] == "user":
                name = "" if m["content"].startswith(f"{m['name']}: ") else f"{m['name']}: "
                text += f"{name}{m['content']}\n"
            else:
                text += f"{self.author}: "
                start = len(text)
                text += m["content"] + self.end_of_turn
                spans.append((start, len(text)))
                text += "\n"
        if generation_prompt:
            text += f"{self.author}: "
        return text, spans

    def text(self, msgs: list[dict], generation_prompt: bool = False) -> str:
        """The text the model sees for these messages (with the prompt for a next reply if asked)."""
        if self.kind == "plain":
            return self._plain(msgs, generation_prompt)[0]
        return self._chat(msgs, generation_prompt)

    def render(self, msgs: list[dict]) -> tuple[str, list[tuple[int, int]]]:
        """The text of a conversation and the character spans of the author's replies (content + end of turn).

        A reply starts where the prompt for it (the conversation before it, with the generation prompt) ends,
        and the full text must hold its content and the end of turn right there: checked, not assumed.
        """
        if self.kind == "plain":
            return self._plain(msgs, False)
        text, spans = self._chat(msgs, False), []
        for k, m in enumerate(msgs):
            if m["role"] != "assistant":
                continue
            before = self._chat(msgs[:k], True)
            # a template may drop a reply's leading whitespace (SmolLM3 strips newlines)
            body = next((b for b in (m["content"], m["content"].lstrip())
                         if text.startswith(before) and text.startswith(b + self.end_of_turn, len(before))), None)
            if body is None:
                raise UserError("the chat template does not render a reply as its prompt, its content and "
                                f"{self.end_of_turn!r}: use format: plain for this model")
            spans.append((len(before), len(before) + len(body) + len(self.end_of_turn)))
        return text, spans

    def _end_of_turn(self) -> str:
        """The token that closes a reply: the plain format's end of sequence, or the special token a chat
        template writes right after a reply's content (`<|im_end|>`, Phi-3's `<|end|>`)."""
        if self.tokenizer.eos_token is None:
            raise UserError("the tokenizer has no end-of-sequence token")
        if self.kind == "plain":
            return self.tokenizer.eos_token
        probe = "\x01"  # a character no template adds
        text = self._chat([{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                           {"role": "assistant", "content": probe}], False)
        after = text[text.rindex(probe) + 1:]
        ids = self.tokenizer.encode(after, add_special_tokens=False)
        token = self.tokenizer.convert_ids_to_tokens(ids[0]) if ids else None
        special = set(self.tokenizer.get_added_vocab()) | set(self.tokenizer.all_special_tokens)
        if token not in special or not after.startswith(token):
            raise UserError(f"the chat template closes a reply with {after[:20]!r}, not with a special token: "
                            "use format: plain for this model")
        return token

    # --- training examples ------------------------------------------------------------------------------

    def messages(self, conv: dict) -> list[dict]:
        """A conversation of the group stage as chat messages, the author as the assistant."""
        return to_messages(conv, self.author, self.system_prompt)

    def encode(self, msgs: list[dict]) -> tuple[list[int], list[int]]:
        """Token ids and labels (-100 everywhere but on the author's replies and their end of turn)."""
        return tokenize(*self.render(msgs), self.tokenizer)

    def reply_stats(self, msgs: list[dict]) -> tuple[int, int]:
        """UTF-8 bytes and whitespace words of the author's replies (a separator counts as a newline)."""
        replies = [m["content"].replace(self.separator, "\n") for m in msgs if m["role"] == "assistant"]
        return sum(len(r.encode()) for r in replies), sum(len(r.split()) for r in replies)

    def examples(self, conv: dict, conv_id: int, max_length: int) -> list[dict]:
        """One conversation as one or more examples that fit max_length, cut at turn boundaries.

        Each window starts with the system prompt; a window with no author reply trains nothing and is
        skipped; a single turn longer than max_length is truncated.
        """
        msgs = self.messages(conv)
        out, window = [], [msgs[0]]
        for m in msgs[1:]:
            trial = window + [m]
            if len(window) > 1 and len(self.tokenizer.encode(self.text(trial), add_special_tokens=False)) > max_length:
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
            ids, labels = self.encode(w)
            ids, labels = ids[:max_length], labels[:max_length]
            if all(x == -100 for x in labels):
                continue
            n_bytes, n_words = self.reply_stats(w)
            result.append({"input_ids": ids, "labels": labels, "conv_id": conv_id, "length": len(ids),
                           "reply_bytes": n_bytes, "reply_words": n_words})
        return result

    # --- chat ---------------------------------------------------------------------------------------------

    def history_messages(self, history: list[dict], group: bool | None = None) -> list[dict]:
        """A chat history ({"role", "content"}, and the speaker's "name" where known) as training messages.

        Names show in the text as in training: always in the plain format, and in a group chat's (by default,
        a history that names its speakers is a group's).
        """
        group = any("name" in m for m in history) if group is None else group
        conv = {"group": group, "turns": [
            {"author": self.author if m["role"] == "assistant" else m.get("name", USER), "text": m["content"]}
            for m in history]}
        return self.messages(conv)

    def prompt(self, history: list[dict], group: bool | None = None) -> str:
        """The text before the author's next reply, rendered exactly as in training."""
        return self.text(self.history_messages(history, group), generation_prompt=True)

    def split(self, text: str) -> list[str]:
        """A reply as the separate messages the author would have sent."""
        return split_messages(text, self.separator)


def format_splits(cfg, key: str, splits: tuple[str, ...], out: Path) -> dict:
    """The conversations of the named splits as tokenized examples for one model, saved to `out` (a
    DatasetDict folder); returns the counts of examples and tokens per split. Only those splits are read."""
    from datasets import Dataset, DatasetDict

    from gemelo.config import authors, model_config
    from gemelo.models import load_tokenizer
    from gemelo.pipeline import CONVERSATIONS, read_jsonl

    mcfg = model_config(cfg, key)
    tokenizer = load_tokenizer(mcfg, cfg.group.separator)
    fmt = ChatFormat(tokenizer, **settings(cfg, mcfg, authors(cfg)[0]))
    parts, counts = {}, {}
    for split in splits:
        rows = []
        for i, conv in enumerate(read_jsonl(CONVERSATIONS / f"{split}.jsonl")):
            rows += fmt.examples(conv, i, mcfg.max_length)
        counts[split] = {"examples": len(rows), "tokens": sum(r["length"] for r in rows),
                         "trained_tokens": sum(sum(x != -100 for x in r["labels"]) for r in rows)}
        if rows:  # an empty split is left out: `datasets` cannot read an empty one back
            columns = ["input_ids", "labels", "conv_id", "length", "reply_bytes", "reply_words"]
            parts[split] = Dataset.from_dict({c: [r[c] for r in rows] for c in columns})
        elif split != "validation":
            raise UserError(f"no {split} example left for {key}: no reply of the author fits in "
                            f"model.{key}.max_length={mcfg.max_length} tokens with its context; raise max_length")
    DatasetDict(parts).save_to_disk(str(out))
    return counts


def format_stage(cfg, key: str) -> None:
    """The format stage: the conversations of every split as tokenized examples for one model."""
    from gemelo.pipeline import METRICS, PROCESSED, write_json

    counts = format_splits(cfg, key, ("train", "validation", "test"), PROCESSED / key)
    write_json(METRICS / "tokens" / f"{key}.json", counts)
