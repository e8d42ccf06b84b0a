"""Shared test fixtures: one in-process EVM (eth-tester) per session, snapshot per test;
``registry_world``, the deployed ledger behind the gateway with the Qingdao cast admitted
over HTTP (one per test module; tests share its chain)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from sqlalchemy import Engine, create_engine, text
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from tests.workflows.world import RegistryWorld, start_world

_POSTGRES = "LEDGER_TEST_POSTGRES_URL"


def _admin_engine(url: str) -> Engine:
    return create_engine(
        "postgresql+psycopg://" + url.split("://", 1)[1], isolation_level="AUTOCOMMIT"
    )


def _own_database() -> tuple[str, str] | None:
    """A PostgreSQL database of this test process's own, created when the conftest is
    imported (before any test module reads ``LEDGER_TEST_POSTGRES_URL``), so runs that
    share one server (two checkouts, two xdist workers) never see each other's rows."""
    url = os.environ.get(_POSTGRES)
    if not url:
        return None
    name = f"ledger_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    os.environ[_POSTGRES] = url.rsplit("/", 1)[0] + "/" + name
    return url, name


_OWN_DATABASE = _own_database()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Drop the process's database and those named after it (tests/indexer/conftest.py)."""
    if _OWN_DATABASE is None:
        return
    url, name = _OWN_DATABASE
    os.environ[_POSTGRES] = url
    admin = _admin_engine(url)
    with admin.connect() as connection:
        derived = connection.scalars(
            text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
            {"pattern": f"%{name}"},
        ).all()
        for database in derived:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def tester() -> EthereumTester:
    """The in-process chain shared by the whole session."""
    return EthereumTester(PyEVMBackend())


@pytest.fixture(scope="session")
def w3(tester: EthereumTester) -> Web3:
    web3 = Web3(EthereumTesterProvider(tester))
    web3.eth.default_account = web3.eth.accounts[0]
    return web3


@pytest.fixture
def evm_snapshot(tester: EthereumTester) -> Iterator[None]:
    """Revert the shared chain after the test so tests stay independent."""
    snapshot_id = tester.take_snapshot()
    yield
    tester.revert_to_snapshot(snapshot_id)


@pytest.fixture(scope="module")
def registry_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryWorld]:
    world, client = start_world(tmp_path_factory.mktemp("registry"))
    try:
        yield world
    finally:
        client.__exit__(None, None, None)
