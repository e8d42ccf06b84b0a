"""Users of an organisation (create, list, revoke, rotate a key) and the caller itself."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from api.auth import CurrentUser, require_org_member_or_consortium_admin
from api.deps import RuntimeDep
from chain.accounts import Principal, normalise_org_id
from chain.inputs import RequestModel
from chain.service import users as service

router = APIRouter(tags=["users"])

OrgIdPath = Annotated[
    str,
    Path(
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="Organisation id (0x + 32-byte hex)",
        examples=["0x" + "ab" * 32],
    ),
]

UserIdPath = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="User id (a UUID, as user creation and the user list answer it)",
        examples=["7c1e2f0a-0b7d-4c5e-9f1a-2b3c4d5e6f70"],
    ),
]
MANAGERS = "the consortium admin or an admin of the user's organisation"


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
    created = service.create_user(runtime, user, normalise_org_id(org_id), body.name, body.role)
    return UserCreated(
        id=created.id,
        org_id=created.org_id,
        name=created.name,
        role=created.role,
        api_key=created.api_key,
        created_at=created.created_at,
    )


@router.get(
    "/v1/orgs/{org_id}/users",
    response_model=list[service.UserPublic],
    summary="Users of an organisation with their key prefix, role and revocation time",
    description=f"Who may: {MANAGERS}. Never a key or its hash.",
    responses={
        403: {"description": "Not the consortium admin or an admin of this org"},
        404: {"description": "No such organisation"},
    },
)
def list_users(
    org_id: OrgIdPath, runtime: RuntimeDep, user: CurrentUser
) -> list[service.UserPublic]:
    return service.list_users(runtime, user, normalise_org_id(org_id))


@router.post(
    "/v1/users/{user_id}/revocation",
    response_model=service.UserPublic,
    summary="Revoke a user's API key: refused at once by every gateway process and console",
    description=f"Who may: {MANAGERS}. Nobody revokes their own key (409 `self-revocation`): "
    "rotate it, or have another admin revoke it. Revoking again keeps the first time.",
    responses={
        403: {"description": "Not the consortium admin or an admin of the user's org"},
        404: {"description": "No such user"},
        409: {"description": "`self-revocation`: the caller's own key"},
    },
)
def revoke_user(user_id: UserIdPath, runtime: RuntimeDep, user: CurrentUser) -> service.UserPublic:
    return service.revoke_user(runtime, user, user_id)


@router.post(
    "/v1/users/{user_id}/key",
    response_model=service.UserKey,
    summary="Rotate a user's API key: the new key is answered once, the old one fails at once",
    description=f"Who may: {MANAGERS} (a user's own key included).",
    responses={
        403: {"description": "Not the consortium admin or an admin of the user's org"},
        404: {"description": "No such user"},
        409: {"description": "The user is revoked (create a new user instead)"},
    },
)
def rotate_key(
    user_id: UserIdPath, runtime: RuntimeDep, user: CurrentUser, response: Response
) -> service.UserKey:
    response.headers["Cache-Control"] = "no-store"
    return service.rotate_user_key(runtime, user, user_id)


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
