// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {RevenueSplit} from "contracts/RevenueSplit.sol";
import {IRevenueSplit} from "contracts/interfaces/IRevenueSplit.sol";
import {ILedgerDirectory} from "contracts/interfaces/ILedgerDirectory.sol";
import {MockLedgerDirectory} from "contracts/test/MockLedgerDirectory.sol";
import {LedgerTestToken} from "contracts/test/LedgerTestToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {TestBase, Vm} from "./utils/TestBase.sol";
import {SplitReference} from "./utils/SplitReference.sol";

/// @title Drives RevenueSplit with schedule changes, token and off-chain payments and
/// remittance confirmations, and keeps ghost totals of what should have happened.
contract RevenueSplitHandler {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint32 public constant CITY = 370200;
    uint256 public constant ASSETS = 3;
    uint256 public constant PAYERS = 3;

    RevenueSplit public immutable split;
    MockLedgerDirectory public immutable directory;
    LedgerTestToken public immutable token;

    address public immutable finance = address(0xF1);
    address public immutable treasury = address(0x7EA5);
    address[2] public operators = [address(0x0A1), address(0x0A2)];
    address[2] public payouts = [address(0xB01), address(0xB02)];
    bytes32[2] public operatorOrgs = [bytes32("operator-a"), bytes32("operator-b")];
    address[PAYERS] public payers = [address(0xC01), address(0xC02), address(0xC03)];
    bytes32[ASSETS] public assets = [bytes32("asset-0"), bytes32("asset-1"), bytes32("asset-2")];

    // ghost state
    struct Ghost {
        bytes32 id;
        uint256 asset;
        uint256 operatorIndex;
        uint256 amount;
        uint256 operatorShare;
        uint32 version;
        bool offchain;
        bool remitted;
    }

    Ghost[] public ghosts;
    uint256 public minted;
    uint256 public onchainPaid;
    uint256 public onchainOperator;
    uint256 public onchainTreasury;
    uint256[2] public onchainOperatorByOrg;
    uint256[ASSETS] public paidByAsset;
    uint256[ASSETS] public operatorByAsset;
    uint256[ASSETS] public scheduleVersions;
    uint256 public duplicatesAccepted;
    uint256 public referenceMismatches;
    uint256 private _refCounter;

    mapping(uint256 asset => uint256[]) private _bounds;
    mapping(uint256 asset => uint16[]) private _bps;

    // call counts, for the run summary
    uint256 public calls;

    constructor() {
        directory = new MockLedgerDirectory();
        token = new LedgerTestToken();
        split = new RevenueSplit(ILedgerDirectory(address(directory)), IERC20(address(token)));

        directory.setAccountOrg(
            finance, "finance", ILedgerDirectory.OrgKind.FinanceDepartment, CITY, true
        );
        for (uint256 o = 0; o < 2; ++o) {
            directory.setAccountOrg(
                operators[o], operatorOrgs[o], ILedgerDirectory.OrgKind.Operator, CITY, true
            );
            vm.prank(operators[o]);
            split.setPayoutAccount(payouts[o]);
        }
        for (uint256 p = 0; p < PAYERS; ++p) {
            directory.setAccountOrg(
                payers[p],
                bytes32(uint256(0xC000 + p)),
                ILedgerDirectory.OrgKind.Merchant,
                110000,
                true
            );
            vm.prank(payers[p]);
            token.approve(address(split), type(uint256).max);
        }
        vm.prank(finance);
        split.setTreasuryAccount(CITY, treasury);
        for (uint256 a = 0; a < ASSETS; ++a) {
            directory.setPaymentContext(
                assets[a],
                ILedgerDirectory.PaymentContext({
                    exists: true,
                    city: CITY,
                    holderOrgId: "holder",
                    operatorOrgId: operatorOrgs[_operatorOf(a)],
                    paidUseApproved: true,
                    disposed: false
                })
            );
            setSchedule(a, a, uint256(keccak256(abi.encode("initial", a))));
        }
    }

    function _operatorOf(uint256 asset) private pure returns (uint256) {
        return asset == ASSETS - 1 ? 1 : 0;
    }

    function _bound(uint256 x, uint256 min, uint256 max) private pure returns (uint256) {
        return min + (x % (max - min + 1));
    }

    /// @dev Amounts: often small, sometimes on a bracket bound, sometimes near 2**128.
    function _amount(uint256 asset, uint256 raw) private view returns (uint256) {
        uint256 mode = raw % 8;
        uint256[] storage bounds = _bounds[asset];
        if (mode < 3) return _bound(raw >> 8, 1, 10_000_000_000); // up to 100 million yuan
        if (mode < 6) {
            // just below, on or just above a bracket bound
            uint256 b = bounds[(raw >> 8) % bounds.length];
            if (mode == 3) return b <= 1 ? 1 : b - 1;
            if (mode == 4) return b == 0 ? 1 : b;
            return b + 1;
        }
        if (mode == 6) return _bound(raw >> 8, 1, type(uint64).max);
        return _bound(raw >> 8, type(uint128).max - type(uint64).max, type(uint128).max);
    }

    function _expected(uint256 asset, uint256 amount) private view returns (uint256 op) {
        (op,) = SplitReference.split(_bounds[asset], _bps[asset], amount);
    }

    // ------------------------------------------------------------------ actions

    function setSchedule(uint256 assetSeed, uint256 count, uint256 seed) public {
        uint256 asset = assetSeed % ASSETS;
        (uint256[] memory bounds, uint16[] memory bps) =
            SplitReference.schedule(count, seed, 10_000_000_000_000);
        vm.prank(finance);
        uint32 version = split.setSchedule(assets[asset], bounds, bps);
        scheduleVersions[asset] += 1;
        require(version == scheduleVersions[asset], "schedule version");
        _bounds[asset] = bounds;
        _bps[asset] = bps;
        ++calls;
    }

    function pay(uint256 assetSeed, uint256 payerSeed, uint256 rawAmount) external {
        uint256 asset = assetSeed % ASSETS;
        address payer = payers[payerSeed % PAYERS];
        uint256 amount = _amount(asset, rawAmount);
        token.mint(payer, amount);
        minted += amount;
        bytes32 ref = bytes32(++_refCounter);
        vm.prank(payer);
        bytes32 id = split.pay(assets[asset], amount, ref);

        uint256 op = _expected(asset, amount);
        IRevenueSplit.Payment memory p = split.payment(id);
        if (p.operatorShare != op || p.amount != amount) ++referenceMismatches;
        uint256 o = _operatorOf(asset);
        ghosts.push(
            Ghost(id, asset, o, amount, op, uint32(scheduleVersions[asset]), false, true)
        );
        onchainPaid += amount;
        onchainOperator += op;
        onchainTreasury += amount - op;
        onchainOperatorByOrg[o] += op;
        paidByAsset[asset] += amount;
        operatorByAsset[asset] += op;

        // a retry with the same reference must be refused
        token.mint(payer, amount);
        minted += amount;
        vm.prank(payer);
        try split.pay(assets[asset], amount, ref) {
            ++duplicatesAccepted;
        } catch {}
        ++calls;
    }

    function recordOffchain(uint256 assetSeed, uint256 rawAmount) external {
        uint256 asset = assetSeed % ASSETS;
        uint256 amount = _amount(asset, rawAmount);
        uint256 o = _operatorOf(asset);
        bytes32 bankRef = bytes32(++_refCounter);
        vm.prank(operators[o]);
        bytes32 id = split.recordOffchainPayment(assets[asset], amount, bankRef);

        uint256 op = _expected(asset, amount);
        IRevenueSplit.Payment memory p = split.payment(id);
        if (p.operatorShare != op || p.amount != amount) ++referenceMismatches;
        ghosts.push(
            Ghost(id, asset, o, amount, op, uint32(scheduleVersions[asset]), true, false)
        );
        paidByAsset[asset] += amount;
        operatorByAsset[asset] += op;

        vm.prank(operators[o]);
        try split.recordOffchainPayment(assets[asset], amount, bankRef) {
            ++duplicatesAccepted;
        } catch {}
        ++calls;
    }

    function confirmRemittance(uint256 indexSeed, bytes32 remittanceRef) external {
        uint256 n = ghosts.length;
        if (n == 0) return;
        if (remittanceRef == bytes32(0)) remittanceRef = bytes32(uint256(1));
        // the first unremitted off-chain payment at or after a random start
        for (uint256 k = 0; k < n; ++k) {
            Ghost storage g = ghosts[(indexSeed % n + k) % n];
            if (!g.offchain || g.remitted) continue;
            vm.prank(finance);
            split.confirmRemittance(g.id, remittanceRef);
            g.remitted = true;
            vm.prank(finance);
            try split.confirmRemittance(g.id, remittanceRef) {
                ++duplicatesAccepted;
            } catch {}
            ++calls;
            return;
        }
    }

    function advanceBlocks(uint256 blocks) external {
        vm.roll(block.number + 1 + blocks % 100);
    }

    // ------------------------------------------------------------------ views for invariants

    function ghostCount() external view returns (uint256) {
        return ghosts.length;
    }

    function ghostAt(uint256 i) external view returns (Ghost memory) {
        return ghosts[i];
    }
}

