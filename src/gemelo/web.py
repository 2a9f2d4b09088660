"""`gemelo serve`: a local web chat page (Gradio), on 127.0.0.1 unless told otherwise.

Each model is loaded once and shared by every browser tab; each tab keeps its own history (Gradio
session state). The author's bursts arrive as separate bubbles, like on the phone. A second tab, "¿Quién lo
escribió?", is the blind test of gemelo.blind: answers stay on this machine, in metrics/blind/.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from gemelo import UserError
from gemelo.card import ModelCard
from gemelo.chat import Sampling, Twin


class Models:
    """Loads each (model, base?) pair on first use and keeps it for every tab."""

    def __init__(self, targets: list[str]):
        self.targets = targets
        self.loaded: dict[tuple[str, bool], Twin] = {}
        self.lock = threading.Lock()

    def get(self, target: str, base: bool) -> Twin:
        with self.lock:
            if (target, base) not in self.loaded:
                self.loaded[(target, base)] = Twin.load(target, base=base)
            return self.loaded[(target, base)]


def trained_models(root: Path = Path("models")) -> list[str]:
    return sorted(p.name for p in root.glob("*") if ModelCard.exists(p))


def log_summary(cfg, key: str, figures: dict) -> None:
    """The model's blind-test figures into its MLflow run (the one its card names, or a new one)."""
    from gemelo.card import ModelCard
    from gemelo.pipeline import MODELS
    from gemelo.tracking import run as tracked

    run_id = ModelCard.read(MODELS / key).mlflow_run_id if ModelCard.exists(MODELS / key) else None
    with tracked(cfg, key, "blind", run_id=run_id) as active:
        if active:
            import mlflow

            lo, hi = figures["correct_ci95"]
            mlflow.log_metrics({"blind_answers": figures["answers"], "blind_correct": figures["correct"],
                                "blind_correct_ci95_lo": lo, "blind_correct_ci95_hi": hi})


def show(messages: list[str]) -> str:
    """A burst as paragraphs, one per message."""
    return "\n\n".join(messages)


def blind_tab(page, cfg) -> None:
    """The blind test: a context, two replies (the real one and the twin's) in random order, the person picks."""
    import random

    import gradio as gr

    from gemelo import blind
    from gemelo.config import authors

    questions = blind.pairs() if cfg is not None else {}
    if not questions:
        gr.Markdown("No hay muestras todavía: corré `dvc repro` en el proyecto (etapa samples) y volvé.")
        return
    rng, author = random.Random(), authors(cfg)[0]

    def ask(key):
        q = blind.deal(questions[key], rng)
        turns = [f"**{m.get('name', 'Vos') if m['role'] == 'user' else author}:** {m['content']}" for m in q["history"][-6:]]
        return q, "\n\n".join(turns).replace(cfg.group.separator, " / "), show(q["A"]), show(q["B"])

    def pick(side, key, q):
        summary = blind.record(key, q, side)
        log_summary(cfg, key, summary[key])
        s = summary[key]
        verdict = "¡Bien! Esa era la real." if side == q["real_side"] else f"No: la real era la {q['real_side']}."
        tally = f"{verdict} Con {key}, {s['correct']:.0%} de {s['answers']} respuestas acertaron (todas las guardadas)."
        return (tally, *ask(key))

    gr.Markdown("Una conversación y dos respuestas: una la escribió el autor, la otra su gemelo. ¿Cuál es la real? "
                "Las respuestas quedan en esta máquina (metrics/blind/).")
    key = gr.Dropdown(sorted(questions), value=sorted(questions)[0], label="modelo", elem_id="blind-model")
    question = gr.State()
    context = gr.Markdown(elem_id="blind-context")
    with gr.Row():
        with gr.Column():
            a = gr.Markdown(elem_id="blind-a")
            pick_a = gr.Button("Esta es la real (A)", elem_id="pick-a")
        with gr.Column():
            b = gr.Markdown(elem_id="blind-b")
            pick_b = gr.Button("Esta es la real (B)", elem_id="pick-b")
    result = gr.Markdown(elem_id="blind-result")
    shown = [question, context, a, b]
    key.change(ask, key, shown)
    page.load(ask, key, shown)
    pick_a.click(lambda k, q: pick("A", k, q), [key, question], [result, *shown])
    pick_b.click(lambda k, q: pick("B", k, q), [key, question], [result, *shown])


def build(models: Models, sampling: Sampling, cfg=None):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    def respond(text, chat, history, target, base, temperature, top_p, max_new_tokens, repetition_penalty):
        """Streams the reply into new bubbles; `history` is this tab's conversation in training form."""
        if not text.strip():
            yield "", chat, history
            return
        twin = models.get(target, base)
        history = history + [{"role": "user", "content": text}]
        chat = chat + [{"role": "user", "content": text}]
        s = Sampling(temperature, top_p, repetition_penalty, int(max_new_tokens), sampling.seed)
        reply = ""
        for piece in twin.stream(history, s):
            reply += piece
            parts = twin.format.split(reply) or [""]
            yield "", chat + [{"role": "assistant", "content": p} for p in parts], history
        parts = twin.format.split(reply)
        chat = chat + [{"role": "assistant", "content": p} for p in parts]
        yield "", chat, history + [{"role": "assistant", "content": twin.separator.join(parts)}]

    with gr.Blocks(title="gemelo") as page:
        gr.Markdown("## gemelo: chateá con tu gemelo")
        with gr.Tab("chat"):
            history = gr.State([])
            with gr.Row():
                target = gr.Dropdown(models.targets, value=models.targets[0], label="modelo", scale=2)
                base = gr.Checkbox(False, label="modelo base (sin fine-tuning)", scale=1)
            chat = gr.Chatbot([], elem_id="chat", group_consecutive_messages=False, height=420, label="chat")
            message = gr.Textbox(placeholder="Escribí un mensaje y Enter", elem_id="message", label="mensaje")
            with gr.Accordion("muestreo", open=False):
                temperature = gr.Slider(0, 1.5, sampling.temperature, step=0.05, label="temperature")
                top_p = gr.Slider(0.1, 1, sampling.top_p, step=0.05, label="top-p")
                max_new = gr.Slider(8, 256, sampling.max_new_tokens, step=8, label="max new tokens")
                penalty = gr.Slider(1, 2, sampling.repetition_penalty, step=0.05, label="repetition penalty")
            reset = gr.Button("conversación nueva", elem_id="reset")
            inputs = [message, chat, history, target, base, temperature, top_p, max_new, penalty]
            message.submit(respond, inputs, [message, chat, history])
            for control in (reset, target, base):
                (control.click if control is reset else control.change)(lambda: ([], []), None, [chat, history])
        with gr.Tab("¿Quién lo escribió?", elem_id="blind-tab"):
            blind_tab(page, cfg)
    return page


def serve(targets: list[str], host: str = "127.0.0.1", port: int = 7860, sampling: Sampling | None = None,
          block: bool = True):
    """Start the page; with block=False, return the running page (its .local_url; .close() stops it)."""
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise UserError("the web page needs Gradio: pip install 'gemelo[web]' (or `make setup-web`)") from None
    targets = targets or trained_models()
    if not targets:
        raise UserError("no trained model in models/: run `dvc repro` first, or name a model folder")
    models = Models(targets)
    models.get(targets[0], False)  # load the first model now, not on the first message
    from gemelo.config import PARAMS, load

    page = build(models, sampling or Sampling(), load() if PARAMS.exists() else None)
    page.queue(default_concurrency_limit=4)
    page.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=True,
                footer_links=[], ssr_mode=False)
    return page
