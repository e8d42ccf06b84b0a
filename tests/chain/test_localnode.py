"""The local anvil node: start from localnode.toml, stop exactly it, restart on its state."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from chain import localnode

pytestmark = pytest.mark.anvil


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def node_config(tmp_path: Path) -> Iterator[localnode.LocalNodeConfig]:
    config = dataclasses.replace(
        localnode.load_config().with_dir(tmp_path), port=free_port(), block_time=0,
        state_interval=1,
    )
    yield config
    localnode.stop(config)


def test_load_config_reads_localnode_toml() -> None:
    config = localnode.load_config()
    assert config.chain_id == 31337
    assert config.port == 8545
    assert config.gas_price == 0
    assert config.state_file.name == "state.json"
    assert config.state_file.parent.parent.name == "var"


def test_start_answers_with_configured_chain_id(node_config: localnode.LocalNodeConfig) -> None:
    pid = localnode.start(node_config)
    assert localnode.rpc_chain_id(node_config.url) == node_config.chain_id
    assert localnode.recorded_pid(node_config) == pid
    assert int(node_config.pid_file.read_text()) == pid


def test_start_twice_adopts_running_node(node_config: localnode.LocalNodeConfig) -> None:
    first = localnode.start(node_config)
    assert localnode.start(node_config) == first


def test_stop_ends_exactly_the_recorded_process(node_config: localnode.LocalNodeConfig) -> None:
    pid = localnode.start(node_config)
    assert localnode.stop(node_config) is True
    assert localnode.rpc_chain_id(node_config.url) is None
    assert not node_config.pid_file.exists()
    with pytest.raises(ProcessLookupError):
        import os

        os.kill(pid, 0)
    assert localnode.stop(node_config) is False


def test_restart_keeps_chain_state(node_config: localnode.LocalNodeConfig) -> None:
    localnode.start(node_config)
    w3 = Web3(Web3.HTTPProvider(node_config.url))
    sender = Account.create()
    receiver = Account.create().address
    signed = sender.sign_transaction(
        {"to": receiver, "value": 0, "gas": 21000, "gasPrice": 0, "nonce": 0,
         "chainId": node_config.chain_id, "data": b""}
    )
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
    height = w3.eth.block_number
    assert w3.eth.get_transaction_count(sender.address) == 1
    localnode.restart(node_config)
    w3 = Web3(Web3.HTTPProvider(node_config.url))
    assert w3.eth.block_number >= height
    assert w3.eth.get_transaction_count(sender.address) == 1


def test_start_on_taken_port_says_so(node_config: localnode.LocalNodeConfig) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", node_config.port))
        blocker.listen(1)
        with pytest.raises(localnode.LocalNodeError, match=f"port {node_config.port}.*taken"):
            localnode.start(node_config)
