"""Fine-tuning: full, LoRA or QLoRA, with the loss on the author's reply tokens only.

Built on transformers' Trainer: gradient accumulation, evaluation on the validation split, checkpoints
and resume, gradient checkpointing, bf16 and DDP under `accelerate launch` come from it. What gemelo adds:
labels that the format stage computed (so padding and template tokens never count, and the end-of-turn
token always does), a loss that computes the language-model head only at those labelled positions
(gemelo.loss), batches grouped by length (padded on a CPU, packed on a GPU, never attending across
examples), LoRA on every linear layer plus the embedding of the separator token (with PEFT's per-step extras
made cheaper, gemelo.kernels; in bf16 its frozen weights stored in bfloat16), and a record of the exact
format used.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

from gemelo import UserError
from gemelo.models import load_base, load_tokenizer, trains_in_bf16
from gemelo.tracking import is_main_process


def collate(batch: list[dict], pad_id: int, packed: bool = False) -> dict:
    """Pad to the longest example in the batch; padding is masked out of attention and labels.

    packed: one row of the examples end to end instead, without padding, positions restarting at each example
    (transformers then builds an attention mask that never crosses examples, or flash-attention runs varlen);
    each example's first label is dropped, since the position before it belongs to the previous example (the
    first label of an example is never scored anyway: nothing predicts it)."""
    import torch

    if packed:
        labels = [-100 if k == 0 else t for b in batch for k, t in enumerate(b["labels"])]
        return {"input_ids": torch.tensor([[t for b in batch for t in b["input_ids"]]]),
                "labels": torch.tensor([labels]),
                "position_ids": torch.cat([torch.arange(len(b["input_ids"])) for b in batch])[None]}
    width = max(len(b["input_ids"]) for b in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, b in enumerate(batch):
        n = len(b["input_ids"])
        ids[i, :n] = torch.tensor(b["input_ids"])
        labels[i, :n] = torch.tensor(b["labels"])
        mask[i, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def packs() -> bool:
    """Whether training batches are packed (collate): on a GPU, where padding is pure waste (not measured in
    this project yet); on a CPU, length-grouped padded batches, which measured faster (their padding is about
    1.5 % of the tokens, and attention over a packed row computes its whole square)."""
    import torch

    return torch.cuda.is_available()


def pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def add_lora(model, mcfg, tokenizer, separator: str):
    """LoRA on the configured modules (all linear layers by default) and the separator's embedding row."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if mcfg.method == "qlora":
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=mcfg.train.gradient_checkpointing)
    targets = mcfg.lora.target_modules
    sep = tokenizer.convert_tokens_to_ids(separator)
    # The separator's row trains in the input embedding, and in the output one where it is not tied
    # (Phi-3): otherwise its logit stays the newline's and the model can never choose between them.
    names = {id(m): n for n, m in model.named_modules()}
    emb, head = model.get_input_embeddings(), model.get_output_embeddings()
    rows = {names[id(emb)]: [sep]}
    if head is not None and head.weight is not emb.weight:
        rows[names[id(head)]] = [sep]
    config = LoraConfig(
        r=mcfg.lora.r, lora_alpha=mcfg.lora.alpha, lora_dropout=mcfg.lora.dropout, task_type="CAUSAL_LM",
        target_modules=targets if isinstance(targets, str) else list(targets), trainable_token_indices=rows,
    )
    model = get_peft_model(model, config)
    faster_adapters(model, trains_in_bf16(mcfg))
    return model