/// @title Invariants of RevenueSplit under random schedule changes, payments and
/// remittances: conservation of tokens, totals and outstanding remittance.
contract RevenueSplitInvariantTest is TestBase {
    RevenueSplitHandler private handler;
    RevenueSplit private split;
    LedgerTestToken private token;

    function setUp() public {
        handler = new RevenueSplitHandler();
        split = handler.split();
        token = handler.token();
        bytes4[] memory selectors = new bytes4[](5);
        selectors[0] = RevenueSplitHandler.setSchedule.selector;
        selectors[1] = RevenueSplitHandler.pay.selector;
        selectors[2] = RevenueSplitHandler.recordOffchain.selector;
        selectors[3] = RevenueSplitHandler.confirmRemittance.selector;
        selectors[4] = RevenueSplitHandler.advanceBlocks.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// @notice All ledger invariants in one campaign (forge runs one campaign per
    /// invariant function, so one function keeps CI time down; messages name the check).
    function invariant_ledger() public view {
        _checkTokenBalances();
        _checkNoTokensLost();
        _checkAssetTotals();
        _checkOutstandingAndRecords();
        _checkReferenceAndDuplicates();
    }

    /// @notice Payout and treasury balances equal the recorded token payments, split as
    /// recorded; the contract itself never holds tokens.
    function _checkTokenBalances() internal view {
        uint256 payoutA = token.balanceOf(handler.payouts(0));
        uint256 payoutB = token.balanceOf(handler.payouts(1));
        uint256 treasury = token.balanceOf(handler.treasury());
        assertEq(payoutA + payoutB + treasury, handler.onchainPaid(), "payouts + treasury");
        assertEq(payoutA, handler.onchainOperatorByOrg(0), "payout A");
        assertEq(payoutB, handler.onchainOperatorByOrg(1), "payout B");
        assertEq(treasury, handler.onchainTreasury(), "treasury");
        assertEq(token.balanceOf(address(split)), 0, "contract balance");
    }

    /// @notice Every token minted for a payment is either still with a payer or was paid.
    function _checkNoTokensLost() internal view {
        uint256 payers;
        for (uint256 p = 0; p < handler.PAYERS(); ++p) {
            payers += token.balanceOf(handler.payers(p));
        }
        assertEq(handler.minted() - payers, handler.onchainPaid(), "tokens moved vs paid");
        assertEq(token.totalSupply(), handler.minted(), "supply");
    }

    /// @notice assetTotals sums every payment of the asset (token and off-chain) exactly.
    function _checkAssetTotals() internal view {
        for (uint256 a = 0; a < handler.ASSETS(); ++a) {
            IRevenueSplit.AssetTotals memory t = split.assetTotals(handler.assets(a));
            assertEq(t.totalPaid, t.operatorTotal + t.treasuryTotal, "total = op + treasury");
            assertEq(t.totalPaid, handler.paidByAsset(a), "total paid");
            assertEq(t.operatorTotal, handler.operatorByAsset(a), "operator total");
            assertEq(split.scheduleCount(handler.assets(a)), handler.scheduleVersions(a), "versions");
        }
    }

    /// @notice Outstanding remittance per asset and per operator equals the treasury shares
    /// of off-chain payments not yet confirmed; each record matches the reference split.
    function _checkOutstandingAndRecords() internal view {
        uint256[3] memory byAsset;
        uint256[2] memory byOperator;
        uint256 n = handler.ghostCount();
        for (uint256 i = 0; i < n; ++i) {
            RevenueSplitHandler.Ghost memory g = handler.ghostAt(i);
            IRevenueSplit.Payment memory p = split.payment(g.id);
            assertEq(p.amount, g.amount, "record amount");
            assertEq(p.operatorShare, g.operatorShare, "record operator share");
            assertEq(p.scheduleVersion, g.version, "record schedule version");
            assertTrue(p.remitted == g.remitted, "record remitted flag");
            assertTrue(
                p.settlement
                    == (g.offchain ? IRevenueSplit.Settlement.OffChain : IRevenueSplit.Settlement.OnChain),
                "record settlement"
            );
            if (g.offchain && !g.remitted) {
                byAsset[g.asset] += g.amount - g.operatorShare;
                byOperator[g.operatorIndex] += g.amount - g.operatorShare;
            }
        }
        for (uint256 a = 0; a < handler.ASSETS(); ++a) {
            assertEq(split.outstandingRemittance(handler.assets(a)), byAsset[a], "outstanding by asset");
        }
        for (uint256 o = 0; o < 2; ++o) {
            assertEq(
                split.outstandingRemittanceByOperator(handler.operatorOrgs(o)),
                byOperator[o],
                "outstanding by operator"
            );
        }
    }

    /// @notice Shares match the reference model, and retries with a used reference and
    /// second confirmations are always refused.
    function _checkReferenceAndDuplicates() internal view {
        assertEq(handler.referenceMismatches(), 0, "shares differ from the reference split");
        assertEq(handler.duplicatesAccepted(), 0, "duplicate accepted");
    }
}
