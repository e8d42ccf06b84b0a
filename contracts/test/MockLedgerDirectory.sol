// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "../interfaces/ILedgerDirectory.sol";

/// @title A settable ledger directory for tests of contracts that read the registry.
/// @notice Anyone may set anything: deploy it only on test chains.
contract MockLedgerDirectory is ILedgerDirectory {
    struct AccountOrg {
        bytes32 orgId;
        OrgKind kind;
        uint32 city;
        bool active;
    }

    mapping(address account => AccountOrg) private _accounts;
    mapping(bytes32 assetId => PaymentContext) private _assets;

    event AccountOrgSet(address indexed account, bytes32 orgId, OrgKind kind, uint32 city, bool active);
    event PaymentContextSet(bytes32 indexed assetId, PaymentContext context);

    function setAccountOrg(address account, bytes32 orgId, OrgKind kind, uint32 city, bool active)
        external
    {
        _accounts[account] = AccountOrg(orgId, kind, city, active);
        emit AccountOrgSet(account, orgId, kind, city, active);
    }

    function setPaymentContext(bytes32 assetId, PaymentContext calldata context) external {
        _assets[assetId] = context;
        emit PaymentContextSet(assetId, context);
    }

    function accountOrg(address account)
        external
        view
        returns (bytes32 orgId, OrgKind kind, uint32 city, bool active)
    {
        AccountOrg memory a = _accounts[account];
        return (a.orgId, a.kind, a.city, a.active);
    }

    function paymentContext(bytes32 assetId) external view returns (PaymentContext memory) {
        return _assets[assetId];
    }
}
