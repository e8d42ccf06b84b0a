// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "contracts/interfaces/ILedgerDirectory.sol";
import {IOrgDirectory} from "contracts/v2/interfaces/IOrgDirectory.sol";
import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";
import {IUseAndFinance} from "contracts/v2/interfaces/IUseAndFinance.sol";
import {IRevenueSplitV2} from "contracts/v2/interfaces/IRevenueSplitV2.sol";

import {TestBase} from "../utils/TestBase.sol";
import {V2Setup, VmV2} from "./utils/V2Setup.sol";

/// @title Issue 12's findings 1-7, each played as the insider or outsider against v2.
contract FindingsV2Test is TestBase, V2Setup {
    function setUp() public {
        _deployLedger();
    }

    // ------------------------------------------------------------------ finding 1

    /// Deregistration ends the asset: no payment, off-chain record, paid-use approval, pledge
    /// confirmation, credit line or equity, and nothing moves it again.
    function test_finding1_deregisteredAssetIsNeitherPayableNorFinanceable() public {
        (bytes32 assetId, bytes32 certId) = _payable();
        _pay(assetId, 50_000_00);
        hevm.prank(holderKey);
        bytes32 pledgeId = uaf.requestPledge(assetId, bank, 1_000_000, keccak256("pledge"));
        hevm.prank(holderKey);
        bytes32 appId = uaf.applyForPaidUse(assetId, keccak256("scope 2"), operator);

        hevm.prank(qdKey);
        bytes32 deregId = registry.amendCertificate(certId, IAssetRegistryV2.RegistrationKind.Deregistration, keccak256("dereg"));
        assertTrue(registry.certificateStatus(deregId) == IAssetRegistryV2.CertificateStatus.Active, "final cert active");
        bytes memory err = _notUsable(assetId, IAssetRegistryV2.Usability.Deregistered);

        hevm.expectRevert(err);
        _pay(assetId, 50_000_00);
        hevm.prank(operatorKey);
        hevm.expectRevert(err);
        split.recordOffchainPayment(assetId, 50_000_00, keccak256("bank ref"));
        hevm.prank(bankKey);
        hevm.expectRevert(err);
        uaf.confirmPledge(pledgeId);
        hevm.prank(bankKey);
        hevm.expectRevert(err);
        uaf.recordCreditLine(assetId, 60_000_000, keccak256("line"));
        hevm.prank(holderKey);
        hevm.expectRevert(err);
        uaf.recordEquityContribution(assetId, 1_000_000, keccak256("equity"));
        hevm.prank(competentKey);
        uaf.reviewPaidUse(appId, true, 0);
        hevm.prank(dataAdminKey);
        uaf.reviewPaidUse(appId, true, 0);
        hevm.prank(financeKey);
        hevm.expectRevert(err);
        uaf.decidePaidUse(appId, true, 0);

        // terminal: no renewal, amendment, revocation or disposal
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.IllegalTransition.selector,
                assetId,
                IAssetRegistryV2.AssetStatus.Deregistered,
                IAssetRegistryV2.AssetStatus.Certified
            )
        );
        registry.renewCertificate(deregId);
        hevm.prank(holderKey);
        hevm.expectRevert(err);
        uaf.requestDisposal(assetId, keccak256("dispose"));
        assertTrue(registry.assetState(assetId).status == IAssetRegistryV2.AssetStatus.Deregistered, "terminal");
    }

    // ------------------------------------------------------------------ finding 2

    /// Revocation and expiry stop payments at once; re-issue (reasons 2, 6) and renewal
    /// restore them; other reasons send the asset back through notice.
    function test_finding2_revocationAndExpirySuspendUseAndCertificationRestoresIt() public {
        (bytes32 assetId, bytes32 certId) = _payable();
        _pay(assetId, 80_000_00);

        hevm.prank(qdKey);
        registry.revokeCertificate(certId, 2);
        hevm.expectRevert(_notUsable(assetId, IAssetRegistryV2.Usability.CertificateRevoked));
        _pay(assetId, 80_000_00);
        hevm.prank(operatorKey);
        hevm.expectRevert(_notUsable(assetId, IAssetRegistryV2.Usability.CertificateRevoked));
        split.recordOffchainPayment(assetId, 80_000_00, keccak256("bank ref"));

        hevm.prank(qdKey);
        bytes32 newId = registry.reissueCertificate(certId);
        assertTrue(newId != certId, "new id");
        assertTrue(registry.certificate(certId).replacedBy == newId, "supersedes the revoked one");
        assertTrue(registry.certificate(newId).supersedes == certId, "links back");
        _pay(assetId, 80_000_00);

        hevm.warp(registry.certificate(newId).validUntil);
        hevm.expectRevert(_notUsable(assetId, IAssetRegistryV2.Usability.CertificateExpired));
        _pay(assetId, 80_000_00);
        hevm.prank(qdKey);
        registry.renewCertificate(newId);
        _pay(assetId, 80_000_00);

        // a revocation on the holder's request (3) leads back to Registered: notice again
        hevm.prank(qdKey);
        registry.revokeCertificate(newId, 3);
        assertTrue(registry.assetState(assetId).status == IAssetRegistryV2.AssetStatus.Registered, "back");
        hevm.expectRevert(_notUsable(assetId, IAssetRegistryV2.Usability.NotCertified));
        _pay(assetId, 80_000_00);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotReissuable.selector, newId, uint32(3)));
        registry.reissueCertificate(newId);
        hevm.prank(qdKey);
        registry.recordCompliance(assetId, true, keccak256("compliance again"));
        _issue(assetId);
        _pay(assetId, 80_000_00);
    }

    // ------------------------------------------------------------------ finding 3

    /// One registrar key cannot hold or change another organisation's keys, act as another
    /// kind or city, redirect money, or admit a registrar alone; the deployer keeps no power.
    function test_finding3_oneRegistrarCannotPlayEveryRole() public {
        hevm.startPrank(qdKey);
        // no key of another organisation: not added, removed or marked
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.AccountInUse.selector, qdKey, qd));
        directory.admitOrg(ILedgerDirectory.OrgKind.FinanceDepartment, keccak256("shadow finance"), qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotOrgKey.selector, qdKey, finance));
        directory.removeSigningKey(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotOrgKey.selector, qdKey, finance));
        directory.markKeyCompromised(financeKey, uint64(block.timestamp));
        // a key it proposes joins its own organisation only
        directory.proposeSigningKey(address(0xBAD), 0);
        hevm.stopPrank();
        hevm.prank(address(0xBAD));
        directory.acceptSigningKey(qd);
        assertTrue(directory.signingKey(address(0xBAD)).orgId == qd, "joins the registrar");

        // no other role, no money route
        (bytes32 assetId,) = _certified();
        hevm.prank(holderKey);
        bytes32 appId = uaf.applyForPaidUse(assetId, keccak256("scope"), operator);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.KindNotAllowed.selector, qdKey, uint8(1)));
        uaf.reviewPaidUse(appId, true, 0);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IUseAndFinance.NotOrgOfKind.selector, qdKey, uint8(5)));
        uaf.decidePaidUse(appId, true, 0);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotFinanceDepartment.selector, qdKey, QD));
        split.proposeTreasuryAccount(QD, qdKey);

        // money routes: never zero or the split itself, changes only after the delay
        hevm.startPrank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.InvalidAccount.selector, address(0)));
        split.proposeTreasuryAccount(QD, address(0));
        split.proposeTreasuryAccount(QD, address(0x7777));
        hevm.stopPrank();
        assertEq(split.treasuryAccount(QD), treasury, "not yet");
        hevm.expectRevert(
            abi.encodeWithSelector(IRevenueSplitV2.AccountChangeNotDue.selector, uint64(block.timestamp + ACCOUNT_DELAY))
        );
        split.activateTreasuryAccount(QD);
        hevm.warp(block.timestamp + ACCOUNT_DELAY);
        split.activateTreasuryAccount(QD);
        assertEq(split.treasuryAccount(QD), address(0x7777), "after the delay");

        // another city's asset
        hevm.prank(xmHolderKey);
        bytes32 xmAsset = registry.registerResource(keccak256("xm cat"), keccak256("xm meta"), 3);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.WrongCity.selector, XM, QD));
        registry.recordValuation(xmAsset, 1, 1, keccak256("v"));

        // governance: one registrar alone admits nobody
        hevm.prank(qdKey);
        bytes32 p = directory.propose(
            IOrgDirectory.ProposalKind.AdmitRegistrar, abi.encode(uint32(110000), keccak256("Beijing"), address(0xBEEF))
        );
        assertTrue(directory.registrarOf(110000) == 0, "one approval is not enough");
        hevm.prank(address(0xBAD)); // a second key of the same registrar
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.AlreadyApproved.selector, p, qd));
        directory.approve(p);
        hevm.prank(xmKey);
        directory.approve(p);
        assertTrue(directory.registrarOf(110000) != 0, "two of three admit");

        // the deploying account has no power after the handover
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotBootstrapper.selector, address(this)));
        directory.bootstrapRegistrar(120000, keccak256("Tianjin"), address(0xD00D));

        // a suspended registrar's certificates say so in verify()
        hevm.prank(xmKey);
        directory.setRegistrarTerms(NOTICE_FLOOR, 0);
        hevm.prank(xmKey);
        registry.recordValuation(xmAsset, 1, 1, keccak256("v"));
        hevm.prank(xmKey);
        registry.recordCompliance(xmAsset, true, keccak256("c"));
        hevm.warp(block.timestamp + NOTICE_FLOOR);
        hevm.prank(xmKey);
        bytes32 xmCert = registry.issueCertificate(xmAsset);
        assertTrue(verifier.verify(xmCert, 0).registrarActive, "active before");
        _governance(IOrgDirectory.ProposalKind.SetRegistrarActive, abi.encode(xm, false));
        assertTrue(!verifier.verify(xmCert, 0).registrarActive, "suspended registrar shown");
    }

    // ------------------------------------------------------------------ finding 4

    /// The deregistration certificate's event is emitted after its record is complete: the
    /// document rebuilt from the event matches the record and its signature verifies.
    function test_finding4_deregistrationEventMatchesRecordAndItsSignatureVerifies() public {
        (, bytes32 certId) = _certified();
        bytes32 metadata = keccak256("deregistration document");
        hevm.recordLogs();
        hevm.prank(qdKey);
        bytes32 deregId = registry.amendCertificate(certId, IAssetRegistryV2.RegistrationKind.Deregistration, metadata);
        VmV2.Log[] memory logs = hevm.getRecordedLogs();
        IAssetRegistryV2.Certificate memory fromEvent;
        IAssetRegistryV2.AssetState memory stateFromEvent;
        bool found;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] == IAssetRegistryV2.CertificateIssued.selector && logs[i].topics[1] == deregId) {
                (fromEvent, stateFromEvent) =
                    abi.decode(logs[i].data, (IAssetRegistryV2.Certificate, IAssetRegistryV2.AssetState));
                found = true;
            }
        }
        assertTrue(found, "CertificateIssued for the deregistration");
        IAssetRegistryV2.Certificate memory stored = registry.certificate(deregId);
        assertTrue(fromEvent.metadataHash == metadata && stored.metadataHash == metadata, "metadata in event and record");
        assertTrue(keccak256(abi.encode(fromEvent)) == keccak256(abi.encode(stored)), "event == record");
        assertTrue(stateFromEvent.status == IAssetRegistryV2.AssetStatus.Deregistered, "asset state in the event");

        IAssetRegistryV2.CertificateDocument memory doc = IAssetRegistryV2.CertificateDocument(
            deregId,
            fromEvent.assetId,
            fromEvent.registrarOrgId,
            fromEvent.holderOrgId,
            fromEvent.metadataHash,
            uint8(fromEvent.kind),
            fromEvent.issuedAt
        );
        (uint8 v, bytes32 r, bytes32 s) = hevm.sign(PK_QD, registry.certificateDigest(deregId));
        (bool valid,, IAssetRegistryV2.SignatureCheck check,) =
            verifier.verifyCertificateSignature(doc, abi.encodePacked(r, s, v));
        assertTrue(valid && check == IAssetRegistryV2.SignatureCheck.Valid, "document from the event verifies");
    }

    // ------------------------------------------------------------------ finding 5

    /// A key marked compromised as of T signs nothing valid for certificates issued from T on
    /// and cannot act; revocation for reason 6 and re-issue under a new key restore a valid
    /// certificate; the verifier reports revoked certificates as not valid.
    function test_finding5_compromisedKeyHasARemedy() public {
        (bytes32 assetA, bytes32 certA) = _certified();
        address qdKey2 = hevm.addr(PK_QD2);
        hevm.prank(qdKey);
        directory.proposeSigningKey(qdKey2, 0);
        hevm.prank(qdKey2);
        directory.acceptSigningKey(qd);

        uint64 leakedAt = uint64(block.timestamp + 1 hours);
        bytes32 assetB = _register();
        _openNotice(assetB);
        hevm.warp(block.timestamp + NOTICE);
        hevm.prank(qdKey); // the attacker, with the leaked key, issues after the leak
        bytes32 certB = registry.issueCertificate(assetB);
        bytes memory forged = _signature(PK_QD, certB);

        // another key of the registrar may only mark as of now; the key itself may date back
        hevm.prank(qdKey2);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IOrgDirectory.InvalidCompromiseTime.selector, qdKey, leakedAt, uint64(block.timestamp), uint64(block.timestamp)
            )
        );
        directory.markKeyCompromised(qdKey, leakedAt);
        hevm.prank(qdKey);
        directory.markKeyCompromised(qdKey, leakedAt);

        (bool valid,, IAssetRegistryV2.SignatureCheck check,) = verifier.verifyCertificateSignature(_doc(certB), forged);
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.KeyCompromised, "after the leak: compromised");
        (valid,, check,) = verifier.verifyCertificateSignature(_doc(certA), _signature(PK_QD, certA));
        assertTrue(valid && check == IAssetRegistryV2.SignatureCheck.Valid, "before the leak: still valid");

        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotOrgOfKind.selector, qdKey, uint8(1)));
        registry.renewCertificate(certB);

        // the remedy: revoke for key compromise (6), re-issue, sign with the new key
        hevm.prank(qdKey2);
        registry.revokeCertificate(certB, 6);
        (valid,, check, ) = verifier.verifyCertificateSignature(_doc(certB), _signature(PK_QD2, certB));
        assertTrue(!valid, "revoked is not valid");
        hevm.prank(qdKey2);
        bytes32 certC = registry.reissueCertificate(certB);
        IAssetRegistryV2.CertificateStatus status;
        (valid,, check, status) = verifier.verifyCertificateSignature(_doc(certC), _signature(PK_QD2, certC));
        assertTrue(valid && status == IAssetRegistryV2.CertificateStatus.Active, "re-issued under the new key");
        (,, check, status) = verifier.verifyCertificateSignature(_doc(certB), _signature(PK_QD2, certB));
        assertTrue(status == IAssetRegistryV2.CertificateStatus.Revoked, "old one reports revoked");
        assertTrue(assetA != assetB, "two assets");
    }

    // ------------------------------------------------------------------ finding 6

    /// Terms within bounds; a dispute suspends every use and shows in verify(); objections
    /// from another city are rate-limited and dismissible.
    function test_finding6_boundsDisputesAndForeignObjections() public {
        IOrgDirectory.TermBounds memory b = directory.termBounds();
        hevm.startPrank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.TermsOutOfBounds.selector, uint64(1), uint64(0), b));
        directory.setRegistrarTerms(1, 0);
        hevm.expectRevert(
            abi.encodeWithSelector(IOrgDirectory.TermsOutOfBounds.selector, type(uint64).max, uint64(0), b)
        );
        directory.setRegistrarTerms(type(uint64).max, 0);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.TermsOutOfBounds.selector, uint64(0), uint64(1 days), b));
        directory.setRegistrarTerms(0, 1 days);
        directory.setRegistrarTerms(60 days, 5 * 365 days);
        hevm.stopPrank();
        (uint64 notice, uint64 term) = directory.termsOf(qd);
        assertEq(notice, 60 days, "ceiling allowed");
        assertEq(term, 5 * 365 days, "term ceiling allowed");
        // governance narrows the bounds: every registrar's terms are clamped
        _governance(
            IOrgDirectory.ProposalKind.SetTermBounds,
            abi.encode(IOrgDirectory.TermBounds(5 days, 30 days, 365 days, 3 * 365 days))
        );
        (notice, term) = directory.termsOf(qd);
        assertEq(notice, 30 days, "clamped notice");
        assertEq(term, 3 * 365 days, "clamped term");

        // dispute: every use suspended, verify shows it, resolution restores
        hevm.prank(qdKey);
        directory.setRegistrarTerms(0, 0);
        (bytes32 assetId, bytes32 certId) = _payable();
        hevm.prank(holderKey);
        bytes32 pledgeId = uaf.requestPledge(assetId, bank, 1_000_000, keccak256("pledge"));
        hevm.prank(qdKey);
        registry.recordDispute(assetId, keccak256("ownership"));
        bytes memory err = _notUsable(assetId, IAssetRegistryV2.Usability.Disputed);
        hevm.expectRevert(err);
        _pay(assetId, 1_000);
        hevm.prank(bankKey);
        hevm.expectRevert(err);
        uaf.confirmPledge(pledgeId);
        hevm.prank(bankKey);
        hevm.expectRevert(err);
        uaf.recordCreditLine(assetId, 1_000, keccak256("line"));
        IAssetRegistryV2.Verification memory v = verifier.verify(certId, 0);
        assertTrue(v.disputed && v.usability == IAssetRegistryV2.Usability.Disputed, "verify shows the dispute");
        hevm.prank(qdKey);
        registry.resolveDispute(assetId, keccak256("settled"));
        _pay(assetId, 1_000);
        hevm.prank(bankKey);
        uaf.confirmPledge(pledgeId);

        // objections from another city: at most 3 a day per objector, dismissible
        bytes32 inNotice = _register();
        _openNotice(inNotice);
        bytes32[] memory ids = new bytes32[](3);
        for (uint256 i = 0; i < 3; ++i) {
            hevm.prank(xmHolderKey);
            ids[i] = registry.lodgeObjection(inNotice, keccak256(abi.encode("objection", i)));
        }
        hevm.prank(xmHolderKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.ObjectionRateLimited.selector, xmHolder, uint64(block.timestamp + 1 days)
            )
        );
        registry.lodgeObjection(inNotice, keccak256("fourth"));
        hevm.warp(block.timestamp + NOTICE);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ObjectionsOpen.selector, inNotice, uint16(3)));
        registry.issueCertificate(inNotice);
        for (uint256 i = 0; i < 3; ++i) {
            hevm.prank(qdKey);
            registry.resolveObjection(ids[i], false, keccak256("dismissed"));
        }
        hevm.prank(qdKey);
        registry.issueCertificate(inNotice);
    }

    // ------------------------------------------------------------------ finding 7

    /// The split refuses its own address (and zero, and the token) as a money route, its token
    /// balance stays 0, and stray tokens leave only by k-of-n governance.
    function test_finding7_splitRefusesItsOwnAddressAndHoldsNoTokens() public {
        hevm.prank(financeKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.InvalidAccount.selector, address(split)));
        split.proposeTreasuryAccount(QD, address(split));
        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.InvalidAccount.selector, address(split)));
        split.proposePayoutAccount(address(split));
        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.InvalidAccount.selector, address(token)));
        split.proposePayoutAccount(address(token));

        (bytes32 assetId,) = _payable();
        _pay(assetId, 1_000_000_00);
        assertEq(token.balanceOf(address(split)), 0, "passes through");
        assertEq(token.balanceOf(payout) + token.balanceOf(treasury), 1_000_000_00, "all delivered");

        hevm.prank(merchantKey);
        token.transfer(address(split), 5); // stray
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IRevenueSplitV2.NotGovernance.selector, qdKey));
        split.sweep(address(token), qdKey);
        _governance(IOrgDirectory.ProposalKind.Sweep, abi.encode(address(split), address(token), treasury));
        assertEq(token.balanceOf(address(split)), 0, "swept by governance");
    }

    /// A key joins only the organisation it accepts: a proposal replaced by another
    /// organisation (a registrar, say) cannot pull it in.
    function test_keyJoinsOnlyTheOrganisationItAccepts() public {
        address fresh = address(0xF2E5);
        hevm.prank(holderKey);
        directory.proposeSigningKey(fresh, 0);
        hevm.prank(qdKey);
        directory.proposeSigningKey(fresh, 0); // replaces the holder's proposal
        hevm.prank(fresh);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NoPendingKey.selector, fresh));
        directory.acceptSigningKey(holder);
        assertTrue(directory.signingKey(fresh).orgId == 0, "joined nobody");
        hevm.prank(holderKey);
        directory.proposeSigningKey(fresh, 0);
        hevm.prank(fresh);
        directory.acceptSigningKey(holder);
        assertTrue(directory.signingKey(fresh).orgId == holder, "joined the holder with its consent");
    }

    // ------------------------------------------------------------------ pending requests

    /// A holder cancels its own pending application and pledge request; both lapse after
    /// their term.
    function test_pendingRequestsCancelAndExpire() public {
        (bytes32 assetId,) = _certified();
        hevm.startPrank(holderKey);
        bytes32 app1 = uaf.applyForPaidUse(assetId, keccak256("a1"), operator);
        bytes32 app2 = uaf.applyForPaidUse(assetId, keccak256("a2"), operator);
        bytes32 pledge1 = uaf.requestPledge(assetId, bank, 1, keccak256("p1"));
        bytes32 pledge2 = uaf.requestPledge(assetId, bank, 1, keccak256("p2"));
        uaf.cancelApplication(app1);
        uaf.cancelPledgeRequest(pledge1);
        hevm.stopPrank();
        assertTrue(uaf.application(app1).status == IUseAndFinance.ApplicationStatus.Cancelled, "cancelled");
        assertTrue(uaf.financing(pledge1).status == IUseAndFinance.FinancingStatus.Cancelled, "cancelled");
        hevm.warp(block.timestamp + 90 days);
        assertTrue(uaf.application(app2).status == IUseAndFinance.ApplicationStatus.Expired, "lapsed");
        assertTrue(uaf.financing(pledge2).status == IUseAndFinance.FinancingStatus.Expired, "lapsed");
        hevm.prank(competentKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IUseAndFinance.ApplicationExpired.selector, app2, uint64(block.timestamp)
            )
        );
        uaf.reviewPaidUse(app2, true, 0);
    }

    // ------------------------------------------------------------------ helpers

    function _doc(bytes32 certId) private view returns (IAssetRegistryV2.CertificateDocument memory) {
        IAssetRegistryV2.Certificate memory c = registry.certificate(certId);
        return IAssetRegistryV2.CertificateDocument(
            certId, c.assetId, c.registrarOrgId, c.holderOrgId, c.metadataHash, uint8(c.kind), c.issuedAt
        );
    }

    function _signature(uint256 pk, bytes32 certId) private view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = hevm.sign(pk, registry.certificateDigest(certId));
        return abi.encodePacked(r, s, v);
    }
}
