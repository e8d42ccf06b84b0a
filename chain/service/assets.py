"""Resources and assets: registration (single and Merkle batch), valuation, compliance,
public-notice objections and ownership disputes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chain.accounts import Principal
from chain.commitments import commit
from chain.errors import NotFound, ValidationFailed
from chain.inputs import RequestModel
from chain.merkle import resource_tree
from chain.runtime import LedgerRuntime
from chain.service import asset_documents as docs
from chain.service.common import (
    AmountFen,
    Bytes32,
    Created,
    JsonDocument,
    Uint32,
    asset_id_for,
    b32,
    batch_id_for,
    chain_asset,
    hex32,
    objection_id_for,
    require_kind,
    require_writer,
    struct,
    submit,
)
from chain.txpipe import Operation

METADATA_EXAMPLE: dict[str, Any] = {
    "title": "city transport analysis data resource set",
    "categories": 3,
    "items": 13,
    "domain": "transport",
}
MAX_BATCH = 1000


class AssetCreate(RequestModel):
    """A holder registers one data resource: only salted commitments go on chain."""

    catalogue_code: str = Field(
        min_length=1, max_length=200, examples=["370200-JT-2025-0001"],
        description="Catalogue code on the public data resource registration platform",
    )  # fmt: skip
    domain_code: Uint32 = Field(examples=[7])
    metadata: JsonDocument = Field(
        examples=[METADATA_EXAMPLE], description="Metadata document (JSON object, no raw data)"
    )


class BatchCreate(RequestModel):
    """Commit many resources in one transaction by their Merkle root."""

    items: list[AssetCreate] = Field(min_length=1, max_length=MAX_BATCH)
    manifest: JsonDocument = Field(
        default_factory=dict, examples=[{"title": "transport resources, Q4 2025"}]
    )


class BatchItemRef(RequestModel):
    index: int = Field(ge=0, lt=MAX_BATCH, examples=[0])


class ValuationIn(RequestModel):
    value_fen: AmountFen
    method_code: Uint32 = Field(examples=[1], description="Valuation method code")
    report_hash: Bytes32 = Field(description="Salted commitment of the valuation report")


class ComplianceIn(RequestModel):
    passed: bool = Field(examples=[True])
    report_hash: Bytes32


class ObjectionIn(RequestModel):
    reason_hash: Bytes32


class ObjectionResolutionIn(RequestModel):
    upheld: bool = Field(examples=[False])
    resolution_hash: Bytes32


class DisputeIn(RequestModel):
    reason_hash: Bytes32


class DisputeResolutionIn(RequestModel):
    resolution_hash: Bytes32


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def register_asset(
    runtime: LedgerRuntime,
    principal: Principal,
    body: AssetCreate,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    """Commit to code and metadata (salted), keep the openings, ``registerResource``.

    A catalogue code the holder registered before is refused (:class:`Conflict`) when the
    write is journaled, in the same transaction: of two requests with one code at once,
    one is registered. A replay of the request that registered it answers its operation.
    """
    require_kind(principal, "registering a data resource", "holder")
    catalogue = commit(body.catalogue_code)
    metadata = commit(body.metadata)
    new_asset_id = asset_id_for(principal.org_id, body.domain_code, catalogue.digest_hex)

    def document(op: Operation) -> list[docs.AssetDocument]:
        """The openings, committed with the journaled operation (not for a replay)."""
        return [docs.AssetDocument(
            asset_id=new_asset_id, holder_org_id=principal.org_id,
            catalogue_code=body.catalogue_code, domain_code=body.domain_code,
            metadata_doc=body.metadata, catalogue_hash=catalogue.digest_hex,
            catalogue_salt=catalogue.salt_hex, metadata_hash=metadata.digest_hex,
            metadata_salt=metadata.salt_hex, operation_id=op.id,
        )]  # fmt: skip

    docs.ensure_tables(runtime)
    op = submit(
        runtime, principal, "registerResource",
        [catalogue.digest, metadata.digest, body.domain_code],
        idempotency_key=idempotency_key, request_hash=request_hash, journal_with=document,
        guard=docs.CodesUnregistered(
            principal.org_id, ((body.catalogue_code, body.domain_code),), (new_asset_id,)
        ),
    )  # fmt: skip
    committed = str(op.args[0]).lower()
    if committed == catalogue.digest_hex:  # not an idempotent replay of an earlier request
        return Created(op, new_asset_id, "asset")
    return Created(op, asset_id_for(principal.org_id, body.domain_code, committed), "asset")


def register_batch(
    runtime: LedgerRuntime,
    principal: Principal,
    body: BatchCreate,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    """Commit every item (salted), build the StandardMerkleTree, ``registerResourceBatch``."""
    require_kind(principal, "registering a batch of data resources", "holder")
    seen: set[tuple[str, int]] = set()
    for i, item in enumerate(body.items):
        key = (item.catalogue_code, item.domain_code)
        if key in seen:
            raise ValidationFailed(
                f"item {i} repeats catalogue code {item.catalogue_code!r}",
                errors=[{"loc": ["body", "items", i, "catalogue_code"], "msg": "duplicate",
                         "type": "value_error"}],
            )  # fmt: skip
        seen.add(key)
    commitments = [(commit(item.catalogue_code), commit(item.metadata)) for item in body.items]
    tree = resource_tree(
        [(c.digest, m.digest, item.domain_code)
         for (c, m), item in zip(commitments, body.items, strict=True)]
    )  # fmt: skip
    manifest = commit(body.manifest)
    new_batch_id = batch_id_for(principal.org_id, tree.root)

    def documents(op: Operation) -> list[Any]:
        """Every item's openings and the manifest, committed with the journaled operation
        (not for a replay)."""
        rows: list[Any] = [
            docs.AssetDocument(
                asset_id=asset_id_for(principal.org_id, item.domain_code, c.digest),
                holder_org_id=principal.org_id, catalogue_code=item.catalogue_code,
                domain_code=item.domain_code, metadata_doc=item.metadata,
                catalogue_hash=c.digest_hex, catalogue_salt=c.salt_hex,
                metadata_hash=m.digest_hex, metadata_salt=m.salt_hex,
                batch_id=new_batch_id, batch_index=i, operation_id=op.id,
            )
            for i, ((c, m), item) in enumerate(zip(commitments, body.items, strict=True))
        ]  # fmt: skip
        rows.append(docs.CommittedDocument(
            digest=manifest.digest_hex, purpose="batch-manifest", subject_id=new_batch_id,
            org_id=principal.org_id, document=body.manifest, salt=manifest.salt_hex,
        ))  # fmt: skip
        return rows

    docs.ensure_tables(runtime)
    op = submit(
        runtime, principal, "registerResourceBatch",
        [tree.root, len(body.items), manifest.digest],
        idempotency_key=idempotency_key, request_hash=request_hash, journal_with=documents,
        guard=docs.CodesUnregistered(
            principal.org_id, tuple((item.catalogue_code, item.domain_code) for item in body.items),
            tuple(asset_id_for(principal.org_id, item.domain_code, c.digest)
                  for (c, _), item in zip(commitments, body.items, strict=True)),
            in_batch=True,
        ),
    )  # fmt: skip
    batch_id = batch_id_for(principal.org_id, b32(str(op.args[0])))
    return Created(op, batch_id, "batch")


def batch_proof(
    runtime: LedgerRuntime, batch_id: str, index: int
) -> tuple[docs.AssetDocument, list[bytes]]:
    """The item at ``index`` of a batch this gateway committed, with its Merkle proof."""
    items = docs.batch_items(runtime, hex32(batch_id))
    if not items:
        raise NotFound(f"no batch {batch_id} committed through this gateway")
    if index >= len(items):
        raise ValidationFailed(
            f"batch {batch_id} has {len(items)} items; there is no item {index}",
            errors=[{"loc": ["body", "index"], "msg": f"must be < {len(items)}",
                     "type": "value_error"}],
        )  # fmt: skip
    tree = resource_tree(
        [(b32(i.catalogue_hash), b32(i.metadata_hash), i.domain_code) for i in items]
    )
    return items[index], tree.proof(index)


def materialise_item(
    runtime: LedgerRuntime,
    principal: Principal,
    batch_id: str,
    body: BatchItemRef,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    """Turn one committed batch item into an asset with its proof (``materialiseResource``)."""
    require_kind(principal, "materialising a batch item", "holder")
    item, proof = batch_proof(runtime, batch_id, body.index)
    op = submit(
        runtime, principal, "materialiseResource",
        [b32(batch_id), b32(item.catalogue_hash), b32(item.metadata_hash), item.domain_code, proof],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip
    return Created(op, item.asset_id, "asset")


def _registrar_of_asset(principal: Principal, runtime: LedgerRuntime, asset_id: str,
                        action: str) -> dict[str, Any]:  # fmt: skip
    require_writer(principal, action)
    record = chain_asset(runtime, asset_id)
    require_kind(principal, action, "registrar", city=int(record["city"]))
    return record


def record_valuation(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: ValuationIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    _registrar_of_asset(principal, runtime, asset_id, "recording a valuation")
    return submit(
        runtime, principal, "recordValuation",
        [b32(asset_id), body.value_fen, body.method_code, b32(body.report_hash)],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def record_compliance(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: ComplianceIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    _registrar_of_asset(principal, runtime, asset_id, "recording a compliance review")
    return submit(
        runtime, principal, "recordCompliance",
        [b32(asset_id), body.passed, b32(body.report_hash)],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def lodge_objection(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: ObjectionIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    """Any admitted organisation objects during the public notice window."""
    require_writer(principal, "lodging an objection")
    chain_asset(runtime, asset_id)
    op = submit(runtime, principal, "lodgeObjection", [b32(asset_id), b32(body.reason_hash)],
                idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip
    return Created(op, objection_id_for(asset_id, principal.org_id, body.reason_hash), "objection")


def resolve_objection(
    runtime: LedgerRuntime,
    principal: Principal,
    objection_id: str,
    body: ObjectionResolutionIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    objection = struct(runtime, "objection", b32(objection_id))
    if int(objection["lodgedAt"]) == 0:
        raise NotFound(f"no objection {hex32(objection_id)} on chain")
    _registrar_of_asset(principal, runtime, str(objection["assetId"]), "resolving an objection")
    return submit(
        runtime, principal, "resolveObjection",
        [b32(objection_id), body.upheld, b32(body.resolution_hash)],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def record_dispute(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: DisputeIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    _registrar_of_asset(principal, runtime, asset_id, "recording an ownership dispute")
    return submit(runtime, principal, "recordDispute", [b32(asset_id), b32(body.reason_hash)],
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def resolve_dispute(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: DisputeResolutionIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    _registrar_of_asset(principal, runtime, asset_id, "resolving an ownership dispute")
    return submit(
        runtime, principal, "resolveDispute", [b32(asset_id), b32(body.resolution_hash)],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip
