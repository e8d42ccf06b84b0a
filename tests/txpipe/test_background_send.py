"""Writes answered once journaled, sent by the background sender in nonce order.

On a node over HTTP a write's answer does not wait for ``eth_sendRawTransaction``: while
the node mines a block it holds its state and every send waits for the block. The journal
is what the answer rests on: a process that dies before the send leaves the signed bytes
for ``reconcile`` on the next start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.txpipe import MINED, PENDING, SENT, Operation, TxPipeline
from chain.txpipe.dispatch import Outgoing, SendQueues
from tests.txpipe.helpers import key, make_pipeline, record


def _record(pipeline: TxPipeline, signer: LocalAccount, probe: Contract, n: int) -> Operation:
    return cast(Operation, record(pipeline, signer, probe, n, caller="background"))


def watch_sends(
    pipeline: TxPipeline, monkeypatch: pytest.MonkeyPatch, before: Callable[[list[bytes]], None]
) -> None:
    """Call ``before(raw transactions)`` ahead of each send of the pipeline to the node."""
    one, many = pipeline.rpc.send_raw, pipeline.rpc.send_raw_many

    def send_raw(raw: bytes) -> None:
        before([raw])
        one(raw)

    def send_raw_many(raws: list[bytes]) -> list[Exception | None]:
        before(raws)
        return many(raws)

    monkeypatch.setattr(pipeline.rpc, "send_raw", send_raw)
    monkeypatch.setattr(pipeline.rpc, "send_raw_many", send_raw_many)


class HeldSends:
    """The node's ``eth_sendRawTransaction`` held until ``release`` (as while it mines)."""

    def __init__(self, pipeline: TxPipeline, monkeypatch: pytest.MonkeyPatch) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.sent: list[bytes] = []
        watch_sends(pipeline, monkeypatch, self._hold)

    def _hold(self, raws: list[bytes]) -> None:
        self.entered.set()
        assert self.gate.wait(30)
        self.sent.extend(raws)

    def release(self) -> None:
        self.gate.set()


def held_write(
    handle: ChainHandle, probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch, n: int
) -> tuple[TxPipeline, LocalAccount, HeldSends, Operation]:
    """A background-sending pipeline and a write it answered, whose send the node holds
    (the background sender is in the node's call on return)."""
    pipeline = make_pipeline(handle, db_url, send_in_background=True)
    signer = Account.create()
    held = HeldSends(pipeline, monkeypatch)
    op = _record(pipeline, signer, probe, n)  # returns: the send is held
    assert held.entered.wait(10)
    return pipeline, signer, held, op


