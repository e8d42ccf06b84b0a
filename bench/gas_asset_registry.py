"""Gas snapshot of every AssetRegistry operation, beside its physical lower bound.

Lower bound per transaction: 21,000 base + calldata (16 per non-zero byte, 4 per zero
byte) + 22,100 per storage slot that goes from zero to non-zero + logs (375 + 375 per
topic + 8 per data byte). New slots are counted exactly by diffing the contract's
storage trie in py-evm before and after the transaction.

Run: ``.venv/bin/python bench/gas_asset_registry.py`` (writes bench/gas/asset_registry.json).
``measure()`` is also used by the test that fails when the committed snapshot is stale.
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
from tests.contracts.registry.merkle import StandardMerkleTree  # noqa: E402

SNAPSHOT = ROOT / "bench" / "gas" / "asset_registry.json"
QINGDAO, XIAMEN = 370200, 350200
ZERO = b"\x00" * 32
KINDS = {
    "holder": 2,
    "competent": 3,
    "data_admin": 4,
    "finance": 5,
    "operator": 6,
    "bank": 9,
    "exchange": 8,
}


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
        art = artifacts.load("AssetRegistry")
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        rcpt = self._wait(factory.constructor(self.admin).transact({"from": self.admin}))
        self.reg = self.w3.eth.contract(address=rcpt["contractAddress"], abi=art.abi)
        self.results: dict[str, dict[str, int]] = {}
        self.accounts: dict[str, str] = {}
        self.orgs: dict[str, bytes] = {}

    def _wait(self, tx_hash: Any) -> Any:
        rcpt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert rcpt["status"] == 1
        return rcpt

    def account(self, label: str) -> str:
        if label not in self.accounts:
            acct = Account.from_key(Web3.keccak(text=f"gas-bench:{label}"))
            self.tester.add_account(acct.key.to_0x_hex())
            self._wait(
                self.w3.eth.send_transaction(
                    {"from": self.admin, "to": acct.address, "value": 10**20}
                )
            )
            self.accounts[label] = acct.address
        return self.accounts[label]

    def op(self, name: str | None, role: str, fn: str, *args: Any) -> Any:
        sender = self.admin if role == "admin" else self.account(role)
        call = getattr(self.reg.functions, fn)(*args)
        before = _storage_keys(self.tester, self.reg.address)
        rcpt = self._wait(call.transact({"from": sender, "gas": 5_000_000}))
        after = _storage_keys(self.tester, self.reg.address)
        if name is not None:
            data = bytes(self.w3.eth.get_transaction(rcpt["transactionHash"])["input"])
            new_slots = len(after - before)
            logs = sum(
                375 + 375 * len(log["topics"]) + 8 * len(log["data"]) for log in rcpt["logs"]
            )
            bound = 21_000 + _calldata_gas(data) + 22_100 * new_slots + logs
            self.results[name] = {
                "gas_used": int(rcpt["gasUsed"]),
                "lower_bound": bound,
                "new_slots": new_slots,
                "calldata_bytes": len(data),
                "log_bytes": sum(len(log["data"]) for log in rcpt["logs"]),
            }
        return rcpt

    def event_arg(self, rcpt: Any, event: str, arg: str) -> bytes:
        from web3.logs import DISCARD

        logs = getattr(self.reg.events, event)().process_receipt(rcpt, errors=DISCARD)
        return bytes(logs[0]["args"][arg])

    def travel(self, seconds: int) -> None:
        now = int(self.w3.eth.get_block("latest")["timestamp"])
        self.tester.time_travel(now + seconds)
        self.tester.mine_blocks()


def measure() -> dict[str, dict[str, int]]:
    """Run every operation once on a fresh chain; gas and lower bound per operation."""
    b = Bench()
    r = b.op("admitRegistrar", "admin", "admitRegistrar", QINGDAO, h("qd"), b.account("registrar"))
    b.orgs["registrar"] = b.event_arg(r, "OrgAdmitted", "orgId")
    r = b.op(None, "admin", "admitRegistrar", XIAMEN, h("xm"), b.account("xm_registrar"))
    b.orgs["xm_registrar"] = b.event_arg(r, "OrgAdmitted", "orgId")
    for label, kind in KINDS.items():
        name = "admitOrg" if label == "holder" else None
        r = b.op(name, "registrar", "admitOrg", kind, h(label), b.account(label))
        b.orgs[label] = b.event_arg(r, "OrgAdmitted", "orgId")
    b.op(
        "addSigningAccount", "holder", "addSigningAccount", b.orgs["holder"], b.account("spare"), 0
    )
    b.op("removeSigningAccount", "holder", "removeSigningAccount", b.account("spare"))
    b.op("setRegistrarTerms", "registrar", "setRegistrarTerms", 0, 0)
    r = b.op("registerResource", "holder", "registerResource", h("cat"), h("meta"), 7)
    asset = b.event_arg(r, "ResourceRegistered", "assetId")
    values = [(h(f"c{i}"), h(f"m{i}"), 7) for i in range(5201)]
    tree = StandardMerkleTree(values, ["bytes32", "bytes32", "uint32"])
    r = b.op(
        "registerResourceBatch(5201)", "holder", "registerResourceBatch", tree.root, 5201, h("mf")
    )
    batch = b.event_arg(r, "ResourceBatchRegistered", "batchId")
    b.op(
        "materialiseResource(5201)",
        "holder",
        "materialiseResource",
        batch,
        *values[42],
        tree.proof(42),
    )
    b.op("recordValuation", "registrar", "recordValuation", asset, 200_000_000, 1, h("v"))
    b.op("recordCompliance(opens notice)", "registrar", "recordCompliance", asset, True, h("c"))
    r = b.op("lodgeObjection", "bank", "lodgeObjection", asset, h("o"))
    objection = b.event_arg(r, "ObjectionLodged", "objectionId")
    b.op("resolveObjection", "registrar", "resolveObjection", objection, False, h("r"))
    b.op("recordDispute", "registrar", "recordDispute", asset, h("d"))
    b.op("resolveDispute", "registrar", "resolveDispute", asset, h("s"))
    b.travel(10 * 86400)
    r = b.op("issueCertificate", "registrar", "issueCertificate", asset)
    cert = b.event_arg(r, "CertificateIssued", "certificateId")
    b.op("renewCertificate", "registrar", "renewCertificate", cert)
    r = b.op("amendCertificate(Change)", "registrar", "amendCertificate", cert, 1, h("meta2"))
    cert = b.event_arg(r, "CertificateIssued", "certificateId")
    b.op("recognise", "xm_registrar", "recognise", cert)
    b.op("withdrawRecognition", "xm_registrar", "withdrawRecognition", cert)
    b.op("proposeAgreement", "xm_registrar", "proposeAgreement", b.orgs["registrar"])
    b.op("acceptAgreement", "registrar", "acceptAgreement", b.orgs["xm_registrar"])
    b.op("withdrawAgreement", "registrar", "withdrawAgreement", b.orgs["xm_registrar"])
    r = b.op("applyForPaidUse", "holder", "applyForPaidUse", asset, h("scope"), b.orgs["operator"])
    app = b.event_arg(r, "PaidUseApplied", "applicationId")
    b.op("reviewPaidUse(competent)", "competent", "reviewPaidUse", app, True, ZERO)
    b.op("reviewPaidUse(data administration)", "data_admin", "reviewPaidUse", app, True, ZERO)
    b.op("decidePaidUse(approve)", "finance", "decidePaidUse", app, True, ZERO)
    r = b.op("requestPledge", "holder", "requestPledge", asset, b.orgs["bank"], 700_000_000, h("p"))
    pledge = b.event_arg(r, "PledgeRequested", "financingId")
    b.op("confirmPledge", "bank", "confirmPledge", pledge)
    b.op("releasePledge", "bank", "releasePledge", pledge)
    b.op("recordCreditLine", "bank", "recordCreditLine", asset, 6_000_000_000, h("l"))
    b.op(
        "recordEquityContribution", "holder", "recordEquityContribution", asset, 100_000_000, h("e")
    )
    b.op("setOrgActive", "registrar", "setOrgActive", b.orgs["exchange"], False)
    b.op("requestDisposal", "holder", "requestDisposal", asset, h("x"))
    b.op("confirmDisposal(revokes certificate)", "registrar", "confirmDisposal", asset)
    return b.results


def main() -> None:
    results = measure()
    code_size = artifacts.load("AssetRegistry").code_size
    payload = {"contract": "AssetRegistry", "code_size": code_size, "operations": results}
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(json.dumps(payload, indent=2) + "\n")
    width = max(len(k) for k in results)
    print(f"{'operation':<{width}}  {'gas':>9}  {'bound':>9}  ratio")
    for name, row in results.items():
        ratio = row["gas_used"] / row["lower_bound"]
        print(f"{name:<{width}}  {row['gas_used']:>9,}  {row['lower_bound']:>9,}  {ratio:.2f}")
    print(f"code size {code_size} bytes; wrote {SNAPSHOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
