"""Every role tried on every mutating function of the v2 ledger (OrgDirectory,
AssetRegistryV2, UseAndFinance, RevenueSplitV2), simulated with eth_call on one rich state
after the governance handover.

A role listed as allowed must succeed; every other role must be refused with an
authorisation error (wrong kind, wrong city, not the holder / counterparty / key's org,
not the deploying account, not governance), never with a state error and never succeed.
The few state errors that answer every caller alike (a handover already accepted, a
recognition already made) are named per case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.providers.eth_tester import EthereumTesterProvider

from chain import artifacts
from chain.bindings.enums import OrgKind, ProposalKind
from tests.contracts.reverts import decode_custom_error

QD, XM, WH = 370200, 350200, 420100
DAY = 86_400
NOTICE_FLOOR = DAY
DELAY = 2 * DAY
ZERO = b"\x00" * 32

ROLES = [
    "admin", "registrar", "holder", "competent", "data_admin", "finance", "operator",
    "merchant", "exchange", "bank", "auditor", "xm_registrar", "xm_holder", "stranger",
]  # fmt: skip
ORG_ROLES = [r for r in ROLES if r not in ("admin", "stranger")]
REGISTRARS = {"registrar", "xm_registrar"}
AUTH_ERRORS = {
    "NotOrgOfKind", "KindNotAllowed", "NotHolder", "WrongCity", "NotOrgKey", "NotCounterparty",
    "NotBootstrapper", "NotFinanceDepartment", "NotOperator", "NotAuthorisedOperator",
    "NotPayer", "NotGovernance", "NotUseAndFinance", "SelfRecognition", "NoPendingKey",
    "UnknownRegistrar",
}  # fmt: skip
KINDS = {
    "registrar": OrgKind.Registrar, "holder": OrgKind.Holder,
    "competent": OrgKind.CompetentDepartment, "data_admin": OrgKind.DataAdministration,
    "finance": OrgKind.FinanceDepartment, "operator": OrgKind.Operator,
    "merchant": OrgKind.Merchant, "exchange": OrgKind.Exchange, "bank": OrgKind.Bank,
    "auditor": OrgKind.Auditor,
}  # fmt: skip
NAMES = {"OrgDirectory": "D", "AssetRegistryV2": "R", "UseAndFinance": "U", "RevenueSplitV2": "S"}


def h(label: str) -> bytes:
    return bytes(Web3.keccak(text=label))


@dataclass
class Ledger:
    tester: EthereumTester
    w3: Web3
    admin: str
    c: dict[str, Contract] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, bytes] = field(default_factory=dict)

    def deploy(self, name: str, *args: Any) -> Contract:
        art = artifacts.load(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        receipt = self.wait(factory.constructor(*args).transact({"from": self.admin}))
        contract = self.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)
        self.c[name] = contract
        return contract

    def wait(self, tx_hash: Any) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        return receipt

    def addr(self, role: str) -> str:
        if role == "admin":
            return self.admin
        if role not in self.accounts:
            account = Account.from_key(Web3.keccak(text=f"role-matrix-v2:{role}"))
            self.tester.add_account(account.key.to_0x_hex())
            self.wait(self.w3.eth.send_transaction(
                {"from": self.admin, "to": account.address, "value": 10**20}))  # fmt: skip
            self.accounts[role] = account.address
        return self.accounts[role]

    def tx(self, role: str, contract: str, fn: str, *args: Any) -> Any:
        call = self.c[contract].functions[fn](*args)
        return self.wait(call.transact({"from": self.addr(role), "gas": 5_000_000}))

    def arg(self, receipt: Any, contract: str, event: str, name: str) -> bytes:
        logs = self.c[contract].events[event]().process_receipt(receipt, errors=DISCARD)
        return bytes(logs[0]["args"][name])

    def travel(self, seconds: int) -> None:
        now = int(self.w3.eth.get_block("latest")["timestamp"])
        self.tester.time_travel(now + seconds)
        self.tester.mine_blocks()

    def abis(self) -> list[dict[str, Any]]:
        return [e for c in self.c.values() for e in c.abi]


def _admit(led: Ledger) -> None:
    for role, city in (("registrar", QD), ("xm_registrar", XM), ("wh_registrar", WH)):
        r = led.tx("admin", "OrgDirectory", "bootstrapRegistrar", city, h(role), led.addr(role))
        led.orgs[role] = led.arg(r, "OrgDirectory", "OrgAdmitted", "orgId")
    for role, kind in KINDS.items():
        if role == "registrar":
            continue
        r = led.tx("registrar", "OrgDirectory", "admitOrg", int(kind), h(role), led.addr(role))
        led.orgs[role] = led.arg(r, "OrgDirectory", "OrgAdmitted", "orgId")
    r = led.tx("xm_registrar", "OrgDirectory", "admitOrg", int(OrgKind.Holder), h("xm_holder"),
               led.addr("xm_holder"))  # fmt: skip
    led.orgs["xm_holder"] = led.arg(r, "OrgDirectory", "OrgAdmitted", "orgId")
    led.tx("admin", "OrgDirectory", "beginHandover", 2)
    led.tx("registrar", "OrgDirectory", "acceptHandover")


def _register(led: Ledger, label: str) -> bytes:
    r = led.tx("holder", "AssetRegistryV2", "registerResource", h(f"cat-{label}"),
               h(f"meta-{label}"), 7)  # fmt: skip
    return led.arg(r, "AssetRegistryV2", "ResourceRegistered", "assetId")


def _to_notice(led: Ledger, label: str) -> bytes:
    asset = _register(led, label)
    led.tx("registrar", "AssetRegistryV2", "recordValuation", asset, 100, 1, h("v"))
    led.tx("registrar", "AssetRegistryV2", "recordCompliance", asset, True, h("c"))
    return asset


def _state(led: Ledger) -> dict[str, Any]:
    from tests.contracts.merkle import StandardMerkleTree

    s: dict[str, Any] = {}
    for label in ("A", "B", "I", "RV", "P"):
        s[label] = _to_notice(led, label)
    led.travel(10 * DAY + 1)
    for label in ("A", "B", "RV", "P"):
        r = led.tx("registrar", "AssetRegistryV2", "issueCertificate", s[label])
        s[f"C_{label}"] = led.arg(r, "AssetRegistryV2", "CertificateIssued", "certificateId")
    s["C"] = s["C_A"]
    led.tx("registrar", "AssetRegistryV2", "revokeCertificate", s["C_RV"], 2)
    s["N"] = _to_notice(led, "N")
    r = led.tx("merchant", "AssetRegistryV2", "lodgeObjection", s["N"], h("obj"))
    s["OBJ"] = led.arg(r, "AssetRegistryV2", "ObjectionLodged", "objectionId")
    s["R"] = _register(led, "R")
    s["D"] = _register(led, "D")
    led.tx("registrar", "AssetRegistryV2", "recordDispute", s["D"], h("dispute"))
    operator = led.orgs["operator"]
    r = led.tx("holder", "UseAndFinance", "applyForPaidUse", s["A"], h("scope1"), operator)
    s["APP"] = led.arg(r, "UseAndFinance", "ApplicationChanged", "applicationId")
    r = led.tx("holder", "UseAndFinance", "applyForPaidUse", s["A"], h("scope2"), operator)
    s["APP2"] = led.arg(r, "UseAndFinance", "ApplicationChanged", "applicationId")
    led.tx("competent", "UseAndFinance", "reviewPaidUse", s["APP2"], True, ZERO)
    led.tx("data_admin", "UseAndFinance", "reviewPaidUse", s["APP2"], True, ZERO)
    # P: paid use approved, a schedule, accounts, a merchant with tokens and allowance
    r = led.tx("holder", "UseAndFinance", "applyForPaidUse", s["P"], h("scope-p"), operator)
    app_p = led.arg(r, "UseAndFinance", "ApplicationChanged", "applicationId")
    led.tx("competent", "UseAndFinance", "reviewPaidUse", app_p, True, ZERO)
    led.tx("data_admin", "UseAndFinance", "reviewPaidUse", app_p, True, ZERO)
    led.tx("finance", "UseAndFinance", "decidePaidUse", app_p, True, ZERO)
    led.tx("finance", "RevenueSplitV2", "setSchedule", s["P"], [0], [3000])
    led.tx("finance", "RevenueSplitV2", "proposeTreasuryAccount", QD, led.addr("treasury"))
    led.tx("finance", "RevenueSplitV2", "proposeTreasuryAccount", QD, led.addr("treasury2"))
    led.tx("operator", "RevenueSplitV2", "proposePayoutAccount", led.addr("payout"))
    led.tx("operator", "RevenueSplitV2", "proposePayoutAccount", led.addr("payout2"))
    split = led.c["RevenueSplitV2"].address
    led.tx("admin", "LedgerTestToken", "mint", led.addr("merchant"), 10**12)
    led.tx("merchant", "LedgerTestToken", "approve", split, 2**256 - 1)
    r = led.tx("operator", "RevenueSplitV2", "recordOffchainPayment", s["P"], 1000, h("bank"))
    s["OFF"] = led.arg(r, "RevenueSplitV2", "OffchainPaymentRecorded", "paymentId")
    r = led.tx("holder", "UseAndFinance", "requestPledge", s["A"], led.orgs["bank"], 5, h("pr"))
    s["PR"] = led.arg(r, "UseAndFinance", "FinancingChanged", "financingId")
    r = led.tx("holder", "UseAndFinance", "requestPledge", s["B"], led.orgs["bank"], 5, h("pb"))
    s["PB"] = led.arg(r, "UseAndFinance", "FinancingChanged", "financingId")
    led.tx("bank", "UseAndFinance", "confirmPledge", s["PB"])
    s["DISPOSE"] = s["RV"]
    led.tx("holder", "UseAndFinance", "requestDisposal", s["DISPOSE"], h("dispose"))
    led.tx("xm_registrar", "AssetRegistryV2", "recognise", s["C"])
    led.tx("exchange", "AssetRegistryV2", "recognise", s["C"])
    led.tx("xm_registrar", "OrgDirectory", "proposeAgreement", led.orgs["registrar"])
    led.tx("holder", "OrgDirectory", "proposeSigningKey", led.addr("spare"), 0)
    led.tx("spare", "OrgDirectory", "acceptSigningKey", led.orgs["holder"])
    r = led.tx("registrar", "OrgDirectory", "propose", int(ProposalKind.SetThreshold),
               encode(["uint32"], [3]))  # fmt: skip
    s["PROP"] = led.arg(r, "OrgDirectory", "ProposalCreated", "proposalId")
    tree = StandardMerkleTree(
        [(h("bc0"), h("bm0"), 1), (h("bc1"), h("bm1"), 2)], ["bytes32", "bytes32", "uint32"]
    )
    r = led.tx("holder", "AssetRegistryV2", "registerResourceBatch", tree.root, 2, h("manifest"))
    s["BATCH"] = led.arg(r, "AssetRegistryV2", "ResourceBatchRegistered", "batchId")
    s["TREE"] = tree
    led.travel(DELAY + 1)  # the pending account changes are due
    return s


Case = tuple[str, str, Callable[[str], tuple[Any, ...]], set[str], dict[str, str]]


def _cases(led: Ledger, s: dict[str, Any]) -> list[Case]:
    o = led.orgs
    fresh = "0x" + "77" * 20
    everyone = set(ROLES)
    token = led.c["LedgerTestToken"].address
    return [
        # -- OrgDirectory
        ("D", "bootstrapRegistrar", lambda _r: (110000, h("beijing"), fresh), set(), {}),
        ("D", "beginHandover", lambda _r: (2,), set(), {}),
        ("D", "acceptHandover", lambda _r: (), set(),
         dict.fromkeys(ROLES, "HandoverState")),
        ("D", "admitOrg", lambda _r: (int(OrgKind.Merchant), h("m-new"), fresh), REGISTRARS, {}),
        ("D", "setOrgActive", lambda _r: (o["holder"], False), {"registrar"}, {}),
        ("D", "proposeSigningKey", lambda _r: (fresh, 0), set(ORG_ROLES), {}),
        ("D", "acceptSigningKey", lambda _r: (o["holder"],), set(), {}),
        ("D", "removeSigningKey", lambda _r: (led.addr("spare"),), {"holder"}, {}),
        # a live key of the same org marks as of the block's time only
        ("D", "markKeyCompromised", lambda _r: (led.addr("spare"), 1), set(),
         {"holder": "InvalidCompromiseTime"}),
        ("D", "setRegistrarTerms", lambda _r: (2 * DAY, 365 * DAY), REGISTRARS, {}),
        ("D", "proposeAgreement", lambda _r: (o["wh_registrar"],), REGISTRARS, {}),
        ("D", "acceptAgreement", lambda _r: (o["xm_registrar"],), {"registrar"},
         {"xm_registrar": "SelfAgreement"}),
        ("D", "withdrawAgreement",
         lambda r: (o["registrar"] if r == "xm_registrar" else o["xm_registrar"],),
         REGISTRARS, {}),
        ("D", "propose", lambda _r: (int(ProposalKind.SetThreshold), encode(["uint32"], [2])),
         REGISTRARS, {}),
        ("D", "approve", lambda _r: (s["PROP"],), {"xm_registrar"},
         {"registrar": "AlreadyApproved"}),
        ("D", "cancelProposal", lambda _r: (s["PROP"],), {"registrar"}, {}),
        # -- AssetRegistryV2
        ("R", "bindUseAndFinance", lambda _r: (fresh,), set(), {"admin": "AlreadyBound"}),
        ("R", "registerResource", lambda _r: (h("cat-new"), h("meta-new"), 9),
         {"holder", "xm_holder"}, {}),
        ("R", "registerResourceBatch", lambda _r: (h("root-new"), 3, h("m")),
         {"holder", "xm_holder"}, {}),
        ("R", "materialiseResource",
         lambda _r: (s["BATCH"], *s["TREE"].values[0], s["TREE"].proof(0)), {"holder"}, {}),
        ("R", "recordValuation", lambda _r: (s["R"], 10, 1, h("v")), {"registrar"}, {}),
        ("R", "recordCompliance", lambda _r: (s["R"], True, h("c")), {"registrar"}, {}),
        ("R", "lodgeObjection", lambda _r: (s["N"], h("another")), set(ORG_ROLES), {}),
        ("R", "resolveObjection", lambda _r: (s["OBJ"], False, h("res")), {"registrar"}, {}),
        ("R", "recordDispute", lambda _r: (s["N"], h("d")), {"registrar"}, {}),
        ("R", "resolveDispute", lambda _r: (s["D"], h("settled")), {"registrar"}, {}),
        ("R", "issueCertificate", lambda _r: (s["I"],), {"registrar"}, {}),
        ("R", "amendCertificate", lambda _r: (s["C"], 1, h("meta-v2")), {"registrar"}, {}),
        ("R", "reissueCertificate", lambda _r: (s["C_RV"],), {"registrar"}, {}),
        ("R", "renewCertificate", lambda _r: (s["C"],), {"registrar"}, {}),
        ("R", "revokeCertificate", lambda _r: (s["C"], 5), {"registrar"}, {}),
        ("R", "recognise", lambda _r: (s["C"],), set(),
         {"xm_registrar": "AlreadyRecognised", "exchange": "AlreadyRecognised"}),
        ("R", "withdrawRecognition", lambda _r: (s["C"],), {"xm_registrar", "exchange"}, {}),
        ("R", "markDisposed", lambda _r: (s["A"], o["registrar"]), set(), {}),
        # -- UseAndFinance
        ("U", "applyForPaidUse", lambda _r: (s["A"], h("scope3"), o["operator"]), {"holder"}, {}),
        ("U", "reviewPaidUse", lambda _r: (s["APP"], True, ZERO), {"competent", "data_admin"},
         {}),
        ("U", "decidePaidUse", lambda _r: (s["APP2"], True, ZERO), {"finance"}, {}),
        ("U", "cancelApplication", lambda _r: (s["APP"],), {"holder"}, {}),
        ("U", "requestPledge", lambda _r: (s["A"], o["bank"], 7, h("p")), {"holder"}, {}),
        ("U", "cancelPledgeRequest", lambda _r: (s["PR"],), {"holder"}, {}),
        ("U", "confirmPledge", lambda _r: (s["PR"],), {"bank"}, {}),
        ("U", "releasePledge", lambda _r: (s["PB"],), {"bank"}, {}),
        ("U", "recordCreditLine", lambda _r: (s["A"], 9, h("line")), {"bank"}, {}),
        ("U", "recordEquityContribution", lambda _r: (s["A"], 9, h("co")), {"holder"}, {}),
        ("U", "requestDisposal", lambda _r: (s["A"], h("end")), {"holder"}, {}),
        ("U", "confirmDisposal", lambda _r: (s["DISPOSE"],), {"registrar"}, {}),
        # -- RevenueSplitV2
        ("S", "setSchedule", lambda _r: (s["P"], [0], [100]), {"finance"}, {}),
        ("S", "proposeTreasuryAccount", lambda _r: (QD, fresh), {"finance"}, {}),
        ("S", "activateTreasuryAccount", lambda _r: (QD,), everyone, {}),
        ("S", "proposePayoutAccount", lambda _r: (fresh,), {"operator"}, {}),
        ("S", "activatePayoutAccount", lambda _r: (o["operator"],), everyone, {}),
        ("S", "pay", lambda _r: (s["P"], 500, h("ref")), {"merchant"},
         {"operator": "ERC20InsufficientAllowance"}),
        ("S", "recordOffchainPayment", lambda _r: (s["P"], 500, h("bank-2")), {"operator"}, {}),
        ("S", "confirmRemittance", lambda _r: (s["OFF"], h("remit")), {"finance"}, {}),
        ("S", "sweep", lambda _r: (token, fresh), set(), {}),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def led() -> Iterator[Ledger]:
    tester = EthereumTester(PyEVMBackend())
    w3 = Web3(EthereumTesterProvider(tester))
    ledger = Ledger(tester, w3, w3.eth.accounts[0])
    ledger.travel(1)
    directory = ledger.deploy("OrgDirectory", NOTICE_FLOOR)
    registry = ledger.deploy("AssetRegistryV2", directory.address)
    uaf = ledger.deploy("UseAndFinance", directory.address, registry.address)
    ledger.wait(registry.functions.bindUseAndFinance(uaf.address).transact({"from": ledger.admin}))
    token = ledger.deploy("LedgerTestToken")
    ledger.deploy("RevenueSplitV2", uaf.address, token.address, DELAY)
    _admit(ledger)
    yield ledger


def _outcome(led: Ledger, role: str, contract: str, fn: str, args: tuple[Any, ...]) -> str:
    try:
        led.c[contract].functions[fn](*args).call({"from": led.addr(role)})
    except Exception as exc:  # a revert; decode it
        name, _ = decode_custom_error(exc, led.abis())
        return str(name)
    return "ok"


def test_role_matrix_every_role_on_every_mutating_function_of_the_v2_ledger(led: Ledger) -> None:
    s = _state(led)
    cases = _cases(led, s)
    full = {v: k for k, v in NAMES.items()}
    for name, short in NAMES.items():
        mutating = {
            e["name"]
            for e in led.c[name].abi
            if e["type"] == "function" and e["stateMutability"] not in ("view", "pure")
        }
        covered = {fn for c, fn, _, _, _ in cases if c == short}
        assert mutating == covered, f"{name}: the matrix must cover {mutating ^ covered}"
    problems: list[str] = []
    for short, fn, args, allowed, expected in cases:
        for role in ROLES:
            got = _outcome(led, role, full[short], fn, args(role))
            if role in allowed and got != "ok":
                problems.append(f"{fn} by {role}: expected success, got {got}")
            elif role in expected and got != expected[role]:
                problems.append(f"{fn} by {role}: expected {expected[role]}, got {got}")
            elif role not in allowed and role not in expected and got not in AUTH_ERRORS:
                problems.append(f"{fn} by {role}: expected an authorisation error, got {got}")
    assert not problems, "\n".join(problems)


def test_role_matrix_auditors_only_object(led: Ledger) -> None:
    """Auditors hold no write permission except objecting (any admitted organisation) and
    what anyone may do (activating a due account change)."""
    for _short, fn, _args, allowed, _expected in _cases(led, {"TREE": None}):
        if "auditor" in allowed:
            assert fn in ("lodgeObjection", "proposeSigningKey", "activateTreasuryAccount",
                          "activatePayoutAccount")  # fmt: skip
