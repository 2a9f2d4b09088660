"""The three real models' formats, for tests: real tokenizers or stand-ins with the real ids, real configs.

The weights of DeepESP/gpt2-spanish, SmolLM3-3B and Phi-3-mini cannot be downloaded here, but what defines
their format is vendored in tests/data/models/ (see its README.md): configs, chat templates, special-token ids.
GPT-2 spanish ships its whole tokenizer, so tests get the real one. For SmolLM3 and Phi-3 the big base
vocabularies are not available, so `tokenizer` builds a small stand-in BPE that is padded with filler entries
to the real base size: the real added tokens then sit at their real ids (SmolLM3 `<|im_end|>` = 128012, Phi-3
`<|end|>` = 32007), and the real chat templates render as they do for the real models. Nothing here touches
the network. Test modules import what they need (`from _real_models import tokenizer, model_folder`).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

DATA = Path(__file__).parent / "data" / "models"
KEYS = ("gpt2_spanish", "smollm3_3b", "phi3_mini")

# What the stand-ins learn their merges from: chat-like Spanish and English with emojis. No newline anywhere,
# so that no merge glues "\n" to a word: the real tokenizers keep a template's "\n" apart from the reply
# after it, and a merge like "\nhola" would make a role header share a token with the reply.
_CORPUS = [
    "hola che como andas? todo bien por suerte, vos? re bien jajaja",
    "nos vemos mañana en la facultad? dale, llevo el mate y unas facturas",
    "¿Cómo estás? ¡Qué bueno verte! Sí, no, tal vez, quién sabe",
    "viste el colectivo hoy? un desastre boluda, tardó una hora 😂😂",
    "amiga qué onda, vamos a comer algo? tengo hambre 🥲",
    "el trabajo está tranqui, mañana tengo reunión a las 10:30 ✨",
    "jajaja posta, re lindo igual 🙌 nos vemos el sábado",
    "Hello, how are you? Fine thanks :) see you tomorrow",
    "I'm at the office, call me later please 💀",
    "mirá esto 👉 https://example.com/foto.jpg, qué risa",
    "feliz cumpleaños!! 🎉🎂 que la pases genial, te quiero mucho ❤️",
    "ñandú, pingüino, acción, corazón, también, está, árbol, último",
    "0123456789 100% $25.000 #hashtag @martu (eso) [nada] {algo} \"comillas\" 'simples'",
]


def tokenizer(key: str) -> PreTrainedTokenizerFast:
    """The tokenizer of model `key`: a fresh deep copy, so callers may add tokens (the separator) to it."""
    return copy.deepcopy(_cached_tokenizer(key))


@lru_cache(maxsize=None)
def _cached_tokenizer(key: str) -> PreTrainedTokenizerFast:
    if key == "gpt2_spanish":
        return AutoTokenizer.from_pretrained(DATA / "gpt2_spanish")
    if key == "smollm3_3b":
        return _smollm3_tokenizer()
    if key == "phi3_mini":
        return _phi3_tokenizer()
    raise KeyError(f"unknown model {key!r}: one of {KEYS}")


def _smollm3_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level BPE like Llama 3's (SmolLM3 uses it), 128000 base ids, then the 256 real added tokens."""
    folder = DATA / "smollm3_3b"
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=2000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(_CORPUS, trainer)
    tok = _padded(tok, head=[], size=128000)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)  # as Llama 3's: offsets keep a leading space
    _add_at(tok, {int(i): AddedToken(t["content"], single_word=t["single_word"], lstrip=t["lstrip"],
                                     rstrip=t["rstrip"], normalized=t["normalized"], special=t["special"])
                  for i, t in config["added_tokens_decoder"].items()})
    specials = json.loads((folder / "special_tokens_map.json").read_text(encoding="utf-8"))
    out = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=None, eos_token=specials["eos_token"]["content"],
        pad_token=specials["pad_token"]["content"], model_max_length=config["model_max_length"],
        chat_template=(folder / "chat_template.jinja").read_text(encoding="utf-8"))
    assert out.convert_tokens_to_ids("<|im_end|>") == 128012 and len(out) == 128256, "SmolLM3 ids are off"
    return out


