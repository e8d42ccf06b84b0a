// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "./ILedgerDirectory.sol";

/// @title Revenue of public data assets, split per payment between operator and treasury.
/// @notice The finance department of an asset's city sets a progressive schedule for the
/// asset (versioned: a new version applies to later payments only, every version stays
/// readable). Each payment is split on its own by `SplitMath`: the operator's share goes to
/// the payout account of the asset's authorised operator, the rest to the treasury account
/// of the asset's city. Payments settle in the deployment's ERC-20 token in the same
/// transaction (`pay`), or are recorded by the operator after an off-chain bank payment
/// (`recordOffchainPayment`) and later confirmed as remitted by the finance department.
/// @dev Payers: any account of an active Merchant or Operator organisation of any city
/// (an operator may settle on a merchant's behalf after collecting the price). Payment ids
/// are deterministic: `keccak256(abi.encode(PAY_TAG, assetId, payer, externalRef))` for
/// token payments and `keccak256(abi.encode(OFFCHAIN_TAG, assetId, operatorOrgId, bankRef))`
/// for off-chain payments, so a reference can be used once per payer (idempotent retries).
interface IRevenueSplit {
    /// @notice One version of an asset's schedule.
    /// @param version 1 for the first schedule of the asset, then 2, 3, ...
    /// @param effectiveBlock the block in which it was set; payments from then on use it
    /// @param financeOrgId the finance department that set it
    /// @param lowerBounds bracket lower bounds in the token's smallest unit (fen)
    /// @param operatorBps operator share per bracket in basis points
    struct Schedule {
        uint32 version;
        uint64 effectiveBlock;
        bytes32 financeOrgId;
        uint256[] lowerBounds;
        uint16[] operatorBps;
    }

    /// @notice How a payment was settled.
    enum Settlement {
        None,
        OnChain,
        OffChain
    }

    /// @notice One recorded payment (treasuryShare = amount - operatorShare).
    /// @param payer the paying account (token payments) or the recording operator account
    /// @param payerOrgId the payer's organisation (the operator for off-chain payments)
    /// @param operatorOrgId the asset's authorised operator at payment time
    /// @param remitted true once the treasury share reached the treasury (always true for
    ///        token payments; set by `confirmRemittance` for off-chain payments)
    /// @param externalRef the payer's reference (token) or the bank reference (off-chain)
    /// @param remittanceRef the finance department's reference of the remittance
    struct Payment {
        bytes32 assetId;
        address payer;
        uint32 scheduleVersion;
        uint48 blockNumber;
        Settlement settlement;
        bool remitted;
        uint128 amount;
        uint128 operatorShare;
        bytes32 payerOrgId;
        bytes32 operatorOrgId;
        bytes32 externalRef;
        bytes32 remittanceRef;
    }

    /// @notice Sums over every payment of one asset (token and off-chain).
    struct AssetTotals {
        uint256 totalPaid;
        uint256 operatorTotal;
        uint256 treasuryTotal;
    }

