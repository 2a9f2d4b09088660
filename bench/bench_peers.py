"""gemelo's trainer against LLaMA-Factory's LoRA SFT: same model, data and LoRA settings, in one run.

`make bench-peers` (after `make demo`, or at least `dvc repro format`) installs LLaMA-Factory in its own
virtual environment (bench/.venv-peers) and runs this script with gemelo's, from the project root:
    python bench/bench_peers.py [--steps 50] [--runs 2] [--precision fp32|bf16]

1. The processor's matmul peak (fp32, and bf16 where the processor has it), measured with torch.
2. gemelo's formatted train split in LLaMA-Factory's sharegpt form, with the same system prompt: each example's
   text is its turns as gemelo rendered them (bench/out/peers/data/). LLaMA-Factory wants a user turn first and
   turns that alternate, so an example that opens with the author's reply gets an empty user turn before it,
   and consecutive turns of one role are joined by a newline; the separator, a token LLaMA-Factory's
   tokenizer lacks, is the newline it starts as (models.load_base).
3. For each precision (fp32; bf16 where supported), `--runs` runs of each trainer, alternating, every one in
   its own process: gemelo's bench/bench_train.py and LLaMA-Factory with bench/peers/llamafactory.yaml and
   its best speed options (group_by_length; in bf16 on a CPU, eager attention, as gemelo). Each run's real
   (non-padding) tokens per second over its training loop, its peak resident memory, and its share of the
   matmul peak at the nominal FLOPs per token.
4. gemelo's held-out perplexity after the steps (the perplexity stage's figure) for each run, and the
   perplexity stage's scoring, today's dense logits against the head only where scored, on the base and the
   first fp32 run's model: the same figures, and the time each took.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

OUT = Path("bench/out/peers")
PEERS = Path(__file__).parent / "peers"
LLAMAFACTORY = Path(__file__).parent / ".venv-peers" / "bin" / "llamafactory-cli"
KEY = "smollm2_135m"
TURN = re.compile(r"<\|im_start\|>(\w+)\n(.*?)(?:<\|im_end\|>\n?|$)", re.S)


def matmul_peak(dtype, n: int = 2048, reps: int = 10) -> float:
    """GFLOP/s of the fastest of `reps` n×n matrix products, on every thread torch uses."""
    import torch

    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def flops_per_token(config, r: int, mean_length: float) -> float:
    """Nominal training FLOPs per token of LoRA on every linear layer, the same for both trainers: forward and
    input gradient through every frozen weight, the head included (4 per weight), forward and both gradients
    through the LoRA matrices (6 per parameter), and attention over the mean causal context (forward and
    backward: 3 × 4 × hidden × context per layer)."""
    h, layers = config.hidden_size, config.num_hidden_layers
    kv = config.num_key_value_heads * h // config.num_attention_heads
    shapes = [(h, h), (h, kv), (h, kv), (h, h)] + [(h, config.intermediate_size)] * 3
    frozen = layers * sum(a * b for a, b in shapes) + config.vocab_size * h
    lora = layers * sum(r * (a + b) for a, b in shapes)
    attention = layers * 3 * 4 * h * mean_length / 2
    return 4 * frozen + 6 * lora + attention


def sharegpt(tokenizer, rows, separator: str) -> list[dict]:
    """The examples as sharegpt conversations (see the module's docstring for the three adjustments)."""
    out = []
    for row in rows:
        turns = [(m.group(1), m.group(2)) for m in TURN.finditer(tokenizer.decode(row["input_ids"]))]
        system = turns.pop(0)[1] if turns and turns[0][0] == "system" else ""
        if turns and turns[0][0] == "assistant":
            turns.insert(0, ("user", ""))
        merged: list[list[str]] = []
        for role, text in turns:
            if merged and merged[-1][0] == role:
                merged[-1][1] += "\n" + text
            else:
                merged.append([role, text])
        if merged and merged[-1][0] == "user":  # a window cut after a user turn: nothing to learn at its end
            merged.pop()
        conv = [{"from": "human" if role == "user" else "gpt", "value": text.replace(separator, "\n")}
                for role, text in merged]
        if conv:
            out.append({"conversations": conv, "system": system})
    return out


def write_peer_data(cfg, mcfg) -> Path:
    from datasets import load_from_disk

    from gemelo.models import load_tokenizer
    from gemelo.pipeline import PROCESSED

    folder = OUT / "data"
    folder.mkdir(parents=True, exist_ok=True)
    rows = load_from_disk(str(PROCESSED / KEY))["train"]
    data = sharegpt(load_tokenizer(mcfg, cfg.group.separator), rows, cfg.group.separator)
    (folder / "gemelo_train.json").write_text(json.dumps(data, ensure_ascii=False))
    info = {"gemelo_train": {"file_name": "gemelo_train.json", "formatting": "sharegpt",
                             "columns": {"messages": "conversations", "system": "system"}}}
    (folder / "dataset_info.json").write_text(json.dumps(info))
    print(f"sharegpt data: {len(data)} of {len(rows)} examples")
    return folder


def timed(cmd: list[str], log: Path, env: dict | None = None) -> float:
    """Run a command under /usr/bin/time; its peak resident memory in MiB (the command must succeed)."""
    peak = log.with_suffix(".peak")
    with log.open("w") as f:
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(peak), *cmd], stdout=f, stderr=subprocess.STDOUT,
                              env={**os.environ, **(env or {})})
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}; see {log}")
    return int(peak.read_text().split()[-1]) / 1024


