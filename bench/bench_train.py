"""Training throughput and padding share for a model (default: the offline default, smollm2_135m).

Run from the project root after the format stage (`dvc repro format`):
    python bench/bench_train.py [MODEL] [STEPS] [--bf16] [--packed] [--dense] [--ppl] [--json FILE] [--save DIR]
Prints the share of non-padding tokens in the batches the trainer builds (length-grouped sampling,
a whole epoch) and the tokens per second of a few real optimisation steps on this machine; with --ppl,
the held-out perplexity of the trained model (the perplexity stage's figure); with --bf16, the steps run
in bf16 mixed precision (train.bf16, where the processor supports it), otherwise in float32; --packed trains
on packed rows instead of padded length-grouped batches (training.collate; the default on a GPU); --dense
trains with transformers' own loss (logits at every position, PEFT's merged head for the separator's row:
gemelo before gemelo.loss); --json also writes the figures to FILE, --save the trained adapter (or weights)
to DIR.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from gemelo.config import load, model_config
from gemelo.pipeline import PROCESSED


def main(key: str = "smollm2_135m", steps: int = 5, bf16: bool = False, packed: bool = False, dense: bool = False,
         ppl: bool = False, save: Path | None = None) -> dict:
    import torch
    from datasets import load_from_disk
    from transformers import Trainer, set_seed

    from gemelo.evaluation import evaluate
    from gemelo.models import bf16_supported, load_base, load_tokenizer
    from gemelo.training import add_lora, collate, pad_id, reply_trainer, throughput_callback, training_args

    cfg = load()
    mcfg = model_config(cfg, key)
    set_seed(mcfg.train.seed)
    data = load_from_disk(str(PROCESSED / key))
    tokenizer = load_tokenizer(mcfg, cfg.group.separator)
    mcfg.train.max_steps, mcfg.train.bf16 = steps, bf16
    if bf16 and not bf16_supported():
        raise SystemExit("bench_train: this processor has no bf16 support")
    model = load_base(mcfg, tokenizer, training=True)
    if mcfg.method != "full":
        model = add_lora(model, mcfg, tokenizer, cfg.group.separator)
    with tempfile.TemporaryDirectory() as tmp:
        args = training_args(mcfg, Path(tmp), report=False)
        args.eval_strategy, args.save_strategy = "no", "no"
        trainer = (Trainer if dense else reply_trainer)(
            model=model, args=args, train_dataset=data["train"], callbacks=[throughput_callback()],
            data_collator=lambda b: collate(b, pad_id(tokenizer), packed))
        real = padded = 0
        for batch in trainer.get_train_dataloader():
            real += int(batch["attention_mask"].sum()) if not packed else batch["input_ids"].numel()
            padded += batch["input_ids"].numel()
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    tokens = trainer.state.num_input_tokens_seen
    out = {"model": key, "steps": steps, "bf16": bf16, "packed": packed, "dense": dense, "tokens": int(tokens),
           "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds, 1), "real_share": round(real / padded, 4)}
    print(f"model {key} ({mcfg.method}), batch {mcfg.train.batch_size}×{mcfg.train.grad_accum}, "
          f"torch threads {torch.get_num_threads()}{', bf16' if bf16 else ', float32'}")
    print(f"non-padding share of batch tokens (one epoch, length-grouped): {real / padded:.1%}")
    print(f"training: {steps} steps, {tokens} tokens in {seconds:.1f} s = {tokens / seconds:.0f} tokens/s")
    folder = save or (Path(tempfile.mkdtemp()) if ppl else None)
    if folder:
        trainer.model.save_pretrained(str(folder), save_embedding_layers=False)
    if ppl:  # as the perplexity stage scores it: the adapter on the base in its configured dtype (not bf16)
        if mcfg.method != "full":
            import gc

            from peft import PeftModel

            del model, trainer  # the peak memory printed is training's, not two models'
            gc.collect()
            model = PeftModel.from_pretrained(load_base(mcfg, tokenizer), str(folder))
        out["test_ppl"] = evaluate(model.eval(), data["test"], cfg.evaluate.batch_size, 1, cfg.train.seed)["ppl"]
        print(f"held-out perplexity after {steps} steps: {out['test_ppl']:.3f}")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="smollm2_135m")
    parser.add_argument("steps", nargs="?", type=int, default=5)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--packed", action="store_true")
    parser.add_argument("--dense", action="store_true")
    parser.add_argument("--ppl", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--save", type=Path)
    a = parser.parse_args()
    result = main(a.model, a.steps, a.bf16, a.packed, a.dense, a.ppl, a.save)
    if a.json:
        a.json.write_text(json.dumps(result))
