"""The `gemelo` command. Heavy libraries are imported inside the subcommands that need them."""

from __future__ import annotations

import argparse
import os
import sys

from gemelo import UserError, disk_full


def _parse(args: argparse.Namespace) -> None:
    from gemelo.parsing import jsonl
    from gemelo.parsing.halves import parse_apply

    # all parsed first (a bad file in a folder writes nothing); a big export in two halves at once
    parts = parse_apply(args.path, lambda p: (jsonl(p), p.dropped["not_a_message"], p.unrecognised, p.replaced), jobs=2)
    sys.stdout.flush()
    sys.stdout.buffer.writelines(out for out, *_ in parts)
    sys.stdout.buffer.flush()
    stray, unrecognised, replaced = (sum(counts) for counts in list(zip(*parts))[1:])
    notes = []
    if stray:
        notes.append(f"{stray} lines before a file's first message are no messages (a title, pasted text?)")
    if unrecognised:
        notes.append(f"{unrecognised} lines look like system lines in a language gemelo does not know (kept as system)")
    if replaced:
        notes.append(f"{replaced} bytes that are not UTF-8 were read as \ufffd (the file is damaged there)")
    if notes:
        print(f"gemelo: {'; '.join(notes)}", file=sys.stderr)


def _params(args: argparse.Namespace) -> None:
    from gemelo.config import write_params

    write_params(overrides=args.overrides)
    print("params.yaml written from conf/")


def _sampling(args: argparse.Namespace):
    from gemelo.chat import Sampling
    from gemelo.config import PARAMS, load

    chat_cfg = load().chat if PARAMS.exists() else {}
    return Sampling.from_config(chat_cfg, temperature=args.temperature, top_p=args.top_p, seed=args.seed,
                                repetition_penalty=args.repetition_penalty, max_new_tokens=args.max_new_tokens)


def _quiet_loading() -> None:
    """No progress bars or library deprecation notices in an interactive program."""
    import warnings

    from transformers.utils import logging

    warnings.filterwarnings("ignore", category=FutureWarning)
    logging.disable_progress_bar()
    logging.set_verbosity_error()


def _chat(args: argparse.Namespace) -> None:
    from gemelo.chat import Twin, read_history

    _quiet_loading()
    sampling = _sampling(args)
    history = read_history(args.history) if args.history else []
    twin = Twin.load(args.model, base=args.base)
    if args.message is not None:
        history.append({"role": "user", "content": args.message})
        for message in twin.reply(history, sampling):
            print(message)
        return
    interactive(twin, sampling, history)


def interactive(twin, sampling, history: list[dict]) -> None:
    """The terminal chat: streamed replies, one line per message of a burst; /reset, /exit, Ctrl-D."""
    who = twin.author
    print(f"Chateando con {who}. /reset empieza de nuevo, /exit o Ctrl-D para salir.", flush=True)
    while True:
        try:
            line = input("vos> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if line.strip() == "/exit":
            return
        if line.strip() == "/reset":
            history.clear()
            print("(conversación nueva)", flush=True)
            continue
        if not line.strip():
            continue
        history.append({"role": "user", "content": line})
        sys.stdout.write(f"{who}> ")
        text = ""
        for piece in twin.stream(history, sampling):
            text += piece
            sys.stdout.write(piece.replace(twin.separator, f"\n{who}> "))
            sys.stdout.flush()
        print(flush=True)
        history.append({"role": "assistant", "content": twin.separator.join(twin.format.split(text))})


def _samples(args: argparse.Namespace) -> None:
    from gemelo.chat import side_by_side_rows
    from gemelo.comparison import samples_markdown
    from gemelo.config import authors, load

    cfg = load()
    rows = side_by_side_rows(cfg, args.model, prompts_file=args.prompts)
    print(samples_markdown({args.model: rows}, authors(cfg)[0], cfg.group.separator))


def _serve(args: argparse.Namespace) -> None:
    if args.api:
        from gemelo.api import check_host, serve_api

        check_host(args.host, args.api_key)  # before loading any model
        _quiet_loading()
        serve_api(args.models, host=args.host, port=args.port or 8000, sampling=_sampling(args),
                  api_key=args.api_key)
        return
    from gemelo.web import serve

    _quiet_loading()
    serve(args.models, host=args.host, port=args.port or 7860, sampling=_sampling(args))


def _export(args: argparse.Namespace) -> None:
    from gemelo.export import export

    from gemelo.config import PARAMS, load

    if args.quant is None and not PARAMS.exists():
        raise UserError("no params.yaml here to take export.quants from: give --quant, e.g. --quant f16,q8_0")
    quants = [q.strip() for q in args.quant.split(",") if q.strip()] if args.quant else list(load().export.quants)
    _quiet_loading()
    out = export(args.model, quants, _sampling(args))
    for path in sorted(out.iterdir()):
        print(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gemelo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="parse WhatsApp exports (.txt, .zip or a folder) to JSON Lines on stdout")
    p.add_argument("path")
    p.set_defaults(func=_parse)

    p = sub.add_parser("params", help="compose conf/ into params.yaml (what `dvc exp run` does)")
    p.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. 'model=[tiny]'")
    p.set_defaults(func=_params)

    sampling = argparse.ArgumentParser(add_help=False)
    sampling.add_argument("--temperature", type=float)
    sampling.add_argument("--top-p", type=float)
    sampling.add_argument("--repetition-penalty", type=float)
    sampling.add_argument("--max-new-tokens", type=int)
    sampling.add_argument("--seed", type=int)

    p = sub.add_parser("chat", parents=[sampling], help="chat with a trained model in the terminal")
    p.add_argument("model", help="a model key (its folder under models/) or a trained model folder")
    p.add_argument("--base", action="store_true", help="talk to the base model instead of the fine-tuned one")
    p.add_argument("--message", help="send one message, print the reply (one line per message) and exit")
    p.add_argument("--history", help="JSON list of earlier messages: [{\"role\": \"user\", \"content\": \"...\"}, ...]")
    p.set_defaults(func=_chat)

    p = sub.add_parser("samples", help="print side-by-side replies (markdown): the author's, the base model's, the fine-tuned one's")
    p.add_argument("model")
    p.add_argument("--prompts", help="a text file with one prompt per line instead of held-out conversations")
    p.set_defaults(func=_samples)

    p = sub.add_parser("serve", parents=[sampling], help="a local web chat page (needs `pip install gemelo[web]`), "
                       "or with --api an OpenAI-compatible API")
    p.add_argument("models", nargs="*", help="model keys or folders (default: every trained model in models/)")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, help="default 7860 for the page, 8000 for the API")
    p.add_argument("--api", action="store_true", help="serve /v1/chat/completions and /v1/models instead of the page")
    p.add_argument("--api-key", default=os.environ.get("GEMELO_API_KEY"),
                   help="with --api: the bearer token clients must send (default $GEMELO_API_KEY); needed to "
                   "listen on anything but loopback")
    p.set_defaults(func=_serve)

    p = sub.add_parser("export", parents=[sampling], help="write exports/<model>/: the merged model, GGUF files "
                       "for llama.cpp and LM Studio, an Ollama Modelfile (needs `pip install gemelo[export]`)")
    p.add_argument("model", help="a model key (its folder under models/) or a trained model folder")
    p.add_argument("--quant", help="GGUF types, comma-separated: f32, f16, bf16, q8_0 (default: export.quants "
                   "of conf/config.yaml; the Modelfile uses the first)")
    p.set_defaults(func=_export)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except UserError as e:
        print(f"gemelo: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as e:
        if (full := disk_full(e)) is None:
            raise
        print(f"gemelo: error: {full}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
