"""Data resources and assets: ``ledger asset ...``."""

from __future__ import annotations

import argparse

from chain.cli.context import Ctx, seg
from chain.cli.output import Outcome
from chain.cli.parsing import CommandTree, json_file, verdict


def asset_register(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"catalogue_code": a.catalogue_code, "domain_code": a.domain, "metadata": a.metadata}
    return ctx.send("POST", "/v1/assets", body, kind="asset")


def asset_value(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"value_fen": a.value_fen, "method_code": a.method, "report_hash": a.report_hash}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/valuation", body)


def asset_compliance(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"passed": a.passed, "report_hash": a.report_hash}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/compliance", body)


def asset_object(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"reason_hash": a.reason_hash}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/objections", body, kind="objection")


def asset_resolve_objection(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"upheld": a.upheld, "resolution_hash": a.resolution_hash}
    return ctx.send("POST", f"/v1/objections/{seg(a.target)}/resolution", body)


def asset_dispute(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"reason_hash": a.reason_hash}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/disputes", body)


def asset_resolve_dispute(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"resolution_hash": a.resolution_hash}
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/disputes/resolution", body)


def asset_show(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/assets/{seg(a.target)}/onchain")


def register(tree: CommandTree) -> None:
    """Add the commands of this module to ``ledger``."""
    g = tree.group("asset", "data resources and assets")
    p = g.leaf("register", asset_register, "register a data resource (holder)")
    p.add_argument("--catalogue-code", required=True)
    p.add_argument("--domain", type=int, required=True, help="domain code")
    p.add_argument("--metadata", type=json_file, required=True, metavar="FILE.json")
    p = g.leaf("value", asset_value, "record the valuation (registrar)", target="ASSET")
    p.add_argument("--value-fen", type=int, required=True)
    p.add_argument("--method", type=int, required=True, help="valuation method code")
    p.add_argument("--report-hash", required=True, help="commitment of the valuation report")
    p = g.leaf("compliance", asset_compliance, "record the compliance result (registrar)",
             target="ASSET")  # fmt: skip
    verdict(p, "passed", "passed", "failed")
    p.add_argument("--report-hash", required=True, help="commitment of the compliance report")
    p = g.leaf("object", asset_object, "lodge an objection in the notice window",
             target="ASSET")  # fmt: skip
    p.add_argument("--reason-hash", required=True)
    p = g.leaf("resolve-objection", asset_resolve_objection, "uphold or dismiss an objection "
             "(registrar)", target="OBJECTION")  # fmt: skip
    verdict(p, "upheld", "uphold", "dismiss")
    p.add_argument("--resolution-hash", required=True)
    p = g.leaf("dispute", asset_dispute, "record an ownership dispute (registrar)",
             target="ASSET")  # fmt: skip
    p.add_argument("--reason-hash", required=True)
    p = g.leaf("resolve-dispute", asset_resolve_dispute, "resolve the ownership dispute "
             "(registrar)", target="ASSET")  # fmt: skip
    p.add_argument("--resolution-hash", required=True)
    g.leaf("show", asset_show, "the asset's on-chain record", parent=tree.reader, target="ASSET")
