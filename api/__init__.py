"""The data asset ledger's HTTP gateway (FastAPI)."""
