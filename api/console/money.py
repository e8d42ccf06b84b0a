"""Money and shares as people write them: yuan (元, or 万元) typed into a form become
integer fen exactly (decimal arithmetic, never binary floats); percentages become basis
points; fen are shown in yuan, with 万元 beside large amounts."""

from __future__ import annotations

import re
import time
from decimal import Decimal, InvalidOperation

from chain import documents
from chain.errors import ValidationFailed

WAN = Decimal(10_000)
BEIJING = 8 * 3600  # UTC+8, no daylight saving
PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?")


def _invalid(field: str, text: str, what: str) -> ValidationFailed:
    error = {"loc": ["body", field], "msg": what, "type": "value_error", "input": text}
    return ValidationFailed(f"{field}: {text!r} is not {what}", errors=[error])


def _decimal(text: str, field: str, what: str) -> Decimal:
    cleaned = text.strip().replace(",", "").replace("，", "").replace(" ", "")
    if not PLAIN.fullmatch(cleaned) or len(cleaned) > 60:
        raise _invalid(field, text, what)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - PLAIN admits decimals only
        raise _invalid(field, text, what) from exc


def fen_of_yuan(text: str, field: str = "amount") -> int:
    """``"1,250,000.5"`` or ``"125万"`` (元 or 万元) -> integer fen, exactly; more than two
    decimals of a yuan is refused, not rounded."""
    raw = text.strip().removesuffix("元")
    scale = Decimal(1)
    if raw.endswith("万"):
        raw, scale = raw[:-1], WAN
    what = "an amount in yuan with at most two decimals (e.g. 1250000.00 or 125万)"
    fen = _decimal(raw, field, what) * scale * 100
    if fen != fen.to_integral_value():
        raise _invalid(field, text, what)
    return int(fen)


def bps_of_percent(text: str, field: str = "operator_pct") -> int:
    """``"35.5"`` (percent) -> 3550 basis points, exactly; at most two decimals."""
    what = "a percentage between 0 and 100 with at most two decimals"
    bps = _decimal(text.strip().removesuffix("%"), field, what) * 100
    if bps != bps.to_integral_value() or bps > 10_000:
        raise _invalid(field, text, what)
    return int(bps)


def yuan(fen: object, lang: str = "zh") -> str:
    """Fen in yuan: ``"8,000.00 元"``; from 10,000 yuan on, the 万元 figure beside it
    (``"1,250,000.00 元（125 万元）"``), exact. In English: ``"CNY 1,250,000.00"``."""
    amount = int(str(fen or 0))
    if lang != "zh":
        return f"CNY {documents.format_yuan(amount)}"
    text = f"{documents.format_yuan(amount)} 元"
    if abs(amount) >= 1_000_000:
        wan = (Decimal(amount) / 100 / WAN).normalize()
        text += f"（{wan:,f} 万元）"
    return text


def percent(bps: object) -> str:
    return f"{plain_percent(bps)}%"


def plain_yuan(fen: object) -> str:
    """Fen as the yuan figure a form field holds: ``1250000050`` -> ``"12500000.5"``."""
    return f"{(Decimal(int(str(fen or 0))) / 100).normalize():f}"


def plain_percent(bps: object) -> str:
    return f"{(Decimal(int(str(bps or 0))) / 100).normalize():f}"


def beijing(ts: object, lang: str = "zh") -> str:
    """A chain timestamp in Beijing time, the zone shown: ``"2026-12-10 18:00 北京时间"``."""
    seconds = int(str(ts or 0))
    if not seconds:
        return "-"
    text = time.strftime("%Y-%m-%d %H:%M", time.gmtime(seconds + BEIJING))
    return f"{text} 北京时间" if lang == "zh" else f"{text} Beijing time (UTC+8)"
