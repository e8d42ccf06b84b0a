// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAssetRegistryV2} from "./IAssetRegistryV2.sol";

/// @title Paid use, financing and disposal requests of certified assets (v2).
/// @notice Ids are the v1 formulas, with the asset's counter kept in this contract:
/// - application id = keccak256(abi.encode(holderOrgId, assetId, scopeHash, nonce))
/// - financing id   = keccak256(abi.encode(assetId, counterpartyOrgId, kind, nonce))
///
/// Rules:
/// - Approving paid use, confirming a pledge, recording a credit line or an equity contribution
///   need the asset usable (`IAssetRegistryV2.usability`), else AssetNotUsable names the part.
/// - The holder cancels its own pending applications and pledge requests; both expire
///   APPLICATION_TERM / PLEDGE_REQUEST_TERM after they were made.
/// - One pledge in force per asset; while it is, the asset is not pledged again, contributed
///   as equity, deregistered or disposed.
/// - Every event is emitted after all writes and carries the whole record.
interface IUseAndFinance {
    enum ApplicationStatus {
        None,
        Applied,
        Approved,
        Rejected,
        Cancelled,
        Expired
    }

    enum FinancingKind {
        Pledge,
        CreditLine,
        EquityContribution
    }

    /// @notice Requested (pledge awaiting the bank), Active (pledge in force), Released,
    /// Recorded (credit line / equity), Cancelled (request withdrawn), Expired (request lapsed).
    enum FinancingStatus {
        None,
        Requested,
        Active,
        Released,
        Recorded,
        Cancelled,
        Expired
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

    event ApplicationChanged(bytes32 indexed applicationId, bytes32 indexed actorOrgId, Application application);
    /// @notice The asset's approved operator changed (0 = none).
    event PaidUseOperatorSet(bytes32 indexed assetId, bytes32 indexed operatorOrgId, bytes32 indexed applicationId);
    event FinancingChanged(bytes32 indexed financingId, bytes32 indexed actorOrgId, Financing financing);
    /// @notice The holder asked to dispose of the asset (the registrar confirms in the registry's
    /// AssetChanged(Disposed) event).
    event DisposalRequested(bytes32 indexed assetId, bytes32 indexed actorOrgId, bytes32 reasonHash);

    error NotOrgOfKind(address account, uint8 requiredKind);
    error KindNotAllowed(address account, uint8 kind);
    error NotHolder(bytes32 assetId, bytes32 orgId);
    error UnknownAsset(bytes32 assetId);
    error UnknownOrg(bytes32 orgId);
    error OrgInactive(bytes32 orgId);
    error WrongCity(uint32 expected, uint32 actual);
    error IllegalApplicationTransition(bytes32 applicationId, ApplicationStatus current, ApplicationStatus required);
    error ApplicationExpired(bytes32 applicationId, uint64 expiredAt);
    error AlreadyReviewed(bytes32 applicationId, uint8 reviewerKind);
    error ReviewsIncomplete(bytes32 applicationId, bool competentApproved, bool dataAdminApproved);
    error IllegalFinancingTransition(bytes32 financingId, FinancingStatus current, FinancingStatus required);
    error PledgeRequestExpired(bytes32 financingId, uint64 expiredAt);
    error AssetPledged(bytes32 assetId, bytes32 pledgeId);
    error NotCounterparty(bytes32 financingId, bytes32 orgId);
    error NoDisposalRequest(bytes32 assetId);
    error ZeroValue();

    /// @notice The holder applies for paid use of a usable asset by an operator of its city.
    function applyForPaidUse(bytes32 assetId, bytes32 scopeHash, bytes32 operatorOrgId)
        external
        returns (bytes32 applicationId);

    /// @notice Competent department or data administration of the asset's city reviews.
    function reviewPaidUse(bytes32 applicationId, bool approve, bytes32 reasonHash) external;

    /// @notice Finance of the asset's city decides last, after both reviews; approval needs the
    /// asset usable and names the asset's operator.
    function decidePaidUse(bytes32 applicationId, bool approve, bytes32 reasonHash) external;

    /// @notice The holder withdraws its own pending application.
    function cancelApplication(bytes32 applicationId) external;

    function requestPledge(bytes32 assetId, bytes32 bankOrgId, uint128 amountFen, bytes32 contractHash)
        external
        returns (bytes32 financingId);

    /// @notice The holder withdraws its own pending pledge request.
    function cancelPledgeRequest(bytes32 financingId) external;

    /// @notice The bank confirms (asset usable, no pledge in force).
    function confirmPledge(bytes32 financingId) external;

    function releasePledge(bytes32 financingId) external;

    function recordCreditLine(bytes32 assetId, uint128 amountFen, bytes32 agreementHash)
        external
        returns (bytes32 financingId);

    function recordEquityContribution(bytes32 assetId, uint128 valuationFen, bytes32 investeeHash)
        external
        returns (bytes32 financingId);

    /// @notice The holder requests disposal of its asset (no pledge in force).
    function requestDisposal(bytes32 assetId, bytes32 reasonHash) external;

    /// @notice The registrar of the asset's city confirms: the registry revokes the current
    /// certificate (reason 1) and the asset is Disposed (terminal).
    function confirmDisposal(bytes32 assetId) external;

    /// @notice The pledge in force on an asset (0 = none).
    function pledgeOf(bytes32 assetId) external view returns (bytes32);

    /// @notice The operator of the asset's approved paid-use application (0 = none).
    function operatorOf(bytes32 assetId) external view returns (bytes32);

    function application(bytes32 applicationId) external view returns (Application memory);
    function financing(bytes32 financingId) external view returns (Financing memory);
    function disposalRequest(bytes32 assetId) external view returns (bytes32 reasonHash);
    function registry() external view returns (IAssetRegistryV2);
}
