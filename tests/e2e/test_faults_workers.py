"""Deep test: several gateway processes on one PostgreSQL (how a city scales out).

``ledger serve --workers 4`` (``FAULTS_WORKERS``) on a database of its own, in front of
an automining anvil. At the same time ``FAULTS_WORKER_WRITES`` (default 200 for the deep
suite's time; the issue's 400 with FAULTS_WORKER_WRITES=400, figures in docs/security.md)
concurrent registrations by one holder and ``FAULTS_WORKER_PAYMENTS`` (default 50) concurrent token
payments by one merchant, whose balance is exactly their sum, reach the processes. All
settle: the operator's payout account and the city treasury receive exactly the
contract's split of every payment (to the fen), the merchant ends at zero, every payment
is settled once, and each signer's nonces run without a gap on chain and in the journal -
the nonce rows and the payer lock live in the database.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from sqlalchemy import create_engine, select
from web3 import Web3

from chain import localnode
from chain.artifacts import load
from chain.bindings.contracts import REGISTRY, SPLIT, TEST_TOKEN
from chain.txpipe.models import MINED, Operation
from tests.e2e.faults_support import (
    QINGDAO,
    Client,
    GatewayProcess,
    env_int,
    fresh_database,
    gateway_env,
    node_config,
)

pytestmark = [pytest.mark.deep, pytest.mark.anvil]

WORKERS = env_int("FAULTS_WORKERS", 4)
WRITES = env_int("FAULTS_WORKER_WRITES", 200)
PAYMENTS = env_int("FAULTS_WORKER_PAYMENTS", 50)
YUAN = 100
DAY = 86_400


def h(label: str) -> str:
    return "0x" + bytes(Web3.keccak(text=label)).hex()


def _post_until_accepted(
    url: str, path: str, key: str, body: Any, idem: str, statuses: Counter[int],
    lock: threading.Lock,
) -> httpx.Response:  # fmt: skip
    with httpx.Client(base_url=url, timeout=180) as http:
        for _ in range(600):
            response = http.post(path, json=body, headers={
                "Authorization": f"Bearer {key}", "Idempotency-Key": idem})  # fmt: skip
            with lock:
                statuses[response.status_code] += 1
            if response.status_code == 202:
                return response
            assert response.status_code in (429, 503), (path, response.text)
            assert response.json()["code"] in ("backpressure", "chain-unavailable")
            time.sleep(min(float(response.headers["Retry-After"]), 1.0))
    raise AssertionError(f"{path} {idem} was never accepted")


def _usable_asset(t: Client, w3: Web3) -> str:
    """Registered, valued, certified, paid use approved, schedule set, accounts set."""
    asset = t.mined(
        "POST",
        "/v1/assets",
        "holder",
        {"catalogue_code": "370200-WK-2026-0000", "domain_code": 7, "metadata": {"n": 0}},
    )
    asset_id = str(asset.headers["Ledger-Resource-Id"])
    t.mined(
        "POST",
        f"/v1/assets/{asset_id}/valuation",
        "registrar",
        {"value_fen": 1_000_000_00, "method_code": 1, "report_hash": h("valuation")},
    )
    t.mined(
        "POST",
        f"/v1/assets/{asset_id}/compliance",
        "registrar",
        {"passed": True, "report_hash": h("compliance")},
    )
    w3.provider.make_request("evm_increaseTime", [10 * DAY + 1])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    t.mined("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
    app = t.mined(
        "POST",
        f"/v1/assets/{asset_id}/applications",
        "holder",
        {"operator_org_id": t.orgs["operator"], "scope": {"purpose": "scale-out test"}},
    )
    app_id = app.headers["Ledger-Resource-Id"]
    t.mined("POST", f"/v1/applications/{app_id}/reviews", "competent", {"approve": True})
    t.mined("POST", f"/v1/applications/{app_id}/reviews", "data_admin", {"approve": True})
    t.mined("POST", f"/v1/applications/{app_id}/approval", "finance", {"approve": True})
    t.mined(
        "POST",
        f"/v1/assets/{asset_id}/schedules",
        "finance",
        {"lower_bounds": [0, 1_000 * YUAN, 5_000 * YUAN], "operator_bps": [2_000, 3_500, 5_000]},
    )
    return asset_id  # fmt: skip


def test_four_gateway_processes_on_one_postgres_settle_writes_and_payments_exactly(
    tmp_path: Path,
) -> None:
    config = node_config(tmp_path, block_time=0, state_interval=5)
    localnode.start(config)
    client: Client | None = None
    with fresh_database("faults_workers") as db_url:
        gateway = GatewayProcess(
            tmp_path, gateway_env(tmp_path, config, LEDGER_DATABASE_URL=db_url), workers=WORKERS
        )
        try:
            gateway.start()
            workers = gateway.log_lines("Started server process")
            assert len(workers) == WORKERS, workers
            t = client = Client(gateway.url)
            w3 = Web3(Web3.HTTPProvider(config.url))
            t.registrar_and(("holder", "holder"), ("competent", "competent_dept"),
                            ("data_admin", "data_administration"), ("finance", "finance_dept"),
                            ("operator", "operator"), ("merchant", "merchant"))  # fmt: skip
            asset_id = _usable_asset(t, w3)
            treasury, payout = Account.create().address, Account.create().address
            t.mined("PUT", f"/v1/cities/{QINGDAO}/treasury-account", "finance",
                    {"account": treasury})  # fmt: skip
            t.mined("PUT", f"/v1/orgs/{t.orgs['operator']}/payout-account", "operator",
                    {"account": payout})  # fmt: skip
            amounts = [(1_000 + 137 * n) * YUAN + n for n in range(PAYMENTS)]
            t.mined("POST", "/v1/dev/faucet", "admin",
                    {"org_id": t.orgs["merchant"], "amount": sum(amounts)})  # fmt: skip
            info = t.request("GET", "/v1/chain", "admin").json()["contracts"]

            def contract(name: str) -> Any:
                address = Web3.to_checksum_address(info[name]["address"])
                return w3.eth.contract(address=address, abi=load(name).abi)

            token, split, registry = contract(TEST_TOKEN), contract(SPLIT), contract(REGISTRY)
            merchant = t.request("GET", f"/v1/orgs/{t.orgs['merchant']}/balance",
                                 "merchant").json()["account"]  # fmt: skip
            assert token.functions.balanceOf(merchant).call() == sum(amounts)

            # -- 400 registrations and 50 payments at once, over the 4 processes --------
            statuses: Counter[int] = Counter()
            lock = threading.Lock()
            started = time.monotonic()

            def write(n: int) -> tuple[str, str]:
                body = {"catalogue_code": f"370200-WK-2026-{n + 1:04d}", "domain_code": 7,
                        "metadata": {"n": n + 1}}  # fmt: skip
                r = _post_until_accepted(gateway.url, "/v1/assets", t.keys["holder"], body,
                                         f"workers-{n}", statuses, lock)  # fmt: skip
                return r.json()["id"], r.headers["Ledger-Resource-Id"]

            def pay(n: int) -> tuple[str, str]:
                body = {"amount": amounts[n], "reference": f"WK-PAY-{n:03d}"}
                r = _post_until_accepted(gateway.url, f"/v1/assets/{asset_id}/payments",
                                         t.keys["merchant"], body, f"pay-{n}", statuses,
                                         lock)  # fmt: skip
                return r.json()["id"], r.headers["Payment-Id"]

            with ThreadPoolExecutor(max_workers=24) as pool:
                payments_f = [pool.submit(pay, n) for n in range(PAYMENTS)]
                writes_f = [pool.submit(write, n) for n in range(WRITES)]
                writes = [f.result() for f in writes_f]
                payments = [f.result() for f in payments_f]
            accepted = time.monotonic() - started

            # -- every operation mined; nonces without a gap per signer -----------------
            engine = create_engine("postgresql+psycopg://" + db_url.split("://", 1)[1])
            wanted = {op for op, _ in writes} | {op for op, _ in payments}
            deadline = time.monotonic() + 300
            while True:
                with engine.connect() as db:
                    rows = list(db.execute(select(
                        Operation.id, Operation.state, Operation.nonce, Operation.signer,
                        Operation.function, Operation.org_id)))  # fmt: skip
                states = Counter(r.state for r in rows if r.id in wanted)
                if states == Counter({MINED: len(wanted)}) or time.monotonic() > deadline:
                    break
                time.sleep(1)
            engine.dispose()
            assert states == Counter({MINED: WRITES + PAYMENTS})
            by_signer: dict[str, list[Any]] = {}
            for r in rows:
                by_signer.setdefault(r.signer, []).append(r)
            for signer, ops in by_signer.items():
                # the deploying admin's first nonces went to the deployment (no journal)
                first = min(op.nonce for op in ops)
                assert sorted(op.nonce for op in ops) == list(range(first, first + len(ops)))
                assert {op.state for op in ops} == {MINED}, signer
                assert w3.eth.get_transaction_count(signer, "latest") == first + len(ops)
            (holder_signer,) = {r.signer for r in rows if r.org_id == t.orgs["holder"]}
            assert min(r.nonce for r in by_signer[holder_signer]) == 0
            (merchant_signer,) = {r.signer for r in rows if r.org_id == t.orgs["merchant"]}
            assert merchant_signer == merchant
            merchant_ops = Counter(r.function for r in by_signer[merchant_signer])
            assert merchant_ops["pay"] == PAYMENTS

            # -- exact totals, no double spend ------------------------------------------
            operator_total = treasury_total = 0
            for n, amount in enumerate(amounts):
                operator_share, treasury_share, _version = split.functions.preview(
                    bytes.fromhex(asset_id[2:]), amount).call()  # fmt: skip
                assert operator_share + treasury_share == amount
                operator_total += operator_share
                treasury_total += treasury_share
                payment_id = bytes.fromhex(payments[n][1][2:])
                assert split.functions.paymentStatus(payment_id).call() == 1  # Settled
            assert token.functions.balanceOf(payout).call() == operator_total
            assert token.functions.balanceOf(treasury).call() == treasury_total
            assert token.functions.balanceOf(merchant).call() == 0
            settled = split.events.PaymentSettled().get_logs(from_block=info[SPLIT]["block"])
            assert len(settled) == PAYMENTS
            assert len({bytes(e["args"]["paymentId"]) for e in settled}) == PAYMENTS
            assert sum(e["args"]["amount"] for e in settled) == sum(amounts)
            registered = registry.events.ResourceRegistered().get_logs(
                from_block=info[REGISTRY]["block"])  # fmt: skip
            ids = Counter("0x" + bytes(e["args"]["assetId"]).hex() for e in registered)
            assert all(ids[asset] == 1 for _, asset in writes)
            assert len(ids) == WRITES + 1
            print(
                f"\nscale-out: {WORKERS} gateway processes on one PostgreSQL: {WRITES} "
                f"registrations by one holder and {PAYMENTS} token payments by one merchant "
                f"at once, all mined; answers {dict(statuses)}; nonces without a gap: holder "
                f"{len(by_signer[holder_signer])}, merchant {len(by_signer[merchant_signer])} "
                f"({merchant_ops['approve']} approvals); paid {sum(amounts)} fen = operator "
                f"{operator_total} + treasury {treasury_total}, merchant left 0, double "
                f"spends 0; accepted in {accepted:.0f}s, "
                f"settled in {time.monotonic() - started:.0f}s"
            )

            # -- one catalogue code sent 16 times at once, over the 4 processes: the
            # code is checked in the transaction that journals the write, after the
            # holder's nonce row is locked, so one is registered and the rest refused
            def same_code(n: int) -> httpx.Response:
                body = {"catalogue_code": "370200-WK-ONCE", "domain_code": 7, "metadata": {}}
                with httpx.Client(base_url=gateway.url, timeout=180) as http:
                    return http.post("/v1/assets", json=body, headers={
                        "Authorization": f"Bearer {t.keys['holder']}",
                        "Idempotency-Key": f"once-{n}"})  # fmt: skip

            with ThreadPoolExecutor(max_workers=16) as pool:
                answers = list(pool.map(same_code, range(16)))
            assert sorted(a.status_code for a in answers) == [202] + [409] * 15, [
                a.text for a in answers
            ]
            (once,) = [a.headers["Ledger-Resource-Id"] for a in answers if a.status_code == 202]
            assert {a.json()["asset_id"] for a in answers if a.status_code == 409} == {once}
        finally:
            if client is not None:
                client.close()
            gateway.stop()
            localnode.stop(config)
