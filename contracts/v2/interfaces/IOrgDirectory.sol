// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "../../interfaces/ILedgerDirectory.sol";

/// @title The organisation directory of the ledger (v2): organisations, their signing keys,
/// registrar terms and the k-of-n governance of the city registrars.
/// @notice Organisation ids are unchanged from v1: keccak256(abi.encode(kind, city, nameHash)).
/// Every organisation also gets an `index` (1, 2, ... in admission order) that other ledger
/// contracts store instead of the 32-byte id to save a storage slot; `orgIdAt` maps it back.
///
/// Rules:
/// - One registrar per city, ever; it is admitted, suspended and reinstated only by k of n
///   active registrars (proposals and approvals below). The deploying account admits the first
///   registrars and hands over in two steps (`beginHandover`, `acceptHandover`); afterwards it
///   has no power at all.
/// - A registrar admits the organisations of its own city with one initial key. After
///   admission a key is added to an organisation only by that organisation: one of its live keys
///   proposes the account and the account accepts. A registrar never adds, removes or marks keys
///   of another organisation.
/// - An account belongs to at most one organisation, ever; a removed key keeps its record so
///   signatures made inside its window stay checkable.
/// - A key marked compromised as of time T cannot act from T on, and signatures by it count for
///   no certificate issued at or after T. An organisation marks one of its own keys compromised
///   as of now; the key itself (its holder knows when it leaked), or k of n registrars, may date
///   it back to any time inside its window.
/// - Notice window and certificate term of each registrar lie between bounds that k of n
///   registrars set inside hard limits fixed at deployment (notice: a deploy-time floor, at most
///   5 days, up to 60 days; term: 1 to 5 years). A change of bounds clamps every registrar's
///   terms into the new bounds (RegistrarTermsSet for each), so no asset is stranded.
interface IOrgDirectory {
    // ------------------------------------------------------------------ types

    /// @notice A signing account: it signs for `orgId` while validFrom <= t < validUntil
    /// (0 = open-ended) and t < compromisedAt (0 = never compromised).
    struct SigningKey {
        bytes32 orgId;
        uint64 validFrom;
        uint64 validUntil;
        uint64 compromisedAt;
    }

    /// @notice An organisation. `index` is its admission order (1-based) in this directory.
    struct Org {
        ILedgerDirectory.OrgKind kind;
        uint32 city;
        bool active;
        uint32 index;
        uint8 keyCount;
    }

    /// @notice The caller of a ledger contract as the other contracts see it. All zero when the
    /// account is not a live key of an active organisation.
    struct Actor {
        bytes32 orgId;
        ILedgerDirectory.OrgKind kind;
        uint32 city;
        uint32 index;
    }

    enum AgreementStatus {
        None,
        Proposed,
        Active,
        Withdrawn
    }

    /// @notice A mutual-recognition agreement between two registrars.
    struct Agreement {
        bytes32 proposerOrgId;
        bytes32 partnerOrgId;
        uint64 updatedAt;
        AgreementStatus status;
    }

    /// @notice Term bounds in seconds (inclusive).
    struct TermBounds {
        uint64 noticeMin;
        uint64 noticeMax;
        uint64 termMin;
        uint64 termMax;
    }

    /// @notice Acts that need k of n active registrars.
    /// AdmitRegistrar: abi.encode(uint32 city, bytes32 nameHash, address account)
    /// SetRegistrarActive: abi.encode(bytes32 registrarOrgId, bool active)
    /// SetTermBounds: abi.encode(TermBounds)
    /// SetThreshold: abi.encode(uint32 threshold)
    /// MarkKeyCompromised: abi.encode(address account, uint64 since)
    /// Sweep: abi.encode(address target, address token, address to)
    enum ProposalKind {
        AdmitRegistrar,
        SetRegistrarActive,
        SetTermBounds,
        SetThreshold,
        MarkKeyCompromised,
        Sweep
    }

    enum ProposalStatus {
        None,
        Open,
        Executed,
        Cancelled
    }

    struct Proposal {
        ProposalKind kind;
        ProposalStatus status;
        uint32 approvals;
        uint64 createdAt;
        uint64 expiresAt;
        bytes32 proposerOrgId;
        bytes params;
    }

    // ------------------------------------------------------------------ events
    // Every event carries the whole record after the change and is emitted after all writes.

