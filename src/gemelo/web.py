"""`gemelo serve`: a local web chat page (Gradio), on 127.0.0.1 unless told otherwise.

Each model is loaded once and shared by every browser tab; each tab keeps its own history (Gradio
session state). The author's bursts arrive as separate bubbles, like on the phone.
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


def build(models: Models, sampling: Sampling):
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
    page = build(models, sampling or Sampling())
    page.queue(default_concurrency_limit=4)
    page.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=True,
                footer_links=[], ssr_mode=False)
    return page
