"""Data resources and assets: ``ledger asset ...``."""

from __future__ import annotations

import argparse
from typing import Any

from chain.cli.context import Ctx
from chain.cli.parsing import CommandTree, json_file, model, verdict


def asset_register(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import assets

    body = model(assets.AssetCreate, catalogue_code=a.catalogue_code, domain_code=a.domain,
                 metadata=a.metadata)  # fmt: skip
    return assets.register_asset(ctx.runtime, ctx.principal(), body, **ctx.opts(body))


def asset_value(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import assets

    body = model(assets.ValuationIn, value_fen=a.value_fen, method_code=a.method,
                 report_hash=a.report_hash)  # fmt: skip
    return assets.record_valuation(ctx.runtime, ctx.principal(), a.target, body, **ctx.opts(body))


def asset_compliance(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import assets

    body = model(assets.ComplianceIn, passed=a.passed, report_hash=a.report_hash)
    return assets.record_compliance(ctx.runtime, ctx.principal(), a.target, body,
                                    **ctx.opts(body))  # fmt: skip


def asset_object(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import assets

    body = model(assets.ObjectionIn, reason_hash=a.reason_hash)
    return assets.lodge_objection(ctx.runtime, ctx.principal(), a.target, body, **ctx.opts(body))


def asset_resolve_objection(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import assets

    body = model(assets.ObjectionResolutionIn, upheld=a.upheld, resolution_hash=a.resolution_hash)
    return assets.resolve_objection(ctx.runtime, ctx.principal(), a.target, body,
                                    **ctx.opts(body))  # fmt: skip


def asset_dispute(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import assets

    body = model(assets.DisputeIn, reason_hash=a.reason_hash)
    return assets.record_dispute(ctx.runtime, ctx.principal(), a.target, body, **ctx.opts(body))


def asset_resolve_dispute(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import assets

    body = model(assets.DisputeResolutionIn, resolution_hash=a.resolution_hash)
    return assets.resolve_dispute(ctx.runtime, ctx.principal(), a.target, body, **ctx.opts(body))


def asset_show(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service.common import chain_asset

    ctx.principal()
    return chain_asset(ctx.runtime, a.target)


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
