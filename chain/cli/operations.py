"""Operations: ``ledger op show`` (followed until it ends unless ``--no-wait``)."""

from __future__ import annotations

import argparse
import time

from chain.cli.context import Ctx, seg
from chain.cli.output import Outcome
from chain.cli.parsing import CommandTree


def op_show(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    deadline = time.monotonic() + (a.timeout if ctx.waits else 0.0)
    return Outcome(data=ctx.follow(seg(a.target), deadline))


def register(tree: CommandTree) -> None:
    """Add the commands of this module to ``ledger``."""
    g = tree.group("op", "operations")
    g.leaf("show", op_show, "an operation of the caller's organisation", parent=tree.reader,
         target="OP_ID")  # fmt: skip
