"""A signer's writes in flight, held to the chain's pace.

:class:`BlockPace` keeps the seconds a block takes and how full the latest blocks were,
from the receipt tracker's sightings of the head.

- :func:`admission_limit`: while the latest blocks are full, the chain is what limits the
  writes, and a backlog of more than one and a half blocks of the signer's writes makes
  every write admitted behind it wait more than two blocks for its own: the signer may
  then have at most that many in flight (and never more than ``max_in_flight``).
- :func:`retry_after`: a refused client comes back once the chain has mined the writes
  over the limit, at the signer's recent per-block take and the chain's block time. A
  pace-blind guess (a second per hundred writes in flight) told 32 clients of a signer
  at 1,024 in flight to wait 11 s on a chain that mined the backlog within a block.
"""

from __future__ import annotations

import threading
import time

#: the longest ``Retry-After`` a backpressure refusal gives (seconds)
RETRY_AFTER_MOST = 30
#: the weight of the latest interval between heads (and of the latest head's fill) in
#: the averages
PACE_WEIGHT = 0.25
#: a block used at least this share of its gas limit: the chain is full ...
FULL_SHARE = 0.9
#: ... until the latest blocks use less than this share on average (a block less full
#: between full ones, as when refused clients wait, does not lift the limit and let the
#: backlog grow by a block)
ROOMY_SHARE = 0.5
#: while the chain is full, a signer may have this many blocks of its writes in flight
PACE_BLOCKS_NUM, PACE_BLOCKS_DEN = 3, 2
#: ... and at least this many
PACE_FLOOR = 32


class BlockPace:
    """The seconds a block of the chain takes: an average of the intervals between the new
    heads the receipt tracker sees (thread-safe; None until two heads were seen)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[int, float] | None = None
        self.seconds: float | None = None
        #: the share of the gas limit the latest heads used (an average)
        self.fill = 0.0
        #: the latest blocks were full: the chain is what limits the writes (from a block
        #: of ``FULL_SHARE`` until the average fill falls under ``ROOMY_SHARE``: at once
        #: when a burst fills a block, not after the average has caught up with it)
        self.full = False

    def saw(self, number: int, now: float | None = None, fill: float = 0.0) -> None:
        """The head is block ``number`` at ``now`` (``time.monotonic()``), ``fill`` of its
        gas limit used."""
        at = time.monotonic() if now is None else now
        with self._lock:
            last = self._last
            if last is not None and number == last[0]:
                return
            self.fill = fill if last is None else self.fill + PACE_WEIGHT * (fill - self.fill)
            self.full = fill >= FULL_SHARE or (self.full and self.fill >= ROOMY_SHARE)
            self._last = (number, at)
            if last is None or number < last[0]:  # the first head, or the chain went back
                return
            interval = (at - last[1]) / (number - last[0])
            if self.seconds is None:
                self.seconds = interval
            else:
                self.seconds += PACE_WEIGHT * (interval - self.seconds)


def retry_after(in_flight: int, limit: int, take: int, block_seconds: float | None) -> int:
    """Seconds until a signer with ``in_flight`` writes and a limit of ``limit`` is likely
    under it: the blocks its writes over the limit need at ``take`` of them a block, times
    ``block_seconds`` (at least 1, at most ``RETRY_AFTER_MOST``). Without a take or a pace
    (nothing of the signer mined lately, no block seen yet): a second per hundred writes in
    flight."""
    if take <= 0 or block_seconds is None:
        seconds = in_flight // 100 + 1
    else:
        blocks = -(-(in_flight - limit + 1) // take)
        seconds = round(blocks * block_seconds)
    return max(1, min(RETRY_AFTER_MOST, seconds))


def admission_limit(max_in_flight: int, take: int, chain_full: bool) -> int:
    """The most writes a signer may have in flight: ``max_in_flight``; while the chain is
    full, also one and a half blocks of its recent per-block ``take`` (at least
    ``PACE_FLOOR``)."""
    if not chain_full or take <= 0:
        return max_in_flight
    return min(max_in_flight, max(PACE_FLOOR, take * PACE_BLOCKS_NUM // PACE_BLOCKS_DEN))
