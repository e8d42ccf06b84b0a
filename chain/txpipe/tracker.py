"""The receipt tracker: a daemon thread that calls ``TxPipeline.poll_once`` in a loop."""

from __future__ import annotations

import logging
import time

from chain.background import BackgroundLoop
from chain.txpipe.pipeline import TxPipeline

log = logging.getLogger("ledger.txpipe")


class ReceiptTracker(BackgroundLoop):
    """Polls receipts every ``interval`` seconds until stopped (start/stop are idempotent),
    and as soon as the node's head moves: between polls it asks for the head number every
    ``head_interval`` seconds (one ``eth_blockNumber``), so a block's writes are settled
    (and leave the signer's in-flight count) within that time of being mined. At the same
    pace it marks ``sent`` what the background sender handed to the node meanwhile. Every
    ``checkpoint_interval`` seconds it checkpoints a SQLite store's WAL (see
    :func:`chain.db.make_engine`), so no commit of a write or of the indexer does."""

    thread_name = "receipt-tracker"
    stop_timeout = 10.0

    def __init__(
        self, pipeline: TxPipeline, interval: float = 0.5, head_interval: float = 0.05,
        checkpoint_interval: float = 1.0,
    ) -> None:  # fmt: skip
        super().__init__()
        self.pipeline = pipeline
        self.interval = interval
        self.head_interval = min(head_interval, interval)
        self.checkpoint_interval = checkpoint_interval
        self.polls = 0
        self.checkpoints = 0

    def run(self) -> None:
        last = -self.interval
        checkpointed = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - checkpointed >= self.checkpoint_interval:
                checkpointed = time.monotonic()
                try:
                    if self.pipeline.checkpoint_store() is not None:
                        self.checkpoints += 1
                except Exception:  # the next round retries; the backstop bounds the WAL
                    log.exception("checkpointing the store failed")
            try:
                self.pipeline.mark_sent_now()  # the background sender's, together
            except Exception:
                log.exception("marking sent operations failed")
            if time.monotonic() - last >= self.interval or self.pipeline.head_moved():
                try:
                    self.pipeline.poll_once()
                except Exception:  # keep tracking; the next poll retries
                    log.exception("receipt tracker poll failed")
                self.polls += 1
                last = time.monotonic()
            self._stop.wait(self.head_interval)
