"""Property tests: RevenueSplitV2's `quote` (SplitMath) against the Python reference model.

Random schedules of 1-20 brackets, rates including 0 and 10,000, bounds and amounts up
to 2**128, amounts exactly on, just below and just above bounds. `make test` runs the
"split" profile (300 examples); `make check-deep` runs the deep-marked copies with the
"deep" profile (HYPOTHESIS_PROFILE=deep, thousands of examples).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract
from web3.providers.eth_tester import EthereumTesterProvider

from chain import artifacts, splitmath
from tests.contracts.reverts import decode_custom_error

LIMIT = 2**128
Schedule = tuple[list[int], list[int]]

rates = st.one_of(st.sampled_from([0, 1, 5_000, 9_999, 10_000]), st.integers(0, 10_000))
bound_values = st.one_of(st.integers(1, 1_000), st.integers(1, LIMIT))


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    count = draw(st.integers(1, splitmath.MAX_BRACKETS))
    upper = draw(st.lists(bound_values, min_size=count - 1, max_size=count - 1, unique=True))
    bps = sorted(draw(st.lists(rates, min_size=count, max_size=count)))
    return [0, *sorted(upper)], bps


@st.composite
def schedule_and_amounts(draw: st.DrawFn) -> tuple[Schedule, list[int]]:
    bounds, bps = draw(schedules())
    near_bounds = st.sampled_from(bounds).flatmap(
        lambda b: st.sampled_from([max(b - 1, 0), b, min(b + 1, LIMIT)])
    )
    amount = st.one_of(near_bounds, st.integers(0, LIMIT), st.integers(0, 10**6))
    return (bounds, bps), draw(st.lists(amount, min_size=1, max_size=4))


# Arbitrary (mostly invalid) schedules for the validation rules.
raw_schedules = st.tuples(
    st.lists(st.one_of(st.integers(0, 50), st.integers(0, LIMIT)), max_size=22),
    st.lists(st.one_of(st.integers(0, 10_010), st.integers(0, 2**16 - 1)), max_size=22),
)


@dataclass
class SplitEnv:
    split: Contract


@pytest.fixture(scope="module")
def split_env() -> Iterator[SplitEnv]:
    """RevenueSplitV2 deployed behind its context (UseAndFinance over the directory and
    registry); ``quote`` is pure and needs nothing else."""
    w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
    admin = w3.eth.accounts[0]

    def deploy(name: str, *args: object) -> Contract:
        art = artifacts.load(name)
        factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        receipt = w3.eth.wait_for_transaction_receipt(
            factory.constructor(*args).transact({"from": admin})
        )
        return w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)

    directory = deploy("OrgDirectory", 86_400)
    registry = deploy("AssetRegistryV2", directory.address)
    uaf = deploy("UseAndFinance", directory.address, registry.address)
    token = deploy("LedgerTestToken")
    yield SplitEnv(deploy("RevenueSplitV2", uaf.address, token.address, 86_400))


def _profile(name: str) -> settings:
    return settings(settings.get_profile(name))


def check_quote(split_env: SplitEnv, schedule: Schedule, amounts: list[int]) -> None:
    bounds, bps = schedule
    quote = split_env.split.functions.quote
    for amount in amounts:
        expected = splitmath.split(bounds, bps, amount)
        operator, treasury = quote(bounds, bps, amount).call()
        assert (operator, treasury) == expected
        assert operator + treasury == amount
        # the operator never gets more than the top rate, nor less than the bottom one
        assert amount * bps[0] // 10_000 <= operator <= amount * bps[-1] // 10_000


def check_validation(split_env: SplitEnv, bounds: list[int], bps: list[int]) -> None:
    quote = split_env.split.functions.quote
    try:
        splitmath.validate(bounds, bps)
    except splitmath.ScheduleError as exc:
        expected: tuple[str, tuple[Any, ...]] | None = (exc.rule, exc.args_)
    else:
        expected = None
    try:
        result = quote(bounds, bps, 12_345).call()
    except Exception as exc:
        assert expected is not None, f"contract rejected a valid schedule: {exc!r}"
        assert decode_custom_error(exc, split_env.split.abi) == expected
    else:
        assert expected is None, f"contract accepted a schedule breaking {expected}"
        assert tuple(result) == splitmath.split(bounds, bps, 12_345)


@_profile("split")
@given(case=schedule_and_amounts())
def test_quote_matches_reference_model(split_env: SplitEnv, case: Any) -> None:
    check_quote(split_env, *case)


@_profile("split")
@given(raw=raw_schedules)
def test_quote_validation_matches_reference_model(split_env: SplitEnv, raw: Any) -> None:
    check_validation(split_env, *raw)


@pytest.mark.deep
@_profile("deep")
@given(case=schedule_and_amounts())
def test_quote_matches_reference_model_deep(split_env: SplitEnv, case: Any) -> None:
    check_quote(split_env, *case)


@pytest.mark.deep
@_profile("deep")
@given(raw=raw_schedules)
def test_quote_validation_matches_reference_model_deep(split_env: SplitEnv, raw: Any) -> None:
    check_validation(split_env, *raw)


def test_reference_model_worked_example() -> None:
    bounds, bps = [0, 10_000_000, 50_000_000], [2_000, 3_500, 5_000]
    assert splitmath.split(bounds, bps, 8_000_000) == (1_600_000, 6_400_000)
    assert splitmath.split(bounds, bps, 30_000_000) == (9_000_000, 21_000_000)
    assert splitmath.split(bounds, bps, 100_000_000) == (41_000_000, 59_000_000)
    with pytest.raises(ValueError, match="SplitRateDecreasing"):
        splitmath.validate([0, 1], [2, 1])
