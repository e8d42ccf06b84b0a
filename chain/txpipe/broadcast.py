"""Broadcast: send the journaled signed bytes; a failure leaves the operation pending
for the tracker (or ``reconcile``) to send the same bytes again."""

from __future__ import annotations

from chain.txpipe.core import log
from chain.txpipe.journal import Journal
from chain.txpipe.models import PENDING, SENT, Operation

_ALREADY_KNOWN = ("already known", "known transaction", "already imported", "already exists")
_NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "oldnonce", "old nonce")


class Broadcaster(Journal):
    """Sends journaled transactions."""

    def _broadcast(self, op: Operation) -> str:
        """Send the journaled bytes; the op's new state (still ``pending`` on failure)."""
        try:
            self.rpc.send_raw(op.raw_tx)
        except Exception as exc:
            message = str(exc).lower()
            if any(m in message for m in _ALREADY_KNOWN):
                self._mark(op.id, SENT)
                return SENT
            if any(m in message for m in _NONCE_TOO_LOW):
                # mined already (ours) or taken by another transaction: the tracker decides
                self._mark(op.id, SENT, error=("nonce-too-low", str(exc)[:500]))
                return SENT
            log.warning("broadcast of operation %s failed (%s); it stays pending for re-send",
                        op.id, type(exc).__name__)  # fmt: skip
            self._mark(op.id, PENDING, error=("broadcast-failed", str(exc)[:500]))
            return PENDING
        self._mark(op.id, SENT)
        op.state = SENT
        return SENT
