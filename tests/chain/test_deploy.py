"""Deployment on the in-process chain and on a real local anvil node."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from chain import deploy, localnode
from chain.clients import ChainHandle, http_chain, memory_chain


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def memory() -> ChainHandle:
    return memory_chain()


def test_deploy_on_memory_puts_code_at_every_address(memory: ChainHandle) -> None:
    admin = Account.create()
    record = deploy.ensure_deployed(memory, admin, None, notice_floor=1, account_change_delay=1)
    assert set(record.contracts) == {
        "OrgDirectory", "AssetRegistryV2", "UseAndFinance", "LedgerTestToken",
        "RevenueSplitV2", "CertificateVerifier",
    }  # fmt: skip
    assert record.versions == {
        "OrgDirectory": "2", "AssetRegistryV2": "2", "UseAndFinance": "2",
        "LedgerTestToken": "1", "RevenueSplitV2": "2", "CertificateVerifier": "2",
    }  # fmt: skip
    assert deploy.is_live(memory, record)

    def at(name: str) -> Any:
        return memory.w3.eth.contract(
            address=Web3.to_checksum_address(record.address(name)), abi=deploy.load(name).abi
        )

    directory, registry, uaf = at("OrgDirectory"), at("AssetRegistryV2"), at("UseAndFinance")
    split, verifier = at("RevenueSplitV2"), at("CertificateVerifier")
    assert directory.functions.bootstrapper().call() == admin.address
    assert directory.functions.hardLimits().call()[0] == 1 == record.notice_floor
    assert registry.functions.directory().call() == directory.address
    assert registry.functions.useAndFinance().call() == uaf.address
    assert uaf.functions.registry().call() == registry.address
    assert split.functions.context().call() == uaf.address
    assert split.functions.settlementToken().call() == record.address("LedgerTestToken")
    assert split.functions.accountChangeDelay().call() == 1 == record.account_change_delay
    assert verifier.functions.registry().call() == registry.address
    assert record.deployment_block == record.contracts["OrgDirectory"].block


def test_deploy_defaults_to_production_bounds(memory: ChainHandle, tmp_path: Path) -> None:
    admin = Account.create()
    record = deploy.ensure_deployed(memory, admin, tmp_path)
    assert record.notice_floor == 5 * 86_400 and record.account_change_delay == 2 * 86_400
    saved = json.loads((tmp_path / f"{memory.chain_id}.json").read_text())
    assert saved["versions"]["AssetRegistryV2"] == "2"
    assert saved["notice_floor"] == 5 * 86_400
    with pytest.raises(deploy.DeploymentError, match="notice floor"):
        deploy.deploy_contracts(memory, admin, notice_floor=6 * 86_400)


def test_deploy_reuses_live_record(memory: ChainHandle, tmp_path: Path) -> None:
    admin = Account.create()
    first = deploy.ensure_deployed(memory, admin, tmp_path)
    assert json.loads((tmp_path / f"{memory.chain_id}.json").read_text())["chain_id"] == (
        memory.chain_id
    )
    again = deploy.ensure_deployed(memory, admin, tmp_path)
    assert again.contracts == first.contracts


def test_deploy_refuses_record_built_from_other_sources(
    memory: ChainHandle, tmp_path: Path
) -> None:
    admin = Account.create()
    record = deploy.ensure_deployed(memory, admin, tmp_path)
    record.artifact_digest = "0" * 64
    deploy.write_record(tmp_path, record)
    with pytest.raises(deploy.DeploymentError, match="--redeploy"):
        deploy.ensure_deployed(memory, admin, tmp_path)
    replaced = deploy.ensure_deployed(memory, admin, tmp_path, redeploy=True)
    assert replaced.address("AssetRegistryV2") != record.address("AssetRegistryV2")


def test_deploy_with_given_token_skips_test_token(memory: ChainHandle) -> None:
    admin = Account.create()
    token = deploy.ensure_deployed(memory, admin, None).address("LedgerTestToken")
    record = deploy.ensure_deployed(memory, admin, None, settlement_token=token)
    assert "LedgerTestToken" not in record.contracts


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[localnode.LocalNodeConfig]:
    config = dataclasses.replace(
        localnode.load_config().with_dir(tmp_path), port=free_port(), block_time=0
    )
    localnode.start(config)
    yield config
    localnode.stop(config)


@pytest.mark.anvil
def test_deploy_on_anvil_survives_node_restart(
    anvil: localnode.LocalNodeConfig, tmp_path: Path
) -> None:
    handle = http_chain(anvil.url, "local", anvil.chain_id, poa=False)
    admin = Account.create()
    assert handle.w3.eth.get_balance(admin.address) == 0
    record = deploy.ensure_deployed(handle, admin, tmp_path / "deployments")
    assert deploy.is_live(handle, record)

    localnode.restart(anvil)
    handle = http_chain(anvil.url, "local", anvil.chain_id, poa=False)
    assert deploy.is_live(handle, record)
    again = deploy.ensure_deployed(handle, admin, tmp_path / "deployments")
    assert again.contracts == record.contracts
    # six contracts and the one-time binding of UseAndFinance to the registry
    assert handle.w3.eth.get_transaction_count(admin.address) == 7
