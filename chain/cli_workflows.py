"""``ledger`` workflow commands: act as a user (API key) through the same ``chain.service``
functions the gateway's routes call.

Each command parses its arguments, authenticates the key (``--api-key`` or
``LEDGER_API_KEY``) with ``runtime.accounts.authenticate`` as the gateway does, calls one
service function and prints the result. Writes wait for the operation to be mined
unless ``--no-wait`` is given (then the operation id is printed; follow it with
``ledger op show``). ``--json`` prints JSON; otherwise one short line.

Exit codes: 0 done, 1 refused or failed (one sentence with the error code on stderr),
2 usage (bad arguments or input that does not validate).

The runtime is built by :data:`RUNTIME_FACTORY` (``LedgerRuntime.start`` against the
configured chain); tests and tools may replace it to share one runtime.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from chain.accounts import Principal, normalise_org_id
from chain.clients import ChainUnavailableError
from chain.deploy import DeploymentError
from chain.errors import LedgerError, NotAuthenticated, NotAuthorised, NotFound, jsonable
from chain.keys import KeystoreError
from chain.revocation import ManualRevocationReason
from chain.revocation import manual_choices as manual_revocation_choices
from chain.runtime import ADMIN_KEY, LedgerRuntime
from chain.settings import LedgerSettings
from chain.txpipe import MINED, TERMINAL, Operation, request_hash

API_KEY_ENV = "LEDGER_API_KEY"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

RuntimeFactory = Callable[[LedgerSettings], LedgerRuntime]


def default_runtime(settings: LedgerSettings) -> LedgerRuntime:
    """Connect to the configured chain and the gateway's database (no tracker thread:
    the CLI follows its own operations)."""
    runtime = LedgerRuntime.start(settings)
    runtime.accounts.ensure_consortium(ADMIN_KEY, runtime.admin.address)
    token = settings.bootstrap_token
    if token is not None:  # the same first-start admin as the gateway's, never generated here
        runtime.accounts.bootstrap_admin(
            token.get_secret_value(), settings.var_dir / "secrets" / "bootstrap-admin-key"
        )
    return runtime


#: Builds the runtime a command works with; replace it to share one runtime in process.
RUNTIME_FACTORY: RuntimeFactory = default_runtime


class UsageError(Exception):
    """Input that does not validate: exit code 2."""


# ---------------------------------------------------------------------------- context


@dataclass
class Ctx:
    args: argparse.Namespace
    settings: LedgerSettings
    _runtime: LedgerRuntime | None = field(default=None, repr=False)

    @property
    def runtime(self) -> LedgerRuntime:
        if self._runtime is None:
            self._runtime = RUNTIME_FACTORY(self.settings)
        return self._runtime

    def principal(self) -> Principal:
        key = getattr(self.args, "api_key", None) or os.environ.get(API_KEY_ENV)
        if not key:
            raise NotAuthenticated(
                f"this command acts as a user: pass --api-key or set {API_KEY_ENV}"
            )
        principal = self.runtime.accounts.authenticate(key.strip())
        if principal is None:
            raise NotAuthenticated("the API key is not valid or was revoked")
        return principal

    def opts(self, body: Any = None) -> dict[str, Any]:
        """``idempotency_key`` and ``request_hash`` for a service write."""
        payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
        digest = request_hash(
            {"command": self.args.path, "target": getattr(self.args, "target", None),
             "body": payload}
        )  # fmt: skip
        return {"idempotency_key": self.args.idempotency_key, "request_hash": digest}


def model(cls: type[BaseModel], **values: Any) -> Any:
    """Build a service input model; a validation error is a usage error."""
    try:
        return cls(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or cls.__name__
        raise UsageError(f"{where}: {first['msg']}") from None


# ---------------------------------------------------------------------------- results


@dataclass
class Outcome:
    """What a command produced: operations to follow, and what to print."""

    operations: list[Operation] = field(default_factory=list)
    kind: str | None = None
    resource_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    data: Any = None  # a read's result


def outcome(result: Any) -> Outcome:
    from chain.service.common import Created
    from chain.service.orgs import KeyRotation
    from chain.service.revenue import PaymentSubmission

    if isinstance(result, Outcome):
        return result
    if isinstance(result, Operation):
        return Outcome([result])
    if isinstance(result, Created):
        return Outcome([result.operation], result.kind, result.resource_id)
    if isinstance(result, PaymentSubmission):
        ops = [op for op in (result.approval, result.operation) if op is not None]
        return Outcome(ops[-1:], "payment", result.payment_id)
    if isinstance(result, KeyRotation):
        extra = {"old_signer": result.old_signer, "new_signer": result.new_signer}
        return Outcome([result.added, result.removed], "signing key", None, extra)
    return Outcome(data=result)


def plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        return {k: plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return jsonable(value)


def _op_line(op: Operation) -> str:
    if op.state == MINED:
        return f"operation {op.id} mined in block {op.block_number} (tx {op.tx_hash})"
    return f"operation {op.id} {op.state} (tx {op.tx_hash}); follow it: ledger op show {op.id}"


def finish(ctx: Ctx, result: Any) -> int:
    """Wait for the operations (unless --no-wait), then print the outcome."""
    out = outcome(result)
    args = ctx.args
    if out.data is not None or not out.operations:
        print(json.dumps(plain(out.data), indent=None if args.json else 1, ensure_ascii=False))
        return EXIT_OK
    ops = out.operations
    if not getattr(args, "no_wait", False):
        ops = [op if op.state in TERMINAL else ctx.runtime.txpipe.wait(op.id, args.timeout)
               for op in ops]  # fmt: skip
    body: dict[str, Any] = {}
    if out.kind is not None:
        body["kind"] = out.kind
    if out.resource_id is not None:
        body["id"] = out.resource_id
    body.update(out.extra)
    body["operation"] = ops[-1].to_public()
    if len(ops) > 1:
        body["operations"] = [op.to_public() for op in ops]
    failed = next((op for op in ops if op.state in TERMINAL and op.state != MINED), None)
    if failed is not None:
        code = failed.error_code or f"operation-{failed.state}"
        detail = failed.error_detail or f"operation {failed.id} ended {failed.state}"
        if args.json:
            print(json.dumps({"code": code, "detail": detail, **body}))
        print(f"error [{code}]: the transaction was {failed.state}: {detail}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(body, ensure_ascii=False))
    else:
        what = " ".join(p for p in (out.kind, out.resource_id) if p)
        print(f"{what}: {_op_line(ops[-1])}" if what else _op_line(ops[-1]))
    return EXIT_OK


def run(args: argparse.Namespace, settings: LedgerSettings) -> int:
    """Run one workflow command (``args.handler``) and report errors as one sentence."""
    ctx = Ctx(args, settings)
    try:
        return finish(ctx, args.handler(ctx, args))
    except UsageError as exc:
        return _error(args, "validation-failed", str(exc), EXIT_USAGE)
    except LedgerError as exc:
        return _error(args, exc.error_code, exc.detail, EXIT_FAILED)
    except (ChainUnavailableError, ConnectionError) as exc:
        return _error(args, "chain-unavailable", str(exc), EXIT_FAILED)
    except KeystoreError as exc:
        return _error(args, "keystore-unavailable", str(exc), EXIT_FAILED)
    except DeploymentError as exc:
        return _error(args, "deployment", str(exc), EXIT_FAILED)


def _error(args: argparse.Namespace, code: str, detail: str, status: int) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"code": code, "detail": detail}))
    print(f"error [{code}]: {detail}", file=sys.stderr)
    return status


# ---------------------------------------------------------------------------- argument types


def json_file(value: str) -> Any:
    """A JSON document from a file (``-`` for standard input)."""
    try:
        text = sys.stdin.read() if value == "-" else Path(value).read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"cannot read JSON from {value}: {exc}") from None
    if not isinstance(document, dict):
        raise argparse.ArgumentTypeError(f"{value} must hold a JSON object")
    return document


def bracket(value: str) -> tuple[int, int]:
    """``LOWER:BPS``: the bracket's lower bound in fen and the operator's share in bps."""
    lower, sep, bps = value.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(lower.replace("_", "")), int(bps)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a bracket is LOWER_FEN:OPERATOR_BPS, e.g. 0:2000, not {value!r}"
        ) from None


def _bounds(brackets: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    return [b[0] for b in brackets], [b[1] for b in brackets]


# ---------------------------------------------------------------------------- handlers


def org_create(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    body = model(orgs.OrgCreate, name=a.name, kind=a.kind, city_code=a.city,
                 signer_address=a.signer)  # fmt: skip
    return orgs.create_org(ctx.runtime, ctx.principal(), body, **ctx.opts(body))


def org_list(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.list_orgs(ctx.runtime, ctx.principal())


def org_show(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.get_org(ctx.runtime, ctx.principal(), a.target)


def org_import(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    body = model(orgs.OrgImport, org_id=a.target, name=a.name, key_id=a.key)
    return orgs.import_org(ctx.runtime, ctx.principal(), body)


def key_create(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.create_key(ctx.runtime, ctx.principal())


def key_list(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.list_keys(ctx.runtime, ctx.principal())


def org_rotate_key(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import orgs

    return orgs.rotate_key(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


def user_create(ctx: Ctx, a: argparse.Namespace) -> Any:
    """A user of an organisation (its admin, or the consortium admin); key shown once."""
    principal = ctx.principal()
    org_id = normalise_org_id(a.target)
    if not principal.is_consortium_admin and not (
        principal.org_id == org_id and principal.role == "admin"
    ):
        raise NotAuthorised(
            f"users of {org_id} are created by an admin of that organisation or the "
            f"consortium admin; this key is a {principal.role} of {principal.org_id}"
        )
    user, key = ctx.runtime.accounts.create_user(org_id, a.name, a.role)
    return {"id": user.id, "org_id": user.org_id, "name": user.name, "role": user.role,
            "api_key": key, "note": "the API key is shown once: store it now"}  # fmt: skip


def me(ctx: Ctx, a: argparse.Namespace) -> Any:
    return ctx.principal()


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


def cert_issue(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import certificates

    return certificates.issue_certificate(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


def cert_renew(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import certificates

    return certificates.renew_certificate(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


def cert_amend(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import certificates

    body = model(certificates.AmendmentIn, kind=a.kind, metadata=a.metadata)
    return certificates.amend_certificate(ctx.runtime, ctx.principal(), a.target, body,
                                          **ctx.opts(body))  # fmt: skip


def cert_revoke(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import certificates

    body = model(certificates.RevocationIn, reason_code=ManualRevocationReason(a.reason))
    return certificates.revoke_certificate(ctx.runtime, ctx.principal(), a.target, body,
                                           **ctx.opts(body))  # fmt: skip


def cert_recognise(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import certificates

    return certificates.recognise(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


def cert_withdraw(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import certificates

    return certificates.withdraw_recognition(ctx.runtime, ctx.principal(), a.target,
                                             **ctx.opts())  # fmt: skip


def cert_show(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service.common import CERTIFICATE_STATUSES, b32, chain_certificate, view

    ctx.principal()
    record = chain_certificate(ctx.runtime, a.target)
    status = int(view(ctx.runtime, "certificateStatus", b32(a.target)))
    names = CERTIFICATE_STATUSES
    record["status"] = names[status] if status < len(names) else str(status)
    return record


def agreement_propose(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import certificates

    body = model(certificates.AgreementIn, partner_org_id=a.partner)
    return certificates.propose_agreement(ctx.runtime, ctx.principal(), body, **ctx.opts(body))


def agreement_sign(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import certificates

    return certificates.accept_agreement(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


def agreement_withdraw(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import certificates

    return certificates.withdraw_agreement(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


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


def schedule_set(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    lower, bps = _bounds(a.bracket)
    body = {"lower_bounds": lower, "operator_bps": bps}
    return revenue.set_schedule(ctx.runtime, ctx.principal(), a.target, lower, bps,
                                **ctx.opts(body))  # fmt: skip


def schedule_list(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    ctx.principal()
    return revenue.list_schedules(ctx.runtime, a.target)


def split_quote(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import revenue

    lower, bps = _bounds(a.bracket)
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


def pledge_request(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import financing

    body = model(financing.PledgeCreate, bank_org_id=a.bank, amount_fen=a.amount_fen,
                 contract_hash=a.contract_hash)  # fmt: skip
    return financing.request_pledge(ctx.runtime, ctx.principal(), a.target, body,
                                    **ctx.opts(body))  # fmt: skip


def pledge_confirm(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import financing

    return financing.confirm_pledge(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


def pledge_release(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import financing

    return financing.release_pledge(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


def credit_line(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import financing

    body = model(financing.CreditLineCreate, amount_fen=a.amount_fen,
                 agreement_hash=a.agreement_hash)  # fmt: skip
    return financing.record_credit_line(ctx.runtime, ctx.principal(), a.target, body,
                                        **ctx.opts(body))  # fmt: skip


def equity(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import financing

    body = model(financing.EquityCreate, valuation_fen=a.valuation_fen,
                 investee_hash=a.investee_hash)  # fmt: skip
    return financing.record_equity_contribution(ctx.runtime, ctx.principal(), a.target, body,
                                                **ctx.opts(body))  # fmt: skip


def dispose_request(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import financing

    body = model(financing.DisposalIn, reason_hash=a.reason_hash)
    return financing.request_disposal(ctx.runtime, ctx.principal(), a.target, body,
                                      **ctx.opts(body))  # fmt: skip


def dispose_confirm(ctx: Ctx, a: argparse.Namespace) -> Any:
    from chain.service import financing

    return financing.confirm_disposal(ctx.runtime, ctx.principal(), a.target, **ctx.opts())


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


# ---------------------------------------------------------------------------- parser


Handler = Callable[[Ctx, argparse.Namespace], Any]


def _common(*, key: bool = True, write: bool = False) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print JSON")
    if key:
        parent.add_argument("--api-key", help=f"the user's API key (default: ${API_KEY_ENV})")
    parent.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the operation (default 120)")  # fmt: skip
    parent.add_argument("--no-wait", action="store_true",
                        help="print the operation id without waiting for the receipt")  # fmt: skip
    if write:
        parent.add_argument("--idempotency-key",
                            help="same key and input -> the same operation, another input -> "
                            "idempotency-conflict")  # fmt: skip
    else:
        parent.set_defaults(idempotency_key=None)
    return parent


def _verdict(parser: argparse.ArgumentParser, dest: str, yes: str, no: str) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(f"--{yes}", dest=dest, action="store_true")
    group.add_argument(f"--{no}", dest=dest, action="store_false")


def add_commands(sub: Any) -> None:
    """Add the workflow commands to ``ledger``'s subparsers."""
    writer = _common(write=True)
    reader = _common()
    anyone = _common(key=False)

    def leaf(group: Any, name: str, handler: Handler, helptext: str, *, parent: Any = writer,
             target: str | None = None) -> argparse.ArgumentParser:  # fmt: skip
        p: argparse.ArgumentParser = group.add_parser(name, parents=[parent], help=helptext,
                                                      description=helptext)  # fmt: skip
        p.set_defaults(handler=handler, path=f"{group_name(group)} {name}".strip())
        if target:
            p.add_argument("target", metavar=target)
        return p

    def group_of(name: str, helptext: str) -> Any:
        g = sub.add_parser(name, help=helptext, description=helptext)
        s = g.add_subparsers(dest="action", required=True)
        s._ledger_group = name
        return s

    def group_name(group: Any) -> str:
        return str(getattr(group, "_ledger_group", ""))

    g = group_of("org", "organisations")
    p = leaf(g, "create", org_create, "admit an organisation (registrar: consortium admin; "
             "others: the admin of the city's registrar)")  # fmt: skip
    p.add_argument("--kind", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--city", type=int, help="city code (required for a registrar)")
    p.add_argument("--signer", help="signing address whose key another gateway holds (from "
                   "its `ledger key create`); the org is then external here")  # fmt: skip
    p = leaf(g, "import", org_import, "sign for an org admitted elsewhere with a key of this "
             "gateway (the chain must show the key signing for it)", target="ORG")  # fmt: skip
    p.add_argument("--name", required=True, help="the name the org was admitted with")
    p.add_argument("--key", required=True, help="the key id from `ledger key create`")
    leaf(g, "list", org_list, "organisations known to this gateway", parent=reader)
    leaf(g, "show", org_show, "one organisation with its on-chain record", parent=reader,
         target="ORG")  # fmt: skip
    leaf(g, "rotate-key", org_rotate_key, "new signing key on chain, old one removed",
         target="ORG")  # fmt: skip

    g = group_of("key", "signing keys held by this gateway")
    leaf(g, "create", key_create, "create a signing key bound to no org yet; give its address "
         "to the gateway that admits the org")  # fmt: skip
    leaf(g, "list", key_list, "keys created with `ledger key create`", parent=reader)

    g = group_of("user", "users and API keys")
    p = leaf(g, "create", user_create, "create a user of an organisation; its API key is "
             "printed once", target="ORG")  # fmt: skip
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=["admin", "writer", "reader"])

    top = argparse.Namespace(_ledger_group="")
    top.add_parser = sub.add_parser
    leaf(top, "me", me, "the user of the API key", parent=reader)

    g = group_of("asset", "data resources and assets")
    p = leaf(g, "register", asset_register, "register a data resource (holder)")
    p.add_argument("--catalogue-code", required=True)
    p.add_argument("--domain", type=int, required=True, help="domain code")
    p.add_argument("--metadata", type=json_file, required=True, metavar="FILE.json")
    p = leaf(g, "value", asset_value, "record the valuation (registrar)", target="ASSET")
    p.add_argument("--value-fen", type=int, required=True)
    p.add_argument("--method", type=int, required=True, help="valuation method code")
    p.add_argument("--report-hash", required=True, help="commitment of the valuation report")
    p = leaf(g, "compliance", asset_compliance, "record the compliance result (registrar)",
             target="ASSET")  # fmt: skip
    _verdict(p, "passed", "passed", "failed")
    p.add_argument("--report-hash", required=True, help="commitment of the compliance report")
    p = leaf(g, "object", asset_object, "lodge an objection in the notice window",
             target="ASSET")  # fmt: skip
    p.add_argument("--reason-hash", required=True)
    p = leaf(g, "resolve-objection", asset_resolve_objection, "uphold or dismiss an objection "
             "(registrar)", target="OBJECTION")  # fmt: skip
    _verdict(p, "upheld", "uphold", "dismiss")
    p.add_argument("--resolution-hash", required=True)
    p = leaf(g, "dispute", asset_dispute, "record an ownership dispute (registrar)",
             target="ASSET")  # fmt: skip
    p.add_argument("--reason-hash", required=True)
    p = leaf(g, "resolve-dispute", asset_resolve_dispute, "resolve the ownership dispute "
             "(registrar)", target="ASSET")  # fmt: skip
    p.add_argument("--resolution-hash", required=True)
    leaf(g, "show", asset_show, "the asset's on-chain record", parent=reader, target="ASSET")

    g = group_of("cert", "certificates and recognition")
    leaf(g, "issue", cert_issue, "issue the certificate after the notice window (registrar)",
         target="ASSET")  # fmt: skip
    leaf(g, "renew", cert_renew, "extend the certificate by one term (registrar)", target="CERT")
    p = leaf(g, "amend", cert_amend, "change, correction or deregistration (registrar)",
             target="CERT")  # fmt: skip
    p.add_argument("--kind", required=True, choices=["change", "correction", "deregistration"])
    p.add_argument("--metadata", type=json_file, required=True, metavar="FILE.json")
    p = leaf(g, "revoke", cert_revoke, "revoke (issuing registrar)", target="CERT")
    p.add_argument("--reason", type=int, required=True,
                   choices=[int(r) for r in ManualRevocationReason],
                   help="revocation reason: " + ", ".join(
                       f"{r.code} {r.en}" for r in manual_revocation_choices()))  # fmt: skip
    leaf(g, "recognise", cert_recognise, "recognise a certificate (partner registrar, exchange)",
         target="CERT")  # fmt: skip
    leaf(g, "withdraw-recognition", cert_withdraw, "withdraw a recognition", target="CERT")
    leaf(g, "show", cert_show, "the certificate's on-chain record and status", parent=reader,
         target="CERT")  # fmt: skip

    g = group_of("agreement", "bilateral recognition agreements between registrars")
    p = leaf(g, "propose", agreement_propose, "propose an agreement to a partner registrar")
    p.add_argument("--partner", required=True, metavar="ORG")
    leaf(g, "sign", agreement_sign, "sign (accept) a proposed agreement", target="AGREEMENT")
    leaf(g, "withdraw", agreement_withdraw, "withdraw an agreement", target="AGREEMENT")

    g = group_of("app", "paid-use applications")
    p = leaf(g, "apply", app_apply, "apply for paid use (holder)", target="ASSET")
    p.add_argument("--operator", required=True, metavar="ORG")
    p.add_argument("--scope", type=json_file, required=True, metavar="FILE.json")
    for name, handler, helptext in (
        ("review", app_review, "review (competent department, data administration)"),
        ("decide", app_decide, "decide last (finance department)"),
    ):
        p = leaf(g, name, handler, helptext, target="APP")
        _verdict(p, "approve", "approve", "reject")
        p.add_argument("--reason-hash")

    g = group_of("schedule", "revenue split schedules")
    p = leaf(g, "set", schedule_set, "set a new schedule version (finance department)",
             target="ASSET")  # fmt: skip
    p.add_argument("--bracket", type=bracket, action="append", required=True,
                   metavar="LOWER_FEN:BPS", help="repeat, lowest bracket first")  # fmt: skip
    leaf(g, "list", schedule_list, "every schedule version", parent=reader, target="ASSET")

    g = group_of("split", "split amounts by a schedule")
    p = leaf(g, "quote", split_quote, "split an amount by brackets (no key needed)",
             parent=anyone)  # fmt: skip
    p.add_argument("--bracket", type=bracket, action="append", required=True,
                   metavar="LOWER_FEN:BPS")  # fmt: skip
    p.add_argument("--amount", type=int, required=True, help="fen")
    p = leaf(g, "preview", split_preview, "split an amount by the asset's current schedule",
             parent=reader, target="ASSET")  # fmt: skip
    p.add_argument("--amount", type=int, required=True, help="fen")

    p = leaf(top, "pay", pay, "pay for an asset's use in tokens (merchant), or record an "
             "off-chain payment (operator, --offchain)", target="ASSET")  # fmt: skip
    p.add_argument("--amount", type=int, required=True, help="fen")
    p.add_argument("--reference", required=True, help="payment or bank reference")
    p.add_argument("--offchain", action="store_true")
    p = leaf(top, "remit", remit, "confirm an off-chain payment's treasury share was remitted "
             "(finance department)", target="PAYMENT")  # fmt: skip
    p.add_argument("--reference", required=True, help="remittance reference")

    g = group_of("payment", "payments")
    leaf(g, "show", payment_show, "one payment", parent=reader, target="PAYMENT")
    leaf(g, "list", payment_list, "payments of an asset", parent=reader, target="ASSET")
    leaf(g, "remittance", remittance_show, "an asset's totals and outstanding remittance",
         parent=reader, target="ASSET")  # fmt: skip

    g = group_of("account", "treasury and payout accounts")
    p = leaf(g, "treasury", account_treasury, "set a city's treasury account (finance)")
    p.add_argument("city", type=int, metavar="CITY")
    p.add_argument("account", metavar="ADDRESS")
    p = leaf(g, "payout", account_payout, "set an operator's payout account (operator)",
             target="ORG")  # fmt: skip
    p.add_argument("account", metavar="ADDRESS")
    leaf(top, "balance", balance, "settlement-token balance of an organisation", parent=reader,
         target="ORG")  # fmt: skip
    p = leaf(top, "faucet", faucet, "mint test tokens (consortium admin; memory and local "
             "chains)", target="ORG")  # fmt: skip
    p.add_argument("--amount", type=int, required=True, help="fen")

    g = group_of("pledge", "pledges")
    p = leaf(g, "request", pledge_request, "request a pledge (holder)", target="ASSET")
    p.add_argument("--bank", required=True, metavar="ORG")
    p.add_argument("--amount-fen", type=int, required=True)
    p.add_argument("--contract-hash", required=True)
    leaf(g, "confirm", pledge_confirm, "confirm the pledge (its bank)", target="PLEDGE")
    leaf(g, "release", pledge_release, "release the pledge (its bank)", target="PLEDGE")

    g = group_of("financing", "credit lines and equity contributions")
    p = leaf(g, "credit-line", credit_line, "record a credit line (bank)", target="ASSET")
    p.add_argument("--amount-fen", type=int, required=True)
    p.add_argument("--agreement-hash", required=True)
    p = leaf(g, "equity", equity, "record an equity contribution (holder)", target="ASSET")
    p.add_argument("--valuation-fen", type=int, required=True)
    p.add_argument("--investee-hash", required=True)

    g = group_of("dispose", "disposal")
    p = leaf(g, "request", dispose_request, "request disposal (holder)", target="ASSET")
    p.add_argument("--reason-hash", required=True)
    leaf(g, "confirm", dispose_confirm, "confirm disposal (registrar)", target="ASSET")

    g = group_of("op", "operations")
    leaf(g, "show", op_show, "an operation of the caller's organisation", parent=reader,
         target="OP_ID")  # fmt: skip
