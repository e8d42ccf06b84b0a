"""Operator commands of ``ledger``: the local node, deployment, the gateway and the
independent verifier (they act on this host's settings, not as a user)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from chain import localnode
from chain.cli import node_lease
from chain.settings import LedgerSettings

Command = Callable[[argparse.Namespace], int]


def settings_for(args: argparse.Namespace) -> LedgerSettings:
    settings = LedgerSettings()
    if getattr(args, "redeploy", False):
        settings = settings.model_copy(update={"redeploy": True})
    return settings


def cmd_compile(args: argparse.Namespace) -> int:
    from chain.compiler import main as compile_main

    compile_main()
    return 0


def node_config(settings: LedgerSettings) -> localnode.LocalNodeConfig:
    """The local node of ``localnode.toml`` with its state, log and pid under
    ``LEDGER_VAR_DIR`` (default ``var/``)."""
    return localnode.config_for(settings.localnode_config, settings.var_dir)


def cmd_node(args: argparse.Namespace) -> int:
    config = node_config(settings_for(args))
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

    runtime = LedgerRuntime.start(settings_for(args))
    print(json.dumps(runtime.chain_info(), indent=1))
    return 0


def _serve(settings: LedgerSettings) -> None:
    import uvicorn

    from api.main import create_app

    app = create_app(settings)
    print(f"gateway on http://{settings.host}:{settings.port}  (chain: {settings.chain})")
    print(f"  try: curl http://{settings.host}:{settings.port}/v1/chain")
    print(
        f"  demo data, in another shell: make demo (LEDGER_API_URL=http://{settings.host}:"
        f"{settings.port} .venv/bin/ledger demo)",
        flush=True,
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


def _prepare_shared(settings: LedgerSettings) -> None:
    """Before the worker processes start: deploy (or find) the contracts, migrate the
    database, create the consortium org and bootstrap admin, reconcile the outbox - once,
    so the workers only find what is there."""
    from chain.indexer.models import create_tables
    from chain.runtime import LedgerRuntime

    runtime = LedgerRuntime.start(settings)
    create_tables(runtime.index_engine)
    runtime.open()
    runtime.close()
    runtime.engine.dispose()


def _serve_workers(settings: LedgerSettings, workers: int) -> int:
    """``workers`` gateway processes on one port, sharing the PostgreSQL database (nonce
    rows and payer locks live there) and the keystore."""
    import uvicorn

    if settings.resolved_database_url.startswith("sqlite"):
        print(
            "--workers above 1 needs a database all processes share with row and advisory "
            "locks: set LEDGER_DATABASE_URL to PostgreSQL (SQLite serves one process)",
            file=sys.stderr,
        )
        return 2
    _prepare_shared(settings)
    print(f"gateway on http://{settings.host}:{settings.port} with {workers} worker processes "
          f"(chain: {settings.chain})", flush=True)  # fmt: skip
    uvicorn.run(
        "api.main:create_app", factory=True, host=settings.host, port=settings.port,
        workers=workers, log_level="info",
    )  # fmt: skip
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if localnode.port_in_use(settings.host, settings.port):
        print(f"port {settings.port} on {settings.host} is taken; set LEDGER_PORT", file=sys.stderr)
        return 2
    workers = int(getattr(args, "workers", 1))
    if workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    if workers > 1:
        return _serve_workers(settings, workers)
    _serve(settings)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if localnode.port_in_use(settings.host, settings.port):
        print(f"port {settings.port} on {settings.host} is taken; set LEDGER_PORT", file=sys.stderr)
        return 2
    lease = node_lease.acquire(node_config(settings)) if settings.chain == "local" else None
    try:
        _serve(settings)
    finally:
        if lease is not None:
            node_lease.release(lease)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from chain.verify_cli import main as verify_main

    return verify_main(args.rest, prog="ledger verify")


def add_commands(sub: Any, commands: dict[str, Command]) -> None:
    """Add the operator commands to ``ledger``'s subparsers and their handlers to
    ``commands``."""
    sub.add_parser("compile", help="rebuild contract artifacts")
    commands["compile"] = cmd_compile
    node = sub.add_parser("node", help="the local anvil node")
    node.add_argument("action", choices=["start", "stop", "restart", "status"])
    commands["node"] = cmd_node
    deploy = sub.add_parser("deploy", help="deploy or find the contracts")
    deploy.add_argument("--redeploy", action="store_true")
    commands["deploy"] = cmd_deploy
    serve = sub.add_parser("serve", help="serve the gateway")
    serve.add_argument(
        "--workers", type=int, default=1,
        help="gateway processes sharing the port and the database (PostgreSQL for more than 1)",
    )  # fmt: skip
    commands["serve"] = cmd_serve
    run = sub.add_parser("run", help="local node + deploy + gateway")
    run.add_argument("--redeploy", action="store_true")
    commands["run"] = cmd_run
    sub.add_parser("verify", help="verify a certificate document against the chain")
