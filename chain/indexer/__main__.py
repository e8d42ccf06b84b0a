"""``python -m chain.indexer run``: follow the deployment's contracts into the store."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from chain.artifacts import load
from chain.clients import connect, http_chain
from chain.db import make_engine, session_factory
from chain.deploy import read_record
from chain.index_store import index_engine, move_index_tables
from chain.indexer.core import Indexer
from chain.indexer.decoder import ContractSpec
from chain.indexer.models import create_tables
from chain.indexer.runner import IndexerRunner, deployment_specs
from chain.settings import LedgerSettings


def _contract(value: str) -> ContractSpec:
    """NAME=ADDRESS[@ARTIFACT,ARTIFACT...] (ABIs merged; default artifact NAME)."""
    name, _, rest = value.partition("=")
    address, _, artifacts = rest.partition("@")
    abi = [item for a in (artifacts or name).split(",") for item in load(a).abi]
    return ContractSpec(name=name, address=address, abi=abi)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chain.indexer")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="follow the contracts' logs into the database")
    run.add_argument("--once", action="store_true", help="catch up, then exit")
    run.add_argument("--batch-size", type=int, default=500)
    run.add_argument("--confirmations", type=int, help="default: LEDGER_CONFIRMATIONS")
    run.add_argument("--poll", type=float, default=1.0, help="seconds between idle polls")
    run.add_argument("--rpc-url", help="default: the chain LEDGER_CHAIN names")
    run.add_argument("--database-url", help="default: LEDGER_DATABASE_URL or var/ledger.db")
    run.add_argument("--contract", action="append", type=_contract, default=[],
                     help="NAME=ADDRESS[@ARTIFACT,...] instead of the deployment record")
    run.add_argument("--start-block", type=int, help="with --contract: first block")
    run.add_argument("--follow-stdin", action="store_true",
                     help="step at once on each byte read from stdin, stop at its end (the "
                          "gateway that started this process holds the other end)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    settings = LedgerSettings()
    handle = (
        http_chain(args.rpc_url, "rpc", None, poa=settings.poa)
        if args.rpc_url
        else connect(settings)
    )
    if args.contract:
        specs = list(args.contract)
        start = args.start_block if args.start_block is not None else 0
    else:
        deployment = read_record(settings.deployments_dir, handle.chain_id)
        if deployment is None:
            print(f"no deployment record for chain {handle.chain_id}", file=sys.stderr)
            return 2
        specs = deployment_specs(deployment)
        start = deployment.deployment_block
    # a SQLite file's index lives in the file beside it (chain.index_store)
    store = make_engine(args.database_url or settings.resolved_database_url)
    move_index_tables(store)
    engine = index_engine(store)
    create_tables(engine)
    indexer = Indexer(
        handle.w3,
        session_factory(engine),
        specs,
        start_block=start,
        chain_id=handle.chain_id,
        batch_size=args.batch_size,
        confirmations=settings.confirmations if args.confirmations is None else args.confirmations,
    )
    if args.once:
        events = indexer.sync()
        print(f"indexed {events} events; status {indexer.status()}")
        return 0
    runner = IndexerRunner(indexer, poll_interval=args.poll)

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        runner.stop_soon()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.follow_stdin:
        threading.Thread(target=_follow_stdin, args=(runner,), daemon=True).start()
    runner.run()
    return 0


def _follow_stdin(runner: IndexerRunner) -> None:
    """A byte on stdin: a write waits to read what it wrote, step now. The end of stdin:
    the gateway that holds the other end is gone, stop."""
    while True:
        try:
            data = os.read(sys.stdin.fileno(), 64)
        except OSError:
            data = b""
        if not data:
            runner.stop_soon()
            return
        runner.wake()


if __name__ == "__main__":
    sys.exit(main())
