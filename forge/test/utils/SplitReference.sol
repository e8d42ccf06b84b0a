// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Reference model of the progressive split and a valid-schedule generator.
/// @dev Written independently of SplitMath: the exact sum of `part_i * bps_i` per bracket,
/// one floor division at the end. Exact for amounts and bounds up to 2**128 (products stay
/// below 2**142, a sum of 20 below 2**147).
library SplitReference {
    uint256 internal constant MAX_BPS = 10_000;
    uint256 internal constant MAX_BRACKETS = 20;

    function split(uint256[] memory lowerBounds, uint16[] memory operatorBps, uint256 amount)
        internal
        pure
        returns (uint256 operatorShare, uint256 treasuryShare)
    {
        require(amount <= type(uint128).max, "reference: amount above 2**128");
        uint256 weighted;
        for (uint256 i = 0; i < lowerBounds.length; ++i) {
            uint256 lower = lowerBounds[i];
            uint256 upper = i + 1 < lowerBounds.length ? lowerBounds[i + 1] : type(uint256).max;
            if (amount <= lower) continue;
            uint256 top = amount < upper ? amount : upper;
            weighted += (top - lower) * operatorBps[i];
        }
        operatorShare = weighted / MAX_BPS;
        treasuryShare = amount - operatorShare;
    }

    /// @notice A valid schedule of `count` brackets (1..20) drawn from `seed`.
    /// @param maxBound the largest upper bracket bound allowed (<= 2**128 for the reference)
    /// Gaps mix tiny (1 fen) and huge steps; rates repeat, jump and hit 0 and 10,000.
    function schedule(uint256 count, uint256 seed, uint256 maxBound)
        internal
        pure
        returns (uint256[] memory lowerBounds, uint16[] memory operatorBps)
    {
        count = 1 + (count % MAX_BRACKETS);
        if (maxBound < count) maxBound = count;
        lowerBounds = new uint256[](count);
        operatorBps = new uint16[](count);
        uint256 rate = _rand(seed, 0) % 4 == 0 ? 0 : _rand(seed, 1) % (MAX_BPS + 1);
        operatorBps[0] = uint16(rate);
        for (uint256 i = 1; i < count; ++i) {
            uint256 r = _rand(seed, 2 * i + 2);
            // room left so every later bracket still gets a bound <= maxBound
            uint256 room = maxBound - lowerBounds[i - 1] - (count - i);
            uint256 gap;
            uint256 mode = r % 4;
            if (mode == 0) gap = 1;
            else if (mode == 1) gap = 1 + (r >> 8) % 100_000;
            else gap = 1 + (r >> 8) % (1 + (room >> ((r >> 200) % 64)));
            if (gap > room + 1) gap = room + 1;
            lowerBounds[i] = lowerBounds[i - 1] + gap;
            uint256 s = _rand(seed, 2 * i + 3);
            uint256 step = s % 3;
            if (step == 1) rate += (s >> 8) % (MAX_BPS - rate + 1);
            else if (step == 2) rate = MAX_BPS;
            operatorBps[i] = uint16(rate);
        }
    }

    function _rand(uint256 seed, uint256 salt) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, salt)));
    }
}
