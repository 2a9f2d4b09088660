"""One table, one plot data file and one PNG across every model that ran, from metrics/perplexity/."""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = ("ppl", "bpb", "word_ppl")


def load_results(models: list[str], metrics: Path) -> dict[str, dict]:
    out = {}
    for key in models:
        f = metrics / "perplexity" / f"{key}.json"
        if f.exists():
            out[key] = json.loads(f.read_text(encoding="utf-8"))
    return out


def table(results: dict[str, dict]) -> str:
    """Markdown: base against fine-tuned per model; bits per byte is the column to compare across models."""
    lines = [
        "| model | variant | perplexity (95% CI) | bits per byte | word perplexity | scored tokens |",
        "|---|---|---|---|---|---|",
    ]
    for key, r in results.items():
        for variant in ("base", "finetuned"):
            v = r[variant]
            lo, hi = v["ci95"]
            lines.append(f"| {key} | {variant} | {v['ppl']:.2f} ({lo:.2f}–{hi:.2f}) | {v['bpb']:.3f} "
                         f"| {v['word_ppl']:.2f} | {v['tokens']} |")
    return "\n".join(lines) + "\n"


def write_comparison(models: list[str], metrics: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = load_results(models, metrics)
    (metrics / "compare.md").write_text(
        "# Base against fine-tuned, on the held-out test conversations\n\n"
        "Scored on the author's reply tokens only. Bits per byte and word perplexity compare across "
        "tokenizers; per-token perplexity only within one model.\n\n" + table(results), encoding="utf-8")
    rows = [{"model": k, "variant": v, "bpb": r[v]["bpb"], "ppl": r[v]["ppl"]}
            for k, r in results.items() for v in ("base", "finetuned")]
    (metrics / "plots").mkdir(parents=True, exist_ok=True)
    (metrics / "plots" / "bpb.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * max(1, len(results)), 3.6))
    width = 0.38
    for i, variant in enumerate(("base", "finetuned")):
        xs = [j + (i - 0.5) * width for j in range(len(results))]
        ys = [r[variant]["bpb"] for r in results.values()]
        ax.bar(xs, ys, width, label=variant)
    ax.set_xticks(range(len(results)), list(results))
    ax.set_ylabel("bits per byte (lower is better)")
    ax.set_title("Author's held-out replies")
    ax.legend()
    fig.tight_layout()
    fig.savefig(metrics / "compare.png", dpi=120)
    plt.close(fig)
