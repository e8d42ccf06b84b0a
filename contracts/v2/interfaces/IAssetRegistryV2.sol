// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title The asset registry (v2): resources, batches, valuation, compliance, public notice,
/// objections, ownership disputes, certificates and mutual recognition.
/// @notice Organisations, keys and recognition agreements live in the OrgDirectory; paid use,
/// financing and disposal requests in UseAndFinance. Identifiers are the v1 ones
/// (deterministic, the same on every chain):
/// - batch id        = keccak256(abi.encode(holderOrgId, merkleRoot))
/// - asset id        = keccak256(abi.encode(holderOrgId, domainCode, catalogueHash))
/// - objection id    = keccak256(abi.encode(assetId, objectorOrgId, reasonHash))
/// - certificate id  = keccak256(abi.encode(registrarOrgId, assetId, nonce))
/// where nonce is the asset's own counter in this contract (UseAndFinance keeps its own).
/// A certificate's registrar is the registrar of its asset's city (one per city, ever).
///
/// Rules:
/// - Lifecycle: Registered -> (valued + compliance passed) InNotice -> Certified ->
///   Disposed | Deregistered; both ends are terminal. An upheld objection, or a revocation
///   for a reason other than registration error (2) or key compromise (6), sends the asset
///   back to Registered (new compliance review and notice). After a revocation for reason 2
///   or 6 the registrar re-issues directly: a new certificate id supersedes the revoked one.
/// - "Usable" (`usability`): certified, current certificate neither revoked nor expired nor a
///   deregistration, not disputed, not disposed. Paid-use approval, pledge confirmation,
///   credit lines, equity and every payment require it (error AssetNotUsable names the part).
/// - Objections by organisations of another city are limited per objector
///   (FOREIGN_OBJECTIONS_PER_PERIOD per FOREIGN_OBJECTION_PERIOD); the registrar dismisses
///   or upholds each.
/// - Every event is emitted after all writes and carries the whole record after the change.
/// - `verify` and `verifyCertificateSignature` live in the CertificateVerifier (a stateless
///   view contract over this registry, the OrgDirectory and UseAndFinance).
/// - Certificates: EIP-712 domain ("DataAssetLedger", "1", chainId, this contract), type
///   Certificate(bytes32 certificateId,bytes32 assetId,bytes32 registrarOrgId,
///   bytes32 holderOrgId,bytes32 metadataHash,uint8 kind,uint64 issuedAt) as in v1.
interface IAssetRegistryV2 {
    // ------------------------------------------------------------------ types

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

    /// @notice Which part of "usable" fails first (Usable when none does).
    enum Usability {
        Usable,
        UnknownAsset,
        NotCertified,
        Disposed,
        Deregistered,
        CertificateRevoked,
        CertificateExpired,
        Disputed
    }

    /// @notice What the signature check found (`verifyCertificateSignature`).
    enum SignatureCheck {
        Valid,
        UnknownCertificate,
        DocumentMismatch,
        BadSignature,
        NotIssuerKey,
        KeyNotLiveAtIssue,
        KeyCompromised
    }

    /// @notice What changed in an AssetChanged event.
    enum AssetAction {
        NoticeOpened,
        ReturnedToRegistered,
        DisputeRecorded,
        DisputeResolved,
        Certified,
        CertificateSuspended,
        Deregistered,
        Disposed
    }

    /// @notice What changed in a CertificateChanged event.
    enum CertificateAction {
        Superseded,
        Renewed,
        Revoked
    }

    /// @notice The immutable facts of a resource (emitted once, at registration).
    struct Resource {
        bytes32 holderOrgId;
        bytes32 catalogueHash;
        bytes32 metadataHash;
        bytes32 batchId;
        uint32 domainCode;
        uint32 city;
    }

    /// @notice The changing state of an asset (every asset event carries all of it).
    struct AssetState {
        AssetStatus status;
        ComplianceResult compliance;
        bool valued;
        bool disputed;
        bool certificateRevoked;
        uint16 openObjections;
        uint32 nonce;
        uint64 noticeEndsAt;
        uint64 certificateValidUntil;
        bytes32 currentCertificateId;
        bytes32 metadataHash;
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

    struct Valuation {
        uint128 valueFen;
        uint32 methodCode;
        bytes32 reportHash;
    }

    struct Objection {
        bytes32 assetId;
        bytes32 objectorOrgId;
        bytes32 reasonHash;
        bytes32 resolutionHash;
        uint64 lodgedAt;
        ObjectionStatus status;
        bool foreign;
    }

    /// @notice A certificate with everything a document and a verifier need.
    struct Certificate {
        bytes32 assetId;
        bytes32 registrarOrgId;
        bytes32 holderOrgId;
        bytes32 metadataHash;
        bytes32 replacedBy;
        bytes32 supersedes;
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
        bool disputed;
        bool registrarActive;
        AssetStatus assetStatus;
        Usability usability;
    }

