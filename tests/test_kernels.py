"""gemelo.kernels and the bf16 training path: the same training as PEFT's, made cheaper.

The dropout draws only the dropped positions (geometric gaps): each element must still be dropped independently
with probability p, the rest scaled by 1 / (1 - p), and the gradient must follow the same mask. The separator's
row looked up without PEFT's merged copy of the embedding must give PEFT's output and gradient. In bf16 on a CPU
that computes in it, LoRA's frozen weights are bfloat16 and the trained tensors float32.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from _tiny import SEP, tiny_mcfg, tokenizer_with_separator

from gemelo.kernels import Dropout, dropped
from gemelo.models import bf16_supported, load_base, trains_in_bf16
from gemelo.training import add_lora, collate


def test_dropout_drops_a_share_p_scales_the_rest_and_its_gradient_follows_the_mask():
    torch.manual_seed(0)
    drop = Dropout(0.05)
    x = torch.rand(1000, 1000, requires_grad=True)
    y = drop(x)
    y.backward(torch.ones_like(y))
    zero = y == 0
    assert abs(zero.float().mean().item() - 0.05) < 5 * (0.05 * 0.95 / x.numel()) ** 0.5
    torch.testing.assert_close(y[~zero], x[~zero] / 0.95)
    assert torch.equal(x.grad, (~zero).float() / 0.95)
    assert drop.eval()(x) is x


def test_dropped_positions_are_independent_trials_of_probability_p():
    """Every mask of 4 elements appears as often as independent Bernoulli(0.3) trials make it (chi-square)."""
    torch.manual_seed(1)
    n, p, calls = 4, 0.3, 20000
    counts = dict.fromkeys(itertools.product((0, 1), repeat=n), 0)
    for _ in range(calls):
        pos = dropped(n, p).tolist()
        counts[tuple(int(i in pos) for i in range(n))] += 1
    expected = {m: calls * p ** sum(m) * (1 - p) ** (n - sum(m)) for m in counts}
    chi2 = sum((counts[m] - e) ** 2 / e for m, e in expected.items())
    assert chi2 < 37.7  # 15 degrees of freedom, p-value 0.001


def test_dropped_positions_are_sorted_distinct_and_reproducible():
    torch.manual_seed(2)
    a = dropped(100_000, 0.05)
    torch.manual_seed(2)
    assert torch.equal(a, dropped(100_000, 0.05))
    assert (a.diff() > 0).all() and 0 <= a[0] and a[-1] < 100_000


def _tiny_lora(*overrides: str):
    tok = tokenizer_with_separator()
    mcfg = tiny_mcfg(list(overrides), method="lora")
    torch.manual_seed(0)
    return add_lora(load_base(mcfg, tok, training=True), mcfg, tok, SEP), tok, mcfg


def test_the_separator_row_is_looked_up_as_peft_does_it():
    from peft.tuners.trainable_tokens import TrainableTokensLayer

    model, tok, _ = _tiny_lora()
    layer = model.get_input_embeddings()
    layer = getattr(layer, "token_adapter", layer)
    assert isinstance(layer, TrainableTokensLayer) and "lookup" in repr(layer.forward)  # gemelo's is in place
    (delta,) = layer.trainable_tokens_delta.values()
    with torch.no_grad():
        delta.add_(torch.randn_like(delta))  # a row unlike the newline's it started from
    sep = tok.convert_tokens_to_ids(SEP)
    ids = torch.tensor([[5, sep, 7, sep], [sep, 3, 3, 2]])
    weights = torch.randn(2, 4, delta.shape[1])
    results = []
    for forward in (layer.forward, lambda x: type(layer).forward(layer, x)):  # gemelo's, PEFT's own
        delta.grad = None
        out = forward(ids)
        (out * weights).sum().backward()
        results.append((out.detach(), delta.grad.clone()))
    (ours, our_grad), (peft, peft_grad) = results
    torch.testing.assert_close(ours, peft, rtol=0, atol=0)
    torch.testing.assert_close(our_grad, peft_grad)
    assert our_grad.abs().sum() > 0


def test_a_full_fine_tune_on_a_cpu_and_the_tiny_model_train_in_float32():
    assert not trains_in_bf16(tiny_mcfg(method="lora"))  # conf/model/tiny.yaml: the tests' figures everywhere
    if not torch.cuda.is_available():
        assert not trains_in_bf16(tiny_mcfg(["model.tiny.train.bf16=true"], method="full"))


@pytest.mark.skipif(torch.cuda.is_available() or not bf16_supported(), reason="needs a CPU that computes in bf16")
def test_lora_in_bf16_on_a_cpu_keeps_frozen_weights_bf16_and_trains_float32_tensors():
    from peft.tuners.lora import LoraLayer

    from gemelo.loss import nll_sum, output_head, reply_nll

    model, tok, mcfg = _tiny_lora("model.tiny.train.bf16=true")
    assert trains_in_bf16(mcfg) and model.config._attn_implementation == "eager"
    frozen = {p.dtype for p in model.parameters() if not p.requires_grad}
    trained = {p.dtype for p in model.parameters() if p.requires_grad}
    assert frozen == {torch.bfloat16} and trained == {torch.float32}
    layers = [m for m in model.modules() if isinstance(m, LoraLayer)]
    assert layers and not any(m.cast_input_dtype_enabled for m in layers)
    float32, _, _ = _tiny_lora()
    float32.load_state_dict({k: v.float() for k, v in model.state_dict().items()})
    sep = tok.convert_tokens_to_ids(SEP)
    rows = [{"input_ids": [1, 5, sep, 9, 2, 7], "labels": [-100, -100, sep, 9, 2, 7]},
            {"input_ids": [1, 4, 4, 8], "labels": [-100, -100, 4, 8]}]
    losses = []
    for m, bf16 in ((model, True), (float32, False)):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            head = output_head(m)
            h, targets, _ = reply_nll(m, collate(rows, pad_id=0), head)
            loss = nll_sum(h, targets, head) / len(targets)
        loss.backward()
        losses.append(loss.item())
    torch.testing.assert_close(losses[0], losses[1], rtol=0.02, atol=0)
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and g.dtype == torch.float32 and g.isfinite().all() for g in grads)