    event ScheduleSet(
        bytes32 indexed assetId,
        uint32 indexed version,
        uint256[] lowerBounds,
        uint16[] operatorBps,
        bytes32 indexed financeOrgId,
        uint64 effectiveBlock
    );
    event TreasuryAccountSet(
        uint32 indexed city, address indexed account, bytes32 indexed financeOrgId
    );
    event PayoutAccountSet(
        bytes32 indexed operatorOrgId, address indexed account, address indexed setBy
    );
    event PaymentSettled(
        bytes32 indexed paymentId,
        bytes32 indexed assetId,
        bytes32 indexed payerOrgId,
        address payer,
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

    /// @notice The directory does not know the asset.
    error UnknownAsset(bytes32 assetId);
    /// @notice The asset was disposed of: no schedules, no payments.
    error AssetDisposed(bytes32 assetId);
    /// @notice The asset's paid-use application was not approved by finance.
    error PaidUseNotApproved(bytes32 assetId);
    /// @notice The asset has no schedule yet.
    error NoSchedule(bytes32 assetId);
    /// @notice There is no such schedule version for the asset.
    error UnknownScheduleVersion(bytes32 assetId, uint32 version);
    /// @notice The account does not sign for an active finance department of `city`.
    error NotFinanceDepartment(address account, uint32 city);
    /// @notice The account does not sign for an active operator organisation.
    error NotOperator(address account);
    /// @notice The account does not sign for the asset's authorised operator.
    error NotAuthorisedOperator(address account, bytes32 operatorOrgId);
    /// @notice The account does not sign for an active merchant or operator organisation.
    error NotPayer(address account, bytes32 orgId, ILedgerDirectory.OrgKind kind);
    /// @notice A payment of zero.
    error ZeroAmount();
    /// @notice The amount exceeds what a payment record holds.
    error AmountTooLarge(uint256 amount, uint256 max);
    /// @notice An account argument was the zero address.
    error ZeroAccount();
    /// @notice A reference argument was zero.
    error EmptyReference();
    /// @notice A payment with this id (same asset, payer and reference) exists already.
    error DuplicatePayment(bytes32 paymentId, bytes32 externalRef);
    /// @notice No payment with this id.
    error UnknownPayment(bytes32 paymentId);
    /// @notice Only off-chain payments are remitted by confirmation.
    error NotOffchainPayment(bytes32 paymentId);
    /// @notice The payment's treasury share was already confirmed as remitted.
    error AlreadyRemitted(bytes32 paymentId, bytes32 remittanceRef);
    /// @notice The city has no treasury account.
    error NoTreasuryAccount(uint32 city);
    /// @notice The operator has no payout account.
    error NoPayoutAccount(bytes32 operatorOrgId);

    /// @notice Set a new schedule version for an asset (finance dept of the asset's city).
    function setSchedule(
        bytes32 assetId,
        uint256[] calldata lowerBounds,
        uint16[] calldata operatorBps
    ) external returns (uint32 version);

    /// @notice Set the treasury account of `city` (finance dept of that city).
    function setTreasuryAccount(uint32 city, address account) external;

    /// @notice Set the payout account of the caller's operator organisation.
    function setPayoutAccount(address account) external;

    /// @notice Pay `amount` for the use of an asset, split and settled in this transaction.
    function pay(bytes32 assetId, uint256 amount, bytes32 externalRef)
        external
        returns (bytes32 paymentId);

    /// @notice Record a payment received off chain by the asset's authorised operator.
    function recordOffchainPayment(bytes32 assetId, uint256 amount, bytes32 bankRef)
        external
        returns (bytes32 paymentId);

    /// @notice Confirm that an off-chain payment's treasury share reached the treasury.
    function confirmRemittance(bytes32 paymentId, bytes32 remittanceRef) external;

    /// @notice Split `amount` by a schedule (validated first, same code as payments).
    function quote(
        uint256[] calldata lowerBounds,
        uint16[] calldata operatorBps,
        uint256 amount
    ) external pure returns (uint256 operatorShare, uint256 treasuryShare);

    /// @notice Split `amount` by the asset's current schedule.
    function preview(bytes32 assetId, uint256 amount)
        external
        view
        returns (uint256 operatorShare, uint256 treasuryShare, uint32 version);

    function directory() external view returns (ILedgerDirectory);
    function settlementToken() external view returns (address);
    function scheduleCount(bytes32 assetId) external view returns (uint32);
    function scheduleVersion(bytes32 assetId, uint32 version)
        external
        view
        returns (Schedule memory);
    function currentSchedule(bytes32 assetId) external view returns (Schedule memory);
    function treasuryAccount(uint32 city) external view returns (address);
    function payoutAccount(bytes32 operatorOrgId) external view returns (address);
    function payment(bytes32 paymentId) external view returns (Payment memory);
    function assetTotals(bytes32 assetId) external view returns (AssetTotals memory);
    function outstandingRemittance(bytes32 assetId) external view returns (uint256);
    function outstandingRemittanceByOperator(bytes32 operatorOrgId)
        external
        view
        returns (uint256);
}