def _phi3_tokenizer() -> PreTrainedTokenizerFast:
    """A BPE shaped like Llama 2's SentencePiece (Phi-3 uses it): `<unk>` `<s>` `</s>` at 0-2, the 256 byte
    pieces `<0x00>`..`<0xFF>` at 3-258 for byte fallback, 32000 base ids, then the real added tokens.

    Pre-tokenizer: Metaspace, as transformers' own LlamaTokenizer ("▁" for spaces, one prepended at the very
    start of the text only: prepend_scheme "first"), with byte fallback for characters outside the training
    corpus: "\\n" is `<0x0A>` = 13 here as in the real one, and so are rare emojis' bytes. Chosen over
    ByteLevel because it is what the real tokenizer does (a reply's first word is "▁hola" at the start of
    the text but "hola" after a special token; decoding drops one leading space), and its offsets stay
    exact with emojis: every byte piece of a character maps to the whole character. `tok(text)` prepends
    `<s>` (add_bos_token true), as the real one does.
    """
    folder = DATA / "phi3_mini"
    info = json.loads((folder / "special_tokens.json").read_text(encoding="utf-8"))
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    trainer = trainers.BpeTrainer(vocab_size=1500, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False)
    tok.train_from_iterator(_CORPUS, trainer)
    tok = _padded(tok, head=["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)], size=32000)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(content=" ", left=1)])
    _add_at(tok, {i: AddedToken(t, special=True, normalized=False) for t, i in info["added_tokens"].items()})
    out = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=info["bos_token"], eos_token=info["eos_token"], unk_token=info["unk_token"],
        pad_token=info["pad_token"], add_bos_token=True, add_eos_token=False, model_max_length=4096,
        chat_template=(folder / "chat_template.jinja").read_text(encoding="utf-8"))
    assert out.convert_tokens_to_ids("<|end|>") == 32007 and len(out) == 32011, "Phi-3 ids are off"
    return out


def _padded(tok: Tokenizer, head: list[str], size: int) -> Tokenizer:
    """`tok` with its vocabulary renumbered: `head` first, the trained pieces, then fillers up to `size` ids.

    A BPE piece is only ever produced from single characters or by a merge; the fillers are multi-character
    strings no merge leads to, so no text encodes to them. They are plain vocabulary entries, not special.
    """
    spec = json.loads(tok.to_str())
    trained = sorted(spec["model"]["vocab"], key=spec["model"]["vocab"].get)
    pieces = head + [p for p in trained if p not in head]
    fillers = (f"<filler_{i}>" for i in range(size))
    pieces += [f for f in fillers if f not in spec["model"]["vocab"]][: size - len(pieces)]
    spec["model"]["vocab"] = {p: i for i, p in enumerate(pieces)}
    spec["added_tokens"] = [dict(t, id=spec["model"]["vocab"][t["content"]]) for t in spec["added_tokens"]]
    return Tokenizer.from_str(json.dumps(spec))


def _add_at(tok: Tokenizer, tokens: dict[int, AddedToken]) -> None:
    """Add tokens in id order, so that each gets the id it is keyed by (the ids follow the vocabulary)."""
    for i, token in sorted(tokens.items()):
        tok.add_tokens([token])
        assert tok.token_to_id(token.content) == i, f"{token.content} got id {tok.token_to_id(token.content)}"


def model_folder(key: str, dest: Path) -> Path:
    """Write a model folder for `source:` with the real architecture and format, but random weights.

    The real config.json of `key`, cut down to two narrow layers (hidden 64, 4 heads, MLP 128), keeping
    model_type, vocab_size, tied or untied embeddings and the special ids; weights from torch.manual_seed(0),
    float32; plus the tokenizer of `tokenizer(key)`. AutoModelForCausalLM and AutoTokenizer load it with
    from_pretrained. A user with the real weights points `source:` at their downloaded folder instead.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    raw = json.loads((DATA / key / "config.json").read_text(encoding="utf-8"))
    for name in ("_name_or_path", "transformers_version", "torch_dtype"):
        raw.pop(name, None)
    if raw["model_type"] == "gpt2":
        raw.update(n_layer=2, n_embd=64, n_head=4, n_inner=128, n_positions=512, n_ctx=512)
    else:
        layers = raw["num_hidden_layers"]
        # per-layer lists keep their last two entries: for SmolLM3 one RoPE layer and one NoPE layer
        raw.update({k: v[-2:] for k, v in raw.items() if isinstance(v, list) and len(v) == layers})
        kv = 4 if raw["num_key_value_heads"] == raw["num_attention_heads"] else 2
        raw.update(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, num_key_value_heads=kv,
                   intermediate_size=128)
        if "max_window_layers" in raw:
            raw["max_window_layers"] = min(raw["max_window_layers"], 2)
    config = AutoConfig.for_model(raw.pop("model_type"), **raw)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    dest = Path(dest)
    model.save_pretrained(dest)
    tokenizer(key).save_pretrained(dest)
    return dest
