"""The independent verifier: `python -m chain.verify_cli` against a real anvil node."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from chain import documents, localnode
from chain.clients import ChainHandle
from chain.paths import REPO_ROOT
from chain.verify_cli import main
from tests.documents.ledger import Ledger

pytestmark = pytest.mark.anvil

BASE = "https://ledger.qingdao.example"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class AnvilCert:
    url: str
    ledger: Ledger
    certificate_id: bytes
    document: Path
    forged: Path


@pytest.fixture(scope="module")
def anvil_cert(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilCert]:
    tmp = tmp_path_factory.mktemp("anvil")
    config = dataclasses.replace(
        localnode.load_config().with_dir(tmp), port=_free_port(), block_time=0
    )
    localnode.start(config)
    try:
        w3 = Web3(Web3.HTTPProvider(config.url, request_kwargs={"timeout": 30}))
        handle = ChainHandle(w3=w3, mode="local", chain_id=int(w3.eth.chain_id))

        def advance(seconds: int) -> None:
            w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

        ledger = Ledger(handle=handle, advance=advance).deploy()
        certificate_id = ledger.certify("anvil-transport")
        doc = documents.build_document(w3, ledger.address, certificate_id, ledger.registrar, BASE)
        path = tmp / "certificate.json"
        path.write_bytes(doc.to_canonical_json())
        forged_doc = documents.build_document(
            w3, ledger.address, certificate_id, Account.create(), BASE
        )
        forged = tmp / "forged.json"
        forged.write_bytes(forged_doc.to_canonical_json())
        yield AnvilCert(config.url, ledger, certificate_id, path, forged)
    finally:
        localnode.stop(config)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chain.verify_cli", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_valid_document_exits_0_with_sentences(anvil_cert: AnvilCert) -> None:
    result = _run(
        "--rpc-url",
        anvil_cert.url,
        "--registry",
        anvil_cert.ledger.address,
        str(anvil_cert.document),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cid = "0x" + anvil_cert.certificate_id.hex()
    assert result.stdout.startswith(f"VALID: certificate {cid} is authentic and active.")
    assert "[ok] signer_registrar" in result.stdout
    assert "current signing key of the issuing registrar" in result.stdout


def test_cli_with_the_certificate_verifier_gives_the_same_verdict(
    anvil_cert: AnvilCert, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = anvil_cert.ledger
    base = ["--rpc-url", anvil_cert.url, "--registry", ledger.address, "--json",
            str(anvil_cert.document)]  # fmt: skip
    assert main(base) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main([*base, "--verifier", ledger.verifier_address]) == 0
    assert json.loads(capsys.readouterr().out) == alone
    assert alone["registry"] == ledger.address
    assert (alone["registrar_active"], alone["disputed"], alone["usability"]) == (
        True, False, "Usable",
    )  # fmt: skip
    # the verifier's address given as the registry: not a certificate registry
    wrong = ["--rpc-url", anvil_cert.url, "--registry", ledger.verifier_address,
             str(anvil_cert.document)]  # fmt: skip
    assert main(wrong) == 2
    assert "cannot read the registry" in capsys.readouterr().err


def test_cli_forged_document_exits_1_with_json_reasons(
    anvil_cert: AnvilCert, capsys: pytest.CaptureFixture[str]
) -> None:
    partner = "0x" + anvil_cert.ledger.partner_org.hex()
    args = ["--rpc-url", anvil_cert.url, "--registry", anvil_cert.ledger.address,
            str(anvil_cert.forged), "--json", "--by", partner]  # fmt: skip
    assert main(args) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["valid"] is False
    failed = {r["code"] for r in verdict["reasons"] if not r["ok"]}
    assert failed == {"signer_registrar", "contract_signature"}
    assert verdict["checked_recognisers"] == [partner]
    assert verdict["recognised_by"] == []


@pytest.mark.deep
def test_cli_forged_document_subprocess_exits_1(anvil_cert: AnvilCert) -> None:
    result = _run("--rpc-url", anvil_cert.url, "--registry", anvil_cert.ledger.address,
                  str(anvil_cert.forged))  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("INVALID: certificate 0x")
    assert "[FAIL] signer_registrar" in result.stdout


def test_cli_recognition_required_by_partner(
    anvil_cert: AnvilCert, capsys: pytest.CaptureFixture[str]
) -> None:
    partner = "0x" + anvil_cert.ledger.partner_org.hex()
    args = ["--rpc-url", anvil_cert.url, "--registry", anvil_cert.ledger.address,
            str(anvil_cert.document), "--by", partner, "--require-recognition"]  # fmt: skip
    assert main(args) == 1
    assert "[FAIL] recognised: not recognised by" in capsys.readouterr().out


def test_cli_revoked_certificate_exits_1(
    anvil_cert: AnvilCert, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = anvil_cert.ledger
    w3 = ledger.w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        ledger.send(
            ledger.registrar,
            ledger.registry.functions.revokeCertificate(anvil_cert.certificate_id, 3),
        )
        args = ["--rpc-url", anvil_cert.url, "--registry", ledger.address, str(anvil_cert.document)]
        assert main(args) == 1
        out = capsys.readouterr().out
        assert out.startswith("INVALID")
        assert "revoked on" in out and "the holder asked for revocation (reason code 3)" in out
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


def test_cli_chain_and_usage_errors_exit_2(
    anvil_cert: AnvilCert, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = anvil_cert.ledger.address
    dead = f"http://127.0.0.1:{_free_port()}"
    assert main(["--rpc-url", dead, "--registry", address, str(anvil_cert.document)]) == 2
    assert "cannot read the registry" in capsys.readouterr().err
    other = "0x" + "12" * 20
    assert main(["--rpc-url", anvil_cert.url, "--registry", other, str(anvil_cert.document)]) == 2
    assert "no contract" in capsys.readouterr().err
    assert (
        main(["--rpc-url", anvil_cert.url, "--registry", address, str(tmp_path / "missing.json")])
        == 2
    )
    assert "cannot read the document" in capsys.readouterr().err
    assert main(["--registry", address, str(anvil_cert.document)]) == 2
    assert (
        main(
            [
                "--rpc-url",
                anvil_cert.url,
                "--registry",
                address,
                "--by",
                "0x12",
                str(anvil_cert.document),
            ]
        )
        == 2
    )
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["--rpc-url", anvil_cert.url, "--registry", address, str(bad)]) == 1
    assert "[FAIL] format" in capsys.readouterr().out