def faster_adapters(model, bf16: bool) -> None:
    """What PEFT does besides the products, made cheaper for the same training (gemelo.kernels): the separator's
    embedding row looked up without a copy of the whole embedding; on a CPU, the LoRA dropout drawing only the
    dropped positions; in bf16 mixed precision, no float32 copy of each layer's input for its adapter (PEFT's
    input cast), since autocast multiplies in bfloat16 anyway."""
    import torch
    from peft.tuners.lora import LoraLayer
    from peft.tuners.trainable_tokens import TrainableTokensLayer

    from gemelo.kernels import Dropout, use_lookup

    for layer in model.modules():
        if isinstance(layer, TrainableTokensLayer):
            use_lookup(layer)
        if not isinstance(layer, LoraLayer):
            continue
        layer.cast_input_dtype_enabled = not bf16
        if not torch.cuda.is_available():
            for name, dropout in layer.lora_dropout.items():
                if isinstance(dropout, torch.nn.Dropout):
                    layer.lora_dropout[name] = Dropout(dropout.p)


COMPLETE = "gemelo-complete"  # written into a checkpoint once the Trainer has finished writing it
EPOCH_RNG = "gemelo-epoch-rng.pt"  # torch's generator as the checkpoint's epoch began (see checkpoints_callback)


def fingerprint(mcfg, data_dir: Path) -> str:
    """What a checkpoint was made from (settings, data, the code that trains and the libraries' versions):
    resuming is only allowed when this matches."""
    import peft
    import torch
    import transformers

    from gemelo import kernels, loss, models
    from gemelo.config import plain

    h = hashlib.sha256(json.dumps(plain(mcfg), sort_keys=True).encode())
    for code in (Path(__file__), Path(models.__file__), Path(loss.__file__), Path(kernels.__file__)):
        h.update(code.read_bytes())
    h.update(f"{torch.__version__} {transformers.__version__} {peft.__version__}".encode())
    for f in sorted(Path(data_dir).rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(data_dir)).encode() + hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:16]


def _step(checkpoint: Path) -> int:
    tail = checkpoint.name.removeprefix("checkpoint-")
    return int(tail) if tail.isdigit() else -1


def prepare_checkpoints(ckpt_dir: Path, print_: str) -> Path | None:
    """The newest complete checkpoint of this same unfinished run to resume from, or None to start afresh.

    Checkpoints of another configuration are removed, and so is a checkpoint the Trainer did not finish
    writing (the stage was stopped meanwhile), with a notice. A finished run leaves no checkpoints (see
    finetune), so it is never resumed.
    """
    stamp = ckpt_dir / "fingerprint"
    same = stamp.exists() and stamp.read_text() == print_
    found = sorted(ckpt_dir.glob("checkpoint-*"), key=_step) if same else []
    complete = [c for c in found if (c / COMPLETE).exists()]
    if is_main_process():
        if not same and ckpt_dir.exists():
            shutil.rmtree(ckpt_dir)
        for c in found:
            if c not in complete:
                print(f"gemelo: removed {c}, a checkpoint the Trainer had not finished writing", file=sys.stderr)
                shutil.rmtree(c)
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        stamp.write_text(print_)
    return complete[-1] if complete else None


def checkpoints_callback(resume: Path | None):
    """Marks each checkpoint complete once the Trainer has written all of it (on_save comes after), and makes
    a run resumed in the middle of an epoch train exactly as an uninterrupted one.

    The length-grouped sampler draws an epoch's order from torch's global generator as the epoch starts, but
    the Trainer puts back a checkpoint's generator only after the resumed epoch's order is drawn: resumed
    mid-epoch, it would see another order. So each checkpoint also keeps the generator as its epoch began,
    and the resumed run's first epoch starts from it.
    """
    import torch
    from transformers import TrainerCallback

    class Checkpoints(TrainerCallback):
        def __init__(self):
            self.resume, self.epoch_rng = resume, None

        def on_epoch_begin(self, args, state, control, **kw):
            if self.resume is not None and (self.resume / EPOCH_RNG).exists():
                torch.set_rng_state(torch.load(self.resume / EPOCH_RNG))
            self.resume, self.epoch_rng = None, torch.get_rng_state()

        def on_save(self, args, state, control, **kw):
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if state.is_world_process_zero and folder.is_dir():
                torch.save(self.epoch_rng, folder / EPOCH_RNG)
                (folder / COMPLETE).touch()

    return Checkpoints()


