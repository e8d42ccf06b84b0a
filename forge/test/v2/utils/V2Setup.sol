// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ILedgerDirectory} from "contracts/interfaces/ILedgerDirectory.sol";
import {LedgerTestToken} from "contracts/test/LedgerTestToken.sol";
import {OrgDirectory} from "contracts/v2/OrgDirectory.sol";
import {AssetRegistryV2} from "contracts/v2/AssetRegistryV2.sol";
import {UseAndFinance} from "contracts/v2/UseAndFinance.sol";
import {RevenueSplitV2} from "contracts/v2/RevenueSplitV2.sol";
import {CertificateVerifier} from "contracts/v2/CertificateVerifier.sol";
import {IOrgDirectory} from "contracts/v2/interfaces/IOrgDirectory.sol";
import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";
import {IUseAndFinance} from "contracts/v2/interfaces/IUseAndFinance.sol";
import {ISplitContext} from "contracts/v2/interfaces/ISplitContext.sol";

/// @notice The forge cheatcodes the v2 tests use beyond utils/TestBase.sol.
interface VmV2 {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
    function expectRevert(bytes calldata revertData) external;
}

/// @title Deploys the v2 ledger the way a production consortium would (5-day notice floor,
/// three bootstrapped registrars, 2-of-3 governance after the handover) and walks assets
/// through their life. Used by the finding regressions and by the invariant handler.
abstract contract V2Setup {
    VmV2 internal constant hevm = VmV2(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint32 internal constant QD = 370200;
    uint32 internal constant XM = 350200;
    uint32 internal constant WH = 420100;
    uint64 internal constant NOTICE_FLOOR = 5 days;
    uint64 internal constant ACCOUNT_DELAY = 2 days;
    uint64 internal constant NOTICE = 10 days;

    uint256 internal constant PK_QD = 0xA11CE;
    uint256 internal constant PK_QD2 = 0xA11CE2;
    uint256 internal constant PK_XM = 0xB0B;
    uint256 internal constant PK_WH = 0xCAFE;

    OrgDirectory internal directory;
    AssetRegistryV2 internal registry;
    UseAndFinance internal uaf;
    RevenueSplitV2 internal split;
    CertificateVerifier internal verifier;
    LedgerTestToken internal token;

    address internal qdKey;
    address internal xmKey;
    address internal whKey;
    address internal holderKey = address(0x4001);
    address internal competentKey = address(0x4003);
    address internal dataAdminKey = address(0x4004);
    address internal financeKey = address(0x4005);
    address internal operatorKey = address(0x4006);
    address internal merchantKey = address(0x4007);
    address internal exchangeKey = address(0x4008);
    address internal bankKey = address(0x4009);
    address internal xmHolderKey = address(0x5002);
    address internal treasury = address(0x7EA5);
    address internal payout = address(0xB0B0);

    bytes32 internal qd;
    bytes32 internal xm;
    bytes32 internal wh;
    bytes32 internal holder;
    bytes32 internal competent;
    bytes32 internal dataAdmin;
    bytes32 internal finance;
    bytes32 internal operator;
    bytes32 internal merchant;
    bytes32 internal exchange;
    bytes32 internal bank;
    bytes32 internal xmHolder;

    uint256 private _counter;

    function _deployLedger() internal {
        hevm.warp(1_800_000_000);
        qdKey = hevm.addr(PK_QD);
        xmKey = hevm.addr(PK_XM);
        whKey = hevm.addr(PK_WH);
        directory = new OrgDirectory(NOTICE_FLOOR);
        registry = new AssetRegistryV2(IOrgDirectory(address(directory)));
        uaf = new UseAndFinance(IOrgDirectory(address(directory)), IAssetRegistryV2(address(registry)));
        registry.bindUseAndFinance(address(uaf));
        token = new LedgerTestToken();
        split = new RevenueSplitV2(ISplitContext(address(uaf)), IERC20(address(token)), ACCOUNT_DELAY);
        verifier = new CertificateVerifier(IAssetRegistryV2(address(registry)), IUseAndFinance(address(uaf)));

        qd = directory.bootstrapRegistrar(QD, keccak256("Qingdao registrar"), qdKey);
        xm = directory.bootstrapRegistrar(XM, keccak256("Xiamen registrar"), xmKey);
        wh = directory.bootstrapRegistrar(WH, keccak256("Wuhan registrar"), whKey);
        directory.beginHandover(2);
        hevm.prank(qdKey);
        directory.acceptHandover();

        hevm.startPrank(qdKey);
        holder = directory.admitOrg(ILedgerDirectory.OrgKind.Holder, keccak256("transport bureau"), holderKey);
        competent = directory.admitOrg(ILedgerDirectory.OrgKind.CompetentDepartment, keccak256("dept"), competentKey);
        dataAdmin = directory.admitOrg(ILedgerDirectory.OrgKind.DataAdministration, keccak256("data"), dataAdminKey);
        finance = directory.admitOrg(ILedgerDirectory.OrgKind.FinanceDepartment, keccak256("finance"), financeKey);
        operator = directory.admitOrg(ILedgerDirectory.OrgKind.Operator, keccak256("operator"), operatorKey);
        merchant = directory.admitOrg(ILedgerDirectory.OrgKind.Merchant, keccak256("merchant"), merchantKey);
        exchange = directory.admitOrg(ILedgerDirectory.OrgKind.Exchange, keccak256("exchange"), exchangeKey);
        bank = directory.admitOrg(ILedgerDirectory.OrgKind.Bank, keccak256("bank"), bankKey);
        hevm.stopPrank();
        hevm.prank(xmKey);
        xmHolder = directory.admitOrg(ILedgerDirectory.OrgKind.Holder, keccak256("xiamen port"), xmHolderKey);

        hevm.prank(financeKey);
        split.proposeTreasuryAccount(QD, treasury);
        hevm.prank(operatorKey);
        split.proposePayoutAccount(payout);
        token.mint(merchantKey, 1e30);
        hevm.prank(merchantKey);
        token.approve(address(split), type(uint256).max);
    }

    function _register() internal returns (bytes32 assetId) {
        ++_counter;
        hevm.prank(holderKey);
        assetId = registry.registerResource(
            keccak256(abi.encode("catalogue", _counter)), keccak256(abi.encode("metadata", _counter)), 7
        );
    }

    function _openNotice(bytes32 assetId) internal {
        hevm.startPrank(qdKey);
        registry.recordValuation(assetId, 2_000_000_00, 1, keccak256("valuation"));
        registry.recordCompliance(assetId, true, keccak256("compliance"));
        hevm.stopPrank();
    }

    function _issue(bytes32 assetId) internal returns (bytes32 certId) {
        hevm.warp(block.timestamp + NOTICE);
        hevm.prank(qdKey);
        certId = registry.issueCertificate(assetId);
    }

    function _certified() internal returns (bytes32 assetId, bytes32 certId) {
        assetId = _register();
        _openNotice(assetId);
        certId = _issue(assetId);
    }

    function _approvePaidUse(bytes32 assetId) internal returns (bytes32 appId) {
        hevm.prank(holderKey);
        appId = uaf.applyForPaidUse(assetId, keccak256("scope"), operator);
        hevm.prank(competentKey);
        uaf.reviewPaidUse(appId, true, 0);
        hevm.prank(dataAdminKey);
        uaf.reviewPaidUse(appId, true, 0);
        hevm.prank(financeKey);
        uaf.decidePaidUse(appId, true, 0);
        uint256[] memory bounds = new uint256[](3);
        (bounds[1], bounds[2]) = (100_000_00, 500_000_00);
        uint16[] memory bps = new uint16[](3);
        (bps[0], bps[1], bps[2]) = (2_000, 3_500, 5_000);
        hevm.prank(financeKey);
        split.setSchedule(assetId, bounds, bps);
    }

    function _payable() internal returns (bytes32 assetId, bytes32 certId) {
        (assetId, certId) = _certified();
        _approvePaidUse(assetId);
    }

    function _pay(bytes32 assetId, uint256 amount) internal returns (bytes32) {
        hevm.prank(merchantKey);
        return split.pay(assetId, amount, keccak256(abi.encode("ref", ++_counter)));
    }

    function _notUsable(bytes32 assetId, IAssetRegistryV2.Usability part) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAssetRegistryV2.AssetNotUsable.selector, assetId, part);
    }

    function _governance(IOrgDirectory.ProposalKind kind, bytes memory params) internal returns (bytes32 id) {
        hevm.prank(qdKey);
        id = directory.propose(kind, params);
        hevm.prank(xmKey);
        directory.approve(id);
    }
}
