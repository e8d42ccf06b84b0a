"""Journal rows written with Core inserts keep what an ORM flush would store."""

from __future__ import annotations

from sqlalchemy import select

from chain.db import Base, make_engine, session_factory
from chain.txpipe.models import PENDING, Operation
from chain.txpipe.rows import insert_rows
from chain.txpipe.tracked import read_in_flight


def _operation(op_id: str, nonce: int, **extra: object) -> Operation:
    values: dict[str, object] = {
        "id": op_id, "caller": "key:1", "chain_id": 31337, "signer": "0x" + "11" * 20,
        "contract_name": "AssetRegistryV2", "contract_address": "0x" + "22" * 20,
        "function": "registerResource", "args": ["0x01", 7], "nonce": nonce,
        "gas_limit": 90_000, "raw_tx": b"\x02", "tx_hash": f"0x{nonce:064x}",
    }  # fmt: skip
    return Operation(**{**values, **extra})


def test_unset_values_take_their_column_defaults_and_set_ones_are_kept() -> None:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory() as session, session.begin():
        insert_rows(session, [
            _operation("op-a", 0),
            _operation("op-b", 1, idempotency_key="k-1", broadcasts=2, state="sent"),
        ])  # fmt: skip
    with factory() as session:
        a, b = session.scalars(select(Operation).order_by(Operation.nonce)).all()
    assert (a.state, a.broadcasts, a.events, a.idempotency_key) == (PENDING, 0, [], None)
    assert a.created_at is not None and a.updated_at is not None
    assert a.args == ["0x01", 7] and a.tx_hash == "0x" + "00" * 32
    assert (b.state, b.broadcasts, b.idempotency_key) == ("sent", 2, "k-1")


def test_the_tracker_reads_in_flight_operations_of_its_chain_in_nonce_order_per_signer() -> None:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    other_signer = {"signer": "0x" + "0a" * 20}
    with factory() as session, session.begin():
        insert_rows(session, [
            _operation("b-2", 2, state="sent", raw_tx=b"\x02\xb2"),
            _operation("b-0", 0, state="mined"),
            _operation("a-1", 1, **other_signer),
            _operation("b-1", 1, raw_tx=b"\x02\xb1", gas_limit=123_456),
            _operation("c-0", 0, chain_id=1),
            _operation("b-3", 3, state="reverted"),
        ])  # fmt: skip
    with factory() as session:
        rows = read_in_flight(session, 31337)
        first = read_in_flight(session, 31337, limit=1)
    assert [(r.id, r.signer, r.nonce, r.state) for r in rows] == [
        ("a-1", "0x" + "0a" * 20, 1, "pending"),
        ("b-1", "0x" + "11" * 20, 1, "pending"),
        ("b-2", "0x" + "11" * 20, 2, "sent"),
    ]
    b1 = rows[1]
    assert (b1.raw_tx, b1.gas_limit, b1.tx_hash) == (b"\x02\xb1", 123_456, f"0x{1:064x}")
    assert (b1.contract_name, b1.contract_address) == ("AssetRegistryV2", "0x" + "22" * 20)
    assert [r.id for r in first] == ["a-1"]
