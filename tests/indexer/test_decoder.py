"""The raw-log decoder against web3's own event decoding."""

from __future__ import annotations

from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from chain.indexer.decoder import ContractSpec, LogDecoder
from tests.indexer.conftest import ledger_abi
from tests.indexer.workload import LEDGER_EVENTS, Workload


def _plain(value: Any) -> Any:
    """web3's decoded values as the decoder's JSON values."""
    if isinstance(value, (bytes, HexBytes)):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _raw_logs(w3: Web3, address: str, block: int) -> list[dict[str, Any]]:
    response = w3.provider.make_request(  # type: ignore[arg-type]
        "eth_getLogs", [{"fromBlock": hex(block), "toBlock": "latest", "address": address}]
    )
    return list(response["result"])


def test_decode_matches_web3_for_every_ledger_event(chain_w3: Web3, probe: Any) -> None:
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=7)
    workload.names = sorted(LEDGER_EVENTS)
    for name in workload.names:  # every ledger event at least once
        event = LEDGER_EVENTS[name]
        from tests.indexer.workload import _random, encode_log

        values = {p["name"]: _random(p, workload.rng, workload.pools) for p in event["inputs"]}
        topics, data = encode_log(event, values)
        probe.functions.emitRaw(topics, data).transact({"gas": 5_000_000})
    probe.functions.ping("hello", [1, 2**200]).transact()
    probe.functions.burst(3, b"\x02" * 32).transact()
    decoder = LogDecoder([ContractSpec("AssetRegistryV2", probe.address, ledger_abi())])
    reference = chain_w3.eth.contract(address=probe.address, abi=ledger_abi())
    by_name = {e.event_name: e for e in reference.events}
    raw = _raw_logs(chain_w3, probe.address, start)
    receipts = {}
    checked = 0
    for entry in raw:
        ours = decoder.decode(entry)
        assert ours is not None
        tx = entry["transactionHash"]
        receipts.setdefault(tx, chain_w3.eth.get_transaction_receipt(tx))
        web3_log = next(
            lg for lg in receipts[tx]["logs"] if lg["logIndex"] == int(entry["logIndex"], 16)
        )
        theirs = by_name[ours.event]().process_log(web3_log)
        assert ours.event == theirs["event"]
        assert ours.args == _plain(dict(theirs["args"]))
        assert ours.block_number == theirs["blockNumber"]
        assert ours.log_index == theirs["logIndex"]
        checked += 1
    assert checked == len(LEDGER_EVENTS) + 1 + 3


def test_decode_skips_logs_of_unknown_events(probe: Any) -> None:
    decoder = LogDecoder([ContractSpec("P", probe.address, [])])
    log = {
        "address": probe.address,
        "topics": ["0x" + "11" * 32],
        "data": "0x",
        "blockNumber": "0x1",
        "blockHash": "0x" + "22" * 32,
        "transactionHash": "0x" + "33" * 32,
        "logIndex": "0x0",
    }
    assert decoder.decode(log) is None
    assert decoder.decode_all([log]) == []
