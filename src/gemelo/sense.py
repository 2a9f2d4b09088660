"""Sense: does a reply answer its context? A contrastive test with a fixed judge model.

For each held-out context i and a reply r_i written for it, a judge language model scores r_i as the
continuation of its own context c_i and of K other contexts c_j. The reply makes sense when the judge finds
it likelier after its own context than after the others: the share of those K comparisons it wins is the
context's score (ties count half), and the sense score is its mean over contexts.

Comparing one reply across contexts (not one context across replies) is the point: log p(r|c_i) − log p(r|c_j)
is a pointwise mutual information, in which the reply's own prior probability cancels. A short generic reply
("jajaja") is likely after any context, so it wins its own context's comparisons only by chance: 50 %.
The same cancellation makes the length or tokenizer of a reply irrelevant (no per-token or per-byte
normalisation to choose). The author's real replies give the ceiling, and real replies moved to another
context (a derangement) the floor, both measured with the same judge and the same contexts.

The judge is fixed, so that figures compare across models and sweeps. By default (`fidelity.judge: learned`)
it is `Associations`: which words these people answer with to which words, learned from the training split
(IBM Model 1, a translation model of replies given the messages they answer). It needs no download, runs in
seconds, works in any language, and on the sample it separates real replies from shuffled ones by far (see
the README), where the offline SmolLM2-135M, as a language-model judge, barely does (54 % against 52 %): a
135M model reads too little of a rioplatense chat to know what answers what. Any local language model can be
the judge instead (`fidelity.judge: <source>`, `Judge`): each context is encoded once and every reply scored
from its key-value cache.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter, defaultdict

import numpy as np

from gemelo import UserError
from gemelo.fidelity import tokens
from gemelo.formatting import ChatFormat


class Judge:
    """A language model, in its own format, that scores replies as continuations of chat contexts."""

    def __init__(self, model, tokenizer, author: str, system_prompt: str, separator: str, context_tokens: int):
        self.model, self.tokenizer = model, tokenizer
        kind = "chat" if tokenizer.chat_template else "plain"
        # the judge knows no burst separator: the messages of a burst are lines, as a person would read them
        self.format = ChatFormat(tokenizer, kind, author, system_prompt, "\n")
        self.separator, self.context_tokens = separator, context_tokens

    @classmethod
    def load(cls, source: str, **kwargs) -> "Judge":
        """`source` as in conf/model/<key>.yaml: a local folder, `gguf:<package>/<file>` or `tiny:<arch>`."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from gemelo.models import resolve_source

        folder = resolve_source(source)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
        except OSError as e:
            raise UserError(f"cannot load the judge model {source!r} (fidelity.judge): {e}") from None
        return cls(model.eval(), tokenizer, **kwargs)

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def context(self, history: list[dict], group: bool | None) -> list[int]:
        """The prompt for the author's reply, the newest turns that fit in `context_tokens`."""
        history = [{**m, "content": m["content"].replace(self.separator, "\n")} for m in history]
        ids = self._ids(self.format.prompt(history, group))
        while len(history) > 1 and len(ids) > self.context_tokens:
            history = history[1:]
            ids = self._ids(self.format.prompt(history, group))
        return ids[-self.context_tokens:]

    def reply(self, messages: list[str]) -> list[int]:
        """A reply's tokens as the judge reads them: its messages as lines, then the end of the turn."""
        return self._ids("\n".join(messages) + self.format.end_of_turn)

    def loglik(self, context: list[int], replies: list[list[int]], batch_size: int = 32) -> np.ndarray:
        """log p(reply | context), summed over each reply's tokens; the context is run once and cached."""
        import torch

        device = next(self.model.parameters()).device
        with torch.no_grad():
            out = self.model(input_ids=torch.tensor([context], device=device), use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), -1)  # the reply's first token comes from here
        scores = []
        for i in range(0, len(replies), batch_size):
            batch = replies[i:i + batch_size]
            width = max(len(r) for r in batch)
            ids = torch.tensor([r + [r[-1]] * (width - len(r)) for r in batch], device=device)  # right-padded
            cache = copy.deepcopy(out.past_key_values)
            cache.batch_repeat_interleave(len(batch))
            with torch.no_grad():
                logits = self.model(input_ids=ids, cache=cache, use_cache=True).logits.float()
            logp = torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None])[..., 0]
            mask = torch.arange(width - 1, device=device)[None] < torch.tensor([len(r) - 1 for r in batch],
                                                                                device=device)[:, None]
            scores += ((logp * mask).sum(1) + first[ids[:, 0]]).tolist()
        return np.array(scores)


def answered(history: list[dict]) -> list[str]:
    """What the author's next reply answers: the messages the others sent since the author's last turn."""
    said = []
    for m in reversed(history):
        if m["role"] == "assistant":
            break
        said.insert(0, m["content"])
    return said


