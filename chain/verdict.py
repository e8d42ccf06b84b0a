"""The outcome of verifying a certificate document: every check as a :class:`Reason` with a
stable code, the :class:`Verdict` that collects them, and the checks of the signature that
need no chain (its shape and the signer it recovers to), shared by the verifier that reads
the chain (:mod:`chain.verifier`) and the one that reads an exported key list
(:mod:`chain.keylist`).

:func:`plain_answer` turns a verdict into the one word people act on: ``valid``,
``revoked``, ``expired``, ``superseded``, ``not_authentic`` or ``invalid``.
"""

from __future__ import annotations

from eth_account import Account
from pydantic import BaseModel, ConfigDict

from chain import documents
from chain.documents import SECP256K1_N, CertificateDocument


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    ok: bool
    detail: str
    field: str | None = None


class Verdict(BaseModel):
    """The outcome of verifying one document, with every reason."""

    valid: bool
    status: str
    reasons: list[Reason]
    certificate_id: str | None = None
    issuer: str | None = None
    holder: str | None = None
    asset_id: str | None = None
    signer: str | None = None
    recovered_signer: str | None = None
    signer_key: str | None = None  # "current" | "former" | None
    valid_until: int | None = None
    revocation_reason: int | None = None
    replaced_by: str | None = None
    chain_id: int | None = None
    registry: str | None = None
    recognised_by: list[str] = []
    checked_recognisers: list[str] = []
    #: v2 facts: the certificate this one re-issues or amends, the signing key's compromise
    #: time, the registrar's standing, a dispute, a pledge, the first failing part of "usable"
    supersedes: str | None = None
    key_compromised_at: int | None = None
    registrar_active: bool | None = None
    disputed: bool | None = None
    pledged: bool | None = None
    usability: str | None = None
    #: offline verification against an exported key list: the list's export time (block
    #: time of the chain it was read from) and the address that signed the list
    offline_as_of: int | None = None
    key_list_exporter: str | None = None

    def failed(self) -> list[Reason]:
        return [r for r in self.reasons if not r.ok]

    def codes(self, ok: bool | None = None) -> set[str]:
        return {r.code for r in self.reasons if ok is None or r.ok == ok}

    def sentences(self) -> list[str]:
        """The verdict as human-readable sentences (first line is the conclusion)."""
        cid = self.certificate_id or "(unknown id)"
        if self.offline_as_of is not None:
            as_of = documents.format_time(self.offline_as_of)
            head = (
                f"AUTHENTIC (offline): certificate {cid} is signed by a key of its issuing "
                f"registrar, as of the key list exported at {as_of}; its current status "
                "(revoked, expired) needs the chain."
                if self.valid
                else f"NOT AUTHENTIC (offline): certificate {cid} did not pass verification "
                f"against the key list exported at {as_of}."
            )
        else:
            head = (
                f"VALID: certificate {cid} is authentic and {self.status.lower()}."
                if self.valid
                else f"INVALID: certificate {cid} did not pass verification (status {self.status})."
            )
        lines = [head]
        for reason in self.reasons:
            lines.append(f"  [{'ok' if reason.ok else 'FAIL'}] {reason.code}: {reason.detail}")
        if self.checked_recognisers:
            names = ", ".join(self.recognised_by) if self.recognised_by else "none of them"
            lines.append(
                f"Recognised by {names} (checked {len(self.checked_recognisers)} organisations)."
            )
        return lines


def signature_parts(signature: str) -> tuple[int, int, int]:
    raw = bytes.fromhex(signature[2:])
    return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]


def check_signature_shape(signature: str) -> Reason:
    r, s, v = signature_parts(signature)
    if v not in (27, 28):
        return Reason(code="signature_canonical", ok=False, detail=f"v is {v}, expected 27 or 28")
    if not (0 < r < SECP256K1_N) or s == 0:
        return Reason(code="signature_canonical", ok=False, detail="r or s is out of range")
    if s > SECP256K1_N // 2:
        return Reason(
            code="signature_canonical",
            ok=False,
            detail="the signature has a high s value (a malleated signature); "
            "only canonical low-s signatures are accepted",
        )
    return Reason(code="signature_canonical", ok=True, detail="canonical low-s signature")


def recover_signer(doc: CertificateDocument) -> str | None:
    """The signer eth-account recovers (high s accepted here; the shape check rejects it)."""
    r, s, v = signature_parts(doc.signature)
    try:
        return str(Account.recover_message(documents.signable(doc.typed_data()), vrs=(v, r, s)))
    except Exception:  # any failure means no signer can be recovered
        return None


def check(code: str, ok: bool, passed: str, failed: str) -> Reason:
    """The reason ``code``: ``passed`` when ``ok``, else ``failed``."""
    return Reason(code=code, ok=ok, detail=passed if ok else failed)


#: Checks that say whether the document is what the registrar signed (and, online, what the
#: chain holds); a document failing any of them is "not authentic" whatever its status.
AUTHENTICITY = frozenset({
    "format", "types", "domain", "chain_id", "verifying_contract", "certificate_exists",
    "field_mismatch", "fields", "signature_canonical", "signature", "contract_signature",
    "signature_cross_check", "signer_registrar", "key_list",
})  # fmt: skip
STATUS_ANSWERS = {"Revoked": "revoked", "Expired": "expired", "Superseded": "superseded"}


def authentic(verdict: Verdict) -> bool:
    """Every authenticity check that was made passed."""
    return not any(r.code in AUTHENTICITY for r in verdict.failed())


def plain_answer(verdict: Verdict) -> str:
    """One of ``valid``, ``revoked``, ``expired``, ``superseded``, ``not_authentic``,
    ``invalid`` (authentic and in force, but another check failed) or ``authentic_offline``
    (authentic against an exported key list; the status needs the chain)."""
    if not authentic(verdict):
        return "not_authentic"
    if verdict.offline_as_of is not None:
        return "authentic_offline"
    if verdict.status in STATUS_ANSWERS:
        return STATUS_ANSWERS[verdict.status]
    return "valid" if verdict.valid else "invalid"
