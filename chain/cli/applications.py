"""Paid-use applications: ``ledger app apply|review|decide|cancel``."""

from __future__ import annotations

import argparse

from chain.cli.context import Ctx, seg
from chain.cli.output import Outcome
from chain.cli.parsing import CommandTree, json_file, verdict


def app_apply(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"operator_org_id": a.operator, "scope": a.scope}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/applications", body,
                    kind="application")  # fmt: skip


def _decision(a: argparse.Namespace) -> dict[str, object]:
    body: dict[str, object] = {"approve": a.approve}
    if a.reason_hash is not None:
        body["reason_hash"] = a.reason_hash
    return body


def app_review(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/applications/{seg(a.target)}/reviews", _decision(a))


def app_decide(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/applications/{seg(a.target)}/approval", _decision(a))


def app_cancel(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/applications/{seg(a.target)}/cancellation")


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
    g.leaf("cancel", app_cancel, "withdraw a pending application (its holder)", target="APP")
