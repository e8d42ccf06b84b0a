"""Random legal and illegal lifecycle moves against a Python model of the state machine.

Default: 15 examples x 12 steps (~50 s on eth-tester, which runs ~30 tx/s). Set
``HYPOTHESIS_PROFILE=deep`` for a longer run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.contracts.registry.conftest import (
    DEFAULT_NOTICE,
    DEFAULT_TERM,
    AssetStatus,
    CertStatus,
    Ledger,
    h,
)
from tests.contracts.reverts import decode_custom_error

SETTINGS = settings(
    max_examples=15, stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck)
)
LONG_SETTINGS = settings(
    max_examples=120, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
)
ZERO = b"\x00" * 32


@dataclass
class Model:
    status: AssetStatus = AssetStatus.REGISTERED
    valued: bool = False
    passed: bool = False
    notice_ends: int = 0
    open_objections: int = 0
    disputed: bool = False
    cert: bytes = ZERO
    cert_until: int = 0
    cert_revoked: bool = False
    pledge: bytes = ZERO
    disposal_requested: bool = False
    objection_seq: int = 0

    def cert_status(self, now: int) -> CertStatus:
        if self.cert == ZERO:
            return CertStatus.UNKNOWN
        if self.cert_revoked:
            return CertStatus.REVOKED
        return CertStatus.ACTIVE if now < self.cert_until else CertStatus.EXPIRED

    def live(self) -> bool:
        return self.status not in (AssetStatus.DISPOSED, AssetStatus.DEREGISTERED)


def test_lifecycle_state_machine_matches_model(led: Ledger) -> None:
    check_lifecycle(led, SETTINGS)


@pytest.mark.deep
def test_lifecycle_state_machine_matches_model_in_long_runs(led: Ledger) -> None:
    check_lifecycle(led, LONG_SETTINGS)


def check_lifecycle(led: Ledger, run_settings: settings) -> None:
    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snap = led.tester.take_snapshot()
            self.asset = led.register("sm")
            self.m = Model()
            self.objections: list[bytes] = []

        def teardown(self) -> None:
            led.tester.revert_to_snapshot(self.snap)

        def attempt(self, role: str, fn: str, args: tuple[Any, ...], legal: bool) -> Any:
            sender = led.addr(role)
            call = getattr(led.reg.functions, fn)(*args)
            try:
                call.call({"from": sender})
            except Exception as exc:
                name, got = decode_custom_error(exc, led.abi)
                assert not legal, f"{fn} should succeed, reverted {name}{got}"
                return None
            assert legal, f"{fn} should revert but succeeded"
            return led.tx(role, fn, *args)

        @rule(value=st.integers(min_value=0, max_value=10**12))
        def value(self, value: int) -> None:
            legal = self.m.status == AssetStatus.REGISTERED and value > 0
            if self.attempt("registrar", "recordValuation", (self.asset, value, 1, h("v")), legal):
                self.m.valued = True
                self._maybe_notice()

        @rule(passed=st.booleans())
        def comply(self, passed: bool) -> None:
            legal = self.m.status == AssetStatus.REGISTERED
            if self.attempt("registrar", "recordCompliance", (self.asset, passed, h("c")), legal):
                self.m.passed = passed
                self._maybe_notice()

        def _maybe_notice(self) -> None:
            if self.m.valued and self.m.passed:
                self.m.status = AssetStatus.IN_NOTICE
                self.m.notice_ends = led.now() + DEFAULT_NOTICE

        @rule(role=st.sampled_from(["merchant", "bank", "xm_registrar", "auditor"]))
        def object(self, role: str) -> None:
            self.m.objection_seq += 1
            reason = h(f"obj{self.m.objection_seq}")
            legal = self.m.status == AssetStatus.IN_NOTICE and led.now() + 1 < self.m.notice_ends
            r = self.attempt(role, "lodgeObjection", (self.asset, reason), legal)
            if r:
                self.objections.append(led.event(r, "ObjectionLodged")["objectionId"])
                self.m.open_objections += 1

        @rule(upheld=st.booleans())
        def resolve(self, upheld: bool) -> None:
            if not self.objections:
                return
            oid = self.objections.pop(0)
            if self.attempt("registrar", "resolveObjection", (oid, upheld, h("r")), True):
                self.m.open_objections -= 1
                if upheld and self.m.status == AssetStatus.IN_NOTICE:
                    self.m.status = AssetStatus.REGISTERED
                    self.m.passed = False
                    self.m.notice_ends = 0

        @rule()
        def dispute(self) -> None:
            legal = self.m.live() and not self.m.disputed
            if self.attempt("registrar", "recordDispute", (self.asset, h("d")), legal):
                self.m.disputed = True

        @rule()
        def settle(self) -> None:
            legal = self.m.live() and self.m.disputed
            if self.attempt("registrar", "resolveDispute", (self.asset, h("s")), legal):
                self.m.disputed = False

        @rule(days=st.sampled_from([1, 5, 11, 400, 1100]))
        def wait(self, days: int) -> None:
            led.travel(days * 86400)

        @rule()
        def issue(self) -> None:
            legal = (
                self.m.status == AssetStatus.IN_NOTICE
                and led.now() + 1 >= self.m.notice_ends
                and self.m.open_objections == 0
                and not self.m.disputed
            )
            r = self.attempt("registrar", "issueCertificate", (self.asset,), legal)
            if r:
                self.m.status = AssetStatus.CERTIFIED
                self.m.cert = led.event(r, "CertificateIssued")["certificateId"]
                self.m.cert_until = led.now() + DEFAULT_TERM

        @rule()
        def revoke(self) -> None:
            legal = self.m.status == AssetStatus.CERTIFIED and (
                self.m.cert_status(led.now() + 1) == CertStatus.ACTIVE
            )
            if self.attempt("registrar", "revokeCertificate", (self.m.cert or ZERO, 4), legal):
                self.m.cert_revoked = True

        @rule()
        def pledge(self) -> None:
            legal = (
                self.m.live()
                and self.m.cert_status(led.now() + 1) == CertStatus.ACTIVE
                and self.m.pledge == ZERO
            )
            args = (self.asset, led.orgs["bank"], 10, h("p"))
            r = self.attempt("holder", "requestPledge", args, legal)
            if r:
                fin = led.event(r, "PledgeRequested")["financingId"]
                led.tx("bank", "confirmPledge", fin)
                self.m.pledge = fin

        @rule()
        def release(self) -> None:
            if self.m.pledge != ZERO:
                self.attempt("bank", "releasePledge", (self.m.pledge,), True)
                self.m.pledge = ZERO

        @rule()
        def request_disposal(self) -> None:
            legal = self.m.live() and self.m.pledge == ZERO
            if self.attempt("holder", "requestDisposal", (self.asset, h("x")), legal):
                self.m.disposal_requested = True

        @rule()
        def confirm_disposal(self) -> None:
            legal = self.m.live() and self.m.disposal_requested and self.m.pledge == ZERO
            if self.attempt("registrar", "confirmDisposal", (self.asset,), legal):
                if self.m.cert != ZERO and not self.m.cert_revoked:
                    self.m.cert_revoked = True
                self.m.status = AssetStatus.DISPOSED

        @invariant()
        def chain_matches_model(self) -> None:
            a = led.record("asset", self.asset)
            assert a["status"] == self.m.status
            assert a["openObjections"] == self.m.open_objections
            assert a["disputed"] == self.m.disputed
            assert a["pledgeId"] == self.m.pledge
            if self.m.cert != ZERO:
                assert led.call("certificateStatus", self.m.cert) == self.m.cert_status(led.now())
            assert led.call("paymentContext", self.asset)[5] == (
                self.m.status == AssetStatus.DISPOSED
            )

    run_state_machine_as_test(Lifecycle, settings=run_settings)
