// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAssetRegistryV2} from "./IAssetRegistryV2.sol";

/// @title Everything a verifier needs about a v2 certificate, in one call, with only an RPC
/// endpoint: status, disputes, pledges, recognition, the issuing registrar's standing and
/// the signature check of a portable document.
/// @notice Stateless: it reads the AssetRegistryV2, the OrgDirectory and UseAndFinance it was
/// deployed with, so a new verifier can be deployed at any time without migrating anything.
interface ICertificateVerifier {
    /// @notice The certificate's status and every fact a verifier shows beside it. `recognised`
    /// is for `byOrgId` (0 = nobody); `registrarActive` is false when governance suspended the
    /// issuing registrar; `usability` names the first part of "usable" that fails.
    function verify(bytes32 certificateId, bytes32 byOrgId)
        external
        view
        returns (IAssetRegistryV2.Verification memory);

    /// @notice Checks a portable certificate: it matches the chain record, the signature is
    /// canonical (low-s) ECDSA over its EIP-712 digest (the registry's domain), the signer was a
    /// key of the issuing registrar at the issue time and was not compromised as of it.
    /// @return valid check == Valid and the certificate is Active
    /// @return signer the recovered signer (0 when the signature does not parse)
    /// @return check what the signature check found
    /// @return status the certificate's status
    function verifyCertificateSignature(IAssetRegistryV2.CertificateDocument calldata doc, bytes calldata signature)
        external
        view
        returns (
            bool valid,
            address signer,
            IAssetRegistryV2.SignatureCheck check,
            IAssetRegistryV2.CertificateStatus status
        );

    function registry() external view returns (IAssetRegistryV2);
}
