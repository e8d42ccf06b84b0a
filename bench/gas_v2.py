"""Gas snapshot of the v2 contracts (OrgDirectory, AssetRegistryV2, UseAndFinance,
RevenueSplitV2), each operation beside its physical lower bound and its target.

Lower bound per transaction: 21,000 base + calldata (16 per non-zero byte, 4 per zero
byte) + 22,100 per storage slot that goes from zero to non-zero (in any contract, the
token included) + logs (375 + 375 per topic + 8 per data byte). New slots are counted
exactly by diffing the storage tries in py-evm before and after the transaction.

Every operation is measured on a warm ledger: the same operation already ran once for
another asset, so nothing is the first of its kind (pay: payout and treasury accounts
already hold tokens).

Run: ``.venv/bin/python bench/gas_v2.py`` (writes bench/gas/v2.json).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils import to_canonical_address
from trie import HexaryTrie
from trie.iter import NodeIterator
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chain import artifacts  # noqa: E402

SNAPSHOT = ROOT / "bench" / "gas" / "v2.json"
QINGDAO, XIAMEN, WUHAN = 370200, 350200, 420100
ZERO = b"\x00" * 32
DAY = 86400
NOTICE_FLOOR = 5 * DAY
ACCOUNT_DELAY = 2 * DAY
KINDS = {
    "holder": 2,
    "competent": 3,
    "data_admin": 4,
    "finance": 5,
    "operator": 6,
    "merchant": 7,
    "exchange": 8,
    "bank": 9,
}
#: issue 12's targets (transaction gas on a warm ledger)
TARGETS = {
    "issueCertificate": 125_000,
    "registerResource": 90_000,
    "recognise": 55_000,
    "pay(3 brackets, 2 transfers)": 110_000,
}
CONTRACTS = ("OrgDirectory", "AssetRegistryV2", "UseAndFinance", "RevenueSplitV2")


def h(label: str) -> bytes:
    return bytes(Web3.keccak(text=label))


def _storage_keys(tester: EthereumTester, address: str) -> set[bytes]:
    state = tester.backend.chain.get_vm().state
    account_db = state._account_db
    root = account_db._get_storage_root(to_canonical_address(address))
    db = account_db._raw_store_db
    t = HexaryTrie(db, root)
    if root == t.BLANK_NODE_HASH:
        return set()
    return {bytes(k) for k in NodeIterator(t).keys()}  # noqa: SIM118 - an iterator, not a dict


def _calldata_gas(data: bytes) -> int:
    return sum(16 if b else 4 for b in data)


class Bench:
    def __init__(self) -> None:
        self.tester = EthereumTester(PyEVMBackend())
        self.w3 = Web3(EthereumTesterProvider(self.tester))
        self.admin = self.w3.eth.accounts[0]
        self.c: dict[str, Any] = {}
        self.results: dict[str, dict[str, int]] = {}
        self.accounts: dict[str, str] = {}
        self.orgs: dict[str, bytes] = {}
        self.c["OrgDirectory"] = self._deploy("OrgDirectory", NOTICE_FLOOR)
        self.c["AssetRegistryV2"] = self._deploy("AssetRegistryV2", self.c["OrgDirectory"].address)
        self.c["UseAndFinance"] = self._deploy(
            "UseAndFinance", self.c["OrgDirectory"].address, self.c["AssetRegistryV2"].address
        )
        self._wait(
            self.c["AssetRegistryV2"]
            .functions.bindUseAndFinance(self.c["UseAndFinance"].address)
            .transact({"from": self.admin})
        )
        self.c["LedgerTestToken"] = self._deploy("LedgerTestToken")
        self.c["RevenueSplitV2"] = self._deploy(
            "RevenueSplitV2",
            self.c["UseAndFinance"].address,
            self.c["LedgerTestToken"].address,
            ACCOUNT_DELAY,
        )

    def _deploy(self, name: str, *args: Any) -> Any:
        art = artifacts.load(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        rcpt = self._wait(factory.constructor(*args).transact({"from": self.admin}))
        return self.w3.eth.contract(address=rcpt["contractAddress"], abi=art.abi)

    def _wait(self, tx_hash: Any) -> Any:
        rcpt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert rcpt["status"] == 1
        return rcpt

    def account(self, label: str) -> str:
        if label not in self.accounts:
            acct = Account.from_key(Web3.keccak(text=f"gas-bench-v2:{label}"))
            self.tester.add_account(acct.key.to_0x_hex())
            self._wait(
                self.w3.eth.send_transaction(
                    {"from": self.admin, "to": acct.address, "value": 10**20}
                )
            )
            self.accounts[label] = acct.address
        return self.accounts[label]

    def _all_keys(self) -> set[tuple[str, bytes]]:
        keys: set[tuple[str, bytes]] = set()
        for name in (*CONTRACTS, "LedgerTestToken"):
            address = self.c[name].address
            keys |= {(address, k) for k in _storage_keys(self.tester, address)}
        return keys

    def op(self, name: str | None, role: str, contract: str, fn: str, *args: Any) -> Any:
        sender = self.admin if role == "admin" else self.account(role)
        call = getattr(self.c[contract].functions, fn)(*args)
        before = self._all_keys() if name else set()
        rcpt = self._wait(call.transact({"from": sender, "gas": 5_000_000}))
        if name is not None:
            after = self._all_keys()
            data = bytes(self.w3.eth.get_transaction(rcpt["transactionHash"])["input"])
            new_slots = len(after - before)
            logs = sum(
                375 + 375 * len(log["topics"]) + 8 * len(log["data"]) for log in rcpt["logs"]
            )
            bound = 21_000 + _calldata_gas(data) + 22_100 * new_slots + logs
            row = {
                "contract": contract,
                "gas_used": int(rcpt["gasUsed"]),
                "lower_bound": bound,
                "new_slots": new_slots,
                "calldata_bytes": len(data),
                "log_bytes": sum(len(log["data"]) for log in rcpt["logs"]),
            }
            if name in TARGETS:
                row["target"] = TARGETS[name]
            self.results[name] = row
        return rcpt

    def event_arg(self, rcpt: Any, contract: str, event: str, arg: str) -> bytes:
        from web3.logs import DISCARD

        logs = getattr(self.c[contract].events, event)().process_receipt(rcpt, errors=DISCARD)
        return bytes(logs[0]["args"][arg])

    def travel(self, seconds: int) -> None:
        now = int(self.w3.eth.get_block("latest")["timestamp"])
        self.tester.time_travel(now + seconds)
        self.tester.mine_blocks()


D, R, U, S = CONTRACTS


def _certified_asset(b: Bench, label: str, measure: bool) -> tuple[bytes, bytes]:
    """Register, value, review and certify one asset; measure each step when asked."""
    name = (lambda n: n) if measure else (lambda n: None)
    r = b.op(
        name("registerResource"),
        "holder",
        R,
        "registerResource",
        h(f"cat-{label}"),
        h(f"meta-{label}"),
        7,
    )
    asset = b.event_arg(r, R, "ResourceRegistered", "assetId")
    b.op(name("recordValuation"), "registrar", R, "recordValuation", asset, 200_000_000, 1, h("v"))
    b.op(
        name("recordCompliance(opens notice)"),
        "registrar",
        R,
        "recordCompliance",
        asset,
        True,
        h("c"),
    )
    b.travel(10 * DAY)
    r = b.op(name("issueCertificate"), "registrar", R, "issueCertificate", asset)
    cert = b.event_arg(r, R, "CertificateIssued", "certificateId")
    return asset, cert


def _paid_use(b: Bench, asset: bytes, measure: bool) -> None:
    name = (lambda n: n) if measure else (lambda n: None)
    r = b.op(
        name("applyForPaidUse"),
        "holder",
        U,
        "applyForPaidUse",
        asset,
        h("scope"),
        b.orgs["operator"],
    )
    app = b.event_arg(r, U, "ApplicationChanged", "applicationId")
    b.op(name("reviewPaidUse(competent)"), "competent", U, "reviewPaidUse", app, True, ZERO)
    b.op(
        name("reviewPaidUse(data administration)"),
        "data_admin",
        U,
        "reviewPaidUse",
        app,
        True,
        ZERO,
    )
    b.op(name("decidePaidUse(approve)"), "finance", U, "decidePaidUse", app, True, ZERO)
    bounds = [0, 10_000_000, 50_000_000]
    bps = [2_000, 3_500, 5_000]
    b.op(name("setSchedule(3 brackets)"), "finance", S, "setSchedule", asset, bounds, bps)


def measure() -> dict[str, dict[str, int]]:
    """Run the operations on a fresh chain; the second of each kind is measured."""
    b = Bench()
    # governance: three registrars bootstrapped, 2-of-3 handover
    for label, city in (("registrar", QINGDAO), ("xm_registrar", XIAMEN), ("wh_registrar", WUHAN)):
        name = "bootstrapRegistrar" if label == "xm_registrar" else None
        r = b.op(name, "admin", D, "bootstrapRegistrar", city, h(label), b.account(label))
        b.orgs[label] = b.event_arg(r, D, "OrgAdmitted", "orgId")
    b.op("beginHandover", "admin", D, "beginHandover", 2)
    b.op("acceptHandover", "registrar", D, "acceptHandover")
    for label, kind in KINDS.items():
        name = "admitOrg" if label == "competent" else None
        r = b.op(name, "registrar", D, "admitOrg", kind, h(label), b.account(label))
        b.orgs[label] = b.event_arg(r, D, "OrgAdmitted", "orgId")
    b.op("proposeSigningKey", "holder", D, "proposeSigningKey", b.account("spare"), 0)
    b.op("acceptSigningKey", "spare", D, "acceptSigningKey", b.orgs["holder"])
    b.op("removeSigningKey", "holder", D, "removeSigningKey", b.account("spare"))
    b.op("setRegistrarTerms", "registrar", D, "setRegistrarTerms", 0, 0)
    params = Web3().codec.encode(["uint32"], [2])
    r = b.op("propose(SetThreshold)", "registrar", D, "propose", 3, params)
    proposal = b.event_arg(r, D, "ProposalCreated", "proposalId")
    b.op("approve(executes)", "xm_registrar", D, "approve", proposal)

    # money routes and the merchant's allowance
    b.op(
        "proposeTreasuryAccount(first)",
        "finance",
        S,
        "proposeTreasuryAccount",
        QINGDAO,
        b.account("treasury"),
    )
    b.op("proposePayoutAccount(first)", "operator", S, "proposePayoutAccount", b.account("payout"))
    b.op(
        "proposePayoutAccount(change)", "operator", S, "proposePayoutAccount", b.account("payout2")
    )
    b.travel(ACCOUNT_DELAY)
    b.op("activatePayoutAccount", "merchant", S, "activatePayoutAccount", b.orgs["operator"])
    token = b.c["LedgerTestToken"]
    b._wait(token.functions.mint(b.account("merchant"), 10**15).transact({"from": b.admin}))
    b._wait(
        token.functions.approve(b.c[S].address, 2**256 - 1).transact(
            {"from": b.account("merchant")}
        )
    )

    # the first asset warms every kind of record; the second is measured
    first, first_cert = _certified_asset(b, "first", measure=False)
    _paid_use(b, first, measure=False)
    b.op(None, "merchant", S, "pay", first, 80_000_000, h("warm-pay"))
    b.op(None, "xm_registrar", R, "recognise", first_cert)
    asset, cert = _certified_asset(b, "second", measure=True)
    _paid_use(b, asset, measure=True)
    b.op("pay(3 brackets, 2 transfers)", "merchant", S, "pay", asset, 100_000_000, h("pay-1"))
    b.op(
        "recordOffchainPayment",
        "operator",
        S,
        "recordOffchainPayment",
        asset,
        30_000_000,
        h("bank-1"),
    )
    r = b.op(None, "operator", S, "recordOffchainPayment", asset, 30_000_000, h("bank-2"))
    payment = b.event_arg(r, S, "OffchainPaymentRecorded", "paymentId")
    b.op("confirmRemittance", "finance", S, "confirmRemittance", payment, h("remit"))
    b.op("recognise", "xm_registrar", R, "recognise", cert)
    b.op("withdrawRecognition", "xm_registrar", R, "withdrawRecognition", cert)
    b.op("proposeAgreement", "xm_registrar", D, "proposeAgreement", b.orgs["registrar"])
    b.op("acceptAgreement", "registrar", D, "acceptAgreement", b.orgs["xm_registrar"])
    b.op("renewCertificate", "registrar", R, "renewCertificate", cert)
    r = b.op(
        "requestPledge", "holder", U, "requestPledge", asset, b.orgs["bank"], 700_000_000, h("p")
    )
    pledge = b.event_arg(r, U, "FinancingChanged", "financingId")
    b.op("confirmPledge", "bank", U, "confirmPledge", pledge)
    b.op("releasePledge", "bank", U, "releasePledge", pledge)
    b.op("recordCreditLine", "bank", U, "recordCreditLine", asset, 6_000_000_000, h("l"))
    b.op(
        "recordEquityContribution",
        "holder",
        U,
        "recordEquityContribution",
        asset,
        100_000_000,
        h("e"),
    )
    b.op("revokeCertificate(2, registration error)", "registrar", R, "revokeCertificate", cert, 2)
    r = b.op("reissueCertificate", "registrar", R, "reissueCertificate", cert)
    cert = b.event_arg(r, R, "CertificateIssued", "certificateId")
    r = b.op("amendCertificate(Change)", "registrar", R, "amendCertificate", cert, 1, h("meta2"))
    cert = b.event_arg(r, R, "CertificateIssued", "certificateId")
    b.op("recordDispute", "registrar", R, "recordDispute", asset, h("d"))
    b.op("resolveDispute", "registrar", R, "resolveDispute", asset, h("s"))
    b.op("requestDisposal", "holder", U, "requestDisposal", asset, h("x"))
    b.op("confirmDisposal(revokes certificate)", "registrar", U, "confirmDisposal", asset)
    # objections on a third asset in notice
    r = b.op(None, "holder", R, "registerResource", h("cat-3"), h("meta-3"), 7)
    third = b.event_arg(r, R, "ResourceRegistered", "assetId")
    b.op(None, "registrar", R, "recordValuation", third, 1, 1, h("v"))
    b.op(None, "registrar", R, "recordCompliance", third, True, h("c"))
    r = b.op("lodgeObjection(same city)", "bank", R, "lodgeObjection", third, h("o"))
    objection = b.event_arg(r, R, "ObjectionLodged", "objectionId")
    b.op(
        "lodgeObjection(other city, rate-limited)",
        "xm_registrar",
        R,
        "lodgeObjection",
        third,
        h("o"),
    )
    b.op("resolveObjection(dismiss)", "registrar", R, "resolveObjection", objection, False, h("r"))
    return b.results


def main() -> None:
    results = measure()
    sizes = {name: artifacts.load(name).code_size for name in (*CONTRACTS, "CertificateVerifier")}
    payload = {"contracts": sizes, "size_limit": 20_000, "operations": results}
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(json.dumps(payload, indent=2) + "\n")
    width = max(len(k) for k in results)
    print(f"{'operation':<{width}}  {'gas':>9}  {'bound':>9}  ratio  target")
    for name, row in results.items():
        ratio = row["gas_used"] / row["lower_bound"]
        target = f"{row['target']:,}" if "target" in row else ""
        gas, bound = row["gas_used"], row["lower_bound"]
        print(f"{name:<{width}}  {gas:>9,}  {bound:>9,}  {ratio:.2f}   {target}")
    for name, size in sizes.items():
        print(f"{name}: {size} bytes deployed")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
