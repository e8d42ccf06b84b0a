// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "contracts/interfaces/ILedgerDirectory.sol";
import {AssetRegistryV2} from "contracts/v2/AssetRegistryV2.sol";
import {IOrgDirectory} from "contracts/v2/interfaces/IOrgDirectory.sol";
import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";

import {KillsBase} from "./utils/KillsBase.sol";

/// @title AssetRegistryV2: exact events and records through the lifecycle, every refusal
/// with its error, and time edges (bench/mutation/results.md).
contract MutationKillsAssetRegistryTest is KillsBase {
    uint64 internal constant TERM = 3 * 365 days;

    // ------------------------------------------------------------------ binding

    function test_useAndFinanceIsBoundOnceByTheDeployerToANonZeroAddress() public {
        AssetRegistryV2 r = new AssetRegistryV2(IOrgDirectory(address(directory)));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotUseAndFinance.selector, qdKey));
        r.bindUseAndFinance(address(uaf));
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        r.bindUseAndFinance(address(0));
        assertEq(r.useAndFinance(), address(0), "unbound");
        _expectEmit(address(r));
        emit IAssetRegistryV2.UseAndFinanceBound(address(uaf));
        r.bindUseAndFinance(address(uaf));
        assertEq(r.useAndFinance(), address(uaf), "bound");
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.AlreadyBound.selector, address(uaf)));
        r.bindUseAndFinance(address(0x1234));
        assertEq(r.directory(), address(directory), "directory");
    }

    function test_onlyUseAndFinanceMarksDisposal() public {
        (bytes32 assetId,) = _certified();
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotUseAndFinance.selector, qdKey));
        registry.markDisposed(assetId, qd);
    }

    // ------------------------------------------------------------------ registration

    function test_registrationRecordsTheResourceAndRefusesDuplicatesAndZeroes() public {
        bytes32 cat = keccak256("cat");
        bytes32 meta = keccak256("meta");
        bytes32 id = keccak256(abi.encode(holder, uint32(9), cat));
        IAssetRegistryV2.AssetState memory s;
        s.status = IAssetRegistryV2.AssetStatus.Registered;
        s.metadataHash = meta;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.ResourceRegistered(id, holder, IAssetRegistryV2.Resource(holder, cat, meta, 0, 9, QD), s);
        hevm.prank(holderKey);
        assertEq32(registry.registerResource(cat, meta, 9), id, "asset id");
        IAssetRegistryV2.AssetState memory got = registry.assetState(id);
        assertTrue(got.status == IAssetRegistryV2.AssetStatus.Registered, "registered");
        assertEq32(got.metadataHash, meta, "metadata");
        (bytes32 h, uint32 city) = registry.holderOf(id);
        assertTrue(h == holder && city == QD, "holder and city");
        (IAssetRegistryV2.Usability u, uint32 c2) = registry.usability(id);
        assertTrue(u == IAssetRegistryV2.Usability.NotCertified && c2 == QD, "not certified yet");

        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.AssetExists.selector, id));
        registry.registerResource(cat, keccak256("other meta"), 9);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        registry.registerResource(0, meta, 9);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        registry.registerResource(cat, 0, 10);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotOrgOfKind.selector, qdKey, uint8(2)));
        registry.registerResource(cat, meta, 11);

        bytes32 unknown = keccak256("none");
        (h, city) = registry.holderOf(unknown);
        assertTrue(h == 0 && city == 0, "unknown asset has no holder");
        (u,) = registry.usability(unknown);
        assertTrue(u == IAssetRegistryV2.Usability.UnknownAsset, "unknown");
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.UnknownAsset.selector, unknown));
        registry.recordValuation(unknown, 1, 1, keccak256("v"));
    }

    function _leaf(bytes32 cat, bytes32 meta, uint32 domain) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(cat, meta, domain))));
    }

    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function test_batchOfTwoIsRegisteredThenMaterialisedByProof() public {
        bytes32 l1 = _leaf(keccak256("c1"), keccak256("m1"), 1);
        bytes32 l2 = _leaf(keccak256("c2"), keccak256("m2"), 2);
        bytes32 root = _pair(l1, l2);
        bytes32 batchId = keccak256(abi.encode(holder, root));
        IAssetRegistryV2.Batch memory b =
            IAssetRegistryV2.Batch(holder, root, keccak256("manifest"), QD, 2, 0, uint64(block.timestamp));
        _expectEmit(address(registry));
        emit IAssetRegistryV2.ResourceBatchRegistered(batchId, holder, b);
        hevm.prank(holderKey);
        assertEq32(registry.registerResourceBatch(root, 2, keccak256("manifest")), batchId, "batch id");
        IAssetRegistryV2.Batch memory got = registry.batch(batchId);
        assertTrue(got.root == root && got.count == 2 && got.city == QD && got.holderOrgId == holder, "stored");
        assertEq(got.registeredAt, block.timestamp, "registered at");

        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.BatchExists.selector, batchId));
        registry.registerResourceBatch(root, 2, 0);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        registry.registerResourceBatch(0, 2, 0);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        registry.registerResourceBatch(keccak256("r"), 0, 0);

        bytes32[] memory proof = new bytes32[](1);
        proof[0] = l2;
        assertTrue(registry.proveResource(batchId, keccak256("c1"), keccak256("m1"), 1, proof), "proves");
        assertTrue(!registry.proveResource(batchId, keccak256("c1"), keccak256("m1"), 2, proof), "wrong leaf");
        assertTrue(!registry.proveResource(keccak256("nb"), keccak256("c1"), keccak256("m1"), 1, proof), "no batch");

        hevm.prank(xmHolderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotHolder.selector, batchId, xmHolder));
        registry.materialiseResource(batchId, keccak256("c1"), keccak256("m1"), 1, proof);
        hevm.prank(holderKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.InvalidProof.selector, batchId, _leaf(keccak256("c1"), keccak256("m1"), 3)
            )
        );
        registry.materialiseResource(batchId, keccak256("c1"), keccak256("m1"), 3, proof);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.UnknownBatch.selector, keccak256("nb")));
        registry.materialiseResource(keccak256("nb"), keccak256("c1"), keccak256("m1"), 1, proof);

        hevm.prank(holderKey);
        bytes32 a1 = registry.materialiseResource(batchId, keccak256("c1"), keccak256("m1"), 1, proof);
        assertEq32(a1, keccak256(abi.encode(holder, uint32(1), keccak256("c1"))), "asset of leaf 1");
        assertEq(registry.batch(batchId).materialised, 1, "one materialised");
        proof[0] = l1;
        hevm.prank(holderKey);
        registry.materialiseResource(batchId, keccak256("c2"), keccak256("m2"), 2, proof);
        assertEq(registry.batch(batchId).materialised, 2, "two materialised");
    }

    function test_batchOfOneRefusesASecondMaterialisation() public {
        bytes32 l1 = _leaf(keccak256("c1"), keccak256("m1"), 1);
        bytes32 l2 = _leaf(keccak256("c2"), keccak256("m2"), 2);
        hevm.prank(holderKey);
        bytes32 batchId = registry.registerResourceBatch(_pair(l1, l2), 1, 0);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = l2;
        hevm.prank(holderKey);
        registry.materialiseResource(batchId, keccak256("c1"), keccak256("m1"), 1, proof);
        proof[0] = l1;
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.BatchComplete.selector, batchId, uint32(1)));
        registry.materialiseResource(batchId, keccak256("c2"), keccak256("m2"), 2, proof);
    }

    // ------------------------------------------------------------------ evaluation and notice

    function test_noticeOpensOnlyWhenValuedAndPassedAndEndsOnTime() public {
        bytes32 assetId = _register();
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        registry.recordValuation(assetId, 0, 1, keccak256("v"));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        registry.recordValuation(assetId, 1, 1, 0);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        registry.recordCompliance(assetId, true, 0);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotOrgOfKind.selector, holderKey, uint8(1)));
        registry.recordValuation(assetId, 1, 1, keccak256("v"));

        // failed compliance: valued, but no notice
        IAssetRegistryV2.AssetState memory s = registry.assetState(assetId);
        s.compliance = IAssetRegistryV2.ComplianceResult.Failed;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.ComplianceReviewed(assetId, qd, keccak256("c"), s);
        hevm.prank(qdKey);
        registry.recordCompliance(assetId, false, keccak256("c"));
        s.valued = true;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.AssetValued(assetId, qd, IAssetRegistryV2.Valuation(5, 2, keccak256("v")), s);
        hevm.prank(qdKey);
        registry.recordValuation(assetId, 5, 2, keccak256("v"));
        assertTrue(registry.assetState(assetId).status == IAssetRegistryV2.AssetStatus.Registered, "no notice");

        // passed: notice opens for exactly the registrar's window
        s.compliance = IAssetRegistryV2.ComplianceResult.Passed;
        s.status = IAssetRegistryV2.AssetStatus.InNotice;
        s.noticeEndsAt = uint64(block.timestamp + NOTICE);
        _expectEmit(address(registry));
        emit IAssetRegistryV2.ComplianceReviewed(assetId, qd, keccak256("c2"), s);
        hevm.prank(qdKey);
        registry.recordCompliance(assetId, true, keccak256("c2"));

        hevm.warp(s.noticeEndsAt - 1);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NoticeWindowOpen.selector, assetId, s.noticeEndsAt));
        registry.issueCertificate(assetId);
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.IllegalTransition.selector,
                assetId,
                IAssetRegistryV2.AssetStatus.InNotice,
                IAssetRegistryV2.AssetStatus.Registered
            )
        );
        registry.recordValuation(assetId, 1, 1, keccak256("v"));
        hevm.warp(s.noticeEndsAt);
        hevm.prank(qdKey);
        registry.issueCertificate(assetId);
    }

    // ------------------------------------------------------------------ objections

    function test_objectionIsRecordedAndUpholdingItSendsTheAssetBack() public {
        bytes32 assetId = _register();
        _openNotice(assetId);
        bytes32 reason = keccak256("reason");
        bytes32 oid = keccak256(abi.encode(assetId, operator, reason));
        IAssetRegistryV2.AssetState memory s = registry.assetState(assetId);
        s.openObjections = 1;
        IAssetRegistryV2.Objection memory o = IAssetRegistryV2.Objection(
            assetId, operator, reason, 0, uint64(block.timestamp), IAssetRegistryV2.ObjectionStatus.Open, false
        );
        _expectEmit(address(registry));
        emit IAssetRegistryV2.ObjectionLodged(oid, operator, o, s);
        hevm.prank(operatorKey);
        assertEq32(registry.lodgeObjection(assetId, reason), oid, "objection id");

        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ObjectionExists.selector, oid));
        registry.lodgeObjection(assetId, reason);
        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        registry.lodgeObjection(assetId, 0);
        hevm.prank(address(0xDEAD));
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotOrgOfKind.selector, address(0xDEAD), uint8(0)));
        registry.lodgeObjection(assetId, reason);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotOrgOfKind.selector, holderKey, uint8(1)));
        registry.resolveObjection(oid, true, keccak256("upheld"));

        // upheld: back to Registered, compliance and notice cleared
        s = IAssetRegistryV2.AssetState(
            IAssetRegistryV2.AssetStatus.Registered,
            IAssetRegistryV2.ComplianceResult.None,
            true,
            false,
            false,
            0,
            0,
            0,
            0,
            0,
            s.metadataHash
        );
        o.status = IAssetRegistryV2.ObjectionStatus.Upheld;
        o.resolutionHash = keccak256("upheld");
        _expectEmit(address(registry));
        emit IAssetRegistryV2.ObjectionResolved(oid, qd, o, s);
        hevm.prank(qdKey);
        registry.resolveObjection(oid, true, keccak256("upheld"));
        assertTrue(registry.objection(oid).status == IAssetRegistryV2.ObjectionStatus.Upheld, "upheld");
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.ObjectionNotOpen.selector, oid, IAssetRegistryV2.ObjectionStatus.Upheld
            )
        );
        registry.resolveObjection(oid, false, 0);
        hevm.prank(operatorKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.IllegalTransition.selector,
                assetId,
                IAssetRegistryV2.AssetStatus.Registered,
                IAssetRegistryV2.AssetStatus.InNotice
            )
        );
        registry.lodgeObjection(assetId, keccak256("again"));
    }

    function test_objectionsCloseWithTheWindowAndForeignQuotaResetsDaily() public {
        bytes32 assetId = _register();
        _openNotice(assetId);
        uint64 ends = registry.assetState(assetId).noticeEndsAt;
        for (uint256 i = 0; i < 3; ++i) {
            hevm.prank(xmHolderKey);
            registry.lodgeObjection(assetId, keccak256(abi.encode("o", i)));
        }
        assertTrue(registry.objection(keccak256(abi.encode(assetId, xmHolder, keccak256(abi.encode("o", 0))))).foreign, "foreign");
        // the quota period is a day from the first objection
        hevm.warp(block.timestamp + 1 days - 1);
        hevm.prank(xmHolderKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.ObjectionRateLimited.selector, xmHolder, uint64(block.timestamp + 1)
            )
        );
        registry.lodgeObjection(assetId, keccak256("fourth"));
        hevm.warp(block.timestamp + 1);
        hevm.prank(xmHolderKey);
        registry.lodgeObjection(assetId, keccak256("fourth"));
        assertEq(registry.assetState(assetId).openObjections, 4, "four open");
        // a local objector has no quota
        for (uint256 i = 0; i < 4; ++i) {
            hevm.prank(operatorKey);
            registry.lodgeObjection(assetId, keccak256(abi.encode("local", i)));
        }
        assertEq(registry.assetState(assetId).openObjections, 8, "eight open");
        hevm.warp(ends - 1);
        hevm.prank(operatorKey);
        registry.lodgeObjection(assetId, keccak256("last second"));
        hevm.warp(ends);
        hevm.prank(operatorKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NoticeWindowClosed.selector, assetId, ends));
        registry.lodgeObjection(assetId, keccak256("too late"));
        // a dismissed objection leaves the asset in notice and counts down
        bytes32 oid = keccak256(abi.encode(assetId, operator, keccak256("last second")));
        hevm.prank(qdKey);
        registry.resolveObjection(oid, false, keccak256("dismissed"));
        assertEq(registry.assetState(assetId).openObjections, 8, "one fewer");
        assertTrue(registry.assetState(assetId).status == IAssetRegistryV2.AssetStatus.InNotice, "still in notice");
    }

    // ------------------------------------------------------------------ certificates

    function test_issuedCertificateRecordAndEvent() public {
        bytes32 assetId = _register();
        _openNotice(assetId);
        hevm.warp(block.timestamp + NOTICE);
        bytes32 id = keccak256(abi.encode(qd, assetId, uint32(0)));
        IAssetRegistryV2.AssetState memory s = registry.assetState(assetId);
        s.status = IAssetRegistryV2.AssetStatus.Certified;
        s.nonce = 1;
        s.currentCertificateId = id;
        s.certificateValidUntil = uint64(block.timestamp + TERM);
        IAssetRegistryV2.Certificate memory c;
        c.assetId = assetId;
        c.registrarOrgId = qd;
        c.holderOrgId = holder;
        c.metadataHash = s.metadataHash;
        c.issuedAt = uint64(block.timestamp);
        c.validUntil = uint64(block.timestamp + TERM);
        _expectEmit(address(registry));
        emit IAssetRegistryV2.CertificateIssued(id, qd, c, s);
        hevm.prank(qdKey);
        assertEq32(registry.issueCertificate(assetId), id, "certificate id");
        IAssetRegistryV2.Certificate memory got = registry.certificate(id);
        assertEq(got.validUntil, c.validUntil, "valid until");
        assertEq32(got.holderOrgId, holder, "holder");
        assertEq32(got.metadataHash, c.metadataHash, "metadata");
        assertTrue(registry.certificateStatus(id) == IAssetRegistryV2.CertificateStatus.Active, "active");
        (IAssetRegistryV2.Usability u,) = registry.usability(assetId);
        assertTrue(u == IAssetRegistryV2.Usability.Usable, "usable");

        // expiry at validUntil exactly
        hevm.warp(c.validUntil - 1);
        assertTrue(registry.certificateStatus(id) == IAssetRegistryV2.CertificateStatus.Active, "active to the end");
        hevm.warp(c.validUntil);
        assertTrue(registry.certificateStatus(id) == IAssetRegistryV2.CertificateStatus.Expired, "expired");
        (u,) = registry.usability(assetId);
        assertTrue(u == IAssetRegistryV2.Usability.CertificateExpired, "expired asset");
        assertTrue(registry.certificateStatus(keccak256("none")) == IAssetRegistryV2.CertificateStatus.Unknown, "unknown");
    }

    function test_issueRefusesOpenObjectionsAndDisputes() public {
        bytes32 assetId = _register();
        _openNotice(assetId);
        hevm.prank(qdKey);
        registry.recordDispute(assetId, keccak256("dispute"));
        hevm.warp(block.timestamp + NOTICE);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.OwnershipDisputed.selector, assetId));
        registry.issueCertificate(assetId);
        hevm.prank(qdKey);
        registry.resolveDispute(assetId, keccak256("resolved"));
        hevm.prank(qdKey);
        registry.issueCertificate(assetId);
    }

    function test_renewalExtendsFromTheLaterOfNowAndExpiry() public {
        (bytes32 assetId, bytes32 certId) = _certified();
        uint64 until = registry.certificate(certId).validUntil;
        hevm.warp(block.timestamp + 100 days);
        IAssetRegistryV2.Certificate memory c = registry.certificate(certId);
        c.validUntil = until + TERM;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.CertificateChanged(certId, qd, IAssetRegistryV2.CertificateAction.Renewed, c);
        hevm.prank(qdKey);
        registry.renewCertificate(certId);
        assertEq(registry.assetState(assetId).certificateValidUntil, until + TERM, "asset follows");
        // expired: from now
        hevm.warp(until + TERM + 50 days);
        hevm.prank(qdKey);
        registry.renewCertificate(certId);
        assertEq(registry.certificate(certId).validUntil, block.timestamp + TERM, "from now when expired");
        (IAssetRegistryV2.Usability u,) = registry.usability(assetId);
        assertTrue(u == IAssetRegistryV2.Usability.Usable, "usable again");
        // disputed: no renewal
        hevm.prank(qdKey);
        registry.recordDispute(assetId, keccak256("d"));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.OwnershipDisputed.selector, assetId));
        registry.renewCertificate(certId);
        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.WrongCity.selector, QD, XM));
        registry.renewCertificate(certId);
    }

    function test_revocationReasonsDecideSuspensionOrReturn() public {
        (bytes32 assetId, bytes32 certId) = _certified();
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.InvalidRevocationReason.selector, uint32(0)));
        registry.revokeCertificate(certId, 0);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.InvalidRevocationReason.selector, uint32(1)));
        registry.revokeCertificate(certId, 1);

        // reason 6: suspended, still Certified, re-issuable
        IAssetRegistryV2.AssetState memory s = registry.assetState(assetId);
        s.certificateRevoked = true;
        IAssetRegistryV2.Certificate memory revoked = registry.certificate(certId);
        revoked.revokedAt = uint64(block.timestamp);
        revoked.revocationReason = 6;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.CertificateChanged(certId, qd, IAssetRegistryV2.CertificateAction.Revoked, revoked);
        _expectEmit(address(registry));
        emit IAssetRegistryV2.AssetChanged(assetId, qd, IAssetRegistryV2.AssetAction.CertificateSuspended, certId, s);
        hevm.prank(qdKey);
        registry.revokeCertificate(certId, 6);
        IAssetRegistryV2.Certificate memory c = registry.certificate(certId);
        assertEq(c.revokedAt, block.timestamp, "revoked at");
        assertEq(c.revocationReason, 6, "reason");
        (IAssetRegistryV2.Usability u,) = registry.usability(assetId);
        assertTrue(u == IAssetRegistryV2.Usability.CertificateRevoked, "revoked");
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.CertificateNotActive.selector, certId, IAssetRegistryV2.CertificateStatus.Revoked
            )
        );
        registry.revokeCertificate(certId, 3);

        // reason 3 on another asset: back to Registered, not re-issuable
        (bytes32 other, bytes32 otherCert) = _certified();
        IAssetRegistryV2.AssetState memory s2 = registry.assetState(other);
        s2.status = IAssetRegistryV2.AssetStatus.Registered;
        s2.compliance = IAssetRegistryV2.ComplianceResult.None;
        s2.certificateRevoked = true;
        s2.noticeEndsAt = 0;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.AssetChanged(other, qd, IAssetRegistryV2.AssetAction.ReturnedToRegistered, otherCert, s2);
        hevm.prank(qdKey);
        registry.revokeCertificate(otherCert, 3);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotReissuable.selector, otherCert, uint32(3)));
        registry.reissueCertificate(otherCert);
    }

    function test_reissueSupersedesAndRefusesDisputesAndActiveCertificates() public {
        (bytes32 assetId, bytes32 certId) = _certified();
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotReissuable.selector, certId, uint32(0)));
        registry.reissueCertificate(certId);
        hevm.prank(qdKey);
        registry.revokeCertificate(certId, 2);
        hevm.prank(qdKey);
        registry.recordDispute(assetId, keccak256("d"));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.OwnershipDisputed.selector, assetId));
        registry.reissueCertificate(certId);
        hevm.prank(qdKey);
        registry.resolveDispute(assetId, keccak256("r"));

        bytes32 newId = keccak256(abi.encode(qd, assetId, uint32(1)));
        IAssetRegistryV2.Certificate memory old = registry.certificate(certId);
        old.replacedBy = newId;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.CertificateChanged(certId, qd, IAssetRegistryV2.CertificateAction.Superseded, old);
        hevm.prank(qdKey);
        assertEq32(registry.reissueCertificate(certId), newId, "new id");
        IAssetRegistryV2.Certificate memory n = registry.certificate(newId);
        assertEq32(n.supersedes, certId, "supersedes");
        assertEq32(n.metadataHash, old.metadataHash, "same metadata");
        assertTrue(n.kind == IAssetRegistryV2.RegistrationKind.Initial, "same kind");
        assertTrue(registry.certificateStatus(certId) == IAssetRegistryV2.CertificateStatus.Revoked, "old stays revoked");
        assertEq32(registry.assetState(assetId).currentCertificateId, newId, "current");
        assertTrue(!registry.assetState(assetId).certificateRevoked, "no longer revoked");
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotReissuable.selector, certId, uint32(2)));
        registry.reissueCertificate(certId);
    }

    function test_amendmentRecordsNewMetadataAndRefusesBadInput() public {
        (bytes32 assetId, bytes32 certId) = _certified();
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.InvalidRegistrationKind.selector, IAssetRegistryV2.RegistrationKind.Initial
            )
        );
        registry.amendCertificate(certId, IAssetRegistryV2.RegistrationKind.Initial, keccak256("m"));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.ZeroValue.selector));
        registry.amendCertificate(certId, IAssetRegistryV2.RegistrationKind.Change, 0);

        bytes32 meta = keccak256("changed metadata");
        hevm.prank(qdKey);
        bytes32 changed = registry.amendCertificate(certId, IAssetRegistryV2.RegistrationKind.Change, meta);
        assertEq32(registry.assetState(assetId).metadataHash, meta, "asset shows the amended metadata");
        assertEq32(registry.certificate(changed).metadataHash, meta, "new certificate carries it");
        assertTrue(registry.certificate(changed).kind == IAssetRegistryV2.RegistrationKind.Change, "kind");
        assertEq32(registry.certificate(certId).replacedBy, changed, "linked");
        assertTrue(registry.certificateStatus(certId) == IAssetRegistryV2.CertificateStatus.Superseded, "superseded");
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.CertificateNotActive.selector, certId, IAssetRegistryV2.CertificateStatus.Superseded
            )
        );
        registry.amendCertificate(certId, IAssetRegistryV2.RegistrationKind.Change, meta);

        // disputed: no change; pledged: no deregistration
        hevm.prank(qdKey);
        registry.recordDispute(assetId, keccak256("d"));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.OwnershipDisputed.selector, assetId));
        registry.amendCertificate(changed, IAssetRegistryV2.RegistrationKind.Correction, keccak256("c"));
        hevm.prank(qdKey);
        registry.resolveDispute(assetId, keccak256("r"));
        hevm.prank(holderKey);
        bytes32 pledgeId = uaf.requestPledge(assetId, bank, 1, keccak256("p"));
        hevm.prank(bankKey);
        uaf.confirmPledge(pledgeId);
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.AssetPledged.selector, assetId, pledgeId));
        registry.amendCertificate(changed, IAssetRegistryV2.RegistrationKind.Deregistration, keccak256("end"));
    }

    // ------------------------------------------------------------------ disputes

    function test_disputeEventsAndRefusals() public {
        (bytes32 assetId,) = _certified();
        IAssetRegistryV2.AssetState memory s = registry.assetState(assetId);
        s.disputed = true;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.AssetChanged(assetId, qd, IAssetRegistryV2.AssetAction.DisputeRecorded, keccak256("d"), s);
        hevm.prank(qdKey);
        registry.recordDispute(assetId, keccak256("d"));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.OwnershipDisputed.selector, assetId));
        registry.recordDispute(assetId, keccak256("d2"));
        s.disputed = false;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.AssetChanged(assetId, qd, IAssetRegistryV2.AssetAction.DisputeResolved, keccak256("r"), s);
        hevm.prank(qdKey);
        registry.resolveDispute(assetId, keccak256("r"));
        hevm.prank(qdKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NoDispute.selector, assetId));
        registry.resolveDispute(assetId, keccak256("r"));
        hevm.prank(xmKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.WrongCity.selector, QD, XM));
        registry.recordDispute(assetId, keccak256("d"));

        // a disposed asset takes no dispute
        hevm.prank(holderKey);
        uaf.requestDisposal(assetId, keccak256("dispose"));
        hevm.prank(qdKey);
        uaf.confirmDisposal(assetId);
        hevm.prank(qdKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.IllegalTransition.selector,
                assetId,
                IAssetRegistryV2.AssetStatus.Disposed,
                IAssetRegistryV2.AssetStatus.Certified
            )
        );
        registry.recordDispute(assetId, keccak256("d"));
    }

    // ------------------------------------------------------------------ recognition

    function test_recognitionRecordsWithdrawsAndRefusesTwiceOrOthers() public {
        (, bytes32 certId) = _certified();
        uint32 idx = directory.org(exchange).index;
        _expectEmit(address(registry));
        emit IAssetRegistryV2.CertificateRecognised(certId, idx);
        hevm.prank(exchangeKey);
        registry.recognise(certId);
        hevm.prank(exchangeKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.AlreadyRecognised.selector, certId, idx));
        registry.recognise(certId);
        hevm.prank(holderKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.KindNotAllowed.selector, holderKey, uint8(2)));
        registry.recognise(certId);
        assertTrue(registry.isRecognised(certId, qd), "the issuer recognises its own");
        assertTrue(!registry.isRecognised(certId, 0), "nobody");

        _expectEmit(address(registry));
        emit IAssetRegistryV2.RecognitionWithdrawn(certId, idx);
        hevm.prank(exchangeKey);
        registry.withdrawRecognition(certId);
        assertTrue(!registry.isRecognised(certId, exchange), "withdrawn");
        hevm.prank(exchangeKey);
        hevm.expectRevert(abi.encodeWithSelector(IAssetRegistryV2.NotRecognised.selector, certId, idx));
        registry.withdrawRecognition(certId);

        // a partner registrar recognises directly; an expired certificate cannot be recognised
        hevm.prank(whKey);
        registry.recognise(certId);
        assertTrue(registry.isRecognised(certId, wh), "wuhan recognises");
        hevm.warp(registry.certificate(certId).validUntil);
        assertTrue(!registry.isRecognised(certId, wh), "expired is recognised by nobody");
        hevm.prank(exchangeKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.CertificateNotActive.selector, certId, IAssetRegistryV2.CertificateStatus.Expired
            )
        );
        registry.recognise(certId);
        hevm.prank(whKey);
        registry.withdrawRecognition(certId); // withdrawal needs no active certificate
        hevm.prank(exchangeKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.CertificateNotActive.selector, keccak256("none"), IAssetRegistryV2.CertificateStatus.Unknown
            )
        );
        registry.recognise(keccak256("none"));
    }

    function test_supersededCertificateCannotBeRecognised() public {
        (, bytes32 certId) = _certified();
        hevm.prank(qdKey);
        registry.amendCertificate(certId, IAssetRegistryV2.RegistrationKind.Correction, keccak256("fix"));
        hevm.prank(exchangeKey);
        hevm.expectRevert(
            abi.encodeWithSelector(
                IAssetRegistryV2.CertificateNotActive.selector, certId, IAssetRegistryV2.CertificateStatus.Superseded
            )
        );
        registry.recognise(certId);
    }

    // ------------------------------------------------------------------ EIP-712

    function test_domainSeparatorAndDigestFollowEip712() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("DataAssetLedger"),
                keccak256("1"),
                block.chainid,
                address(registry)
            )
        );
        assertEq32(registry.domainSeparator(), expected, "domain separator");
    }

    function test_digestCoversTheDocument() public {
        (bytes32 assetId, bytes32 certId) = _certified();
        IAssetRegistryV2.Certificate memory c = registry.certificate(certId);
        bytes32 structHash = keccak256(
            abi.encode(
                registry.CERTIFICATE_TYPEHASH(),
                IAssetRegistryV2.CertificateDocument(certId, assetId, qd, holder, c.metadataHash, 0, c.issuedAt)
            )
        );
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", registry.domainSeparator(), structHash));
        assertEq32(registry.certificateDigest(certId), digest, "digest");
    }
}
