// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ILedgerDirectory} from "../interfaces/ILedgerDirectory.sol";
import {SplitMath} from "../libraries/SplitMath.sol";
import {IAssetRegistryV2} from "./interfaces/IAssetRegistryV2.sol";
import {IRevenueSplitV2} from "./interfaces/IRevenueSplitV2.sol";
import {IAccountOrg, ISplitContext} from "./interfaces/ISplitContext.sol";

/// @title RevenueSplitV2
/// @notice See {IRevenueSplitV2} for the rules; SplitMath holds the arithmetic. Immutable.
contract RevenueSplitV2 is IRevenueSplitV2 {
    using SafeERC20 for IERC20;

    /// @notice Domain tag of ids of payments settled in the token (as v1).
    bytes32 public constant PAY_TAG = keccak256("RevenueSplit.pay");
    /// @notice Domain tag of ids of payments recorded after an off-chain bank payment (as v1).
    bytes32 public constant OFFCHAIN_TAG = keccak256("RevenueSplit.offchain");
    /// @notice The largest bracket bound (bounds are packed in 88 bits: 3 * 10^26 fen).
    uint256 public constant MAX_BOUND = type(uint88).max;
    /// @notice Bits of one packed bracket (bound 88 | bps 16).
    uint256 private constant BRACKET_BITS = 104;

    /// @dev A money route: slot 0 the account in force (read by every payment), slot 1 the
    /// pending change.
    struct Route {
        address current;
        uint64 effectiveAt;
        address pending;
    }

    /// @dev One slot per payment: what confirmRemittance and duplicate checks read.
    struct PaymentSlot {
        PaymentStatus status;
        uint128 treasuryShare;
    }

    /// @dev The split of one payment and the schedule version it used.
    struct Shares {
        uint256 operatorShare;
        uint256 treasuryShare;
        uint32 version;
    }

    struct OffchainSlot {
        bytes32 assetId;
        bytes32 operatorOrgId;
        uint32 city;
    }

    ISplitContext private immutable _ctx;
    IAccountOrg private immutable _accounts;
    IERC20 private immutable _token;
    address private immutable _governance;
    uint64 private immutable _delay;

    /// @dev Per asset: word 0 = version (24 bits) | count (8) << 24 | bps of bracket 0 (16) << 32
    /// | bracket 1 << 48 | bracket 2 << 152; word k >= 1 = brackets 2k+1 and 2k+2 at bits 0
    /// and 104. A bracket is bound (88 bits) | bps (16) << 88. Three brackets: one slot.
    mapping(bytes32 assetId => mapping(uint256 word => uint256)) private _schedules;
    mapping(uint32 city => Route) private _treasury;
    mapping(bytes32 operatorOrgId => Route) private _payout;
    mapping(bytes32 paymentId => PaymentSlot) private _payments;
    mapping(bytes32 paymentId => OffchainSlot) private _offchain;
    mapping(bytes32 assetId => uint256) private _outstanding;

    /// @param accountChangeDelay_ seconds between proposing a treasury or payout change and its
    /// effect (2 days in production)
    constructor(ISplitContext context_, IERC20 settlementToken_, uint64 accountChangeDelay_) {
        if (accountChangeDelay_ == 0) revert ZeroAmount();
        _ctx = context_;
        _token = settlementToken_;
        _governance = context_.governance();
        _accounts = IAccountOrg(_governance);
        _delay = accountChangeDelay_;
    }

    // ================================================================ schedules

    function setSchedule(bytes32 assetId, uint256[] calldata lowerBounds, uint16[] calldata operatorBps)
        external
        returns (uint32 version)
    {
        ISplitContext.PaymentContext memory ctx = _ctx.paymentContext(assetId);
        if (ctx.usability == IAssetRegistryV2.Usability.UnknownAsset) revert UnknownAsset(assetId);
        if (ctx.usability == IAssetRegistryV2.Usability.Disposed || ctx.usability == IAssetRegistryV2.Usability.Deregistered) {
            revert IAssetRegistryV2.AssetNotUsable(assetId, ctx.usability);
        }
        bytes32 financeOrgId = _requireFinance(ctx.city);
        SplitMath.validate(lowerBounds, operatorBps);
        uint256 count = lowerBounds.length;
        mapping(uint256 => uint256) storage s = _schedules[assetId];
        version = uint32(uint24(s[0])) + 1;
        if (version > type(uint24).max) revert AmountTooLarge(version, type(uint24).max);
        uint256 word = version | (count << 24) | (uint256(operatorBps[0]) << 32);
        for (uint256 i = 1; i < count; ++i) {
            uint256 bound = lowerBounds[i];
            if (bound > MAX_BOUND) revert BoundTooLarge(i, bound, MAX_BOUND);
            uint256 packed = bound | (uint256(operatorBps[i]) << 88);
            (uint256 index, uint256 shift) = _position(i);
            if (shift == 0 && index != 0) {
                s[index - 1] = word;
                word = 0;
            }
            word |= packed << shift;
        }
        (uint256 last,) = _position(count == 1 ? 1 : count - 1);
        s[last] = word;
        emit ScheduleSet(assetId, version, lowerBounds, operatorBps, financeOrgId, uint64(block.number));
    }

    // ================================================================ money routes

    function proposeTreasuryAccount(uint32 city, address account) external {
        bytes32 financeOrgId = _requireFinance(city);
        Route storage r = _treasury[city];
        _checkAccount(account);
        if (r.current == address(0)) {
            r.current = account;
            emit TreasuryAccountSet(city, account, address(0));
        } else {
            r.pending = account;
            r.effectiveAt = uint64(block.timestamp) + _delay;
            emit TreasuryAccountProposed(city, account, financeOrgId, r.effectiveAt);
        }
    }

    function activateTreasuryAccount(uint32 city) external {
        Route storage r = _treasury[city];
        address previous = r.current;
        address account = _activate(r);
        emit TreasuryAccountSet(city, account, previous);
    }

    function proposePayoutAccount(address account) external {
        (bytes32 orgId, ILedgerDirectory.OrgKind kind,, bool active) = _accounts.accountOrg(msg.sender);
        if (orgId == 0 || kind != ILedgerDirectory.OrgKind.Operator || !active) revert NotOperator(msg.sender);
        Route storage r = _payout[orgId];
        _checkAccount(account);
        if (r.current == address(0)) {
            r.current = account;
            emit PayoutAccountSet(orgId, account, address(0));
        } else {
            r.pending = account;
            r.effectiveAt = uint64(block.timestamp) + _delay;
            emit PayoutAccountProposed(orgId, account, msg.sender, r.effectiveAt);
        }
    }

    function activatePayoutAccount(bytes32 operatorOrgId) external {
        Route storage r = _payout[operatorOrgId];
        address previous = r.current;
        address account = _activate(r);
        emit PayoutAccountSet(operatorOrgId, account, previous);
    }

    // ================================================================ payments

    function pay(bytes32 assetId, uint256 amount, bytes32 externalRef) external returns (bytes32 paymentId) {
        bytes32 payerOrgId = _requirePayer();
        ISplitContext.PaymentContext memory ctx = _payableContext(assetId);
        paymentId = keccak256(abi.encode(PAY_TAG, assetId, msg.sender, externalRef));
        Shares memory shares = _record(paymentId, assetId, amount, externalRef, PaymentStatus.Settled);
        address payout = _payout[ctx.operatorOrgId].current;
        if (payout == address(0)) revert NoPayoutAccount(ctx.operatorOrgId);
        address treasury = _treasury[ctx.city].current;
        if (treasury == address(0)) revert NoTreasuryAccount(ctx.city);
        if (shares.operatorShare != 0) _token.safeTransferFrom(msg.sender, payout, shares.operatorShare);
        if (shares.treasuryShare != 0) _token.safeTransferFrom(msg.sender, treasury, shares.treasuryShare);
        _emitSettled(paymentId, assetId, payerOrgId, ctx, amount, shares, externalRef);
    }

    function recordOffchainPayment(bytes32 assetId, uint256 amount, bytes32 bankRef)
        external
        returns (bytes32 paymentId)
    {
        ISplitContext.PaymentContext memory ctx = _payableContext(assetId);
        (bytes32 orgId,,, bool active) = _accounts.accountOrg(msg.sender);
        if (orgId != ctx.operatorOrgId || !active) revert NotAuthorisedOperator(msg.sender, ctx.operatorOrgId);
        paymentId = keccak256(abi.encode(OFFCHAIN_TAG, assetId, orgId, bankRef));
        Shares memory shares = _record(paymentId, assetId, amount, bankRef, PaymentStatus.OffchainOutstanding);
        _offchain[paymentId] = OffchainSlot(assetId, orgId, ctx.city);
        _outstanding[assetId] += shares.treasuryShare;
        emit OffchainPaymentRecorded(
            paymentId,
            assetId,
            orgId,
            msg.sender,
            ctx.city,
            amount,
            shares.operatorShare,
            shares.treasuryShare,
            shares.version,
            bankRef
        );
    }

    function confirmRemittance(bytes32 paymentId, bytes32 remittanceRef) external {
        PaymentSlot storage p = _payments[paymentId];
        PaymentStatus status = p.status;
        if (status == PaymentStatus.None) revert UnknownPayment(paymentId);
        if (status == PaymentStatus.Settled) revert NotOffchainPayment(paymentId);
        OffchainSlot storage o = _offchain[paymentId];
        bytes32 financeOrgId = _requireFinance(o.city);
        if (status == PaymentStatus.OffchainRemitted) revert AlreadyRemitted(paymentId);
        if (remittanceRef == 0) revert EmptyReference();
        p.status = PaymentStatus.OffchainRemitted;
        uint256 treasuryShare = p.treasuryShare;
        _outstanding[o.assetId] -= treasuryShare;
        emit RemittanceConfirmed(paymentId, o.assetId, o.operatorOrgId, treasuryShare, remittanceRef, financeOrgId);
    }

    function sweep(address token, address to) external {
        if (msg.sender != _governance) revert NotGovernance(msg.sender);
        _checkAccount(to);
        uint256 amount = IERC20(token).balanceOf(address(this));
        emit Swept(token, to, amount);
        if (amount != 0) IERC20(token).safeTransfer(to, amount);
    }

    // ================================================================ quotes and views

    function quote(uint256[] calldata lowerBounds, uint16[] calldata operatorBps, uint256 amount)
        external
        pure
        returns (uint256 operatorShare, uint256 treasuryShare)
    {
        SplitMath.validate(lowerBounds, operatorBps);
        return SplitMath.split(lowerBounds, operatorBps, amount);
    }

    function preview(bytes32 assetId, uint256 amount)
        external
        view
        returns (uint256 operatorShare, uint256 treasuryShare, uint32 version)
    {
        uint256[] memory bounds;
        uint16[] memory bps;
        (version, bounds, bps) = _load(assetId);
        (operatorShare, treasuryShare) = SplitMath.split(bounds, bps, amount);
    }

    function context() external view returns (ISplitContext) {
        return _ctx;
    }

    function settlementToken() external view returns (address) {
        return address(_token);
    }

    function accountChangeDelay() external view returns (uint64) {
        return _delay;
    }

    function currentSchedule(bytes32 assetId)
        external
        view
        returns (uint32 version, uint256[] memory lowerBounds, uint16[] memory operatorBps)
    {
        return _load(assetId);
    }

    function treasuryAccount(uint32 city) external view returns (address) {
        return _treasury[city].current;
    }

    function pendingTreasuryAccount(uint32 city) external view returns (PendingAccount memory) {
        Route storage r = _treasury[city];
        return PendingAccount(r.pending, r.pending == address(0) ? 0 : r.effectiveAt);
    }

    function payoutAccount(bytes32 operatorOrgId) external view returns (address) {
        return _payout[operatorOrgId].current;
    }

    function pendingPayoutAccount(bytes32 operatorOrgId) external view returns (PendingAccount memory) {
        Route storage r = _payout[operatorOrgId];
        return PendingAccount(r.pending, r.pending == address(0) ? 0 : r.effectiveAt);
    }

    function paymentStatus(bytes32 paymentId) external view returns (PaymentStatus) {
        return _payments[paymentId].status;
    }

    function outstandingRemittance(bytes32 assetId) external view returns (uint256) {
        return _outstanding[assetId];
    }

    // ================================================================ internals

    function _emitSettled(
        bytes32 paymentId,
        bytes32 assetId,
        bytes32 payerOrgId,
        ISplitContext.PaymentContext memory ctx,
        uint256 amount,
        Shares memory shares,
        bytes32 externalRef
    ) private {
        emit PaymentSettled(
            paymentId,
            assetId,
            payerOrgId,
            msg.sender,
            ctx.operatorOrgId,
            ctx.city,
            amount,
            shares.operatorShare,
            shares.treasuryShare,
            shares.version,
            externalRef
        );
    }

    function _checkAccount(address account) private view {
        if (account == address(0) || account == address(this) || account == address(_token)) {
            revert InvalidAccount(account);
        }
    }

    function _activate(Route storage r) private returns (address account) {
        account = r.pending;
        if (account == address(0)) revert NoPendingAccount();
        if (block.timestamp < r.effectiveAt) revert AccountChangeNotDue(r.effectiveAt);
        r.current = account;
        r.pending = address(0);
        r.effectiveAt = 0;
    }

    function _requireFinance(uint32 city) private view returns (bytes32 orgId) {
        ILedgerDirectory.OrgKind kind;
        uint32 orgCity;
        bool active;
        (orgId, kind, orgCity, active) = _accounts.accountOrg(msg.sender);
        if (orgId == 0 || kind != ILedgerDirectory.OrgKind.FinanceDepartment || orgCity != city || !active) {
            revert NotFinanceDepartment(msg.sender, city);
        }
    }

    function _requirePayer() private view returns (bytes32 orgId) {
        ILedgerDirectory.OrgKind kind;
        bool active;
        (orgId, kind,, active) = _accounts.accountOrg(msg.sender);
        if (
            orgId == 0 || !active
                || (kind != ILedgerDirectory.OrgKind.Merchant && kind != ILedgerDirectory.OrgKind.Operator)
        ) revert NotPayer(msg.sender, orgId, uint8(kind));
    }

    /// @dev The one gate of every payment: the asset is usable and paid use was approved.
    function _payableContext(bytes32 assetId) private view returns (ISplitContext.PaymentContext memory ctx) {
        ctx = _ctx.paymentContext(assetId);
        if (ctx.usability != IAssetRegistryV2.Usability.Usable) {
            revert IAssetRegistryV2.AssetNotUsable(assetId, ctx.usability);
        }
        if (ctx.operatorOrgId == 0) revert PaidUseNotApproved(assetId);
    }

    /// @dev Word and bit offset of bracket `i` >= 1.
    function _position(uint256 i) private pure returns (uint256 index, uint256 shift) {
        if (i <= 2) return (0, 48 + (i - 1) * BRACKET_BITS);
        return ((i - 1) / 2, ((i - 1) % 2) * BRACKET_BITS);
    }

    function _load(bytes32 assetId)
        private
        view
        returns (uint32 version, uint256[] memory bounds, uint16[] memory bps)
    {
        mapping(uint256 => uint256) storage s = _schedules[assetId];
        uint256 word = s[0];
        if (word == 0) revert NoSchedule(assetId);
        version = uint24(word);
        uint256 count = uint8(word >> 24);
        bounds = new uint256[](count);
        bps = new uint16[](count);
        bps[0] = uint16(word >> 32);
        for (uint256 i = 1; i < count; ++i) {
            (uint256 index, uint256 shift) = _position(i);
            if (shift == 0) word = s[index];
            uint256 packed = word >> shift;
            bounds[i] = uint88(packed);
            bps[i] = uint16(packed >> 88);
        }
    }

    /// @dev Checks amount, reference and uniqueness, splits, stores the one payment slot.
    function _record(bytes32 paymentId, bytes32 assetId, uint256 amount, bytes32 ref, PaymentStatus status)
        private
        returns (Shares memory shares)
    {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint128).max) revert AmountTooLarge(amount, type(uint128).max);
        if (ref == 0) revert EmptyReference();
        PaymentSlot storage p = _payments[paymentId];
        if (p.status != PaymentStatus.None) revert DuplicatePayment(paymentId, ref);
        uint256[] memory bounds;
        uint16[] memory bps;
        (shares.version, bounds, bps) = _load(assetId);
        (shares.operatorShare, shares.treasuryShare) = SplitMath.split(bounds, bps, amount);
        p.status = status;
        p.treasuryShare = uint128(shares.treasuryShare);
    }
}
