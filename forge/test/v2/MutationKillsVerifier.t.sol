// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";

import {KillsBase} from "./utils/KillsBase.sol";

/// @title CertificateVerifier: every field of verify() and every signature verdict at the
/// edges of a key's window (bench/mutation/results.md).
contract MutationKillsVerifierTest is KillsBase {
    function _doc(bytes32 certId) internal view returns (IAssetRegistryV2.CertificateDocument memory) {
        IAssetRegistryV2.Certificate memory c = registry.certificate(certId);
        return IAssetRegistryV2.CertificateDocument(
            certId, c.assetId, c.registrarOrgId, c.holderOrgId, c.metadataHash, uint8(c.kind), c.issuedAt
        );
    }

    function _sig(uint256 pk, bytes32 certId) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = hevm.sign(pk, registry.certificateDigest(certId));
        return abi.encodePacked(r, s, v);
    }

    function _check(bytes32 certId, uint256 pk)
        internal
        view
        returns (bool valid, address signer, IAssetRegistryV2.SignatureCheck check)
    {
        (valid, signer, check,) = verifier.verifyCertificateSignature(_doc(certId), _sig(pk, certId));
    }

    function _addQdKey2() internal returns (address k) {
        k = hevm.addr(PK_QD2);
        hevm.prank(qdKey);
        directory.proposeSigningKey(k, 0);
        hevm.prank(k);
        directory.acceptSigningKey(qd);
    }

    function test_verifyReportsEveryFieldOfAnActiveCertificate() public {
        (bytes32 assetId, bytes32 certId) = _certified();
        hevm.prank(exchangeKey);
        registry.recognise(certId);
        IAssetRegistryV2.Verification memory v = verifier.verify(certId, exchange);
        assertTrue(v.status == IAssetRegistryV2.CertificateStatus.Active, "status");
        assertTrue(v.kind == IAssetRegistryV2.RegistrationKind.Initial, "kind");
        assertEq32(v.assetId, assetId, "asset");
        assertEq32(v.registrarOrgId, qd, "registrar");
        assertEq32(v.holderOrgId, holder, "holder");
        assertEq(v.validUntil, registry.certificate(certId).validUntil, "valid until");
        assertEq(v.revocationReason, 0, "no reason");
        assertEq32(v.replacedBy, 0, "not replaced");
        assertTrue(!v.pledged, "not pledged");
        assertTrue(v.recognised, "recognised by the exchange");
        assertTrue(!v.disputed, "not disputed");
        assertTrue(v.registrarActive, "registrar active");
        assertTrue(v.assetStatus == IAssetRegistryV2.AssetStatus.Certified, "certified");
        assertTrue(v.usability == IAssetRegistryV2.Usability.Usable, "usable");
        assertTrue(!verifier.verify(certId, wh).recognised, "not by Wuhan");
        assertEq(address(verifier.registry()), address(registry), "registry");
    }

    function test_verifyReportsRevocationReplacementAndDisputes() public {
        (bytes32 assetId, bytes32 certId) = _certified();
        hevm.prank(qdKey);
        registry.recordDispute(assetId, keccak256("d"));
        IAssetRegistryV2.Verification memory v = verifier.verify(certId, 0);
        assertTrue(v.disputed && v.usability == IAssetRegistryV2.Usability.Disputed, "disputed");
        hevm.prank(qdKey);
        registry.resolveDispute(assetId, keccak256("r"));
        hevm.prank(qdKey);
        registry.revokeCertificate(certId, 2);
        v = verifier.verify(certId, 0);
        assertTrue(v.status == IAssetRegistryV2.CertificateStatus.Revoked, "revoked");
        assertEq(v.revocationReason, 2, "reason 2");
        assertTrue(v.usability == IAssetRegistryV2.Usability.CertificateRevoked, "not usable");
        hevm.prank(qdKey);
        bytes32 newId = registry.reissueCertificate(certId);
        v = verifier.verify(certId, 0);
        assertEq32(v.replacedBy, newId, "replaced by");
    }

    function test_verifyOfAnUnknownCertificateSaysSoAndNothingElse() public view {
        IAssetRegistryV2.Verification memory v = verifier.verify(keccak256("none"), exchange);
        assertTrue(v.status == IAssetRegistryV2.CertificateStatus.Unknown, "unknown");
        assertTrue(v.usability == IAssetRegistryV2.Usability.UnknownAsset, "unknown asset");
        assertTrue(v.assetId == 0 && !v.recognised && !v.registrarActive && !v.pledged, "nothing else");
        assertTrue(v.assetStatus == IAssetRegistryV2.AssetStatus.None, "no asset status");
    }

    function test_signatureVerdicts() public {
        (, bytes32 certId) = _certified();
        (bool valid, address signer, IAssetRegistryV2.SignatureCheck check) = _check(certId, PK_QD);
        assertTrue(valid && check == IAssetRegistryV2.SignatureCheck.Valid, "valid");
        assertEq(signer, qdKey, "signer");

        (valid, signer, check) = _check(certId, PK_XM);
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.NotIssuerKey, "another registrar's key");
        assertEq(signer, xmKey, "recovered signer");
        (valid,, check) = _check(certId, 0xD00D);
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.NotIssuerKey, "a key of nobody");

        IAssetRegistryV2.CertificateDocument memory d = _doc(certId);
        d.metadataHash = keccak256("forged metadata");
        IAssetRegistryV2.CertificateStatus status;
        (valid, signer, check, status) = verifier.verifyCertificateSignature(d, _sig(PK_QD, certId));
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.DocumentMismatch, "document mismatch");
        assertEq(signer, address(0), "no signer reported");
        assertTrue(status == IAssetRegistryV2.CertificateStatus.Active, "status still reported");

        (valid,, check,) = verifier.verifyCertificateSignature(_doc(certId), new bytes(65));
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.BadSignature, "bad signature");
        (valid,, check,) = verifier.verifyCertificateSignature(_doc(certId), new bytes(64));
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.BadSignature, "bad length");

        d.certificateId = keccak256("none");
        (valid, signer, check, status) = verifier.verifyCertificateSignature(d, _sig(PK_QD, certId));
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.UnknownCertificate, "unknown certificate");
        assertTrue(status == IAssetRegistryV2.CertificateStatus.Unknown, "unknown status");

        // a good signature on a certificate that is no longer active is not valid
        hevm.prank(qdKey);
        registry.revokeCertificate(certId, 2);
        (valid,, check) = _check(certId, PK_QD);
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.Valid, "signature fine, certificate revoked");
    }

    function test_keyAddedInTheIssueSecondIsLive() public {
        bytes32 a1 = _register();
        _openNotice(a1);
        hevm.warp(block.timestamp + NOTICE);
        address k2 = _addQdKey2();
        hevm.prank(k2);
        bytes32 c1 = registry.issueCertificate(a1);
        (bool valid,, IAssetRegistryV2.SignatureCheck check) = _check(c1, PK_QD2);
        assertTrue(valid && check == IAssetRegistryV2.SignatureCheck.Valid, "live from its first second");

        (, bytes32 c0) = _certified();
        hevm.warp(block.timestamp + 1);
        (valid,, check) = _check(c0, PK_QD2);
        assertTrue(valid && check == IAssetRegistryV2.SignatureCheck.Valid, "issued while key 2 was live");
    }

    function test_keyRemovedAtTheIssueSecondIsNotLiveForIt() public {
        address k2 = _addQdKey2();
        hevm.warp(block.timestamp + 1);
        (, bytes32 before) = _certified();
        // remove k2 in the issue second of a new certificate
        bytes32 a = _register();
        _openNotice(a);
        hevm.warp(block.timestamp + NOTICE);
        hevm.prank(qdKey);
        directory.removeSigningKey(k2);
        hevm.prank(qdKey);
        bytes32 c = registry.issueCertificate(a);
        (bool valid,, IAssetRegistryV2.SignatureCheck check) = _check(c, PK_QD2);
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.KeyNotLiveAtIssue, "removed at issue");
        (valid,, check) = _check(before, PK_QD2);
        assertTrue(valid && check == IAssetRegistryV2.SignatureCheck.Valid, "earlier certificate still fine");
    }

    function test_keyAddedAfterTheIssueIsNotLiveForIt() public {
        (, bytes32 c) = _certified();
        hevm.warp(block.timestamp + 1);
        _addQdKey2();
        (bool valid,, IAssetRegistryV2.SignatureCheck check) = _check(c, PK_QD2);
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.KeyNotLiveAtIssue, "added after the issue");
    }

    function test_keyCompromisedAtTheIssueSecondTaintsIt() public {
        (, bytes32 c) = _certified();
        uint64 issuedAt = registry.certificate(c).issuedAt;
        hevm.prank(qdKey);
        directory.markKeyCompromised(qdKey, issuedAt);
        (bool valid,, IAssetRegistryV2.SignatureCheck check) = _check(c, PK_QD);
        assertTrue(!valid && check == IAssetRegistryV2.SignatureCheck.KeyCompromised, "compromised at issue");
    }

    function test_keyCompromisedAfterTheIssueLeavesItValid() public {
        (, bytes32 c) = _certified();
        uint64 issuedAt = registry.certificate(c).issuedAt;
        hevm.warp(block.timestamp + 10);
        hevm.prank(qdKey);
        directory.markKeyCompromised(qdKey, issuedAt + 1);
        (bool valid,, IAssetRegistryV2.SignatureCheck check) = _check(c, PK_QD);
        assertTrue(valid && check == IAssetRegistryV2.SignatureCheck.Valid, "compromised a second later");
    }
}
