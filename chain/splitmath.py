"""Reference model of the progressive per-payment split (mirrors contracts/libraries/SplitMath.sol).

A schedule is a list of brackets ``(lower bound, operator share in basis points)``: the
first bound is 0, bounds strictly increase, shares never decrease and are at most 10,000,
and there are at most 20 brackets. For one payment the operator's share is
``floor(sum(part_i * bps_i) / 10_000)`` with one rounding at the end; the treasury's
share is the rest, so the two add up to the payment exactly.

``validate`` raises :class:`ScheduleError` (a ``ValueError``) whose ``rule`` is the name
of the contract's custom error and whose ``args_`` are that error's arguments, checked in
the contract's order, so the gateway can reject a bad schedule before sending it.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_BPS = 10_000
MAX_BRACKETS = 20
UINT256_MAX = 2**256 - 1
UINT16_MAX = 2**16 - 1


class ScheduleError(ValueError):
    """A schedule broke a rule; ``rule`` names the contract's custom error."""

    def __init__(self, rule: str, *args: int) -> None:
        self.rule = rule
        self.args_ = tuple(args)
        super().__init__(f"{rule}({', '.join(str(a) for a in args)})")


def validate(lower_bounds: Sequence[int], operator_bps: Sequence[int]) -> None:
    """Raise ScheduleError for the first rule the schedule breaks (contract order)."""
    count = len(lower_bounds)
    if count != len(operator_bps):
        raise ScheduleError("SplitLengthMismatch", count, len(operator_bps))
    if count == 0:
        raise ScheduleError("SplitScheduleEmpty")
    if count > MAX_BRACKETS:
        raise ScheduleError("SplitTooManyBrackets", count, MAX_BRACKETS)
    for bound in lower_bounds:
        if not 0 <= bound <= UINT256_MAX:
            raise ValueError(f"bound {bound} is not a uint256")
    for rate in operator_bps:
        if not 0 <= rate <= UINT16_MAX:
            raise ValueError(f"rate {rate} is not a uint16")
    if lower_bounds[0] != 0:
        raise ScheduleError("SplitFirstBoundNotZero", lower_bounds[0])
    for i in range(count):
        rate = operator_bps[i]
        if i > 0 and lower_bounds[i] <= lower_bounds[i - 1]:
            raise ScheduleError("SplitBoundsNotIncreasing", i, lower_bounds[i - 1], lower_bounds[i])
        if rate > MAX_BPS:
            raise ScheduleError("SplitRateAboveMax", i, rate)
        if i > 0 and rate < operator_bps[i - 1]:
            raise ScheduleError("SplitRateDecreasing", i, operator_bps[i - 1], rate)


def bracket_parts(lower_bounds: Sequence[int], amount: int) -> list[int]:
    """The part of ``amount`` inside each bracket (they add up to ``amount``)."""
    parts: list[int] = []
    for i, lower in enumerate(lower_bounds):
        upper = lower_bounds[i + 1] if i + 1 < len(lower_bounds) else None
        if amount <= lower:
            parts.append(0)
        elif upper is None or amount < upper:
            parts.append(amount - lower)
        else:
            parts.append(upper - lower)
    return parts


def split(
    lower_bounds: Sequence[int], operator_bps: Sequence[int], amount: int
) -> tuple[int, int]:
    """Return ``(operator share, treasury share)`` of one payment; validates first."""
    validate(lower_bounds, operator_bps)
    if not 0 <= amount <= UINT256_MAX:
        raise ValueError(f"amount {amount} is not a uint256")
    parts = bracket_parts(lower_bounds, amount)
    operator = sum(part * rate for part, rate in zip(parts, operator_bps, strict=True)) // MAX_BPS
    return operator, amount - operator
