// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "contracts/interfaces/ILedgerDirectory.sol";
import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";
import {IUseAndFinance} from "contracts/v2/interfaces/IUseAndFinance.sol";
import {ISplitContext} from "contracts/v2/interfaces/ISplitContext.sol";

import {KillsBase} from "./utils/KillsBase.sol";

/// @title UseAndFinance: the exact application and financing records, their events, term
/// edges and every refusal (bench/mutation/results.md).
contract MutationKillsUseAndFinanceTest is KillsBase {
    bytes32 internal assetId;

    function setUp() public override {
        super.setUp();
        (assetId,) = _certified();
    }

    function _apply(bytes32 scope) internal returns (bytes32 id) {
        hevm.prank(holderKey);
        id = uaf.applyForPaidUse(assetId, scope, operator);
    }

    // ------------------------------------------------------------------ paid use

    function test_applicationRecordEventsAndApprovalSetTheOperator() public {
        bytes32 scope = keccak256("scope");
        bytes32 id = keccak256(abi.encode(holder, assetId, scope, uint32(0)));
        IUseAndFinance.Application memory ap;
        ap.assetId = assetId;
        ap.holderOrgId = holder;
        ap.operatorOrgId = operator;
        ap.scopeHash = scope;
        ap.appliedAt = uint64(block.timestamp);
        ap.status = IUseAndFinance.ApplicationStatus.Applied;
        _expectEmit(address(uaf));
        emit IUseAndFinance.ApplicationChanged(id, holder, ap);
        assertEq32(_apply(scope), id, "application id");

        ap.competentApproved = true;
        _expectEmit(address(uaf));
        emit IUseAndFinance.ApplicationChanged(id, competent, ap);
        hevm.prank(competentKey);
        uaf.reviewPaidUse(id, true, 0);
        hevm.prank(competentKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.AlreadyReviewed.selector, id, uint8(3)));
        uaf.reviewPaidUse(id, true, 0);
        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.ReviewsIncomplete.selector, id, true, false));
        uaf.decidePaidUse(id, true, 0);

        ap.dataAdminApproved = true;
        _expectEmit(address(uaf));
        emit IUseAndFinance.ApplicationChanged(id, dataAdmin, ap);
        hevm.prank(dataAdminKey);
        uaf.reviewPaidUse(id, true, 0);
        hevm.prank(dataAdminKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.AlreadyReviewed.selector, id, uint8(4)));
        uaf.reviewPaidUse(id, true, 0);

        hevm.warp(block.timestamp + 7);
        ap.status = IUseAndFinance.ApplicationStatus.Approved;
        ap.decidedAt = uint64(block.timestamp);
        _expectEmit(address(uaf));
        emit IUseAndFinance.ApplicationChanged(id, finance, ap);
        _expectEmit(address(uaf));
        emit IUseAndFinance.PaidUseOperatorSet(assetId, operator, id);
        hevm.prank(financeKey);
        uaf.decidePaidUse(id, true, 0);
        assertEq32(uaf.operatorOf(assetId), operator, "operator set");
        IUseAndFinance.Application memory got = uaf.application(id);
        assertTrue(got.status == IUseAndFinance.ApplicationStatus.Approved, "approved");
        assertEq(got.decidedAt, block.timestamp, "decided at");
        ISplitContext.PaymentContext memory ctx = uaf.paymentContext(assetId);
        assertEq32(ctx.operatorOrgId, operator, "context operator");
        assertEq(ctx.city, QD, "context city");
        assertTrue(ctx.usability == IAssetRegistryV2.Usability.Usable, "context usable");
        hevm.prank(financeKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IUseAndFinance.IllegalApplicationTransition.selector,
                id,
                IUseAndFinance.ApplicationStatus.Approved,
                IUseAndFinance.ApplicationStatus.Applied
            )
        );
        uaf.decidePaidUse(id, true, 0);
    }

    function test_applicationRefusesWrongOperatorsAndZeroScope() public {
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.UnknownOrg.selector, merchant));
        uaf.applyForPaidUse(assetId, keccak256("s"), merchant);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.ZeroValue.selector));
        uaf.applyForPaidUse(assetId, 0, operator);
        // an operator of another city
        address xmOpKey = address(0x5006);
        hevm.prank(xmKey);
        bytes32 xmOp = directory.admitOrg(ILedgerDirectory.OrgKind.Operator, keccak256("xm op"), xmOpKey);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.WrongCity.selector, QD, XM));
        uaf.applyForPaidUse(assetId, keccak256("s"), xmOp);
        // an inactive operator
        hevm.prank(qdKey);
        directory.setOrgActive(operator, false);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.OrgInactive.selector, operator));
        uaf.applyForPaidUse(assetId, keccak256("s"), operator);
        // not the holder of this asset; not a holder at all; an unknown asset
        hevm.prank(xmHolderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotHolder.selector, assetId, xmHolder));
        uaf.applyForPaidUse(assetId, keccak256("s"), operator);
        hevm.prank(competentKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotOrgOfKind.selector, competentKey, uint8(2)));
        uaf.applyForPaidUse(assetId, keccak256("s"), operator);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.UnknownAsset.selector, keccak256("none")));
        uaf.applyForPaidUse(keccak256("none"), keccak256("s"), operator);
        // an asset that is not usable
        bytes32 fresh = _register();
        hevm.prank(holderKey);
        hevm.expectRevert(_notUsable(fresh, IAssetRegistryV2.Usability.NotCertified));
        uaf.applyForPaidUse(fresh, keccak256("s"), operator);
    }

    function test_reviewRefusesOtherKindsCitiesAndLapsedApplications() public {
        bytes32 id = _apply(keccak256("s"));
        hevm.prank(bankKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.KindNotAllowed.selector, bankKey, uint8(9)));
        uaf.reviewPaidUse(id, true, 0);
        address xmCompKey = address(0x5003);
        hevm.prank(xmKey);
        directory.admitOrg(ILedgerDirectory.OrgKind.CompetentDepartment, keccak256("xm comp"), xmCompKey);
        hevm.prank(xmCompKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.WrongCity.selector, QD, XM));
        uaf.reviewPaidUse(id, true, 0);
        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.ReviewsIncomplete.selector, id, false, false));
        uaf.decidePaidUse(id, true, 0);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotOrgOfKind.selector, holderKey, uint8(5)));
        uaf.decidePaidUse(id, true, 0);
        bytes32 unknown = keccak256("none");
        hevm.prank(competentKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IUseAndFinance.IllegalApplicationTransition.selector,
                unknown,
                IUseAndFinance.ApplicationStatus.None,
                IUseAndFinance.ApplicationStatus.Applied
            )
        );
        uaf.reviewPaidUse(unknown, true, 0);

        // the term: open until appliedAt + 90 days, lapsed from then on
        uint64 end = uaf.application(id).appliedAt + 90 days;
        hevm.warp(end - 1);
        assertTrue(uaf.application(id).status == IUseAndFinance.ApplicationStatus.Applied, "still open");
        hevm.prank(competentKey);
        uaf.reviewPaidUse(id, true, 0);
        hevm.warp(end);
        assertTrue(uaf.application(id).status == IUseAndFinance.ApplicationStatus.Expired, "lapsed");
        hevm.prank(dataAdminKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.ApplicationExpired.selector, id, end));
        uaf.reviewPaidUse(id, true, 0);
    }

    function test_rejectionByAReviewerOrFinanceIsRecordedWithItsReason() public {
        bytes32 id = _apply(keccak256("s1"));
        hevm.prank(competentKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.ZeroValue.selector));
        uaf.reviewPaidUse(id, false, 0);
        IUseAndFinance.Application memory ap = uaf.application(id);
        ap.status = IUseAndFinance.ApplicationStatus.Rejected;
        ap.reasonHash = keccak256("no");
        ap.decidedAt = uint64(block.timestamp);
        _expectEmit(address(uaf));
        emit IUseAndFinance.ApplicationChanged(id, competent, ap);
        hevm.prank(competentKey);
        uaf.reviewPaidUse(id, false, keccak256("no"));
        assertEq32(uaf.application(id).reasonHash, keccak256("no"), "reason kept");
        assertEq32(uaf.operatorOf(assetId), 0, "no operator");

        bytes32 id2 = _apply(keccak256("s2"));
        hevm.prank(competentKey);
        uaf.reviewPaidUse(id2, true, 0);
        hevm.prank(dataAdminKey);
        uaf.reviewPaidUse(id2, true, 0);
        hevm.prank(financeKey);
        uaf.decidePaidUse(id2, false, keccak256("budget"));
        IUseAndFinance.Application memory got = uaf.application(id2);
        assertTrue(got.status == IUseAndFinance.ApplicationStatus.Rejected, "finance rejects");
        assertEq32(got.reasonHash, keccak256("budget"), "finance's reason");
        assertEq32(uaf.operatorOf(assetId), 0, "still no operator");
    }

    function test_onlyTheHolderCancelsAPendingApplication() public {
        bytes32 id = _apply(keccak256("s"));
        hevm.prank(xmHolderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotHolder.selector, assetId, xmHolder));
        uaf.cancelApplication(id);
        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotOrgOfKind.selector, operatorKey, uint8(2)));
        uaf.cancelApplication(id);
        hevm.prank(holderKey);
        uaf.cancelApplication(id);
        assertEq(uaf.application(id).decidedAt, block.timestamp, "decided at");
        hevm.prank(holderKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IUseAndFinance.IllegalApplicationTransition.selector,
                id,
                IUseAndFinance.ApplicationStatus.Cancelled,
                IUseAndFinance.ApplicationStatus.Applied
            )
        );
        uaf.cancelApplication(id);
    }

    // ------------------------------------------------------------------ pledges

    function test_pledgeRecordLifecycleAndEvents() public {
        bytes32 doc = keccak256("pledge contract");
        bytes32 id = keccak256(abi.encode(assetId, bank, IUseAndFinance.FinancingKind.Pledge, uint32(0)));
        IUseAndFinance.Financing memory f = IUseAndFinance.Financing(
            assetId,
            holder,
            bank,
            doc,
            5_000,
            uint64(block.timestamp),
            IUseAndFinance.FinancingKind.Pledge,
            IUseAndFinance.FinancingStatus.Requested
        );
        _expectEmit(address(uaf));
        emit IUseAndFinance.FinancingChanged(id, holder, f);
        hevm.prank(holderKey);
        assertEq32(uaf.requestPledge(assetId, bank, 5_000, doc), id, "financing id");
        assertEq32(uaf.pledgeOf(assetId), 0, "not pledged before the bank confirms");

        f.status = IUseAndFinance.FinancingStatus.Active;
        _expectEmit(address(uaf));
        emit IUseAndFinance.FinancingChanged(id, bank, f);
        hevm.prank(bankKey);
        uaf.confirmPledge(id);
        assertEq32(uaf.pledgeOf(assetId), id, "pledged");
        IUseAndFinance.Financing memory got = uaf.financing(id);
        assertTrue(got.status == IUseAndFinance.FinancingStatus.Active && got.amountFen == 5_000, "record");
        assertEq32(got.documentHash, doc, "document");
        assertTrue(verifier.verify(registry.assetState(assetId).currentCertificateId, 0).pledged, "verify shows it");

        // pledged: no second pledge, equity, disposal request
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.AssetPledged.selector, assetId, id));
        uaf.requestPledge(assetId, bank, 1, keccak256("second"));
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.AssetPledged.selector, assetId, id));
        uaf.recordEquityContribution(assetId, 1, keccak256("equity"));
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.AssetPledged.selector, assetId, id));
        uaf.requestDisposal(assetId, keccak256("dispose"));

        f.status = IUseAndFinance.FinancingStatus.Released;
        _expectEmit(address(uaf));
        emit IUseAndFinance.FinancingChanged(id, bank, f);
        hevm.prank(bankKey);
        uaf.releasePledge(id);
        assertEq32(uaf.pledgeOf(assetId), 0, "released");
        hevm.prank(bankKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IUseAndFinance.IllegalFinancingTransition.selector,
                id,
                IUseAndFinance.FinancingStatus.Released,
                IUseAndFinance.FinancingStatus.Active
            )
        );
        uaf.releasePledge(id);
    }

    function test_pledgeRefusalsAndTheRequestTerm() public {
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.UnknownOrg.selector, operator));
        uaf.requestPledge(assetId, operator, 1, keccak256("p"));
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.ZeroValue.selector));
        uaf.requestPledge(assetId, bank, 0, keccak256("p"));
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.ZeroValue.selector));
        uaf.requestPledge(assetId, bank, 1, 0);
        address xmBankKey = address(0x5009);
        hevm.prank(xmKey);
        bytes32 xmBank = directory.admitOrg(ILedgerDirectory.OrgKind.Bank, keccak256("xm bank"), xmBankKey);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.WrongCity.selector, QD, XM));
        uaf.requestPledge(assetId, xmBank, 1, keccak256("p"));

        hevm.prank(holderKey);
        bytes32 id = uaf.requestPledge(assetId, bank, 1, keccak256("p"));
        // another bank of the same city is not the counterparty
        address bank2Key = address(0x4019);
        hevm.prank(qdKey);
        bytes32 bank2 = directory.admitOrg(ILedgerDirectory.OrgKind.Bank, keccak256("bank 2"), bank2Key);
        hevm.prank(bank2Key);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotCounterparty.selector, id, bank2));
        uaf.confirmPledge(id);
        hevm.prank(xmBankKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.WrongCity.selector, QD, XM));
        uaf.confirmPledge(id);
        hevm.prank(bankKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IUseAndFinance.IllegalFinancingTransition.selector,
                id,
                IUseAndFinance.FinancingStatus.Requested,
                IUseAndFinance.FinancingStatus.Active
            )
        );
        uaf.releasePledge(id);

        uint64 end = uaf.financing(id).recordedAt + 30 days;
        hevm.warp(end - 1);
        assertTrue(uaf.financing(id).status == IUseAndFinance.FinancingStatus.Requested, "open to the end");
        hevm.warp(end);
        assertTrue(uaf.financing(id).status == IUseAndFinance.FinancingStatus.Expired, "lapsed");
        hevm.prank(bankKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.PledgeRequestExpired.selector, id, end));
        uaf.confirmPledge(id);
        hevm.warp(end - 1);
        hevm.prank(bankKey);
        uaf.confirmPledge(id);
        assertEq32(uaf.pledgeOf(assetId), id, "confirmed in its last second");
    }

    function test_secondConfirmedPledgeIsRefusedAndCancelNeedsTheHolder() public {
        hevm.startPrank(holderKey);
        bytes32 p1 = uaf.requestPledge(assetId, bank, 1, keccak256("p1"));
        bytes32 p2 = uaf.requestPledge(assetId, bank, 2, keccak256("p2"));
        hevm.stopPrank();
        hevm.prank(bankKey);
        uaf.confirmPledge(p1);
        hevm.prank(bankKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.AssetPledged.selector, assetId, p1));
        uaf.confirmPledge(p2);
        hevm.prank(xmHolderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotHolder.selector, assetId, xmHolder));
        uaf.cancelPledgeRequest(p2);
        hevm.prank(holderKey);
        uaf.cancelPledgeRequest(p2);
        assertTrue(uaf.financing(p2).status == IUseAndFinance.FinancingStatus.Cancelled, "cancelled");
        hevm.prank(holderKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IUseAndFinance.IllegalFinancingTransition.selector,
                p1,
                IUseAndFinance.FinancingStatus.Active,
                IUseAndFinance.FinancingStatus.Requested
            )
        );
        uaf.cancelPledgeRequest(p1);
    }

    function test_pledgeNeedsAUsableAssetAtConfirmation() public {
        hevm.prank(holderKey);
        bytes32 id = uaf.requestPledge(assetId, bank, 1, keccak256("p"));
        hevm.prank(qdKey);
        registry.recordDispute(assetId, keccak256("d"));
        hevm.prank(bankKey);
        hevm.expectRevert(_notUsable(assetId, IAssetRegistryV2.Usability.Disputed));
        uaf.confirmPledge(id);
        hevm.prank(holderKey);
        hevm.expectRevert(_notUsable(assetId, IAssetRegistryV2.Usability.Disputed));
        uaf.requestPledge(assetId, bank, 1, keccak256("p2"));
    }

    // ------------------------------------------------------------------ credit lines and equity

    function test_creditLineAndEquityRecordsAndEvents() public {
        bytes32 id = keccak256(abi.encode(assetId, bank, IUseAndFinance.FinancingKind.CreditLine, uint32(0)));
        IUseAndFinance.Financing memory f = IUseAndFinance.Financing(
            assetId,
            holder,
            bank,
            keccak256("line"),
            9_000,
            uint64(block.timestamp),
            IUseAndFinance.FinancingKind.CreditLine,
            IUseAndFinance.FinancingStatus.Recorded
        );
        _expectEmit(address(uaf));
        emit IUseAndFinance.FinancingChanged(id, bank, f);
        hevm.prank(bankKey);
        assertEq32(uaf.recordCreditLine(assetId, 9_000, keccak256("line")), id, "credit line id");
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotOrgOfKind.selector, holderKey, uint8(9)));
        uaf.recordCreditLine(assetId, 1, keccak256("line"));
        hevm.prank(bankKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.UnknownAsset.selector, keccak256("none")));
        uaf.recordCreditLine(keccak256("none"), 1, keccak256("line"));

        bytes32 eq = keccak256(abi.encode(assetId, holder, IUseAndFinance.FinancingKind.EquityContribution, uint32(1)));
        f = IUseAndFinance.Financing(
            assetId,
            holder,
            holder,
            keccak256("investee"),
            7_000,
            uint64(block.timestamp),
            IUseAndFinance.FinancingKind.EquityContribution,
            IUseAndFinance.FinancingStatus.Recorded
        );
        _expectEmit(address(uaf));
        emit IUseAndFinance.FinancingChanged(eq, holder, f);
        hevm.prank(holderKey);
        assertEq32(uaf.recordEquityContribution(assetId, 7_000, keccak256("investee")), eq, "equity id");
        // a recorded credit line is not a pledge: the bank cannot confirm or release it
        hevm.prank(bankKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IUseAndFinance.IllegalFinancingTransition.selector,
                id,
                IUseAndFinance.FinancingStatus.Recorded,
                IUseAndFinance.FinancingStatus.Requested
            )
        );
        uaf.confirmPledge(id);
    }

    // ------------------------------------------------------------------ disposal

    function test_disposalNeedsARequestAndTheRegistrarOfTheCity() public {
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NoDisposalRequest.selector, assetId));
        uaf.confirmDisposal(assetId);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.ZeroValue.selector));
        uaf.requestDisposal(assetId, 0);
        _expectEmit(address(uaf));
        emit IUseAndFinance.DisposalRequested(assetId, holder, keccak256("dispose"));
        hevm.prank(holderKey);
        uaf.requestDisposal(assetId, keccak256("dispose"));
        assertEq32(uaf.disposalRequest(assetId), keccak256("dispose"), "request kept");
        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.WrongCity.selector, QD, XM));
        uaf.confirmDisposal(assetId);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotOrgOfKind.selector, holderKey, uint8(1)));
        uaf.confirmDisposal(assetId);
        hevm.prank(qdKey);
        uaf.confirmDisposal(assetId);
        (IAssetRegistryV2.Usability u,) = registry.usability(assetId);
        assertTrue(u == IAssetRegistryV2.Usability.Disposed, "disposed");
        hevm.prank(holderKey);
        hevm.expectRevert(_notUsable(assetId, IAssetRegistryV2.Usability.Disposed));
        uaf.requestDisposal(assetId, keccak256("again"));
    }

    function test_aSuspendedAssetMayStillBeDisposedButNotAPledgedOne() public {
        // revoked (suspended) certificate: disposal is still possible
        bytes32 certId = registry.assetState(assetId).currentCertificateId;
        hevm.prank(qdKey);
        registry.revokeCertificate(certId, 2);
        hevm.prank(holderKey);
        uaf.requestDisposal(assetId, keccak256("dispose"));
        // a pledge confirmed before the request blocks the registrar's confirmation
        (bytes32 other,) = _certified();
        hevm.prank(holderKey);
        uaf.requestDisposal(other, keccak256("dispose"));
        hevm.prank(holderKey);
        bytes32 p = uaf.requestPledge(other, bank, 1, keccak256("p"));
        hevm.prank(bankKey);
        uaf.confirmPledge(p);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.AssetPledged.selector, other, p));
        uaf.confirmDisposal(other);
    }

    function test_viewsNameTheirCollaborators() public view {
        assertEq(address(uaf.registry()), address(registry), "registry");
        assertEq(uaf.governance(), address(directory), "governance");
        (bytes32 orgId, ILedgerDirectory.OrgKind kind, uint32 city, bool active) = uaf.accountOrg(financeKey);
        assertTrue(
            orgId == finance && kind == ILedgerDirectory.OrgKind.FinanceDepartment && city == QD && active,
            "account org passes through"
        );
    }
}
