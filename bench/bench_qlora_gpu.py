"""QLoRA on CUDA: 4-bit NF4 base + LoRA on every linear layer, for random models of the SmolLM3 and Phi-3
architectures (no download), through gemelo's own loading and training code. Prints real tokens/s and peak
memory of padded (length-grouped) against packed batches, each without and with Liger's kernels (train.liger).

    PYTHONPATH=src python bench/bench_qlora_gpu.py [STEPS]
Needs a CUDA GPU with bitsandbytes; the tokenizer is gemelo's tiny one, so the model sizes are the
architectures' layers at a reduced width and depth, not the real checkpoints.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace as NS

import torch

from gemelo.models import load_base, tiny_tokenizer
from gemelo.training import add_lora, collate, pad_id, reply_trainer, throughput_callback, training_args

SEP = "<|msg_sep|>"
SIZES = dict(hidden_size=1024, intermediate_size=2816, num_hidden_layers=8, num_attention_heads=16,
             num_key_value_heads=4, max_position_embeddings=4096)


def build(arch: str, folder: Path, tokenizer) -> None:
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(arch, vocab_size=len(tokenizer), pad_token_id=0, bos_token_id=1, eos_token_id=2,
                                  tie_word_embeddings=arch != "phi3", **SIZES)
    AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).save_pretrained(folder)


def run(arch: str, steps: int, packed: bool, liger: bool, seq: int = 512, batch: int = 8) -> dict:
    tokenizer = tiny_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": [SEP]}, replace_extra_special_tokens=False)
    with tempfile.TemporaryDirectory() as tmp:
        build(arch, Path(tmp) / "base", tokenizer)
        mcfg = NS(key=arch, source=str(Path(tmp) / "base"), method="qlora", dtype="bfloat16", format="chat",
                  lora=NS(r=16, alpha=32, dropout=0.05, target_modules="all-linear"),
                  train=NS(seed=0, learning_rate=2e-4, epochs=1, max_steps=steps, batch_size=batch, grad_accum=1,
                           warmup_ratio=0.0, weight_decay=0.0, eval_steps=10**6, save_steps=10**6, logging_steps=10,
                           gradient_checkpointing=True, bf16=True, liger=liger))
        model = load_base(mcfg, tokenizer, training=True)
        four_bit = sum(type(m).__name__ == "Linear4bit" for m in model.modules())
        model = add_lora(model, mcfg, tokenizer, SEP)
        wrapped = sorted({n.split(".")[-1] for n, m in model.named_modules() if hasattr(m, "lora_A")})
        g = torch.Generator().manual_seed(0)
        lengths = torch.randint(seq // 4, seq + 1, (batch * steps,), generator=g).tolist()  # as chats vary
        data = [{"input_ids": (ids := torch.randint(3, len(tokenizer), (n,), generator=g).tolist()),
                 "labels": [-100] * (n // 2) + ids[n // 2:], "length": n} for n in lengths]
        args = training_args(mcfg, Path(tmp) / "ckpt", report=False)
        args.eval_strategy, args.save_strategy = "no", "no"
        trainer = reply_trainer(model=model, args=args, train_dataset=data, callbacks=[throughput_callback()],
                                data_collator=lambda b: collate(b, pad_id(tokenizer), packed))
        torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        trainer.train()
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    return {"arch": arch, "packed": packed, "liger": liger, "linear4bit_layers": four_bit, "lora_on": wrapped,
            "steps": steps, "tokens_per_s": round(trainer.state.num_input_tokens_seen / seconds), "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
            "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad), "final_loss": trainer.state.log_history[-2].get("loss")}


if __name__ == "__main__":
    assert torch.cuda.is_available(), "QLoRA needs a CUDA GPU"
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    print(torch.cuda.get_device_name(), "torch", torch.__version__)
    for arch in ("smollm3", "phi3"):
        for packed in (False, True):
            for liger in (False, True):
                print(run(arch, steps, packed, liger), flush=True)