# Liger's kernels under train.liger; not its fused cross-entropy: gemelo.loss already computes the head only
# where a label is trained, chunked, and never asks the model for a loss.
LIGER = {"rope": True, "rms_norm": True, "swiglu": True, "cross_entropy": False, "fused_linear_cross_entropy": False}


def training_args(mcfg, ckpt_dir: Path, report: bool, evaluate: bool = True):
    import torch
    from transformers import TrainingArguments

    t = mcfg.train
    bf16 = trains_in_bf16(mcfg)  # transformers then wants use_cpu said outright on a CPU
    return TrainingArguments(
        output_dir=str(ckpt_dir), seed=t.seed, data_seed=t.seed,
        learning_rate=t.learning_rate, num_train_epochs=t.epochs, max_steps=t.max_steps,
        per_device_train_batch_size=t.batch_size, per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum, warmup_steps=t.warmup_ratio, weight_decay=t.weight_decay,
        eval_strategy="steps" if evaluate else "no", eval_steps=t.eval_steps,
        save_strategy="steps", save_steps=t.save_steps,
        save_total_limit=2, logging_steps=t.logging_steps, logging_first_step=True,
        gradient_checkpointing=t.gradient_checkpointing, bf16=bf16, use_cpu=bf16 and not torch.cuda.is_available(),
        use_liger_kernel=t.liger and torch.cuda.is_available(), liger_kernel_config=LIGER,
        train_sampling_strategy="group_by_length", length_column_name="length",
        include_num_input_tokens_seen="non_padding", remove_unused_columns=False, prediction_loss_only=True,
        report_to=["mlflow"] if report else [], ddp_find_unused_parameters=False,
    )


def reply_trainer(**kwargs):
    """transformers' Trainer with gemelo's loss (gemelo.loss: the head only where a label is trained), which
    equals the model's own loss in value and gradients."""
    from transformers import Trainer

    from gemelo.loss import nll_sum, output_head, reply_nll

    class ReplyTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            head = output_head(self.accelerator.unwrap_model(model))
            h, targets, _ = reply_nll(model, inputs, head)
            # as transformers' causal-LM loss: the sum over the labelled tokens, divided by their number in the
            # whole accumulated batch when the Trainer counts them (and scaled as it scales the model's loss)
            counted = self.model_accepts_loss_kwargs and num_items_in_batch is not None
            loss = nll_sum(h, targets, head) / (num_items_in_batch if counted else len(targets))
            if counted and self.args.average_tokens_across_devices:
                loss = loss * self.accelerator.num_processes
            return (loss, {"loss": loss}) if return_outputs else loss

    trainer = ReplyTrainer(**kwargs)
    if trainer.args.n_gpu > 1:  # torch.nn.DataParallel: each replica would run the head's pre-hook
        raise UserError("several GPUs in one process: train under `accelerate launch --multi_gpu` (DDP), or pick "
                        "one GPU with CUDA_VISIBLE_DEVICES=0")
    return trainer


def throughput_callback():
    """Logs trained tokens per second (non-padding tokens, all processes) beside the loss."""
    from transformers import TrainerCallback

    class Throughput(TrainerCallback):
        def on_train_begin(self, args, state, control, **kw):
            self.t0, self.tokens0 = time.perf_counter(), state.num_input_tokens_seen

        def on_log(self, args, state, control, logs=None, **kw):
            elapsed = time.perf_counter() - self.t0
            if logs is not None and elapsed > 0:
                logs["tokens_per_s"] = round((state.num_input_tokens_seen - self.tokens0) / elapsed, 2)

    return Throughput()


