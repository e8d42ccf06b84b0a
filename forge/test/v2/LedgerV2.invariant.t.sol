// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILedgerDirectory} from "contracts/interfaces/ILedgerDirectory.sol";
import {IOrgDirectory} from "contracts/v2/interfaces/IOrgDirectory.sol";
import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";
import {IUseAndFinance} from "contracts/v2/interfaces/IUseAndFinance.sol";

import {TestBase} from "../utils/TestBase.sol";
import {V2Setup} from "./utils/V2Setup.sol";

/// @title Drives the whole v2 ledger (lifecycle, revocation, re-issue, expiry, disputes,
/// deregistration, pledges, disposal, payments, money routes) and plays a registrar that tries
/// to take over other organisations' keys and governance alone. Never reverts: every product
/// call is tried and its refusal is part of the game.
contract LedgerV2Handler is V2Setup {
    uint256 public constant MAX_ASSETS = 4;
    uint32 public constant ATTACK_CITY = 110000;
    address public constant TREASURY_2 = address(0x7777);

    bytes32[] public assets;
    mapping(bytes32 => uint8) public terminalSeen; // 0 none, else the AssetStatus it ended in
    mapping(bytes32 => uint256) public outstandingGhost;

    uint256 public paidWhileUnusable;
    uint256 public onchainPaid;
    uint256 public routeViolations;
    uint256 public payments;
    uint256 public rejectedAttacks;
    uint64 public treasuryProposedAt;

    struct Offchain {
        bytes32 id;
        bytes32 assetId;
        uint256 treasuryShare;
        bool remitted;
    }

    Offchain[] private _offchain;
    address[] private _watchedKeys;
    bytes32[] private _watchedOrgs;
    uint256 private _nonce;

    constructor() {
        _deployLedger();
        _watchedOrgs = [holder, competent, dataAdmin, finance, operator, bank, merchant, exchange, xmHolder];
        _watchedKeys = [holderKey, competentKey, dataAdminKey, financeKey, operatorKey, bankKey, merchantKey, exchangeKey, xmHolderKey];
        // start with an asset in each stage: payable, certified, in notice
        (bytes32 payableAsset,) = _payable();
        (bytes32 certifiedAsset,) = _certified();
        bytes32 inNotice = _register();
        _openNotice(inNotice);
        assets.push(payableAsset);
        assets.push(certifiedAsset);
        assets.push(inNotice);
    }

    // ------------------------------------------------------------------ lifecycle

    function register() public {
        if (assets.length >= MAX_ASSETS) return;
        assets.push(_register());
    }

    function advance(uint256 seed) external {
        bytes32 a = _pick(seed);
        IAssetRegistryV2.AssetState memory s = registry.assetState(a);
        hevm.startPrank(qdKey);
        if (s.status == IAssetRegistryV2.AssetStatus.Registered) {
            if (!s.valued) try registry.recordValuation(a, 1_000_000, 1, keccak256("v")) {} catch {}
            try registry.recordCompliance(a, true, keccak256("c")) {} catch {}
        } else if (s.status == IAssetRegistryV2.AssetStatus.InNotice) {
            if (block.timestamp < s.noticeEndsAt) hevm.warp(s.noticeEndsAt);
            try registry.issueCertificate(a) {} catch {}
        }
        hevm.stopPrank();
        if (s.status == IAssetRegistryV2.AssetStatus.Certified && uaf.operatorOf(a) == 0) _tryApprove(a);
    }

    function revoke(uint256 seed, uint256 reasonSeed) external {
        bytes32 a = _pick(seed);
        uint32[6] memory reasons = [uint32(2), 3, 4, 5, 6, 99];
        bytes32 cert = registry.assetState(a).currentCertificateId;
        hevm.prank(qdKey);
        try registry.revokeCertificate(cert, reasons[reasonSeed % 6]) {} catch {}
    }

    function reissue(uint256 seed) external {
        bytes32 a = _pick(seed);
        bytes32 cert = registry.assetState(a).currentCertificateId;
        hevm.prank(qdKey);
        try registry.reissueCertificate(cert) {} catch {}
    }

    function renew(uint256 seed) external {
        bytes32 a = _pick(seed);
        bytes32 cert = registry.assetState(a).currentCertificateId;
        hevm.prank(qdKey);
        try registry.renewCertificate(cert) {} catch {}
    }

    function dispute(uint256 seed) external {
        bytes32 a = _pick(seed);
        bool disputed = registry.assetState(a).disputed;
        hevm.prank(qdKey);
        if (disputed) {
            try registry.resolveDispute(a, keccak256("settled")) {} catch {}
        } else {
            try registry.recordDispute(a, keccak256("claim")) {} catch {}
        }
    }

    function deregister(uint256 seed) external {
        bytes32 a = _pick(seed);
        bytes32 cert = registry.assetState(a).currentCertificateId;
        hevm.prank(qdKey);
        try registry.amendCertificate(cert, IAssetRegistryV2.RegistrationKind.Deregistration, keccak256("end")) {}
            catch {}
        _noteTerminal(a);
    }

    function pledge(uint256 seed) external {
        bytes32 a = _pick(seed);
        bytes32 inForce = uaf.pledgeOf(a);
        if (inForce != 0) {
            hevm.prank(bankKey);
            try uaf.releasePledge(inForce) {} catch {}
            return;
        }
        hevm.prank(holderKey);
        try uaf.requestPledge(a, bank, 1_000, keccak256(abi.encode("pledge", ++_nonce))) returns (bytes32 id) {
            hevm.prank(bankKey);
            try uaf.confirmPledge(id) {} catch {}
        } catch {}
    }

    function dispose(uint256 seed) external {
        bytes32 a = _pick(seed);
        hevm.prank(holderKey);
        try uaf.requestDisposal(a, keccak256("dispose")) {} catch {}
        hevm.prank(qdKey);
        try uaf.confirmDisposal(a) {} catch {}
        _noteTerminal(a);
    }

    function passTime(uint256 seed) external {
        hevm.warp(block.timestamp + 1 hours + (seed % 400 days));
    }

    // ------------------------------------------------------------------ money

    function pay(uint256 seed, uint256 amountSeed) external {
        bytes32 a = _pick(seed);
        uint256 amount = 1 + (amountSeed % 2_000_000_00);
        (IAssetRegistryV2.Usability part,) = registry.usability(a);
        hevm.prank(merchantKey);
        try split.pay(a, amount, keccak256(abi.encode("pay", ++_nonce))) {
            if (part != IAssetRegistryV2.Usability.Usable) ++paidWhileUnusable;
            onchainPaid += amount;
            ++payments;
        } catch {}
    }

    function payOffchain(uint256 seed, uint256 amountSeed) external {
        bytes32 a = _pick(seed);
        uint256 amount = 1 + (amountSeed % 2_000_000_00);
        (IAssetRegistryV2.Usability part,) = registry.usability(a);
        uint256 treasuryShare;
        try split.preview(a, amount) returns (uint256, uint256 t, uint32) {
            treasuryShare = t;
        } catch {}
        hevm.prank(operatorKey);
        try split.recordOffchainPayment(a, amount, keccak256(abi.encode("bank", ++_nonce))) returns (bytes32 id) {
            if (part != IAssetRegistryV2.Usability.Usable) ++paidWhileUnusable;
            outstandingGhost[a] += treasuryShare;
            _offchain.push(Offchain(id, a, treasuryShare, false));
            ++payments;
        } catch {}
    }

    function confirmRemittance(uint256 seed) external {
        if (_offchain.length == 0) return;
        Offchain storage o = _offchain[seed % _offchain.length];
        hevm.prank(financeKey);
        try split.confirmRemittance(o.id, keccak256("remitted")) {
            if (!o.remitted) outstandingGhost[o.assetId] -= o.treasuryShare;
            o.remitted = true;
        } catch {}
    }

    function changeTreasury(uint256 seed) external {
        address[4] memory candidates = [TREASURY_2, treasury, address(split), address(0)];
        hevm.prank(financeKey);
        try split.proposeTreasuryAccount(QD, candidates[seed % 4]) {
            treasuryProposedAt = uint64(block.timestamp);
        } catch {}
    }

    function activateTreasury() external {
        address before = split.treasuryAccount(QD);
        try split.activateTreasuryAccount(QD) {
            if (block.timestamp < treasuryProposedAt + ACCOUNT_DELAY) ++routeViolations;
            if (split.treasuryAccount(QD) == address(split) || split.treasuryAccount(QD) == address(0)) {
                ++routeViolations;
            }
        } catch {}
        before;
    }

    // ------------------------------------------------------------------ the insider

    /// The Qingdao registrar tries to take another organisation's keys or act for it.
    function registrarAttacksKeys(uint256 seed) external {
        address victim = _watchedKeys[seed % _watchedKeys.length];
        hevm.startPrank(qdKey);
        try directory.removeSigningKey(victim) {} catch {
            ++rejectedAttacks;
        }
        try directory.markKeyCompromised(victim, uint64(block.timestamp)) {} catch {
            ++rejectedAttacks;
        }
        try directory.admitOrg(ILedgerDirectory.OrgKind.FinanceDepartment, keccak256(abi.encode("shadow", seed)), victim)
        {} catch {
            ++rejectedAttacks;
        }
        address own = address(uint160(0xA000000 + (++_nonce)));
        try directory.proposeSigningKey(own, 0) {} catch {}
        hevm.stopPrank();
        hevm.prank(own);
        try directory.acceptSigningKey(qd) {} catch {}
    }

    /// One registrar tries to admit a registrar or change governance alone.
    function registrarActsAlone(uint256 seed) external {
        hevm.prank(qdKey);
        try directory.propose(
            IOrgDirectory.ProposalKind.AdmitRegistrar, abi.encode(ATTACK_CITY, keccak256(abi.encode(seed)), address(0xE71))
        ) returns (bytes32 id) {
            hevm.prank(qdKey);
            try directory.approve(id) {} catch {}
        } catch {}
        hevm.prank(qdKey);
        try directory.propose(IOrgDirectory.ProposalKind.SetRegistrarActive, abi.encode(xm, false)) {} catch {}
        try directory.bootstrapRegistrar(ATTACK_CITY, keccak256("late"), address(0xE72)) {} catch {}
    }

    // ------------------------------------------------------------------ views for the invariants

    function assetCount() external view returns (uint256) {
        return assets.length;
    }

    function offchainCount() external view returns (uint256) {
        return _offchain.length;
    }

    function watched() external view returns (bytes32[] memory orgs, address[] memory keys) {
        return (_watchedOrgs, _watchedKeys);
    }

    function ledger()
        external
        view
        returns (address, address, address, address, address, address)
    {
        return (address(directory), address(registry), address(uaf), address(split), address(verifier), address(token));
    }

    function moneyAccounts() external view returns (address, address, address) {
        return (payout, treasury, TREASURY_2);
    }

    // ------------------------------------------------------------------ internals

    function _pick(uint256 seed) private view returns (bytes32) {
        return assets[seed % assets.length];
    }

    function _noteTerminal(bytes32 a) private {
        IAssetRegistryV2.AssetStatus s = registry.assetState(a).status;
        if (terminalSeen[a] == 0 && (s == IAssetRegistryV2.AssetStatus.Disposed || s == IAssetRegistryV2.AssetStatus.Deregistered)) {
            terminalSeen[a] = uint8(s);
        }
    }

    function _tryApprove(bytes32 a) private {
        hevm.prank(holderKey);
        try uaf.applyForPaidUse(a, keccak256(abi.encode("scope", ++_nonce)), operator) returns (bytes32 app) {
            hevm.prank(competentKey);
            try uaf.reviewPaidUse(app, true, 0) {} catch {}
            hevm.prank(dataAdminKey);
            try uaf.reviewPaidUse(app, true, 0) {} catch {}
            hevm.prank(financeKey);
            try uaf.decidePaidUse(app, true, 0) {} catch {}
        } catch {}
        uint256[] memory bounds = new uint256[](3);
        (bounds[1], bounds[2]) = (100_000_00, 500_000_00);
        uint16[] memory bps = new uint16[](3);
        (bps[0], bps[1], bps[2]) = (2_000, 3_500, 5_000);
        hevm.prank(financeKey);
        try split.setSchedule(a, bounds, bps) {} catch {}
    }
}

