"""A verification verdict as a plain answer people act on: valid, REVOKED, expired,
superseded or not authentic, before any technical check (the rule lives with the verdict,
:func:`chain.verdict.plain_answer`, so the page, the API and the CLI answer alike).

A document is *authentic* when every check of its form, signature and fields against the
chain passed; only then does the chain's status (revoked, expired, superseded) decide the
answer. A document whose fields or signature fail is "not authentic" whatever the
certificate's status on chain, so a tampered copy of a valid certificate never reads as
valid or as "status active"."""

from __future__ import annotations

from chain.verdict import AUTHENTICITY, STATUS_ANSWERS, Verdict, authentic, plain_answer

__all__ = ["AUTHENTICITY", "STATUS_ANSWERS", "answer", "authentic"]


def answer(verdict: Verdict) -> str:
    """One of ``valid``, ``revoked``, ``expired``, ``superseded``, ``not_authentic``,
    ``invalid`` (authentic and in force, but another check failed)."""
    return plain_answer(verdict)
