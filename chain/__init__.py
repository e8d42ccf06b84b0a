"""The data asset ledger's chain layer: compile, deploy, clients, write path, indexer."""
