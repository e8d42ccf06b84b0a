// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "./ILedgerDirectory.sol";

/// @title The data asset registry: organisations, the life of a public data asset,
/// certificates, mutual recognition, paid-use approval, financing and disposal.
/// @notice Only hashes (salted commitments), codes, amounts and statuses are stored;
/// never raw or personal data. Cities are GB/T 2260 codes (370200 = Qingdao).
///
/// Identifiers are deterministic (the same on every chain, never an auto-increment):
/// - org id          = keccak256(abi.encode(kind, city, nameHash))
/// - batch id        = keccak256(abi.encode(holderOrgId, merkleRoot))
/// - asset id        = keccak256(abi.encode(holderOrgId, domainCode, catalogueHash))
///                     (the same whether registered alone or materialised from a batch)
/// - objection id    = keccak256(abi.encode(assetId, objectorOrgId, reasonHash))
/// - certificate id  = keccak256(abi.encode(registrarOrgId, assetId, nonce))
/// - application id  = keccak256(abi.encode(holderOrgId, assetId, scopeHash, nonce))
/// - financing id    = keccak256(abi.encode(assetId, counterpartyOrgId, kind, nonce))
/// - agreement id    = keccak256(abi.encode(lowerRegistrarOrgId, higherRegistrarOrgId))
/// where nonce is the asset's own counter (`Asset.nonce`, incremented per record made).
///
/// Batch leaves use OpenZeppelin StandardMerkleTree format over
/// `(bytes32 catalogueHash, bytes32 metadataHash, uint32 domainCode)`:
/// leaf = keccak256(bytes.concat(keccak256(abi.encode(catalogueHash, metadataHash, domainCode)))).
interface IAssetRegistry is ILedgerDirectory {
    // ------------------------------------------------------------------ types

    /// @notice Asset lifecycle. Registered -> (valued + compliance passed) InNotice ->
    /// Certified -> Disposed | Deregistered.
    enum AssetStatus {
        None,
        Registered,
        InNotice,
        Certified,
        Disposed,
        Deregistered
    }

    enum ComplianceResult {
        None,
        Passed,
        Failed
    }

    /// @notice The four registration kinds of the national rules.
    enum RegistrationKind {
        Initial,
        Change,
        Correction,
        Deregistration
    }

    enum CertificateStatus {
        Unknown,
        Active,
        Revoked,
        Expired,
        Superseded
    }

    enum ObjectionStatus {
        None,
        Open,
        Upheld,
        Dismissed
    }

    enum ApplicationStatus {
        None,
        Applied,
        Approved,
        Rejected
    }

    enum AgreementStatus {
        None,
        Proposed,
        Active,
        Withdrawn
    }

    enum FinancingKind {
        Pledge,
        CreditLine,
        EquityContribution
    }

    /// @notice Requested (pledge awaiting the bank), Active (pledge in force),
    /// Released (pledge released), Recorded (credit line / equity contribution).
    enum FinancingStatus {
        None,
        Requested,
        Active,
        Released,
        Recorded
    }

    struct Org {
        OrgKind kind;
        uint32 city;
        bool active;
        bytes32 nameHash;
    }

    /// @notice A signing account's validity window: it signs for `orgId` while
    /// validFrom <= t < validUntil (validUntil 0 = open-ended). Removal sets validUntil;
    /// the record stays so signatures made inside the window stay checkable.
    struct SigningAccount {
        bytes32 orgId;
        uint64 validFrom;
        uint64 validUntil;
    }

    /// @notice Per-registrar settings (0 = default: 10 days notice, 3 years term).
    struct RegistrarTerms {
        uint64 noticeWindow;
        uint64 certificateTerm;
    }

    struct Batch {
        bytes32 holderOrgId;
        bytes32 root;
        bytes32 manifestHash;
        uint32 city;
        uint32 count;
        uint32 materialised;
        uint64 registeredAt;
    }

    struct Asset {
        bytes32 holderOrgId;
        bytes32 catalogueHash;
        bytes32 metadataHash;
        bytes32 batchId;
        bytes32 valuationReportHash;
        bytes32 complianceReportHash;
        bytes32 currentCertificateId;
        bytes32 pledgeId;
        bytes32 operatorOrgId;
        bytes32 disposalReasonHash;
        uint128 valueFen;
        uint32 city;
        uint32 domainCode;
        uint32 valuationMethod;
        uint32 openObjections;
        uint64 registeredAt;
        uint64 noticeEndsAt;
        uint32 nonce;
        AssetStatus status;
        ComplianceResult compliance;
        bool disputed;
        bool paidUseApproved;
    }

