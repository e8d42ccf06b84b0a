"""Argument parsing of the workflow commands: argument types, the shared options and
the tree of ``ledger GROUP ACTION`` parsers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chain.cli.context import Ctx
from chain.cli.gateway import API_KEY_ENV, API_URL_ENV, DEFAULT_API_URL
from chain.cli.output import Outcome


def json_file(value: str) -> Any:
    """A JSON document from a file (``-`` for standard input)."""
    try:
        text = sys.stdin.read() if value == "-" else Path(value).read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"cannot read JSON from {value}: {exc}") from None
    if not isinstance(document, dict):
        raise argparse.ArgumentTypeError(f"{value} must hold a JSON object")
    return document


def bracket(value: str) -> tuple[int, int]:
    """``LOWER:BPS``: the bracket's lower bound in fen and the operator's share in bps."""
    lower, sep, bps = value.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(lower.replace("_", "")), int(bps)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a bracket is LOWER_FEN:OPERATOR_BPS, e.g. 0:2000, not {value!r}"
        ) from None


def bounds(brackets: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    return [b[0] for b in brackets], [b[1] for b in brackets]


Handler = Callable[[Ctx, argparse.Namespace], Outcome]


def common_options(*, key: bool = True, write: bool = False) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print JSON")
    parent.add_argument("--api-url", help=f"the gateway (default: ${API_URL_ENV} or "
                        f"{DEFAULT_API_URL})")  # fmt: skip
    if key:
        parent.add_argument("--api-key", help=f"the user's API key (default: ${API_KEY_ENV})")
    parent.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the operation (default 120)")  # fmt: skip
    parent.add_argument("--no-wait", action="store_true",
                        help="print the operation id without waiting for the receipt")  # fmt: skip
    if write:
        parent.add_argument("--idempotency-key",
                            help="same key and input -> the same operation, another input -> "
                            "idempotency-conflict")  # fmt: skip
    else:
        parent.set_defaults(idempotency_key=None)
    return parent


def verdict(parser: argparse.ArgumentParser, dest: str, yes: str, no: str) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(f"--{yes}", dest=dest, action="store_true")
    group.add_argument(f"--{no}", dest=dest, action="store_false")


class CommandGroup:
    """``ledger NAME ACTION``: adds one parser per action (``name`` empty: top level)."""

    def __init__(self, tree: CommandTree, name: str, subparsers: Any) -> None:
        self.tree, self.name, self.subparsers = tree, name, subparsers

    def leaf(self, name: str, handler: Handler, helptext: str, *,
             parent: argparse.ArgumentParser | None = None,
             target: str | None = None) -> argparse.ArgumentParser:  # fmt: skip
        p: argparse.ArgumentParser = self.subparsers.add_parser(
            name, parents=[parent or self.tree.writer], help=helptext, description=helptext
        )
        p.set_defaults(handler=handler, path=f"{self.name} {name}".strip())
        if target:
            p.add_argument("target", metavar=target)
        return p


class CommandTree:
    """The workflow commands under ``ledger``'s subparsers, with the shared option sets:
    ``writer`` (a write as a user), ``reader`` (a read as a user), ``anyone`` (no key)."""

    def __init__(self, sub: Any) -> None:
        self.sub = sub
        self.writer = common_options(write=True)
        self.reader = common_options()
        self.anyone = common_options(key=False)
        self.top = CommandGroup(self, "", sub)

    def group(self, name: str, helptext: str) -> CommandGroup:
        parser = self.sub.add_parser(name, help=helptext, description=helptext)
        return CommandGroup(self, name, parser.add_subparsers(dest="action", required=True))