def gemelo_run(name: str, steps: int, bf16: bool, save: bool) -> dict:
    result = OUT / f"{name}.json"
    cmd = [sys.executable, "bench/bench_train.py", KEY, str(steps), "--ppl", "--json", str(result)]
    cmd += ["--bf16"] * bf16 + ["--save", str(OUT / "adapter")] * save
    peak = timed(cmd, OUT / f"{name}.log")
    r = json.loads(result.read_text())
    return {"tokens_per_s": r["tokens_per_s"], "peak_mib": peak, "ppl": r["test_ppl"], "real_share": r["real_share"]}


def llamafactory_run(name: str, steps: int, bf16: bool, model_dir: str, data_dir: Path) -> dict:
    import torch
    import yaml

    config = yaml.safe_load((PEERS / "llamafactory.yaml").read_text())
    out = OUT / name
    config.update(model_name_or_path=model_dir, dataset_dir=str(data_dir), output_dir=str(out), max_steps=steps,
                  bf16=bf16, use_cpu=not torch.cuda.is_available())
    if bf16 and not torch.cuda.is_available():  # eager attention, as gemelo's in bf16 on a CPU (models.load_base):
        config["flash_attn"] = "disabled"  # faster for LLaMA-Factory there too (211.8 against SDPA's 200.8 tokens/s)
    path = OUT / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    peak = timed([str(LLAMAFACTORY), "train", str(path)], OUT / f"{name}.log", env={"DISABLE_VERSION_CHECK": "1"})
    state = json.loads((out / "trainer_state.json").read_text())
    runtime = json.loads((out / "train_results.json").read_text())["train_runtime"]
    return {"tokens_per_s": round(state["num_input_tokens_seen"] / runtime, 1), "peak_mib": peak}


def dense_score(model, dataset, batch_size: int = 8):
    """The perplexity stage's scoring before gemelo.loss (copied from evaluation.score): logits at every position."""
    import numpy as np
    import torch

    from gemelo.training import collate

    nll, count = [], []
    model.eval()
    for i in range(0, len(dataset), batch_size):
        batch = collate([dataset[j] for j in range(i, min(i + batch_size, len(dataset)))], pad_id=0)
        with torch.no_grad():
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        logits, labels = logits[:, :-1].float(), batch["labels"][:, 1:]
        mask = labels != -100
        logp = torch.log_softmax(logits, dim=-1)
        token_nll = -logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1) * mask
        nll.extend(token_nll.sum(1).double().cpu().tolist())
        count.extend(mask.sum(1).cpu().tolist())
    return np.array(nll), np.array(count)


