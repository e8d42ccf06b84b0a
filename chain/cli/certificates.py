"""Certificates, recognition and bilateral agreements: ``ledger cert|agreement ...``."""

from __future__ import annotations

import argparse

from chain.cli.context import Ctx, seg
from chain.cli.output import Outcome
from chain.cli.parsing import CommandTree, json_file
from chain.revocation import ManualRevocationReason
from chain.revocation import manual_choices as manual_revocation_choices


def cert_issue(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/assets/{seg(a.target)}/certificate", kind="certificate")


def cert_renew(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/certificates/{seg(a.target)}/renewal")


def cert_reissue(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/certificates/{seg(a.target)}/reissue", kind="certificate")


def cert_amend(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"kind": a.kind, "metadata": a.metadata}
    return ctx.send("POST", f"/v1/certificates/{seg(a.target)}/amendment", body,
                    kind="certificate")  # fmt: skip


def cert_revoke(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    body = {"reason_code": a.reason}
    return ctx.send("POST", f"/v1/certificates/{seg(a.target)}/revocation", body)


def cert_recognise(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/certificates/{seg(a.target)}/recognitions")


def cert_withdraw(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("DELETE", f"/v1/certificates/{seg(a.target)}/recognitions")


def cert_show(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.read(f"/v1/certificates/{seg(a.target)}/status")


def agreement_propose(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", "/v1/agreements", {"partner_org_id": a.partner}, kind="agreement")


def agreement_sign(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("POST", f"/v1/agreements/{seg(a.target)}/signature")


def agreement_withdraw(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    return ctx.send("DELETE", f"/v1/agreements/{seg(a.target)}")


def register(tree: CommandTree) -> None:
    """Add the commands of this module to ``ledger``."""
    g = tree.group("cert", "certificates and recognition")
    g.leaf("issue", cert_issue, "issue the certificate after the notice window (registrar)",
         target="ASSET")  # fmt: skip
    g.leaf("renew", cert_renew, "extend the certificate by one term (registrar)", target="CERT")
    g.leaf("reissue", cert_reissue, "re-issue a certificate revoked for registration error or "
           "key compromise (registrar)", target="CERT")  # fmt: skip
    p = g.leaf("amend", cert_amend, "change, correction or deregistration (registrar)",
             target="CERT")  # fmt: skip
    p.add_argument("--kind", required=True, choices=["change", "correction", "deregistration"])
    p.add_argument("--metadata", type=json_file, required=True, metavar="FILE.json")
    p = g.leaf("revoke", cert_revoke, "revoke (issuing registrar)", target="CERT")
    p.add_argument("--reason", type=int, required=True,
                   choices=[int(r) for r in ManualRevocationReason],
                   help="revocation reason: " + ", ".join(
                       f"{r.code} {r.en}" for r in manual_revocation_choices()))  # fmt: skip
    g.leaf("recognise", cert_recognise, "recognise a certificate (partner registrar, exchange)",
         target="CERT")  # fmt: skip
    g.leaf("withdraw-recognition", cert_withdraw, "withdraw a recognition", target="CERT")
    g.leaf("show", cert_show, "the certificate's on-chain record and status", parent=tree.reader,
         target="CERT")  # fmt: skip

    g = tree.group("agreement", "bilateral recognition agreements between registrars")
    p = g.leaf("propose", agreement_propose, "propose an agreement to a partner registrar")
    p.add_argument("--partner", required=True, metavar="ORG")
    g.leaf("sign", agreement_sign, "sign (accept) a proposed agreement", target="AGREEMENT")
    g.leaf("withdraw", agreement_withdraw, "withdraw an agreement", target="AGREEMENT")