    // ------------------------------------------------------------------ events

    /// @notice The deployment bound the UseAndFinance contract whose pledges the registry reads.
    event UseAndFinanceBound(address indexed useAndFinance);
    event ResourceRegistered(bytes32 indexed assetId, bytes32 indexed actorOrgId, Resource resource, AssetState state);
    event ResourceBatchRegistered(bytes32 indexed batchId, bytes32 indexed actorOrgId, Batch batch);
    event AssetValued(bytes32 indexed assetId, bytes32 indexed actorOrgId, Valuation valuation, AssetState state);
    event ComplianceReviewed(bytes32 indexed assetId, bytes32 indexed actorOrgId, bytes32 reportHash, AssetState state);
    /// @notice A lifecycle change; `refHash` is the reason or resolution document when there is one.
    event AssetChanged(
        bytes32 indexed assetId, bytes32 indexed actorOrgId, AssetAction indexed action, bytes32 refHash, AssetState state
    );
    event ObjectionLodged(bytes32 indexed objectionId, bytes32 indexed actorOrgId, Objection objection, AssetState state);
    event ObjectionResolved(bytes32 indexed objectionId, bytes32 indexed actorOrgId, Objection objection, AssetState state);
    event CertificateIssued(bytes32 indexed certificateId, bytes32 indexed actorOrgId, Certificate certificate, AssetState state);
    event CertificateChanged(
        bytes32 indexed certificateId, bytes32 indexed actorOrgId, CertificateAction indexed action, Certificate certificate
    );
    /// @notice Recognition by the organisation with directory index `actorOrgIndex` (the org id
    /// is in its OrgAdmitted event; the index keeps recognise at one storage slot).
    event CertificateRecognised(bytes32 indexed certificateId, uint32 indexed actorOrgIndex);
    event RecognitionWithdrawn(bytes32 indexed certificateId, uint32 indexed actorOrgIndex);

    // ------------------------------------------------------------------ errors

    /// @notice The asset is not usable; `part` names the first part of the rule that fails.
    error AssetNotUsable(bytes32 assetId, Usability part);
    error NotOrgOfKind(address account, uint8 requiredKind);
    error KindNotAllowed(address account, uint8 kind);
    error NotHolder(bytes32 assetId, bytes32 orgId);
    error WrongCity(uint32 expected, uint32 actual);
    error UnknownAsset(bytes32 assetId);
    error AssetExists(bytes32 assetId);
    error UnknownBatch(bytes32 batchId);
    error BatchExists(bytes32 batchId);
    error InvalidProof(bytes32 batchId, bytes32 leaf);
    error BatchComplete(bytes32 batchId, uint32 count);
    error IllegalTransition(bytes32 assetId, AssetStatus current, AssetStatus required);
    error NoticeWindowClosed(bytes32 assetId, uint64 noticeEndsAt);
    error NoticeWindowOpen(bytes32 assetId, uint64 noticeEndsAt);
    error ObjectionsOpen(bytes32 assetId, uint16 count);
    error ObjectionExists(bytes32 objectionId);
    error ObjectionNotOpen(bytes32 objectionId, ObjectionStatus status);
    error TooManyOpenObjections(bytes32 assetId, uint16 max);
    /// @notice An organisation of another city objected too often in the current period.
    error ObjectionRateLimited(bytes32 objectorOrgId, uint64 periodEndsAt);
    error OwnershipDisputed(bytes32 assetId);
    error NoDispute(bytes32 assetId);
    error CertificateNotActive(bytes32 certificateId, CertificateStatus status);
    error NotCurrentCertificate(bytes32 certificateId, bytes32 current);
    error InvalidRegistrationKind(RegistrationKind kind);
    /// @notice Re-issue is only for a current certificate revoked for reason 2 or 6.
    error NotReissuable(bytes32 certificateId, uint32 revocationReason);
    error InvalidRevocationReason(uint32 reasonCode);
    error AlreadyRecognised(bytes32 certificateId, uint32 orgIndex);
    error NotRecognised(bytes32 certificateId, uint32 orgIndex);
    error SelfRecognition(uint32 orgIndex);
    error AssetPledged(bytes32 assetId, bytes32 pledgeId);
    error NotUseAndFinance(address account);
    error AlreadyBound(address useAndFinance);
    error ZeroValue();

    // ------------------------------------------------------------------ deployment

    /// @notice The deploying account binds UseAndFinance once, during deployment.
    function bindUseAndFinance(address useAndFinance) external;

    // ------------------------------------------------------------------ resources

    /// @notice A holder registers one resource (hashes and codes only).
    function registerResource(bytes32 catalogueHash, bytes32 metadataHash, uint32 domainCode)
        external
        returns (bytes32 assetId);

