"""``ledger``: the command line of the data asset ledger.

    ledger run                 start the local node (local mode), deploy once, serve
    ledger serve               serve the gateway against the configured chain
    ledger node start|stop|restart|status
    ledger deploy [--redeploy] deploy (or find) the contracts and print the record
    ledger compile             rebuild chain/artifacts from contracts/
    ledger verify --rpc-url URL --registry 0x... document.json
                               verify a certificate with nothing but a node and the registry

Workflow commands act as a user (``--api-key`` or ``LEDGER_API_KEY``) and call the same
``chain.service`` functions as the gateway (see ``chain/cli_workflows.py``)::

    ledger org create --kind holder --name NAME     ledger user create ORG --name N --role writer
    ledger asset register|value|compliance|show ... ledger cert issue|revoke|recognise|show ...
    ledger agreement propose|sign|withdraw ...      ledger app apply|review|decide ...
    ledger schedule set ASSET --bracket 0:2000 ...  ledger split quote --bracket ... --amount N
    ledger pay ASSET --amount N --reference REF     ledger remit PAYMENT --reference REF
    ledger pledge request|confirm|release ...       ledger dispose request|confirm ASSET
    ledger op show OP_ID                            (--json, --no-wait, --idempotency-key)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from chain import cli_workflows, localnode
from chain.settings import LedgerSettings


def _settings(args: argparse.Namespace) -> LedgerSettings:
    settings = LedgerSettings()
    if getattr(args, "redeploy", False):
        settings = settings.model_copy(update={"redeploy": True})
    return settings


def cmd_compile(args: argparse.Namespace) -> int:
    from chain.compiler import main as compile_main

    compile_main()
    return 0


def cmd_node(args: argparse.Namespace) -> int:
    settings = _settings(args)
    config = localnode.load_config(settings.localnode_config)
    if args.action == "start":
        pid = localnode.start(config)
        print(f"local node running at {config.url} (chain id {config.chain_id}, pid {pid})")
    elif args.action == "stop":
        stopped = localnode.stop(config)
        print("local node stopped" if stopped else "no local node was running")
    elif args.action == "restart":
        pid = localnode.restart(config)
        print(f"local node restarted at {config.url} (pid {pid})")
    else:
        pid_or_none = localnode.recorded_pid(config)
        chain_id = localnode.rpc_chain_id(config.url)
        state = "running" if pid_or_none and chain_id else "stopped"
        print(f"local node {state} at {config.url} (pid {pid_or_none}, chain id {chain_id})")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from chain.runtime import LedgerRuntime

    runtime = LedgerRuntime.start(_settings(args))
    print(json.dumps(runtime.chain_info(), indent=1))
    return 0


def _serve(settings: LedgerSettings) -> None:
    import uvicorn

    from api.main import create_app

    app = create_app(settings)
    print(f"gateway on http://{settings.host}:{settings.port}  (chain: {settings.chain})")
    print(f"  try: curl http://{settings.host}:{settings.port}/v1/chain")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if localnode.port_in_use(settings.host, settings.port):
        print(f"port {settings.port} on {settings.host} is taken; set LEDGER_PORT", file=sys.stderr)
        return 2
    _serve(settings)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if localnode.port_in_use(settings.host, settings.port):
        print(f"port {settings.port} on {settings.host} is taken; set LEDGER_PORT", file=sys.stderr)
        return 2
    config = localnode.load_config(settings.localnode_config)
    started = False
    if settings.chain == "local":
        already = localnode.recorded_pid(config) is not None
        pid = localnode.start(config)
        started = not already
        print(f"local node at {config.url} (chain id {config.chain_id}, pid {pid})")
    try:
        _serve(settings)
    finally:
        if started:
            localnode.stop(config)
            print("local node stopped (state kept in " f"{config.state_file.parent})")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from chain.verify_cli import main as verify_main

    return verify_main(args.rest, prog="ledger verify")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["verify"]:  # the independent verifier keeps its own options
        return cmd_verify(argparse.Namespace(rest=argv[1:]))
    parser = argparse.ArgumentParser(prog="ledger", description="data asset ledger")
    sub = parser.add_subparsers(dest="command", required=True)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {}

    sub.add_parser("compile", help="rebuild contract artifacts")
    commands["compile"] = cmd_compile
    node = sub.add_parser("node", help="the local anvil node")
    node.add_argument("action", choices=["start", "stop", "restart", "status"])
    commands["node"] = cmd_node
    deploy = sub.add_parser("deploy", help="deploy or find the contracts")
    deploy.add_argument("--redeploy", action="store_true")
    commands["deploy"] = cmd_deploy
    sub.add_parser("serve", help="serve the gateway")
    commands["serve"] = cmd_serve
    run = sub.add_parser("run", help="local node + deploy + gateway")
    run.add_argument("--redeploy", action="store_true")
    commands["run"] = cmd_run
    sub.add_parser("verify", help="verify a certificate document against the chain")
    cli_workflows.add_commands(sub)

    args = parser.parse_args(argv)
    try:
        if getattr(args, "handler", None) is not None:
            return cli_workflows.run(args, _settings(args))
        return commands[args.command](args)
    except localnode.LocalNodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
