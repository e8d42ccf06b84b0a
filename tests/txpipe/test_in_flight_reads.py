"""The in-flight reads read in-flight operations only, however many a signer or the chain
had before.

The receipt tracker reads a chain's in-flight operations at each poll, and admission
counts a signer's every half second. With the unique key (chain, signer, nonce) beside
the indexes on (signer, state) and (state), SQLite took that key for both and read every
operation ever journaled: in a long benchmark the gateway read 4.4 MB from its store per
write, a third of its CPU in system time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from web3 import Web3

from chain.clients import ChainHandle
from chain.db import Base, make_engine, session_factory
from chain.runtime import migrate_database
from chain.txpipe import MINED, PENDING, SENT, Operation, TxPipeline
from chain.txpipe.tracked import read_in_flight

A = Web3.to_checksum_address("0x" + "aa" * 20)
B = Web3.to_checksum_address("0x" + "bb" * 20)


def _filled(path: Path, migrated: bool, chain_id: int) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    if migrated:
        migrate_database(engine)
    else:
        Base.metadata.create_all(engine)
    states = [(A, n, MINED) for n in range(3000)]
    states += [(A, 3000, SENT), (A, 3001, PENDING), (A, 3002, PENDING), (B, 7, PENDING)]
    states += [(B, n, MINED) for n in range(7)]
    with Session(engine) as session:
        session.add_all(
            Operation(
                state=state, caller="c", chain_id=chain_id, signer=signer,
                contract_name="Probe", contract_address=B, function="record", args=[],
                nonce=nonce, gas_limit=100_000, raw_tx=b"\x01" * 120,
                tx_hash=f"0x{nonce:064x}", broadcasts=1,
            )
            for signer, nonce, state in states
        )  # fmt: skip
        session.commit()
    return engine


def _plans(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    plans: list[str] = []
    with engine.connect() as connection:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append(" ".join(str(row[-1]) for row in rows))
    return plans


@pytest.mark.parametrize("migrated", [False, True], ids=["models", "migrations"])
def test_in_flight_reads_search_the_in_flight_index(
    tmp_path: Path, memory: ChainHandle, migrated: bool
) -> None:
    engine = _filled(tmp_path / "ledger.db", migrated, memory.chain_id)
    statements: list[tuple[str, Any]] = []

    def seen(
        conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any,
        into: list[tuple[str, Any]] = statements,
    ) -> None:  # fmt: skip
        if "FROM operations" in statement:
            into.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    with Session(engine) as session:
        tracked = read_in_flight(session, memory.chain_id)
        first_two = read_in_flight(session, memory.chain_id, limit=2)
    pipeline = TxPipeline(memory, session_factory(engine))
    counts = (pipeline.in_flight(A), pipeline.in_flight(B))
    event.remove(engine, "before_cursor_execute", seen)

    # in nonce order per signer, the two states merged; the limit keeps that order
    assert [(op.signer, op.nonce, op.state) for op in tracked] == [
        (A, 3000, SENT), (A, 3001, PENDING), (A, 3002, PENDING), (B, 7, PENDING),
    ]  # fmt: skip
    assert [(op.signer, op.nonce) for op in first_two] == [(A, 3000), (A, 3001)]
    assert counts == (3, 1)
    assert len(statements) == 6  # two reads of two states each, two counts
    for plan in _plans(engine, statements):
        assert "ix_operations_in_flight" in plan, plan
        assert "SCAN" not in plan, plan