def finetune(cfg, mcfg, data_dir: Path, out_dir: Path, ckpt_dir: Path, run_id: str | None = None) -> dict:
    """Train one model and save it (adapter or full weights) with its tokenizer and format to out_dir."""
    from datasets import load_from_disk
    from transformers import set_seed

    set_seed(mcfg.train.seed)
    sep = cfg.group.separator
    tokenizer = load_tokenizer(mcfg, sep)
    model = load_base(mcfg, tokenizer, training=True)
    if mcfg.method in ("lora", "qlora"):
        model = add_lora(model, mcfg, tokenizer, sep)
    elif mcfg.method != "full":
        raise UserError(f"model {mcfg.key}: method must be full, lora or qlora, not {mcfg.method!r}")
    if mcfg.train.gradient_checkpointing:
        model.config.use_cache = False
    data = load_from_disk(str(data_dir))
    if "validation" not in data:  # the format stage leaves an empty split out
        print(f"gemelo: {mcfg.key} trains without evaluation: its validation split is empty", file=sys.stderr)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    resume = prepare_checkpoints(ckpt_dir, fingerprint(mcfg, data_dir))
    trainer = reply_trainer(
        model=model, args=training_args(mcfg, ckpt_dir, report=run_id is not None, evaluate="validation" in data),
        train_dataset=data["train"], eval_dataset=data.get("validation"),
        data_collator=lambda b: collate(b, pad_id(tokenizer), packs()),
        callbacks=[throughput_callback(), checkpoints_callback(resume)],
    )
    start = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds = time.perf_counter() - start
    metrics = {
        "train_loss": result.training_loss, "steps": result.global_step, "seconds": round(seconds, 1),
        "tokens_seen": int(trainer.state.num_input_tokens_seen),
        "tokens_per_s": round(trainer.state.num_input_tokens_seen / seconds, 2) if seconds else 0.0,
        "trainable_params": trainable, "resumed": bool(resume),
    }
    if trainer.eval_dataset is not None:  # the last evaluation, unless eval_steps missed the final step
        last = [h for h in trainer.state.log_history if "eval_loss" in h]
        final = last and last[-1]["step"] == result.global_step
        metrics["eval_loss"] = last[-1]["eval_loss"] if final else trainer.evaluate()["eval_loss"]
    if is_main_process():
        save(trainer, tokenizer, cfg, mcfg, out_dir, run_id, metrics)
        shutil.rmtree(ckpt_dir)  # the run is finished: the next run of the stage trains afresh
    return metrics


def save(trainer, tokenizer, cfg, mcfg, out_dir: Path, run_id: str | None, metrics: dict) -> None:
    """The model folder: weights or adapter, tokenizer, and the card that says how to use them."""
    from gemelo.card import ModelCard
    from gemelo.config import authors, plain
    from gemelo.formatting import settings
    from gemelo.pipeline import TMP

    tmp = out_dir.with_name(out_dir.name + TMP)  # written whole, then renamed into place
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        if mcfg.method == "full":
            trainer.save_model(str(tmp))
        else:  # the adapter and the separator's rows only: load_base rebuilds the grown embeddings the same way
            trainer.model.save_pretrained(str(tmp), save_embedding_layers=False)
        tokenizer.save_pretrained(str(tmp))
        ModelCard(model=mcfg.key, config=plain(mcfg), chat_format=settings(cfg, mcfg, authors(cfg)[0]),
                  mlflow_run_id=run_id, train=metrics).write(tmp)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def finetune_stage(cfg, key: str) -> None:
    """The finetune stage: train one model on its formatted data, save it to models/<key>, log to MLflow."""
    from gemelo.config import model_config, own_train_settings
    from gemelo.pipeline import CHECKPOINTS, MODELS, PROCESSED
    from gemelo.tracking import run as tracked

    mcfg = model_config(cfg, key)
    if own := own_train_settings(cfg, key):
        print(f"gemelo: {key} trains with its own settings from conf/model/{key}.yaml: {own}", file=sys.stderr)
    with tracked(cfg, key, "finetune") as active:
        metrics = finetune(cfg, mcfg, PROCESSED / key, MODELS / key, CHECKPOINTS / key,
                           run_id=active.info.run_id if active else None)
        if active:
            import mlflow

            mlflow.log_metrics({f"final_{k}": float(v) for k, v in metrics.items()})
            print(json.dumps(metrics))
