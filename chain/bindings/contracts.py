"""Names of the deployed v2 contracts (artifact names and deployment-record keys)."""

from __future__ import annotations

from typing import Any

from chain.artifacts import load

DIRECTORY = "OrgDirectory"
REGISTRY = "AssetRegistryV2"
USE_AND_FINANCE = "UseAndFinance"
SPLIT = "RevenueSplitV2"
VERIFIER = "CertificateVerifier"
TEST_TOKEN = "LedgerTestToken"

#: Every contract a deployment records, in deployment order (the token only when the
#: deployment brings its own settlement token).
DEPLOYED: tuple[str, ...] = (DIRECTORY, REGISTRY, USE_AND_FINANCE, TEST_TOKEN, SPLIT, VERIFIER)
#: The ledger's own contracts (not the token).
LEDGER: tuple[str, ...] = (DIRECTORY, REGISTRY, USE_AND_FINANCE, SPLIT, VERIFIER)

#: The version each ledger contract implements (recorded in the deployment record).
VERSIONS: dict[str, str] = {
    DIRECTORY: "2",
    REGISTRY: "2",
    USE_AND_FINANCE: "2",
    SPLIT: "2",
    VERIFIER: "2",
    TEST_TOKEN: "1",
}


def abi(name: str) -> list[dict[str, Any]]:
    return load(name).abi


def all_abis() -> list[list[dict[str, Any]]]:
    """The ABIs of every deployed contract (custom errors of any of them decode)."""
    return [load(name).abi for name in DEPLOYED]
