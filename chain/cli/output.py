"""What a workflow command prints: the outcome (operations, created record or a read's
result) as one line or JSON, and errors as one sentence with the code."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from chain.cli.context import Ctx
from chain.errors import jsonable
from chain.txpipe import MINED, TERMINAL, Operation

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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


def error(args: argparse.Namespace, code: str, detail: str, status: int) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"code": code, "detail": detail}))
    print(f"error [{code}]: {detail}", file=sys.stderr)
    return status