    struct Objection {
        bytes32 assetId;
        bytes32 objectorOrgId;
        bytes32 reasonHash;
        bytes32 resolutionHash;
        uint64 lodgedAt;
        ObjectionStatus status;
    }

    struct Certificate {
        bytes32 assetId;
        bytes32 registrarOrgId;
        bytes32 holderOrgId;
        bytes32 metadataHash;
        bytes32 replacedBy;
        uint64 issuedAt;
        uint64 validUntil;
        uint64 revokedAt;
        uint32 revocationReason;
        RegistrationKind kind;
    }

    /// @notice The EIP-712 typed document a registrar signs (primary type `Certificate`).
    struct CertificateDocument {
        bytes32 certificateId;
        bytes32 assetId;
        bytes32 registrarOrgId;
        bytes32 holderOrgId;
        bytes32 metadataHash;
        uint8 kind;
        uint64 issuedAt;
    }

    /// @notice Everything a verifier needs in one call.
    struct Verification {
        CertificateStatus status;
        RegistrationKind kind;
        bytes32 assetId;
        bytes32 registrarOrgId;
        bytes32 holderOrgId;
        uint64 validUntil;
        uint32 revocationReason;
        bytes32 replacedBy;
        bool pledged;
        bool recognised;
    }

    struct Application {
        bytes32 assetId;
        bytes32 holderOrgId;
        bytes32 operatorOrgId;
        bytes32 scopeHash;
        bytes32 reasonHash;
        uint64 appliedAt;
        uint64 decidedAt;
        bool competentApproved;
        bool dataAdminApproved;
        ApplicationStatus status;
    }

    struct Agreement {
        bytes32 proposerOrgId;
        bytes32 partnerOrgId;
        uint64 updatedAt;
        AgreementStatus status;
    }

    struct Financing {
        bytes32 assetId;
        bytes32 holderOrgId;
        bytes32 counterpartyOrgId;
        bytes32 documentHash;
        uint128 amountFen;
        uint64 recordedAt;
        FinancingKind kind;
        FinancingStatus status;
    }

    // ------------------------------------------------------------------ events
    // Every state change emits one past-tense event with the whole record and the
    // acting organisation (bytes32(0) for the consortium admin).

