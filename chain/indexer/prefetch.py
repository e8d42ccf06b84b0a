"""One block range fetched and decoded, and the next one fetched ahead in the background.

:func:`fetch_range` reads a range's logs (one ``eth_getLogs``), the headers from the
range's tail to its last block (one JSON-RPC batch), checks that the headers follow one
another by parent hash and that every log comes from the header's block, and decodes the
logs. It does not look at the store: whether the range still follows the stored tail is
checked when the range is stored (its tail header's hash against the checkpoint's).

:class:`Prefetcher` runs :func:`fetch_range` for the next range in a background thread
while the indexer stores the current batch: the node answers and the logs are decoded
while the database writes. A prefetched range is only ever used for the checkpoint it
was asked for; any other checkpoint (a failed batch, another indexer, a reorg) leaves it
unused, and a prefetch that failed is fetched again in the foreground, where its error
is raised as before. A reorg between the prefetch and the store is caught like one
between a fetch and its store: either the tail no longer matches (the range is dropped),
or the stored blocks stop matching the chain at the next step, which rolls them back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass

from chain.indexer.decoder import DecodedLog, LogDecoder
from chain.indexer.rpc import ChainMoved, Header, Rpc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchedRange:
    """Blocks ``number + 1 .. target`` as the node answered: the headers from ``number``
    (the tail the range follows) to ``target`` and the range's decoded logs."""

    number: int
    target: int
    headers: Mapping[int, Header]
    decoded: list[DecodedLog]

    def follows(self, tail_hash: str | None) -> bool:
        """Whether the range starts on the stored tail (no tail yet: any range does)."""
        return tail_hash is None or self.headers[self.number].hash == tail_hash


def fetch_range(
    rpc: Rpc, decoder: LogDecoder, addresses: list[str], number: int, target: int
) -> FetchedRange:
    """Logs and headers of ``number + 1 .. target``, continuous, decoded (see module doc)."""
    first = number + 1
    raw_logs = rpc.logs(addresses, first, target)
    headers = rpc.headers(list(range(max(number, 0), target + 1)))
    for n in range(first, target + 1):
        previous = headers.get(n - 1)
        if previous is not None and headers[n].parent_hash != previous.hash:
            raise ChainMoved(f"block {n} does not follow block {n - 1}")
    decoded = decoder.decode_all(raw_logs)
    for item in decoded:
        if headers[item.block_number].hash != item.block_hash:
            raise ChainMoved(f"logs of block {item.block_number} came from another branch")
    return FetchedRange(number, target, headers, decoded)


class Prefetcher:
    """Fetches one range ahead in a background thread (see the module doc)."""

    def __init__(self, rpc: Rpc, decoder: LogDecoder, addresses: list[str]) -> None:
        #: a connection of its own: the foreground keeps using the indexer's
        self.rpc = rpc
        self.decoder = decoder
        self.addresses = addresses
        self._pending: tuple[int, int, Future[FetchedRange]] | None = None
        self.used = 0
        self.dropped = 0

    def start(self, number: int, target: int) -> None:
        """Fetch ``number + 1 .. target`` in the background (replacing any earlier one)."""
        future: Future[FetchedRange] = Future()
        self._pending = (number, target, future)

        def run() -> None:
            try:
                future.set_result(
                    fetch_range(self.rpc, self.decoder, self.addresses, number, target)
                )
            except BaseException as exc:  # handed to the foreground, which fetches again
                future.set_exception(exc)

        threading.Thread(target=run, name="indexer-prefetch", daemon=True).start()

    def take(self, number: int, safe: int) -> FetchedRange | None:
        """The range prefetched after ``number`` (up to ``safe``), or None: none asked for
        that tail, or its fetch failed (the foreground fetches it again)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        tail, target, future = pending
        if tail != number or target > safe:
            self.dropped += 1
            return None
        try:
            fetched = future.result()
        except Exception as exc:  # fetched again in the foreground
            log.info("prefetch of blocks %d-%d failed: %s", number + 1, target, exc)
            self.dropped += 1
            return None
        self.used += 1
        return fetched

    def clear(self) -> None:
        """Forget the range being fetched (its thread ends on its own)."""
        self._pending = None
