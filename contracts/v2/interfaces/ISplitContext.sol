// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "../../interfaces/ILedgerDirectory.sol";
import {IAssetRegistryV2} from "./IAssetRegistryV2.sol";

/// @title Who an account signs for (the OrgDirectory answers it; UseAndFinance forwards it).
interface IAccountOrg {
    /// @notice The organisation an account currently signs for (zeros when none).
    function accountOrg(address account)
        external
        view
        returns (bytes32 orgId, ILedgerDirectory.OrgKind kind, uint32 city, bool active);
}

/// @title The one small interface RevenueSplitV2 depends on (implemented by UseAndFinance).
interface ISplitContext is IAccountOrg {
    /// @notice What a payment needs to know about an asset.
    /// @param usability which part of "usable" fails first (Usable when none)
    /// @param city the asset's city (its treasury)
    /// @param operatorOrgId the operator of the approved paid-use application (0 = none)
    struct PaymentContext {
        IAssetRegistryV2.Usability usability;
        uint32 city;
        bytes32 operatorOrgId;
    }

    function paymentContext(bytes32 assetId) external view returns (PaymentContext memory);

    /// @notice The OrgDirectory: it answers `accountOrg` directly (one call less per payment)
    /// and is the governance that may sweep stray tokens.
    function governance() external view returns (address);
}
