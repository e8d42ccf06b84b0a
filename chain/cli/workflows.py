"""``ledger`` workflow commands: act as a user (API key) through the same ``chain.service``
functions the gateway's routes call.

Each command parses its arguments, authenticates the key (``--api-key`` or
``LEDGER_API_KEY``) with ``runtime.accounts.authenticate`` as the gateway does, calls one
service function and prints the result. Writes wait for the operation to be mined
unless ``--no-wait`` is given (then the operation id is printed; follow it with
``ledger op show``). ``--json`` prints JSON; otherwise one short line.

Exit codes: 0 done, 1 refused or failed (one sentence with the error code on stderr),
2 usage (bad arguments or input that does not validate).

The runtime is built by ``chain.cli.context.RUNTIME_FACTORY`` (``LedgerRuntime.start``
against the configured chain); tests and tools may replace it to share one runtime.
"""

from __future__ import annotations

import argparse
from typing import Any

from chain.cli import applications, assets, certificates, financing, operations, orgs, revenue
from chain.cli.context import Ctx
from chain.cli.output import EXIT_FAILED, EXIT_USAGE, error, finish
from chain.cli.parsing import CommandTree, UsageError
from chain.clients import ChainUnavailableError
from chain.deploy import DeploymentError
from chain.errors import LedgerError
from chain.keys import KeystoreError
from chain.settings import LedgerSettings

RESOURCES = (orgs, assets, certificates, applications, revenue, financing, operations)


def add_commands(sub: Any) -> None:
    """Add the workflow commands to ``ledger``'s subparsers."""
    tree = CommandTree(sub)
    for resource in RESOURCES:
        resource.register(tree)


def run(args: argparse.Namespace, settings: LedgerSettings) -> int:
    """Run one workflow command (``args.handler``) and report errors as one sentence."""
    ctx = Ctx(args, settings)
    try:
        return finish(ctx, args.handler(ctx, args))
    except UsageError as exc:
        return error(args, "validation-failed", str(exc), EXIT_USAGE)
    except LedgerError as exc:
        return error(args, exc.error_code, exc.detail, EXIT_FAILED)
    except (ChainUnavailableError, ConnectionError) as exc:
        return error(args, "chain-unavailable", str(exc), EXIT_FAILED)
    except KeystoreError as exc:
        return error(args, "keystore-unavailable", str(exc), EXIT_FAILED)
    except DeploymentError as exc:
        return error(args, "deployment", str(exc), EXIT_FAILED)
