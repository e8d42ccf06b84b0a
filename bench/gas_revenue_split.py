"""Gas of RevenueSplit operations beside their physical lower bound.

Runs on a fresh in-process chain (eth-tester), so the figures are deterministic, and
writes ``bench/gas/revenue_split.json`` (committed; a test fails when it differs from a
fresh measurement). The lower bound of a transaction is what no implementation can
avoid: 21,000 base + calldata (16 gas per nonzero byte, 4 per zero byte) + 22,100 per
storage slot it must create (20,000 set + 2,100 cold access) + logs (375 + 375 per topic
+ 8 per data byte). The slots a transaction must create are counted per operation below.

Run: ``.venv/bin/python bench/gas_revenue_split.py``
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from eth_tester import EthereumTester, PyEVMBackend
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/gas_revenue_split.py`
    sys.path.insert(0, str(REPO_ROOT))

from chain import artifacts  # noqa: E402
from chain.compiler import EVM_VERSION, OPTIMIZER_RUNS, SOLC_VERSION  # noqa: E402

OUT = Path(__file__).resolve().parent / "gas" / "revenue_split.json"

BASE_TX = 21_000
NEW_SLOT = 22_100
LOG_BASE, LOG_TOPIC, LOG_BYTE = 375, 375, 8
CALLDATA_ZERO, CALLDATA_NONZERO = 4, 16

FINANCE, OPERATOR, MERCHANT = 5, 6, 7
CITY = 370200
YUAN = 100

SCHEDULES: dict[int, tuple[list[int], list[int]]] = {
    1: ([0], [2_000]),
    3: ([0, 100_000 * YUAN, 500_000 * YUAN], [2_000, 3_500, 5_000]),
    20: ([i * 1_000_000 * YUAN for i in range(20)], [500 * (i + 1) for i in range(20)]),
}
# a payment above every bound, so each bracket takes part
AMOUNT = 10**8 * YUAN

# Payment record: assetId, payer|version|block|settlement|remitted, amount|operatorShare,
# payerOrgId, operatorOrgId, externalRef.
PAYMENT_SLOTS = 6


def schedule_slots(count: int) -> int:
    """New slots of an asset's first schedule version of ``count`` brackets.

    versions length, version|effectiveBlock, financeOrgId, two array lengths, the
    nonzero bounds (the first is 0) and the packed rates (16 per slot).
    """
    return 1 + 2 + 2 + (count - 1) + math.ceil(count / 16)


def h(text: str) -> bytes:
    return Web3.keccak(text=text)


def calldata_gas(data: bytes) -> int:
    zeros = data.count(0)
    return zeros * CALLDATA_ZERO + (len(data) - zeros) * CALLDATA_NONZERO


def log_gas(receipt: Any) -> int:
    return sum(
        LOG_BASE + LOG_TOPIC * len(log["topics"]) + LOG_BYTE * len(bytes(log["data"]))
        for log in receipt["logs"]
    )


class Bench:
    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.accounts = w3.eth.accounts
        self.admin = self.accounts[0]
        self.directory = self.deploy("MockLedgerDirectory")
        self.token = self.deploy("LedgerTestToken")
        self.split = self.deploy("RevenueSplit", self.directory.address, self.token.address)

    def deploy(self, name: str, *args: Any) -> Any:
        art = artifacts.load(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        receipt = self.send(factory.constructor(*args), self.admin)
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)

    def send(self, fn: Any, sender: str) -> Any:
        tx_hash = fn.transact({"from": sender, "gas": 5_000_000})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise RuntimeError(f"transaction failed: {fn}")
        return receipt

    def measure(self, fn: Any, sender: str, new_slots: int) -> dict[str, Any]:
        receipt = self.send(fn, sender)
        tx = self.w3.eth.get_transaction(receipt["transactionHash"])
        calldata = calldata_gas(bytes(tx["input"]))
        logs = log_gas(receipt)
        lower = BASE_TX + calldata + NEW_SLOT * new_slots + logs
        gas = int(receipt["gasUsed"])
        return {
            "gas": gas,
            "lower_bound": lower,
            "ratio": round(gas / lower, 3),
            "over_bound": gas - lower,
            "bound_parts": {
                "base": BASE_TX,
                "calldata": calldata,
                "new_slots": new_slots,
                "storage": NEW_SLOT * new_slots,
                "logs": logs,
            },
        }


def measure(w3: Web3 | None = None) -> dict[str, Any]:
    """Measure every operation on a fresh chain (or on ``w3`` when given)."""
    if w3 is None:
        w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
    b = Bench(w3)
    admin, finance, operator, merchant, payout, treasury = b.accounts[:6]
    d = b.directory.functions
    s = b.split.functions
    b.send(d.setAccountOrg(finance, h("fin"), FINANCE, CITY, True), admin)
    b.send(d.setAccountOrg(operator, h("op"), OPERATOR, CITY, True), admin)
    b.send(d.setAccountOrg(merchant, h("mer"), MERCHANT, CITY, True), admin)
    b.send(s.setTreasuryAccount(CITY, treasury), finance)
    b.send(s.setPayoutAccount(payout), operator)
    b.send(b.token.functions.mint(merchant, 10**30), admin)
    b.send(b.token.functions.approve(b.split.address, 2**256 - 1), merchant)

    results: dict[str, Any] = {}
    for count, (bounds, bps) in SCHEDULES.items():
        asset = h(f"asset-{count}")
        ctx = (True, CITY, h("holder"), h("op"), True, False)
        b.send(d.setPaymentContext(asset, ctx), admin)
        results[f"setSchedule_{count}_brackets"] = b.measure(
            s.setSchedule(asset, bounds, bps), finance, schedule_slots(count)
        )
        # the first payment of an asset also creates its totals and the recipients'
        # balances; measure the steady state: a later payment
        b.send(s.pay(asset, AMOUNT, h(f"warm-{count}")), merchant)
        results[f"pay_{count}_brackets"] = b.measure(
            s.pay(asset, AMOUNT, h(f"pay-{count}")), merchant, PAYMENT_SLOTS
        )
    asset = h("asset-3")
    b.send(s.recordOffchainPayment(asset, AMOUNT, h("bank-warm")), operator)
    results["recordOffchainPayment_3_brackets"] = b.measure(
        s.recordOffchainPayment(asset, AMOUNT, h("bank-1")), operator, PAYMENT_SLOTS
    )
    tag = s.OFFCHAIN_TAG().call()
    payment_id = Web3.keccak(tag + asset + h("op") + h("bank-1"))
    # the remittance reference is the one slot it creates
    results["confirmRemittance"] = b.measure(
        s.confirmRemittance(payment_id, h("remit-1")), finance, 1
    )
    return {
        "contract": "RevenueSplit",
        "compiler": SOLC_VERSION,
        "optimizer_runs": OPTIMIZER_RUNS,
        "evm_version": EVM_VERSION,
        "code_size": artifacts.load("RevenueSplit").code_size,
        "notes": (
            "pay and recordOffchainPayment: a later payment of an asset (totals and "
            "recipient balances exist), amount above every bound so all brackets count; "
            "setSchedule: the asset's first version"
        ),
        "operations": results,
    }


def main() -> None:
    report = measure()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    width = max(len(name) for name in report["operations"])
    print(f"{'operation':<{width}}  {'gas':>9}  {'bound':>9}  ratio")
    for name, row in report["operations"].items():
        print(f"{name:<{width}}  {row['gas']:>9,}  {row['lower_bound']:>9,}  {row['ratio']:.3f}")
    print(f"wrote {OUT.relative_to(REPO_ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