    /// @notice A holder commits `count` resources by Merkle root in one transaction.
    function registerResourceBatch(bytes32 root, uint32 count, bytes32 manifestHash) external returns (bytes32 batchId);

    /// @notice The batch's holder materialises one committed resource with its proof.
    function materialiseResource(
        bytes32 batchId,
        bytes32 catalogueHash,
        bytes32 metadataHash,
        uint32 domainCode,
        bytes32[] calldata proof
    ) external returns (bytes32 assetId);

    function proveResource(
        bytes32 batchId,
        bytes32 catalogueHash,
        bytes32 metadataHash,
        uint32 domainCode,
        bytes32[] calldata proof
    ) external view returns (bool);

    // ------------------------------------------------------------------ evaluation, notice, objections, disputes

    /// @notice The asset city's registrar records the valuation; with compliance passed the
    /// notice window (the registrar's term, within bounds) opens.
    function recordValuation(bytes32 assetId, uint128 valueFen, uint32 methodCode, bytes32 reportHash) external;

    function recordCompliance(bytes32 assetId, bool passed, bytes32 reportHash) external;

    /// @notice Any live key of an active organisation objects during the notice window
    /// (organisations of another city: rate-limited).
    function lodgeObjection(bytes32 assetId, bytes32 reasonHash) external returns (bytes32 objectionId);

    /// @notice The registrar upholds (asset back to Registered) or dismisses an objection.
    function resolveObjection(bytes32 objectionId, bool upheld, bytes32 resolutionHash) external;

    /// @notice The registrar records an ownership dispute: it blocks issuance and every use.
    function recordDispute(bytes32 assetId, bytes32 reasonHash) external;

    function resolveDispute(bytes32 assetId, bytes32 resolutionHash) external;

    // ------------------------------------------------------------------ certificates

    /// @notice Initial certificate after the notice window closed with no open objection and
    /// no dispute. Term: the registrar's, within bounds.
    function issueCertificate(bytes32 assetId) external returns (bytes32 certificateId);

    /// @notice Change or Correction (new metadata) or Deregistration (terminal, needs no
    /// pledge): a new certificate supersedes the current one.
    function amendCertificate(bytes32 certificateId, RegistrationKind kind, bytes32 metadataHash)
        external
        returns (bytes32 newCertificateId);

    /// @notice A new certificate (same kind and metadata, new id, new term) supersedes a
    /// current certificate revoked for registration error (2) or key compromise (6).
    function reissueCertificate(bytes32 revokedCertificateId) external returns (bytes32 newCertificateId);

    /// @notice Extend the current, active or expired, certificate by one term from
    /// max(validUntil, now).
    function renewCertificate(bytes32 certificateId) external;

    /// @notice Revoke the current certificate (reason codes as in v1; 1 is for disposal only).
    /// Reasons 2 and 6 keep the asset Certified awaiting re-issue; others return it to
    /// Registered.
    function revokeCertificate(bytes32 certificateId, uint32 reasonCode) external;

    function certificateStatus(bytes32 certificateId) external view returns (CertificateStatus);

    /// @notice EIP-712 digest of the on-chain certificate (what the registrar signs).
    function certificateDigest(bytes32 certificateId) external view returns (bytes32);

    /// @notice The EIP-712 domain separator (domain "DataAssetLedger", "1", chain id, this
    /// contract).
    function domainSeparator() external view returns (bytes32);

    // ------------------------------------------------------------------ recognition

    function recognise(bytes32 certificateId) external;

    function withdrawRecognition(bytes32 certificateId) external;

    /// @notice True when the certificate is Active and `orgId` is its issuer, recognised it, or
    /// has an active agreement with its issuer (agreements live in the OrgDirectory).
    function isRecognised(bytes32 certificateId, bytes32 orgId) external view returns (bool);

    // ------------------------------------------------------------------ disposal

    /// @notice UseAndFinance records a confirmed disposal (it checked the registrar of the
    /// asset's city and that no pledge is in force): the current certificate is revoked
    /// (reason 1) and the asset is Disposed (terminal).
    function markDisposed(bytes32 assetId, bytes32 registrarOrgId) external;

    // ------------------------------------------------------------------ narrow views for other contracts

    /// @notice Which part of "usable" fails first, and the asset's city.
    function usability(bytes32 assetId) external view returns (Usability part, uint32 city);

    /// @notice The holder and city of an asset (zero when unknown).
    function holderOf(bytes32 assetId) external view returns (bytes32 holderOrgId, uint32 city);

    // ------------------------------------------------------------------ views

    function directory() external view returns (address);
    function useAndFinance() external view returns (address);
    function assetState(bytes32 assetId) external view returns (AssetState memory);
    function batch(bytes32 batchId) external view returns (Batch memory);
    function objection(bytes32 objectionId) external view returns (Objection memory);
    function certificate(bytes32 certificateId) external view returns (Certificate memory);
}
