"""``ledger`` workflow commands: act as a user of a gateway over HTTP, like ``gh`` or
``kubectl``: only ``LEDGER_API_URL`` (default ``http://127.0.0.1:8000``) and
``LEDGER_API_KEY`` (or ``--api-url`` and ``--api-key``) are needed.

Each command maps to one documented route of the gateway (docs/api.md, "The command
line"). Writes wait for the operation to be mined (``?wait=true``) unless ``--no-wait``
is given (then the operation id is printed; follow it with ``ledger op show``).
``--idempotency-key`` is sent as the ``Idempotency-Key`` header. ``--json`` prints JSON;
otherwise one short line, or the read's JSON.

Exit codes: 0 done, 1 refused or failed (one sentence with the problem's code on
stderr), 2 usage (bad arguments, or a 422 ``validation-failed`` from the gateway).
"""

from __future__ import annotations

import argparse
from typing import Any

from chain.cli import applications, assets, certificates, financing, operations, orgs, revenue
from chain.cli.context import Ctx
from chain.cli.gateway import (
    MAX_WAIT_SECONDS,
    GatewayProblem,
    GatewayUnreachable,
    MissingApiKey,
    api_key,
    api_url,
    open_gateway,
)
from chain.cli.output import EXIT_FAILED, EXIT_USAGE, error, finish
from chain.cli.parsing import CommandTree

RESOURCES = (orgs, assets, certificates, applications, revenue, financing, operations)
#: Seconds an answer may take beyond the longest wait the command asks for.
HTTP_MARGIN_SECONDS = 30.0


def add_commands(sub: Any) -> None:
    """Add the workflow commands to ``ledger``'s subparsers."""
    tree = CommandTree(sub)
    for resource in RESOURCES:
        resource.register(tree)


def run(args: argparse.Namespace) -> int:
    """Run one workflow command (``args.handler``) against the gateway and report errors
    as one sentence."""
    url, key = api_url(args.api_url), api_key(getattr(args, "api_key", None))
    timeout = min(args.timeout, MAX_WAIT_SECONDS) + HTTP_MARGIN_SECONDS
    try:
        with open_gateway(url, key, timeout) as gateway:
            return finish(args, args.handler(Ctx(args, gateway), args))
    except GatewayProblem as exc:
        usage = exc.status == 422 and exc.code == "validation-failed"
        return error(args, exc.code, exc.detail, EXIT_USAGE if usage else EXIT_FAILED,
                     exc.body or None)  # fmt: skip
    except MissingApiKey as exc:
        return error(args, "not-authenticated", str(exc), EXIT_FAILED)
    except GatewayUnreachable as exc:
        return error(args, "gateway-unreachable", str(exc), EXIT_FAILED)
