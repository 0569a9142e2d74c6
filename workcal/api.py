import datetime as dt

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from suiji.api import ApiError, ensure_perm, not_found
from workcal import calendar
from workcal.models import CalendarOverride

router = Router(tags=["calendar"])


class DayOut(Schema):
    date: dt.date
    is_workday: bool
    source: str


class AddOut(Schema):
    start: dt.date
    days: int
    result: dt.date


class OverrideIn(Schema):
    date: dt.date
    is_workday: bool
    note: str = Field(min_length=1, max_length=200)


class OverrideOut(Schema):
    date: dt.date
    is_workday: bool
    note: str


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ApiError(422, "bad_year", "年份须在 2000 至 2100 之间。", "The year must be between 2000 and 2100.")


@router.get("/days", response=list[DayOut], summary="Every day of a year: working day or not, and why")
def days(request: HttpRequest, year: int) -> list[DayOut]:
    _check_year(year)
    cal = calendar.current()
    out = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        source = "override" if day in cal.overrides else calendar.official_source(day)
        out.append(DayOut(date=day, is_workday=cal.is_workday(day), source=source))
        day += dt.timedelta(days=1)
    return out


@router.get("/add", response=AddOut, summary="The n-th working day after a date")
def add(request: HttpRequest, start: dt.date, days: int) -> AddOut:
    _check_year(start.year)
    if abs(days) > 1000:
        raise ApiError(422, "bad_days", "工作日数须在 -1000 至 1000 之间。", "days must be between -1000 and 1000.")
    return AddOut(start=start, days=days, result=calendar.add_working_days(start, days))


@router.get("/overrides", response=list[OverrideOut], summary="Administrators' calendar overrides")
def list_overrides(request: HttpRequest) -> list[CalendarOverride]:
    return list(CalendarOverride.objects.all())


@router.post("/overrides", response={201: OverrideOut}, summary="Mark a day as working day or day off")
def create_override(request: HttpRequest, payload: OverrideIn) -> Status:
    ensure_perm(request, "calendar.manage")
    _check_year(payload.date.year)
    try:
        with transaction.atomic():
            obj = CalendarOverride.objects.create(
                date=payload.date, is_workday=payload.is_workday, note=payload.note, created_by=request.user
            )
    except IntegrityError:
        raise ApiError(409, "exists", "该日期已有调整记录。", "This date already has an override.") from None
    return Status(201, obj)


@router.delete("/overrides/{date}", response={204: None}, summary="Remove an override")
def delete_override(request: HttpRequest, date: dt.date) -> Status:
    ensure_perm(request, "calendar.manage")
    obj = CalendarOverride.objects.filter(date=date).first()
    if obj is None:
        raise not_found()
    with transaction.atomic():
        obj.delete()
    return Status(204, None)
