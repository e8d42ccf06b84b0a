"""A verification verdict as a plain answer people act on: valid, REVOKED, expired,
superseded or not authentic, before any technical check.

A document is *authentic* when every check of its form, signature and fields against the
chain passed; only then does the chain's status (revoked, expired, superseded) decide the
answer. A document whose fields or signature fail is "not authentic" whatever the
certificate's status on chain, so a tampered copy of a valid certificate never reads as
valid or as "status active"."""

from __future__ import annotations

from chain.verifier import Verdict

#: Checks that say whether the document is what the registrar signed and the chain holds.
AUTHENTICITY = frozenset({
    "format", "types", "domain", "chain_id", "verifying_contract", "certificate_exists",
    "field_mismatch", "fields", "signature_canonical", "signature", "contract_signature",
    "signature_cross_check", "signer_registrar",
})  # fmt: skip
STATUS_ANSWERS = {"Revoked": "revoked", "Expired": "expired", "Superseded": "superseded"}


def authentic(verdict: Verdict) -> bool:
    return not any(r.code in AUTHENTICITY for r in verdict.failed())


def answer(verdict: Verdict) -> str:
    """One of ``valid``, ``revoked``, ``expired``, ``superseded``, ``not_authentic``,
    ``invalid`` (authentic and in force, but another check failed)."""
    if not authentic(verdict):
        return "not_authentic"
    if verdict.status in STATUS_ANSWERS:
        return STATUS_ANSWERS[verdict.status]
    return "valid" if verdict.valid else "invalid"
