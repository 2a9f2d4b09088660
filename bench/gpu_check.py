"""GPU check of gemelo's own code paths (no download): for full, LoRA and QLoRA on a tiny model, train a
few steps, save the model folder, load it back as the chat and perplexity stages do, score, and chat.

    PYTHONPATH=src python bench/gpu_check.py
Prints, per method, where the weights live, how many layers are 4-bit, and a reply; exits non-zero on a
failed check.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import torch

from gemelo.chat import Sampling, Twin
from gemelo.card import ModelCard
from gemelo.config import Params, plain
from gemelo.evaluation import score
from gemelo.formatting import ChatFormat
from gemelo.models import load_base, load_tokenizer, load_trained
from gemelo.training import add_lora, collate, packs, pad_id, reply_trainer, training_args

SEP = "<|msg_sep|>"
CONV = {"group": False, "turns": [{"author": "Flor", "text": "¿Vamos al cine?"},
                                  {"author": "Martu", "text": f"siii{SEP}re va 😂"},
                                  {"author": "Flor", "text": "Dale."}, {"author": "Martu", "text": "nos vemos"}]}


def check(method: str, tmp: Path) -> dict:
    mcfg = Params({"key": "tiny", "source": "tiny:llama", "format": "chat", "method": method,
                   "dtype": "bfloat16", "max_length": 128,
                   "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": "all-linear"},
                   "train": {"seed": 0, "learning_rate": 1e-3, "epochs": 1, "max_steps": 4, "batch_size": 4,
                             "grad_accum": 1, "warmup_ratio": 0.0, "weight_decay": 0.0, "eval_steps": 100,
                             "save_steps": 100, "logging_steps": 2, "gradient_checkpointing": method == "qlora",
                             "bf16": True, "liger": True}})
    tokenizer = load_tokenizer(mcfg, SEP)
    chat_format = {"kind": "chat", "author": "Martu", "system_prompt": "Sos {author}.", "separator": SEP}
    fmt = ChatFormat(tokenizer, **chat_format)
    data = [e for i in range(16) for e in fmt.examples(CONV, i, mcfg.max_length)]
    model = load_base(mcfg, tokenizer, training=True)
    if method != "full":
        model = add_lora(model, mcfg, tokenizer, SEP)
    args = training_args(mcfg, tmp / "ckpt", report=False)
    args.eval_strategy, args.save_strategy = "no", "no"
    trainer = reply_trainer(model=model, args=args, train_dataset=data,
                            data_collator=lambda b: collate(b, pad_id(tokenizer), packs()))
    trainer.train()
    folder = tmp / f"model-{method}"
    trainer.save_model(str(folder))
    tokenizer.save_pretrained(str(folder))
    ModelCard("tiny", plain(mcfg), chat_format).write(folder)
    del model, trainer
    loaded, tok, card = load_trained(folder)
    nll, n = score(loaded, data[:8], batch_size=4)
    twin = Twin(loaded, tok, card)
    reply = twin.reply([{"role": "user", "content": "¿Vamos?"}], Sampling(max_new_tokens=8))
    devices = {str(p.device) for p in loaded.parameters()}
    four_bit = sum(type(m).__name__ == "Linear4bit" for m in loaded.modules())
    return {"method": method, "devices": sorted(devices), "linear4bit": four_bit, "ppl": round(float(torch.exp(torch.tensor(nll.sum() / n.sum()))), 2),
            "reply": reply}


if __name__ == "__main__":
    assert torch.cuda.is_available(), "run this where CUDA is"
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("GEMELO_CACHE", tmp + "/cache")
        for method in ("full", "lora", "qlora"):
            r = check(method, Path(tmp))
            good = r["devices"] == ["cuda:0"] and (r["linear4bit"] > 0) == (method == "qlora")
            ok &= good
            print(("OK  " if good else "FAIL"), r, flush=True)
    sys.exit(0 if ok else 1)
