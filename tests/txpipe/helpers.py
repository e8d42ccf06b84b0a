"""Helpers for write-path tests: an OutboxProbe deployment, a pipeline, a test anvil."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.contract import Contract

from chain import localnode
from chain.artifacts import load
from chain.clients import ChainHandle, http_chain, send_signed
from chain.db import Base, make_engine, session_factory
from chain.txpipe import TxPipeline

PROBE = "OutboxProbe"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def anvil_config(folder: Path) -> localnode.LocalNodeConfig:
    """A throw-away automining anvil under ``folder`` on a free port."""
    base = localnode.load_config().with_dir(folder)
    return dataclasses.replace(base, port=free_port(), block_time=0, state_interval=1)


def anvil_handle(config: localnode.LocalNodeConfig) -> ChainHandle:
    return http_chain(config.url, "local", config.chain_id, poa=False)


def deploy_probe(handle: ChainHandle, deployer: LocalAccount | None = None) -> Contract:
    deployer = deployer or Account.create()
    handle.fund(deployer.address)
    artifact = load(PROBE)
    receipt = send_signed(handle, deployer, {"data": artifact.bytecode, "gas": 2_000_000})
    return handle.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def sessions_for(url: str) -> sessionmaker[Session]:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    return session_factory(engine)


def make_pipeline(handle: ChainHandle, db_url: str, **kwargs: Any) -> TxPipeline:
    return TxPipeline(handle, sessions_for(db_url), **kwargs)


def key(n: int | str) -> bytes:
    return Web3.keccak(text=f"probe-{n}")


def record(pipeline: TxPipeline, signer: LocalAccount, probe: Contract, n: int,
           caller: str = "user-a", value: int | None = None) -> Any:  # fmt: skip
    """``OutboxProbe.record(key(n), value)`` (default ``n + 1``; zero is refused) through
    ``submit``: the journaled operation."""
    return pipeline.submit(
        signer, PROBE, probe.address, probe.abi, "record",
        [key(n), n + 1 if value is None else value], caller=caller, org_id=None,
    )  # fmt: skip
