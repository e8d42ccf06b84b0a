// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IAssetRegistryV2} from "./interfaces/IAssetRegistryV2.sol";
import {ICertificateVerifier} from "./interfaces/ICertificateVerifier.sol";
import {IOrgDirectory} from "./interfaces/IOrgDirectory.sol";
import {IUseAndFinance} from "./interfaces/IUseAndFinance.sol";

/// @title CertificateVerifier
/// @notice See {ICertificateVerifier}. Holds no state; views only.
contract CertificateVerifier is ICertificateVerifier {
    /// @notice EIP-712 type of the portable certificate document (unchanged from v1).
    bytes32 public constant CERTIFICATE_TYPEHASH = keccak256(
        "Certificate(bytes32 certificateId,bytes32 assetId,bytes32 registrarOrgId,bytes32 holderOrgId,bytes32 metadataHash,uint8 kind,uint64 issuedAt)"
    );

    IAssetRegistryV2 private immutable _registry;
    IOrgDirectory private immutable _directory;
    IUseAndFinance private immutable _useAndFinance;

    constructor(IAssetRegistryV2 registry_, IUseAndFinance useAndFinance_) {
        _registry = registry_;
        _directory = IOrgDirectory(registry_.directory());
        _useAndFinance = useAndFinance_;
    }

    function verify(bytes32 certificateId, bytes32 byOrgId)
        external
        view
        returns (IAssetRegistryV2.Verification memory v)
    {
        IAssetRegistryV2.Certificate memory c = _registry.certificate(certificateId);
        v.status = _registry.certificateStatus(certificateId);
        v.kind = c.kind;
        v.assetId = c.assetId;
        v.registrarOrgId = c.registrarOrgId;
        v.holderOrgId = c.holderOrgId;
        v.validUntil = c.validUntil;
        v.revocationReason = c.revocationReason;
        v.replacedBy = c.replacedBy;
        if (v.status == IAssetRegistryV2.CertificateStatus.Unknown) {
            v.usability = IAssetRegistryV2.Usability.UnknownAsset;
            return v;
        }
        IAssetRegistryV2.AssetState memory a = _registry.assetState(c.assetId);
        v.pledged = _useAndFinance.pledgeOf(c.assetId) != 0;
        v.recognised = _registry.isRecognised(certificateId, byOrgId);
        v.disputed = a.disputed;
        v.registrarActive = _directory.org(c.registrarOrgId).active;
        v.assetStatus = a.status;
        (v.usability,) = _registry.usability(c.assetId);
    }

    function verifyCertificateSignature(IAssetRegistryV2.CertificateDocument calldata doc, bytes calldata signature)
        external
        view
        returns (
            bool valid,
            address signer,
            IAssetRegistryV2.SignatureCheck check,
            IAssetRegistryV2.CertificateStatus status
        )
    {
        status = _registry.certificateStatus(doc.certificateId);
        if (status == IAssetRegistryV2.CertificateStatus.Unknown) {
            return (false, address(0), IAssetRegistryV2.SignatureCheck.UnknownCertificate, status);
        }
        bytes32 digest = _registry.certificateDigest(doc.certificateId);
        bytes32 docDigest = MessageHashUtils.toTypedDataHash(
            _registry.domainSeparator(), keccak256(abi.encode(CERTIFICATE_TYPEHASH, doc))
        );
        if (docDigest != digest) return (false, address(0), IAssetRegistryV2.SignatureCheck.DocumentMismatch, status);
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError) {
            return (false, signer, IAssetRegistryV2.SignatureCheck.BadSignature, status);
        }
        check = _keyCheck(signer, doc.registrarOrgId, doc.issuedAt);
        valid = check == IAssetRegistryV2.SignatureCheck.Valid && status == IAssetRegistryV2.CertificateStatus.Active;
    }

    function registry() external view returns (IAssetRegistryV2) {
        return _registry;
    }

    /// @dev The signer was a key of the issuing registrar at the issue time, not compromised
    /// as of it (the document already matched the chain record, so its fields are the record's).
    function _keyCheck(address signer, bytes32 registrarOrgId, uint64 issuedAt)
        private
        view
        returns (IAssetRegistryV2.SignatureCheck)
    {
        IOrgDirectory.SigningKey memory key = _directory.signingKey(signer);
        if (key.orgId == 0 || key.orgId != registrarOrgId) return IAssetRegistryV2.SignatureCheck.NotIssuerKey;
        if (key.validFrom > issuedAt || (key.validUntil != 0 && issuedAt >= key.validUntil)) {
            return IAssetRegistryV2.SignatureCheck.KeyNotLiveAtIssue;
        }
        if (key.compromisedAt != 0 && issuedAt >= key.compromisedAt) return IAssetRegistryV2.SignatureCheck.KeyCompromised;
        return IAssetRegistryV2.SignatureCheck.Valid;
    }
}
