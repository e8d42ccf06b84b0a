"""``ledger demo`` against the gateway app on the in-process chain: the whole scenario is
seeded through HTTP, its figures are checked against the contracts, and a second run
finds the demo there and sends nothing."""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web3 import Web3

from chain import cli
from chain.bindings.contracts import DIRECTORY, REGISTRY, SPLIT, USE_AND_FINANCE
from chain.cli import gateway as cli_gateway
from chain.demo import scenario as s
from chain.demo.runner import DemoState, notice_floor
from chain.runtime import LedgerRuntime
from chain.service.common import struct
from chain.txpipe.models import Operation
from tests.workflows.world import BOOTSTRAP, start_world

NOTICE = 3  # seconds: waited out for real


@dataclass
class Seeded:
    runtime: LedgerRuntime
    state: DemoState
    state_path: Path
    out: str
    started: float
    blocks: int


def b(hex_id: str) -> bytes:
    return bytes.fromhex(hex_id[2:])


def run_demo(client: TestClient, state_path: Path) -> tuple[int, str, str]:
    """``ledger demo`` with its HTTP client served by ``client``: exit code, out, err."""

    @contextmanager
    def in_process(base_url: str, timeout: float) -> Iterator[TestClient]:
        yield client

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, redirect_stdout(out), redirect_stderr(err):
        mp.setattr(cli_gateway, "CLIENT_FACTORY", in_process)
        mp.delenv("LEDGER_API_KEY", raising=False)
        code = cli.main(["demo", "--api-url", "http://ledger.test", "--api-key", BOOTSTRAP,
                         "--notice-seconds", str(NOTICE), "--state", str(state_path)])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LedgerRuntime, TestClient]]:
    world, client = start_world(tmp_path_factory.mktemp("demo"), cast=False)
    try:
        yield world.runtime, client
    finally:
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def seeded(world: tuple[LedgerRuntime, TestClient],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:  # fmt: skip
    runtime, client = world
    state_path = tmp_path_factory.mktemp("demo-state") / "demo.json"
    started, head = time.time(), runtime.w3.eth.block_number
    code, out, err = run_demo(client, state_path)
    assert code == 0, (out, err)
    state = DemoState.load(state_path)
    assert state is not None and state.complete
    yield Seeded(runtime, state, state_path, out, started, runtime.w3.eth.block_number - head)


def _logs(runtime: LedgerRuntime, contract: str, event: str) -> list[dict[str, Any]]:
    """Every ``event`` of ``contract`` since block 0, as decoded argument dicts."""
    found = getattr(runtime.contract(contract).events, event)().get_logs(from_block=0)
    return [dict(log["args"]) for log in found]


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def test_demo_registers_values_and_certifies_after_a_real_notice(seeded: Seeded) -> None:
    rt, st = seeded.runtime, seeded.state
    directory = rt.contract(DIRECTORY).functions
    terms = directory.termsOf(b(st.orgs["qd_registrar"])).call()
    assert tuple(terms) == (NOTICE, 3 * 365 * 86_400)
    valued = {_hex(e["assetId"]): e for e in _logs(rt, REGISTRY, "AssetValued")}
    for asset in s.ASSETS:
        aid = b(st.ids[asset.label])
        holder, city = rt.contract(REGISTRY).functions.holderOf(aid).call()
        assert (_hex(holder), city) == (st.orgs[asset.holder], s.QINGDAO)
        assert valued[st.ids[asset.label]]["valuation"]["valueFen"] == asset.value_fen
        state = struct(rt, "assetState", aid)
        assert state["compliance"] == 1  # Passed
        cert = struct(rt, "certificate", b(st.ids[f"certificate-{asset.label}"]))
        assert cert["assetId"] == st.ids[asset.label]
        assert cert["registrarOrgId"] == st.orgs["qd_registrar"]
        # the notice lasted its NOTICE seconds and the certificate came after it
        assert state["noticeEndsAt"] >= seeded.started + NOTICE - 1
        assert cert["issuedAt"] >= state["noticeEndsAt"]
        assert cert["validUntil"] == cert["issuedAt"] + 3 * 365 * 86_400
    registered = {_hex(e["assetId"]): e for e in _logs(rt, REGISTRY, "ResourceRegistered")}
    for asset in s.ASSETS:
        assert registered[st.ids[asset.label]]["resource"]["domainCode"] == asset.domain_code
    # the chain's clock was never moved: no jump between the demo's blocks
    head = int(rt.w3.eth.block_number)
    times = [int(rt.w3.eth.get_block(n)["timestamp"])
             for n in range(head - seeded.blocks, head + 1)]
    assert max(later - earlier for earlier, later in itertools.pairwise(times)) < 60
    assert struct(rt, "assetState", b(st.ids[s.MAIN.label]))["status"] == 3  # Certified
    # the resource set: 13 items of one batch, materialised as the bureau's resources
    batch = struct(rt, "batch", b(st.ids["batch"]))
    assert (batch["count"], batch["materialised"]) == (13, 13)
    assert batch["holderOrgId"] == st.orgs["transport"] and batch["city"] == s.QINGDAO
    assert len(set(st.items)) == s.RESOURCE_SET_ITEMS == 13
    for item in st.items:
        assert struct(rt, "assetState", b(item))["status"] == 1  # Registered
        assert registered[item]["resource"]["batchId"] == b(st.ids["batch"])


def test_demo_certificate_is_recognised_by_xiamen_and_the_shenzhen_exchange(
    seeded: Seeded,
) -> None:
    rt, st = seeded.runtime, seeded.state
    reg = rt.contract(REGISTRY)
    cert = b(st.ids[f"certificate-{s.MAIN.label}"])
    assert reg.functions.certificateStatus(cert).call() == 1  # Active
    assert reg.functions.isRecognised(cert, b(st.orgs["xm_registrar"])).call() is True
    assert reg.functions.isRecognised(cert, b(st.orgs["sz_exchange"])).call() is True
    exchange = struct(rt, "org", b(st.orgs["sz_exchange"]), contract=DIRECTORY)
    assert (exchange["city"], exchange["active"]) == (s.SHENZHEN, True)
    application = struct(rt, "application", b(st.ids["application"]), contract=USE_AND_FINANCE)
    assert application["operatorOrgId"] == st.orgs["operator"]
    assert application["status"] == 2  # Approved
    operator = rt.contract(USE_AND_FINANCE).functions.operatorOf(b(st.ids[s.MAIN.label])).call()
    assert _hex(operator) == st.orgs["operator"]


def test_demo_payments_split_as_the_worked_example(seeded: Seeded) -> None:
    rt, st = seeded.runtime, seeded.state
    split, token = rt.contract(SPLIT), rt.contract("LedgerTestToken")
    main = b(st.ids[s.MAIN.label])
    settled = {_hex(e["paymentId"]): e for e in _logs(rt, SPLIT, "PaymentSettled")}
    shares = []
    for pid in st.payments:
        p = settled[pid]
        assert p["assetId"] == main
        assert split.functions.paymentStatus(b(pid)).call() != 0
        shares.append((p["amount"], p["operatorShare"], p["treasuryShare"]))
    assert shares == list(s.PAYMENTS)
    assert shares == [(8_000_000, 1_600_000, 6_400_000), (30_000_000, 9_000_000, 21_000_000),
                      (100_000_000, 41_000_000, 59_000_000)]  # fmt: skip
    (off,) = [e for e in _logs(rt, SPLIT, "OffchainPaymentRecorded")
              if _hex(e["paymentId"]) == st.ids["offchain-payment"]]  # fmt: skip
    assert (off["amount"], off["operatorShare"], off["treasuryShare"]) == (
        30_000_000, 9_000_000, 21_000_000,
    )  # fmt: skip
    assert split.functions.outstandingRemittance(main).call() == 21_000_000  # not remitted
    # totals: paid 1,680,000; operator 16,000 + 90,000 + 410,000 + 90,000 (off chain)
    everything = [e for e in [*settled.values(), off] if e["assetId"] == main]
    assert (sum(e["amount"] for e in everything), sum(e["operatorShare"] for e in everything),
            sum(e["treasuryShare"] for e in everything)) == (
        1_680_000 * s.YUAN, 606_000 * s.YUAN, 1_074_000 * s.YUAN,
    )  # fmt: skip
    finance = rt.accounts.get_org(st.orgs["finance"]).signer_address
    operator = rt.accounts.get_org(st.orgs["operator"]).signer_address
    merchant = rt.accounts.get_org(st.orgs["merchant"]).signer_address

    def balance(account: str) -> int:
        return int(token.functions.balanceOf(Web3.to_checksum_address(account)).call())

    assert split.functions.treasuryAccount(s.QINGDAO).call() == finance
    assert balance(finance) == 864_000 * s.YUAN
    assert balance(operator) == 516_000 * s.YUAN
    assert balance(merchant) == 620_000 * s.YUAN


def test_demo_financing_and_disposal(seeded: Seeded) -> None:
    rt, st = seeded.runtime, seeded.state
    reg = rt.contract(REGISTRY)
    pledge = struct(rt, "financing", b(st.ids["pledge"]), contract=USE_AND_FINANCE)
    assert pledge["assetId"] == st.ids[s.MAIN.label]
    assert pledge["counterpartyOrgId"] == st.orgs["bank"]
    assert (pledge["amountFen"], pledge["kind"], pledge["status"]) == (
        2_000_000 * s.YUAN, 0, 2,
    )  # Pledge, Active  # fmt: skip
    pledged = rt.contract(USE_AND_FINANCE).functions.pledgeOf(b(st.ids[s.MAIN.label])).call()
    assert _hex(pledged) == st.ids["pledge"]
    equity = struct(rt, "financing", b(st.ids["equity"]), contract=USE_AND_FINANCE)
    assert equity["assetId"] == st.ids[s.VAULT.label]
    assert (equity["amountFen"], equity["kind"], equity["status"]) == (
        1_000_000 * s.YUAN, 2, 4,
    )  # EquityContribution, Recorded  # fmt: skip
    assert struct(rt, "assetState", b(st.ids[s.HEALTH.label]))["status"] == 4  # Disposed
    cert = b(st.ids[f"certificate-{s.HEALTH.label}"])
    assert reg.functions.certificateStatus(cert).call() == 2  # Revoked (disposal)


def test_demo_prints_each_roles_console_and_key_and_the_figures(seeded: Seeded) -> None:
    out, st = seeded.out, seeded.state
    base = "http://ledger.test"
    assert f"{base}/console/login" in out
    for org in s.ORGS:
        assert f"{org.zh} {org.en}" in out
        assert st.keys[org.label] in out
    assert f"console  {base}/console/registrar" in out
    assert f"console  {base}/console/holder" in out
    for line in ("payment 80,000.00 yuan: operator 16,000.00, treasury 64,000.00",
                 "payment 300,000.00 yuan: operator 90,000.00, treasury 210,000.00",
                 "payment 1,000,000.00 yuan: operator 410,000.00, treasury 590,000.00",
                 "treasury 210,000.00 (awaiting remittance)",
                 "outstanding remittance 210,000.00 yuan",
                 "pledge to Bank of Qingdao: 2,000,000.00 yuan, Active",
                 "valued 1,000,000.00 yuan, Recorded",
                 "recognised by Xiamen Data Asset Registration Centre: yes",
                 "recognised by Shenzhen Data Exchange: yes",
                 f"{s.HEALTH.en}: Disposed"):  # fmt: skip
        assert line in out, line


def test_a_second_run_finds_the_demo_and_changes_nothing(
    seeded: Seeded, world: tuple[LedgerRuntime, TestClient]
) -> None:
    runtime, client = world

    def operations() -> int:
        with runtime.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Operation)) or 0)

    block, count = runtime.w3.eth.block_number, operations()
    saved = seeded.state_path.read_bytes()
    code, out, err = run_demo(client, seeded.state_path)
    assert code == 0, err
    assert "already on the ledger" in out and "nothing was changed" in out
    assert "Seeding" not in out
    assert runtime.w3.eth.block_number == block
    chain = client.get("/v1/chain").json()
    assert chain["head_block"] == block
    assert chain["head_timestamp"] == runtime.w3.eth.get_block(block)["timestamp"]
    assert operations() == count
    assert seeded.state_path.read_bytes() == saved
    assert seeded.state.keys["transport"] in out  # the logins are printed again
    assert "payment 1,000,000.00 yuan: operator 410,000.00, treasury 590,000.00" in out


