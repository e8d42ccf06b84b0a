"""Operations: the progress of a journaled write."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from api.auth import CurrentUser
from api.deps import RuntimeDep
from api.writes import OperationOut
from chain.errors import NotFound

router = APIRouter(prefix="/v1/operations", tags=["operations"])


@router.get(
    "/{op_id}",
    summary="One operation of the caller's organisation",
    response_model=OperationOut,
    responses={404: {"description": "No such operation for this organisation"}},
)
def get_operation(
    runtime: RuntimeDep,
    user: CurrentUser,
    op_id: str = Path(
        pattern=r"^[0-9a-f-]{36}$", examples=["6f1c1f0e-8a5c-4d0e-9a57-3f3f0f5a2b11"]
    ),
) -> dict[str, Any]:
    op = runtime.txpipe.find(op_id)
    # another organisation's operation is reported as missing, not as forbidden
    if op is None or not (user.is_consortium_admin or op.org_id == user.org_id):
        raise NotFound(f"no operation {op_id}")
    return op.to_public()
