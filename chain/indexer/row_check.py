"""Every stored row of the indexer against the chain: blocks, raw events, the checkpoint
and the projections.

Blocks and events are checked range by range (``event_audit``). The projections are
compared with a replay of the verified events (``replay``, ``projection_audit``). The
replay is lazy: while every range matches a digest verified earlier, nothing is replayed;
when the projections then also hash to the digest verified at this same checkpoint
(block and hash), the store is the verified store and the check ends without replaying.
The first range that needs a row-by-row comparison, or projections that hash otherwise,
start the replay (re-reading the ranges passed so far).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from web3 import Web3

from chain.indexer import event_audit, row_diff
from chain.indexer.core import Header
from chain.indexer.decoder import ContractSpec
from chain.indexer.models import Checkpoint
from chain.indexer.projection_audit import compare_projections, projections_digest
from chain.indexer.replay import MemoryProjections

CHECKPOINTS = Checkpoint.__tablename__


@dataclass(frozen=True)
class StoredCheckpoint:
    stream: str
    chain_id: int
    contracts: dict[str, Any]
    block_hash: str | None
    events: int


class RowCheck:
    """One check of every stored row at the indexed range ``start .. end``."""

    def __init__(
        self,
        session: Session,
        w3: Web3,
        contracts: Sequence[ContractSpec],
        verified: event_audit.VerifiedRanges,
        start: int,
        end: int,
        range_blocks: int = event_audit.DEFAULT_RANGE_BLOCKS,
    ) -> None:
        self.session = session
        self.w3 = w3
        self.contracts = list(contracts)
        self.chain = event_audit.ChainLogs(w3, contracts)
        self.verified = verified
        self.start = start
        self.end = end
        self.range_blocks = range_blocks
        self.state = MemoryProjections()
        self.replaying = False
        self.passed: list[event_audit.BlockRange] = []  # verified, not replayed yet
        self.checked: dict[str, int] = {}
        self.events_digest: str | None = None
        self.differences: list[row_diff.Difference] = []

    def run(self, checkpoint: StoredCheckpoint) -> list[row_diff.Difference]:
        chain_events, header = self._ranges()
        self.differences += event_audit.outside_rows(self.session, self.start, self.end)
        self.differences += self._checkpoint(checkpoint, header, chain_events)
        self._projections(header)
        return self.differences

    # ------------------------------------------------------------ blocks and events

    def _replay_passed(self) -> None:
        """Start replaying: the ranges passed on their digest first, in order."""
        for r in self.passed:
            event_audit.replay_stored(self.state, event_audit.load_range(self.session, r))
        self.passed.clear()
        self.replaying = True

    def _ranges(self) -> tuple[int, Header | None]:
        """Returns the chain's event count in the indexed range and its header at ``end``."""
        ranges = list(event_audit.block_ranges(self.start, self.end, self.range_blocks))
        ends = self.chain.headers([r.last for r in ranges])
        head = bytes(32)  # the hash chain: head = sha256(head || digest of the next range)
        blocks = events = cached = chain_events = 0
        for r in ranges:
            stored = event_audit.load_range(self.session, r)
            blocks += len(stored.blocks)
            events += len(stored.events)
            head = hashlib.sha256(head + bytes.fromhex(stored.digest)).digest()
            end = ends.get(r.last)
            key = ("events", self.chain.fingerprint, r.first, r.last, end.hash if end else None)
            if end is not None and self.verified.get(key) == stored.digest:
                cached += 1
                chain_events += len(stored.events)
                if self.replaying:
                    event_audit.replay_stored(self.state, stored)
                else:
                    self.passed.append(r)
                continue
            if not self.replaying:
                self._replay_passed()
            outcome = event_audit.compare_range(self.state, stored, self.chain, r, self.end)
            chain_events += outcome.chain_events
            self.differences += outcome.differences
            if end is not None and not outcome.differences:
                self.verified.put(key, stored.digest)
        self.checked.update(blocks=blocks, events=events, ranges=len(ranges))
        self.checked["ranges_verified_before"] = cached
        self.events_digest = "0x" + head.hex()
        return chain_events, ends.get(self.end)

    # ------------------------------------------------------------ checkpoint

    def _checkpoint(
        self, cp: StoredCheckpoint, header: Header | None, chain_events: int
    ) -> list[row_diff.Difference]:
        """Same chain and contracts, the chain's block at its height, and the number of
        events the chain has in the indexed range."""
        stored = {
            "chain_id": cp.chain_id,
            "contracts": cp.contracts,
            "block_hash": cp.block_hash,
            "events": cp.events,
        }
        expected = {
            "chain_id": int(self.w3.eth.chain_id),
            "contracts": {s.name: s.address.lower() for s in self.contracts},
            "block_hash": header.hash if header else None,
            "events": chain_events,
        }
        return row_diff.changed(CHECKPOINTS, {"stream": cp.stream}, stored, expected, stored)

    # ------------------------------------------------------------ projections

    def _projections(self, header: Header | None) -> None:
        key = ("projections", self.chain.fingerprint, self.end, header.hash if header else None)
        clean = not self.differences
        if not self.replaying and clean and header is not None:
            hashed = projections_digest(self.session)
            if self.verified.get(key) == hashed.digest:
                self.checked.update(hashed.checked)
                return
            self._replay_passed()
        elif not self.replaying:
            self._replay_passed()
        result = compare_projections(self.session, self.state)
        self.checked.update(result.checked)
        self.differences += result.differences
        if clean and not result.differences and header is not None:
            self.verified.put(key, result.digest)
