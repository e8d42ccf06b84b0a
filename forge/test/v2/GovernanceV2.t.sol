// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "contracts/interfaces/ILedgerDirectory.sol";
import {OrgDirectory} from "contracts/v2/OrgDirectory.sol";
import {IOrgDirectory} from "contracts/v2/interfaces/IOrgDirectory.sol";
import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";

import {TestBase} from "../utils/TestBase.sol";
import {V2Setup} from "./utils/V2Setup.sol";

/// @title Governance, handover and recognition rules of v2.
contract GovernanceV2Test is TestBase, V2Setup {
    function setUp() public {
        _deployLedger();
    }

    function test_handoverNeedsTwoStepsAndAThresholdOfAtLeastTwo() public {
        OrgDirectory fresh = new OrgDirectory(1);
        fresh.bootstrapRegistrar(QD, keccak256("qd"), address(0x1));
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.InvalidThreshold.selector, uint32(2), uint32(1)));
        fresh.beginHandover(2);
        fresh.bootstrapRegistrar(XM, keccak256("xm"), address(0x2));
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.InvalidThreshold.selector, uint32(1), uint32(2)));
        fresh.beginHandover(1);
        hevm.prank(address(0x1));
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.HandoverState.selector, false, false));
        fresh.acceptHandover();
        hevm.prank(address(0x1));
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.GovernanceNotLive.selector));
        fresh.propose(IOrgDirectory.ProposalKind.SetThreshold, abi.encode(uint32(2)));
        fresh.beginHandover(2);
        assertEq(fresh.bootstrapper(), address(this), "still bootstrapping");
        hevm.prank(address(0x2));
        fresh.acceptHandover();
        assertEq(fresh.bootstrapper(), address(0), "handed over");
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotBootstrapper.selector, address(this)));
        fresh.beginHandover(2);
    }

    function test_suspensionBelowThresholdIsRefusedAndReinstatementWorks() public {
        _governance(IOrgDirectory.ProposalKind.SetThreshold, abi.encode(uint32(3)));
        assertEq(directory.threshold(), 3, "3 of 3");
        hevm.prank(qdKey);
        bytes32 p = directory.propose(IOrgDirectory.ProposalKind.SetRegistrarActive, abi.encode(wh, false));
        hevm.prank(xmKey);
        directory.approve(p);
        hevm.prank(whKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.InvalidThreshold.selector, uint32(3), uint32(2)));
        directory.approve(p);
        hevm.prank(qdKey);
        bytes32 lower = directory.propose(IOrgDirectory.ProposalKind.SetThreshold, abi.encode(uint32(2)));
        hevm.prank(xmKey);
        directory.approve(lower);
        hevm.prank(whKey);
        directory.approve(lower);
        _governance(IOrgDirectory.ProposalKind.SetRegistrarActive, abi.encode(wh, false));
        assertEq(directory.activeRegistrars(), 2, "suspended");
        hevm.prank(whKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotOrgOfKind.selector, whKey, ILedgerDirectory.OrgKind.Registrar));
        directory.admitOrg(ILedgerDirectory.OrgKind.Holder, keccak256("wuhan holder"), address(0x6001));
        _governance(IOrgDirectory.ProposalKind.SetRegistrarActive, abi.encode(wh, true));
        assertEq(directory.activeRegistrars(), 3, "reinstated");
    }

    function test_proposalsLapseAndOnlyTheProposerCancels() public {
        hevm.prank(qdKey);
        bytes32 p = directory.propose(IOrgDirectory.ProposalKind.SetThreshold, abi.encode(uint32(3)));
        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.NotOrgKey.selector, xmKey, qd));
        directory.cancelProposal(p);
        hevm.warp(block.timestamp + 14 days);
        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IOrgDirectory.ProposalExpired.selector, p, uint64(block.timestamp)));
        directory.approve(p);
        hevm.prank(qdKey);
        directory.cancelProposal(p);
        assertTrue(directory.proposal(p).status == IOrgDirectory.ProposalStatus.Cancelled, "cancelled");
        assertEq(directory.threshold(), 2, "unchanged");
    }

    function test_governanceDatesBackACompromiseOfAnyKey() public {
        (bytes32 assetId, bytes32 certId) = _certified();
        uint64 since = registry.certificate(certId).issuedAt;
        _governance(IOrgDirectory.ProposalKind.MarkKeyCompromised, abi.encode(qdKey, since));
        assertEq(directory.signingKey(qdKey).compromisedAt, since, "dated back");
        (bool valid,, IAssetRegistryV2.SignatureCheck check,) = verifier.verifyCertificateSignature(
            _doc(certId), _sign(PK_QD, registry.certificateDigest(certId))
        );
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.KeyCompromised, "compromised at issue");
        assertTrue(assetId != 0, "asset");
    }

    function test_recognitionByPartnersAgreementsAndNotByTheIssuer() public {
        (, bytes32 certId) = _certified();
        uint32 qdIndex = directory.org(qd).index;
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.SelfRecognition.selector, qdIndex));
        registry.recognise(certId);
        hevm.prank(exchangeKey);
        registry.recognise(certId);
        assertTrue(registry.isRecognised(certId, exchange), "exchange recognised");
        assertTrue(!registry.isRecognised(certId, wh), "not Wuhan");
        hevm.prank(whKey);
        directory.proposeAgreement(qd);
        hevm.prank(qdKey);
        directory.acceptAgreement(wh);
        assertTrue(registry.isRecognised(certId, wh), "by agreement");
        assertTrue(verifier.verify(certId, wh).recognised, "verify shows it");
        hevm.prank(qdKey);
        registry.revokeCertificate(certId, 2);
        assertTrue(!registry.isRecognised(certId, exchange), "revoked is recognised by nobody");
        hevm.prank(whKey);
        directory.withdrawAgreement(qd);
        assertTrue(!directory.agreementActive(qd, wh), "withdrawn at once");
    }

    function _doc(bytes32 certId) private view returns (IAssetRegistryV2.CertificateDocument memory) {
        IAssetRegistryV2.Certificate memory c = registry.certificate(certId);
        return IAssetRegistryV2.CertificateDocument(
            certId, c.assetId, c.registrarOrgId, c.holderOrgId, c.metadataHash, uint8(c.kind), c.issuedAt
        );
    }

    function _sign(uint256 pk, bytes32 digest) private pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = hevm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }
}
