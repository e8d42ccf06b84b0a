"""The "index is behind" banner shows only when the store really is behind: a stopped
indexer, a large lag, or a store stuck at one block for several polls; never for the
block or two a running indexer picks up at its next poll."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from api.console import lists

POLL = 0.05


class Runner:
    def __init__(self) -> None:
        self.indexed = 100
        self.running = True
        self.indexer = SimpleNamespace(start_block=1)

    def status(self) -> dict[str, Any]:
        return {"indexed_block": self.indexed, "confirmations": 0, "running": self.running}


class Eth:
    def __init__(self, head: list[int]) -> None:
        self.head = head

    @property
    def block_number(self) -> int:
        return self.head[0]


def _world(runner: Runner, head: list[int]) -> tuple[Any, Any]:
    eth = Eth(head)
    runtime = SimpleNamespace(w3=SimpleNamespace(eth=eth),
                              settings=SimpleNamespace(indexer_poll_seconds=POLL))  # fmt: skip
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(indexer=runner)))
    return request, runtime


def test_a_keeping_up_indexer_never_shows_the_banner() -> None:
    runner, head = Runner(), [100]
    request, runtime = _world(runner, head)
    shown = 0
    for _ in range(20):  # a block is mined, the page loads, the indexer catches up
        head[0] += 1
        shown += lists.lag_of(request, runtime) is not None
        runner.indexed = head[0]
        shown += lists.lag_of(request, runtime) is not None
    assert shown == 0


def test_a_stuck_stopped_or_far_behind_store_shows_the_banner() -> None:
    runner, head = Runner(), [101]
    request, runtime = _world(runner, head)
    assert lists.lag_of(request, runtime) is None  # just mined: the next poll takes it
    time.sleep(lists.GRACE_POLLS * POLL + 0.05)
    stuck = lists.lag_of(request, runtime)
    assert stuck is not None and (stuck.indexed, stuck.head, stuck.lag) == (100, 101, 1)
    runner.indexed = 101
    assert lists.lag_of(request, runtime) is None
    head[0] = 101 + lists.LAG_BLOCKS + 1
    assert lists.lag_of(request, runtime) is not None  # far behind: at once
    head[0], runner.running = 102, False
    runner.indexed = 101
    assert lists.lag_of(request, runtime) is not None  # the indexer stopped: at once


def test_what_the_banner_remembers_goes_with_its_indexer() -> None:
    """The stuck-since time belongs to one indexer object and goes with it: a new one (a
    restarted app, which Python may give a gone one's address) starts with a clean slate,
    and a process that makes many apps keeps nothing of the gone ones."""
    import gc

    head = [101]
    old = Runner()
    request, runtime = _world(old, head)
    assert lists.lag_of(request, runtime) is None  # first seen stuck at 100 now
    assert old in lists._behind_since
    remembered = len(lists._behind_since)
    del old, request
    gc.collect()
    assert len(lists._behind_since) == remembered - 1
