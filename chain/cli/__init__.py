"""``ledger``: the command line of the data asset ledger.

    ledger run                 start the local node (local mode), deploy once, serve
    ledger serve [--workers N] serve the gateway against the configured chain (N processes
                               on one PostgreSQL database)
    ledger node start|stop|restart|status
    ledger deploy [--redeploy] deploy (or find) the contracts and print the record
    ledger compile             rebuild chain/artifacts from contracts/
    ledger verify --rpc-url URL --registry 0x... document.json | --qr IMAGE | --pdf FILE
                               verify a certificate with nothing but a node and the registry
    ledger verify --offline-keys keys.json --qr IMAGE
                               check authenticity with no network, as of the key list's export
    ledger keys export keys.json --rpc-url URL --registry 0x... --key-file KEY
                               export the registrars' signing keys, signed, for offline checks
    ledger demo                seed the notice's scenario on the running gateway (HTTP)
    ledger backup DIR | restore DIR [--force]
                               database, keystores and deployment records (local files)

These operator commands act on this host's ``LEDGER_*`` settings. Workflow commands act
as a user of a gateway over HTTP: only ``LEDGER_API_URL`` (default
``http://127.0.0.1:8000``) and ``LEDGER_API_KEY`` (or ``--api-url``, ``--api-key``); see
``chain/cli/workflows.py``::

    ledger org create --kind holder --name NAME     ledger user create ORG --name N --role writer
    ledger org terms|activate|deactivate ORG ...    ledger user list ORG | revoke|rotate USER
    ledger asset register|value|compliance|show ... ledger cert issue|revoke|recognise|show ...
    ledger agreement propose|sign|withdraw ...      ledger app apply|review|decide ...
    ledger schedule set ASSET --bracket 0:2000 ...  ledger split quote --bracket ... --amount N
    ledger pay ASSET --amount N --reference REF     ledger remit PAYMENT --reference REF
    ledger pledge request|confirm|release ...       ledger dispose request|confirm ASSET
    ledger op show OP_ID                            (--json, --no-wait, --idempotency-key)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chain import localnode
from chain.cli import backup, demo, keys, operator, workflows


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["verify"]:  # the independent verifier keeps its own options
        return operator.cmd_verify(argparse.Namespace(rest=argv[1:]))
    parser = argparse.ArgumentParser(prog="ledger", description="data asset ledger")
    sub = parser.add_subparsers(dest="command", required=True)
    commands: dict[str, operator.Command] = {}
    operator.add_commands(sub, commands)
    backup.add_commands(sub, commands)
    demo.add_command(sub)
    commands["demo"] = demo.cmd_demo
    keys.add_command(sub)
    commands["keys"] = keys.cmd_keys
    workflows.add_commands(sub)

    args = parser.parse_args(argv)
    try:
        if getattr(args, "handler", None) is not None:
            return workflows.run(args)
        return commands[args.command](args)
    except localnode.LocalNodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
