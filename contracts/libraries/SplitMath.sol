// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Progressive per-payment split between the authorised operator and the treasury.
/// @notice A schedule is a list of brackets `(lowerBound, operatorBps)`: the first bound is
/// 0, bounds strictly increase, operator rates never decrease and are at most 10,000 bp.
/// For one payment `amount`, the part inside bracket `i` is
/// `min(amount, lowerBounds[i + 1]) - lowerBounds[i]` when `amount > lowerBounds[i]`, else 0
/// (the last bracket has no upper bound). The operator's share is
/// `floor(sum(part_i * operatorBps_i) / 10,000)` - one rounding, at the end - and the
/// treasury's share is `amount - operatorShare`, so the two always add up to `amount`.
/// @dev The sum is kept as `whole + rest / 10,000` with `part_i = q_i * 10,000 + r_i`:
/// `whole = sum(q_i * bps_i) <= amount` and `rest = sum(r_i * bps_i) < 20 * 10^8`, so the
/// result is exact and no intermediate value can overflow for any uint256 amount.
library SplitMath {
    /// @notice Basis points in one whole (100 %).
    uint16 internal constant MAX_BPS = 10_000;
    /// @notice The most brackets a schedule may have.
    uint256 internal constant MAX_BRACKETS = 20;

    /// @notice The schedule has no brackets.
    error SplitScheduleEmpty();
    /// @notice The schedule has more than `max` brackets.
    error SplitTooManyBrackets(uint256 count, uint256 max);
    /// @notice The bounds and rates lists differ in length.
    error SplitLengthMismatch(uint256 boundsLength, uint256 ratesLength);
    /// @notice The first bracket must start at 0.
    error SplitFirstBoundNotZero(uint256 bound);
    /// @notice Bracket `index` does not start above the previous bracket.
    error SplitBoundsNotIncreasing(uint256 index, uint256 previous, uint256 bound);
    /// @notice Bracket `index` has a rate above 10,000 bp.
    error SplitRateAboveMax(uint256 index, uint16 rate);
    /// @notice Bracket `index` has a lower operator rate than the bracket below it.
    error SplitRateDecreasing(uint256 index, uint16 previous, uint16 rate);

    /// @notice Revert with the first rule the schedule breaks, if any.
    /// @dev Order: length mismatch, empty, too many, first bound, then per bracket in
    /// order: bound increasing, rate at most 10,000, rate non-decreasing.
    function validate(uint256[] memory lowerBounds, uint16[] memory operatorBps) internal pure {
        uint256 count = lowerBounds.length;
        if (count != operatorBps.length) revert SplitLengthMismatch(count, operatorBps.length);
        if (count == 0) revert SplitScheduleEmpty();
        if (count > MAX_BRACKETS) revert SplitTooManyBrackets(count, MAX_BRACKETS);
        if (lowerBounds[0] != 0) revert SplitFirstBoundNotZero(lowerBounds[0]);
        for (uint256 i = 0; i < count; ++i) {
            uint16 rate = operatorBps[i];
            if (i > 0) {
                uint256 previous = lowerBounds[i - 1];
                if (lowerBounds[i] <= previous) {
                    revert SplitBoundsNotIncreasing(i, previous, lowerBounds[i]);
                }
            }
            if (rate > MAX_BPS) revert SplitRateAboveMax(i, rate);
            if (i > 0 && rate < operatorBps[i - 1]) {
                revert SplitRateDecreasing(i, operatorBps[i - 1], rate);
            }
        }
    }

    /// @notice Split one payment by a schedule that passed `validate`.
    /// @return operatorShare floor(sum(part_i * bps_i) / 10,000)
    /// @return treasuryShare amount - operatorShare
    function split(uint256[] memory lowerBounds, uint16[] memory operatorBps, uint256 amount)
        internal
        pure
        returns (uint256 operatorShare, uint256 treasuryShare)
    {
        uint256 count = lowerBounds.length;
        uint256 whole;
        uint256 rest;
        unchecked {
            for (uint256 i = 0; i < count; ++i) {
                uint256 lower = lowerBounds[i];
                if (amount <= lower) break;
                uint256 top = amount;
                if (i + 1 < count && lowerBounds[i + 1] < amount) top = lowerBounds[i + 1];
                uint256 part = top - lower;
                uint256 rate = operatorBps[i];
                // (part / MAX_BPS) * rate <= part: the sum stays <= amount.
                whole += (part / MAX_BPS) * rate;
                // each term < 10^8, at most MAX_BRACKETS terms.
                rest += (part % MAX_BPS) * rate;
            }
            operatorShare = whole + rest / MAX_BPS;
            treasuryShare = amount - operatorShare;
        }
    }
}