def test_an_interrupted_run_resumes_without_sending_a_write_twice(
    seeded: Seeded, world: tuple[LedgerRuntime, TestClient]
) -> None:
    """A run stopped after its last writes were sent but before the state file recorded
    them: the next run sends them again under the same Idempotency-Keys and the gateway
    answers the operations it already has; no transaction is sent twice."""
    runtime, client = world
    state = DemoState.load(seeded.state_path)
    assert state is not None
    lost = ["pledge-confirmation", "disposal", "disposal-confirmation"]
    assert state.done[-3:] == lost
    state.done, state.complete = state.done[:-3], False
    state.save(seeded.state_path)

    def operations() -> int:
        with runtime.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Operation)) or 0)

    block, count = runtime.w3.eth.block_number, operations()
    code, out, err = run_demo(client, seeded.state_path)
    assert code == 0, err
    assert "Seeding" in out and "Done: 3 writes" in out
    assert runtime.w3.eth.block_number == block and operations() == count
    resumed = DemoState.load(seeded.state_path)
    assert resumed is not None and resumed.complete and resumed.done[-3:] == lost
    assert f"{s.HEALTH.en}: Disposed" in out


def test_a_registry_floor_on_the_notice_window_is_read_from_the_refusal() -> None:
    """A registry that bounds the notice window refuses shorter terms with
    ``TermsOutOfBounds(noticeWindow, certificateTerm, bounds)``; the demo takes the floor
    from the problem the gateway answers (the tuple as a list or as named members)."""
    refused = {"code": "TermsOutOfBounds", "status": 422, "contract_error": {
        "name": "TermsOutOfBounds",
        "args": {"noticeWindow": 3, "certificateTerm": 94_608_000,
                 "bounds": [30, 5_184_000, 31_536_000, 157_680_000]},
    }}  # fmt: skip
    assert notice_floor(refused) == 30
    refused["contract_error"]["args"]["bounds"] = {"noticeMin": "432000", "noticeMax": 5_184_000}
    assert notice_floor(refused) == 432_000
    assert notice_floor({"code": "NotOrgOfKind", "contract_error": {"name": "NotOrgOfKind",
                                                                    "args": {}}}) is None
    assert notice_floor({"code": "validation-failed"}) is None
