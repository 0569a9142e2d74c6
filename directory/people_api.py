"""The inspector and expert directories, conflicts of interest and units' entry rates (入库率) over the API.

Reading needs ``directory.view``; writing needs ``directory.manage`` and the
record's organisation inside the caller's own subtree. Another organisation's
records are 404. Experts' phone numbers are returned only to those who manage
the directory.
"""

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from accounts.permissions import has_perm, restrict
from directory import services
from directory.models import Conflict, Expert, Inspector, InspectorStatus, Target
from directory.services import DirectoryError
from orgs.models import Organisation, Unit
from suiji.api import ApiError, ensure_perm, not_found

router = Router(tags=["directory: inspectors and experts"])
EXPIRING_DAYS = 60


def invalid(exc: DirectoryError) -> ApiError:
    error = ApiError(422, "invalid", exc.message_zh, exc.message_en)
    return error


# --- schemas ----------------------------------------------------------------------------------


class ConflictOut(Schema):
    id: int
    target_key: str | None
    party_name: str
    party_uscc: str
    reason: str
    declared_at: dt.date
    valid_until: dt.date | None
    withdrawn_at: dt.datetime | None
    withdraw_reason: str
    active: bool

    @staticmethod
    def resolve_target_key(obj: Conflict) -> str | None:
        return obj.target.key if obj.target_id else None

    @staticmethod
    def resolve_active(obj: Conflict) -> bool:
        return obj.is_active()


class ConflictIn(Schema):
    target_key: str = Field(default="", max_length=18)
    party_name: str = Field(default="", max_length=200)
    party_uscc: str = Field(default="", max_length=18)
    reason: str = Field(max_length=300)
    declared_at: dt.date | None = None
    valid_until: dt.date | None = None


class WithdrawIn(Schema):
    reason: str = Field(max_length=300)


class InspectorOut(Schema):
    id: int
    organisation_id: int
    department_id: int
    unit_id: int | None
    name: str
    position: str
    expertise: list[str]
    certificate_no: str
    certificate_kind: str
    certificate_expiry: dt.date | None
    region_id: str | None
    status: str
    is_team_leader_eligible: bool
    eligible_for_draw: bool

    @staticmethod
    def resolve_expertise(obj: Inspector) -> list[str]:
        return sorted(e.code for e in obj.expertise.all())

    @staticmethod
    def resolve_eligible_for_draw(obj: Inspector) -> bool:
        return obj.eligible_for_draw()


class InspectorDetail(InspectorOut):
    conflicts: list[ConflictOut]

    @staticmethod
    def resolve_conflicts(obj: Inspector) -> list[Conflict]:
        return list(obj.conflicts.select_related("target"))


class InspectorIn(Schema):
    organisation_id: int | None = None
    department_id: int | None = None
    unit_id: int | None = None
    name: str = Field(max_length=100)
    position: str = Field(default="", max_length=100)
    expertise: list[str] = Field(default_factory=list)
    certificate_no: str = Field(default="", max_length=40)
    certificate_kind: str = "administrative"
    certificate_expiry: dt.date | None = None
    region_id: str | None = None
    status: str = "active"
    is_team_leader_eligible: bool = False


class InspectorPatch(Schema):
    reason: str = Field(max_length=300)
    department_id: int | None = None
    unit_id: int | None = None
    name: str | None = Field(default=None, max_length=100)
    position: str | None = Field(default=None, max_length=100)
    expertise: list[str] | None = None
    certificate_no: str | None = Field(default=None, max_length=40)
    certificate_kind: str | None = None
    certificate_expiry: dt.date | None = None
    region_id: str | None = None
    status: str | None = None
    is_team_leader_eligible: bool | None = None


class ExpertOut(Schema):
    id: int
    organisation_id: int
    name: str
    employer: str
    title: str
    expertise: list[str]
    region_id: str | None
    status: str
    eligible_for_draw: bool
    phone: str | None = None

    @staticmethod
    def resolve_expertise(obj: Expert) -> list[str]:
        return sorted(e.code for e in obj.expertise.all())

    @staticmethod
    def resolve_eligible_for_draw(obj: Expert) -> bool:
        return obj.eligible_for_draw()

    @staticmethod
    def resolve_phone(obj: Expert, context: Any) -> str | None:
        request = context["request"]
        return obj.phone if has_perm(request.user, "directory.manage") else None


class ExpertDetail(ExpertOut):
    conflicts: list[ConflictOut]

    @staticmethod
    def resolve_conflicts(obj: Expert) -> list[Conflict]:
        return list(obj.conflicts.select_related("target"))


class ExpertIn(Schema):
    organisation_id: int | None = None
    name: str = Field(max_length=100)
    employer: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=100)
    expertise: list[str] = Field(default_factory=list)
    phone: str = Field(default="", max_length=40)
    region_id: str | None = None
    status: str = "active"