    event OrgAdmitted(bytes32 indexed orgId, bytes32 indexed actorOrgId, Org org, bytes32 nameHash);
    event OrgActivationChanged(bytes32 indexed orgId, bytes32 indexed actorOrgId, Org org);
    event SigningKeyProposed(address indexed account, bytes32 indexed orgId, uint64 validUntil);
    event SigningKeyAdded(address indexed account, bytes32 indexed actorOrgId, SigningKey key);
    event SigningKeyRemoved(address indexed account, bytes32 indexed actorOrgId, SigningKey key);
    event SigningKeyCompromised(address indexed account, bytes32 indexed actorOrgId, SigningKey key);
    event RegistrarTermsSet(bytes32 indexed registrarOrgId, uint64 noticeWindow, uint64 certificateTerm);
    event TermBoundsSet(TermBounds bounds);
    event ThresholdSet(uint32 threshold, uint32 activeRegistrars);
    event HandoverBegun(address indexed bootstrapper, uint32 threshold);
    event HandoverAccepted(bytes32 indexed registrarOrgId, uint32 threshold, uint32 activeRegistrars);
    event AgreementChanged(bytes32 indexed agreementId, bytes32 indexed actorOrgId, Agreement agreement);
    event ProposalCreated(bytes32 indexed proposalId, bytes32 indexed actorOrgId, Proposal proposal);
    event ProposalApproved(bytes32 indexed proposalId, bytes32 indexed actorOrgId, Proposal proposal);
    event ProposalExecuted(bytes32 indexed proposalId, bytes32 indexed actorOrgId, Proposal proposal);
    event ProposalCancelled(bytes32 indexed proposalId, bytes32 indexed actorOrgId, Proposal proposal);

    // ------------------------------------------------------------------ errors

    /// @notice Only the deploying account, and only before the handover.
    error NotBootstrapper(address account);
    /// @notice The handover was already accepted (or not begun).
    error HandoverState(bool begun, bool done);
    /// @notice Governance acts need the handover first.
    error GovernanceNotLive();
    /// @notice The caller is not a live key of an active organisation of `required` kind.
    error NotOrgOfKind(address account, ILedgerDirectory.OrgKind required);
    /// @notice The caller is not a live key of organisation `orgId`.
    error NotOrgKey(address account, bytes32 orgId);
    error UnknownOrg(bytes32 orgId);
    error OrgExists(bytes32 orgId);
    error InvalidOrgKind(ILedgerDirectory.OrgKind kind);
    error RegistrarExists(uint32 city, bytes32 orgId);
    /// @notice The account belongs (or belonged) to an organisation.
    error AccountInUse(address account, bytes32 orgId);
    /// @notice No proposal for the account from that organisation.
    error NoPendingKey(address account);
    error KeyNotLive(address account);
    error TooManyKeys(bytes32 orgId, uint8 max);
    /// @notice A compromise time outside the key's window or in the future, or dated back by
    /// an account that may only mark as of now.
    error InvalidCompromiseTime(address account, uint64 since, uint64 validFrom, uint64 latest);
    error ZeroValue();
    /// @notice Requested terms outside the current bounds.
    error TermsOutOfBounds(uint64 noticeWindow, uint64 certificateTerm, TermBounds bounds);
    /// @notice Bounds outside the hard limits, or min above max.
    error InvalidTermBounds(TermBounds bounds);
    /// @notice The threshold must be at least 2 and at most the active registrars.
    error InvalidThreshold(uint32 threshold, uint32 activeRegistrars);
    error UnknownRegistrar(bytes32 orgId);
    error SelfAgreement(bytes32 orgId);
    error IllegalAgreementTransition(bytes32 agreementId, AgreementStatus current, AgreementStatus required);
    error UnknownProposal(bytes32 proposalId);
    error ProposalNotOpen(bytes32 proposalId, ProposalStatus status);
    error ProposalExpired(bytes32 proposalId, uint64 expiresAt);
    error AlreadyApproved(bytes32 proposalId, bytes32 registrarOrgId);
    error InvalidProposal(ProposalKind kind);

    // ------------------------------------------------------------------ bootstrap

    /// @notice The deploying account admits a registrar before the handover.
    function bootstrapRegistrar(uint32 city, bytes32 nameHash, address account) external returns (bytes32 orgId);

    /// @notice Step 1 of the handover: the deploying account names the threshold k (>= 2,
    /// <= active registrars).
    function beginHandover(uint32 threshold) external;

    /// @notice Step 2: an active registrar accepts; the deploying account loses every power.
    function acceptHandover() external;

    // ------------------------------------------------------------------ organisations and keys

    /// @notice A city's registrar admits an organisation of its city (any kind but None and
    /// Registrar) with its first key.
    /// @return orgId keccak256(abi.encode(kind, registrar's city, nameHash))
    function admitOrg(ILedgerDirectory.OrgKind kind, bytes32 nameHash, address account) external returns (bytes32 orgId);

