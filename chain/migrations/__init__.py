"""Alembic migrations of the gateway database (run by ``LedgerRuntime``)."""
