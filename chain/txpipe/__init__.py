"""The gateway's write path: journaled, nonce-ordered, re-broadcast contract writes.

Use :class:`TxPipeline` (``submit``, ``get``, ``wait``, ``poll_once``, ``reconcile``)
and :class:`ReceiptTracker`. Tables: :class:`Operation` (the outbox) and
:class:`AccountNonce`.
"""

from chain.txpipe.models import (
    DROPPED,
    FAILED,
    IN_FLIGHT,
    MINED,
    PENDING,
    REVERTED,
    SENT,
    STATES,
    TERMINAL,
    AccountNonce,
    Operation,
)
from chain.txpipe.pipeline import PipelineStats, TxPipeline, request_hash
from chain.txpipe.tracker import ReceiptTracker

__all__ = [
    "DROPPED",
    "FAILED",
    "IN_FLIGHT",
    "MINED",
    "PENDING",
    "REVERTED",
    "SENT",
    "STATES",
    "TERMINAL",
    "AccountNonce",
    "Operation",
    "PipelineStats",
    "ReceiptTracker",
    "TxPipeline",
    "request_hash",
]
