// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ILedgerDirectory} from "./interfaces/ILedgerDirectory.sol";
import {IRevenueSplit} from "./interfaces/IRevenueSplit.sol";
import {SplitMath} from "./libraries/SplitMath.sol";

/// @title Versioned progressive schedules and an exact per-payment split with settlement.
/// @notice See IRevenueSplit for the rules; SplitMath holds the arithmetic.
contract RevenueSplit is IRevenueSplit {
    using SafeERC20 for IERC20;

    /// @notice Domain tag of ids of payments settled in the token.
    bytes32 public constant PAY_TAG = keccak256("RevenueSplit.pay");
    /// @notice Domain tag of ids of payments recorded after an off-chain bank payment.
    bytes32 public constant OFFCHAIN_TAG = keccak256("RevenueSplit.offchain");

    /// @dev The split of one payment and the schedule version it used.
    struct Shares {
        uint256 operatorShare;
        uint256 treasuryShare;
        uint32 version;
    }

    ILedgerDirectory private immutable _directory;
    IERC20 private immutable _token;

    mapping(bytes32 assetId => Schedule[]) private _schedules;
    mapping(uint32 city => address) private _treasuryAccounts;
    mapping(bytes32 operatorOrgId => address) private _payoutAccounts;
    mapping(bytes32 paymentId => Payment) private _payments;
    mapping(bytes32 assetId => uint256) private _operatorTotals;
    mapping(bytes32 assetId => uint256) private _treasuryTotals;
    mapping(bytes32 assetId => uint256) private _outstandingByAsset;
    mapping(bytes32 operatorOrgId => uint256) private _outstandingByOperator;

    constructor(ILedgerDirectory directory_, IERC20 settlementToken_) {
        _directory = directory_;
        _token = settlementToken_;
    }

    // ------------------------------------------------------------------ schedules

    /// @inheritdoc IRevenueSplit
    function setSchedule(
        bytes32 assetId,
        uint256[] calldata lowerBounds,
        uint16[] calldata operatorBps
    ) external returns (uint32 version) {
        ILedgerDirectory.PaymentContext memory ctx = _directory.paymentContext(assetId);
        if (!ctx.exists) revert UnknownAsset(assetId);
        bytes32 financeOrgId = _requireFinance(ctx.city);
        if (ctx.disposed) revert AssetDisposed(assetId);
        SplitMath.validate(lowerBounds, operatorBps);

        Schedule[] storage versions = _schedules[assetId];
        version = uint32(versions.length + 1);
        Schedule storage s = versions.push();
        s.version = version;
        s.effectiveBlock = uint64(block.number);
        s.financeOrgId = financeOrgId;
        s.lowerBounds = lowerBounds;
        s.operatorBps = operatorBps;
        emit ScheduleSet(
            assetId, version, lowerBounds, operatorBps, financeOrgId, uint64(block.number)
        );
    }

    /// @inheritdoc IRevenueSplit
    function setTreasuryAccount(uint32 city, address account) external {
        bytes32 financeOrgId = _requireFinance(city);
        if (account == address(0)) revert ZeroAccount();
        _treasuryAccounts[city] = account;
        emit TreasuryAccountSet(city, account, financeOrgId);
    }

    /// @inheritdoc IRevenueSplit
    function setPayoutAccount(address account) external {
        (bytes32 orgId, ILedgerDirectory.OrgKind kind,, bool active) =
            _directory.accountOrg(msg.sender);
        if (orgId == bytes32(0) || kind != ILedgerDirectory.OrgKind.Operator || !active) {
            revert NotOperator(msg.sender);
        }
        if (account == address(0)) revert ZeroAccount();
        _payoutAccounts[orgId] = account;
        emit PayoutAccountSet(orgId, account, msg.sender);
    }

    // ------------------------------------------------------------------ payments

    /// @inheritdoc IRevenueSplit
    function pay(bytes32 assetId, uint256 amount, bytes32 externalRef)
        external
        returns (bytes32 paymentId)
    {
        bytes32 payerOrgId = _requirePayer();
        ILedgerDirectory.PaymentContext memory ctx = _payableContext(assetId);
        paymentId = keccak256(abi.encode(PAY_TAG, assetId, msg.sender, externalRef));
        Shares memory shares = _record(
            paymentId,
            assetId,
            amount,
            externalRef,
            payerOrgId,
            ctx.operatorOrgId,
            Settlement.OnChain
        );
        emit PaymentSettled(
            paymentId,
            assetId,
            payerOrgId,
            msg.sender,
            amount,
            shares.operatorShare,
            shares.treasuryShare,
            shares.version,
            externalRef
        );
        _settle(ctx, shares);
    }

    /// @inheritdoc IRevenueSplit
    function recordOffchainPayment(bytes32 assetId, uint256 amount, bytes32 bankRef)
        external
        returns (bytes32 paymentId)
    {
        ILedgerDirectory.PaymentContext memory ctx = _payableContext(assetId);
        (bytes32 orgId,,, bool active) = _directory.accountOrg(msg.sender);
        if (orgId != ctx.operatorOrgId || !active) {
            revert NotAuthorisedOperator(msg.sender, ctx.operatorOrgId);
        }
        paymentId = keccak256(abi.encode(OFFCHAIN_TAG, assetId, orgId, bankRef));

        Shares memory shares =
            _record(paymentId, assetId, amount, bankRef, orgId, orgId, Settlement.OffChain);
        uint256 treasuryShare = shares.treasuryShare;
        if (treasuryShare != 0) {
            _outstandingByAsset[assetId] += treasuryShare;
            _outstandingByOperator[orgId] += treasuryShare;
        }
        emit OffchainPaymentRecorded(
            paymentId,
            assetId,
            orgId,
            msg.sender,
            amount,
            shares.operatorShare,
            treasuryShare,
            shares.version,
            bankRef
        );
    }

    /// @inheritdoc IRevenueSplit
    function confirmRemittance(bytes32 paymentId, bytes32 remittanceRef) external {
        Payment storage p = _payments[paymentId];
        Settlement settlement = p.settlement;
        if (settlement == Settlement.None) revert UnknownPayment(paymentId);
        if (settlement != Settlement.OffChain) revert NotOffchainPayment(paymentId);
        bytes32 assetId = p.assetId;
        bytes32 financeOrgId = _requireFinance(_directory.paymentContext(assetId).city);
        if (p.remitted) revert AlreadyRemitted(paymentId, p.remittanceRef);
        if (remittanceRef == bytes32(0)) revert EmptyReference();

        p.remitted = true;
        p.remittanceRef = remittanceRef;
        uint256 treasuryShare = uint256(p.amount) - uint256(p.operatorShare);
        bytes32 operatorOrgId = p.operatorOrgId;
        if (treasuryShare != 0) {
            _outstandingByAsset[assetId] -= treasuryShare;
            _outstandingByOperator[operatorOrgId] -= treasuryShare;
        }
        emit RemittanceConfirmed(
            paymentId, assetId, operatorOrgId, treasuryShare, remittanceRef, financeOrgId
        );
    }

    // ------------------------------------------------------------------ quotes

    /// @inheritdoc IRevenueSplit
    function quote(
        uint256[] calldata lowerBounds,
        uint16[] calldata operatorBps,
        uint256 amount
    ) external pure returns (uint256 operatorShare, uint256 treasuryShare) {
        SplitMath.validate(lowerBounds, operatorBps);
        return SplitMath.split(lowerBounds, operatorBps, amount);
    }

    /// @inheritdoc IRevenueSplit
    function preview(bytes32 assetId, uint256 amount)
        external
        view
        returns (uint256 operatorShare, uint256 treasuryShare, uint32 version)
    {
        return _split(assetId, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRevenueSplit
    function directory() external view returns (ILedgerDirectory) {
        return _directory;
    }

    /// @inheritdoc IRevenueSplit
    function settlementToken() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IRevenueSplit
    function scheduleCount(bytes32 assetId) external view returns (uint32) {
        return uint32(_schedules[assetId].length);
    }

    /// @inheritdoc IRevenueSplit
    function scheduleVersion(bytes32 assetId, uint32 version)
        external
        view
        returns (Schedule memory)
    {
        Schedule[] storage versions = _schedules[assetId];
        if (version == 0 || version > versions.length) {
            revert UnknownScheduleVersion(assetId, version);
        }
        return versions[version - 1];
    }

    /// @inheritdoc IRevenueSplit
    function currentSchedule(bytes32 assetId) external view returns (Schedule memory) {
        Schedule[] storage versions = _schedules[assetId];
        if (versions.length == 0) revert NoSchedule(assetId);
        return versions[versions.length - 1];
    }

    /// @inheritdoc IRevenueSplit
    function treasuryAccount(uint32 city) external view returns (address) {
        return _treasuryAccounts[city];
    }

    /// @inheritdoc IRevenueSplit
    function payoutAccount(bytes32 operatorOrgId) external view returns (address) {
        return _payoutAccounts[operatorOrgId];
    }

    /// @inheritdoc IRevenueSplit
    function payment(bytes32 paymentId) external view returns (Payment memory) {
        Payment memory p = _payments[paymentId];
        if (p.settlement == Settlement.None) revert UnknownPayment(paymentId);
        return p;
    }

    /// @inheritdoc IRevenueSplit
    function assetTotals(bytes32 assetId) external view returns (AssetTotals memory totals) {
        totals.operatorTotal = _operatorTotals[assetId];
        totals.treasuryTotal = _treasuryTotals[assetId];
        totals.totalPaid = totals.operatorTotal + totals.treasuryTotal;
    }

    /// @inheritdoc IRevenueSplit
    function outstandingRemittance(bytes32 assetId) external view returns (uint256) {
        return _outstandingByAsset[assetId];
    }

    /// @inheritdoc IRevenueSplit
    function outstandingRemittanceByOperator(bytes32 operatorOrgId)
        external
        view
        returns (uint256)
    {
        return _outstandingByOperator[operatorOrgId];
    }

    // ------------------------------------------------------------------ internals

    /// @dev The caller's org id when it signs for an active finance department of `city`.
    function _requireFinance(uint32 city) private view returns (bytes32 orgId) {
        ILedgerDirectory.OrgKind kind;
        uint32 orgCity;
        bool active;
        (orgId, kind, orgCity, active) = _directory.accountOrg(msg.sender);
        if (
            orgId == bytes32(0) || kind != ILedgerDirectory.OrgKind.FinanceDepartment
                || orgCity != city || !active
        ) revert NotFinanceDepartment(msg.sender, city);
    }

    /// @dev The caller's org id when it signs for an active merchant or operator.
    function _requirePayer() private view returns (bytes32 orgId) {
        ILedgerDirectory.OrgKind kind;
        bool active;
        (orgId, kind,, active) = _directory.accountOrg(msg.sender);
        if (
            orgId == bytes32(0) || !active
                || (
                    kind != ILedgerDirectory.OrgKind.Merchant
                        && kind != ILedgerDirectory.OrgKind.Operator
                )
        ) revert NotPayer(msg.sender, orgId, kind);
    }

    /// @dev Move both shares from the payer: operator payout account, city treasury.
    function _settle(ILedgerDirectory.PaymentContext memory ctx, Shares memory shares)
        private
    {
        address payout = _payoutAccounts[ctx.operatorOrgId];
        if (payout == address(0)) revert NoPayoutAccount(ctx.operatorOrgId);
        address treasury = _treasuryAccounts[ctx.city];
        if (treasury == address(0)) revert NoTreasuryAccount(ctx.city);
        if (shares.operatorShare != 0) {
            _token.safeTransferFrom(msg.sender, payout, shares.operatorShare);
        }
        if (shares.treasuryShare != 0) {
            _token.safeTransferFrom(msg.sender, treasury, shares.treasuryShare);
        }
    }

    /// @dev The asset's payment context when it may be paid for.
    function _payableContext(bytes32 assetId)
        private
        view
        returns (ILedgerDirectory.PaymentContext memory ctx)
    {
        ctx = _directory.paymentContext(assetId);
        if (!ctx.exists) revert UnknownAsset(assetId);
        if (ctx.disposed) revert AssetDisposed(assetId);
        if (!ctx.paidUseApproved) revert PaidUseNotApproved(assetId);
    }

    /// @dev Split by the current schedule (loaded into memory for SplitMath).
    function _split(bytes32 assetId, uint256 amount)
        private
        view
        returns (uint256 operatorShare, uint256 treasuryShare, uint32 version)
    {
        Schedule[] storage versions = _schedules[assetId];
        uint256 count = versions.length;
        if (count == 0) revert NoSchedule(assetId);
        Schedule storage s = versions[count - 1];
        version = uint32(count);
        (operatorShare, treasuryShare) = SplitMath.split(s.lowerBounds, s.operatorBps, amount);
    }

    /// @dev Checks amount and uniqueness, splits, stores the record and the totals.
    function _record(
        bytes32 paymentId,
        bytes32 assetId,
        uint256 amount,
        bytes32 ref,
        bytes32 payerOrgId,
        bytes32 operatorOrgId,
        Settlement settlement
    ) private returns (Shares memory shares) {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint128).max) revert AmountTooLarge(amount, type(uint128).max);
        if (ref == bytes32(0)) revert EmptyReference();
        Payment storage p = _payments[paymentId];
        if (p.settlement != Settlement.None) revert DuplicatePayment(paymentId, ref);
        (shares.operatorShare, shares.treasuryShare, shares.version) = _split(assetId, amount);

        p.assetId = assetId;
        p.payer = msg.sender;
        p.scheduleVersion = shares.version;
        p.blockNumber = uint48(block.number);
        p.settlement = settlement;
        // a token payment reaches the treasury in the same transaction
        p.remitted = settlement == Settlement.OnChain;
        p.amount = uint128(amount);
        p.operatorShare = uint128(shares.operatorShare);
        p.payerOrgId = payerOrgId;
        p.operatorOrgId = operatorOrgId;
        p.externalRef = ref;
        _operatorTotals[assetId] += shares.operatorShare;
        _treasuryTotals[assetId] += shares.treasuryShare;
    }
}
