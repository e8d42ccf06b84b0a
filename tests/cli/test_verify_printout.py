"""`ledger verify --qr IMAGE` / `--pdf FILE` against a real anvil node with no gateway, and
`ledger keys export` + `ledger verify --offline-keys` with no network at all."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest
from eth_account import Account
from PIL import Image
from web3 import Web3

from chain import documents, localnode, pdf, scan
from chain.cli import main as ledger
from chain.clients import ChainHandle
from chain.documents import format_time
from tests.documents.ledger import Ledger

pytestmark = pytest.mark.anvil

BASE = "https://ledger.qingdao.example"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Printout:
    url: str
    ledger: Ledger
    certificate_id: str
    pdf: Path
    qr: Path
    forged_qr: Path
    folder: Path


def _qr_photo(data: bytes, path: Path) -> Path:
    document = pypdfium2.PdfDocument(data)
    page: Image.Image = document[0].render(scale=160 / 72).to_pil()
    document.close()
    width, height = page.size
    page.crop((width // 2, height * 2 // 3, width, height)).convert("RGB").save(
        path, format="JPEG", quality=85
    )
    return path


@pytest.fixture(scope="module")
def printout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Printout]:
    tmp = tmp_path_factory.mktemp("printout")
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
        cid = ledger.certify("printed-transport")
        doc = documents.build_document(w3, ledger.address, cid, ledger.registrar, BASE)
        view = documents.load_view(w3, ledger.address, cid)
        data = pdf.render_certificate_pdf(doc, view, doc.links.verify)
        (tmp / "certificate.pdf").write_bytes(data)
        forged = documents.build_document(w3, ledger.address, cid, Account.create(), BASE)
        forged_pdf = pdf.render_certificate_pdf(forged, view, forged.links.verify)
        yield Printout(
            config.url, ledger, "0x" + cid.hex(), tmp / "certificate.pdf",
            _qr_photo(data, tmp / "qr.jpg"), _qr_photo(forged_pdf, tmp / "forged-qr.jpg"), tmp,
        )  # fmt: skip
    finally:
        localnode.stop(config)


def test_verify_qr_photo_and_pdf_against_the_chain_with_no_gateway(
    printout: Printout, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = ["--rpc-url", printout.url, "--registry", printout.ledger.address]
    assert ledger(["verify", *chain, "--qr", str(printout.qr)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"VALID: certificate {printout.certificate_id} is authentic and active.")
    assert "[ok] contract_signature" in out and "[ok] signer_registrar" in out
    assert out.rstrip().endswith(f"Read from the QR code in {printout.qr}.")
    assert ledger(["verify", *chain, "--pdf", str(printout.pdf), "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["valid"] is True and verdict["certificate_id"] == printout.certificate_id
    assert verdict["signer"] == printout.ledger.registrar.address
    # a forged printout: same fields, signed by a stranger
    assert ledger(["verify", *chain, "--qr", str(printout.forged_qr)]) == 1
    assert "[FAIL] signer_registrar" in capsys.readouterr().out
    # the wrong kind of file for the option
    assert ledger(["verify", *chain, "--qr", str(printout.pdf)]) == 2
    assert "is not an image" in capsys.readouterr().err


def test_a_revoked_certificate_verified_by_its_qr_says_revoked(
    printout: Printout, capsys: pytest.CaptureFixture[str]
) -> None:
    chain_ledger = printout.ledger
    w3 = chain_ledger.w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        cid = bytes.fromhex(printout.certificate_id[2:])
        chain_ledger.send(
            chain_ledger.registrar, chain_ledger.registry.functions.revokeCertificate(cid, 3)
        )
        argv = ["verify", "--rpc-url", printout.url, "--registry", chain_ledger.address,
                "--qr", str(printout.qr)]  # fmt: skip
        assert ledger(argv) == 1
        out = capsys.readouterr().out
        assert "(status Revoked)" in out.splitlines()[0]
        assert "[FAIL] status: revoked on" in out
        assert "the holder asked for revocation (reason code 3)" in out
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


def test_offline_with_an_exported_key_list_genuine_passes_forged_fails(
    printout: Printout, capsys: pytest.CaptureFixture[str]
) -> None:
    exporter = Account.create()
    key_file = printout.folder / "exporter.key"
    key_file.write_text(exporter.key.hex())
    keys = printout.folder / "keys.json"
    export = ["keys", "export", str(keys), "--rpc-url", printout.url,
              "--registry", printout.ledger.address, "--key-file", str(key_file)]  # fmt: skip
    assert ledger(export) == 0
    said = capsys.readouterr().out
    listed = json.loads(keys.read_text())
    when = format_time(listed["exportedAt"])
    assert said.startswith("exported 3 registrars and 3 signing keys of chain")
    assert f"({when}), signed by {exporter.address}" in said
    # no --rpc-url: nothing is asked of any network
    offline = ["verify", "--offline-keys", str(keys), "--trust-exporter", exporter.address]
    assert ledger([*offline, "--qr", str(printout.qr)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"AUTHENTIC (offline): certificate {printout.certificate_id}")
    assert f"as of the key list exported at {when}" in out.splitlines()[0]
    assert re.search(r"\[ok\] key_list: .* exported " + re.escape(when), out)
    assert ledger([*offline, "--pdf", str(printout.pdf)]) == 0
    capsys.readouterr()
    assert ledger([*offline, "--qr", str(printout.forged_qr)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("NOT AUTHENTIC (offline)") and f"exported at {when}" in out
    assert "[FAIL] signer_registrar" in out and "not a signing key of any registrar" in out
    # a key list changed after signing, or signed by someone not trusted
    changed = json.loads(keys.read_text())
    changed["registrars"][0]["keys"][0]["compromisedAt"] = 0
    changed["exportedAt"] += 1
    (printout.folder / "changed.json").write_text(json.dumps(changed))
    argv = ["verify", "--offline-keys", str(printout.folder / "changed.json"),
            "--qr", str(printout.qr)]  # fmt: skip
    assert ledger(argv) == 2
    assert "signature does not verify" in capsys.readouterr().err
    stranger = Account.create().address
    argv = ["verify", "--offline-keys", str(keys), "--trust-exporter", stranger,
            "--qr", str(printout.qr)]  # fmt: skip
    assert ledger(argv) == 1
    assert "[FAIL] key_list" in capsys.readouterr().out
    both = ["verify", "--offline-keys", str(keys), "--rpc-url", printout.url,
            "--qr", str(printout.qr)]  # fmt: skip
    assert ledger(both) == 2


def test_the_qr_text_itself_is_a_document_file(
    printout: Printout, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (scanned,) = scan.qr_texts(Image.open(io.BytesIO(printout.qr.read_bytes())))
    text = tmp_path / "scanned.txt"
    text.write_text(scanned + "\n")
    argv = ["verify", "--rpc-url", printout.url, "--registry", printout.ledger.address,
            str(text)]  # fmt: skip
    assert ledger(argv) == 0
    assert "Read from the QR's compact document." in capsys.readouterr().out
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("ledger:not-a-certificate")
    argv[-1] = str(garbage)
    assert ledger(argv) == 1
    assert "[FAIL] format" in capsys.readouterr().out
