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
from gemelo.formatting import split_messages


@dataclass
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.9
    repetition_penalty: float = 1.1
    max_new_tokens: int = 64
    seed: int = 1234

    def __post_init__(self) -> None:
        """The same ranges as the chat: settings in conf/ (a zero budget or penalty would never end)."""
        from gemelo.config import check_value

        for name in self.__dataclass_fields__:
            check_value(f"chat.{name}", getattr(self, name))

    @classmethod
    def from_config(cls, chat_cfg, **overrides) -> "Sampling":
        values = {k: chat_cfg[k] for k in cls.__dataclass_fields__ if k in chat_cfg}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def read_history(path: str | Path) -> list[dict]:
    """A JSON list of {"role": "user"|"assistant", "content": "..."}."""
    shape = f"{path} must be a JSON list of {{\"role\": \"user\"|\"assistant\", \"content\": \"...\"}}"
    try:
        history = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"history file {path} not found") from None
    except OSError as e:
        raise UserError(f"cannot read the history file {path} ({e.strerror or e})") from None
    except ValueError:
        raise UserError(shape) from None
    if not isinstance(history, list) or not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
            for m in history):
        raise UserError(shape)
    return history


class Twin:
    """A loaded model with the format it was trained with (its card's ChatFormat)."""

    def __init__(self, model, tokenizer, card):
        self.model, self.tokenizer, self.card = model, tokenizer, card
        self.format = card.format_for(tokenizer)
        self.author, self.separator = self.format.author, self.format.separator
        self.max_length = card.max_length
        self.lock = threading.Lock()  # one generation at a time per loaded model

    @staticmethod
    def folder(target: str) -> Path:
        """`target` is a model key (its folder under models/) or a trained folder."""
        folder = Path(target) if Path(target).is_dir() else Path("models") / target
        if not folder.is_dir():
            raise UserError(f"no trained model at {folder}: run `dvc repro` first, or pass a model folder")
        return folder

    @classmethod
    def load(cls, target: str, base: bool = False) -> "Twin":
        """The trained model `target` (see `folder`); base=True: its base model."""
        from gemelo.models import load_trained

        return cls(*load_trained(cls.folder(target), base=base))

    def prompt(self, history: list[dict], group: bool | None = None) -> str:
        """The text before the author's next reply, rendered exactly as in training."""
        return self.format.prompt(history, group)

    def _tokens(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def fit(self, history: list[dict], max_new_tokens: int, group: bool | None = None) -> list[dict]:
        """The newest turns whose prompt leaves room for the reply in the context the model was trained on;
        a last message longer than that keeps its end.

        Each message is tokenized once and the oldest are dropped by their counts (plus their share of the
        template's tokens), so a long history costs time in proportion to its length; the prompt is then
        rendered to check, dropping one more turn while it does not fit.
        """
        budget = self.max_length - max_new_tokens
        if budget < 8:
            raise UserError(f"max_new_tokens={max_new_tokens} leaves no room for the conversation in the "
                            f"{self.max_length} tokens the model was trained on: ask for fewer")
        history = list(history)
        if not history:
            return history
        sizes = [len(self._tokens(m["content"])) for m in history]
        total = len(self._tokens(self.prompt(history, group)))
        per_turn = max(0, total - sum(sizes)) / (len(history) + 1)  # role headers, names, separators
        start = 0
        while start < len(history) - 1 and total > budget:
            total -= sizes[start] + per_turn
            start += 1
        history = history[start:]
        while len(history) > 1 and len(self._tokens(self.prompt(history, group))) > budget:
            history.pop(0)
        for _ in range(3):  # one message alone too long: keep its end (a cut may re-tokenize a little longer)
            excess = len(self._tokens(self.prompt(history, group))) - budget
            if excess <= 0:
                break
            ids = self._tokens(history[-1]["content"])
            history[-1] = {**history[-1], "content": self.tokenizer.decode(ids[min(len(ids), excess + 1):])}
        return history

    def stream(self, history: list[dict], sampling: Sampling, group: bool | None = None,
               usage: dict | None = None) -> Iterator[str]:
        """Yields the reply's text as it is generated (separators included, end of turn excluded); `group`
        says whether the history's speaker names belong in the text (see ChatFormat.history_messages).

        `usage`, if given, receives the prompt's and the reply's token counts and why generation ended
        (`stop`: the end of turn; `length`: max_new_tokens), as the OpenAI-style API reports them. The model
        is held until its generation ends, even when the caller stops reading early (a client that hangs up).
        """
        import torch
        from transformers import TextIteratorStreamer

        text = self.prompt(self.fit(history, sampling.max_new_tokens, group), group)
        inputs = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).to(self.model.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=False)
        stops = self.format.stop_ids
        kwargs = dict(**inputs, streamer=streamer, max_new_tokens=sampling.max_new_tokens,
                      eos_token_id=stops, pad_token_id=stops[0], repetition_penalty=sampling.repetition_penalty)
        if sampling.temperature > 0:
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
        else:
            kwargs.update(do_sample=False)
        ends = [self.tokenizer.decode([i]) for i in stops]
        result = {}
        with self.lock:
            torch.manual_seed(sampling.seed)
            worker = threading.Thread(target=lambda: result.update(ids=self.model.generate(**kwargs)))
            worker.start()
            try:
                for piece in streamer:
                    for end in ends:
                        piece = piece.split(end)[0] if end in piece else piece
                    if piece:
                        yield piece
            finally:
                worker.join()
        if usage is not None and "ids" in result:
            reply = result["ids"][0, inputs["input_ids"].shape[1]:].tolist()
            usage.update(prompt_tokens=inputs["input_ids"].shape[1], completion_tokens=len(reply),
                         finish_reason="stop" if reply and reply[-1] in stops else "length")

    def reply(self, history: list[dict], sampling: Sampling, group: bool | None = None) -> list[str]:
        """The author's next messages."""
        return self.format.split("".join(self.stream(history, sampling, group)))


