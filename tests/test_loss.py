"""The reply-only loss (gemelo.loss) against the model's own loss: same value, same gradients.

On the tiny random Llama (tied head) in a full fine-tune and under LoRA with the separator's trainable row, and
on the named models' real architectures cut to two narrow layers (tests/_real_models.model_folder): Phi-3's
untied head, SmolLM3's tied 128k vocabulary and GPT-2's Conv1D blocks. Small chunks exercise the chunking.
"""

from __future__ import annotations

from functools import lru_cache

import pytest
import torch
from _tiny import SEP, gemelo_cache, tiny_mcfg, tiny_project, tokenizer_with_separator  # noqa: F401

from gemelo import UserError
from gemelo.loss import nll_sum, output_head, reply_nll, token_nll
from gemelo.training import collate

REAL = ("phi3_mini", "smollm3_3b", "gpt2_spanish")


def _rows(vocab: int, sep: int, seed: int = 0) -> list[dict]:
    """Three examples of different lengths (so padding) with labels on a few spans, the separator among them."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for n in (23, 9, 17):
        ids = torch.randint(3, vocab - 1, (n,), generator=g)
        ids[n // 2] = sep
        labels = torch.where(torch.rand(n, generator=g) < 0.5, ids, torch.full_like(ids, -100))
        labels[n // 2] = sep
        rows.append({"input_ids": ids.tolist(), "labels": labels.tolist()})
    return rows


def _batch(vocab: int, sep: int, seed: int = 0) -> dict:
    return collate(_rows(vocab, sep, seed), pad_id=0)


def _reference(model, batch) -> tuple[torch.Tensor, dict]:
    """What transformers computes today: the model's own loss (logits at every position) and its gradients."""
    model.zero_grad()
    loss = model(**batch).loss
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


def _ours(model, batch, chunk: int) -> tuple[torch.Tensor, dict]:
    model.zero_grad()
    head = output_head(model)
    h, targets, _ = reply_nll(model, batch, head)
    loss = nll_sum(h, targets, head, chunk) / len(targets)
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


def _assert_same(model, batch, chunk: int = 5) -> None:
    ref_loss, ref = _reference(model, batch)
    loss, grads = _ours(model, batch, chunk)
    torch.testing.assert_close(loss, ref_loss, rtol=1e-5, atol=1e-6)
    assert grads.keys() == ref.keys() and ref
    for name in ref:
        torch.testing.assert_close(grads[name], ref[name], rtol=1e-4, atol=1e-6, msg=name)


def _tiny(method: str):
    from gemelo.models import load_base
    from gemelo.training import add_lora

    mcfg = tiny_mcfg(method=method)
    tok = tokenizer_with_separator()
    torch.manual_seed(0)
    model = load_base(mcfg, tok, training=True)
    if method == "lora":
        model = add_lora(model, mcfg, tok, SEP)
        with torch.no_grad():  # LoRA's B starts at zero: make every adapter matter
            for n, p in model.named_parameters():
                if p.requires_grad:
                    p.add_(0.05 * torch.randn_like(p))
    return model, tok


@pytest.mark.parametrize("method", ["full", "lora"])
def test_same_loss_and_gradients_as_the_model_on_the_tiny_llama(method):
    model, tok = _tiny(method)
    assert model.config.tie_word_embeddings
    _assert_same(model, _batch(len(tok), tok.convert_tokens_to_ids(SEP)))


@lru_cache(maxsize=None)
def _real_folder(key: str, root: str) -> str:
    from _real_models import model_folder

    from pathlib import Path

    return str(model_folder(key, Path(root) / key))


@pytest.mark.parametrize("key", REAL)
def test_same_loss_and_gradients_on_the_real_architectures_under_lora(key, tmp_path_factory):
    from _real_models import tokenizer

    from gemelo.config import Params
    from gemelo.models import load_base
    from gemelo.training import add_lora

    folder = _real_folder(key, str(tmp_path_factory.getbasetemp()))
    mcfg = tiny_mcfg(method="lora")
    mcfg = Params({**dict(mcfg), "source": folder, "key": key})
    tok = tokenizer(key)
    tok.add_special_tokens({"additional_special_tokens": [SEP]}, replace_extra_special_tokens=False)
    torch.manual_seed(0)
    model = add_lora(load_base(mcfg, tok, training=True), mcfg, tok, SEP)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn_like(p))
    head = output_head(model)
    assert head.rows is not None and head.values.requires_grad and not head.weight.requires_grad
    _assert_same(model, _batch(len(tok), tok.convert_tokens_to_ids(SEP)), chunk=7)
    _assert_packed_same(model, _rows(len(tok), tok.convert_tokens_to_ids(SEP)))


