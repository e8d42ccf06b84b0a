"""Gateway write settings: they are validated, and they reach the pipeline and the wait."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from api.writes import WriteOptions, answer
from chain.runtime import LedgerRuntime
from chain.txpipe import PENDING
from tests.api.conftest import settings_for


@pytest.mark.parametrize(
    "bad",
    [
        {"max_concurrent_submits": 0},
        {"max_in_flight_per_account": 0},
        {"receipt_timeout_seconds": 0},
    ],
)
def test_write_settings_below_their_floor_are_refused(tmp_path: Path, bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        settings_for(tmp_path, **bad)
    assert refused.value.errors()[0]["loc"] == (next(iter(bad)),)


def test_concurrent_submits_setting_reaches_the_pipeline(tmp_path: Path) -> None:
    runtime = LedgerRuntime.start(settings_for(tmp_path, max_concurrent_submits=5), deploy=False)
    taken: list[bool] = []
    try:
        assert runtime.txpipe.max_concurrent_submits == 5
        taken = [runtime.txpipe._submit_slots.acquire(blocking=False) for _ in range(6)]
        assert taken == [True] * 5 + [False]
    finally:
        for _ in range(sum(taken)):
            runtime.txpipe._submit_slots.release()
        runtime.close()


class _RecordingPipeline:
    """Records how long a write answer asked to wait; the operation stays in flight."""

    def __init__(self) -> None:
        self.waited: list[float] = []

    def wait(self, op_id: str, timeout: float) -> Any:
        self.waited.append(timeout)
        return _op(op_id)


def _op(op_id: str) -> Any:
    return SimpleNamespace(
        id=op_id, state=PENDING, to_public=lambda: {"id": op_id, "state": PENDING}
    )


def test_wait_is_capped_by_the_gateways_receipt_timeout() -> None:
    pipeline = _RecordingPipeline()
    runtime: Any = SimpleNamespace(
        txpipe=pipeline, settings=SimpleNamespace(receipt_timeout_seconds=7.5)
    )
    for asked in (3.0, 60.0):
        response = answer(runtime, _op("op-1"), WriteOptions(True, asked, None))
        assert response.status_code == 202 and response.headers["Location"] == "/v1/operations/op-1"
    assert pipeline.waited == [3.0, 7.5]
