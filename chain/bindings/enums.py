"""The v2 contracts' enums as Python ``IntEnum`` classes.

``SOLIDITY_NAMES`` names the Solidity enum each class mirrors (its canonical name in the
compiler's AST); ``tests/chain/test_bindings.py`` fails when a member list drifts from the
artifacts (``make contracts`` writes the AST's enums into ``chain/artifacts/manifest.json``).
Members keep the Solidity spelling so ``Enum.name`` is what the contracts and events say.
"""

from __future__ import annotations

from enum import IntEnum


class ContractEnum(IntEnum):
    """An enum of the contracts (its Solidity name is in ``SOLIDITY_NAMES``)."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(m.name for m in cls)

    @classmethod
    def name_of(cls, value: int) -> str:
        """The Solidity member name of ``value`` (``"Unknown(n)"`` when out of range)."""
        try:
            return cls(int(value)).name.rstrip("_")
        except ValueError:
            return f"Unknown({int(value)})"


class OrgKind(ContractEnum):
    None_ = 0
    Registrar = 1
    Holder = 2
    CompetentDepartment = 3
    DataAdministration = 4
    FinanceDepartment = 5
    Operator = 6
    Merchant = 7
    Exchange = 8
    Bank = 9
    Auditor = 10


class AssetStatus(ContractEnum):
    None_ = 0
    Registered = 1
    InNotice = 2
    Certified = 3
    Disposed = 4
    Deregistered = 5


class ComplianceResult(ContractEnum):
    None_ = 0
    Passed = 1
    Failed = 2


class RegistrationKind(ContractEnum):
    Initial = 0
    Change = 1
    Correction = 2
    Deregistration = 3


class CertificateStatus(ContractEnum):
    Unknown = 0
    Active = 1
    Revoked = 2
    Expired = 3
    Superseded = 4


class ObjectionStatus(ContractEnum):
    None_ = 0
    Open = 1
    Upheld = 2
    Dismissed = 3


class Usability(ContractEnum):
    Usable = 0
    UnknownAsset = 1
    NotCertified = 2
    Disposed = 3
    Deregistered = 4
    CertificateRevoked = 5
    CertificateExpired = 6
    Disputed = 7


class SignatureCheck(ContractEnum):
    Valid = 0
    UnknownCertificate = 1
    DocumentMismatch = 2
    BadSignature = 3
    NotIssuerKey = 4
    KeyNotLiveAtIssue = 5
    KeyCompromised = 6


class AssetAction(ContractEnum):
    NoticeOpened = 0
    ReturnedToRegistered = 1
    DisputeRecorded = 2
    DisputeResolved = 3
    Certified = 4
    CertificateSuspended = 5
    Deregistered = 6
    Disposed = 7


class CertificateAction(ContractEnum):
    Superseded = 0
    Renewed = 1
    Revoked = 2


class AgreementStatus(ContractEnum):
    None_ = 0
    Proposed = 1
    Active = 2
    Withdrawn = 3


class ProposalKind(ContractEnum):
    AdmitRegistrar = 0
    SetRegistrarActive = 1
    SetTermBounds = 2
    SetThreshold = 3
    MarkKeyCompromised = 4
    Sweep = 5


class ProposalStatus(ContractEnum):
    None_ = 0
    Open = 1
    Executed = 2
    Cancelled = 3


class ApplicationStatus(ContractEnum):
    None_ = 0
    Applied = 1
    Approved = 2
    Rejected = 3
    Cancelled = 4
    Expired = 5


class FinancingKind(ContractEnum):
    Pledge = 0
    CreditLine = 1
    EquityContribution = 2


class FinancingStatus(ContractEnum):
    None_ = 0
    Requested = 1
    Active = 2
    Released = 3
    Recorded = 4
    Cancelled = 5
    Expired = 6


class PaymentStatus(ContractEnum):
    None_ = 0
    Settled = 1
    OffchainOutstanding = 2
    OffchainRemitted = 3


ALL_ENUMS: tuple[type[ContractEnum], ...] = (
    OrgKind,
    AssetStatus,
    ComplianceResult,
    RegistrationKind,
    CertificateStatus,
    ObjectionStatus,
    Usability,
    SignatureCheck,
    AssetAction,
    CertificateAction,
    AgreementStatus,
    ProposalKind,
    ProposalStatus,
    ApplicationStatus,
    FinancingKind,
    FinancingStatus,
    PaymentStatus,
)


#: Each enum's canonical Solidity name (as in the AST and the artifacts).
SOLIDITY_NAMES: dict[type[ContractEnum], str] = {
    OrgKind: "ILedgerDirectory.OrgKind",
    AssetStatus: "IAssetRegistryV2.AssetStatus",
    ComplianceResult: "IAssetRegistryV2.ComplianceResult",
    RegistrationKind: "IAssetRegistryV2.RegistrationKind",
    CertificateStatus: "IAssetRegistryV2.CertificateStatus",
    ObjectionStatus: "IAssetRegistryV2.ObjectionStatus",
    Usability: "IAssetRegistryV2.Usability",
    SignatureCheck: "IAssetRegistryV2.SignatureCheck",
    AssetAction: "IAssetRegistryV2.AssetAction",
    CertificateAction: "IAssetRegistryV2.CertificateAction",
    AgreementStatus: "IOrgDirectory.AgreementStatus",
    ProposalKind: "IOrgDirectory.ProposalKind",
    ProposalStatus: "IOrgDirectory.ProposalStatus",
    ApplicationStatus: "IUseAndFinance.ApplicationStatus",
    FinancingKind: "IUseAndFinance.FinancingKind",
    FinancingStatus: "IUseAndFinance.FinancingStatus",
    PaymentStatus: "IRevenueSplitV2.PaymentStatus",
}


def solidity_names(enum: type[ContractEnum]) -> tuple[str, ...]:
    """Member names as Solidity spells them (``None_`` is ``None``)."""
    return tuple(m.name.rstrip("_") for m in enum)


def label(enum: type[ContractEnum], value: int) -> str:
    """The Solidity member name of ``value`` (what events and the API show)."""
    return enum.name_of(value)


#: The old tuple form (index = enum value) the gateway shows statuses with.
ASSET_STATUSES = solidity_names(AssetStatus)
COMPLIANCE_RESULTS = solidity_names(ComplianceResult)
REGISTRATION_KINDS = solidity_names(RegistrationKind)
CERTIFICATE_STATUSES = solidity_names(CertificateStatus)
OBJECTION_STATUSES = solidity_names(ObjectionStatus)
APPLICATION_STATUSES = solidity_names(ApplicationStatus)
AGREEMENT_STATUSES = solidity_names(AgreementStatus)
FINANCING_KINDS = solidity_names(FinancingKind)
FINANCING_STATUSES = solidity_names(FinancingStatus)
USABILITY = solidity_names(Usability)
SIGNATURE_CHECKS = solidity_names(SignatureCheck)
PROPOSAL_KINDS = solidity_names(ProposalKind)
PROPOSAL_STATUSES = solidity_names(ProposalStatus)
PAYMENT_STATUSES = solidity_names(PaymentStatus)

#: Gateway organisation kinds (snake case, as the API spells them) -> OrgKind.
KIND_CODES: dict[str, int] = {
    "registrar": OrgKind.Registrar,
    "holder": OrgKind.Holder,
    "competent_dept": OrgKind.CompetentDepartment,
    "data_administration": OrgKind.DataAdministration,
    "finance_dept": OrgKind.FinanceDepartment,
    "operator": OrgKind.Operator,
    "merchant": OrgKind.Merchant,
    "exchange": OrgKind.Exchange,
    "bank": OrgKind.Bank,
    "auditor": OrgKind.Auditor,
}
KIND_NAMES: dict[int, str] = {int(v): k for k, v in KIND_CODES.items()}

#: Which part of "usable" fails, in words (en, zh) for problem details and documents.
USABILITY_WORDS: dict[Usability, tuple[str, str]] = {
    Usability.Usable: ("the asset is usable", "资产可用"),
    Usability.UnknownAsset: ("the asset is not registered", "资产未登记"),
    Usability.NotCertified: ("the asset is not certified", "资产尚未取得登记证书"),
    Usability.Disposed: ("the asset was disposed of", "资产已处置"),
    Usability.Deregistered: ("the asset was deregistered", "资产已注销登记"),
    Usability.CertificateRevoked: (
        "the asset's current certificate was revoked",
        "资产的现行证书已被撤销",
    ),
    Usability.CertificateExpired: (
        "the asset's current certificate has expired",
        "资产的现行证书已过期",
    ),
    Usability.Disputed: ("the asset's ownership is disputed", "资产权属存在争议"),
}


def usability_words(part: int, lang: str = "en") -> str:
    try:
        en, zh = USABILITY_WORDS[Usability(int(part))]
    except (ValueError, KeyError):
        return f"unknown part {int(part)}"
    return zh if lang == "zh" else en