    event OrgAdmitted(bytes32 indexed orgId, bytes32 indexed actorOrgId, Org org);
    event OrgActivationChanged(bytes32 indexed orgId, bytes32 indexed actorOrgId, Org org);
    event SigningAccountAdded(address indexed account, bytes32 indexed actorOrgId, SigningAccount record);
    event SigningAccountRemoved(address indexed account, bytes32 indexed actorOrgId, SigningAccount record);
    event RegistrarTermsSet(bytes32 indexed registrarOrgId, RegistrarTerms terms);
    event ResourceBatchRegistered(bytes32 indexed batchId, bytes32 indexed actorOrgId, Batch batch);
    event ResourceRegistered(bytes32 indexed assetId, bytes32 indexed actorOrgId, Asset asset);
    event AssetValued(bytes32 indexed assetId, bytes32 indexed actorOrgId, Asset asset);
    event ComplianceReviewed(bytes32 indexed assetId, bytes32 indexed actorOrgId, Asset asset);
    event NoticeOpened(bytes32 indexed assetId, bytes32 indexed actorOrgId, Asset asset);
    event ObjectionLodged(bytes32 indexed objectionId, bytes32 indexed actorOrgId, Objection objection);
    event ObjectionResolved(bytes32 indexed objectionId, bytes32 indexed actorOrgId, Objection objection);
    event DisputeRecorded(bytes32 indexed assetId, bytes32 indexed actorOrgId, bytes32 reasonHash, Asset asset);
    event DisputeResolved(bytes32 indexed assetId, bytes32 indexed actorOrgId, bytes32 resolutionHash, Asset asset);
    event CertificateIssued(bytes32 indexed certificateId, bytes32 indexed actorOrgId, Certificate certificate);
    event CertificateSuperseded(bytes32 indexed certificateId, bytes32 indexed actorOrgId, Certificate certificate);
    event CertificateRenewed(bytes32 indexed certificateId, bytes32 indexed actorOrgId, Certificate certificate);
    event CertificateRevoked(bytes32 indexed certificateId, bytes32 indexed actorOrgId, Certificate certificate);
    event AssetDeregistered(bytes32 indexed assetId, bytes32 indexed actorOrgId, Asset asset);
    event CertificateRecognised(bytes32 indexed certificateId, bytes32 indexed actorOrgId);
    event RecognitionWithdrawn(bytes32 indexed certificateId, bytes32 indexed actorOrgId);
    event AgreementProposed(bytes32 indexed agreementId, bytes32 indexed actorOrgId, Agreement agreement);
    event AgreementAccepted(bytes32 indexed agreementId, bytes32 indexed actorOrgId, Agreement agreement);
    event AgreementWithdrawn(bytes32 indexed agreementId, bytes32 indexed actorOrgId, Agreement agreement);
    event PaidUseApplied(bytes32 indexed applicationId, bytes32 indexed actorOrgId, Application application);
    event PaidUseReviewed(bytes32 indexed applicationId, bytes32 indexed actorOrgId, Application application);
    event PaidUseApproved(bytes32 indexed applicationId, bytes32 indexed actorOrgId, Application application);
    event PaidUseRejected(bytes32 indexed applicationId, bytes32 indexed actorOrgId, Application application);
    event PledgeRequested(bytes32 indexed financingId, bytes32 indexed actorOrgId, Financing financing);
    event PledgeConfirmed(bytes32 indexed financingId, bytes32 indexed actorOrgId, Financing financing);
    event PledgeReleased(bytes32 indexed financingId, bytes32 indexed actorOrgId, Financing financing);
    event CreditLineRecorded(bytes32 indexed financingId, bytes32 indexed actorOrgId, Financing financing);
    event EquityContributed(bytes32 indexed financingId, bytes32 indexed actorOrgId, Financing financing);
    event DisposalRequested(bytes32 indexed assetId, bytes32 indexed actorOrgId, Asset asset);
    event AssetDisposed(bytes32 indexed assetId, bytes32 indexed actorOrgId, Asset asset);

    // ------------------------------------------------------------------ errors

    error NotConsortiumAdmin(address account);
    /// @notice The caller is not a live signing account of an org of `required` kind.
    error NotOrgOfKind(address account, OrgKind required);
    /// @notice The caller's org kind may not perform this action.
    error KindNotAllowed(address account, OrgKind kind);
    error NotOrgManager(address account, bytes32 orgId);
    error OrgInactive(bytes32 orgId);
    error UnknownOrg(bytes32 orgId);
    error OrgExists(bytes32 orgId);
    error InvalidOrgKind(OrgKind kind);
    error RegistrarExists(uint32 city, bytes32 orgId);
    error AccountInUse(address account, bytes32 orgId);
    error AccountNotLive(address account);
    error WrongCity(uint32 expected, uint32 actual);
    error NotHolder(bytes32 assetId, bytes32 orgId);
    error UnknownAsset(bytes32 assetId);
    error AssetExists(bytes32 assetId);
    error UnknownBatch(bytes32 batchId);
    error BatchExists(bytes32 batchId);
    error InvalidProof(bytes32 batchId, bytes32 leaf);
    error BatchComplete(bytes32 batchId, uint32 count);
    error IllegalTransition(bytes32 assetId, AssetStatus current, AssetStatus required);
    error NoticeWindowClosed(bytes32 assetId, uint64 noticeEndsAt);
    error NoticeWindowOpen(bytes32 assetId, uint64 noticeEndsAt);
    error ObjectionsOpen(bytes32 assetId, uint32 count);
    error ObjectionExists(bytes32 objectionId);
    error ObjectionNotOpen(bytes32 objectionId, ObjectionStatus status);
    error OwnershipDisputed(bytes32 assetId);
    error NoDispute(bytes32 assetId);
    error CertificateNotActive(bytes32 certificateId, CertificateStatus status);
    error NotCurrentCertificate(bytes32 certificateId, bytes32 current);
    error InvalidRegistrationKind(RegistrationKind kind);
    error AlreadyRecognised(bytes32 certificateId, bytes32 orgId);
    error NotRecognised(bytes32 certificateId, bytes32 orgId);
    error SelfRecognition(bytes32 orgId);
    error IllegalAgreementTransition(bytes32 agreementId, AgreementStatus current, AgreementStatus required);
    error IllegalApplicationTransition(bytes32 applicationId, ApplicationStatus current, ApplicationStatus required);
    error AlreadyReviewed(bytes32 applicationId, OrgKind reviewer);
    error ReviewsIncomplete(bytes32 applicationId, bool competentApproved, bool dataAdminApproved);
    error IllegalFinancingTransition(bytes32 financingId, FinancingStatus current, FinancingStatus required);
    error AssetPledged(bytes32 assetId, bytes32 pledgeId);
    error NotCounterparty(bytes32 financingId, bytes32 orgId);
    error ZeroValue();

