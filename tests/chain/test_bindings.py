"""The bindings package must match the compiler's output: enums (from the AST in the
artifacts), errors (every ABI error of every deployed contract has an entry in the one
error table, and no entry names an error no contract has), ids and struct readers."""

from __future__ import annotations

from eth_abi.abi import encode
from web3 import Web3

from chain import artifacts
from chain.bindings import contracts, enums, ids
from chain.bindings.errors import ERROR_TABLE, status_of
from chain.errors import ContractRevert, revert_status


def _abi_errors() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name in contracts.DEPLOYED:
        for entry in artifacts.load(name).abi:
            if entry.get("type") == "error":
                found.setdefault(str(entry["name"]), set()).add(name)
    return found


def test_every_python_enum_matches_the_solidity_enum() -> None:
    solidity = artifacts.manifest()["enums"]
    for enum in enums.ALL_ENUMS:
        canonical = enums.SOLIDITY_NAMES[enum]
        assert canonical in solidity, f"{canonical} is not an enum of the contracts"
        assert list(enums.solidity_names(enum)) == solidity[canonical], canonical


def test_every_v2_interface_enum_has_a_binding() -> None:
    bound = set(enums.SOLIDITY_NAMES.values())
    for canonical in artifacts.manifest()["enums"]:
        owner = canonical.split(".")[0]
        if owner.startswith(("IOrgDirectory", "IAssetRegistryV2", "IUseAndFinance",
                             "IRevenueSplitV2")) or canonical == "ILedgerDirectory.OrgKind":
            assert canonical in bound, f"{canonical} has no Python binding"


def test_every_abi_error_of_every_deployed_contract_has_an_entry() -> None:
    errors = _abi_errors()
    missing = sorted(set(errors) - set(ERROR_TABLE))
    assert not missing, f"no entry in chain.bindings.errors.ERROR_TABLE for {missing}"
    stale = sorted(set(ERROR_TABLE) - set(errors))
    assert not stale, f"ERROR_TABLE names errors no deployed contract has: {stale}"


def test_revert_status_comes_from_the_table() -> None:
    assert revert_status("AssetNotUsable") == 409 == status_of("AssetNotUsable")
    assert revert_status("NotOrgOfKind") == 403
    assert revert_status("UnknownAsset") == 404
    assert revert_status("ObjectionRateLimited") == 429
    assert revert_status("InvalidAccount") == 422
    assert ContractRevert("NotOrgKey", {}).http_status == 403
    assert revert_status("Panic") == 422


def test_every_entry_has_both_sentences() -> None:
    for name, entry in ERROR_TABLE.items():
        assert entry.status in (403, 404, 409, 422, 429), name
        assert entry.en.endswith(".") and entry.zh.endswith("。"), name


def test_usability_words_name_each_part() -> None:
    assert enums.usability_words(enums.Usability.Deregistered) == "the asset was deregistered"
    assert enums.usability_words(5, "zh") == "资产的现行证书已被撤销"
    assert set(enums.USABILITY_WORDS) == set(enums.Usability)


def test_ids_follow_the_contract_formulas() -> None:
    holder = ids.org_id_for("holder", 370200, "transport bureau")
    assert holder == ids.hex32(
        Web3.keccak(encode(["uint8", "uint32", "bytes32"],
                           [2, 370200, Web3.keccak(text="transport bureau")]))
    )
    a, b = "0x" + "01" * 32, "0x" + "02" * 32
    assert ids.agreement_id_for(a, b) == ids.agreement_id_for(b, a)
    assert ids.proposal_id_for(0, b"\x01", a, 0) == ids.hex32(
        Web3.keccak(encode(["uint8", "bytes32", "bytes32", "uint64"],
                           [0, Web3.keccak(b"\x01"), bytes.fromhex("01" * 32), 0]))
    )
