"""A burst of one signer's writes: one database transaction, one batch of sends.

``TxPipeline._run_batch`` is what the thread holding a signer's lock runs for every write
queued meanwhile. The burst here is built by hand so its content is fixed: keys new, used
twice in the burst, used before the burst, and no key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session
from web3 import Web3
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.errors import Conflict
from chain.service.asset_documents import CommittedDocument
from chain.txpipe import MINED, SENT, AccountNonce, Operation, TxPipeline
from chain.txpipe.guards import JournalGuard
from chain.txpipe.journal import JournalRows, WriteRequest
from tests.txpipe.helpers import PROBE, key, make_pipeline


def _submit(
    pipeline: TxPipeline, signer: LocalAccount, probe: Contract, n: int, idem: str,
    journal_with: JournalRows | None = None,
) -> Operation:  # fmt: skip
    """One write through ``submit`` (its own journal transaction, sent at once)."""
    return pipeline.submit(
        signer, PROBE, probe.address, probe.abi, "record", [key(n), n], caller="user-b",
        org_id=None, idempotency_key=idem, request_hash=f"body-{n}", journal_with=journal_with,
    )  # fmt: skip


def _request(
    pipeline: TxPipeline, signer: LocalAccount, probe: Contract, n: int, idem: str | None
) -> WriteRequest:
    data = pipeline._encode(PROBE, probe.address, probe.abi, "record", [key(n), n])
    return WriteRequest(
        signer, Web3.to_checksum_address(signer.address), PROBE, probe.address, "record",
        [key(n), n], data, 0, 200_000, pipeline._fee_fields(), "user-b", None, idem,
        f"body-{n}",
    )  # fmt: skip


def _pipeline_and_signer(
    memory: ChainHandle, probe: Contract, db_url: str
) -> tuple[TxPipeline, LocalAccount, str]:
    """A pipeline that knows the probe, a new signer and its checksummed address."""
    pipeline = make_pipeline(memory, db_url)
    pipeline.register_abi(PROBE, probe.abi)
    signer: LocalAccount = Account.create()
    return pipeline, signer, Web3.to_checksum_address(signer.address)


def test_burst_is_journaled_in_one_transaction_with_consecutive_nonces_and_keys_once(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline, signer, sender = _pipeline_and_signer(memory, memory_probe, db_url)
    before = _submit(pipeline, signer, memory_probe, 900, "k-before")
    assert before.nonce == 0

    burst = [
        _request(pipeline, signer, memory_probe, 901, "k-1"),
        _request(pipeline, signer, memory_probe, 900, "k-before"),  # used before: no nonce
        _request(pipeline, signer, memory_probe, 902, None),
        _request(pipeline, signer, memory_probe, 901, "k-1"),  # twice in the burst
        _request(pipeline, signer, memory_probe, 903, "k-3"),
    ]
    batches, writes = pipeline.batches, pipeline.burst_writes
    pipeline._run_batch(sender, burst)
    assert pipeline.batches == batches + 1
    assert pipeline.burst_writes == writes + 5  # the duplicates came in the burst too
    assert all(r.done.is_set() and r.error is None for r in burst)
    assert [r.duplicate for r in burst] == [False, True, False, True, False]
    assert burst[1].op is not None and burst[1].op.id == before.id
    assert burst[3].op is not None and burst[0].op is not None
    assert burst[3].op.id == burst[0].op.id
    new = [burst[0].op, burst[2].op, burst[4].op]
    assert [op.nonce for op in new if op] == [1, 2, 3]
    assert all(op is not None and op.state == SENT for op in new)

    with pipeline.sessions() as session:
        row = session.get(AccountNonce, (memory.chain_id, sender))
        assert row is not None and row.next_nonce == 4  # the duplicates took no nonce
        ops = list(session.scalars(select(Operation).where(Operation.signer == sender)))
    assert sorted(op.nonce for op in ops) == [0, 1, 2, 3]
    assert {op.idempotency_key for op in ops} == {"k-before", "k-1", None, "k-3"}
    assert all(op.broadcasts == 1 for op in ops)

    while pipeline.poll_once():
        pass
    assert [pipeline.get(op.id).state for op in new if op] == [MINED] * 3
    for n in (900, 901, 902, 903):
        assert memory_probe.functions.writesOf(key(n)).call() == 1
    assert memory.w3.eth.get_transaction_count(sender) == 4


def _document(digest: str) -> JournalRows:
    def rows(op: Operation) -> list[object]:
        return [CommittedDocument(digest=digest, purpose="test", subject_id=op.id, org_id="o",
                                  document={"digest": digest}, salt="0x00")]  # fmt: skip

    return rows


def test_rows_journaled_with_a_write_are_committed_with_it_never_for_a_replay(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline, signer, sender = _pipeline_and_signer(memory, memory_probe, db_url)
    first = _submit(pipeline, signer, memory_probe, 950, "k-doc", _document("d-first"))
    replay = _submit(pipeline, signer, memory_probe, 950, "k-doc", _document("d-replay"))
    assert replay.id == first.id

    # a burst: one write's row collides with a stored one; the others keep theirs
    burst = [_request(pipeline, signer, memory_probe, 951 + n, None) for n in range(3)]
    for request, digest in zip(burst, ("d-a", "d-first", "d-c"), strict=True):
        request.journal_with = _document(digest)
    burst.append(_request(pipeline, signer, memory_probe, 950, "k-doc"))  # replay in a burst
    burst[3].journal_with = _document("d-replay-2")
    pipeline._run_batch(sender, burst)
    assert all(r.done.is_set() for r in burst)
    assert burst[1].error is not None and burst[1].op is None
    assert burst[0].error is None and burst[2].error is None and burst[3].duplicate
    assert burst[3].op is not None and burst[3].op.id == first.id
    new = [burst[0].op, burst[2].op]
    assert [op.nonce for op in new if op] == [1, 2]  # the refused write took no nonce

    with pipeline.sessions() as session:
        docs = {d.digest: d.subject_id for d in session.scalars(select(CommittedDocument))}
        ops = {op.id: op.nonce for op in session.scalars(select(Operation))}
        row = session.get(AccountNonce, (memory.chain_id, sender))
    assert docs == {"d-first": first.id, "d-a": new[0].id, "d-c": new[1].id}  # type: ignore[union-attr]
    assert sorted(ops.values()) == [0, 1, 2] and row is not None and row.next_nonce == 3
    while pipeline.poll_once():
        pass
    assert [memory_probe.functions.writesOf(key(n)).call() for n in (950, 951, 952, 953)] == [
        1, 1, 0, 1,
    ]  # fmt: skip


class _Named(JournalGuard):
    """A test guard about a name."""

    def __init__(self, name: str) -> None:
        self.name = name


class _Claim(_Named):
    """A name may be claimed once (``taken`` holds the names claimed before, ``calls`` the
    sizes of the groups the journal checked)."""

    taken: ClassVar[set[str]] = set()
    calls: ClassVar[list[int]] = []

    @classmethod
    def refusals(
        cls, session: Session, guards: Sequence[JournalGuard]
    ) -> list[BaseException | None]:
        assert session.in_transaction()  # the journal's own transaction
        cls.calls.append(len(guards))
        refusals: list[BaseException | None] = []
        for guard in guards:
            assert isinstance(guard, _Claim)
            if guard.name in cls.taken:
                refusals.append(Conflict(f"{guard.name} is claimed"))
            else:
                cls.taken.add(guard.name)
                refusals.append(None)
        return refusals


def test_guards_of_a_burst_are_checked_in_one_call_and_a_refused_write_takes_no_nonce(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline, signer, sender = _pipeline_and_signer(memory, memory_probe, db_url)
    _Claim.taken, _Claim.calls = {"old"}, []
    before = _submit(pipeline, signer, memory_probe, 960, "k-960")
    guarded = [("a", "k-a"), ("old", "k-old"), ("a", None), ("b", "k-b"), ("old", "k-old"),
               (None, "k-960"), ("c", None)]  # fmt: skip
    burst = []
    for n, (name, idem) in enumerate(guarded):
        request = _request(pipeline, signer, memory_probe, 961 + n, idem)
        request.guards = () if name is None else (_Claim(name),)
        burst.append(request)
    burst[5] = _request(pipeline, signer, memory_probe, 960, "k-960")  # a replay: unchecked
    burst[5].guards = (_Claim("old"),)
    pipeline._run_batch(sender, burst)

    # one call for the burst; neither the replay nor the key's second write is checked
    assert _Claim.calls == [5]
    assert _Claim.taken == {"old", "a", "b", "c"}
    refused = [str(r.error) if r.error is not None else None for r in burst]
    assert refused == [None, "old is claimed", "a is claimed", None, "old is claimed", None,
                       None]  # fmt: skip
    assert isinstance(burst[4].error, Conflict) and burst[4].op is None
    assert burst[5].duplicate and burst[5].op is not None and burst[5].op.id == before.id
    new = [burst[0].op, burst[3].op, burst[6].op]
    assert [op.nonce for op in new if op] == [1, 2, 3]  # the refused writes took none
    with pipeline.sessions() as session:
        row = session.get(AccountNonce, (memory.chain_id, sender))
        keys = set(session.scalars(select(Operation.idempotency_key)))
    assert row is not None and row.next_nonce == 4
    assert keys == {"k-960", "k-a", "k-b", None}  # nothing of "k-old" was journaled
    while pipeline.poll_once():
        pass
    assert [memory_probe.functions.writesOf(key(n)).call() for n in range(960, 968)] == [
        1, 1, 0, 0, 1, 0, 0, 1,
    ]  # fmt: skip

    # a write alone (the journal's fallback) is checked in its own transaction
    alone = _request(pipeline, signer, memory_probe, 970, None)
    alone.guards = (_Claim("b"),)
    pipeline._run_batch(sender, [alone])
    assert str(alone.error) == "b is claimed" and alone.op is None
    assert _Claim.calls == [5, 1]


class _Veto(_Named):
    """A second guard class: refuses the names in ``vetoed``; ``seen`` holds the names it
    was asked about."""

    vetoed: ClassVar[set[str]] = set()
    seen: ClassVar[list[str]] = []

    @classmethod
    def refusals(
        cls, session: Session, guards: Sequence[JournalGuard]
    ) -> list[BaseException | None]:
        names = [cast(_Veto, guard).name for guard in guards]
        cls.seen.extend(names)
        return [Conflict(f"{name} is vetoed") if name in cls.vetoed else None for name in names]


def test_a_write_with_two_guards_is_refused_by_the_first_that_fails_and_the_next_not_asked(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline, signer, sender = _pipeline_and_signer(memory, memory_probe, db_url)
    _Veto.vetoed, _Veto.seen = {"x"}, []
    _Claim.taken, _Claim.calls = {"y"}, []
    # (veto's name, claim's name): the veto is first on each write
    pairs = [("x", "p"), ("ok1", "y"), ("ok2", "q")]
    burst = []
    for n, (vetoed, claimed) in enumerate(pairs):
        request = _request(pipeline, signer, memory_probe, 980 + n, None)
        request.guards = (_Veto(vetoed), _Claim(claimed))
        burst.append(request)
    pipeline._run_batch(sender, burst)
    assert _Veto.seen == ["x", "ok1", "ok2"]  # each class asked once for the burst
    assert _Claim.calls == [2] and _Claim.taken == {"y", "q"}  # "p" was vetoed: not asked
    assert [str(r.error) if r.error else None for r in burst] == [
        "x is vetoed", "y is claimed", None,
    ]  # fmt: skip
    assert burst[2].op is not None and burst[2].op.nonce == 0  # the refused took no nonce
