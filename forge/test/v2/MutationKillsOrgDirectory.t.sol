// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "contracts/interfaces/ILedgerDirectory.sol";
import {OrgDirectory} from "contracts/v2/OrgDirectory.sol";
import {IOrgDirectory} from "contracts/v2/interfaces/IOrgDirectory.sol";
import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";

import {KillsBase} from "./utils/KillsBase.sol";

/// @title OrgDirectory: key windows at their exact edges, agreement and governance refusals,
/// the registrar count, and the exact records its events carry (bench/mutation/results.md).
contract MutationKillsOrgDirectoryTest is KillsBase {
    address internal constant FRESH = address(0xF2E5);

    // ------------------------------------------------------------------ keys

    function test_keyRecordHoldsItsWindowAndEndsExactlyAtItsEdges() public {
        uint64 until = uint64(block.timestamp + 1 days);
        _expectEmit(address(directory));
        emit IOrgDirectory.SigningKeyProposed(FRESH, holder, until);
        hevm.prank(holderKey);
        directory.proposeSigningKey(FRESH, until);
        (bytes32 pendingOrg, uint64 pendingUntil) = directory.pendingKey(FRESH);
        assertEq32(pendingOrg, holder, "pending org");
        assertEq(pendingUntil, until, "pending until");

        hevm.warp(block.timestamp + 1 hours);
        uint64 from = uint64(block.timestamp);
        _expectEmit(address(directory));
        emit IOrgDirectory.SigningKeyAdded(FRESH, holder, IOrgDirectory.SigningKey(holder, from, until, 0));
        hevm.prank(FRESH);
        directory.acceptSigningKey(holder);
        (pendingOrg,) = directory.pendingKey(FRESH);
        assertEq32(pendingOrg, 0, "pending cleared");
        IOrgDirectory.SigningKey memory k = directory.signingKey(FRESH);
        assertEq(k.validFrom, from, "valid from the acceptance");
        assertEq(k.validUntil, until, "valid until as proposed");
        assertEq(directory.org(holder).keyCount, 2, "two keys");
        address[] memory keys = directory.orgKeys(holder);
        assertEq(keys.length, 2, "listed");
        assertEq(keys[1], FRESH, "the new key listed");

        _checkActsAsHolder(FRESH);
        _checkEndsAt(FRESH, until);
    }

    function _checkActsAsHolder(address key) private view {
        IOrgDirectory.Actor memory a = directory.actorOf(key);
        assertEq32(a.orgId, holder, "acts for the holder at once");
        assertEq(a.index, directory.org(holder).index, "index");
        assertEq(a.city, QD, "city");
        (uint32 index, ILedgerDirectory.OrgKind kind, uint32 city) = directory.actorInfo(key);
        assertEq(index, directory.org(holder).index, "packed index");
        assertTrue(kind == ILedgerDirectory.OrgKind.Holder, "packed kind");
        assertEq(city, QD, "packed city");
        (bytes32 orgId, ILedgerDirectory.OrgKind k2, uint32 c2, bool active) = directory.accountOrg(key);
        assertTrue(orgId == holder && k2 == ILedgerDirectory.OrgKind.Holder && c2 == QD && active, "accountOrg");
    }

    /// @dev The key ends at `until` exactly (one second before it is still live).
    function _checkEndsAt(address key, uint64 until) private {
        hevm.warp(until - 1);
        assertEq32(directory.actorOf(key).orgId, holder, "live before the end");
        (uint32 index,,) = directory.actorInfo(key);
        assertTrue(index != 0, "packed view live before the end");
        hevm.warp(until);
        assertEq32(directory.actorOf(key).orgId, 0, "ended at validUntil");
        (index,,) = directory.actorInfo(key);
        assertEq(index, 0, "packed view ended at validUntil");
        (bytes32 orgId,,,) = directory.accountOrg(key);
        assertEq32(orgId, 0, "accountOrg ended at validUntil");
    }

    function test_keyProposalRefusesPastExpiryUsedAccountsAndStrangers() public {
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.ZeroValue.selector));
        directory.proposeSigningKey(FRESH, uint64(block.timestamp));
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.AccountInUse.selector, operatorKey, operator));
        directory.proposeSigningKey(operatorKey, 0);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.ZeroValue.selector));
        directory.proposeSigningKey(address(0), 0);
        hevm.prank(address(0xDEAD));
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotOrgKey.selector, address(0xDEAD), bytes32(0)));
        directory.proposeSigningKey(FRESH, 0);
        hevm.prank(FRESH);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NoPendingKey.selector, FRESH));
        directory.acceptSigningKey(holder);
        // an inactive org's proposal cannot be accepted
        hevm.prank(holderKey);
        directory.proposeSigningKey(FRESH, 0);
        hevm.prank(qdKey);
        directory.setOrgActive(holder, false);
        hevm.prank(FRESH);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotOrgKey.selector, FRESH, holder));
        directory.acceptSigningKey(holder);
    }

    function test_removedKeyEndsNowAndOnlyItsOrgRemovesIt() public {
        hevm.prank(holderKey);
        directory.proposeSigningKey(FRESH, 0);
        hevm.prank(FRESH);
        directory.acceptSigningKey(holder);
        uint64 from = uint64(block.timestamp);
        hevm.warp(block.timestamp + 10);
        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotOrgKey.selector, operatorKey, holder));
        directory.removeSigningKey(FRESH);
        _expectEmit(address(directory));
        emit IOrgDirectory.SigningKeyRemoved(
            FRESH, holder, IOrgDirectory.SigningKey(holder, from, uint64(block.timestamp), 0)
        );
        hevm.prank(holderKey);
        directory.removeSigningKey(FRESH);
        assertEq(directory.signingKey(FRESH).validUntil, block.timestamp, "ends now");
        assertEq32(directory.actorOf(FRESH).orgId, 0, "no longer acts");
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.KeyNotLive.selector, FRESH));
        directory.removeSigningKey(FRESH);
    }

    function test_compromisedKeyStopsInTheSameSecondAndKeepsTheEarliestTime() public {
        hevm.prank(holderKey);
        directory.proposeSigningKey(FRESH, 0);
        hevm.prank(FRESH);
        directory.acceptSigningKey(holder);
        uint64 from = uint64(block.timestamp);
        hevm.warp(block.timestamp + 100);
        uint64 now_ = uint64(block.timestamp);
        // another key of the org marks it as of now
        _expectEmit(address(directory));
        emit IOrgDirectory.SigningKeyCompromised(FRESH, holder, IOrgDirectory.SigningKey(holder, from, 0, now_));
        hevm.prank(holderKey);
        directory.markKeyCompromised(FRESH, now_);
        assertEq32(directory.actorOf(FRESH).orgId, 0, "dead in the same second");
        (uint32 index,,) = directory.actorInfo(FRESH);
        assertEq(index, 0, "packed view dead in the same second");
        // the key itself dates it back; a later time does not move it forward
        hevm.prank(FRESH);
        directory.markKeyCompromised(FRESH, from + 10);
        assertEq(directory.signingKey(FRESH).compromisedAt, from + 10, "dated back");
        hevm.prank(FRESH);
        directory.markKeyCompromised(FRESH, from + 50);
        assertEq(directory.signingKey(FRESH).compromisedAt, from + 10, "earliest kept");
        hevm.prank(FRESH);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.InvalidCompromiseTime.selector, FRESH, from - 1, from, now_)
        );
        directory.markKeyCompromised(FRESH, from - 1);
        hevm.prank(FRESH);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.InvalidCompromiseTime.selector, FRESH, now_ + 1, from, now_)
        );
        directory.markKeyCompromised(FRESH, now_ + 1);
        // edges are allowed
        hevm.prank(FRESH);
        directory.markKeyCompromised(FRESH, from);
        assertEq(directory.signingKey(FRESH).compromisedAt, from, "from its first second");
        // a stranger's key is not the org's to mark
        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotOrgKey.selector, operatorKey, holder));
        directory.markKeyCompromised(holderKey, now_);
    }

    function test_anOrgHoldsAtMostSixteenKeys() public {
        for (uint160 i = 1; i < 16; ++i) {
            address k = address(0xA000 + i);
            hevm.prank(holderKey);
            directory.proposeSigningKey(k, 0);
            hevm.prank(k);
            directory.acceptSigningKey(holder);
        }
        assertEq(directory.org(holder).keyCount, 16, "sixteen");
        hevm.prank(holderKey);
        directory.proposeSigningKey(FRESH, 0);
        hevm.prank(FRESH);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.TooManyKeys.selector, holder, uint8(16)));
        directory.acceptSigningKey(holder);
    }

    // ------------------------------------------------------------------ organisations

    function test_admissionRecordsTheOrgAndRefusesBadInput() public {
        address k = address(0x4010);
        bytes32 name = keccak256("auditor");
        bytes32 expected = keccak256(abi.encode(ILedgerDirectory.OrgKind.Auditor, QD, name));
        uint32 nextIndex = directory.org(xmHolder).index + 1;
        _expectEmit(address(directory));
        emit IOrgDirectory.OrgAdmitted(
            expected, qd, IOrgDirectory.Org(ILedgerDirectory.OrgKind.Auditor, QD, true, nextIndex, 1), name
        );
        hevm.prank(qdKey);
        assertEq32(directory.admitOrg(ILedgerDirectory.OrgKind.Auditor, name, k), expected, "org id");
        assertEq32(directory.orgIdAt(nextIndex), expected, "index lookup");

        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.OrgExists.selector, expected));
        directory.admitOrg(ILedgerDirectory.OrgKind.Auditor, name, address(0x4011));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.ZeroValue.selector));
        directory.admitOrg(ILedgerDirectory.OrgKind.Auditor, 0, address(0x4011));
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.InvalidOrgKind.selector, ILedgerDirectory.OrgKind.Registrar)
        );
        directory.admitOrg(ILedgerDirectory.OrgKind.Registrar, keccak256("r"), address(0x4011));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.InvalidOrgKind.selector, ILedgerDirectory.OrgKind.None));
        directory.admitOrg(ILedgerDirectory.OrgKind.None, keccak256("n"), address(0x4011));
        hevm.prank(holderKey);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.NotOrgOfKind.selector, holderKey, ILedgerDirectory.OrgKind.Registrar)
        );
        directory.admitOrg(ILedgerDirectory.OrgKind.Auditor, keccak256("x"), address(0x4011));
    }

    function test_deactivationFollowsToKeysAndCountsOnlyRegistrars() public {
        assertEq(directory.activeRegistrars(), 3, "three");
        _expectEmit(address(directory));
        emit IOrgDirectory.OrgActivationChanged(
            holder, qd, IOrgDirectory.Org(ILedgerDirectory.OrgKind.Holder, QD, false, directory.org(holder).index, 1)
        );
        hevm.prank(qdKey);
        directory.setOrgActive(holder, false);
        assertEq(directory.activeRegistrars(), 3, "a holder is not counted");
        assertTrue(!directory.org(holder).active, "inactive");
        assertEq32(directory.actorOf(holderKey).orgId, 0, "its key no longer acts");
        (,,, bool active) = directory.accountOrg(holderKey);
        assertTrue(!active, "accountOrg reports inactive");
        hevm.prank(qdKey);
        directory.setOrgActive(holder, true);
        assertEq(directory.activeRegistrars(), 3, "still three");
        assertEq32(directory.actorOf(holderKey).orgId, holder, "acts again");

        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotOrgKey.selector, xmKey, holder));
        directory.setOrgActive(holder, false);
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.InvalidOrgKind.selector, ILedgerDirectory.OrgKind.Registrar)
        );
        directory.setOrgActive(xm, false);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.UnknownOrg.selector, keccak256("none")));
        directory.setOrgActive(keccak256("none"), false);
    }

    function test_registrarTermsWithinBoundsReachEveryKeyAndTheNotice() public {
        // defaults: the notice and the certificate term the registry applies
        bytes32 assetId = _register();
        _openNotice(assetId);
        assertEq(registry.assetState(assetId).noticeEndsAt, block.timestamp + NOTICE, "default 10-day notice");
        (uint64 n, uint64 t) = directory.termsOf(qd);
        assertEq(n, 10 days, "default notice");
        assertEq(t, 3 * 365 days, "default term");

        // a second registrar key gets the terms too
        address qdKey2 = hevm.addr(PK_QD2);
        hevm.prank(qdKey);
        directory.proposeSigningKey(qdKey2, 0);
        hevm.prank(qdKey2);
        directory.acceptSigningKey(qd);
        (, uint64 n2, uint64 t2) = directory.actorWithTerms(qdKey2);
        assertEq(n2, 10 days, "new key carries the notice");
        assertEq(t2, 3 * 365 days, "new key carries the term");

        _expectEmit(address(directory));
        emit IOrgDirectory.RegistrarTermsSet(qd, 20 days, 2 * 365 days);
        hevm.prank(qdKey);
        directory.setRegistrarTerms(20 days, 2 * 365 days);
        (, n2, t2) = directory.actorWithTerms(qdKey2);
        assertEq(n2, 20 days, "every key follows");
        assertEq(t2, 2 * 365 days, "every key follows");
        hevm.prank(qdKey);
        directory.setRegistrarTerms(0, 0);
        (n, t) = directory.termsOf(qd);
        assertEq(n, 10 days, "zero means default notice");
        assertEq(t, 3 * 365 days, "zero means default term");
        // the bounds themselves are allowed, one past them is not
        hevm.prank(qdKey);
        directory.setRegistrarTerms(5 days, 5 * 365 days);
        hevm.prank(qdKey);
        directory.setRegistrarTerms(60 days, 365 days);
        IOrgDirectory.TermBounds memory b = directory.termBounds();
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.TermsOutOfBounds.selector, 5 days - 1, 0, b));
        directory.setRegistrarTerms(5 days - 1, 0);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.TermsOutOfBounds.selector, 60 days + 1, 0, b));
        directory.setRegistrarTerms(60 days + 1, 0);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.TermsOutOfBounds.selector, 0, 365 days - 1, b));
        directory.setRegistrarTerms(0, 365 days - 1);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.TermsOutOfBounds.selector, 0, 5 * 365 days + 1, b));
        directory.setRegistrarTerms(0, 5 * 365 days + 1);
    }

    // ------------------------------------------------------------------ agreements

    function test_agreementNeedsThePartnerAndMovesThroughItsStates() public {
        bytes32 id = keccak256(abi.encode(qd < wh ? qd : wh, qd < wh ? wh : qd));
        hevm.prank(qdKey);
        assertEq32(directory.proposeAgreement(wh), id, "agreement id");
        IOrgDirectory.Agreement memory ag = directory.agreement(id);
        assertEq32(ag.proposerOrgId, qd, "proposer");
        assertEq32(ag.partnerOrgId, wh, "partner");
        assertEq(ag.updatedAt, block.timestamp, "updated");
        assertTrue(ag.status == IOrgDirectory.AgreementStatus.Proposed, "proposed");
        assertTrue(!directory.agreementActive(qd, wh), "not active yet");

        // the proposer cannot accept its own proposal, nor propose twice
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IOrgDirectory.IllegalAgreementTransition.selector, id, IOrgDirectory.AgreementStatus.Proposed,
                IOrgDirectory.AgreementStatus.Proposed
            )
        );
        directory.acceptAgreement(wh);
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IOrgDirectory.IllegalAgreementTransition.selector, id, IOrgDirectory.AgreementStatus.Proposed,
                IOrgDirectory.AgreementStatus.Withdrawn
            )
        );
        directory.proposeAgreement(wh);

        hevm.warp(block.timestamp + 5);
        hevm.prank(whKey);
        directory.acceptAgreement(qd);
        assertTrue(directory.agreementActive(wh, qd), "active both ways");
        assertEq(directory.agreement(id).updatedAt, block.timestamp, "updated on accept");
        hevm.prank(whKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IOrgDirectory.IllegalAgreementTransition.selector, id, IOrgDirectory.AgreementStatus.Active,
                IOrgDirectory.AgreementStatus.Withdrawn
            )
        );
        directory.proposeAgreement(qd);
        hevm.prank(qdKey);
        directory.withdrawAgreement(wh);
        assertTrue(directory.agreement(id).status == IOrgDirectory.AgreementStatus.Withdrawn, "withdrawn");
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IOrgDirectory.IllegalAgreementTransition.selector, id, IOrgDirectory.AgreementStatus.Withdrawn,
                IOrgDirectory.AgreementStatus.Active
            )
        );
        directory.withdrawAgreement(wh);
        // withdrawn may be proposed again
        hevm.prank(whKey);
        directory.proposeAgreement(qd);
        assertEq32(directory.agreement(id).proposerOrgId, wh, "new proposer");

        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.SelfAgreement.selector, qd));
        directory.proposeAgreement(qd);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.UnknownRegistrar.selector, holder));
        directory.proposeAgreement(holder);
    }

    // ------------------------------------------------------------------ governance

    function test_proposalRecordApprovalsAndExecution() public {
        _governance(IOrgDirectory.ProposalKind.SetThreshold, abi.encode(uint32(3)));
        bytes memory params = abi.encode(uint32(2));
        bytes32 id = keccak256(abi.encode(IOrgDirectory.ProposalKind.SetThreshold, keccak256(params), qd, uint64(1)));
        hevm.prank(qdKey);
        assertEq32(directory.propose(IOrgDirectory.ProposalKind.SetThreshold, params), id, "proposal id");
        IOrgDirectory.Proposal memory p = directory.proposal(id);
        assertTrue(p.status == IOrgDirectory.ProposalStatus.Open, "open");
        assertEq(p.approvals, 1, "the proposer approves");
        assertEq(p.createdAt, block.timestamp, "created");
        assertEq(p.expiresAt, block.timestamp + 14 days, "expires");
        assertEq32(p.proposerOrgId, qd, "proposer");
        assertTrue(directory.hasApproved(id, qd), "proposer approved");
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.AlreadyApproved.selector, id, qd));
        directory.approve(id);

        p.approvals = 2;
        _expectEmit(address(directory));
        emit IOrgDirectory.ProposalApproved(id, xm, p);
        hevm.prank(xmKey);
        directory.approve(id);
        assertEq(directory.threshold(), 3, "not yet: 2 of 3");
        assertTrue(directory.hasApproved(id, xm), "xm approved");

        hevm.warp(block.timestamp + 14 days - 1);
        p.approvals = 3;
        p.status = IOrgDirectory.ProposalStatus.Executed;
        _expectEmit(address(directory));
        emit IOrgDirectory.ThresholdSet(2, 3);
        hevm.prank(whKey);
        directory.approve(id);
        assertEq(directory.threshold(), 2, "executed at the third approval, one second before expiry");
        assertTrue(directory.proposal(id).status == IOrgDirectory.ProposalStatus.Executed, "executed");
        hevm.prank(whKey);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.ProposalNotOpen.selector, id, IOrgDirectory.ProposalStatus.Executed)
        );
        directory.approve(id);
        hevm.prank(whKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.UnknownProposal.selector, keccak256("none")));
        directory.approve(keccak256("none"));
        hevm.prank(holderKey);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.NotOrgOfKind.selector, holderKey, ILedgerDirectory.OrgKind.Registrar)
        );
        directory.propose(IOrgDirectory.ProposalKind.SetThreshold, params);
    }

    function test_cancelledProposalIsAnnouncedAndClosed() public {
        hevm.prank(qdKey);
        bytes32 id = directory.propose(IOrgDirectory.ProposalKind.SetThreshold, abi.encode(uint32(3)));
        IOrgDirectory.Proposal memory p = directory.proposal(id);
        p.status = IOrgDirectory.ProposalStatus.Cancelled;
        _expectEmit(address(directory));
        emit IOrgDirectory.ProposalCancelled(id, qd, p);
        hevm.prank(qdKey);
        directory.cancelProposal(id);
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.ProposalNotOpen.selector, id, IOrgDirectory.ProposalStatus.Cancelled)
        );
        directory.cancelProposal(id);
        hevm.prank(xmKey);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.ProposalNotOpen.selector, id, IOrgDirectory.ProposalStatus.Cancelled)
        );
        directory.approve(id);
    }

    function test_thresholdProposalsOutsideTwoToActiveAreRefused() public {
        hevm.prank(qdKey);
        bytes32 low = directory.propose(IOrgDirectory.ProposalKind.SetThreshold, abi.encode(uint32(1)));
        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.InvalidThreshold.selector, uint32(1), uint32(3)));
        directory.approve(low);
        hevm.prank(qdKey);
        bytes32 high = directory.propose(IOrgDirectory.ProposalKind.SetThreshold, abi.encode(uint32(4)));
        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.InvalidThreshold.selector, uint32(4), uint32(3)));
        directory.approve(high);
    }

    function test_termBoundsProposalsAreCheckedAndClampEveryRegistrar() public {
        hevm.prank(qdKey);
        directory.setRegistrarTerms(60 days, 5 * 365 days);
        // each bound broken alone is refused
        IOrgDirectory.TermBounds[6] memory bad = [
            IOrgDirectory.TermBounds(5 days - 1, 60 days, 365 days, 5 * 365 days),
            IOrgDirectory.TermBounds(5 days, 60 days + 1, 365 days, 5 * 365 days),
            IOrgDirectory.TermBounds(20 days, 10 days, 365 days, 5 * 365 days),
            IOrgDirectory.TermBounds(5 days, 60 days, 365 days - 1, 5 * 365 days),
            IOrgDirectory.TermBounds(5 days, 60 days, 365 days, 5 * 365 days + 1),
            IOrgDirectory.TermBounds(5 days, 60 days, 4 * 365 days, 2 * 365 days)
        ];
        for (uint256 i = 0; i < bad.length; ++i) {
            hevm.prank(qdKey);
            bytes32 id = directory.propose(IOrgDirectory.ProposalKind.SetTermBounds, abi.encode(bad[i]));
            hevm.prank(xmKey);
            hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.InvalidTermBounds.selector, bad[i]));
            directory.approve(id);
        }
        IOrgDirectory.TermBounds memory b = IOrgDirectory.TermBounds(7 days, 30 days, 2 * 365 days, 4 * 365 days);
        hevm.prank(qdKey);
        bytes32 ok = directory.propose(IOrgDirectory.ProposalKind.SetTermBounds, abi.encode(b));
        _expectEmit(address(directory));
        emit IOrgDirectory.TermBoundsSet(b);
        hevm.prank(xmKey);
        directory.approve(ok);
        IOrgDirectory.TermBounds memory got = directory.termBounds();
        assertTrue(
            got.noticeMin == b.noticeMin && got.noticeMax == b.noticeMax && got.termMin == b.termMin
                && got.termMax == b.termMax,
            "bounds stored"
        );
        (uint64 n, uint64 t) = directory.termsOf(qd);
        assertEq(n, 30 days, "qd notice clamped down");
        assertEq(t, 4 * 365 days, "qd term clamped down");
        (n, t) = directory.termsOf(xm);
        assertEq(n, 10 days, "xm default notice inside");
        assertEq(t, 3 * 365 days, "xm default term inside");
        (, n, t) = directory.actorWithTerms(qdKey);
        assertEq(n, 30 days, "key copy follows");
        assertEq(t, 4 * 365 days, "key copy follows");
        IOrgDirectory.TermBounds memory hard = directory.hardLimits();
        assertEq(hard.noticeMin, NOTICE_FLOOR, "hard floor");
        assertEq(hard.termMax, 5 * 365 days, "hard ceiling");
    }

    function test_governanceAdmitsARegistrarWithDefaultTermsAndCountsIt() public {
        uint32 city = 440300;
        address key = address(0x6003);
        bytes32 id = keccak256(abi.encode(ILedgerDirectory.OrgKind.Registrar, city, keccak256("shenzhen")));
        hevm.prank(qdKey);
        bytes32 p = directory.propose(IOrgDirectory.ProposalKind.AdmitRegistrar, abi.encode(city, keccak256("shenzhen"), key));
        _expectEmit(address(directory));
        emit IOrgDirectory.RegistrarTermsSet(id, 10 days, 3 * 365 days);
        hevm.prank(xmKey);
        directory.approve(p);
        assertEq32(directory.registrarOf(city), id, "registrar of the city");
        assertEq(directory.activeRegistrars(), 4, "four");
        IOrgDirectory.Actor memory a = directory.actorOf(key);
        assertTrue(a.orgId == id && a.kind == ILedgerDirectory.OrgKind.Registrar && a.city == city, "acts");
        hevm.prank(qdKey);
        bytes32 again =
            directory.propose(IOrgDirectory.ProposalKind.AdmitRegistrar, abi.encode(city, keccak256("other"), FRESH));
        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.RegistrarExists.selector, city, id));
        directory.approve(again);
    }

    function test_governanceActivationRefusesNonRegistrarsAndUnknownKeys() public {
        hevm.prank(qdKey);
        bytes32 p = directory.propose(IOrgDirectory.ProposalKind.SetRegistrarActive, abi.encode(holder, false));
        hevm.prank(xmKey);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.InvalidOrgKind.selector, ILedgerDirectory.OrgKind.Holder)
        );
        directory.approve(p);
        hevm.prank(qdKey);
        p = directory.propose(IOrgDirectory.ProposalKind.MarkKeyCompromised, abi.encode(FRESH, uint64(1)));
        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.KeyNotLive.selector, FRESH));
        directory.approve(p);
        // suspending one of three at threshold 2 is allowed, and re-suspending changes nothing
        _governance(IOrgDirectory.ProposalKind.SetRegistrarActive, abi.encode(wh, false));
        assertEq(directory.activeRegistrars(), 2, "two");
        _governance(IOrgDirectory.ProposalKind.SetRegistrarActive, abi.encode(wh, false));
        assertEq(directory.activeRegistrars(), 2, "still two");
    }

    function test_bootstrapPhaseRulesAndHandoverEvents() public {
        OrgDirectory fresh = new OrgDirectory(1 hours);
        IOrgDirectory.TermBounds memory b = fresh.termBounds();
        assertEq(b.noticeMin, 1 hours, "deploy-time floor");
        assertEq(b.noticeMax, 60 days, "ceiling");
        hevm.expectRevert(
            abi.encodeWithSelector(
                IOrgDirectory.InvalidTermBounds.selector, IOrgDirectory.TermBounds(0, 60 days, 365 days, 5 * 365 days)
            )
        );
        new OrgDirectory(0);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IOrgDirectory.InvalidTermBounds.selector,
                IOrgDirectory.TermBounds(5 days + 1, 60 days, 365 days, 5 * 365 days)
            )
        );
        new OrgDirectory(5 days + 1);
        new OrgDirectory(5 days);

        bytes32 r1 = fresh.bootstrapRegistrar(QD, keccak256("qd"), address(0x1));
        fresh.bootstrapRegistrar(XM, keccak256("xm"), address(0x2));
        (uint64 n,) = fresh.termsOf(r1);
        assertEq(n, 10 days, "default notice within the bounds");
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.RegistrarExists.selector, QD, r1));
        fresh.bootstrapRegistrar(QD, keccak256("qd2"), address(0x3));
        hevm.prank(address(0x1));
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotBootstrapper.selector, address(0x1)));
        fresh.bootstrapRegistrar(WH, keccak256("wh"), address(0x3));
        _expectEmit(address(fresh));
        emit IOrgDirectory.HandoverBegun(address(this), 2);
        fresh.beginHandover(2);
        assertEq(fresh.threshold(), 2, "threshold set");
        _expectEmit(address(fresh));
        emit IOrgDirectory.HandoverAccepted(keccak256(abi.encode(ILedgerDirectory.OrgKind.Registrar, XM, keccak256("xm"))), 2, 2);
        hevm.prank(address(0x2));
        fresh.acceptHandover();
        hevm.prank(address(0x2));
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.HandoverState.selector, true, true));
        fresh.acceptHandover();
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotBootstrapper.selector, address(this)));
        fresh.bootstrapRegistrar(WH, keccak256("wh"), address(0x3));
    }

    function test_recognitionWorksFromAKeysFirstSecond() public {
        (, bytes32 certId) = _certified();
        address exchange2Key = address(0x4018);
        hevm.prank(qdKey);
        bytes32 exchange2 = directory.admitOrg(ILedgerDirectory.OrgKind.Exchange, keccak256("exchange 2"), exchange2Key);
        hevm.prank(exchange2Key);
        registry.recognise(certId);
        assertTrue(registry.isRecognised(certId, exchange2), "recognised in the key's first second");
    }
}