/// @title The v2 ledger's invariants (each its own campaign).
contract LedgerV2InvariantTest is TestBase {
    LedgerV2Handler internal handler;
    IOrgDirectory internal directory;
    IAssetRegistryV2 internal registry;
    IUseAndFinance internal uaf;
    address internal split;
    address internal verifierAddress;
    IERC20Balance internal token;

    function setUp() public {
        handler = new LedgerV2Handler();
        (address d, address r, address u, address s, address v, address t) = handler.ledger();
        (directory, registry, uaf, split, verifierAddress, token) =
            (IOrgDirectory(d), IAssetRegistryV2(r), IUseAndFinance(u), s, v, IERC20Balance(t));
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](18);
        selectors[0] = LedgerV2Handler.register.selector;
        selectors[1] = LedgerV2Handler.advance.selector;
        selectors[2] = LedgerV2Handler.advance.selector;
        selectors[3] = LedgerV2Handler.revoke.selector;
        selectors[4] = LedgerV2Handler.reissue.selector;
        selectors[5] = LedgerV2Handler.renew.selector;
        selectors[6] = LedgerV2Handler.dispute.selector;
        selectors[7] = LedgerV2Handler.deregister.selector;
        selectors[8] = LedgerV2Handler.pledge.selector;
        selectors[9] = LedgerV2Handler.dispose.selector;
        selectors[10] = LedgerV2Handler.passTime.selector;
        selectors[11] = LedgerV2Handler.pay.selector;
        selectors[12] = LedgerV2Handler.payOffchain.selector;
        selectors[13] = LedgerV2Handler.confirmRemittance.selector;
        selectors[14] = LedgerV2Handler.changeTreasury.selector;
        selectors[15] = LedgerV2Handler.activateTreasury.selector;
        selectors[16] = LedgerV2Handler.registrarAttacksKeys.selector;
        selectors[17] = LedgerV2Handler.registrarActsAlone.selector;
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// The campaign starts from a payable asset: a payment by the handler settles.
    function test_handlerStartsWithAPayableAsset() public {
        handler.pay(0, 80_000_00);
        assertEq(handler.payments(), 1, "payment settled");
        assertEq(handler.onchainPaid(), 80_000_00 + 1, "amount recorded");
    }

    /// Nothing is paid (token or off chain) for an asset that is not usable.
    function invariant_nothingIsPaidForAnAssetThatIsNotUsable() public view {
        assertEq(handler.paidWhileUnusable(), 0, "paid while not usable");
    }

    /// A registrar never changes another organisation's keys.
    function invariant_registrarNeverChangesAnotherOrganisationsKeys() public view {
        (bytes32[] memory orgs, address[] memory keys) = handler.watched();
        for (uint256 i = 0; i < orgs.length; ++i) {
            address[] memory now_ = directory.orgKeys(orgs[i]);
            assertEq(now_.length, 1, "keys of another organisation added");
            assertEq(now_[0], keys[i], "key list changed");
            IOrgDirectory.SigningKey memory k = directory.signingKey(keys[i]);
            assertTrue(k.orgId == orgs[i], "key moved");
            assertEq(k.validUntil, 0, "key removed by someone else");
            assertEq(k.compromisedAt, 0, "key marked by someone else");
        }
    }

    /// The split contract's token balance is always 0.
    function invariant_splitTokenBalanceIsAlwaysZero() public view {
        assertEq(token.balanceOf(split), 0, "split holds tokens");
    }

    /// Every token paid reached the payout or a treasury account, exactly.
    function invariant_everyTokenPaidReachesPayoutOrTreasury() public view {
        (address payout, address treasury, address treasury2) = handler.moneyAccounts();
        assertEq(
            token.balanceOf(payout) + token.balanceOf(treasury) + token.balanceOf(treasury2),
            handler.onchainPaid(),
            "tokens lost or created"
        );
    }

    /// Deregistered and Disposed are terminal.
    function invariant_deregisteredAndDisposedAreTerminal() public view {
        for (uint256 i = 0; i < handler.assetCount(); ++i) {
            bytes32 a = handler.assets(i);
            uint8 seen = handler.terminalSeen(a);
            if (seen != 0) assertEq(uint8(registry.assetState(a).status), seen, "left a terminal status");
        }
    }

    /// An asset with a pledge in force is neither deregistered nor disposed.
    function invariant_pledgedAssetIsNeverEnded() public view {
        for (uint256 i = 0; i < handler.assetCount(); ++i) {
            bytes32 a = handler.assets(i);
            if (uaf.pledgeOf(a) == 0) continue;
            IAssetRegistryV2.AssetStatus s = registry.assetState(a).status;
            assertTrue(
                s != IAssetRegistryV2.AssetStatus.Disposed && s != IAssetRegistryV2.AssetStatus.Deregistered,
                "pledged asset ended"
            );
        }
    }

    /// Usable means: certified, current certificate Active and not a deregistration, not disputed.
    function invariant_usableMeansCurrentCertificateActive() public view {
        for (uint256 i = 0; i < handler.assetCount(); ++i) {
            bytes32 a = handler.assets(i);
            (IAssetRegistryV2.Usability part,) = registry.usability(a);
            if (part != IAssetRegistryV2.Usability.Usable) continue;
            IAssetRegistryV2.AssetState memory s = registry.assetState(a);
            bytes32 cert = s.currentCertificateId;
            assertTrue(s.status == IAssetRegistryV2.AssetStatus.Certified, "usable but not certified");
            assertTrue(!s.disputed, "usable but disputed");
            assertTrue(registry.certificateStatus(cert) == IAssetRegistryV2.CertificateStatus.Active, "cert not active");
            assertTrue(
                registry.certificate(cert).kind != IAssetRegistryV2.RegistrationKind.Deregistration, "deregistration"
            );
        }
    }

    /// The current certificate belongs to its asset and was never superseded.
    function invariant_currentCertificateBelongsToItsAsset() public view {
        for (uint256 i = 0; i < handler.assetCount(); ++i) {
            bytes32 a = handler.assets(i);
            bytes32 cert = registry.assetState(a).currentCertificateId;
            if (cert == 0) continue;
            IAssetRegistryV2.Certificate memory c = registry.certificate(cert);
            assertTrue(c.assetId == a, "certificate of another asset");
            assertTrue(c.replacedBy == 0, "current certificate superseded");
        }
    }

    /// Governance: k = 2 of 3 registrars, no registrar admitted or suspended by one alone, the
    /// deploying account powerless.
    function invariant_governanceNeedsKOfN() public view {
        assertEq(directory.threshold(), 2, "threshold");
        assertEq(directory.activeRegistrars(), 3, "registrars");
        assertTrue(directory.registrarOf(handler.ATTACK_CITY()) == 0, "registrar admitted alone");
        assertEq(directory.bootstrapper(), address(0), "deployer kept power");
    }

    /// Treasury changes take effect only after the delay, never to zero or the split.
    function invariant_moneyRoutesChangeOnlyAfterTheDelay() public view {
        assertEq(handler.routeViolations(), 0, "route changed early or to a forbidden account");
    }

    /// The verifier reports what the registry holds (status, dispute, usability).
    function invariant_verifierAgreesWithRegistry() public view {
        for (uint256 i = 0; i < handler.assetCount(); ++i) {
            bytes32 a = handler.assets(i);
            IAssetRegistryV2.AssetState memory s = registry.assetState(a);
            if (s.currentCertificateId == 0) continue;
            IAssetRegistryV2.Verification memory v = IVerify(verifierAddress).verify(s.currentCertificateId, 0);
            (IAssetRegistryV2.Usability part,) = registry.usability(a);
            assertTrue(v.usability == part, "usability differs");
            assertTrue(v.disputed == s.disputed, "dispute differs");
            assertTrue(v.status == registry.certificateStatus(s.currentCertificateId), "status differs");
        }
    }

    /// Outstanding remittance per asset equals the unremitted treasury shares recorded off chain.
    function invariant_outstandingRemittanceMatchesRecords() public view {
        for (uint256 i = 0; i < handler.assetCount(); ++i) {
            bytes32 a = handler.assets(i);
            assertEq(IOutstanding(split).outstandingRemittance(a), handler.outstandingGhost(a), "outstanding");
        }
    }
}

interface IERC20Balance {
    function balanceOf(address account) external view returns (uint256);
}

interface IVerify {
    function verify(bytes32 certificateId, bytes32 byOrgId) external view returns (IAssetRegistryV2.Verification memory);
}

interface IOutstanding {
    function outstandingRemittance(bytes32 assetId) external view returns (uint256);
}
