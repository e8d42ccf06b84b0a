// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IOrgDirectory} from "contracts/v2/interfaces/IOrgDirectory.sol";
import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";
import {IRevenueSplitV2} from "contracts/v2/interfaces/IRevenueSplitV2.sol";
import {ILedgerDirectory} from "contracts/interfaces/ILedgerDirectory.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {RevenueSplitV2} from "contracts/v2/RevenueSplitV2.sol";
import {ISplitContext} from "contracts/v2/interfaces/ISplitContext.sol";

import {KillsBase} from "./utils/KillsBase.sol";

/// @title RevenueSplitV2: the exact records, events and refusals that mutation testing
/// showed no other suite pinned down (bench/mutation/results.md).
contract MutationKillsRevenueSplitTest is KillsBase {
    bytes32 internal assetId;

    function setUp() public override {
        super.setUp();
        (assetId,) = _payable();
    }

    function _one(uint16 bps) internal pure returns (uint256[] memory bounds, uint16[] memory rates) {
        bounds = new uint256[](1);
        rates = new uint16[](1);
        rates[0] = bps;
    }

    // ------------------------------------------------------------------ schedules

    function test_scheduleVersionsCountUpAndEachIsAnnounced() public {
        (uint32 v0,,) = split.currentSchedule(assetId);
        assertEq(v0, 1, "the helper's schedule is version 1");
        (uint256[] memory bounds, uint16[] memory rates) = _one(1_234);
        _expectEmit(address(split));
        emit IRevenueSplitV2.ScheduleSet(assetId, 2, bounds, rates, finance, uint64(block.number));
        hevm.prank(financeKey);
        assertEq(split.setSchedule(assetId, bounds, rates), 2, "second version");
        (uint256 op, uint256 tr, uint32 v) = split.preview(assetId, 10_000);
        assertEq(op, 1_234, "single bracket operator share");
        assertEq(tr, 8_766, "single bracket treasury share");
        assertEq(v, 2, "preview version");
    }

    function test_fiveBracketScheduleUsesThreeWordsAndReadsBack() public {
        uint256[] memory bounds = new uint256[](5);
        uint16[] memory rates = new uint16[](5);
        for (uint256 i = 0; i < 5; ++i) {
            bounds[i] = i * 1_000;
            rates[i] = uint16(1_000 * (i + 1));
        }
        hevm.prank(financeKey);
        split.setSchedule(assetId, bounds, rates);
        (uint32 v, uint256[] memory b, uint16[] memory r) = split.currentSchedule(assetId);
        assertEq(v, 2, "version");
        assertEq(b.length, 5, "count");
        for (uint256 i = 0; i < 5; ++i) {
            assertEq(b[i], bounds[i], "bound");
            assertEq(r[i], rates[i], "rate");
        }
        // 1000*10% + 1000*20% + 1000*30% + 1000*40% + 1000*50% = 1,500 of 5,000
        (uint256 op, uint256 tr,) = split.preview(assetId, 5_000);
        assertEq(op, 1_500, "operator");
        assertEq(tr, 3_500, "treasury");
    }

    function test_scheduleRefusedForUnknownEndedAssetsAndOtherRoles() public {
        (uint256[] memory bounds, uint16[] memory rates) = _one(100);
        bytes32 unknown = keccak256("no such asset");
        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.UnknownAsset.selector, unknown));
        split.setSchedule(unknown, bounds, rates);

        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotFinanceDepartment.selector, operatorKey, QD));
        split.setSchedule(assetId, bounds, rates);

        // a registered (not yet certified) asset may get its schedule in advance
        bytes32 fresh = _register();
        hevm.prank(financeKey);
        assertEq(split.setSchedule(fresh, bounds, rates), 1, "schedule before certification");

        (bytes32 ended, bytes32 certId) = _certified();
        hevm.prank(qdKey);
        registry.amendCertificate(certId, IAssetRegistryV2.RegistrationKind.Deregistration, keccak256("end"));
        hevm.prank(financeKey);
        hevm.expectRevert(_notUsable(ended, IAssetRegistryV2.Usability.Deregistered));
        split.setSchedule(ended, bounds, rates);

        (bytes32 disposed,) = _certified();
        hevm.prank(holderKey);
        uaf.requestDisposal(disposed, keccak256("dispose"));
        hevm.prank(qdKey);
        uaf.confirmDisposal(disposed);
        hevm.prank(financeKey);
        hevm.expectRevert(_notUsable(disposed, IAssetRegistryV2.Usability.Disposed));
        split.setSchedule(disposed, bounds, rates);
    }

    function test_noScheduleIsRefusedOnRead() public {
        bytes32 fresh = _register();
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NoSchedule.selector, fresh));
        split.currentSchedule(fresh);
    }

    // ------------------------------------------------------------------ money routes

    function test_treasuryChangeIsPendingForTheDelayThenActivates() public {
        address next = address(0x7EA6);
        uint64 due = uint64(block.timestamp) + ACCOUNT_DELAY;
        _expectEmit(address(split));
        emit IRevenueSplitV2.TreasuryAccountProposed(QD, next, finance, due);
        hevm.prank(financeKey);
        split.proposeTreasuryAccount(QD, next);
        assertEq(split.treasuryAccount(QD), treasury, "old route until the delay");
        IRevenueSplitV2.PendingAccount memory p = split.pendingTreasuryAccount(QD);
        assertEq(p.account, next, "pending account");
        assertEq(p.effectiveAt, due, "effective at");

        hevm.warp(due - 1);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.AccountChangeNotDue.selector, due));
        split.activateTreasuryAccount(QD);
        hevm.warp(due);
        _expectEmit(address(split));
        emit IRevenueSplitV2.TreasuryAccountSet(QD, next, treasury);
        split.activateTreasuryAccount(QD);
        assertEq(split.treasuryAccount(QD), next, "new route");
        p = split.pendingTreasuryAccount(QD);
        assertEq(p.account, address(0), "nothing pending");
        assertEq(p.effectiveAt, 0, "no due time");
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NoPendingAccount.selector));
        split.activateTreasuryAccount(QD);

        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.InvalidAccount.selector, address(0)));
        split.proposeTreasuryAccount(QD, address(0));
        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotFinanceDepartment.selector, financeKey, XM));
        split.proposeTreasuryAccount(XM, next);
    }

    function test_firstTreasuryIsSetAtOnceAndAnnounced() public {
        hevm.prank(xmKey);
        address xmFinanceKey = address(0x5005);
        directory.admitOrg(ILedgerDirectory.OrgKind.FinanceDepartment, keccak256("xm finance"), xmFinanceKey);
        _expectEmit(address(split));
        emit IRevenueSplitV2.TreasuryAccountSet(XM, address(0x7EA7), address(0));
        hevm.prank(xmFinanceKey);
        split.proposeTreasuryAccount(XM, address(0x7EA7));
        assertEq(split.treasuryAccount(XM), address(0x7EA7), "first route at once");
        assertEq(split.pendingTreasuryAccount(XM).account, address(0), "nothing pending");
    }

    function test_payoutChangeIsPendingForTheDelayThenActivates() public {
        address next = address(0xB0B1);
        uint64 due = uint64(block.timestamp) + ACCOUNT_DELAY;
        _expectEmit(address(split));
        emit IRevenueSplitV2.PayoutAccountProposed(operator, next, operatorKey, due);
        hevm.prank(operatorKey);
        split.proposePayoutAccount(next);
        IRevenueSplitV2.PendingAccount memory p = split.pendingPayoutAccount(operator);
        assertEq(p.account, next, "pending payout");
        assertEq(p.effectiveAt, due, "due");
        assertEq(split.payoutAccount(operator), payout, "old payout");
        hevm.warp(due);
        _expectEmit(address(split));
        emit IRevenueSplitV2.PayoutAccountSet(operator, next, payout);
        split.activatePayoutAccount(operator);
        assertEq(split.payoutAccount(operator), next, "new payout");
        assertEq(split.pendingPayoutAccount(operator).effectiveAt, 0, "cleared");

        hevm.prank(merchantKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotOperator.selector, merchantKey));
        split.proposePayoutAccount(next);
        hevm.prank(address(0xDEAD));
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotOperator.selector, address(0xDEAD)));
        split.proposePayoutAccount(next);
        hevm.prank(qdKey);
        directory.setOrgActive(operator, false);
        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotOperator.selector, operatorKey));
        split.proposePayoutAccount(next);
    }

    function test_firstPayoutIsSetAtOnceAndAnnounced() public {
        address op2Key = address(0x4016);
        hevm.prank(qdKey);
        bytes32 op2 = directory.admitOrg(ILedgerDirectory.OrgKind.Operator, keccak256("operator 2"), op2Key);
        _expectEmit(address(split));
        emit IRevenueSplitV2.PayoutAccountSet(op2, address(0xB0B2), address(0));
        hevm.prank(op2Key);
        split.proposePayoutAccount(address(0xB0B2));
        assertEq(split.payoutAccount(op2), address(0xB0B2), "first payout at once");
    }

    // ------------------------------------------------------------------ payments

    function test_paymentIsSplitTransferredAndRecordedExactly() public {
        bytes32 ref = keccak256("invoice 1");
        bytes32 id = keccak256(abi.encode(split.PAY_TAG(), assetId, merchantKey, ref));
        // 100,000.00 at 20 % + 50,000.00 at 35 % = 37,500.00 of 150,000.00
        _expectEmit(address(split));
        emit IRevenueSplitV2.PaymentSettled(
            id, assetId, merchant, merchantKey, operator, QD, 150_000_00, 37_500_00, 112_500_00, 1, ref
        );
        hevm.prank(merchantKey);
        assertEq32(split.pay(assetId, 150_000_00, ref), id, "payment id");
        assertEq(token.balanceOf(payout), 37_500_00, "operator paid");
        assertEq(token.balanceOf(treasury), 112_500_00, "treasury paid");
        assertTrue(split.paymentStatus(id) == IRevenueSplitV2.PaymentStatus.Settled, "settled");

        hevm.prank(merchantKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.DuplicatePayment.selector, id, ref));
        split.pay(assetId, 1, ref);
        hevm.prank(merchantKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.ZeroAmount.selector));
        split.pay(assetId, 0, keccak256("zero"));
        hevm.prank(merchantKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IRevenueSplitV2.AmountTooLarge.selector, uint256(type(uint128).max) + 1, uint256(type(uint128).max)
            )
        );
        split.pay(assetId, uint256(type(uint128).max) + 1, keccak256("huge"));
        hevm.prank(merchantKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.EmptyReference.selector));
        split.pay(assetId, 1, 0);
    }

    function test_onlyActiveMerchantsAndOperatorsPay() public {
        hevm.prank(holderKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IRevenueSplitV2.NotPayer.selector, holderKey, holder, uint8(ILedgerDirectory.OrgKind.Holder)
            )
        );
        split.pay(assetId, 1, keccak256("r"));
        hevm.prank(address(0xDEAD));
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotPayer.selector, address(0xDEAD), bytes32(0), uint8(0)));
        split.pay(assetId, 1, keccak256("r"));
        // an operator pays as well (its own token)
        token.mint(operatorKey, 10_000);
        hevm.prank(operatorKey);
        token.approve(address(split), type(uint256).max);
        hevm.prank(operatorKey);
        split.pay(assetId, 10_000, keccak256("op pays"));
        assertEq(token.balanceOf(treasury), 8_000, "operator's payment split too");
        hevm.prank(qdKey);
        directory.setOrgActive(merchant, false);
        hevm.prank(merchantKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IRevenueSplitV2.NotPayer.selector, merchantKey, merchant, uint8(ILedgerDirectory.OrgKind.Merchant)
            )
        );
        split.pay(assetId, 1, keccak256("inactive"));
    }

    function test_paymentNeedsApprovedUseAndBothRoutes() public {
        (bytes32 certifiedOnly,) = _certified();
        hevm.prank(merchantKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.PaidUseNotApproved.selector, certifiedOnly));
        split.pay(certifiedOnly, 1, keccak256("r"));

        // a second operator with no payout account yet
        address op2Key = address(0x4016);
        hevm.prank(qdKey);
        bytes32 op2 = directory.admitOrg(ILedgerDirectory.OrgKind.Operator, keccak256("operator 2"), op2Key);
        hevm.prank(holderKey);
        bytes32 app = uaf.applyForPaidUse(certifiedOnly, keccak256("scope"), op2);
        hevm.prank(competentKey);
        uaf.reviewPaidUse(app, true, 0);
        hevm.prank(dataAdminKey);
        uaf.reviewPaidUse(app, true, 0);
        hevm.prank(financeKey);
        uaf.decidePaidUse(app, true, 0);
        (uint256[] memory bounds, uint16[] memory rates) = _one(5_000);
        hevm.prank(financeKey);
        split.setSchedule(certifiedOnly, bounds, rates);
        hevm.prank(merchantKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NoPayoutAccount.selector, op2));
        split.pay(certifiedOnly, 1, keccak256("r"));
    }

    function test_paymentInACityWithoutTreasuryIsRefused() public {
        // Xiamen: holder, operator and finance of its own, but no treasury route yet
        address xmOpKey = address(0x5006);
        address xmFinKey = address(0x5005);
        address xmCompKey = address(0x5003);
        address xmDataKey = address(0x5004);
        hevm.startPrank(xmKey);
        bytes32 xmOp = directory.admitOrg(ILedgerDirectory.OrgKind.Operator, keccak256("xm op"), xmOpKey);
        directory.admitOrg(ILedgerDirectory.OrgKind.FinanceDepartment, keccak256("xm fin"), xmFinKey);
        directory.admitOrg(ILedgerDirectory.OrgKind.CompetentDepartment, keccak256("xm comp"), xmCompKey);
        directory.admitOrg(ILedgerDirectory.OrgKind.DataAdministration, keccak256("xm data"), xmDataKey);
        hevm.stopPrank();
        hevm.prank(xmHolderKey);
        bytes32 a = registry.registerResource(keccak256("xm cat"), keccak256("xm meta"), 7);
        hevm.startPrank(xmKey);
        registry.recordValuation(a, 1_000, 1, keccak256("v"));
        registry.recordCompliance(a, true, keccak256("c"));
        hevm.stopPrank();
        hevm.warp(block.timestamp + NOTICE);
        hevm.prank(xmKey);
        registry.issueCertificate(a);
        hevm.prank(xmHolderKey);
        bytes32 app = uaf.applyForPaidUse(a, keccak256("scope"), xmOp);
        hevm.prank(xmCompKey);
        uaf.reviewPaidUse(app, true, 0);
        hevm.prank(xmDataKey);
        uaf.reviewPaidUse(app, true, 0);
        hevm.prank(xmFinKey);
        uaf.decidePaidUse(app, true, 0);
        (uint256[] memory bounds, uint16[] memory rates) = _one(5_000);
        hevm.prank(xmFinKey);
        split.setSchedule(a, bounds, rates);
        hevm.prank(xmOpKey);
        split.proposePayoutAccount(address(0xB0B3));
        hevm.prank(merchantKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NoTreasuryAccount.selector, XM));
        split.pay(a, 1, keccak256("r"));
    }

    // ------------------------------------------------------------------ off-chain payments

    function test_offchainPaymentIsOutstandingUntilFinanceConfirmsIt() public {
        bytes32 ref = keccak256("bank 1");
        bytes32 id = keccak256(abi.encode(split.OFFCHAIN_TAG(), assetId, operator, ref));
        _expectEmit(address(split));
        emit IRevenueSplitV2.OffchainPaymentRecorded(
            id, assetId, operator, operatorKey, QD, 150_000_00, 37_500_00, 112_500_00, 1, ref
        );
        hevm.prank(operatorKey);
        assertEq32(split.recordOffchainPayment(assetId, 150_000_00, ref), id, "id");
        hevm.prank(operatorKey);
        split.recordOffchainPayment(assetId, 10_000, keccak256("bank 2"));
        assertEq(split.outstandingRemittance(assetId), 112_500_00 + 8_000, "outstanding adds up");
        assertTrue(split.paymentStatus(id) == IRevenueSplitV2.PaymentStatus.OffchainOutstanding, "outstanding");

        hevm.prank(merchantKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotAuthorisedOperator.selector, merchantKey, operator));
        split.recordOffchainPayment(assetId, 1, keccak256("x"));

        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotFinanceDepartment.selector, operatorKey, QD));
        split.confirmRemittance(id, keccak256("remit"));
        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.EmptyReference.selector));
        split.confirmRemittance(id, 0);

        _expectEmit(address(split));
        emit IRevenueSplitV2.RemittanceConfirmed(id, assetId, operator, 112_500_00, keccak256("remit"), finance);
        hevm.prank(financeKey);
        split.confirmRemittance(id, keccak256("remit"));
        assertEq(split.outstandingRemittance(assetId), 8_000, "remitted share leaves the outstanding");
        assertTrue(split.paymentStatus(id) == IRevenueSplitV2.PaymentStatus.OffchainRemitted, "remitted");
        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.AlreadyRemitted.selector, id));
        split.confirmRemittance(id, keccak256("remit"));

        hevm.prank(operatorKey);
        split.recordOffchainPayment(assetId, 10_000, keccak256("bank 3"));
        hevm.prank(qdKey);
        directory.setOrgActive(operator, false);
        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotAuthorisedOperator.selector, operatorKey, operator));
        split.recordOffchainPayment(assetId, 1, keccak256("bank 4"));
    }

    function test_confirmRemittanceRefusesUnknownAndSettledPayments() public {
        bytes32 unknown = keccak256("none");
        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.UnknownPayment.selector, unknown));
        split.confirmRemittance(unknown, keccak256("r"));
        bytes32 settled = _pay(assetId, 1_000);
        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotOffchainPayment.selector, settled));
        split.confirmRemittance(settled, keccak256("r"));
    }

    // ------------------------------------------------------------------ sweep

    function test_sweepByGovernanceMovesTheWholeBalanceAndIsAnnounced() public {
        hevm.prank(merchantKey);
        token.transfer(address(split), 7);
        hevm.prank(qdKey);
        bytes32 id = directory.propose(
            IOrgDirectory.ProposalKind.Sweep, abi.encode(address(split), address(token), address(0x5EE7))
        );
        _expectEmit(address(split));
        emit IRevenueSplitV2.Swept(address(token), address(0x5EE7), 7);
        hevm.prank(xmKey);
        directory.approve(id);
        assertEq(token.balanceOf(address(0x5EE7)), 7, "swept to the chosen account");
        assertEq(token.balanceOf(address(split)), 0, "nothing left");
    }

    function test_aZeroAccountChangeDelayIsRefusedAtDeployment() public {
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.ZeroAmount.selector));
        new RevenueSplitV2(ISplitContext(address(uaf)), IERC20(address(token)), 0);
        RevenueSplitV2 one = new RevenueSplitV2(ISplitContext(address(uaf)), IERC20(address(token)), 1);
        assertEq(one.accountChangeDelay(), 1, "one second is a delay");
    }

    function test_quoteValidatesAndSplits() public view {
        (uint256[] memory bounds, uint16[] memory rates) = _one(2_500);
        (uint256 op, uint256 tr) = split.quote(bounds, rates, 1_000);
        assertEq(op, 250, "quoted operator share");
        assertEq(tr, 750, "quoted treasury share");
        assertEq(split.accountChangeDelay(), ACCOUNT_DELAY, "delay");
        assertEq(split.settlementToken(), address(token), "token");
        assertEq(address(split.context()), address(uaf), "context");
    }
}
