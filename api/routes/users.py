"""Users of an organisation and the caller itself."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from api.auth import CurrentUser, require_org_member_or_consortium_admin
from api.deps import RuntimeDep
from chain.accounts import Principal, normalise_org_id
from chain.inputs import RequestModel

router = APIRouter(tags=["users"])

OrgIdPath = Annotated[
    str,
    Path(
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="Organisation id (0x + 32-byte hex)",
        examples=["0x" + "ab" * 32],
    ),
]


class UserIn(RequestModel):
    name: str = Field(min_length=1, max_length=200, examples=["Qingdao exchange API"])
    role: Literal["admin", "writer", "reader"] = Field(examples=["writer"])


class UserCreated(BaseModel):
    id: str
    org_id: str
    name: str
    role: str
    api_key: str = Field(description="Shown once; store it now, the gateway keeps only a hash")
    created_at: str


class Me(BaseModel):
    user_id: str
    name: str
    role: str
    org_id: str
    org_name: str
    org_kind: str
    city_code: int
    consortium_admin: bool


OrgAdmin = Annotated[Principal, Depends(require_org_member_or_consortium_admin())]


@router.post(
    "/v1/orgs/{org_id}/users",
    status_code=201,
    response_model=UserCreated,
    summary="Create a user of an organisation and return its API key once",
    responses={
        403: {"description": "Not the consortium admin or an admin of this org"},
        404: {"description": "No such organisation"},
    },
)
def create_user(
    org_id: OrgIdPath, body: UserIn, runtime: RuntimeDep, user: OrgAdmin
) -> UserCreated:
    created, key = runtime.accounts.create_user(normalise_org_id(org_id), body.name, body.role)
    return UserCreated(
        id=created.id,
        org_id=created.org_id,
        name=created.name,
        role=created.role,
        api_key=key,
        created_at=created.created_at.isoformat(),
    )


@router.get("/v1/me", response_model=Me, summary="The calling user and its organisation")
def me(user: CurrentUser) -> Me:
    return Me(
        user_id=user.user_id,
        name=user.user_name,
        role=user.role,
        org_id=user.org_id,
        org_name=user.org_name,
        org_kind=user.org_kind,
        city_code=user.city_code,
        consortium_admin=user.is_consortium_admin,
    )