def held_out_prompts(conversations: list[dict], author: str, separator: str, n: int) -> list[dict]:
    """Up to n (history, real reply) pairs: in each test conversation, the first reply of the author that
    has something to answer, with everything said before it as the history (speakers named, as the plain
    format shows them), and the real reply as messages."""
    out = []
    for conv in conversations:
        for k, turn in enumerate(conv["turns"]):
            if k and turn["author"] == author:
                history = [{"role": "assistant", "content": t["text"]} if t["author"] == author else
                           {"role": "user", "content": t["text"], "name": t["author"]} for t in conv["turns"][:k]]
                real = split_messages(turn["text"], separator)
                out.append({"history": history, "group": conv["group"], "real": real})
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
        group = p.get("group")
        rows.append({**p, "base": base.reply(p["history"], s, group), "finetuned": tuned.reply(p["history"], s, group)})
    return rows


def side_by_side_rows(cfg, key: str, prompts_file: str | None = None) -> list[dict]:
    """The author's real reply, the base model's and the fine-tuned one's, for held-out prompts (or for
    the lines of the user's own prompts file)."""
    from gemelo.config import authors, model_config
    from gemelo.pipeline import CONVERSATIONS, MODELS, read_jsonl

    model_config(cfg, key)
    if prompts_file:
        if not Path(prompts_file).is_file():
            raise UserError(f"prompts file {prompts_file} not found")
        lines = Path(prompts_file).read_text(encoding="utf-8").splitlines()
        prompts = [{"history": [{"role": "user", "content": p}], "real": []} for p in lines if p.strip()]
    else:
        prompts = held_out_prompts(read_jsonl(CONVERSATIONS / "test.jsonl"), authors(cfg)[0], cfg.group.separator,
                                   cfg.chat.samples)
    tuned = Twin.load(str(MODELS / key))
    return side_by_side(tuned, Twin.load(str(MODELS / key), base=True), prompts, Sampling.from_config(cfg.chat))


def samples_stage(cfg, key: str) -> None:
    """The samples stage: side-by-side replies to metrics/samples/<key>.json (kept out of git by DVC)."""
    from gemelo.card import ModelCard
    from gemelo.comparison import samples_markdown
    from gemelo.config import authors
    from gemelo.pipeline import METRICS, MODELS, write_json
    from gemelo.tracking import run as tracked

    rows = side_by_side_rows(cfg, key)
    write_json(METRICS / "samples" / f"{key}.json", rows)
    if not cfg.mlflow.log_text:  # chat text stays on this machine's disk unless the user opts in
        return
    with tracked(cfg, key, "samples", run_id=ModelCard.read(MODELS / key).mlflow_run_id) as active:
        if active:
            import mlflow

            mlflow.log_text(samples_markdown({key: rows}, authors(cfg)[0], cfg.group.separator), "samples.md")
