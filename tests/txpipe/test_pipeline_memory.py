"""The write path on the in-process chain: simulate, journal, mine, decode, idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import event, func, select
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.errors import Backpressure, ContractRevert, IdempotencyConflict, decode_revert
from chain.txpipe import MINED, SENT, AccountNonce, Operation, core, request_hash
from tests.txpipe.helpers import PROBE, key, make_pipeline


def _count_ops(pipeline) -> int:  # type: ignore[no-untyped-def]
    with pipeline.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Operation)) or 0)


def test_submit_valid_write_is_mined_with_decoded_event(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(memory, db_url)
    signer = Account.create()
    op = pipeline.submit(
        signer,
        PROBE,
        memory_probe.address,
        memory_probe.abi,
        "record",
        [key(1), 7],
        caller="user-1",
        org_id="0x" + "11" * 32,
    )
    assert op.state == SENT
    assert op.nonce == 0
    done = pipeline.wait(op.id, timeout=10)
    assert done.state == MINED
    assert done.receipt_status == 1
    assert done.gas_used and done.gas_used > 21_000
    assert done.events == [
        {
            "event": "Recorded",
            "args": {"key": "0x" + key(1).hex(), "value": 7, "by": signer.address.lower()},
            "address": memory_probe.address,
            "log_index": 0,
        }
    ]
    assert memory_probe.functions.valueOf(key(1)).call() == 7
    public = done.to_public()
    assert public["state"] == "mined" and public["args"] == ["0x" + key(1).hex(), 7]
    assert "raw_tx" not in public


def test_submit_reverting_call_raises_decoded_error_and_journals_nothing(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(memory, db_url)
    with pytest.raises(ContractRevert) as caught:
        pipeline.submit(
            Account.create(),
            PROBE,
            memory_probe.address,
            memory_probe.abi,
            "record",
            [key(2), 0],
            caller="user-1",
            org_id=None,
        )
    error = caught.value
    assert error.error_code == "ProbeRejected"
    assert error.contract_error == {
        "name": "ProbeRejected",
        "args": {"key": "0x" + key(2).hex(), "value": 0},
    }
    assert "value=0" in error.detail and key(2).hex() in error.detail
    assert _count_ops(pipeline) == 0
    with pipeline.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AccountNonce)) == 0
    assert memory_probe.functions.total().call() == 0


def test_decode_revert_string_panic_and_unknown_selector_are_named() -> None:
    error_string = bytes.fromhex("08c379a0") + bytes.fromhex(
        "0000000000000000000000000000000000000000000000000000000000000020"
        "0000000000000000000000000000000000000000000000000000000000000003"
        "6261640000000000000000000000000000000000000000000000000000000000"
    )
    assert decode_revert([], error_string).contract_error == {
        "name": "Error",
        "args": {"reason": "bad"},
    }
    panic = bytes.fromhex("4e487b71") + (0x11).to_bytes(32, "big")
    decoded = decode_revert([], panic)
    assert decoded.contract_error == {"name": "Panic", "args": {"code": 17}}
    assert "overflow" in decoded.detail
    unknown = decode_revert([], "0xdeadbeef")
    assert unknown.error_code == "UnknownError"
    assert unknown.args_by_name["selector"] == "0xdeadbeef"
    assert decode_revert([], b"").error_code == "Reverted"


def test_submit_same_idempotency_key_and_body_returns_same_operation(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(memory, db_url)
    signer = Account.create()
    body_hash = request_hash({"key": "0x" + key(3).hex(), "value": 3})
    first = pipeline.submit(
        signer,
        PROBE,
        memory_probe.address,
        memory_probe.abi,
        "record",
        [key(3), 3],
        caller="user-1",
        org_id=None,
        idempotency_key="k-3",
        request_hash=body_hash,
    )
    pipeline.wait(first.id, 10)
    again = pipeline.submit(
        signer,
        PROBE,
        memory_probe.address,
        memory_probe.abi,
        "record",
        [key(3), 3],
        caller="user-1",
        org_id=None,
        idempotency_key="k-3",
        request_hash=body_hash,
    )
    assert again.id == first.id
    assert _count_ops(pipeline) == 1
    assert memory_probe.functions.writesOf(key(3)).call() == 1
    with pytest.raises(IdempotencyConflict) as caught:
        pipeline.submit(
            signer,
            PROBE,
            memory_probe.address,
            memory_probe.abi,
            "record",
            [key(3), 4],
            caller="user-1",
            org_id=None,
            idempotency_key="k-3",
            request_hash=request_hash({"key": "0x" + key(3).hex(), "value": 4}),
        )
    assert caught.value.extra["operation_id"] == first.id
    # another caller may use the same key for its own request
    other = pipeline.submit(
        signer,
        PROBE,
        memory_probe.address,
        memory_probe.abi,
        "record",
        [key(3), 5],
        caller="user-2",
        org_id=None,
        idempotency_key="k-3",
        request_hash="x",
    )
    assert other.id != first.id
    assert pipeline.wait(other.id, 10).state == MINED
    assert memory_probe.functions.writesOf(key(3)).call() == 2


def test_submit_over_in_flight_limit_raises_backpressure(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(memory, db_url, max_in_flight_per_account=2)
    signer = Account.create()
    # journal two operations without letting the tracker see their receipts
    for n in (1, 2):
        pipeline.submit(
            signer,
            PROBE,
            memory_probe.address,
            memory_probe.abi,
            "record",
            [key(n), n],
            caller="u",
            org_id=None,
        )
    assert pipeline.in_flight(signer.address) == 2
    with pytest.raises(Backpressure) as caught:
        pipeline.submit(
            signer,
            PROBE,
            memory_probe.address,
            memory_probe.abi,
            "record",
            [key(9), 9],
            caller="u",
            org_id=None,
        )
    assert caught.value.retry_after >= 1
    assert caught.value.http_status == 429
    assert pipeline.poll_once() == 2
    assert pipeline.in_flight(signer.address) == 0
    op = pipeline.submit(
        signer,
        PROBE,
        memory_probe.address,
        memory_probe.abi,
        "record",
        [key(9), 9],
        caller="u",
        org_id=None,
    )
    assert op.nonce == 2
    assert pipeline.stats().by_state == {"mined": 2, "sent": 1}


def test_in_flight_count_is_kept_in_memory_and_read_again_before_refusing(
    memory: ChainHandle, memory_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "IN_FLIGHT_RECOUNT_SECONDS", 3600.0)  # never stale here
    pipeline = make_pipeline(memory, db_url, max_in_flight_per_account=3)
    counts: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "count(" in statement.lower() and "operations" in statement.lower():
            counts.append(statement)

    engine = pipeline.sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    signer = Account.create()

    def record(n: int) -> Operation:
        return pipeline.submit(
            signer, PROBE, memory_probe.address, memory_probe.abi, "record", [key(n), n],
            caller="u", org_id=None,
        )  # fmt: skip

    ops = [record(n) for n in (1, 2, 3)]
    assert [op.nonce for op in ops] == [0, 1, 2]
    assert len(counts) == 1  # counted once; the writes journaled since are added in memory
    with pytest.raises(Backpressure):
        record(4)  # 3 in memory: the refusal is decided on a fresh count (3)
    assert len(counts) == 2
    assert pipeline.poll_once() == 3
    op = record(5)  # the remembered count (3) is stale: counted again (0), admitted
    assert op.nonce == 3 and len(counts) == 3
    assert pipeline.wait(op.id, 10).state == MINED
    assert memory_probe.functions.writesOf(key(4)).call() == 0
    assert memory_probe.functions.writesOf(key(5)).call() == 1