def perplexity_stage(cfg, mcfg) -> list[str]:
    """Base and fine-tuned (the first fp32 run's adapter) scored both ways: perplexity and seconds."""
    import math

    from datasets import load_from_disk
    from peft import PeftModel

    from gemelo.evaluation import score
    from gemelo.models import load_base, load_tokenizer
    from gemelo.pipeline import PROCESSED

    test = load_from_disk(str(PROCESSED / KEY))["test"]
    tokenizer = load_tokenizer(mcfg, cfg.group.separator)
    lines = []
    for variant in ("base", "finetuned"):
        model = load_base(mcfg, tokenizer)
        if variant == "finetuned":
            model = PeftModel.from_pretrained(model, str(OUT / "adapter"))
        figures = {}
        for how, fn in (("dense logits (before)", dense_score), ("head where scored (now)", score)):
            start = time.perf_counter()
            nll, n = fn(model, test, cfg.evaluate.batch_size)
            figures[how] = (math.exp(nll.sum() / n.sum()), time.perf_counter() - start)
        lines += [f"| {variant} | {how} | {ppl:.5g} | {s:.1f} |" for how, (ppl, s) in figures.items()]
    return lines


def main(steps: int, runs: int, only: str | None) -> None:
    import torch
    from transformers import AutoConfig

    from gemelo.config import load, model_config
    from gemelo.models import bf16_supported, resolve_source

    cfg = load()
    mcfg = model_config(cfg, KEY)
    OUT.mkdir(parents=True, exist_ok=True)
    precisions = [p for p in ["fp32"] + ["bf16"] * bf16_supported() if only in (None, p)]
    peaks = {p: matmul_peak(torch.float32 if p == "fp32" else torch.bfloat16) for p in precisions}
    print("matmul peak, GFLOP/s: " + ", ".join(f"{p} {v:.0f}" for p, v in peaks.items()))
    model_dir = resolve_source(mcfg.source)
    data_dir = write_peer_data(cfg, mcfg)
    from datasets import load_from_disk

    from gemelo.pipeline import PROCESSED

    lengths = load_from_disk(str(PROCESSED / KEY))["train"]["length"]
    per_token = flops_per_token(AutoConfig.from_pretrained(model_dir), mcfg.lora.r, sum(lengths) / len(lengths))
    print(f"nominal training work: {per_token / 1e6:.0f} MFLOP per real token")

    rows = []
    for p in precisions:
        for i in range(runs):  # alternating, so that a change in the machine's load hits both alike
            g = gemelo_run(f"gemelo-{p}-{i}", steps, p == "bf16", save=p == "fp32" and i == 0)
            rows.append(("gemelo", p, g))
            print(f"gemelo {p} run {i}: {g}", flush=True)
            lf = llamafactory_run(f"llamafactory-{p}-{i}", steps, p == "bf16", model_dir, data_dir)
            rows.append(("LLaMA-Factory group_by_length", p, lf))
            print(f"LLaMA-Factory {p} run {i}: {lf}", flush=True)

    print(f"\n{steps} steps, batch 4, LoRA r{mcfg.lora.r} on every linear layer, {os.cpu_count()} CPU threads")
    print("| trainer | precision | real tokens/s | share of matmul peak | peak memory (MiB) | held-out ppl |")
    print("|---|---|---|---|---|---|")
    for name, p, r in rows:
        share = r["tokens_per_s"] * per_token / 1e9 / peaks[p]
        print(f"| {name} | {p} | {r['tokens_per_s']:.1f} | {share:.0%} | {r['peak_mib']:.0f} | "
              f"{r.get('ppl', float('nan')):.3f} |")
    for p in precisions:
        best = {n: max(r["tokens_per_s"] for m, q, r in rows if m == n and q == p) for n, q, _ in rows if q == p}
        (ours, theirs) = best["gemelo"], best["LLaMA-Factory group_by_length"]
        print(f"{p}: gemelo {ours:.1f} against LLaMA-Factory's best {theirs:.1f} real tokens/s: {ours / theirs:.2f}×")
    best = {n: max((r["tokens_per_s"], q) for m, q, r in rows if m == n) for n, _, _ in rows}
    (ours, mine), (theirs, peer) = best["gemelo"], best["LLaMA-Factory group_by_length"]
    print(f"best configurations: gemelo {ours:.1f} ({mine}) against LLaMA-Factory's {theirs:.1f} ({peer}): "
          f"{ours / theirs:.2f}×")
    print("\nperplexity stage scoring (test split):\n| model | scoring | perplexity | seconds |\n|---|---|---|---|")
    print("\n".join(perplexity_stage(cfg, mcfg)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--precision", choices=["fp32", "bf16"], help="only this one (default: both, where supported)")
    a = parser.parse_args()
    main(a.steps, a.runs, a.precision)
