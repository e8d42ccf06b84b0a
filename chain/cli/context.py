"""The context a workflow command runs in: its arguments and the gateway it talks to.

Reads answer what the gateway answers. Writes send ``?wait=true`` (with
``wait_timeout`` from ``--timeout``, at most the gateway's 120 s) unless ``--no-wait``,
and ``--idempotency-key`` as the ``Idempotency-Key`` header; an operation still in
flight when the gateway answers is followed with ``GET /v1/operations/{id}`` until it
ends or ``--timeout`` passes.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import quote

from chain.cli.gateway import MAX_WAIT_SECONDS, Gateway
from chain.cli.output import TERMINAL, Outcome

RESOURCE_ID_HEADER = "Ledger-Resource-Id"
PAYMENT_ID_HEADER = "Payment-Id"
NEW_SIGNER_HEADER = "Ledger-New-Signer"
POLL_SECONDS = 0.25


def is_operation(payload: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(payload, dict) and {"id", "state", "tx_hash"} <= payload.keys()


@dataclass
class Ctx:
    args: argparse.Namespace
    gateway: Gateway

    @property
    def waits(self) -> bool:
        return not getattr(self.args, "no_wait", False)

    def read(self, path: str, params: dict[str, Any] | None = None, *,
             auth: bool = True) -> Outcome:  # fmt: skip
        """``GET path``: the answer as it is."""
        return Outcome(data=self.gateway.request("GET", path, params=params, auth=auth).json())

    def send(self, method: str, path: str, body: Any = None, *, kind: str | None = None,
             auth: bool = True) -> Outcome:  # fmt: skip
        """A write: its operation (followed until it ends unless ``--no-wait``) with the
        id of the record it creates; an answer that is no operation is printed as is."""
        started = time.monotonic()
        params: dict[str, Any] = {}
        if self.waits:
            params = {"wait": "true", "wait_timeout": min(self.args.timeout, MAX_WAIT_SECONDS)}
        headers = {}
        if getattr(self.args, "idempotency_key", None):
            headers["Idempotency-Key"] = self.args.idempotency_key
        response = self.gateway.request(
            method, path, body=body, params=params, headers=headers, auth=auth
        )
        payload = response.json() if response.content else None
        if not is_operation(payload):
            return Outcome(data=payload)
        op = payload
        if self.waits and op["state"] not in TERMINAL:
            op = self.follow(op["id"], started + self.args.timeout)
        extra = {}
        if NEW_SIGNER_HEADER in response.headers:
            extra["new_signer"] = response.headers[NEW_SIGNER_HEADER]
        resource_id = response.headers.get(RESOURCE_ID_HEADER) or response.headers.get(
            PAYMENT_ID_HEADER
        )
        return Outcome(operation=op, kind=kind, resource_id=resource_id, extra=extra)

    def follow(self, op_id: str, deadline: float) -> dict[str, Any]:
        """The operation once it ended, or as it is at ``deadline``."""
        while True:
            op: dict[str, Any] = self.gateway.request("GET", f"/v1/operations/{op_id}").json()
            if op["state"] in TERMINAL or time.monotonic() >= deadline:
                return op
            time.sleep(POLL_SECONDS)


def seg(value: str) -> str:
    """``value`` as one path segment."""
    return quote(value, safe="")