    // ------------------------------------------------------------------ organisations

    /// @notice Consortium admin admits the registrar of `city` (one per city).
    /// @return orgId keccak256(abi.encode(OrgKind.Registrar, city, nameHash))
    function admitRegistrar(uint32 city, bytes32 nameHash, address account) external returns (bytes32 orgId);

    /// @notice A city's registrar admits an org of its own city (any kind but None/Registrar).
    /// @return orgId keccak256(abi.encode(kind, registrar's city, nameHash))
    function admitOrg(OrgKind kind, bytes32 nameHash, address account) external returns (bytes32 orgId);

    /// @notice Deactivate or reactivate an org (admin for registrars, the city's registrar otherwise).
    function setOrgActive(bytes32 orgId, bool active) external;

    /// @notice Add a signing account valid from now until `validUntil` (0 = until removed).
    /// Callable by the org's manager (admin / city registrar) or the org itself.
    /// An account belongs to at most one org, ever.
    function addSigningAccount(bytes32 orgId, address account, uint64 validUntil) external;

    /// @notice End an account's validity window now (key rotation); earlier signatures stay valid.
    function removeSigningAccount(address account) external;

    /// @notice A registrar sets its notice window and certificate term (0 = default).
    function setRegistrarTerms(uint64 noticeWindow, uint64 certificateTerm) external;

    // ------------------------------------------------------------------ resources

    /// @notice A holder registers one resource (hashes and codes only).
    function registerResource(bytes32 catalogueHash, bytes32 metadataHash, uint32 domainCode)
        external
        returns (bytes32 assetId);

    /// @notice A holder commits `count` resources by Merkle root in one transaction.
    function registerResourceBatch(bytes32 root, uint32 count, bytes32 manifestHash)
        external
        returns (bytes32 batchId);

    /// @notice The batch's holder materialises one committed resource with its proof.
    function materialiseResource(
        bytes32 batchId,
        bytes32 catalogueHash,
        bytes32 metadataHash,
        uint32 domainCode,
        bytes32[] calldata proof
    ) external returns (bytes32 assetId);

    /// @notice True when the item is committed in the batch's root (anyone may check).
    function proveResource(
        bytes32 batchId,
        bytes32 catalogueHash,
        bytes32 metadataHash,
        uint32 domainCode,
        bytes32[] calldata proof
    ) external view returns (bool);

    // ------------------------------------------------------------------ evaluation and notice

    /// @notice The asset city's registrar records the valuation (fen, method code, report hash).
    function recordValuation(bytes32 assetId, uint128 valueFen, uint32 methodCode, bytes32 reportHash) external;

    /// @notice The asset city's registrar records the compliance review. Once valued and
    /// passed, the public notice window opens.
    function recordCompliance(bytes32 assetId, bool passed, bytes32 reportHash) external;

    /// @notice Any admitted, active org lodges an objection during the notice window.
    function lodgeObjection(bytes32 assetId, bytes32 reasonHash) external returns (bytes32 objectionId);

    /// @notice The registrar resolves an objection. Upheld: the asset returns to
    /// Registered and needs a new compliance review (and a new notice).
    function resolveObjection(bytes32 objectionId, bool upheld, bytes32 resolutionHash) external;

    /// @notice The registrar records an ownership dispute (blocks issuance).
    function recordDispute(bytes32 assetId, bytes32 reasonHash) external;

    /// @notice The registrar resolves the ownership dispute.
    function resolveDispute(bytes32 assetId, bytes32 resolutionHash) external;

    // ------------------------------------------------------------------ certificates

    /// @notice Initial registration certificate, after the notice window closed with no
    /// open objection and no dispute.
    function issueCertificate(bytes32 assetId) external returns (bytes32 certificateId);

    /// @notice Change, Correction (new metadata hash) or Deregistration: a new record
    /// supersedes the current certificate (`replacedBy`). Deregistration ends the asset.
    function amendCertificate(bytes32 certificateId, RegistrationKind kind, bytes32 metadataHash)
        external
        returns (bytes32 newCertificateId);

