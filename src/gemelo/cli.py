"""The `gemelo` command. Heavy libraries are imported inside the subcommands that need them."""

from __future__ import annotations

import argparse
import json
import sys

from gemelo import UserError


def _parse(args: argparse.Namespace) -> None:
    from gemelo.parsing import parse_path

    messages = parse_path(args.path)  # everything is parsed before anything is written
    out = sys.stdout
    for m in messages:
        out.write(json.dumps(m.to_json(), ensure_ascii=False) + "\n")


def _params(args: argparse.Namespace) -> None:
    from gemelo.config import write_params

    write_params(overrides=args.overrides)
    print("params.yaml written from conf/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gemelo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="parse WhatsApp exports (.txt, .zip or a folder) to JSON Lines on stdout")
    p.add_argument("path")
    p.set_defaults(func=_parse)

    p = sub.add_parser("params", help="compose conf/ into params.yaml (what `dvc exp run` does)")
    p.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. 'model=[tiny]'")
    p.set_defaults(func=_params)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except UserError as e:
        print(f"gemelo: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
