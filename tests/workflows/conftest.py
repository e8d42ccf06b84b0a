"""Shared fixture: ``registry_world`` - the deployed ledger behind the gateway with the
Qingdao cast admitted over HTTP (one per test module; tests share its chain)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.workflows.world import RegistryWorld, start_world


@pytest.fixture(scope="module")
def registry_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryWorld]:
    world, client = start_world(tmp_path_factory.mktemp("registry"))
    try:
        yield world
    finally:
        client.__exit__(None, None, None)
