"""Operations: ``ledger op show``."""

from __future__ import annotations

import argparse
from typing import Any

from chain.cli.context import Ctx
from chain.cli.parsing import CommandTree
from chain.errors import NotFound
from chain.txpipe import TERMINAL


def op_show(ctx: Ctx, a: argparse.Namespace) -> Any:
    principal = ctx.principal()
    pipeline = ctx.runtime.txpipe
    op = pipeline.find(a.target)
    # another organisation's operation is reported as missing, as the gateway does
    if op is None or not (principal.is_consortium_admin or op.org_id == principal.org_id):
        raise NotFound(f"no operation {a.target}")
    if op.state not in TERMINAL:
        op = pipeline.wait(op.id, a.timeout if not a.no_wait else 0.0)
    return op.to_public()


def register(tree: CommandTree) -> None:
    """Add the commands of this module to ``ledger``."""
    g = tree.group("op", "operations")
    g.leaf("show", op_show, "an operation of the caller's organisation", parent=tree.reader,
         target="OP_ID")  # fmt: skip
