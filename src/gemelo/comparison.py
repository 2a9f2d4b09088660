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


def figure(s: dict, name: str, percent: bool = True) -> str:
    """A figure with its 95% interval: `62% (55–69)` or `0.046 (0.031–0.060)`."""
    (lo, hi), value = s[f"{name}_ci95"], s[name]
    return f"{value:.0%} ({lo:.0%}–{hi:.0%})" if percent else f"{value:.3f} ({lo:.3f}–{hi:.3f})"


def fidelity_table(results: dict[str, dict], blind: dict[str, dict]) -> str:
    """Markdown: sense, style and the people's verdict side by side, each with its interval."""
    lines = [
        "| model | contexts | sense: real / base / fine-tuned / shuffled | attributed to the author: real / base / "
        "fine-tuned | style gap: base / fine-tuned | word JSD (corrected): base / fine-tuned | people spotted the twin |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, s in results.items():
        b = blind.get(key)
        people = f"{figure(b, 'correct')} of {b['answers']}" if b else "not yet"
        lines.append(f"| {key} | {s['contexts']} | {' / '.join(figure(s, f'{v}_sense') for v in ('real', 'base', 'finetuned', 'shuffled'))} "
                     f"| {' / '.join(figure(s, f'{v}_attributed') for v in ('real', 'base', 'finetuned'))} "
                     f"| {figure(s, 'base_style_gap', False)} / {figure(s, 'finetuned_style_gap', False)} "
                     f"| {figure(s, 'base_jsd_words', False)} / {figure(s, 'finetuned_jsd_words', False)} | {people} |")
    return "\n".join(lines) + "\n"


def verdict(key: str, s: dict, blind: dict | None) -> str:
    """One sentence: what the fine-tuned twin's figures mean, read off their intervals."""
    lo, hi = s["finetuned_sense_ci95"]
    above_floor = lo > s["shuffled_sense_ci95"][1]
    if s["real_sense_ci95"][0] <= s["shuffled_sense_ci95"][1]:
        sense = "the judge cannot measure sense here: even the author's real replies do not beat shuffled ones"
    elif above_floor and hi >= s["real_sense_ci95"][0]:
        sense = "its replies answer their contexts about as well as the author's own"
    elif above_floor:
        sense = "its replies answer their contexts better than a reply picked at random, but less than the author's"
    else:
        sense = "its replies answer their contexts no better than a reply picked at random"
    style = "writes in the author's style" if s["finetuned_attributed_ci95"][0] >= 0.5 else "does not pass as the author"
    text = (f"**{key}**: the fine-tuned twin {style} ({s['finetuned_attributed']:.0%} of its replies attributed), "
            f"{'and' if above_floor else 'but'} {sense}")
    if blind:
        blo, bhi = blind["correct_ci95"]
        people = ("people could not tell it from the author" if blo <= 0.5 else "people told it from the author")
        text += f"; {people} ({blind['correct']:.0%} right in {blind['answers']} blind guesses)"
    else:
        text += "; no one has taken the blind test yet (`gemelo serve`, tab ¿Quién lo escribió?)"
    return text + "."


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

    from gemelo.blind import read_summary

    results = load_perplexity(models, metrics)
    fidelity = load_results(models, metrics, "fidelity")
    blind = read_summary(metrics / "blind")
    text = ("# Base against fine-tuned, on the held-out test conversations\n\n"
            "## Perplexity\n\nScored on the author's reply tokens only. Bits per byte and word perplexity compare "
            "across tokenizers; per-token perplexity only within one model.\n\n" + table(results))
    if fidelity:
        text += ("\n## Persona fidelity\n\nReplies to the same held-out contexts, each figure with its bootstrap "
                 "95% interval over contexts. *Sense*: how often the fixed judge (`fidelity.judge`) finds a reply "
                 "likelier after its own context than after another (50% = chance; the author's real replies are the ceiling, real "
                 "replies moved to other contexts the floor). *Attributed*: share judged the author's by a character "
                 "n-gram classifier trained on the training split. Style gap and JSD: 0 is the author's own style (the JSD "
                 "corrected for the size of the sample: two samples of the same style differ by chance). "
                 "*People spotted the twin*: share of right guesses in the blind test (50% = indistinguishable)."
                 "\n\n" + fidelity_table(fidelity, blind) + "\n"
                 + "\n".join(f"- {verdict(k, s, blind.get(k))}" for k, s in fidelity.items()) + "\n")
    (metrics / "compare.md").write_text(text, encoding="utf-8")
    rows = [{"model": k, "variant": v, "bpb": r[v]["bpb"], "ppl": r[v]["ppl"],
             "attributed": fidelity.get(k, {}).get(f"{v}_attributed"), "sense": fidelity.get(k, {}).get(f"{v}_sense")}
            for k, r in results.items() for v in ("base", "finetuned")]
    (metrics / "plots").mkdir(parents=True, exist_ok=True)
    (metrics / "plots" / "bpb.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    panels = [("bpb", "bits per byte (lower is better)")]
    if fidelity:
        panels += [("attributed", "replies attributed to the author (higher is better)"),
                   ("sense", "sense: own context preferred (50% = chance)")]
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
