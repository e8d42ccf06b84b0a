"""Paid-use applications: ``ledger app apply|review|decide``."""

from __future__ import annotations

import argparse
from typing import Any

from chain.cli.context import Ctx
from chain.cli.parsing import CommandTree, json_file, model, verdict


def app_apply(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import approvals

    body = model(approvals.ApplicationCreate, operator_org_id=a.operator, scope=a.scope)
    return approvals.apply_for_paid_use(ctx.runtime, ctx.principal(), a.target, body,
                                        **ctx.opts(body))  # fmt: skip


def app_review(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import approvals

    body = model(approvals.DecisionIn, approve=a.approve, reason_hash=a.reason_hash)
    return approvals.review_paid_use(ctx.runtime, ctx.principal(), a.target, body,
                                     **ctx.opts(body))  # fmt: skip


def app_decide(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import approvals

    body = model(approvals.DecisionIn, approve=a.approve, reason_hash=a.reason_hash)
    return approvals.decide_paid_use(ctx.runtime, ctx.principal(), a.target, body,
                                     **ctx.opts(body))  # fmt: skip


def register(tree: CommandTree) -> None:
    """Add the commands of this module to ``ledger``."""
    g = tree.group("app", "paid-use applications")
    p = g.leaf("apply", app_apply, "apply for paid use (holder)", target="ASSET")
    p.add_argument("--operator", required=True, metavar="ORG")
    p.add_argument("--scope", type=json_file, required=True, metavar="FILE.json")
    for name, handler, helptext in (
        ("review", app_review, "review (competent department, data administration)"),
        ("decide", app_decide, "decide last (finance department)"),
    ):
        p = g.leaf(name, handler, helptext, target="APP")
        verdict(p, "approve", "approve", "reject")
        p.add_argument("--reason-hash")
