"""Searching the target directory: one set of filters for the list page and ``GET /api/directory/targets``.

Every filter maps to an indexed column where one helps (key, name, kind, region,
industry, status, credit class, founding date, complaints, registration
authority, and the many-to-many tables' own indexes). ``q`` is a USCC prefix
(an index range scan; when no key starts with it, it is taken as part of the name) or part of
the name: ``LIKE '%…%'`` scans on SQLite and
uses the trigram index on PostgreSQL when ``pg_trgm`` is installed (migration
0005).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

from directory.models import CreditClass, TargetKind, TargetStatus

FILTERS = (
    "q",
    "kind",
    "region",
    "industry",
    "authority",
    "founded_from",
    "founded_to",
    "status",
    "credit_class",
    "abnormal",
    "serious",
    "complaints_min",
    "department",
    "tag",
)
_TRUE = {"1", "true", "yes", "on", "是"}
_FALSE = {"0", "false", "no", "off", "否"}


def _bool(value: str) -> bool | None:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(value)


def parse(params: Any) -> tuple[dict[str, Any], list[str]]:
    """Clean the filters from a query dict; returns the clean values and the names of the invalid ones."""
    clean: dict[str, Any] = {}
    bad: list[str] = []
    for name in FILTERS:
        raw = str(params.get(name, "") or "").strip()
        if not raw:
            continue
        try:
            clean[name] = _clean(name, raw)
        except (ValueError, TypeError):
            bad.append(name)
    return clean, bad


def _clean(name: str, raw: str) -> Any:
    if name == "q":
        return raw[:100]
    if name == "kind" and raw in TargetKind.values:
        return raw
    if name == "status" and raw in TargetStatus.values:
        return raw
    if name == "credit_class" and raw.upper() in CreditClass.values:
        return raw.upper()
    if name == "region" and re.fullmatch(r"\d{2,6}", raw):
        return raw
    if name == "industry" and re.fullmatch(r"[A-Za-z]|\d{2,4}", raw):
        return raw.upper()
    if name == "authority":
        return raw[:100]
    if name in ("founded_from", "founded_to"):
        return dt.date.fromisoformat(raw)
    if name in ("abnormal", "serious"):
        return _bool(raw)
    if name in ("complaints_min", "department") and raw.isdigit() and len(raw) < 10:
        return int(raw)
    if name == "tag":
        return raw[:50]
    raise ValueError(raw)


def region_prefix(code: str) -> str:
    """``411700`` (a city) → ``4117``: every division below it; a full county code stays itself."""
    trimmed = code.rstrip("0")
    if len(trimmed) % 2:
        trimmed += "0"
    return trimmed or code


_CODE_PREFIX = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2,18}")


def _starting_with(column: str, prefix: str) -> Q:
    """``column`` starts with ``prefix``, as a range both databases answer from an index.

    (``LIKE 'x%'`` does not use an index on SQLite, and on PostgreSQL only with a
    ``text_pattern_ops`` index.) Codes are ASCII digits and capitals, so every code
    starting with the prefix sorts in ``[prefix, prefix + "~")``.
    """
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": prefix + "~"})


def industry_codes(code: str) -> list[str]:
    """The industry ``code`` and every code below it in GB/T 4754 (four levels), from the reference table."""
    from refdata.models import Industry

    found = [code]
    frontier = [code]
    while frontier:
        frontier = list(Industry.objects.filter(parent_id__in=frontier).values_list("code", flat=True))
        found.extend(frontier)
    return found


def apply(qs: QuerySet, f: dict[str, Any]) -> QuerySet:
    """Filter a queryset of targets by clean filter values (from :func:`parse` or the API schema).

    Region and industry filter on the target's own code columns (no join to the
    reference tables), so each is an index range or an ``IN`` list.
    """
    q = (f.get("q") or "").strip()
    if q:
        code = q.upper()
        if _CODE_PREFIX.fullmatch(code) and qs.filter(_starting_with("key", code)).exists():
            # Looks like the start of a USCC or registration number and some key starts with it.
            qs = qs.filter(_starting_with("key", code))
        else:
            qs = qs.filter(name__contains=q)
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("region"):
        prefix = region_prefix(f["region"])
        qs = qs.filter(region_id=prefix) if len(prefix) == 6 else qs.filter(_starting_with("region_id", prefix))
    if f.get("industry"):
        qs = qs.filter(industry_id__in=industry_codes(f["industry"]))
    if f.get("authority"):
        qs = qs.filter(registration_authority__contains=f["authority"])
    if f.get("founded_from"):
        qs = qs.filter(founded__gte=f["founded_from"])
    if f.get("founded_to"):
        qs = qs.filter(founded__lte=f["founded_to"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("credit_class"):
        qs = qs.filter(credit_class=f["credit_class"])
    if f.get("abnormal") is not None:
        qs = qs.filter(abnormal_operation=f["abnormal"])
    if f.get("serious") is not None:
        qs = qs.filter(serious_violation=f["serious"])
    if f.get("complaints_min") is not None:
        qs = qs.filter(complaint_count__gte=f["complaints_min"])
    if f.get("department") is not None:
        qs = qs.filter(supervising_departments__id=f["department"])
    if f.get("tag"):
        qs = qs.filter(tags__name=f["tag"])
    return qs


COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` + 1 rows unless asked for the exact total.

    Counting every match of a broad filter on a million-row directory costs more
    than the page itself; the list shows "more than 10,000" with a link that asks
    for the exact count (``exact=True``).
    """

    def __init__(self, object_list: Any, per_page: int, *, cap: int = COUNT_CAP, exact: bool = False) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap
        self.exact = exact

    @cached_property
    def count(self) -> int:
        if self.exact:
            return self.object_list.count()
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return not self.exact and self.count > self.cap