def test_a_write_is_answered_journaled_while_the_node_holds_its_send(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline, signer, held, op = held_write(anvil_chain, anvil_probe, db_url, monkeypatch, 8000)
    try:
        assert op.state == PENDING and op.nonce == 0 and op.raw_tx
        stored = pipeline.get(op.id)
        assert (stored.state, stored.broadcasts, stored.raw_tx) == (PENDING, 0, op.raw_tx)
        # the tracker leaves it to the sender: no re-send, no mark
        pipeline.poll_once()
        assert pipeline.get(op.id).broadcasts == 0 and held.sent == []
        later = _record(pipeline, signer, anvil_probe, 8001)  # answered behind the held one
        assert later.state == PENDING and later.nonce == 1
        assert not pipeline.flush(0.2)
    finally:
        held.release()
    assert pipeline.flush(10)
    assert held.sent == [op.raw_tx, later.raw_tx]  # nonce order, the second in a later drain
    assert [pipeline.get(o.id).state for o in (op, later)] in ([SENT, SENT], [MINED, SENT],
                                                                [MINED, MINED])  # fmt: skip
    finals = [pipeline.wait(o.id, 20) for o in (op, later)]
    assert [f.state for f in finals] == [MINED, MINED]
    assert [f.broadcasts for f in finals] == [1, 1]
    assert anvil_probe.functions.valueOf(key(8000)).call() == 8001
    assert anvil_probe.functions.valueOf(key(8001)).call() == 8002


def test_a_write_answered_before_its_send_is_sent_by_reconcile_after_a_crash(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed, _, held, op = held_write(anvil_chain, anvil_probe, db_url, monkeypatch, 8100)
    try:
        # the process dies here: answered, journaled, never sent
        restarted = make_pipeline(anvil_chain, db_url, send_in_background=True)
        report = restarted.reconcile()
        assert report["in_flight"] == 1 and report["resent"] == 1
        assert restarted.wait(op.id, 20).state == MINED
        assert anvil_probe.functions.writesOf(key(8100)).call() == 1
    finally:
        held.gate.set()  # the dead process's send, at last: the node knows it already
    assert crashed.flush(10)
    assert restarted.get(op.id).state == MINED
    assert anvil_probe.functions.writesOf(key(8100)).call() == 1


def test_concurrent_writes_of_one_signer_reach_the_node_in_nonce_order(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url, send_in_background=True, resend_after_seconds=1)
    signer = Account.create()
    order: list[int] = []
    nonce_of: dict[bytes, int] = {}
    watch_sends(pipeline, monkeypatch, lambda raws: order.extend(nonce_of[r] for r in raws))
    journaled = pipeline._journal_batch

    def noting(sender: str, batch: Any) -> list[Operation]:
        new = journaled(sender, batch)
        nonce_of.update((op.raw_tx, op.nonce) for op in new)
        return new

    monkeypatch.setattr(pipeline, "_journal_batch", noting)
    ops: list[Operation] = []
    guard = threading.Lock()

    def writer(t: int) -> None:
        for n in range(10):
            op = _record(pipeline, signer, anvil_probe, 8200 + t * 100 + n)
            with guard:
                ops.append(op)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert pipeline.flush(20)
    assert sorted(op.nonce for op in ops) == list(range(60))
    assert order == list(range(60))  # every nonce sent once, in order
    # the receipt tracker's polls settle them (and send again a write the node lost:
    # anvil can drop one that reaches it while it mines a block)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and pipeline.in_flight(signer.address):
        pipeline.poll_once()
        time.sleep(0.05)
    assert {pipeline.get(op.id).state for op in ops} == {MINED}


def test_send_queues_drain_one_signer_at_a_time_in_order_and_survive_a_failing_send() -> None:
    calls: list[tuple[str, list[str]]] = []
    running: dict[str, int] = {}
    overlapped: list[str] = []
    guard = threading.Lock()
    first, entered = threading.Event(), threading.Event()

    def send(account: str, items: list[Outgoing]) -> None:
        with guard:
            running[account] = running.get(account, 0) + 1
            if running[account] > 1:
                overlapped.append(account)
        try:
            if items[0].id == "a0":
                entered.set()
                assert first.wait(10)  # more is queued for "a" meanwhile
            if items[0].id == "b-fails":
                raise RuntimeError("the node refused the batch")
            time.sleep(0.001)
            calls.append((account, [item.id for item in items]))
        finally:
            with guard:
                running[account] -= 1

    queues = SendQueues(send, workers=3)
    queues.put("a", [Outgoing("a0", b"\x00")])
    assert entered.wait(10)
    for n in range(1, 4):
        queues.put("a", [Outgoing(f"a{n}", b"\x00")])  # while a0 is held: one later drain
    assert queues.queued == 3
    queues.put("b", [Outgoing("b-fails", b"\x00")])
    queues.put("c", [Outgoing("c0", b"\x00")])
    assert not queues.wait_idle(0.1)
    first.set()
    assert queues.wait_idle(10)
    queues.put("b", [Outgoing("b1", b"\x00")])  # the failed drain left its worker alive
    assert queues.wait_idle(10)
    assert overlapped == []
    by_account: dict[str, list[list[str]]] = {}
    for account, ids in calls:
        by_account.setdefault(account, []).append(ids)
    assert by_account == {"a": [["a0"], ["a1", "a2", "a3"]], "b": [["b1"]], "c": [["c0"]]}
    assert queues.queued == 0


class _Sends:
    """A send function for :class:`SendQueues` that records each call and when it began."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], float]] = []
        self.sent = threading.Condition()

    def __call__(self, account: str, items: list[Outgoing]) -> None:
        with self.sent:
            self.calls.append((account, [item.id for item in items], time.monotonic()))
            self.sent.notify_all()

    def wait_for(self, count: int) -> None:
        with self.sent:
            assert self.sent.wait_for(lambda: len(self.calls) >= count, 10)


def test_a_signers_drains_start_a_spacing_apart_and_take_what_was_queued_meanwhile() -> None:
    sends = _Sends()
    queues = SendQueues(sends, workers=2, spacing=1.0)
    queues.put("a", [Outgoing("a0", b"\x00")])  # nothing sent before: at once
    sends.wait_for(1)
    for n in range(1, 4):  # arriving right after: one drain once the spacing is up
        queues.put("a", [Outgoing(f"a{n}", b"\x00")])
    assert queues.wait_idle(10)
    assert [(account, ids) for account, ids, _ in sends.calls] == [
        ("a", ["a0"]),
        ("a", ["a1", "a2", "a3"]),
    ]
    assert sends.calls[1][2] - sends.calls[0][2] >= 1.0
    assert queues.queued == 0 and not queues.busy("a")


def test_a_signer_waiting_out_its_spacing_holds_no_worker_and_a_waiter_ends_the_wait() -> None:
    sends = _Sends()
    queues = SendQueues(sends, workers=1, spacing=3600.0)  # an hour: only a waiter ends it
    queues.put("a", [Outgoing("a0", b"\x00")])
    sends.wait_for(1)
    through = queues.put("a", [Outgoing("a1", b"\x00")])  # due in an hour
    queues.put("b", [Outgoing("b0", b"\x00")])  # the one worker is free for another signer
    sends.wait_for(2)
    assert sends.calls[1][:2] == ("b", ["b0"])
    assert queues.busy("a") and queues.queued == 1
    waiter = threading.Thread(target=queues.wait_sent, args=("a", through))
    waiter.start()  # a burst that must go after a1 (sent by its request, in nonce order)
    waiter.join(10)
    assert not waiter.is_alive()
    assert [(account, ids) for account, ids, _ in sends.calls] == [
        ("a", ["a0"]),
        ("b", ["b0"]),
        ("a", ["a1"]),
    ]
    assert queues.wait_idle(10) and not queues.busy("a")


def test_by_default_a_write_is_answered_once_the_node_took_it(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    assert not pipeline.send_in_background
    op = _record(pipeline, Account.create(), anvil_probe, 8300)
    assert op.state == SENT and pipeline.get(op.id).broadcasts == 1
    assert pipeline._outbox is None  # no background sender started


def test_the_runtime_sends_in_the_background_only_when_asked_and_never_in_process(
    anvil_chain: ChainHandle, tmp_path: Any
) -> None:
    from chain.deploy import Deployment
    from chain.keys import KeyStore
    from chain.runtime import LedgerRuntime
    from chain.settings import LedgerSettings

    def sends_in_background(handle: ChainHandle, name: str, **setting: bool) -> bool:
        settings = LedgerSettings(chain="local", var_dir=tmp_path / name, **setting)
        admin = Account.create()
        runtime = LedgerRuntime.assemble(
            settings, handle, KeyStore(tmp_path / name / "keys", "secret"), admin,
            Deployment(chain_id=handle.chain_id, admin=admin.address, artifact_digest="",
                       deployed_at=0.0),
        )  # fmt: skip
        try:
            return runtime.txpipe.send_in_background
        finally:
            runtime.close()
            runtime.engine.dispose()

    assert sends_in_background(anvil_chain, "on", send_in_background=True)
    assert not sends_in_background(anvil_chain, "default")  # a 202 waits for the node
    memory = LedgerSettings(chain="memory", var_dir=tmp_path / "memory", send_in_background=True)
    runtime = LedgerRuntime.start(memory, deploy=False)
    try:
        assert not runtime.txpipe.send_in_background  # eth-tester: serialised anyway
    finally:
        runtime.close()


def test_what_the_sender_handed_over_is_marked_sent_together(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drains do not mark ``sent`` one by one (a writer turn of the store each): the
    tracker marks what they handed over since its last round in one UPDATE, and a drain
    marks them itself once ``MARK_SENT_BATCH`` are waiting. Until then the tracker leaves
    them alone."""
    import chain.txpipe.broadcast as broadcast

    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url, send_in_background=True)
    signer = Account.create()
    marks: list[list[str]] = []
    mark = pipeline._mark_sent

    def counted(ids: list[str]) -> None:
        marks.append(list(ids))
        mark(ids)

    monkeypatch.setattr(pipeline, "_mark_sent", counted)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        ops = [_record(pipeline, signer, anvil_probe, 8400 + n) for n in range(3)]
        assert pipeline._outbox is not None and pipeline._outbox.wait_idle(10)
        ids = [op.id for op in ops]
        assert marks == [] and pipeline._unmarked == ids and set(ids) <= pipeline._in_send
        assert w3.eth.get_transaction_count(signer.address, "pending") == 3  # the node has them
        assert [pipeline.get(i).state for i in ids] == [PENDING] * 3
        assert pipeline.mark_sent_now() == 3
        assert marks == [ids] and pipeline._unmarked == [] and not set(ids) & pipeline._in_send
        assert [(pipeline.get(i).state, pipeline.get(i).broadcasts) for i in ids] == [
            (SENT, 1)] * 3  # fmt: skip

        monkeypatch.setattr(broadcast, "MARK_SENT_BATCH", 2)
        more = [_record(pipeline, signer, anvil_probe, 8410 + n) for n in range(2)]
        assert pipeline._outbox.wait_idle(10)
        deadline = time.monotonic() + 10
        while pipeline._unmarked and time.monotonic() < deadline:  # one drain, or two
            time.sleep(0.01)
        assert [i for batch in marks[1:] for i in batch] == [op.id for op in more]
        assert {pipeline.get(op.id).state for op in more} == {SENT}
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    assert {pipeline.wait(op.id, 20).state for op in [*ops, *more]} == {MINED}


def test_a_block_is_settled_a_chunk_per_transaction(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tracker settles a block's writes ``SETTLE_CHUNK`` per database transaction,
    not all in one: the store's writer turn is free between chunks for the journal."""
    import contextlib

    import chain.txpipe.receipts as receipts

    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url, send_in_background=True)
    signer = Account.create()
    pipeline.poll_once()  # the tracker has seen the head
    monkeypatch.setattr(receipts, "SETTLE_CHUNK", 3)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        ops = [_record(pipeline, signer, anvil_probe, 8500 + n) for n in range(7)]
        assert pipeline.flush(10)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    settled: list[int] = []
    writing = pipeline._writing

    @contextlib.contextmanager
    def counted() -> Any:
        with writing() as session:
            before = len(settled)
            settled.append(0)
            yield session
        assert len(settled) == before + 1

    monkeypatch.setattr(pipeline, "_writing", counted)
    assert pipeline.poll_once() == 7
    assert len(settled) == 3  # 3 + 3 + 1
    assert {pipeline.get(op.id).state for op in ops} == {MINED}
    assert [pipeline.get(op.id).block_number for op in ops] == [w3.eth.block_number] * 7


class _CountedWakeUps(threading.Condition):
    """A condition that counts how often a waiter woke up."""

    def __init__(self, lock: Any) -> None:
        super().__init__(lock)
        self.woken = 0

    def wait(self, timeout: float | None = None) -> bool:
        answer = super().wait(timeout)
        self.woken += 1
        return answer


def test_a_drain_falling_due_wakes_one_idle_worker_not_every_one() -> None:
    sends = _Sends()
    queues = SendQueues(sends, workers=4, spacing=0.0)
    counted = _CountedWakeUps(queues._changed._lock)  # type: ignore[attr-defined]
    queues._due_changed = counted

    def all_idle() -> None:  # every worker waiting for a drain to fall due
        deadline = time.monotonic() + 10
        while len(counted._waiters) < 4:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline
            time.sleep(0.01)

    for n, account in enumerate("abcd"):  # four workers started
        queues.put(account, [Outgoing(f"{account}0", b"\x00")])
        sends.wait_for(n + 1)
    all_idle()
    counted.woken = 0
    queues.put("e", [Outgoing("e0", b"\x00")])
    sends.wait_for(5)
    all_idle()
    assert counted.woken == 1  # one worker woke and drained it; the other three slept on
    assert [ids for _, ids, _ in sends.calls] == [["a0"], ["b0"], ["c0"], ["d0"], ["e0"]]
