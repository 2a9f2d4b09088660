"""Talk to a twin: exactly the training format, history kept within the context, streamed, stopped at the
end of the author's turn, and a reply with separators shown as several WhatsApp messages.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from gemelo import UserError
from gemelo.formatting import render, to_messages

USER = "Vos"  # the name the person chatting gets in the plain (GPT-2) format


@dataclass
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.9
    repetition_penalty: float = 1.1
    max_new_tokens: int = 64
    seed: int = 1234

    @classmethod
    def from_config(cls, chat_cfg, **overrides) -> "Sampling":
        values = {k: chat_cfg[k] for k in cls.__dataclass_fields__ if k in chat_cfg}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def split_messages(text: str, separator: str) -> list[str]:
    """A reply as the separate messages the author would have sent."""
    return [part.strip() for part in text.split(separator) if part.strip()]


def read_history(path: str | Path) -> list[dict]:
    """A JSON list of {"role": "user"|"assistant", "content": "..."}."""
    try:
        history = json.loads(Path(path).read_text(encoding="utf-8"))
        assert isinstance(history, list) and all(m["role"] in ("user", "assistant") and isinstance(m["content"], str)
                                                  for m in history)
    except FileNotFoundError:
        raise UserError(f"history file {path} not found") from None
    except (ValueError, AssertionError, KeyError, TypeError):
        raise UserError(f"{path} must be a JSON list of {{\"role\": \"user\"|\"assistant\", \"content\": \"...\"}}") from None
    return history


class Twin:
    """A loaded model with the format it was trained with."""

    def __init__(self, model, tokenizer, info: dict):
        self.model, self.tokenizer, self.info = model, tokenizer, info
        self.author, self.separator, self.format = info["author"], info["separator"], info["format"]
        self.system_prompt = info["system_prompt"]
        self.max_length = int(info["config"]["max_length"])
        self.end_ids = self._end_of_turn_ids()
        self.lock = threading.Lock()  # one generation at a time per loaded model

    @classmethod
    def load(cls, target: str, base: bool = False) -> "Twin":
        """`target` is a model key (its folder under models/) or a trained folder; base=True: its base model."""
        from gemelo.models import load_trained

        folder = Path(target) if Path(target).is_dir() else Path("models") / target
        if not folder.is_dir():
            raise UserError(f"no trained model at {folder}: run `dvc repro` first, or pass a model folder")
        model, tokenizer, info = load_trained(folder, base=base)
        return cls(model, tokenizer, info)

    def _end_of_turn_ids(self) -> list[int]:
        """The token that closes a reply in this format (what training put the loss on), and EOS."""
        ids = {self.tokenizer.eos_token_id}
        if self.format == "chat":
            text, spans = render(self._messages([{"role": "assistant", "content": "X"}]), self.tokenizer, "chat", self.author)
            start, end = spans[0]
            after = text[start + 1:end]
            if after:
                ids.add(self.tokenizer.encode(after, add_special_tokens=False)[0])
        return sorted(i for i in ids if i is not None)

    def _messages(self, history: list[dict]) -> list[dict]:
        """Chat messages as in training; user entries with a "name" come from a group chat and show it."""
        group = any("name" in m for m in history)
        conv = {"group": group, "turns": [
            {"author": self.author if m["role"] == "assistant" else m.get("name", USER), "text": m["content"]}
            for m in history]}
        return to_messages(conv, self.author, self.system_prompt)

    def prompt(self, history: list[dict]) -> str:
        """The text before the author's next reply, rendered exactly as in training."""
        return render(self._messages(history), self.tokenizer, self.format, self.author, generation_prompt=True)[0]

    def fit(self, history: list[dict], max_new_tokens: int) -> list[dict]:
        """Drop the oldest turns until the prompt and the reply fit in the context the model was trained on."""
        history = list(history)
        while len(history) > 1 and len(self.tokenizer.encode(self.prompt(history), add_special_tokens=False)) \
                + max_new_tokens > self.max_length:
            history.pop(0)
        return history

    def stream(self, history: list[dict], sampling: Sampling) -> Iterator[str]:
        """Yields the reply's text as it is generated (separators included, end of turn excluded)."""
        import torch
        from transformers import TextIteratorStreamer

        text = self.prompt(self.fit(history, sampling.max_new_tokens))
        inputs = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).to(self.model.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=False)
        kwargs = dict(**inputs, streamer=streamer, max_new_tokens=sampling.max_new_tokens,
                      eos_token_id=self.end_ids, pad_token_id=self.end_ids[0],
                      repetition_penalty=sampling.repetition_penalty)
        if sampling.temperature > 0:
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
        else:
            kwargs.update(do_sample=False)
        ends = [self.tokenizer.decode([i]) for i in self.end_ids]
        with self.lock:
            torch.manual_seed(sampling.seed)
            worker = threading.Thread(target=self.model.generate, kwargs=kwargs)
            worker.start()
            for piece in streamer:
                for end in ends:
                    piece = piece.split(end)[0] if end in piece else piece
                if piece:
                    yield piece
            worker.join()

    def reply(self, history: list[dict], sampling: Sampling) -> list[str]:
        """The author's next messages."""
        return split_messages("".join(self.stream(history, sampling)), self.separator)


def held_out_prompts(conversations: list[dict], author: str, n: int) -> list[dict]:
    """Up to n (history, real reply) pairs: in each test conversation, the first reply of the author that
    has something to answer, with everything said before it as the history."""
    out = []
    for conv in conversations:
        for k, turn in enumerate(conv["turns"]):
            if k and turn["author"] == author:
                history = [{"role": "assistant", "content": t["text"]} if t["author"] == author else
                           {"role": "user", "content": t["text"], **({"name": t["author"]} if conv["group"] else {})}
                           for t in conv["turns"][:k]]
                out.append({"history": history, "real": turn["text"]})
                break
        if len(out) == n:
            break
    return out


def side_by_side(tuned: Twin, base: Twin, prompts: list[dict], sampling: Sampling) -> list[dict]:
    """For each prompt: the author's real reply, the base model's and the fine-tuned model's.

    Prompt i is sampled with seed + i: reproducible, yet not the same random draws for every prompt
    (which would make all replies alike); base and fine-tuned get the same draws for the same prompt.
    """
    from tqdm.auto import tqdm

    rows = []
    for i, p in enumerate(tqdm(prompts, desc="side by side", unit="prompt")):
        s = replace(sampling, seed=sampling.seed + i)
        rows.append({**p, "base": base.reply(p["history"], s), "finetuned": tuned.reply(p["history"], s)})
    return rows


def samples_markdown(samples: dict[str, list[dict]], author: str, separator: str) -> str:
    """metrics/samples.md: what the author really wrote next to what each model wrote."""
    def show(text):
        parts = split_messages(text, separator) if isinstance(text, str) else text
        return " / ".join(parts) if parts else "—"

    lines = [f"# What {author} wrote, and what the models wrote\n",
             "Prompts from held-out test conversations; ` / ` separates messages of one burst.\n"]
    for key, rows in samples.items():
        lines.append(f"## {key}\n")
        for i, r in enumerate(rows, 1):
            last = r["history"][-1]["content"].replace(separator, " / ") if r["history"] else ""
            lines += [f"{i}. **last message:** {last}", f"   - **real:** {show(r['real'])}",
                      f"   - **base:** {show(r['base'])}", f"   - **fine-tuned:** {show(r['finetuned'])}", ""]
    return "\n".join(lines) + "\n"