class ExpertPatch(Schema):
    reason: str = Field(max_length=300)
    name: str | None = Field(default=None, max_length=100)
    employer: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=100)
    expertise: list[str] | None = None
    phone: str | None = Field(default=None, max_length=40)
    region_id: str | None = None
    status: str | None = None


class PeopleFilter(Schema):
    q: str = Field(default="", max_length=100, description="part of the name (or the certificate number)")
    unit: int | None = None
    status: str | None = Field(default=None, pattern="^(active|leave|transferred|retired)$")
    expertise: str | None = Field(default=None, max_length=40, description="expertise code")
    expiring: bool = Field(default=False, description="certificate expiring within 60 days (inspectors)")
    eligible: bool | None = Field(default=None, description="eligible for draws")


class RateOut(Schema):
    unit_id: int
    unit: str
    department: str
    organisation_id: int
    entered: int
    enforcement_staff: int | None
    as_of: dt.date | None
    rate: float | None
    complete: bool


class StaffingIn(Schema):
    enforcement_staff: int = Field(ge=0, le=100000)
    as_of: dt.date | None = None


# --- helpers ----------------------------------------------------------------------------------


def _target_org(request: HttpRequest, organisation_id: int | None) -> Organisation:
    """The organisation a new record goes to: the given one (if visible) or the caller's own."""
    user = request.user
    if organisation_id is None:
        org = user.organisation
        if org is None:
            raise ApiError(
                422, "invalid", "请指定所属机构", "organisation_id is required for a user without an organisation"
            )
        return org
    org = restrict(Organisation.objects.all(), user, org_field="").filter(pk=organisation_id).first()
    if org is None:
        raise not_found()
    return org


def _inspectors(request: HttpRequest):
    return restrict(Inspector.objects.select_related("department", "unit"), request.user).prefetch_related("expertise")


def _experts(request: HttpRequest):
    return restrict(Expert.objects.all(), request.user).prefetch_related("expertise")


def filter_people(qs, f: PeopleFilter | dict[str, Any], inspectors: bool = True):
    """Filters shared by the API and the list pages."""
    get = f.get if isinstance(f, dict) else (lambda k, d=None: getattr(f, k, d))
    today = dt.date.today()
    q = (get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(certificate_no=q)) if inspectors else qs.filter(name__contains=q)
    if inspectors and get("unit"):
        qs = qs.filter(unit_id=get("unit"))
    if get("status"):
        qs = qs.filter(status=get("status"))
    if get("expertise"):
        qs = qs.filter(expertise__code=get("expertise"))
    if inspectors and get("expiring"):
        qs = qs.filter(certificate_expiry__gte=today, certificate_expiry__lte=today + dt.timedelta(days=EXPIRING_DAYS))
    eligible = get("eligible")
    if eligible is not None:
        ok = Q(status=InspectorStatus.ACTIVE)
        if inspectors:
            ok &= ~Q(certificate_no="") & (Q(certificate_expiry__isnull=True) | Q(certificate_expiry__gte=today))
        qs = qs.filter(ok) if eligible else qs.exclude(ok)
    return qs


def _writable(request: HttpRequest, qs, pk: int):
    ensure_perm(request, "directory.manage")
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise not_found()
    return obj


# --- inspectors -------------------------------------------------------------------------------


@router.get("/inspectors", response=list[InspectorOut], summary="Search the inspector directory")
@paginate(PageNumberPagination, page_size=50)
def list_inspectors(request: HttpRequest, filters: Query[PeopleFilter]):
    ensure_perm(request, "directory.view")
    return filter_people(_inspectors(request), filters).order_by("organisation", "department", "name", "pk")


@router.post("/inspectors", response={201: InspectorDetail}, summary="Enter an inspector")
def create_inspector(request: HttpRequest, body: InspectorIn):
    ensure_perm(request, "directory.manage")
    org = _target_org(request, body.organisation_id)
    try:
        inspector = services.save_inspector(org, body.dict(exclude={"organisation_id"}), request.user)
    except DirectoryError as exc:
        raise invalid(exc) from exc
    return Status(201, inspector)


@router.get("/inspectors/{inspector_id}", response=InspectorDetail, summary="One inspector with conflicts")
def get_inspector(request: HttpRequest, inspector_id: int):
    ensure_perm(request, "directory.view")
    inspector = _inspectors(request).filter(pk=inspector_id).first()
    if inspector is None:
        raise not_found()
    return inspector


@router.patch("/inspectors/{inspector_id}", response=InspectorDetail, summary="Change an inspector (reason required)")
def update_inspector(request: HttpRequest, inspector_id: int, body: InspectorPatch):
    inspector = _writable(request, _inspectors(request), inspector_id)
    data = body.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    try:
        services.save_inspector(inspector.organisation, data, request.user, inspector, reason)
    except DirectoryError as exc:
        raise invalid(exc) from exc
    return _inspectors(request).get(pk=inspector.pk)


