"""The receipt tracker: a daemon thread that calls ``TxPipeline.poll_once`` in a loop."""

from __future__ import annotations

import logging

from chain.background import BackgroundLoop
from chain.txpipe.pipeline import TxPipeline

log = logging.getLogger("ledger.txpipe")


class ReceiptTracker(BackgroundLoop):
    """Polls receipts every ``interval`` seconds until stopped (start/stop are idempotent)."""

    thread_name = "receipt-tracker"
    stop_timeout = 10.0

    def __init__(self, pipeline: TxPipeline, interval: float = 0.5) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.interval = interval
        self.polls = 0

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.pipeline.poll_once()
            except Exception:  # keep tracking; the next poll retries
                log.exception("receipt tracker poll failed")
            self.polls += 1
            self._stop.wait(self.interval)
