"""A client's preference to be answered once its write is journaled (RFC 7240
``Prefer: respond-async``), carried from the request to the pipeline.

The gateway sets it for the request being served (:func:`prefer_answer_when_journaled`);
:meth:`TxPipeline.submit` reads it (:func:`current`) and records whether it applied it,
so the answer can say ``Preference-Applied: respond-async``.

Applied, a write is not run on the node before it is journaled: its gas limit is the one
the node's estimate gave the same signer's earlier call of the same shape (contract,
function selector, calldata length), and it is answered ``pending`` once its journal
transaction commits, its signed bytes sent in the background. A call the contract
refuses is then mined as a reverted transaction and its operation ends ``reverted``
with the contract's error name, instead of a ``422`` before anything is journaled.

The pipeline applies it only when it can keep the write's pace to the chain's: the
signer's first call of a shape is run on the node as always, and while the signer has
more writes in flight than one and a half recent blocks mined of its writes, a write is
run on the node and answered after its send as without the preference (what holds a
client that sends faster than blocks take its writes to the chain's pace). Only on a node
over JSON-RPC: the in-process chain is driven from the request's thread.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class AnswerWhenJournaled:
    """The request's preference; ``applied`` once a write of the request was answered
    that way."""

    applied: bool = False


_PREFERENCE: ContextVar[AnswerWhenJournaled | None] = ContextVar(
    "ledger_answer_when_journaled", default=None
)


def prefer_answer_when_journaled(wanted: bool) -> AnswerWhenJournaled | None:
    """Set (or clear) the preference for the writes of the current context (one request:
    each request runs in its own context); the object the pipeline marks applied."""
    preference = AnswerWhenJournaled() if wanted else None
    _PREFERENCE.set(preference)
    return preference


def current() -> AnswerWhenJournaled | None:
    """The preference of the writes submitted in this context, if any."""
    return _PREFERENCE.get()
