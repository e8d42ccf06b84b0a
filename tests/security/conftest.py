"""A gateway on the in-process chain with the consortium admin only (no cast), for the
credential tests; each test uses its own client addresses and key prefixes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.workflows.world import RegistryWorld, start_world


class FakeClock:
    """Wall-clock seconds that move only when a test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryWorld]:
    world, client = start_world(tmp_path_factory.mktemp("security"), cast=False)
    try:
        yield world
    finally:
        client.__exit__(None, None, None)
