"""The catalogue of certificate revocation reasons.

The registry stores a revocation reason as a plain ``uint32``; this catalogue gives the
numbers their meaning, in Chinese and English, for every reader (gateway, verifier,
certificate PDF, console). Code 1 is the one the registry itself records when a disposal
is confirmed; a registrar revoking by hand picks one of the others. A number outside the
catalogue (written to the chain by another client) is shown as an unlisted code, never
hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class RevocationReason(IntEnum):
    """Every reason the product knows; the registry records DISPOSED on its own."""

    DISPOSED = 1
    REGISTRATION_ERROR = 2
    HOLDER_REQUEST = 3
    OBJECTION_UPHELD = 4
    AUTHORITY_ORDER = 5
    KEY_COMPROMISE = 6
    OTHER = 99


class ManualRevocationReason(IntEnum):
    """The reasons a registrar may give when revoking by hand (all but DISPOSED)."""

    REGISTRATION_ERROR = RevocationReason.REGISTRATION_ERROR.value
    HOLDER_REQUEST = RevocationReason.HOLDER_REQUEST.value
    OBJECTION_UPHELD = RevocationReason.OBJECTION_UPHELD.value
    AUTHORITY_ORDER = RevocationReason.AUTHORITY_ORDER.value
    KEY_COMPROMISE = RevocationReason.KEY_COMPROMISE.value
    OTHER = RevocationReason.OTHER.value


_LABELS: dict[RevocationReason, tuple[str, str]] = {
    RevocationReason.DISPOSED: ("数据资产已处置", "the data asset was disposed of"),
    RevocationReason.REGISTRATION_ERROR: ("登记信息有误", "the registration was found to be wrong"),
    RevocationReason.HOLDER_REQUEST: ("持有单位申请撤销", "the holder asked for revocation"),
    RevocationReason.OBJECTION_UPHELD: ("异议成立", "an objection was upheld"),
    RevocationReason.AUTHORITY_ORDER: ("主管机关或司法决定", "an authority or court ordered it"),
    RevocationReason.KEY_COMPROMISE: ("签发密钥泄露", "the issuing key was compromised"),
    RevocationReason.OTHER: ("其他原因", "another reason"),
}


@dataclass(frozen=True)
class ReasonLabel:
    code: int
    name: str
    zh: str
    en: str


def describe(code: int) -> ReasonLabel:
    """The catalogue entry of a code; an unlisted code is labelled as such."""
    try:
        reason = RevocationReason(code)
    except ValueError:
        return ReasonLabel(
            code, "UNLISTED", f"未列明的原因代码 {code}", f"unlisted reason code {code}"
        )
    zh, en = _LABELS[reason]
    return ReasonLabel(code, reason.name, zh, en)


def manual_choices() -> list[ReasonLabel]:
    """The reasons offered to a registrar, in catalogue order."""
    return [describe(reason.value) for reason in ManualRevocationReason]
