"""The registrars' key list: read from the OrgDirectory at one block, signed by an exporting
key; a certificate checked against it with no chain at all is authentic "as of the export"
when genuine and not authentic when its signature is forged."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from chain import compact, documents, keylist
from chain.documents import format_time
from chain.verdict import plain_answer
from tests.documents.conftest import VERIFY_BASE, Issued

EXPORTER = Account.create()


@pytest.fixture(scope="module")
def exported(issued: Issued) -> keylist.KeyList:
    return keylist.export(issued.ledger.w3, issued.ledger.address, EXPORTER)


def test_the_export_lists_every_registrar_with_its_key_windows_at_one_block(
    issued: Issued, exported: keylist.KeyList
) -> None:
    ledger = issued.ledger
    assert exported.format == "data-asset-ledger-keys/v1"
    assert exported.chainId == ledger.handle.chain_id
    assert exported.registry == ledger.address
    assert exported.directory == ledger.directory.address
    assert exported.exporter == EXPORTER.address
    block = ledger.w3.eth.get_block(exported.block)
    assert exported.exportedAt == block["timestamp"]
    assert exported.blockHash == "0x" + bytes(block["hash"]).hex()
    by_org = {r.orgId: r for r in exported.registrars}
    registrars = (ledger.registrar_org, ledger.partner_org, ledger.third_org)
    assert set(by_org) == {"0x" + o.hex() for o in registrars}
    qingdao = by_org["0x" + ledger.registrar_org.hex()]
    assert (qingdao.city, qingdao.active) == (370200, True)
    assert [k.account for k in qingdao.keys] == [ledger.registrar.address]
    key = qingdao.keys[0]
    onchain = ledger.directory.functions.signingKey(ledger.registrar.address).call()
    assert (key.validFrom, key.validUntil, key.compromisedAt) == tuple(onchain[1:])
    # the holder is no registrar: its key is not in the list
    assert exported.key_of(ledger.holder.address) is None
    # the file round-trips and its signature verifies
    assert keylist.load(exported.to_json()) == exported


def test_a_genuine_certificate_is_authentic_offline_as_of_the_export(
    issued: Issued, exported: keylist.KeyList
) -> None:
    ledger = issued.ledger
    doc = documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, ledger.registrar, VERIFY_BASE
    )
    scanned = compact.decode_text(compact.qr_text(doc))
    verdict = keylist.verify_offline(scanned, exported, [EXPORTER.address])
    assert verdict.valid, verdict.sentences()
    assert plain_answer(verdict) == "authentic_offline"
    assert verdict.offline_as_of == exported.exportedAt
    assert verdict.status == "Unknown"  # the status needs the chain
    when = format_time(exported.exportedAt)
    head = verdict.sentences()[0]
    assert head.startswith(f"AUTHENTIC (offline): certificate {doc.certificate_id}")
    assert f"as of the key list exported at {when}" in head
    assert "its current status (revoked, expired) needs the chain" in head
    codes = [r.code for r in verdict.reasons]
    assert codes == ["format", "key_list", "types", "domain", "chain_id", "verifying_contract",
                     "signature_canonical", "signature", "signer_registrar", "registrar_active",
                     "status_not_checked"]  # fmt: skip
    signer = next(r for r in verdict.reasons if r.code == "signer_registrar")
    assert f"as of the key list exported {when}" in signer.detail


def test_a_forged_signature_is_not_authentic_offline(
    issued: Issued, exported: keylist.KeyList
) -> None:
    ledger = issued.ledger
    forger = Account.create()
    forged = documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, forger, VERIFY_BASE
    )
    verdict = keylist.verify_offline(forged, exported)
    assert not verdict.valid
    assert plain_answer(verdict) == "not_authentic"
    assert verdict.codes(ok=False) == {"signer_registrar"}
    assert verdict.sentences()[0].startswith("NOT AUTHENTIC (offline)")
    # the forger claims the registrar as signer: the signature recovers to someone else
    claimed = forged.model_copy(update={"signer": ledger.registrar.address})
    verdict = keylist.verify_offline(claimed, exported)
    assert {"signature"} <= verdict.codes(ok=False)
    # signed by a key of another registrar (Xiamen) for Qingdao's certificate
    partner = documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, ledger.partner, VERIFY_BASE
    )
    verdict = keylist.verify_offline(partner, exported)
    reason = next(r for r in verdict.reasons if r.code == "signer_registrar")
    assert not reason.ok and "not the issuing registrar" in reason.detail


def test_a_changed_or_untrusted_key_list_is_refused(
    issued: Issued, exported: keylist.KeyList
) -> None:
    raw = json.loads(exported.to_json())
    raw["registrars"][0]["keys"].append(
        {"account": Account.create().address, "validFrom": 0, "validUntil": 0,
         "compromisedAt": 0}
    )  # fmt: skip
    with pytest.raises(keylist.KeyListError, match="signature does not verify"):
        keylist.load(json.dumps(raw))
    with pytest.raises(keylist.KeyListError, match="not a key list"):
        keylist.load('{"format": "something-else"}')
    ledger = issued.ledger
    doc = documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, ledger.registrar, VERIFY_BASE
    )
    other = Account.create().address
    verdict = keylist.verify_offline(doc, exported, [other])
    assert verdict.codes(ok=False) == {"key_list"}
    assert plain_answer(verdict) == "not_authentic"


def test_a_key_list_with_a_malformed_address_is_refused_not_crashed(
    exported: keylist.KeyList,
) -> None:
    raw = json.loads(exported.to_json())
    raw["exporter"] = "0x12"
    with pytest.raises(keylist.KeyListError, match="malformed"):
        keylist.load(json.dumps(raw))
    raw = json.loads(exported.to_json())
    raw["registrars"][0]["keys"][0]["account"] = "not-an-address"
    with pytest.raises(keylist.KeyListError, match="malformed"):
        keylist.load(json.dumps(raw))
