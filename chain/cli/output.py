"""What a workflow command prints: the outcome (an operation with the record it created,
or a read's result) as one line or JSON, and errors as one sentence with the code."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MINED = "mined"
#: Operation states after which nothing changes any more.
TERMINAL = frozenset({"mined", "reverted", "failed", "dropped"})


@dataclass
class Outcome:
    """What a command produced: the operation of a write (as the gateway shows it) with
    the kind and id of the record it creates, or the result of a read."""

    operation: dict[str, Any] | None = None
    kind: str | None = None
    resource_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    data: Any = None


def op_line(op: dict[str, Any]) -> str:
    if op["state"] == MINED:
        return f"operation {op['id']} mined in block {op['block_number']} (tx {op['tx_hash']})"
    return (
        f"operation {op['id']} {op['state']} (tx {op['tx_hash']}); "
        f"follow it: ledger op show {op['id']}"
    )


def finish(args: argparse.Namespace, out: Outcome) -> int:
    """Print the outcome; an operation that ended other than mined is an error."""
    op = out.operation
    if op is None:
        print(json.dumps(out.data, indent=None if args.json else 1, ensure_ascii=False))
        return EXIT_OK
    body: dict[str, Any] = {}
    if out.kind is not None:
        body["kind"] = out.kind
    if out.resource_id is not None:
        body["id"] = out.resource_id
    body.update(out.extra)
    body["operation"] = op
    if op["state"] in TERMINAL and op["state"] != MINED:
        failure = op.get("error") or {}
        code = failure.get("code") or f"operation-{op['state']}"
        detail = failure.get("detail") or f"operation {op['id']} ended {op['state']}"
        if args.json:
            print(json.dumps({"code": code, "detail": detail, **body}))
        print(f"error [{code}]: the transaction was {op['state']}: {detail}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(body, ensure_ascii=False))
    else:
        what = " ".join(p for p in (out.kind, out.resource_id) if p)
        print(f"{what}: {op_line(op)}" if what else op_line(op))
    return EXIT_OK


def error(args: argparse.Namespace, code: str, detail: str, status: int,
          body: dict[str, Any] | None = None) -> int:  # fmt: skip
    """One sentence with the code on stderr; with ``--json`` the problem on stdout too."""
    if getattr(args, "json", False):
        print(json.dumps(body or {"code": code, "detail": detail}, ensure_ascii=False))
    print(f"error [{code}]: {' '.join(detail.split())}", file=sys.stderr)
    return status
