"""A signer's writes in flight held to the chain's pace (chain/txpipe/backlog.py): while
the chain's blocks are full, at most one and a half blocks of them; a refused write says
when to come back: once the chain, at its own pace, has mined the writes over the limit."""

from __future__ import annotations

import pytest
from eth_account import Account
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.errors import Backpressure
from chain.txpipe import PENDING, Operation
from chain.txpipe.backlog import (
    PACE_FLOOR,
    RETRY_AFTER_MOST,
    BlockPace,
    admission_limit,
    retry_after,
)
from chain.txpipe.rpc import Head, _head
from tests.txpipe.helpers import PROBE, key, make_pipeline, sessions_for


def _in_flight_rows(db_url: str, chain_id: int, signer: str, count: int) -> None:
    """``count`` journaled writes of ``signer`` the chain has not mined yet."""
    with sessions_for(db_url)() as session, session.begin():
        session.add_all(
            Operation(
                state=PENDING,
                caller="u",
                org_id=None,
                chain_id=chain_id,
                signer=signer,
                contract_name=PROBE,
                contract_address=signer,
                function="record",
                args=[],
                nonce=10_000 + n,  # clear of the nonces the pipeline takes
                gas_limit=100_000,
                raw_tx=b"\x01",
                tx_hash=f"0x{10_000 + n:064x}",
            )
            for n in range(count)
        )


