"""Training throughput and padding share for a model (default: the offline default, smollm2_135m).

Run from the project root after the format stage (`dvc repro format`):
    python bench/bench_train.py [MODEL] [STEPS]
Prints the share of non-padding tokens in the batches the trainer builds (length-grouped sampling,
a whole epoch) and the tokens per second of a few real optimisation steps on this machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from gemelo.config import load, model_config
from gemelo.pipeline import PROCESSED


def main(key: str = "smollm2_135m", steps: int = 5) -> None:
    import torch
    from datasets import load_from_disk
    from transformers import Trainer, set_seed

    from gemelo.models import load_base, load_tokenizer
    from gemelo.training import add_lora, collate, pad_id, throughput_callback, training_args

    cfg = load()
    mcfg = model_config(cfg, key)
    set_seed(mcfg.train.seed)
    data = load_from_disk(str(PROCESSED / key))["train"]
    tokenizer = load_tokenizer(mcfg, cfg.group.separator)
    model = load_base(mcfg, tokenizer, training=True)
    if mcfg.method != "full":
        model = add_lora(model, mcfg, tokenizer, cfg.group.separator)
    mcfg.train.max_steps = steps
    with tempfile.TemporaryDirectory() as tmp:
        args = training_args(mcfg, Path(tmp), report=False)
        args.eval_strategy, args.save_strategy = "no", "no"
        trainer = Trainer(model=model, args=args, train_dataset=data, callbacks=[throughput_callback()],
                          data_collator=lambda b: collate(b, pad_id(tokenizer)))
        real = padded = 0
        for batch in trainer.get_train_dataloader():
            real += int(batch["attention_mask"].sum())
            padded += batch["attention_mask"].numel()
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    tokens = trainer.state.num_input_tokens_seen
    print(f"model {key} ({mcfg.method}), batch {mcfg.train.batch_size}×{mcfg.train.grad_accum}, "
          f"torch threads {torch.get_num_threads()}")
    print(f"non-padding share of batch tokens (one epoch, length-grouped): {real / padded:.1%}")
    print(f"training: {steps} steps, {tokens} tokens in {seconds:.1f} s = {tokens / seconds:.0f} tokens/s")


if __name__ == "__main__":
    main(*(sys.argv[1:2] or ["smollm2_135m"]), *[int(a) for a in sys.argv[2:3]])
