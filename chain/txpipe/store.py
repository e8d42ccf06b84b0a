"""Database faults on the write path: an unreachable, read-only or full database.

:func:`is_store_fault` tells such an error from a bug; :func:`store_unavailable` turns it
into :class:`chain.errors.StoreUnavailable` (503 ``store-unavailable`` with Retry-After).
The write path meets these faults before it signs: the idempotency look-up and the
backpressure count read first, and advancing the nonce row is the first write of the
journal transaction, so a refused write leaves no nonce taken and nothing signed.

:func:`install_store_guard` makes SQLAlchemy drop a pooled connection that reports a
read-only transaction (PostgreSQL ``default_transaction_read_only`` applies to new
sessions only): once the database takes writes again, fresh connections do, and the
service resumes by itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError, InternalError, OperationalError

from chain.errors import StoreUnavailable

#: SQLSTATE codes of a database that refuses writes or has no room
_REFUSING = ("25006", "53100", "53200", "53300", "57P01", "57P02", "57P03")
RETRY_AFTER_SECONDS = 5


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def is_store_fault(exc: BaseException) -> bool:
    """An error of the database itself (unreachable, read-only, full), not of a query."""
    if isinstance(exc, OperationalError | DisconnectionError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, InternalError) and _sqlstate(exc) in _REFUSING


def store_unavailable(exc: BaseException) -> StoreUnavailable:
    """The problem to answer for a store fault (the driver's words stay in the log)."""
    state = _sqlstate(exc)
    why = "refuses writes (read-only)" if state == "25006" else "does not answer"
    if state in ("53100", "53200", "53300"):
        why = "has no room left"
    return StoreUnavailable(
        f"the gateway's database {why}; nothing was signed or sent, retry later",
        retry_after=RETRY_AFTER_SECONDS,
    )


def _read_only_is_a_disconnect(context: Any) -> None:
    if getattr(context.original_exception, "sqlstate", None) == "25006":
        context.is_disconnect = True


def install_store_guard(engine: Engine) -> None:
    """Drop pooled connections that turned out read-only (idempotent)."""
    if not event.contains(engine, "handle_error", _read_only_is_a_disconnect):
        event.listen(engine, "handle_error", _read_only_is_a_disconnect)
