"""When a client refused for backpressure should come back: at the chain's pace.

A signer at its in-flight limit is under it again once the chain has mined its writes over
the limit. :class:`BlockPace` keeps the seconds a block takes, from the receipt tracker's
sightings of the head; :func:`retry_after` turns the writes over the limit, the signer's
recent per-block take and that pace into the refusal's ``Retry-After``. A pace-blind
guess (a second per hundred writes in flight) told 32 clients of a signer at 1,024 in
flight to wait 11 s on a chain that mined the backlog below the limit within a block.
"""

from __future__ import annotations

import threading
import time

#: the longest ``Retry-After`` a backpressure refusal gives (seconds)
RETRY_AFTER_MOST = 30
#: the weight of the latest interval between heads in the average
PACE_WEIGHT = 0.25


class BlockPace:
    """The seconds a block of the chain takes: an average of the intervals between the new
    heads the receipt tracker sees (thread-safe; None until two heads were seen)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[int, float] | None = None
        self.seconds: float | None = None

    def saw(self, number: int, now: float | None = None) -> None:
        """The head is block ``number`` at ``now`` (``time.monotonic()``)."""
        at = time.monotonic() if now is None else now
        with self._lock:
            last = self._last
            if last is not None and number == last[0]:
                return
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
