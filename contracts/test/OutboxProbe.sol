// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title OutboxProbe
/// @notice A minimal contract the gateway's write-path tests call: it records a value
///         under a key, emits the record and rejects zero values with a custom error.
/// @dev Test support only; never deployed by the product.
contract OutboxProbe {
    /// @notice A value was recorded under `key` by `by`.
    event Recorded(bytes32 indexed key, uint256 value, address by);

    /// @notice `value` zero is refused for `key`.
    error ProbeRejected(bytes32 key, uint256 value);

    mapping(bytes32 key => uint256 value) private _values;
    mapping(bytes32 key => uint256 count) private _writes;
    uint256 private _total;

    /// @notice Record `value` under `key`; reverts with ProbeRejected when value is zero.
    function record(bytes32 key, uint256 value) external {
        if (value == 0) revert ProbeRejected(key, value);
        _values[key] = value;
        _writes[key] += 1;
        _total += 1;
        emit Recorded(key, value, msg.sender);
    }

    /// @notice Revert with a reason string (for decoding tests).
    function fail(string calldata reason) external pure {
        revert(reason);
    }

    /// @notice Divide by `d` (a zero divisor panics with code 0x12).
    function divide(uint256 n, uint256 d) external pure returns (uint256) {
        return n / d;
    }

    function valueOf(bytes32 key) external view returns (uint256) {
        return _values[key];
    }

    function writesOf(bytes32 key) external view returns (uint256) {
        return _writes[key];
    }

    function total() external view returns (uint256) {
        return _total;
    }
}
