"""The exported twin in llama.cpp against gemelo: agreement, perplexity, size and speed.

    python bench/bench_export.py [MODEL]     (default: smollm2_135m, after `make demo`; `make bench-export`)

Exports the model as `gemelo export` does (f16 and q8_0), then prints, for each GGUF:
- greedy agreement with the merged model on the held-out prompts (the first 16 reply tokens: the share of
  positions that agree before the first difference, and the prompts whose continuations agree whole);
- the held-out perplexity of the author's replies from llama.cpp's logits against gemelo's (merged model),
  and their relative difference (the issue's bar: within 1% at f16);
- the GGUF's size;
- tokens/s of a greedy reply (at most 64 tokens, prompt included in the time) in llama.cpp and in
  `gemelo chat` (transformers, the LoRA model as trained), on the same first 8 prompts and this machine's
  cores.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

FIRST = 16
SPEED_TOKENS = 64
SPEED_PROMPTS = 8


def main(key: str) -> None:
    import numpy as np
    from datasets import load_from_disk

    from gemelo.chat import Sampling, Twin, held_out_prompts
    from gemelo.config import load
    from gemelo.evaluation import score
    from gemelo.export import export, gguf_greedy, gguf_score, hf_greedy, load_gguf
    from gemelo.models import load_trained
    from gemelo.pipeline import CONVERSATIONS, MODELS, PROCESSED, read_jsonl

    cfg = load()
    quants = ["f16", "q8_0"]
    start = time.perf_counter()
    out = export(str(MODELS / key), quants, Sampling.from_config(cfg.chat))
    print(f"export of {key} (merge, {', '.join(quants)}, Modelfile): {time.perf_counter() - start:.0f} s")

    twin = Twin.load(str(MODELS / key))  # what `gemelo chat` runs; it also cuts histories to the context
    merged, tok, card = load_trained(out / "hf")
    fmt = card.format_for(tok)
    test = load_from_disk(str(PROCESSED / key))["test"]
    prompts = held_out_prompts(read_jsonl(CONVERSATIONS / "test.jsonl"), fmt.author, fmt.separator, cfg.chat.samples)
    for p in prompts:
        p["history"] = twin.fit(p["history"], SPEED_TOKENS, p["group"])
    ids = [tok.encode(fmt.prompt(p["history"], p["group"]), add_special_tokens=False) for p in prompts]
    ours = [hf_greedy(merged, p, FIRST, fmt.stop_ids) for p in ids]
    nll, n = score(merged, test)
    ppl = float(np.exp(nll.sum() / n.sum()))
    print(f"held-out prompts: {len(ids)}; scored reply tokens: {int(n.sum())}; gemelo perplexity (merged): {ppl:.3f}")
    del merged

    for quant in quants:
        path = out / f"{key}-{quant}.gguf"
        llm = load_gguf(path, card.max_length)
        theirs = [gguf_greedy(llm, p, FIRST, fmt.stop_ids) for p in ids]
        agree = [next((i for i, (a, b) in enumerate(zip(x, y)) if a != b), min(len(x), len(y))) for x, y in
                 zip(ours, theirs)]
        whole = sum(x == y for x, y in zip(ours, theirs))
        g_nll, g_n = gguf_score(llm, test)
        g_ppl = float(np.exp(g_nll.sum() / g_n.sum()))
        print(f"{quant}: {path.stat().st_size / 2**20:.1f} MiB; greedy agreement "
              f"{sum(agree) / sum(len(x) for x in ours):.1%} of the first tokens, {whole}/{len(ids)} prompts whole; "
              f"perplexity {g_ppl:.3f} ({g_ppl / ppl - 1:+.2%} against gemelo)")
        del llm

    print(f"speed, greedy replies of at most {SPEED_TOKENS} tokens to {SPEED_PROMPTS} prompts:")
    greedy = Sampling(temperature=0, max_new_tokens=SPEED_TOKENS, repetition_penalty=1.0)
    for quant in quants:
        llm = load_gguf(out / f"{key}-{quant}.gguf", card.max_length, logits_all=False)
        tokens, start = 0, time.perf_counter()
        for p in ids[:SPEED_PROMPTS]:
            tokens += llm.create_completion(p, max_tokens=SPEED_TOKENS, temperature=0)["usage"]["completion_tokens"]
        print(f"  llama.cpp {quant}: {tokens / (time.perf_counter() - start):.1f} tokens/s ({tokens} tokens)")
        del llm
    tokens, start = 0, time.perf_counter()
    for p in prompts[:SPEED_PROMPTS]:
        usage: dict = {}
        "".join(twin.stream(p["history"], greedy, p["group"], usage=usage))
        tokens += usage["completion_tokens"]
    print(f"  gemelo chat (transformers): {tokens / (time.perf_counter() - start):.1f} tokens/s ({tokens} tokens)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "smollm2_135m")