class Associations:
    """The learned judge: p(reply | what it answers) as IBM Model 1 over words, emojis and laughs, trained on
    the training conversations' (others' messages, the author's reply) pairs by expectation-maximisation.

    Each word of a reply is explained by one word of the messages it answers (or by none, the NULL word), mixed
    half and half with the word's overall frequency in the author's replies so that no reply is impossible.
    Spelling is folded (lower case, letters repeated in a row counted once, every laugh one token): the style
    is the other figures' business; here only what is said counts.
    """

    NULL = ""

    def __init__(self, conversations: list[dict], author: str, separator: str, iterations: int = 8):
        self.separator = separator
        pairs = []
        for conv in conversations:
            history = []
            for turn in conv["turns"]:
                mine = turn["author"] == author
                if mine and answered(history):
                    pairs.append((self.context(history), self.reply(turn["text"].split(separator))))
                history.append({"role": "assistant" if mine else "user", "content": turn["text"]})
        if not pairs:
            raise UserError(f"the training split has no reply of {author} to anyone: nothing to learn sense from")
        counts = Counter(w for _, reply in pairs for w in reply)
        total = sum(counts.values()) + len(counts) + 1
        self.background = {w: (n + 1) / total for w, n in counts.items()}
        self.unseen = 1 / total
        self.table = defaultdict(lambda: 1.0)  # t(reply word | context word), uniform to start
        for _ in range(iterations):
            joint, marginal = defaultdict(float), defaultdict(float)
            for context, reply in pairs:
                for w in reply:
                    norm = sum(self.table[(w, u)] for u in context)
                    for u in context:
                        share = self.table[(w, u)] / norm
                        joint[(w, u)] += share
                        marginal[u] += share
            self.table = defaultdict(float, {k: v / marginal[k[1]] for k, v in joint.items()})

    def words(self, text: str) -> list[str]:
        return [re.sub(r"(.)\1+", r"\1", t) for t in tokens(text.replace(self.separator, "\n"))]

    def context(self, history: list[dict], group: bool | None = None) -> list[str]:
        return [self.NULL] + [w for m in answered(history) for w in self.words(m)]

    def reply(self, messages: list[str]) -> list[str]:
        return [w for m in messages for w in self.words(m)]

    def loglik(self, context: list[str], replies: list[list[str]]) -> np.ndarray:
        """log p(reply | context), summed over the reply's words."""
        def p(w: str) -> float:
            return 0.5 * sum(self.table.get((w, u), 0.0) for u in context) / len(context) + \
                0.5 * self.background.get(w, self.unseen)

        return np.array([sum(math.log(p(w)) for w in reply) for reply in replies])


def plan(n: int, distractors: int, seed: int) -> tuple[list[list[int]], list[int]]:
    """For each context, the other contexts its replies are tried against, and a derangement (context i
    borrows the real reply of context shift[i] for the floor, whose own context is never among i's others)."""
    if n < 3:
        raise UserError(f"the sense score needs at least 3 held-out contexts, not {n}: raise chat.samples")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    shift = [0] * n
    for k, i in enumerate(order):
        shift[i] = int(order[(k + 1) % n])
    k = min(distractors, n - 2)
    others = [[int(j) for j in rng.choice([j for j in range(n) if j not in (i, shift[i])], k, replace=False)]
              for i in range(n)]
    return others, shift


def wins(own: np.ndarray, against: np.ndarray) -> np.ndarray:
    """Per context: the share of other contexts after which its reply is less likely (ties count half)."""
    return ((own[:, None] > against).mean(1) + (own[:, None] == against).mean(1) / 2)


def sense(judge: "Judge | Associations", samples: list[dict], variants: tuple[str, ...], distractors: int, seed: int) -> dict:
    """Per-context win rates of the real replies, each variant's, and the shuffled real replies (the floor)."""
    from tqdm.auto import tqdm

    n = len(samples)
    others, shift = plan(n, distractors, seed)
    replies = {"real": [s["real"] for s in samples], **{v: [s[v] for s in samples] for v in variants}}
    replies["shuffled"] = [samples[shift[i]]["real"] for i in range(n)]
    encoded = {name: [judge.reply(r) for r in rs] for name, rs in replies.items()}
    # which (set of replies, reply index) each context must score: its own replies and those it is a distractor for
    needed: list[list[tuple[str, int]]] = [[] for _ in range(n)]
    for i in range(n):
        for c in [i, *others[i]]:
            needed[c] += [(name, i) for name in encoded]
    scored: dict[tuple[str, int, int], float] = {}
    for c in tqdm(range(n), desc="sense", unit="context", leave=False):
        context = judge.context(samples[c]["history"], samples[c].get("group"))
        values = judge.loglik(context, [encoded[name][i] for name, i in needed[c]])
        scored.update({(name, i, c): v for (name, i), v in zip(needed[c], values)})
    return {name: wins(np.array([scored[(name, i, i)] for i in range(n)]),
                       np.array([[scored[(name, i, j)] for j in others[i]] for i in range(n)])).tolist()
            for name in encoded}
