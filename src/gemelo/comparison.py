"""One table, plot data and one PNG across every model that ran: perplexity (metrics/perplexity/) and
persona fidelity (metrics/fidelity/), so a user picks a model on both axes."""

from __future__ import annotations

import json
from pathlib import Path


def load_results(models: list[str], metrics: Path, kind: str = "perplexity") -> dict[str, dict]:
    """Each model's figures of one kind: metrics/<kind>/<key>.json."""
    out = {}
    for key in models:
        f = metrics / kind / f"{key}.json"
        if f.exists():
            out[key] = json.loads(f.read_text(encoding="utf-8"))
    return out


def load_perplexity(models: list[str], metrics: Path) -> dict[str, dict]:
    """Each model's perplexity figures: the headline (<key>.json) with the details beside it merged in."""
    out = load_results(models, metrics)
    for key, result in out.items():
        details = json.loads((metrics / "perplexity" / f"{key}.details.json").read_text(encoding="utf-8"))
        for variant, figures in details.items():
            result[variant].update(figures)
    return out


def fidelity_table(results: dict[str, dict]) -> str:
    """Markdown: how often each variant's replies pass as the author's, and how far their style is."""
    lines = [
        "| model | attributed to the author: real / base / fine-tuned | word JSD base → fine-tuned "
        "| char 3-gram JSD base → fine-tuned | style gap base → fine-tuned | fine-tuned closer on |",
        "|---|---|---|---|---|---|",
    ]
    for key, s in results.items():
        lines.append(f"| {key} | {s['real_attributed']:.0%} / {s['base_attributed']:.0%} / {s['finetuned_attributed']:.0%} "
                     f"| {s['base_jsd_words']:.3f} → {s['finetuned_jsd_words']:.3f} "
                     f"| {s['base_jsd_char3']:.3f} → {s['finetuned_jsd_char3']:.3f} "
                     f"| {s['base_style_gap']:.3f} → {s['finetuned_style_gap']:.3f} | {s['finetuned_closer_on']} distances |")
    return "\n".join(lines) + "\n"


def table(results: dict[str, dict]) -> str:
    """Markdown: base against fine-tuned per model; bits per byte is the column to compare across models."""
    lines = [
        "| model | variant | perplexity (95% CI) | bits per byte (95% CI) | word perplexity | scored tokens |",
        "|---|---|---|---|---|---|",
    ]
    for key, r in results.items():
        for variant in ("base", "finetuned"):
            v = r[variant]
            (lo, hi), (blo, bhi) = v["ppl_ci95"], v["bpb_ci95"]
            lines.append(f"| {key} | {variant} | {v['ppl']:.2f} ({lo:.2f}–{hi:.2f}) | {v['bpb']:.3f} ({blo:.3f}–{bhi:.3f}) "
                         f"| {v['word_ppl']:.2f} | {v['tokens']} |")
    return "\n".join(lines) + "\n"


def write_comparison(models: list[str], metrics: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = load_perplexity(models, metrics)
    fidelity = load_results(models, metrics, "fidelity")
    text = ("# Base against fine-tuned, on the held-out test conversations\n\n"
            "## Perplexity\n\nScored on the author's reply tokens only. Bits per byte and word perplexity compare "
            "across tokenizers; per-token perplexity only within one model.\n\n" + table(results))
    if fidelity:
        text += ("\n## Persona fidelity\n\nReplies to the same held-out contexts. *Attributed*: share judged the "
                 "author's by a character n-gram classifier trained on the training split (the real replies show "
                 "its ceiling). JSD and style gap: 0 is the author's own style.\n\n" + fidelity_table(fidelity))
    (metrics / "compare.md").write_text(text, encoding="utf-8")
    rows = [{"model": k, "variant": v, "bpb": r[v]["bpb"], "ppl": r[v]["ppl"],
             "attributed": fidelity.get(k, {}).get(f"{v}_attributed")}
            for k, r in results.items() for v in ("base", "finetuned")]
    (metrics / "plots").mkdir(parents=True, exist_ok=True)
    (metrics / "plots" / "bpb.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    panels = [("bpb", "bits per byte (lower is better)")]
    if fidelity:
        panels.append(("attributed", "replies attributed to the author (higher is better)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(len(panels) * (1.8 + 1.6 * max(1, len(results))), 3.8),
                             squeeze=False)
    width = 0.38
    for ax, (field, label) in zip(axes[0], panels):
        for i, variant in enumerate(("base", "finetuned")):
            xs = [j + (i - 0.5) * width for j in range(len(results))]
            ys = [next(r[field] for r in rows if r["model"] == k and r["variant"] == variant) or 0 for k in results]
            ax.bar(xs, ys, width, label=variant)
        ax.set_xticks(range(len(results)), list(results))
        ax.set_ylabel(label, fontsize=8)
        ax.legend()
    fig.suptitle("The author's held-out conversations")
    fig.tight_layout()
    fig.savefig(metrics / "compare.png", dpi=120)
    plt.close(fig)


def samples_markdown(samples: dict[str, list[dict]], author: str, separator: str) -> str:
    """metrics/samples.md: what the author really wrote next to what each model wrote."""
    def show(parts: list[str]) -> str:
        return " / ".join(parts) if parts else "—"

    lines = [f"# What {author} wrote, and what the models wrote\n",
             "Prompts from held-out test conversations; ` / ` separates messages of one burst.\n"]
    for key, rows in samples.items():
        lines.append(f"## {key}\n")
        for i, r in enumerate(rows, 1):
            last = r["history"][-1]["content"].replace(separator, " / ") if r["history"] else ""
            lines += [f"{i}. **last message:** {last}", f"   - **real:** {show(r['real'])}",
                      f"   - **base:** {show(r['base'])}", f"   - **fine-tuned:** {show(r['finetuned'])}", ""]
    return "\n".join(lines) + "\n"


def compare_stage(cfg) -> None:
    """The compare stage: one table, plot and PNG across the selected models, and the samples side by side."""
    from gemelo.config import authors
    from gemelo.pipeline import METRICS

    write_comparison(sorted(cfg.model), METRICS)
    rows = {k: json.loads(f.read_text(encoding="utf-8")) for k in sorted(cfg.model)
            if (f := METRICS / "samples" / f"{k}.json").exists()}
    (METRICS / "samples.md").write_text(samples_markdown(rows, authors(cfg)[0], cfg.group.separator), encoding="utf-8")
