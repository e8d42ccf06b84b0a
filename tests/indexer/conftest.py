"""Fixtures for the indexer: a test anvil, the probe contract and stores (SQLite, PostgreSQL)."""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain import localnode
from chain.artifacts import load
from chain.db import Base, make_engine, session_factory
from chain.indexer.decoder import ContractSpec
from chain.indexer.models import INDEXER_TABLES, create_tables
from chain.indexer.runner import FOLLOWED_CONTRACTS

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL")
STORES = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[localnode.LocalNodeConfig]:
    folder = tmp_path_factory.mktemp("indexer-anvil")
    config = dataclasses.replace(
        localnode.load_config().with_dir(folder), port=free_port(), block_time=0
    )
    localnode.start(config)
    yield config
    localnode.stop(config)


@pytest.fixture(scope="session")
def chain_w3(anvil_node: localnode.LocalNodeConfig) -> Web3:
    w3 = Web3(Web3.HTTPProvider(anvil_node.url, request_kwargs={"timeout": 30}))
    w3.eth.default_account = w3.eth.accounts[0]
    return w3


def deploy(w3: Web3, name: str) -> Any:
    artifact = load(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact())
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def ledger_abi() -> list[dict[str, Any]]:
    """The followed v2 contracts' events plus the probe's own ABI (for emitRaw)."""
    events = [i for n in FOLLOWED_CONTRACTS for i in load(n).abi if i["type"] == "event"]
    return [*load("IndexerProbe").abi, *events]


@pytest.fixture
def probe(chain_w3: Web3) -> Any:
    """A fresh probe contract (its logs are the only ones the indexer will see)."""
    return deploy(chain_w3, "IndexerProbe")


@pytest.fixture
def probe_spec(probe: Any) -> ContractSpec:
    return ContractSpec(name="AssetRegistryV2", address=probe.address, abi=ledger_abi())


def _reset(engine: Engine) -> None:
    tables = [Base.metadata.tables[t.__tablename__] for t in INDEXER_TABLES]
    Base.metadata.drop_all(engine, tables=tables)
    create_tables(engine)


def postgres_database(name: str) -> str:
    """The URL of a database of our own on the CI PostgreSQL, named after the test
    process's own database (tests/conftest.py), so parallel workers and concurrent runs
    never drop each other's tables; dropped with it at the end of the run."""
    assert POSTGRES_URL is not None
    base, _, own = POSTGRES_URL.rpartition("/")
    database = f"{name}_{own}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return f"{base}/{database}"


def new_store(kind: str, folder: Path, name: str = "ledger") -> Engine:
    if kind == "postgresql":
        engine = make_engine(postgres_database(name))
    else:
        engine = make_engine(f"sqlite:///{folder / f'{name}.db'}")
    _reset(engine)
    return engine


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(store_kind: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = new_store(store_kind, tmp_path)
    yield session_factory(engine)
    engine.dispose()
