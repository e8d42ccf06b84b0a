"""The indexer: contract logs -> blocks, raw events, projections, checkpoint."""

from chain.indexer.core import Indexer, IndexerError, StepResult, stream_id
from chain.indexer.decoder import ContractSpec, DecodedLog, LogDecoder
from chain.indexer.models import create_tables
from chain.indexer.runner import IndexerRunner, deployment_specs, indexer_for_deployment

__all__ = [
    "ContractSpec",
    "DecodedLog",
    "Indexer",
    "IndexerError",
    "IndexerRunner",
    "LogDecoder",
    "StepResult",
    "create_tables",
    "deployment_specs",
    "indexer_for_deployment",
    "stream_id",
]