    /// @notice The city's registrar suspends (false) or reinstates (true) an organisation of its
    /// city that is not a registrar. Registrars are suspended by governance.
    function setOrgActive(bytes32 orgId, bool active) external;

    /// @notice Step 1 of adding a key: a live key of the caller's organisation proposes `account`
    /// (a later proposal for the same account replaces it).
    function proposeSigningKey(address account, uint64 validUntil) external;

    /// @notice Step 2: the proposed account accepts the organisation it names (so a replaced
    /// proposal can never make it join another organisation); it signs for it from now.
    function acceptSigningKey(bytes32 orgId) external;

    /// @notice A live key of the same organisation ends `account`'s window now.
    function removeSigningKey(address account) external;

    /// @notice Mark `account` compromised as of `since`. A live key of the same organisation may
    /// mark as of now; the account itself may date back to its validFrom.
    function markKeyCompromised(address account, uint64 since) external;

    /// @notice A registrar sets its own notice window and certificate term (0 = default: 10 days,
    /// 3 years), each within the current bounds.
    function setRegistrarTerms(uint64 noticeWindow, uint64 certificateTerm) external;

    // ------------------------------------------------------------------ mutual recognition agreements
    // agreement id = keccak256(abi.encode(lowerRegistrarOrgId, higherRegistrarOrgId)), as in v1.

    /// @notice A registrar proposes to recognise all certificates of another registrar and
    /// have its own recognised.
    function proposeAgreement(bytes32 partnerRegistrarOrgId) external returns (bytes32 agreementId);

    /// @notice The partner accepts; the agreement is Active.
    function acceptAgreement(bytes32 proposerRegistrarOrgId) external returns (bytes32 agreementId);

    /// @notice Either party withdraws a proposed or active agreement, at once.
    function withdrawAgreement(bytes32 partnerRegistrarOrgId) external returns (bytes32 agreementId);

    // ------------------------------------------------------------------ governance

    /// @notice An active registrar proposes an act; its approval counts as the first.
    /// @return proposalId keccak256(abi.encode(kind, keccak256(params), proposerOrgId, proposer's nonce))
    function propose(ProposalKind kind, bytes calldata params) external returns (bytes32 proposalId);

    /// @notice Another active registrar approves; the act runs with the k-th approval.
    function approve(bytes32 proposalId) external;

    /// @notice The proposer withdraws an open proposal.
    function cancelProposal(bytes32 proposalId) external;

    // ------------------------------------------------------------------ views

    /// @notice The caller as other contracts see it (zeros when not a live key of an active org).
    function actorOf(address account) external view returns (Actor memory);

    /// @notice The caller's organisation index, kind and city from one storage slot (zeros when
    /// not a live key of an active org).
    function actorInfo(address account) external view returns (uint32 index, ILedgerDirectory.OrgKind kind, uint32 city);

    /// @notice actorOf and, for a registrar, its effective terms, in one call.
    function actorWithTerms(address account)
        external
        view
        returns (Actor memory actor, uint64 noticeWindow, uint64 certificateTerm);

    /// @notice v1-compatible: the organisation an account currently signs for.
    function accountOrg(address account)
        external
        view
        returns (bytes32 orgId, ILedgerDirectory.OrgKind kind, uint32 city, bool active);

    /// @notice Effective notice window and certificate term of a registrar (defaults and the
    /// current bounds applied; a change of bounds re-clamps every registrar's terms).
    function termsOf(bytes32 registrarOrgId) external view returns (uint64 noticeWindow, uint64 certificateTerm);

    function org(bytes32 orgId) external view returns (Org memory);
    function orgIdAt(uint32 index) external view returns (bytes32);
    function registrarOf(uint32 city) external view returns (bytes32);
    function signingKey(address account) external view returns (SigningKey memory);
    function pendingKey(address account) external view returns (bytes32 orgId, uint64 validUntil);
    function orgKeys(bytes32 orgId) external view returns (address[] memory);
    function termBounds() external view returns (TermBounds memory);
    /// @notice The deploy-time limits: (noticeFloor, noticeCeiling, termFloor, termCeiling).
    function hardLimits() external view returns (TermBounds memory);
    function threshold() external view returns (uint32);
    function activeRegistrars() external view returns (uint32);
    function bootstrapper() external view returns (address);
    function proposal(bytes32 proposalId) external view returns (Proposal memory);
    function agreement(bytes32 agreementId) external view returns (Agreement memory);
    function agreementActive(bytes32 registrarA, bytes32 registrarB) external view returns (bool);
    function hasApproved(bytes32 proposalId, bytes32 registrarOrgId) external view returns (bool);
}
