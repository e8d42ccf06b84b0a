// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SplitMath} from "contracts/libraries/SplitMath.sol";
import {OrgDirectory} from "contracts/v2/OrgDirectory.sol";
import {AssetRegistryV2} from "contracts/v2/AssetRegistryV2.sol";
import {UseAndFinance} from "contracts/v2/UseAndFinance.sol";
import {RevenueSplitV2} from "contracts/v2/RevenueSplitV2.sol";
import {IOrgDirectory} from "contracts/v2/interfaces/IOrgDirectory.sol";
import {IAssetRegistryV2} from "contracts/v2/interfaces/IAssetRegistryV2.sol";
import {ISplitContext} from "contracts/v2/interfaces/ISplitContext.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {TestBase} from "./utils/TestBase.sol";
import {SplitReference} from "./utils/SplitReference.sol";

/// @dev External entry to SplitMath.validate so reverts can be expected.
contract SplitMathHarness {
    function validate(uint256[] memory lowerBounds, uint16[] memory operatorBps) external pure {
        SplitMath.validate(lowerBounds, operatorBps);
    }
}

/// @title Fuzz tests of the progressive split against an independent reference.
contract SplitMathTest is TestBase {
    uint256 private constant MAX_AMOUNT = type(uint128).max;

    SplitMathHarness private harness;
    RevenueSplitV2 private revenueSplit;

    function setUp() public {
        harness = new SplitMathHarness();
        OrgDirectory directory = new OrgDirectory(1 days);
        AssetRegistryV2 registry = new AssetRegistryV2(IOrgDirectory(address(directory)));
        UseAndFinance uaf =
            new UseAndFinance(IOrgDirectory(address(directory)), IAssetRegistryV2(address(registry)));
        revenueSplit = new RevenueSplitV2(ISplitContext(address(uaf)), IERC20(address(0)), 1);
    }

    /// @dev An amount that often lands exactly on, just below or just above a bound.
    function _amount(uint256[] memory lowerBounds, uint256 seed, uint256 raw, uint256 max)
        private
        pure
        returns (uint256)
    {
        uint256 mode = seed % 4;
        if (mode == 3) return bound(raw, 0, max);
        uint256 b = lowerBounds[(seed >> 8) % lowerBounds.length];
        if (mode == 0) return b;
        if (mode == 1) return b == 0 ? 0 : b - 1;
        return b == max ? b : b + 1;
    }

    function testFuzz_shares_add_up_for_any_amount(uint256 count, uint256 seed, uint256 amount)
        public
        view
    {
        (uint256[] memory bounds, uint16[] memory bps) =
            SplitReference.schedule(count, seed, type(uint256).max - 1);
        harness.validate(bounds, bps);
        (uint256 op, uint256 tr) = SplitMath.split(bounds, bps, amount);
        assertEq(op + tr, amount, "operator + treasury");
        assertLe(op, amount, "operator share above amount");
        uint16 top = bps[bps.length - 1];
        // the operator never gets more than the top rate of the whole amount
        uint256 floorAtTop = amount / SplitMath.MAX_BPS * top;
        if (op > floorAtTop) assertLe(op - floorAtTop, top, "operator share above the top rate");
    }

    function testFuzz_split_matches_reference(
        uint256 count,
        uint256 seed,
        uint256 amountSeed,
        uint256 raw
    ) public view {
        (uint256[] memory bounds, uint16[] memory bps) =
            SplitReference.schedule(count, seed, MAX_AMOUNT);
        uint256 amount = _amount(bounds, amountSeed, raw, MAX_AMOUNT);
        (uint256 op, uint256 tr) = SplitMath.split(bounds, bps, amount);
        (uint256 refOp, uint256 refTr) = SplitReference.split(bounds, bps, amount);
        assertEq(op, refOp, "operator share vs reference");
        assertEq(tr, refTr, "treasury share vs reference");
        (uint256 qOp, uint256 qTr) = revenueSplit.quote(bounds, bps, amount);
        assertEq(qOp, op, "quote operator share");
        assertEq(qTr, tr, "quote treasury share");
    }

    function testFuzz_shares_monotone_in_amount(
        uint256 count,
        uint256 seed,
        uint256 a,
        uint256 b
    ) public pure {
        (uint256[] memory bounds, uint16[] memory bps) =
            SplitReference.schedule(count, seed, MAX_AMOUNT);
        a = bound(a, 0, MAX_AMOUNT);
        b = bound(b, 0, MAX_AMOUNT);
        if (a > b) (a, b) = (b, a);
        (uint256 opA, uint256 trA) = SplitMath.split(bounds, bps, a);
        (uint256 opB, uint256 trB) = SplitMath.split(bounds, bps, b);
        assertLe(opA, opB, "operator share decreased");
        assertLe(trA, trB, "treasury share decreased");
        assertLe(opB - opA, b - a, "operator share grew faster than the amount");
    }

    function testFuzz_zero_and_full_rates(uint256 count, uint256 seed, uint256 amount)
        public
        view
    {
        (uint256[] memory bounds, uint16[] memory bps) =
            SplitReference.schedule(count, seed, type(uint256).max - 1);
        for (uint256 i = 0; i < bps.length; ++i) bps[i] = 0;
        harness.validate(bounds, bps);
        (uint256 op, uint256 tr) = SplitMath.split(bounds, bps, amount);
        assertEq(op, 0, "0 % schedule: operator");
        assertEq(tr, amount, "0 % schedule: treasury");
        for (uint256 i = 0; i < bps.length; ++i) bps[i] = SplitMath.MAX_BPS;
        harness.validate(bounds, bps);
        (op, tr) = SplitMath.split(bounds, bps, amount);
        assertEq(op, amount, "100 % schedule: operator");
        assertEq(tr, 0, "100 % schedule: treasury");
    }

    function testFuzz_flat_rate_is_one_floor(uint16 rate, uint256 amount) public pure {
        rate = uint16(bound(rate, 0, SplitMath.MAX_BPS));
        amount = bound(amount, 0, MAX_AMOUNT);
        uint256[] memory bounds = new uint256[](1);
        uint16[] memory bps = new uint16[](1);
        bps[0] = rate;
        (uint256 op,) = SplitMath.split(bounds, bps, amount);
        assertEq(op, amount * rate / SplitMath.MAX_BPS, "flat rate");
    }

    function testFuzz_validate_rejects_rate_above_max(uint256 count, uint256 seed, uint16 rate)
        public
    {
        (uint256[] memory bounds, uint16[] memory bps) =
            SplitReference.schedule(count, seed, MAX_AMOUNT);
        rate = uint16(bound(rate, SplitMath.MAX_BPS + 1, type(uint16).max));
        uint256 last = bps.length - 1;
        bps[last] = rate;
        vm.expectRevert(
            abi.encodeWithSelector(SplitMath.SplitRateAboveMax.selector, last, rate)
        );
        harness.validate(bounds, bps);
    }

    function testFuzz_validate_rejects_bounds_not_increasing(uint256 count, uint256 seed, uint256 at)
        public
    {
        (uint256[] memory bounds, uint16[] memory bps) =
            SplitReference.schedule(count, seed, MAX_AMOUNT);
        vm.assume(bounds.length > 1);
        uint256 i = bound(at, 1, bounds.length - 1);
        bounds[i] = bounds[i - 1];
        vm.expectRevert(
            abi.encodeWithSelector(
                SplitMath.SplitBoundsNotIncreasing.selector, i, bounds[i - 1], bounds[i]
            )
        );
        harness.validate(bounds, bps);
    }
}
