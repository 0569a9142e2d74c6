from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.models import ApiToken
from accounts.permissions import permissions_of
from suiji.api import not_found

router = Router(tags=["accounts"])


class OrgRef(Schema):
    id: int
    name: str
    level: str


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    permissions: list[str]
    organisation: OrgRef | None
    department: str | None


@router.get("/me", response=MeOut, summary="The signed-in user, roles and permissions")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    org = user.organisation
    return MeOut(
        username=user.username,
        full_name=user.full_name,
        roles=sorted(user.role_set),
        permissions=sorted(permissions_of(user)),
        organisation=OrgRef(id=org.id, name=org.name, level=org.level) if org else None,
        department=user.department.name if user.department_id else None,
    )


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    expires: datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created: datetime
    expires: datetime | None
    last_used: datetime | None
    revoked: bool


class NewTokenOut(TokenOut):
    token: str


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def list_tokens(request: HttpRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=request.user).order_by("-created"))


@router.post("/tokens", response={201: NewTokenOut}, summary="Issue an API token (shown once)")
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    with transaction.atomic():
        token, raw = ApiToken.issue(request.user, payload.name, payload.expires)
    data = TokenOut.from_orm(token).dict()
    data["token"] = raw
    return Status(201, data)


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of my API tokens")
def revoke_token(request: HttpRequest, token_id: int) -> Status:
    token = ApiToken.objects.filter(user=request.user, pk=token_id).first()
    if token is None:
        raise not_found()
    with transaction.atomic():
        token.revoked = True
        token.save(update_fields=["revoked"])
    return Status(204, None)
