"""The loss on the author's replies, with the language-model head computed only where a label is trained.

A causal LM's head projects every position onto the whole vocabulary (49,152 entries for SmolLM2), and its
backward pass does that work twice more, but the loss needs the head only at the positions whose next token
is labelled: the author's replies, a minority of each example. So the model runs with its head handed no
positions (a forward pre-hook keeps the head's input, the final hidden states), and the head is applied here
to the labelled positions only, a chunk at a time, with the gradients computed in the same pass (a fused
linear cross-entropy): neither the [batch, length, vocab] logits nor their gradient ever exist.

The separator's trained row (PEFT's trainable tokens, see training.add_lora) enters as one extra column: PEFT
would instead multiply by a merged copy of the whole head weight, whose gradient is a full [vocab, hidden]
matrix product for a single row (tied embeddings) every step.

Only what runs a model (training, scoring) imports this module, so torch is imported at its top.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch

from gemelo import UserError

CHUNK = 1024  # positions per head product: 1024 × 49,152 float32 logits are 200 MB
MODEL_INPUTS = ("input_ids", "attention_mask", "position_ids")  # what collate gives the model (not the labels)
# Config entries of architectures whose logits are not a plain product with the head weight.
LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling")


@dataclass
class Head:
    """The output projection as the loss applies it: logits = hidden @ weight.T, except that the columns of
    `rows` (the separator, under LoRA) come from `values` instead of from `weight`."""

    module: torch.nn.Module  # what the model calls (PEFT's wrapper under LoRA): where the pre-hook goes
    weight: torch.Tensor  # [vocab, hidden]; frozen under LoRA, trained in a full fine-tune
    rows: torch.Tensor | None = None  # token ids
    values: torch.Tensor | None = None  # [len(rows), hidden], trainable

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        out = (h @ self.weight.T).float()
        if self.rows is not None:
            out[:, self.rows] = (h @ self.values.T.to(h.dtype)).float()
        return out


def output_head(model) -> Head:
    """The head of a model (a PEFT model, or a plain transformers one), or a one-line error for heads that are
    not a plain linear projection (the loss would silently differ from the model's own)."""
    module = model.get_output_embeddings()
    config = model.config
    transform = [k for k in LOGIT_TRANSFORMS if getattr(config, k, None) not in (None, 1, 1.0)]
    adapter = getattr(module, "token_adapter", None)  # PEFT's trainable tokens (the separator's row)
    base = adapter.base_layer if adapter is not None else module
    if transform or getattr(base, "bias", None) is not None or getattr(base, "weight", None) is None:
        raise UserError(f"{type(model).__name__}: gemelo's reply-only loss needs a plain linear output head "
                        f"(found {', '.join(transform) or 'a bias or no weight'})")
    if adapter is None:
        return Head(module, base.weight)
    (name,) = adapter.active_adapters
    rows = torch.tensor(adapter.token_indices[name], device=base.weight.device)
    return Head(module, base.weight, rows, adapter.trainable_tokens_delta[name])


@contextmanager
def final_hidden(head: Head):
    """While inside, the model's forward computes no logits (its head receives zero positions) and the final
    hidden states it would have projected are kept in the yielded dict under "h"."""
    kept = {}

    def hook(module, args):
        kept["h"] = args[0]
        return (args[0][..., :0, :], *args[1:])

    handle = head.module.register_forward_pre_hook(hook)
    try:
        yield kept
    finally:
        handle.remove()


def labelled(hidden: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The hidden states that predict a labelled token ([n, hidden]), those tokens, and each one's example."""
    targets = labels[:, 1:]
    keep = targets != -100
    return hidden[:, :-1][keep], targets[keep], keep.nonzero()[:, 0]


def token_nll(h: torch.Tensor, targets: torch.Tensor, head: Head, chunk: int = CHUNK) -> torch.Tensor:
    """Negative log-likelihood (nats, float32) of each target; no gradient."""
    with torch.no_grad():
        out = []
        for i in range(0, len(h), chunk):
            logits = head.logits(h[i:i + chunk])
            out.append(torch.logsumexp(logits, -1) - logits.gather(1, targets[i:i + chunk, None])[:, 0])
        return torch.cat(out) if out else h.new_zeros(0, dtype=torch.float32)


def nll_sum(h: torch.Tensor, targets: torch.Tensor, head: Head, chunk: int = CHUNK) -> torch.Tensor:
    """The summed negative log-likelihood of the targets, differentiable with respect to the hidden states and
    the head's trained tensors (their gradients are computed chunk by chunk in the forward pass)."""
    trained = [t for t in (h, head.weight, head.values) if t is not None and t.requires_grad]
    if not (torch.is_grad_enabled() and trained):
        return token_nll(h, targets, head, chunk).sum()
    values = head.values if head.values is not None else head.weight.detach()[:0]  # autograd wants a tensor
    return FusedNLL.apply(h, targets, head.weight, values, head, chunk)


class FusedNLL(torch.autograd.Function):
    """nll_sum's forward and backward in one pass over the chunks: d(nll)/d(logits) = softmax - one-hot is
    known as soon as a chunk's logits are, so each chunk's logits are dropped before the next one's exist."""

    @staticmethod
    def forward(ctx, h, targets, weight, values, head: Head, chunk: int):
        grad_h = torch.zeros_like(h) if h.requires_grad else None
        grad_w = torch.zeros_like(weight, dtype=torch.float32) if weight.requires_grad else None
        grad_v = torch.zeros_like(values, dtype=torch.float32) if values.requires_grad else None
        # the replaced rows' share in d/dh (in h's dtype: under bf16 the trained rows are float32, h is not)
        swap = (values - weight[head.rows]).to(h.dtype) if head.rows is not None else None
        total = torch.zeros((), dtype=torch.float32, device=h.device)
        for i in range(0, len(h), chunk):
            hc, tc = h[i:i + chunk], targets[i:i + chunk]
            logits = head.logits(hc)
            total += (torch.logsumexp(logits, -1) - logits.gather(1, tc[:, None])[:, 0]).sum()
            d = torch.softmax(logits, -1)
            d[torch.arange(len(tc), device=d.device), tc] -= 1
            if grad_h is not None:
                grad_h[i:i + chunk] = d.to(hc.dtype) @ weight
                if swap is not None:
                    grad_h[i:i + chunk] += d[:, head.rows].to(hc.dtype) @ swap
            if grad_w is not None:
                grad_w += d.T @ hc.float()
            if grad_v is not None:
                grad_v += d[:, head.rows].T @ hc.float()
        ctx.grads = [(t, like.dtype) for t, like in ((grad_h, h), (grad_w, weight), (grad_v, values))]
        return total

    @staticmethod
    def backward(ctx, g):
        grad_h, grad_w, grad_v = (None if t is None else (g * t).to(dt) for t, dt in ctx.grads)
        return grad_h, None, grad_w, grad_v, None, None


def reply_nll(model, inputs: dict, head: Head) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run the model on a collated batch (padded or packed, see training.collate) without its head: the hidden
    states at the labelled positions, their targets, and each one's row, ready for nll_sum or token_nll."""
    with final_hidden(head) as kept:  # no cache: transformers only reads packed positions without one
        model(**{k: inputs[k] for k in MODEL_INPUTS if k in inputs}, use_cache=False)
    return labelled(kept["h"], inputs["labels"])
