from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from refdata.models import Division, Industry

router = Router(tags=["reference data"])


class RefOut(Schema):
    code: str
    name: str
    level: str
    parent_id: str | None


class RefFilter(Schema):
    q: str = Field(default="", max_length=50, description="code prefix or part of the name")
    level: str | None = None
    parent: str | None = Field(default=None, max_length=6)
    limit: int = Field(default=50, ge=1, le=500)


def _search(model, filters: RefFilter) -> list:
    qs = model.objects.all()
    q = filters.q.strip()
    if q:
        qs = qs.filter(Q(code__startswith=q) | Q(name__contains=q))
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.parent:
        qs = qs.filter(parent_id=filters.parent)
    return list(qs.order_by("code")[: filters.limit])


@router.get("/divisions", response=list[RefOut], auth=None, summary="Search administrative divisions (GB/T 2260)")
def divisions(request: HttpRequest, filters: Query[RefFilter]) -> list[Division]:
    return _search(Division, filters)


@router.get("/industries", response=list[RefOut], auth=None, summary="Search industries (GB/T 4754-2017)")
def industries(request: HttpRequest, filters: Query[RefFilter]) -> list[Industry]:
    return _search(Industry, filters)
