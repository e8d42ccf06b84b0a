"""Python bindings of the v2 contracts in one place: contract names, enums, id
derivations, struct readers and the error table (status and sentences per error name).

Checked against the compiler's output by ``tests/chain/test_bindings.py``.
"""

from chain.bindings import contracts, enums, errors, ids, structs
from chain.bindings.contracts import (
    DEPLOYED,
    DIRECTORY,
    LEDGER,
    REGISTRY,
    SPLIT,
    TEST_TOKEN,
    USE_AND_FINANCE,
    VERIFIER,
    VERSIONS,
)
from chain.bindings.enums import (
    AgreementStatus,
    ApplicationStatus,
    AssetAction,
    AssetStatus,
    CertificateAction,
    CertificateStatus,
    ComplianceResult,
    FinancingKind,
    FinancingStatus,
    ObjectionStatus,
    OrgKind,
    PaymentStatus,
    ProposalKind,
    ProposalStatus,
    RegistrationKind,
    SignatureCheck,
    Usability,
    usability_words,
)
from chain.bindings.errors import ERROR_TABLE, ErrorEntry, status_of

__all__ = [
    "DEPLOYED",
    "DIRECTORY",
    "ERROR_TABLE",
    "LEDGER",
    "REGISTRY",
    "SPLIT",
    "TEST_TOKEN",
    "USE_AND_FINANCE",
    "VERIFIER",
    "VERSIONS",
    "AgreementStatus",
    "ApplicationStatus",
    "AssetAction",
    "AssetStatus",
    "CertificateAction",
    "CertificateStatus",
    "ComplianceResult",
    "ErrorEntry",
    "FinancingKind",
    "FinancingStatus",
    "ObjectionStatus",
    "OrgKind",
    "PaymentStatus",
    "ProposalKind",
    "ProposalStatus",
    "RegistrationKind",
    "SignatureCheck",
    "Usability",
    "contracts",
    "enums",
    "errors",
    "ids",
    "status_of",
    "structs",
    "usability_words",
]
