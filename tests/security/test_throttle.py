"""Failed API-key attempts are throttled per client address and per key prefix; the
limiter's cells live in the database, so every gateway process on it sees them."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from chain.accounts import CONSORTIUM_ORG_ID, AccountStore, key_prefix_of
from chain.db import make_engine, session_factory
from chain.runtime import LedgerRuntime, migrate_database
from chain.throttle import AttemptLimiter, DatabaseCells, MemoryCells, Refusal
from tests.security.conftest import FakeClock
from tests.security.stores import STORES, scratch_database
from tests.workflows.world import RegistryWorld, build_app

PER_MINUTE = 10
BURST = 20
CHEAP = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}


def limiter_on(world: RegistryWorld, clock: FakeClock) -> AttemptLimiter:
    """A limiter on the gateway's database with the test's clock, put in the app."""
    limiter = AttemptLimiter(
        DatabaseCells(world.runtime.sessions), per_minute=PER_MINUTE, burst=BURST, clock=clock
    )
    world.client.app.state.auth_throttle = limiter  # type: ignore[attr-defined]
    return limiter


def client_at(world: RegistryWorld, address: str) -> TestClient:
    return TestClient(world.client.app, client=(address, 40000), raise_server_exceptions=False)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def guess_at(prefix: str) -> str:
    return f"dal_{prefix}_{secrets.token_urlsafe(32)}"


def new_user(world: RegistryWorld, name: str) -> str:
    _, key = world.runtime.accounts.create_user(CONSORTIUM_ORG_ID, name, "reader")
    return key


def assert_throttled(response: httpx.Response, retry_after: int, scope: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == str(retry_after)
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "too-many-attempts"
    assert body["type"].endswith("/too-many-attempts")
    assert body["retry_after"] == retry_after
    assert body["scope"] == scope


@pytest.mark.deep  # ~2,000 HTTP requests: 10-60 s depending on the machine's load
def test_guesses_1000_take_the_configured_time(gateway: RegistryWorld) -> None:
    clock = FakeClock()
    limiter = limiter_on(gateway, clock)
    victim_prefix = key_prefix_of(new_user(gateway, "guessed at"))
    answers: Counter[int] = Counter()
    waits: Counter[str] = Counter()
    started = clock.now

    async def guess_1000() -> None:  # one event loop for all requests (no portal each)
        transport = httpx.ASGITransport(app=gateway.client.app, client=("198.51.100.10", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            guesses = 0
            while guesses < 1000:
                response = await client.get("/v1/me", headers=bearer(guess_at(victim_prefix)))
                answers[response.status_code] += 1
                if response.status_code == 401:
                    assert response.json()["code"] == "not-authenticated"
                    guesses += 1
                    continue
                wait = int(response.headers["Retry-After"])
                assert_throttled(response, wait, "client")  # both cells full: client named
                waits[response.headers["Retry-After"]] += 1
                clock.advance(wait)

    asyncio.run(guess_1000())
    elapsed = clock.now - started
    # the limiter's own schedule: BURST at once, then one every 60 / PER_MINUTE seconds
    expected = (1000 - BURST) * limiter.interval
    print(f"\n1,000 guesses at {PER_MINUTE}/min after a burst of {BURST}: {elapsed / 60:.1f} "
          f"min of clock, {answers[401]} x 401, {answers[429]} x 429")  # fmt: skip
    assert limiter.interval == 6.0
    assert elapsed == expected == 5880.0
    assert elapsed >= 98 * 60
    assert answers == Counter({401: 1000, 429: 980})
    assert waits == Counter({"6": 980})


def test_guesses_1000_on_the_limiter_take_the_configured_time() -> None:
    """The same schedule without HTTP or database (the fast suite's copy of the test
    above; the database cells have their own tests below)."""
    clock = FakeClock()
    limiter = AttemptLimiter(MemoryCells(), per_minute=PER_MINUTE, burst=BURST, clock=clock)
    refusals: Counter[tuple[str, int]] = Counter()
    started = clock.now
    for _ in range(1000):
        while (refusal := limiter.check("198.51.100.20", "feedface")) is not None:
            refusals[(refusal.scope, refusal.retry_after)] += 1
            clock.advance(refusal.retry_after)
        limiter.failed("198.51.100.20", "feedface")
    assert clock.now - started == (1000 - BURST) * limiter.interval == 98 * 60
    assert refusals == Counter({("client", 6): 980})


def test_retry_after_counts_down_with_the_clock(gateway: RegistryWorld) -> None:
    clock = FakeClock()
    limiter_on(gateway, clock)
    attacker = client_at(gateway, "198.51.100.11")
    prefix = "0badf00d"
    for _ in range(BURST):
        assert attacker.get("/v1/me", headers=bearer(guess_at(prefix))).status_code == 401
    assert_throttled(attacker.get("/v1/me", headers=bearer(guess_at(prefix))), 6, "client")
    clock.advance(2.5)
    assert_throttled(attacker.get("/v1/me", headers=bearer(guess_at(prefix))), 4, "client")
    clock.advance(3.5)
    assert attacker.get("/v1/me", headers=bearer(guess_at(prefix))).status_code == 401
    # a refused attempt costs nothing: after the wait, exactly one more guess passes
    assert_throttled(attacker.get("/v1/me", headers=bearer(guess_at(prefix))), 6, "client")
    # waiting out the whole burst window empties the cells again
    clock.advance(BURST * 6)
    answers = Counter(
        attacker.get("/v1/me", headers=bearer(guess_at(prefix))).status_code
        for _ in range(BURST + 1)
    )
    assert answers == Counter({401: BURST, 429: 1})


def test_correct_key_from_another_client_passes_while_guesses_are_throttled(
    gateway: RegistryWorld,
) -> None:
    clock = FakeClock()
    limiter_on(gateway, clock)
    victim_key = new_user(gateway, "victim")
    attacked_prefix = "5eed5eed"
    attacker = client_at(gateway, "198.51.100.12")
    for _ in range(BURST):
        assert attacker.get("/v1/me", headers=bearer(guess_at(attacked_prefix))).status_code == 401
    assert_throttled(attacker.get("/v1/me", headers=bearer(guess_at(attacked_prefix))), 6, "client")

    # the victim, from its own address with its own key (never verified in this process)
    assert not gateway.runtime.accounts.recently_verified(victim_key)
    victim = client_at(gateway, "203.0.113.5")
    response = victim.get("/v1/me", headers=bearer(victim_key))
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "victim"
    # the attacker switching prefix is still held by its address ...
    assert_throttled(attacker.get("/v1/me", headers=bearer(guess_at("11112222"))), 6, "client")
    # ... and a second attacker address guessing at the same prefix by that prefix's cell
    helper = client_at(gateway, "198.51.100.13")
    assert_throttled(helper.get("/v1/me", headers=bearer(guess_at(attacked_prefix))), 6, "prefix")
    # a wrong key from the victim's address is one failure of its own, not a lock-out
    assert victim.get("/v1/me", headers=bearer(guess_at("99998888"))).status_code == 401
    assert victim.get("/v1/me", headers=bearer(victim_key)).status_code == 200


def test_limiter_state_is_shared_by_gateway_processes_on_one_database(
    gateway: RegistryWorld,
) -> None:
    clock = FakeClock()
    limiter_on(gateway, clock)
    first = gateway.runtime
    # a second gateway on the same database file: its own engine, pool and limiter
    second = LedgerRuntime.assemble(
        first.settings, first.handle, first.keystore, first.admin, first.deployment
    )
    assert second.engine is not first.engine
    second.accounts = AccountStore(second.sessions, hasher=PasswordHasher(**CHEAP))
    other_app = build_app(second)
    other_app.state.runtime = second
    other_app.state.auth_throttle = AttemptLimiter.from_settings(
        second.settings.model_copy(
            update={"auth_failures_per_minute": PER_MINUTE, "auth_failure_burst": BURST}
        ),
        second.sessions,
        clock=clock,
    )
    attacker_on_first = client_at(gateway, "198.51.100.14")
    attacker_on_second = TestClient(
        other_app, client=("198.51.100.14", 40001), raise_server_exceptions=False
    )
    for _ in range(BURST):
        response = attacker_on_first.get("/v1/me", headers=bearer(guess_at("abcdabcd")))
        assert response.status_code == 401
    response = attacker_on_second.get("/v1/me", headers=bearer(guess_at("dcbadcba")))
    assert_throttled(response, 6, "client")
    second.engine.dispose()


def test_memory_store_is_per_process(gateway: RegistryWorld) -> None:
    settings = gateway.runtime.settings.model_copy(update={"auth_throttle_store": "memory"})
    clock = FakeClock()
    one = AttemptLimiter.from_settings(settings, gateway.runtime.sessions, clock=clock)
    two = AttemptLimiter.from_settings(settings, gateway.runtime.sessions, clock=clock)
    assert isinstance(one.cells, MemoryCells)
    for _ in range(settings.auth_failure_burst):
        one.failed("192.0.2.1", "aaaabbbb")
    refusal = one.check("192.0.2.1", "ccccdddd")
    assert refusal is not None and refusal.scope == "client"
    assert refusal.retry_after == 60 / settings.auth_failures_per_minute
    assert two.check("192.0.2.1", "ccccdddd") is None


class CountingHasher(PasswordHasher):
    """Counts argon2 verifications; the first one holds until ``expected`` other requests
    wait for it (so the requests truly overlap)."""

    def __init__(self, expected: int) -> None:
        super().__init__(**CHEAP)
        self.calls = 0
        self.expected = expected
        self.store: AccountStore | None = None
        self.key = ""
        self.waiters_seen = -1
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.calls += 1
        assert self.store is not None
        deadline = time.monotonic() + 60
        while self.store.waiting(self.key) < self.expected and time.monotonic() < deadline:
            time.sleep(0.001)
        self.waiters_seen = self.store.waiting(self.key)
        return bool(super().verify(hash, password))


def test_concurrent_first_requests_with_one_key_verify_it_once(gateway: RegistryWorld) -> None:
    runtime = gateway.runtime
    original = runtime.accounts
    hasher = CountingHasher(expected=31)
    store = AccountStore(runtime.sessions, hasher=hasher)
    hasher.store = store
    _, key = store.create_user(CONSORTIUM_ORG_ID, "busy script", "writer")
    hasher.key = key
    runtime.accounts = store
    gateway.client.app.state.auth_throttle = None  # type: ignore[attr-defined]

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=gateway.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            return list(
                await asyncio.gather(
                    *(client.get("/v1/me", headers=bearer(key)) for _ in range(32))
                )
            )

    try:
        responses = asyncio.run(burst())
    finally:
        runtime.accounts = original
    bodies: list[dict[str, Any]] = [r.json() for r in responses]
    assert [r.status_code for r in responses] == [200] * 32
    assert {(b["name"], b["role"]) for b in bodies} == {("busy script", "writer")}
    assert hasher.waiters_seen == 31
    assert hasher.calls == 1


@pytest.mark.parametrize("store", STORES)
def test_database_cells_charge_check_and_sweep_on_each_store(store: str, tmp_path: Path) -> None:
    with scratch_database(store, tmp_path) as url:
        engine, other_engine = make_engine(url), make_engine(url)  # two processes' engines
        try:
            migrate_database(engine)
            cells = DatabaseCells(session_factory(engine))
            other = DatabaseCells(session_factory(other_engine))
            clock = FakeClock(1000.0)
            limiter = AttemptLimiter(cells, per_minute=30, burst=2, clock=clock)
            limiter.failed("192.0.2.9", "01234567")
            other.charge([("client", "192.0.2.9"), ("prefix", "01234567")], 1000.0, 2.0)
            assert cells.tats([("client", "192.0.2.9"), ("prefix", "01234567")]) == {
                ("client", "192.0.2.9"): 1004.0,
                ("prefix", "01234567"): 1004.0,
            }
            assert limiter.check("192.0.2.9", "89abcdef") == Refusal("client", 2)
            assert limiter.check("192.0.2.10", "01234567") == Refusal("prefix", 2)
            assert limiter.check("192.0.2.10", "89abcdef") is None
            clock.advance(2)
            assert limiter.check("192.0.2.9", "01234567") is None
            cells.sweep(1004.0)
            assert cells.tats([("client", "192.0.2.9"), ("prefix", "01234567")]) == {}
        finally:
            engine.dispose()
            other_engine.dispose()
