"""The context a workflow command runs in: settings, the runtime (built lazily by
:data:`RUNTIME_FACTORY`) and the user of the API key."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from chain.accounts import Principal
from chain.errors import NotAuthenticated
from chain.runtime import ADMIN_KEY, LedgerRuntime
from chain.settings import LedgerSettings
from chain.txpipe import request_hash

API_KEY_ENV = "LEDGER_API_KEY"

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
