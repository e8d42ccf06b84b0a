"""The ledger's use cases: one function per workflow, shared by the routes and the CLI.

Each module covers one area (``orgs``, ``assets``, ``certificates``, ``approvals``,
``financing``, ``revenue``, ...). A write function validates, authorises the caller's
organisation, kind and city, then submits one contract call through the runtime's write
path and returns the journaled operation; a read function that must prove something
reads the chain, lists and history come from the indexer's store.
"""