def test_a_signer_at_its_limit_on_a_chain_that_mines_its_writes_each_second_waits_a_second(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(memory, db_url, max_in_flight_per_account=300)
    signer = Account.create()
    _in_flight_rows(db_url, pipeline.chain_id, signer.address, 300)

    def refused() -> int:
        with pytest.raises(Backpressure) as caught:
            pipeline.submit(signer, PROBE, memory_probe.address, memory_probe.abi, "record",
                            [key(1), 1], caller="u", org_id=None)  # fmt: skip
        return caught.value.retry_after

    # nothing mined for it yet, no block seen: a second per hundred writes in flight
    assert refused() == 4
    # the tracker saw a block a second, each holding 150 of the signer's writes: the one
    # write over the limit is mined with the next block
    pipeline.block_pace.saw(10, now=100.0)
    pipeline.block_pace.saw(12, now=102.0)
    pipeline._note_mined({(signer.address.lower(), 11): 150, (signer.address.lower(), 12): 150})
    assert refused() == 1
    # a limit 200 lower: 201 writes over it, two blocks of 150
    pipeline.max_in_flight = 100
    assert refused() == 2


def test_retry_after_is_the_blocks_the_writes_over_the_limit_need_at_the_chains_pace() -> None:
    assert retry_after(1024, 1024, take=354, block_seconds=1.0) == 1
    assert retry_after(1024, 1024, take=354, block_seconds=1.04) == 1
    assert retry_after(1024, 1024, take=354, block_seconds=12.0) == 12
    assert retry_after(1500, 1024, take=100, block_seconds=2.0) == 10  # 477 over: 5 blocks
    assert retry_after(5000, 10, take=1, block_seconds=15.0) == RETRY_AFTER_MOST
    assert retry_after(1024, 1024, take=354, block_seconds=0.01) == 1  # never under a second
    # unknown pace or nothing of the signer mined lately: a second per hundred in flight
    assert retry_after(1024, 1024, take=0, block_seconds=1.0) == 11
    assert retry_after(1024, 1024, take=354, block_seconds=None) == 11
    assert retry_after(99_999, 10, take=0, block_seconds=None) == RETRY_AFTER_MOST


def test_block_pace_averages_the_seconds_between_new_heads() -> None:
    pace = BlockPace()
    assert pace.seconds is None
    pace.saw(5, now=10.0)
    pace.saw(5, now=10.7)  # the same head again: no new block
    assert pace.seconds is None
    pace.saw(6, now=11.0)
    assert pace.seconds == pytest.approx(1.0)
    pace.saw(9, now=17.0)  # three blocks in six seconds: 2 s each, a quarter of the way
    assert pace.seconds == pytest.approx(1.25)
    pace.saw(7, now=18.0)  # the chain went back: measured from there on
    pace.saw(8, now=19.0)
    assert pace.seconds == pytest.approx(1.1875)


def test_while_the_chains_blocks_are_full_a_signer_may_have_a_block_and_a_half_in_flight(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(memory, db_url, max_in_flight_per_account=1024)
    signer = Account.create()
    account = signer.address.lower()
    _in_flight_rows(db_url, pipeline.chain_id, signer.address, 225)

    def submit(n: int) -> Operation:
        return pipeline.submit(signer, PROBE, memory_probe.address, memory_probe.abi, "record",
                               [key(n), n], caller="u", org_id=None)  # fmt: skip

    # blocks a second holding 150 of its writes each, a third full: 225 in flight is allowed
    pipeline._note_mined({(account, 11): 150, (account, 12): 150})
    pipeline.block_pace.saw(11, now=100.0, fill=0.3)
    pipeline.block_pace.saw(12, now=101.0, fill=0.3)
    assert not pipeline.block_pace.full
    submit(1)  # journaled (the node refuses its nonce after the rows above: it stays pending)
    assert pipeline.in_flight(signer.address) == 226
    # the blocks fill up: one and a half blocks (225) is the limit, and it has 226
    for number in range(13, 23):
        pipeline.block_pace.saw(number, now=89.0 + number, fill=1.0)
    assert pipeline.block_pace.full
    with pytest.raises(Backpressure) as caught:
        submit(2)
    assert caught.value.retry_after == 1
    assert "226 transactions in flight (limit 225 while the chain's blocks are full)" in str(
        caught.value
    )
    # the tracker settles a block of them: room again, without waiting for a recount
    pipeline._note_mined({(account, 23): 150})
    submit(3)
    assert pipeline.in_flight(signer.address) == 227


def test_admission_limit_is_a_block_and_a_half_of_the_take_only_while_the_chain_is_full() -> None:
    assert admission_limit(1024, take=354, chain_full=False) == 1024
    assert admission_limit(1024, take=354, chain_full=True) == 531
    assert admission_limit(1024, take=0, chain_full=True) == 1024  # nothing mined lately
    assert admission_limit(1024, take=3, chain_full=True) == PACE_FLOOR
    assert admission_limit(100, take=354, chain_full=True) == 100  # never over the setting


def test_block_pace_is_full_from_a_full_block_until_the_latest_are_half_empty() -> None:
    pace = BlockPace()
    pace.saw(1, now=0.0, fill=0.1)
    pace.saw(2, now=1.0, fill=0.85)
    assert not pace.full
    pace.saw(3, now=2.0, fill=0.95)  # a full block: full at once, the average under half
    assert pace.fill == pytest.approx(0.453125) and pace.full
    pace.saw(4, now=3.0, fill=1.0)
    pace.saw(5, now=4.0, fill=1.0)
    assert pace.fill == pytest.approx(0.69238281, rel=1e-6) and pace.full
    pace.saw(6, now=5.0, fill=0.2)  # one block less full: still full (0.57)
    assert pace.full
    pace.saw(7, now=6.0, fill=0.0)  # the average under half: no longer
    assert pace.fill == pytest.approx(0.42696533, rel=1e-6) and not pace.full
    pace.saw(8, now=7.0, fill=0.85)  # not full again until a block is
    assert not pace.full
    pace.saw(9, now=8.0, fill=0.9)
    assert pace.full


def test_a_head_without_gas_fields_reads_as_an_empty_block() -> None:
    assert _head({"number": "0x1f", "hash": "0xABcd", "gasUsed": "0x0f", "gasLimit": "0x1e"}) == (
        Head(31, "0xabcd", 0.5)
    )
    assert _head({"number": 7, "hash": "0xab"}) == Head(7, "0xab", 0.0)
    assert _head({"number": 7, "hash": "0xab", "gasUsed": 5, "gasLimit": 0}).fill == 0.0
