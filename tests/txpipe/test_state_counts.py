"""``/metrics``' operations by state: the in-flight states counted at each scrape, the
settled ones (which only grow, and cost a read of every operation ever settled to count)
at most once a minute."""

from __future__ import annotations

from eth_account import Account
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.txpipe import MINED, SENT
from chain.txpipe.state_counts import SETTLED_COUNT_SECONDS, StateCounts
from tests.txpipe.helpers import make_pipeline, record


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_in_flight_states_are_counted_at_each_scrape_and_the_settled_ones_once_a_minute(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(memory, db_url)
    clock = Clock()
    counts = StateCounts(pipeline.sessions, clock=clock)
    signer = Account.create()
    record(pipeline, signer, memory_probe, 0)
    assert counts.counts() == {SENT: 1}
    assert pipeline.poll_once() == 1  # mined: no longer in flight at once...
    assert counts.counts() == {}
    clock.now += SETTLED_COUNT_SECONDS - 0.5
    assert counts.counts() == {}  # ...counted as mined within a minute
    record(pipeline, signer, memory_probe, 1)
    clock.now += 0.5
    assert counts.counts() == {SENT: 1, MINED: 1}
    assert pipeline.stats().by_state == {SENT: 1, MINED: 1}  # the exact count agrees


def test_the_gateway_counts_with_its_pipelines_counter(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(memory, db_url)
    record(pipeline, Account.create(), memory_probe, 0)
    pipeline.poll_once()
    assert pipeline.state_counts.counts() == {MINED: 1}
