// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {TestBase} from "../../utils/TestBase.sol";
import {V2Setup, VmV2} from "./V2Setup.sol";

/// @notice Cheatcodes the mutation-kill tests use beyond VmV2.
interface VmKills {
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter)
        external;
    function expectRevert() external;
}

/// @title Shared helpers of the MutationKills suites: exact events and exact errors.
abstract contract KillsBase is TestBase, V2Setup {
    VmKills internal constant kvm = VmKills(address(uint160(uint256(keccak256("hevm cheat code")))));

    function setUp() public virtual {
        _deployLedger();
    }

    /// @dev The next call must emit this exact event (all topics and data) from `emitter`.
    function _expectEmit(address emitter) internal {
        kvm.expectEmit(true, true, true, true, emitter);
    }

    function _revertsWith(bytes4 selector) internal {
        hevm.expectRevert(abi.encodeWithSelector(selector));
    }

    /// @dev How many logs with this first topic `emitter` wrote since the last recordLogs.
    function _count(VmV2.Log[] memory logs, address emitter, bytes32 topic0) internal pure returns (uint256 n) {
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter == emitter && logs[i].topics.length != 0 && logs[i].topics[0] == topic0) ++n;
        }
    }

    function assertEq32(bytes32 a, bytes32 b, string memory what) internal pure {
        require(a == b, what);
    }
}