@router.post(
    "/inspectors/{inspector_id}/conflicts", response={201: ConflictOut}, summary="Declare an inspector's conflict"
)
def add_inspector_conflict(request: HttpRequest, inspector_id: int, body: ConflictIn):
    inspector = _writable(request, _inspectors(request), inspector_id)
    return Status(201, _add_conflict(request, inspector, body))


# --- experts ----------------------------------------------------------------------------------


@router.get("/experts", response=list[ExpertOut], summary="Search the expert directory")
@paginate(PageNumberPagination, page_size=50)
def list_experts(request: HttpRequest, filters: Query[PeopleFilter]):
    ensure_perm(request, "directory.view")
    return filter_people(_experts(request), filters, inspectors=False).order_by("organisation", "name", "pk")


@router.post("/experts", response={201: ExpertDetail}, summary="Enter an expert")
def create_expert(request: HttpRequest, body: ExpertIn):
    ensure_perm(request, "directory.manage")
    org = _target_org(request, body.organisation_id)
    try:
        expert = services.save_expert(org, body.dict(exclude={"organisation_id"}), request.user)
    except DirectoryError as exc:
        raise invalid(exc) from exc
    return Status(201, expert)


@router.get("/experts/{expert_id}", response=ExpertDetail, summary="One expert with conflicts")
def get_expert(request: HttpRequest, expert_id: int):
    ensure_perm(request, "directory.view")
    expert = _experts(request).filter(pk=expert_id).first()
    if expert is None:
        raise not_found()
    return expert


@router.patch("/experts/{expert_id}", response=ExpertDetail, summary="Change an expert (reason required)")
def update_expert(request: HttpRequest, expert_id: int, body: ExpertPatch):
    expert = _writable(request, _experts(request), expert_id)
    data = body.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    try:
        services.save_expert(expert.organisation, data, request.user, expert, reason)
    except DirectoryError as exc:
        raise invalid(exc) from exc
    return _experts(request).get(pk=expert.pk)


@router.post("/experts/{expert_id}/conflicts", response={201: ConflictOut}, summary="Declare an expert's conflict")
def add_expert_conflict(request: HttpRequest, expert_id: int, body: ConflictIn):
    expert = _writable(request, _experts(request), expert_id)
    return Status(201, _add_conflict(request, expert, body))


# --- conflicts and staffing -------------------------------------------------------------------


def _add_conflict(request: HttpRequest, person, body: ConflictIn) -> Conflict:
    try:
        conflict = services.add_conflict(
            person, body.dict(), request.user, restrict(Target.objects.all(), request.user)
        )
    except DirectoryError as exc:
        raise invalid(exc) from exc
    return Conflict.objects.select_related("target").get(pk=conflict.pk)


def visible_conflicts(user):
    path = None
    from accounts.permissions import visible_path

    path = visible_path(user)
    qs = Conflict.objects.select_related("target", "inspector", "expert")
    if path is None:
        return qs.none()
    if path == "":
        return qs
    return qs.filter(Q(inspector__organisation__path__startswith=path) | Q(expert__organisation__path__startswith=path))


@router.post("/conflicts/{conflict_id}/withdraw", response=ConflictOut, summary="Withdraw a conflict (reason)")
def withdraw_conflict(request: HttpRequest, conflict_id: int, body: WithdrawIn):
    conflict = _writable(request, visible_conflicts(request.user), conflict_id)
    try:
        services.withdraw_conflict(conflict, request.user, body.reason)
    except DirectoryError as exc:
        raise invalid(exc) from exc
    return conflict


def _rate_out(r: services.UnitRate) -> dict[str, Any]:
    return {
        "unit_id": r.unit.pk,
        "unit": r.unit.name,
        "department": r.unit.department.name,
        "organisation_id": r.unit.department.organisation_id,
        "entered": r.entered,
        "enforcement_staff": r.declared,
        "as_of": r.as_of,
        "rate": r.rate,
        "complete": r.complete,
    }


def visible_units(user):
    return restrict(Unit.objects.filter(is_active=True), user, org_field="department__organisation")


@router.get("/staffing", response=list[RateOut], summary="入库率: entered inspectors ÷ declared staff, per unit")
def staffing_rates(request: HttpRequest):
    ensure_perm(request, "directory.view")
    return [_rate_out(r) for r in services.unit_rates(visible_units(request.user))]


@router.put("/staffing/{unit_id}", response=RateOut, summary="Declare a unit's number of enforcement staff")
def set_staffing(request: HttpRequest, unit_id: int, body: StaffingIn):
    unit = _writable(request, visible_units(request.user), unit_id)
    try:
        services.set_staffing(unit, body.enforcement_staff, body.as_of, request.user)
    except DirectoryError as exc:
        raise invalid(exc) from exc
    return _rate_out(services.unit_rates(Unit.objects.filter(pk=unit.pk))[0])
