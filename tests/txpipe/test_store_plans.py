"""Every statement a write and its settling run on the operations table searches the rows
it needs: none walks the table, or a chain's or a signer's whole history along the
(chain, signer, nonce) key.

Such a walk costs nothing on a test's small store and grows with every write journaled:
the tracker's read of the writes in flight and admission's in-flight count walked the
chain's and the signer's history several times a second, and after about 20,000 writes
the gateway read 4.4 MB from its store per write. SQLite's planner chooses without
statistics on row counts, so a statement's plan on this store is its plan on a large one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from web3 import Web3
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.db import make_engine, session_factory
from chain.runtime import migrate_database
from chain.txpipe import MINED, Operation, TxPipeline
from tests.txpipe.helpers import PROBE, record

OTHER = Web3.to_checksum_address("0x" + "cc" * 20)
#: a walk along the unique key by its leading columns only (no nonce: a range, not a row)
KEY_WALK = re.compile(r"sqlite_autoindex_operations_\d+ \(chain_id=\?( AND signer=\?)?\)")


def _history(engine: Engine, chain_id: int, count: int) -> None:
    """``count`` settled writes of another signer on the chain."""
    with Session(engine) as session:
        session.add_all(
            Operation(
                state=MINED, caller="c", chain_id=chain_id, signer=OTHER,
                contract_name=PROBE, contract_address=OTHER, function="record", args=[],
                nonce=n, gas_limit=100_000, raw_tx=b"\x01" * 120, tx_hash=f"0x{n:064x}",
                broadcasts=1, block_number=1,
            )
            for n in range(count)
        )  # fmt: skip
        session.commit()


def test_a_write_and_its_settling_search_only_the_operations_they_need(
    tmp_path: Path, memory: ChainHandle, memory_probe: Contract
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate_database(engine)
    _history(engine, memory.chain_id, 500)
    pipeline = TxPipeline(memory, session_factory(engine))
    signer: LocalAccount = Account.create()
    statements: dict[str, Any] = {}

    def seen(
        conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any,
        into: dict[str, Any] = statements,
    ) -> None:  # fmt: skip
        if "operations" in statement and not statement.lstrip().upper().startswith("INSERT"):
            into.setdefault(statement, parameters)

    pipeline.state_counts.counts()  # the settled count (a walk of the state index) taken
    event.listen(engine, "before_cursor_execute", seen)
    ops = [record(pipeline, signer, memory_probe, n) for n in range(3)]
    counted = pipeline.state_counts.counts()  # a scrape of /metrics: the in-flight states
    while pipeline.poll_once():
        pass
    in_flight = pipeline.in_flight(signer.address)
    pipeline.mark_sent_now()
    event.remove(engine, "before_cursor_execute", seen)

    assert [pipeline.get(op.id).state for op in ops] == [MINED] * 3
    assert in_flight == 0 and counted == {"sent": 3, "mined": 500}
    assert len(statements) >= 4  # the journal's, the send's, the tracker's, the count
    with engine.connect() as connection:
        for statement, parameters in statements.items():
            if isinstance(parameters, list):  # an executemany: one row's parameters
                parameters = parameters[0]
            plan = " ".join(
                str(row[-1])
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert "SCAN operations" not in plan, (statement, plan)
            # the highest nonce of a signer: SQLite seeks the range's last entry
            seeks_last = re.match(r"SELECT max\(operations\.nonce\)", statement.strip())
            assert seeks_last or not KEY_WALK.search(plan), (statement, plan)
