"""Schedules, splits, payments and accounts:
``ledger schedule|split|pay|remit|payment|account|balance|faucet``."""

from __future__ import annotations

import argparse
from typing import Any

from chain.accounts import normalise_org_id
from chain.cli.context import Ctx
from chain.cli.parsing import CommandTree, bounds, bracket


def schedule_set(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    lower, bps = bounds(a.bracket)
    body = {"lower_bounds": lower, "operator_bps": bps}
    return revenue.set_schedule(ctx.runtime, ctx.principal(), a.target, lower, bps,
                                **ctx.opts(body))  # fmt: skip


def schedule_list(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    ctx.principal()
    return revenue.list_schedules(ctx.runtime, a.target)


def split_quote(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    lower, bps = bounds(a.bracket)
    return revenue.quote(ctx.runtime, lower, bps, a.amount)


def split_preview(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    ctx.principal()
    return revenue.preview(ctx.runtime, a.target, a.amount)


def pay(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    body = {"amount": a.amount, "reference": a.reference, "offchain": a.offchain}
    if a.offchain:
        return revenue.record_offchain_payment(ctx.runtime, ctx.principal(), a.target, a.amount,
                                               a.reference, **ctx.opts(body))  # fmt: skip
    return revenue.pay(ctx.runtime, ctx.principal(), a.target, a.amount, a.reference,
                       **ctx.opts(body))  # fmt: skip


def remit(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    body = {"remittance_ref": a.reference}
    return revenue.confirm_remittance(ctx.runtime, ctx.principal(), a.target, a.reference,
                                      **ctx.opts(body))  # fmt: skip


def payment_show(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    ctx.principal()
    return revenue.get_payment(ctx.runtime, a.target)


def payment_list(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    ctx.principal()
    return revenue.list_payments(ctx.runtime, a.target)


def remittance_show(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    ctx.principal()
    return revenue.asset_revenue(ctx.runtime, a.target)


def account_treasury(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    body = {"city": a.city, "account": a.account}
    return revenue.set_treasury_account(ctx.runtime, ctx.principal(), a.city, a.account,
                                        **ctx.opts(body))  # fmt: skip


def account_payout(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    body = {"account": a.account}
    return revenue.set_payout_account(ctx.runtime, ctx.principal(), normalise_org_id(a.target),
                                      a.account, **ctx.opts(body))  # fmt: skip


def balance(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    ctx.principal()
    return revenue.token_balance(ctx.runtime, normalise_org_id(a.target))


def faucet(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    body = {"amount": a.amount}
    return revenue.faucet(ctx.runtime, ctx.principal(), normalise_org_id(a.target), a.amount,
                          **ctx.opts(body))  # fmt: skip


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
    p = g.leaf("treasury", account_treasury, "set a city's treasury account (finance)")
    p.add_argument("city", type=int, metavar="CITY")
    p.add_argument("account", metavar="ADDRESS")
    p = g.leaf("payout", account_payout, "set an operator's payout account (operator)",
             target="ORG")  # fmt: skip
    p.add_argument("account", metavar="ADDRESS")
    tree.top.leaf("balance", balance, "settlement-token balance of an organisation",
                  parent=tree.reader, target="ORG")  # fmt: skip
    p = tree.top.leaf("faucet", faucet, "mint test tokens (consortium admin; memory and local "
             "chains)", target="ORG")  # fmt: skip
    p.add_argument("--amount", type=int, required=True, help="fen")
