"""Journal rows written with Core inserts keep what an ORM flush would store."""

from __future__ import annotations

from sqlalchemy import select

from chain.db import Base, make_engine, session_factory
from chain.txpipe.models import PENDING, Operation
from chain.txpipe.rows import insert_rows


def _operation(op_id: str, nonce: int, **extra: object) -> Operation:
    return Operation(
        id=op_id, caller="key:1", chain_id=31337, signer="0x" + "11" * 20,
        contract_name="AssetRegistryV2", contract_address="0x" + "22" * 20,
        function="registerResource", args=["0x01", 7], nonce=nonce, gas_limit=90_000,
        raw_tx=b"\x02", tx_hash=f"0x{nonce:064x}", **extra,
    )  # fmt: skip


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
