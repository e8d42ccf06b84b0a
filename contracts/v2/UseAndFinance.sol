// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "../interfaces/ILedgerDirectory.sol";
import {IAssetRegistryV2} from "./interfaces/IAssetRegistryV2.sol";
import {IOrgDirectory} from "./interfaces/IOrgDirectory.sol";
import {ISplitContext} from "./interfaces/ISplitContext.sol";
import {IUseAndFinance} from "./interfaces/IUseAndFinance.sol";

/// @title UseAndFinance
/// @notice See {IUseAndFinance} for the rules; also the {ISplitContext} RevenueSplitV2 reads.
/// Immutable: a new version is a new deployment.
contract UseAndFinance is IUseAndFinance, ISplitContext {
    /// @notice A pending paid-use application lapses after this long.
    uint64 public constant APPLICATION_TERM = 90 days;
    /// @notice A pending pledge request lapses after this long.
    uint64 public constant PLEDGE_REQUEST_TERM = 30 days;

    IOrgDirectory private immutable _directory;
    IAssetRegistryV2 private immutable _registry;

    mapping(bytes32 applicationId => Application) private _applications;
    mapping(bytes32 financingId => Financing) private _financings;
    mapping(bytes32 assetId => bytes32) private _operatorOf;
    mapping(bytes32 assetId => bytes32) private _pledgeOf;
    mapping(bytes32 assetId => bytes32) private _disposalRequests;
    mapping(bytes32 assetId => uint32) private _nonces;

    constructor(IOrgDirectory directory_, IAssetRegistryV2 registry_) {
        _directory = directory_;
        _registry = registry_;
    }

    // ================================================================ paid use

    function applyForPaidUse(bytes32 assetId, bytes32 scopeHash, bytes32 operatorOrgId)
        external
        returns (bytes32 id)
    {
        (bytes32 holder, uint32 city) = _holderAct(assetId);
        _requireUsable(assetId);
        IOrgDirectory.Org memory op = _directory.org(operatorOrgId);
        if (op.kind != ILedgerDirectory.OrgKind.Operator) revert UnknownOrg(operatorOrgId);
        if (!op.active) revert OrgInactive(operatorOrgId);
        if (op.city != city) revert WrongCity(city, op.city);
        if (scopeHash == 0) revert ZeroValue();
        id = keccak256(abi.encode(holder, assetId, scopeHash, _nonces[assetId]++));
        Application storage ap = _applications[id];
        ap.assetId = assetId;
        ap.holderOrgId = holder;
        ap.operatorOrgId = operatorOrgId;
        ap.scopeHash = scopeHash;
        ap.appliedAt = uint64(block.timestamp);
        _applicationTo(id, ap, ApplicationStatus.Applied, holder);
    }

    function reviewPaidUse(bytes32 id, bool approve, bytes32 reasonHash) external {
        Application storage ap = _pendingApplication(id);
        IOrgDirectory.Actor memory actor = _directory.actorOf(msg.sender);
        (, uint32 city) = _registry.holderOf(ap.assetId);
        if (actor.kind == ILedgerDirectory.OrgKind.CompetentDepartment) {
            if (ap.competentApproved) revert AlreadyReviewed(id, uint8(actor.kind));
            ap.competentApproved = approve;
        } else if (actor.kind == ILedgerDirectory.OrgKind.DataAdministration) {
            if (ap.dataAdminApproved) revert AlreadyReviewed(id, uint8(actor.kind));
            ap.dataAdminApproved = approve;
        } else {
            revert KindNotAllowed(msg.sender, uint8(actor.kind));
        }
        if (actor.city != city) revert WrongCity(city, actor.city);
        if (approve) {
            _applicationTo(id, ap, ApplicationStatus.Applied, actor.orgId);
        } else {
            _reject(id, ap, reasonHash, actor.orgId);
        }
    }

    function decidePaidUse(bytes32 id, bool approve, bytes32 reasonHash) external {
        Application storage ap = _pendingApplication(id);
        bytes32 assetId = ap.assetId;
        (, uint32 city) = _registry.holderOf(assetId);
        bytes32 finance = _actorIn(ILedgerDirectory.OrgKind.FinanceDepartment, city);
        if (!(ap.competentApproved && ap.dataAdminApproved)) {
            revert ReviewsIncomplete(id, ap.competentApproved, ap.dataAdminApproved);
        }
        if (!approve) return _reject(id, ap, reasonHash, finance);
        _requireUsable(assetId);
        _operatorOf[assetId] = ap.operatorOrgId;
        _applicationTo(id, ap, ApplicationStatus.Approved, finance);
        emit PaidUseOperatorSet(assetId, ap.operatorOrgId, id);
    }

    function cancelApplication(bytes32 id) external {
        Application storage ap = _applications[id];
        if (ap.status != ApplicationStatus.Applied) {
            revert IllegalApplicationTransition(id, ap.status, ApplicationStatus.Applied);
        }
        bytes32 holder = _actorOf(ILedgerDirectory.OrgKind.Holder).orgId;
        if (holder != ap.holderOrgId) revert NotHolder(ap.assetId, holder);
        _applicationTo(id, ap, ApplicationStatus.Cancelled, holder);
    }

    // ================================================================ financing

    function requestPledge(bytes32 assetId, bytes32 bankOrgId, uint128 amountFen, bytes32 contractHash)
        external
        returns (bytes32 id)
    {
        (bytes32 holder, uint32 city) = _holderAct(assetId);
        _requireUsable(assetId);
        _requireUnpledged(assetId);
        IOrgDirectory.Org memory bank = _directory.org(bankOrgId);
        if (bank.kind != ILedgerDirectory.OrgKind.Bank) revert UnknownOrg(bankOrgId);
        if (bank.city != city) revert WrongCity(city, bank.city);
        Financing storage f;
        (id, f) = _newFinancing(assetId, holder, bankOrgId, FinancingKind.Pledge, amountFen, contractHash);
        _financingTo(id, f, FinancingStatus.Requested, holder);
    }

    function cancelPledgeRequest(bytes32 id) external {
        Financing storage f = _financings[id];
        if (f.status != FinancingStatus.Requested) {
            revert IllegalFinancingTransition(id, f.status, FinancingStatus.Requested);
        }
        bytes32 holder = _actorOf(ILedgerDirectory.OrgKind.Holder).orgId;
        if (holder != f.holderOrgId) revert NotHolder(f.assetId, holder);
        _financingTo(id, f, FinancingStatus.Cancelled, holder);
    }

    function confirmPledge(bytes32 id) external {
        (Financing storage f, bytes32 bank) = _bankAct(id, FinancingStatus.Requested);
        if (block.timestamp >= f.recordedAt + PLEDGE_REQUEST_TERM) {
            revert PledgeRequestExpired(id, f.recordedAt + PLEDGE_REQUEST_TERM);
        }
        bytes32 assetId = f.assetId;
        _requireUsable(assetId);
        _requireUnpledged(assetId);
        _pledgeOf[assetId] = id;
        _financingTo(id, f, FinancingStatus.Active, bank);
    }

    function releasePledge(bytes32 id) external {
        (Financing storage f, bytes32 bank) = _bankAct(id, FinancingStatus.Active);
        _pledgeOf[f.assetId] = 0;
        _financingTo(id, f, FinancingStatus.Released, bank);
    }

    function recordCreditLine(bytes32 assetId, uint128 amountFen, bytes32 agreementHash)
        external
        returns (bytes32 id)
    {
        (bytes32 holder, uint32 city) = _registry.holderOf(assetId);
        if (holder == 0) revert UnknownAsset(assetId);
        bytes32 bank = _actorIn(ILedgerDirectory.OrgKind.Bank, city);
        _requireUsable(assetId);
        Financing storage f;
        (id, f) = _newFinancing(assetId, holder, bank, FinancingKind.CreditLine, amountFen, agreementHash);
        _financingTo(id, f, FinancingStatus.Recorded, bank);
    }

    function recordEquityContribution(bytes32 assetId, uint128 valuationFen, bytes32 investeeHash)
        external
        returns (bytes32 id)
    {
        (bytes32 holder,) = _holderAct(assetId);
        _requireUsable(assetId);
        _requireUnpledged(assetId);
        Financing storage f;
        (id, f) = _newFinancing(assetId, holder, holder, FinancingKind.EquityContribution, valuationFen, investeeHash);
        _financingTo(id, f, FinancingStatus.Recorded, holder);
    }

    // ================================================================ disposal

    function requestDisposal(bytes32 assetId, bytes32 reasonHash) external {
        (bytes32 holder,) = _holderAct(assetId);
        (IAssetRegistryV2.Usability part,) = _registry.usability(assetId);
        if (part == IAssetRegistryV2.Usability.Disposed || part == IAssetRegistryV2.Usability.Deregistered) {
            revert IAssetRegistryV2.AssetNotUsable(assetId, part);
        }
        _requireUnpledged(assetId);
        if (reasonHash == 0) revert ZeroValue();
        _disposalRequests[assetId] = reasonHash;
        emit DisposalRequested(assetId, holder, reasonHash);
    }

    function confirmDisposal(bytes32 assetId) external {
        (, uint32 city) = _registry.holderOf(assetId);
        bytes32 registrar = _actorIn(ILedgerDirectory.OrgKind.Registrar, city);
        if (_disposalRequests[assetId] == 0) revert NoDisposalRequest(assetId);
        _requireUnpledged(assetId);
        _registry.markDisposed(assetId, registrar);
    }

    // ================================================================ ISplitContext

    function accountOrg(address account)
        external
        view
        override
        returns (bytes32 orgId, ILedgerDirectory.OrgKind kind, uint32 city, bool active)
    {
        return _directory.accountOrg(account);
    }

    function paymentContext(bytes32 assetId) external view returns (PaymentContext memory ctx) {
        (ctx.usability, ctx.city) = _registry.usability(assetId);
        ctx.operatorOrgId = _operatorOf[assetId];
    }

    function governance() external view returns (address) {
        return address(_directory);
    }

    // ================================================================ views

    function pledgeOf(bytes32 assetId) external view returns (bytes32) {
        return _pledgeOf[assetId];
    }

    function operatorOf(bytes32 assetId) external view returns (bytes32) {
        return _operatorOf[assetId];
    }

    function application(bytes32 id) external view returns (Application memory ap) {
        ap = _applications[id];
        if (ap.status == ApplicationStatus.Applied && block.timestamp >= ap.appliedAt + APPLICATION_TERM) {
            ap.status = ApplicationStatus.Expired;
        }
    }

    function financing(bytes32 id) external view returns (Financing memory f) {
        f = _financings[id];
        if (f.status == FinancingStatus.Requested && block.timestamp >= f.recordedAt + PLEDGE_REQUEST_TERM) {
            f.status = FinancingStatus.Expired;
        }
    }

    function disposalRequest(bytes32 assetId) external view returns (bytes32) {
        return _disposalRequests[assetId];
    }

    function registry() external view returns (IAssetRegistryV2) {
        return _registry;
    }

    // ================================================================ internals

    function _actorOf(ILedgerDirectory.OrgKind kind) private view returns (IOrgDirectory.Actor memory a) {
        a = _directory.actorOf(msg.sender);
        if (a.kind != kind) revert NotOrgOfKind(msg.sender, uint8(kind));
    }

    function _actorIn(ILedgerDirectory.OrgKind kind, uint32 city) private view returns (bytes32) {
        IOrgDirectory.Actor memory a = _actorOf(kind);
        if (a.city != city) revert WrongCity(city, a.city);
        return a.orgId;
    }

    /// @dev The asset's holder acting on its own asset.
    function _holderAct(bytes32 assetId) private view returns (bytes32 holder, uint32 city) {
        bytes32 assetHolder;
        (assetHolder, city) = _registry.holderOf(assetId);
        if (assetHolder == 0) revert UnknownAsset(assetId);
        holder = _actorOf(ILedgerDirectory.OrgKind.Holder).orgId;
        if (holder != assetHolder) revert NotHolder(assetId, holder);
    }

    function _requireUsable(bytes32 assetId) private view {
        (IAssetRegistryV2.Usability part,) = _registry.usability(assetId);
        if (part != IAssetRegistryV2.Usability.Usable) revert IAssetRegistryV2.AssetNotUsable(assetId, part);
    }

    function _requireUnpledged(bytes32 assetId) private view {
        bytes32 pledge = _pledgeOf[assetId];
        if (pledge != 0) revert AssetPledged(assetId, pledge);
    }

    function _pendingApplication(bytes32 id) private view returns (Application storage ap) {
        ap = _applications[id];
        if (ap.status != ApplicationStatus.Applied) {
            revert IllegalApplicationTransition(id, ap.status, ApplicationStatus.Applied);
        }
        if (block.timestamp >= ap.appliedAt + APPLICATION_TERM) revert ApplicationExpired(id, ap.appliedAt + APPLICATION_TERM);
    }

    function _reject(bytes32 id, Application storage ap, bytes32 reasonHash, bytes32 actor) private {
        if (reasonHash == 0) revert ZeroValue();
        ap.reasonHash = reasonHash;
        _applicationTo(id, ap, ApplicationStatus.Rejected, actor);
    }

    /// @dev The one transition function of an application: None -> Applied, Applied ->
    /// Applied (a review), Approved, Rejected or Cancelled; the event after every write.
    function _applicationTo(bytes32 id, Application storage ap, ApplicationStatus to, bytes32 actor) private {
        ApplicationStatus from = ap.status;
        bool ok = to == ApplicationStatus.Applied
            ? (from == ApplicationStatus.None || from == ApplicationStatus.Applied)
            : (from == ApplicationStatus.Applied && to != ApplicationStatus.Expired && to != ApplicationStatus.None);
        if (!ok) revert IllegalApplicationTransition(id, from, to);
        ap.status = to;
        if (to != ApplicationStatus.Applied) ap.decidedAt = uint64(block.timestamp);
        emit ApplicationChanged(id, actor, ap);
    }

    /// @dev The one transition function of a financing record: None -> Requested (pledge) or
    /// Recorded (credit line, equity); Requested -> Active or Cancelled; Active -> Released.
    function _financingTo(bytes32 id, Financing storage f, FinancingStatus to, bytes32 actor) private {
        FinancingStatus from = f.status;
        bool ok;
        if (from == FinancingStatus.None) ok = to == FinancingStatus.Requested || to == FinancingStatus.Recorded;
        else if (from == FinancingStatus.Requested) ok = to == FinancingStatus.Active || to == FinancingStatus.Cancelled;
        else if (from == FinancingStatus.Active) ok = to == FinancingStatus.Released;
        if (!ok) revert IllegalFinancingTransition(id, from, to);
        f.status = to;
        emit FinancingChanged(id, actor, f);
    }

    function _newFinancing(
        bytes32 assetId,
        bytes32 holder,
        bytes32 counterparty,
        FinancingKind kind,
        uint128 amountFen,
        bytes32 documentHash
    ) private returns (bytes32 id, Financing storage f) {
        if (amountFen == 0 || documentHash == 0) revert ZeroValue();
        id = keccak256(abi.encode(assetId, counterparty, kind, _nonces[assetId]++));
        f = _financings[id];
        f.assetId = assetId;
        f.holderOrgId = holder;
        f.counterpartyOrgId = counterparty;
        f.documentHash = documentHash;
        f.amountFen = amountFen;
        f.recordedAt = uint64(block.timestamp);
        f.kind = kind;
    }

    function _bankAct(bytes32 id, FinancingStatus required) private view returns (Financing storage f, bytes32 bank) {
        f = _financings[id];
        if (f.status != required || f.kind != FinancingKind.Pledge) {
            revert IllegalFinancingTransition(id, f.status, required);
        }
        (, uint32 city) = _registry.holderOf(f.assetId);
        bank = _actorIn(ILedgerDirectory.OrgKind.Bank, city);
        if (bank != f.counterpartyOrgId) revert NotCounterparty(id, bank);
    }
}