def _assert_packed_same(model, rows) -> None:
    """Packed (one row, positions restarting) gives the padded batch's loss and gradients: no attention, and
    no label, crosses from one example to the next."""
    loss, grads = _ours(model, collate(rows, pad_id=0), chunk=1024)
    packed = collate(rows, pad_id=0, packed=True)
    assert packed["input_ids"].shape == (1, sum(len(r["input_ids"]) for r in rows))
    packed_loss, packed_grads = _ours(model, packed, chunk=1024)
    torch.testing.assert_close(packed_loss, loss, rtol=1e-5, atol=1e-6)
    for name in grads:
        torch.testing.assert_close(packed_grads[name], grads[name], rtol=1e-4, atol=1e-6, msg=name)


def test_packed_rows_train_as_padded_batches_on_the_tiny_llama():
    model, tok = _tiny("lora")
    _assert_packed_same(model, _rows(len(tok), tok.convert_tokens_to_ids(SEP)))


def test_token_nll_is_the_per_position_loss_without_gradients():
    model, tok = _tiny("lora")
    batch = _batch(len(tok), tok.convert_tokens_to_ids(SEP))
    head = output_head(model)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        h, targets, example = reply_nll(model, batch, head)
        per_token = token_nll(h, targets, head, chunk=4)
        assert nll_sum(h, targets, head, chunk=4) == pytest.approx(per_token.sum().item(), rel=1e-6)
    labels = batch["labels"][:, 1:]
    full = torch.nn.functional.cross_entropy(logits[:, :-1].float().transpose(1, 2), labels.clamp(min=0),
                                             reduction="none")
    expected = (full * (labels != -100)).sum(1)
    torch.testing.assert_close(torch.zeros(3).index_add_(0, example, per_token), expected, rtol=1e-5, atol=1e-5)
    assert not per_token.requires_grad


def test_the_head_gets_no_positions_while_the_loss_runs():
    """The point of the exercise: no logits over the vocabulary at every position."""
    model, tok = _tiny("lora")
    seen = []
    handle = model.get_output_embeddings().register_forward_hook(lambda m, a, out: seen.append(out.shape))
    h, targets, _ = reply_nll(model, _batch(len(tok), tok.convert_tokens_to_ids(SEP)), output_head(model))
    handle.remove()
    assert seen == [(3, 0, len(tok))] and h.shape == (len(targets), model.config.hidden_size)


def test_a_head_with_softcapped_logits_is_refused_in_one_line():
    model, _ = _tiny("full")
    model.config.final_logit_softcapping = 30.0
    with pytest.raises(UserError, match="plain linear output head .*final_logit_softcapping"):
        output_head(model)


def test_the_trainer_with_this_loss_takes_the_same_steps_as_transformers_own(tmp_path, tiny_project):
    """Gradient accumulation over batches with different numbers of labelled tokens: the loss must be scaled
    as transformers scales the model's own (by the labelled tokens of the whole accumulated batch)."""
    from datasets import load_from_disk
    from transformers import Trainer

    from gemelo.training import pad_id, reply_trainer, training_args

    data = load_from_disk(str(tiny_project / "data/processed/tiny"))
    mcfg = tiny_mcfg(["model.tiny.train.max_steps=2", "model.tiny.train.grad_accum=2",
                      "model.tiny.train.batch_size=2"], method="lora")
    weights = []
    for make in (Trainer, reply_trainer):
        model, tok = _tiny("lora")
        args = training_args(mcfg, tmp_path / make.__name__, report=False, evaluate=False)
        args.save_strategy, args.optim, args.max_grad_norm = "no", "sgd", 0.0  # the loss's scale shows in SGD steps
        make(model=model, args=args, train_dataset=data["train"],
             data_collator=lambda b: collate(b, pad_id(tok))).train()
        weights.append({n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad})
    for name, value in weights[0].items():
        torch.testing.assert_close(weights[1][name], value, rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="Liger's kernels are Triton kernels: CUDA only")
def test_liger_kernels_leave_the_loss_and_gradients_as_they_were():
    """train.liger (the GPU models' setting) patches RMSNorm, SwiGLU and RoPE as the Trainer does."""
    from transformers.integrations.liger import apply_liger_kernel

    from gemelo.training import LIGER

    model, tok = _tiny("lora")
    model.cuda()
    batch = {k: v.cuda() for k, v in _batch(len(tok), tok.convert_tokens_to_ids(SEP)).items()}
    loss, grads = _ours(model, batch, chunk=1024)
    apply_liger_kernel(model, LIGER)
    liger_loss, liger_grads = _ours(model, batch, chunk=1024)
    torch.testing.assert_close(liger_loss, loss, rtol=1e-4, atol=1e-5)
    for name in grads:
        torch.testing.assert_close(liger_grads[name], grads[name], rtol=1e-3, atol=1e-5, msg=name)
