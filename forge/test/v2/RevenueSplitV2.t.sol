// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IRevenueSplitV2} from "contracts/v2/interfaces/IRevenueSplitV2.sol";

import {TestBase} from "../utils/TestBase.sol";
import {V2Setup} from "./utils/V2Setup.sol";

/// @title RevenueSplitV2's packed schedules: what is stored reads back exactly, and every
/// payment splits as SplitMath does on the schedule as given.
contract RevenueSplitV2Test is TestBase, V2Setup {
    bytes32 internal assetId;

    function setUp() public {
        _deployLedger();
        (assetId,) = _payable();
    }

    function testFuzz_scheduleReadsBackAndSplitsLikeQuote(uint256 seed, uint256 amount) public {
        (uint256[] memory bounds, uint16[] memory bps) = _schedule(seed);
        (uint32 before,,) = split.currentSchedule(assetId);
        hevm.prank(financeKey);
        uint32 version = split.setSchedule(assetId, bounds, bps);
        assertEq(version, before + 1, "version");
        _checkReadBack(version, bounds, bps);
        amount = bound(amount, 1, type(uint128).max);
        (uint256 op, uint256 tr) = split.quote(bounds, bps, amount);
        (uint256 pOp, uint256 pTr, uint32 pv) = split.preview(assetId, amount);
        assertEq(pOp, op, "operator share");
        assertEq(pTr, tr, "treasury share");
        assertEq(pv, version, "preview version");
        assertEq(op + tr, amount, "conservation");
    }

    function _schedule(uint256 seed) private view returns (uint256[] memory bounds, uint16[] memory bps) {
        uint256 count = bound(seed, 1, 20);
        bounds = new uint256[](count);
        bps = new uint16[](count);
        uint256 lastBound;
        uint16 lastBps;
        uint256 max = split.MAX_BOUND();
        for (uint256 i = 0; i < count; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            if (i > 0) {
                uint256 room = (max - lastBound - (count - i)) / (count - i);
                lastBound += 1 + (r % (room + 1));
                bounds[i] = lastBound;
            }
            lastBps = uint16(bound(r >> 128, lastBps, 10_000));
            bps[i] = lastBps;
        }
    }

    function _checkReadBack(uint32 version, uint256[] memory bounds, uint16[] memory bps) private view {
        (uint32 v, uint256[] memory readBounds, uint16[] memory readBps) = split.currentSchedule(assetId);
        assertEq(v, version, "read version");
        assertEq(readBounds.length, bounds.length, "count");
        for (uint256 i = 0; i < bounds.length; ++i) {
            assertEq(readBounds[i], bounds[i], "bound");
            assertEq(readBps[i], bps[i], "bps");
        }
    }

    function test_boundAbove88BitsIsRefused() public {
        uint256[] memory bounds = new uint256[](2);
        bounds[1] = uint256(type(uint88).max) + 1;
        uint16[] memory bps = new uint16[](2);
        hevm.prank(financeKey);
        hevm.expectRevert(
            abi.encodeWithSelector(IRevenueSplitV2.BoundTooLarge.selector, uint256(1), bounds[1], uint256(type(uint88).max))
        );
        split.setSchedule(assetId, bounds, bps);
    }

    function test_payoutChangeWaitsForTheDelayAndPaymentsFollowIt() public {
        hevm.prank(operatorKey);
        split.proposePayoutAccount(address(0x9A7));
        _pay(assetId, 1_000_00);
        assertEq(token.balanceOf(address(0x9A7)), 0, "old route until the delay");
        hevm.warp(block.timestamp + ACCOUNT_DELAY);
        split.activatePayoutAccount(operator);
        _pay(assetId, 1_000_00);
        assertEq(token.balanceOf(address(0x9A7)), 200_00, "new route after the delay");
    }
}
