"""Schedules, splits, payments and accounts:
``ledger schedule|split|pay|remit|payment|account|balance|faucet``."""

from __future__ import annotations

import argparse

from chain.cli.context import Ctx, seg
from chain.cli.output import Outcome
from chain.cli.parsing import CommandTree, bounds, bracket


def schedule_set(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    lower, bps = bounds(a.bracket)
    body = {"lower_bounds": lower, "operator_bps": bps}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/schedules", body)


def schedule_list(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/assets/{seg(a.target)}/schedules")


def split_quote(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    lower, bps = bounds(a.bracket)
    body = {"lower_bounds": lower, "operator_bps": bps, "amount": a.amount}
    return ctx.send("POST", "/v1/split/quote", body, auth=False)


def split_preview(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/assets/{seg(a.target)}/split/preview", {"amount": a.amount})


def pay(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body: dict[str, object] = {"amount": a.amount}
    if a.offchain:
        body.update(offchain=True, bank_ref=a.reference)
    else:
        body["reference"] = a.reference
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/payments", body, kind="payment")


def remit(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"remittance_ref": a.reference}
    return ctx.send("POST", f"/v1/payments/{seg(a.target)}/remittance", body)


def payment_show(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/payments/{seg(a.target)}")


def payment_list(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/assets/{seg(a.target)}/payments")


def remittance_show(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/assets/{seg(a.target)}/remittance")


def account_treasury(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    path = f"/v1/cities/{a.city}/treasury-account"
    return ctx.send("PUT", path, {"account": a.account})


def account_payout(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("PUT", f"/v1/orgs/{seg(a.target)}/payout-account", {"account": a.account})


def account_treasury_activate(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/cities/{a.city}/treasury-account/activation")


def account_payout_activate(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/orgs/{seg(a.target)}/payout-account/activation")


def balance(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/orgs/{seg(a.target)}/balance")


def faucet(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", "/v1/dev/faucet", {"org_id": a.target, "amount": a.amount})


def register(tree: CommandTree) -> None:
    """Add the commands of this module to ``ledger``."""
    g = tree.group("schedule", "revenue split schedules")
    p = g.leaf("set", schedule_set, "set a new schedule version (finance department)",
             target="ASSET")  # fmt: skip
    p.add_argument("--bracket", type=bracket, action="append", required=True,
                   metavar="LOWER_FEN:BPS", help="repeat, lowest bracket first")  # fmt: skip
    g.leaf("list", schedule_list, "every schedule version", parent=tree.reader, target="ASSET")

    g = tree.group("split", "split amounts by a schedule")
    p = g.leaf("quote", split_quote, "split an amount by brackets (no key needed)",
             parent=tree.anyone)  # fmt: skip
    p.add_argument("--bracket", type=bracket, action="append", required=True,
                   metavar="LOWER_FEN:BPS")  # fmt: skip
    p.add_argument("--amount", type=int, required=True, help="fen")
    p = g.leaf("preview", split_preview, "split an amount by the asset's current schedule",
             parent=tree.reader, target="ASSET")  # fmt: skip
    p.add_argument("--amount", type=int, required=True, help="fen")

    p = tree.top.leaf("pay", pay, "pay for an asset's use in tokens (merchant), or record an "
             "off-chain payment (operator, --offchain)", target="ASSET")  # fmt: skip
    p.add_argument("--amount", type=int, required=True, help="fen")
    p.add_argument("--reference", required=True, help="payment or bank reference")
    p.add_argument("--offchain", action="store_true")
    p = tree.top.leaf("remit", remit, "confirm an off-chain payment's treasury share was remitted "
             "(finance department)", target="PAYMENT")  # fmt: skip
    p.add_argument("--reference", required=True, help="remittance reference")

    g = tree.group("payment", "payments")
    g.leaf("show", payment_show, "one payment", parent=tree.reader, target="PAYMENT")
    g.leaf("list", payment_list, "payments of an asset", parent=tree.reader, target="ASSET")
    g.leaf("remittance", remittance_show, "an asset's totals and outstanding remittance",
         parent=tree.reader, target="ASSET")  # fmt: skip

    g = tree.group("account", "treasury and payout accounts")
    p = g.leaf("treasury", account_treasury, "propose a city's treasury account (finance; "
             "a change takes effect after the delay)")  # fmt: skip
    p.add_argument("city", type=int, metavar="CITY")
    p.add_argument("account", metavar="ADDRESS")
    p = g.leaf("treasury-activate", account_treasury_activate,
               "put the pending treasury account into effect (finance)")  # fmt: skip
    p.add_argument("city", type=int, metavar="CITY")
    p = g.leaf("payout", account_payout, "propose an operator's payout account (operator; a "
             "change takes effect after the delay)", target="ORG")  # fmt: skip
    p.add_argument("account", metavar="ADDRESS")
    g.leaf("payout-activate", account_payout_activate,
           "put the pending payout account into effect (operator)", target="ORG")  # fmt: skip
    tree.top.leaf("balance", balance, "settlement-token balance of an organisation",
                  parent=tree.reader, target="ORG")  # fmt: skip
    p = tree.top.leaf("faucet", faucet, "mint test tokens (consortium admin; memory and local "
             "chains)", target="ORG")  # fmt: skip
    p.add_argument("--amount", type=int, required=True, help="fen")
