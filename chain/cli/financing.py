"""Pledges, credit lines, equity contributions and disposal:
``ledger pledge|financing|dispose``."""

from __future__ import annotations

import argparse

from chain.cli.context import Ctx, seg
from chain.cli.output import Outcome
from chain.cli.parsing import CommandTree


def pledge_request(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"bank_org_id": a.bank, "amount_fen": a.amount_fen, "contract_hash": a.contract_hash}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/pledges", body, kind="financing")


def pledge_confirm(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/pledges/{seg(a.target)}/confirmation")


def pledge_release(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/pledges/{seg(a.target)}/release")


def pledge_cancel(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/pledges/{seg(a.target)}/cancellation")


def credit_line(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"amount_fen": a.amount_fen, "agreement_hash": a.agreement_hash}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/credit-lines", body, kind="financing")


def equity(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"valuation_fen": a.valuation_fen, "investee_hash": a.investee_hash}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/equity", body, kind="financing")


def dispose_request(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"reason_hash": a.reason_hash}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/disposal", body)


def dispose_confirm(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/disposal/confirmation")


def register(tree: CommandTree) -> None:
    """Add the commands of this module to ``ledger``."""
    g = tree.group("pledge", "pledges")
    p = g.leaf("request", pledge_request, "request a pledge (holder)", target="ASSET")
    p.add_argument("--bank", required=True, metavar="ORG")
    p.add_argument("--amount-fen", type=int, required=True)
    p.add_argument("--contract-hash", required=True)
    g.leaf("confirm", pledge_confirm, "confirm the pledge (its bank)", target="PLEDGE")
    g.leaf("release", pledge_release, "release the pledge (its bank)", target="PLEDGE")
    g.leaf("cancel", pledge_cancel, "withdraw a pending pledge request (its holder)",
           target="PLEDGE")  # fmt: skip

    g = tree.group("financing", "credit lines and equity contributions")
    p = g.leaf("credit-line", credit_line, "record a credit line (bank)", target="ASSET")
    p.add_argument("--amount-fen", type=int, required=True)
    p.add_argument("--agreement-hash", required=True)
    p = g.leaf("equity", equity, "record an equity contribution (holder)", target="ASSET")
    p.add_argument("--valuation-fen", type=int, required=True)
    p.add_argument("--investee-hash", required=True)

    g = tree.group("dispose", "disposal")
    p = g.leaf("request", dispose_request, "request disposal (holder)", target="ASSET")
    p.add_argument("--reason-hash", required=True)
    g.leaf("confirm", dispose_confirm, "confirm disposal (registrar)", target="ASSET")