    /// @notice Extend by one term from max(validUntil, now); not for revoked/superseded.
    function renewCertificate(bytes32 certificateId) external;

    function revokeCertificate(bytes32 certificateId, uint32 reasonCode) external;

    function certificateStatus(bytes32 certificateId) external view returns (CertificateStatus);

    function verify(bytes32 certificateId, bytes32 byOrgId) external view returns (Verification memory);

    /// @notice EIP-712 digest of the on-chain certificate (what the registrar signs).
    function certificateDigest(bytes32 certificateId) external view returns (bytes32);

    /// @notice Checks a portable certificate: the document matches the chain record, the
    /// signature is a canonical (low-s) ECDSA signature over its EIP-712 digest, and the
    /// signer was a signing account of the issuing registrar at the issue time.
    function verifyCertificateSignature(CertificateDocument calldata doc, bytes calldata signature)
        external
        view
        returns (bool valid, address signer);

    // ------------------------------------------------------------------ mutual recognition

    /// @notice A partner registrar or an exchange recognises one active certificate.
    function recognise(bytes32 certificateId) external;

    function withdrawRecognition(bytes32 certificateId) external;

    function proposeAgreement(bytes32 partnerRegistrarOrgId) external returns (bytes32 agreementId);

    function acceptAgreement(bytes32 proposerRegistrarOrgId) external returns (bytes32 agreementId);

    /// @notice Either party withdraws an active or proposed agreement, at once.
    function withdrawAgreement(bytes32 partnerRegistrarOrgId) external returns (bytes32 agreementId);

    /// @notice True when the certificate is Active and `orgId` is its issuer, recognised it
    /// individually, or has an active agreement with its issuer.
    function isRecognised(bytes32 certificateId, bytes32 orgId) external view returns (bool);

    // ------------------------------------------------------------------ paid use

    /// @notice The holder applies for paid use of a certified asset by an operator of its city.
    function applyForPaidUse(bytes32 assetId, bytes32 scopeHash, bytes32 operatorOrgId)
        external
        returns (bytes32 applicationId);

    /// @notice Competent department or data administration of the asset's city reviews.
    function reviewPaidUse(bytes32 applicationId, bool approve, bytes32 reasonHash) external;

    /// @notice Finance department of the asset's city decides last, after both reviews.
    function decidePaidUse(bytes32 applicationId, bool approve, bytes32 reasonHash) external;

    // ------------------------------------------------------------------ financing and disposal

    function requestPledge(bytes32 assetId, bytes32 bankOrgId, uint128 amountFen, bytes32 contractHash)
        external
        returns (bytes32 financingId);

    function confirmPledge(bytes32 financingId) external;

    function releasePledge(bytes32 financingId) external;

    /// @notice A bank of the asset's city records a credit line granted on the asset.
    function recordCreditLine(bytes32 assetId, uint128 amountFen, bytes32 agreementHash)
        external
        returns (bytes32 financingId);

    /// @notice The holder records contributing the asset as equity at a valuation.
    function recordEquityContribution(bytes32 assetId, uint128 valuationFen, bytes32 investeeHash)
        external
        returns (bytes32 financingId);

    function requestDisposal(bytes32 assetId, bytes32 reasonHash) external;

    /// @notice Registrar confirms disposal: current certificate revoked, record kept.
    function confirmDisposal(bytes32 assetId) external;

    // ------------------------------------------------------------------ views

    function consortiumAdmin() external view returns (address);
    function org(bytes32 orgId) external view returns (Org memory);
    function registrarOf(uint32 city) external view returns (bytes32);
    function signingAccount(address account) external view returns (SigningAccount memory);
    /// @notice Raw terms; a zero field means the default (10 days, 3 years).
    function registrarTerms(bytes32 registrarOrgId) external view returns (RegistrarTerms memory);
    function batch(bytes32 batchId) external view returns (Batch memory);
    function asset(bytes32 assetId) external view returns (Asset memory);
    function objection(bytes32 objectionId) external view returns (Objection memory);
    function certificate(bytes32 certificateId) external view returns (Certificate memory);
    function application(bytes32 applicationId) external view returns (Application memory);
    function agreement(bytes32 agreementId) external view returns (Agreement memory);
    function financing(bytes32 financingId) external view returns (Financing memory);
}
