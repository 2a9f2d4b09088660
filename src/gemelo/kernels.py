"""Cheaper equivalents of two things PEFT does in every LoRA training step besides the matrix products.

**Dropout** (on a CPU): the same random drops from a twentieth of the random numbers.

Profiling a LoRA step of the offline default on this project's CPU (2 cores, AMX) put the LoRA dropout at a
fifth of the step in float32 and over a quarter in bfloat16: nn.Dropout draws a random number for every element
of every adapted layer's input (210 inputs a step for SmolLM2), one after another from torch's generator.
With p = 0.05 only one element in twenty is dropped, and the gaps between successive drops of independent
Bernoulli(p) trials are geometric: drawing the gaps gives exactly the same distribution of masks from about p·n
random numbers instead of n.

**The separator's embedding row** (PEFT's trainable tokens): PEFT looks the tokens up in a copy of the whole
embedding matrix with the trained rows written in, made every step, and so its backward pass builds a gradient
for the whole matrix (tens of MB for SmolLM2) to take one row of it. `lookup` reads the frozen matrix and puts
the trained rows in at the tokens that use them.

Only training imports this module, so torch is imported at its top.
"""

from __future__ import annotations

import math
from functools import partial

import torch
import torch.nn.functional as F


def dropped(n: int, p: float, device=None) -> torch.Tensor:
    """The positions in [0, n) that independent Bernoulli(p) trials drop, in increasing order (int64)."""
    draws = int(n * p + 6 * math.sqrt(n * p) + 16)  # enough to pass n but once in about a billion calls
    chunks, last = [], -1
    while last < n:  # not past n yet: draw on from the last drop
        chunks.append(torch.empty(draws, dtype=torch.int64, device=device).geometric_(p).cumsum_(0) + last)
        last = int(chunks[-1][-1])
    pos = torch.cat(chunks) if len(chunks) > 1 else chunks[0]
    return pos[:torch.searchsorted(pos, n)]


class _Dropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, p: float) -> torch.Tensor:
        pos = dropped(x.numel(), p, x.device)
        out = x * (1 / (1 - p))
        out.view(-1)[pos] = 0
        ctx.save_for_backward(pos)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (pos,) = ctx.saved_tensors
        grad = grad * (1 / (1 - ctx.p))
        grad.view(-1)[pos] = 0
        return grad, None


class Dropout(torch.nn.Module):
    """nn.Dropout (each element dropped with probability p, the rest scaled by 1 / (1 - p)), drawing only the
    dropped positions (see the module's docstring); it keeps those positions for the backward pass instead of a
    mask."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _Dropout.apply(x, self.p) if self.training and self.p > 0 else x

    def extra_repr(self) -> str:
        return f"p={self.p}"


def lookup(layer, original, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    """PEFT's TrainableTokensLayer.forward on an embedding (`original`), without the merged copy of its weight:
    the frozen lookup, then each trained token's positions take its trained row."""
    base = layer.base_layer
    if args or kwargs or layer.disable_adapters or layer.merged:
        return original(x, *args, **kwargs)
    out = F.embedding(x, base.weight, base.padding_idx)
    for name in layer.active_adapters:
        for token, row in zip(layer.token_indices[name], layer.trainable_tokens_delta[name]):
            out = torch.where((x == token)[..., None], row.to(out.dtype), out)
    return out


def use_lookup(layer) -> None:
    """Give a TrainableTokensLayer `lookup` as its forward where that is PEFT's result: a plain embedding (no
    max_norm, no scale in its forward as Gemma's has)."""
    base = layer.base_layer
    if type(base) is torch.nn.Embedding and base.max_norm is None and layer._get_embed_scale() is None:
        layer.forward = partial(lookup, layer, layer.forward)
