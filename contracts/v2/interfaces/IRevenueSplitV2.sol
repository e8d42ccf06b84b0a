// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ISplitContext} from "./ISplitContext.sol";

/// @title Revenue of public data assets, split per payment between operator and treasury (v2).
/// @notice As v1 (SplitMath, versioned schedules applying forward, deterministic payment ids:
/// keccak256(abi.encode(PAY_TAG, assetId, payer, externalRef)) for token payments and
/// keccak256(abi.encode(OFFCHAIN_TAG, assetId, operatorOrgId, bankRef)) for off-chain ones),
/// with these rules:
/// - `pay` and `recordOffchainPayment` need the asset usable (AssetNotUsable names the part)
///   and a paid-use approval.
/// - Only the current schedule is stored; every version is in its ScheduleSet event. Bracket
///   bounds are at most MAX_BOUND (2^112 - 1 fen).
/// - A payment stores one slot (its status); its whole record is in its event.
/// - Treasury and payout accounts: the first one takes effect at once; every later change
///   only ACCOUNT_CHANGE_DELAY after it was proposed (`activate...` by anyone), never to zero,
///   this contract or the settlement token.
/// - Tokens only pass through (payer -> payout and treasury in one call each): the contract's
///   token balance is always 0; stray tokens are swept only by governance (k of n registrars).
interface IRevenueSplitV2 {
    /// @notice How a payment was settled and whether its treasury share was remitted.
    enum PaymentStatus {
        None,
        Settled,
        OffchainOutstanding,
        OffchainRemitted
    }

    /// @notice A pending account change.
    struct PendingAccount {
        address account;
        uint64 effectiveAt;
    }

    event ScheduleSet(
        bytes32 indexed assetId,
        uint32 indexed version,
        uint256[] lowerBounds,
        uint16[] operatorBps,
        bytes32 indexed financeOrgId,
        uint64 effectiveBlock
    );
    event TreasuryAccountProposed(uint32 indexed city, address indexed account, bytes32 indexed financeOrgId, uint64 effectiveAt);
    event TreasuryAccountSet(uint32 indexed city, address indexed account, address indexed previous);
    event PayoutAccountProposed(bytes32 indexed operatorOrgId, address indexed account, address indexed proposedBy, uint64 effectiveAt);
    event PayoutAccountSet(bytes32 indexed operatorOrgId, address indexed account, address indexed previous);
    event PaymentSettled(
        bytes32 indexed paymentId,
        bytes32 indexed assetId,
        bytes32 indexed payerOrgId,
        address payer,
        bytes32 operatorOrgId,
        uint32 city,
        uint256 amount,
        uint256 operatorShare,
        uint256 treasuryShare,
        uint32 scheduleVersion,
        bytes32 externalRef
    );
    event OffchainPaymentRecorded(
        bytes32 indexed paymentId,
        bytes32 indexed assetId,
        bytes32 indexed operatorOrgId,
        address recordedBy,
        uint32 city,
        uint256 amount,
        uint256 operatorShare,
        uint256 treasuryShare,
        uint32 scheduleVersion,
        bytes32 bankRef
    );
    event RemittanceConfirmed(
        bytes32 indexed paymentId,
        bytes32 indexed assetId,
        bytes32 indexed operatorOrgId,
        uint256 treasuryShare,
        bytes32 remittanceRef,
        bytes32 financeOrgId
    );
    event Swept(address indexed token, address indexed to, uint256 amount);

    error UnknownAsset(bytes32 assetId);
    error PaidUseNotApproved(bytes32 assetId);
    error NoSchedule(bytes32 assetId);
    error BoundTooLarge(uint256 index, uint256 bound, uint256 max);
    error NotFinanceDepartment(address account, uint32 city);
    error NotOperator(address account);
    error NotAuthorisedOperator(address account, bytes32 operatorOrgId);
    error NotPayer(address account, bytes32 orgId, uint8 kind);
    error ZeroAmount();
    error AmountTooLarge(uint256 amount, uint256 max);
    /// @notice A treasury or payout account of zero, this contract or the settlement token.
    error InvalidAccount(address account);
    error NoPendingAccount();
    error AccountChangeNotDue(uint64 effectiveAt);
    error EmptyReference();
    error DuplicatePayment(bytes32 paymentId, bytes32 externalRef);
    error UnknownPayment(bytes32 paymentId);
    error NotOffchainPayment(bytes32 paymentId);
    error AlreadyRemitted(bytes32 paymentId);
    error NoTreasuryAccount(uint32 city);
    error NoPayoutAccount(bytes32 operatorOrgId);
    error NotGovernance(address account);

    /// @notice Finance of the asset's city sets a new schedule version (applies forward); not
    /// for a disposed or deregistered asset.
    function setSchedule(bytes32 assetId, uint256[] calldata lowerBounds, uint16[] calldata operatorBps)
        external
        returns (uint32 version);

    /// @notice Finance of `city` names its treasury account (at once the first time, later
    /// after the delay).
    function proposeTreasuryAccount(uint32 city, address account) external;

    function activateTreasuryAccount(uint32 city) external;

    /// @notice An operator names its payout account (at once the first time, later after the
    /// delay).
    function proposePayoutAccount(address account) external;

    function activatePayoutAccount(bytes32 operatorOrgId) external;

    /// @notice Pay `amount` for the use of a usable asset, split and settled in this call.
    function pay(bytes32 assetId, uint256 amount, bytes32 externalRef) external returns (bytes32 paymentId);

    /// @notice The asset's operator records a payment received off chain (asset usable).
    function recordOffchainPayment(bytes32 assetId, uint256 amount, bytes32 bankRef)
        external
        returns (bytes32 paymentId);

    /// @notice Finance confirms that an off-chain payment's treasury share was remitted.
    function confirmRemittance(bytes32 paymentId, bytes32 remittanceRef) external;

    /// @notice Governance moves tokens sent here by mistake to `to`.
    function sweep(address token, address to) external;

    function quote(uint256[] calldata lowerBounds, uint16[] calldata operatorBps, uint256 amount)
        external
        pure
        returns (uint256 operatorShare, uint256 treasuryShare);

    function preview(bytes32 assetId, uint256 amount)
        external
        view
        returns (uint256 operatorShare, uint256 treasuryShare, uint32 version);

    function context() external view returns (ISplitContext);
    function settlementToken() external view returns (address);
    function accountChangeDelay() external view returns (uint64);
    function currentSchedule(bytes32 assetId)
        external
        view
        returns (uint32 version, uint256[] memory lowerBounds, uint16[] memory operatorBps);
    function treasuryAccount(uint32 city) external view returns (address);
    function pendingTreasuryAccount(uint32 city) external view returns (PendingAccount memory);
    function payoutAccount(bytes32 operatorOrgId) external view returns (address);
    function pendingPayoutAccount(bytes32 operatorOrgId) external view returns (PendingAccount memory);
    function paymentStatus(bytes32 paymentId) external view returns (PaymentStatus);
    function outstandingRemittance(bytes32 assetId) external view returns (uint256);
}
