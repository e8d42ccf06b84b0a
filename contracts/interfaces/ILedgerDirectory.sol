// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title The parts of the asset registry that other ledger contracts rely on.
/// @notice RevenueSplit (and any later contract) reads organisations and the paid-use
/// state of an asset through this interface only, so the registry can evolve behind it.
/// Cities are GB/T 2260 administrative division codes (e.g. 370200 for Qingdao).
interface ILedgerDirectory {
    /// @notice The kinds of organisation that take part in the ledger.
    enum OrgKind {
        None,
        Registrar,
        Holder,
        CompetentDepartment,
        DataAdministration,
        FinanceDepartment,
        Operator,
        Merchant,
        Exchange,
        Bank,
        Auditor
    }

    /// @notice What a payment contract needs to know about one asset.
    /// @param exists the asset is registered
    /// @param city the city of the asset (the holder's city)
    /// @param holderOrgId the holding institution
    /// @param operatorOrgId the authorised operator named in the approved paid-use
    ///        application (zero when no application was approved)
    /// @param paidUseApproved the finance department approved paid use
    /// @param disposed the asset was disposed of (no further payments)
    struct PaymentContext {
        bool exists;
        uint32 city;
        bytes32 holderOrgId;
        bytes32 operatorOrgId;
        bool paidUseApproved;
        bool disposed;
    }

    /// @notice The organisation an account currently signs for.
    /// @return orgId zero when the account signs for no organisation
    /// @return kind the organisation's kind (None when orgId is zero)
    /// @return city the organisation's city
    /// @return active false when the organisation was deactivated
    function accountOrg(address account)
        external
        view
        returns (bytes32 orgId, OrgKind kind, uint32 city, bool active);

    /// @notice The paid-use state of an asset, for payment and settlement contracts.
    function paymentContext(bytes32 assetId) external view returns (PaymentContext memory);
}
