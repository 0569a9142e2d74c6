"""Firm search for the public portal: exact identifier, else name prefix, else name contains.

An 18-character USCC or a 15-digit registration number is looked up by
equality on the unique ``Target.key`` index. A name is matched by prefix with a
range condition (``name >= q AND name < q + U+10FFFF``) that both SQLite and
PostgreSQL answer from the plain B-tree index on ``name``, ordered by
``(name, id)`` so the index gives the order and ``LIMIT`` stops early. Only when
nothing starts with the text is a ``contains`` match tried. On SQLite a query of
three characters or more is answered by the trigram full-text index of
``directory.namesearch`` and listed in directory order (by id, which the index
gives without sorting); on PostgreSQL the trigram index of directory migration
0005 serves it where the extension exists. Shorter queries, and databases with
neither index, scan the names in name order, bounded by the page size.

No count is taken (a prefix may match the whole directory): a page knows only
whether a next page exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet

from directory import namesearch
from directory.models import Target

PAGE_SIZE = 20
MAX_PAGE = 50
MAX_QUERY = 100
KEY_RE = re.compile(r"^(?:[0-9A-Z]{18}|\d{15})$")

# The only columns the portal ever reads from the directory.
PUBLIC_FIELDS = (
    "id",
    "key",
    "name",
    "kind",
    "address",
    "region__name",
    "industry__code",
    "industry__name",
    "status",
    "registration_authority",
    "founded",
    "abnormal_operation",
    "serious_violation",
)


@dataclass
class FirmPage:
    query: str
    mode: str  # "key", "prefix", "contains" or "" (no query)
    firms: list[dict]
    page: int
    has_next: bool


def normalise(query: str) -> str:
    return " ".join((query or "").split())[:MAX_QUERY]


def public_firms() -> QuerySet[Target]:
    return Target.objects.all()


def search_firms(query: str, page: int = 1, contains: bool = False) -> FirmPage:
    """One page of firms matching ``query``; ``contains`` continues a contains search on later pages."""
    q = normalise(query)
    page = min(max(page, 1), MAX_PAGE)
    if not q:
        return FirmPage(q, "", [], 1, False)
    key = q.replace(" ", "").upper()
    if KEY_RE.match(key):
        rows = list(public_firms().filter(key=key).values(*PUBLIC_FIELDS)[:1])
        return FirmPage(q, "key", rows, 1, False)
    start = (page - 1) * PAGE_SIZE
    rows: list[dict] = []
    mode = "contains"
    if not contains:
        mode = "prefix"
        prefix = public_firms().filter(name__gte=q, name__lt=q + "\U0010ffff", name__startswith=q)
        rows = list(prefix.order_by("name", "id").values(*PUBLIC_FIELDS)[start : start + PAGE_SIZE + 1])
        if not rows and page == 1:
            mode = "contains"
    if mode == "contains":
        rows = _contains(q, start)
    return FirmPage(q, mode, rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def _contains(q: str, start: int) -> list[dict]:
    if len(q) >= namesearch.MIN_QUERY and namesearch.available():
        ids = namesearch.contains_ids(q, start + PAGE_SIZE + 1)[start:]
        found = {row["id"]: row for row in public_firms().filter(id__in=ids).values(*PUBLIC_FIELDS)}
        return [found[i] for i in ids if i in found]
    found = public_firms().filter(name__contains=q).order_by("name", "id").values(*PUBLIC_FIELDS)
    return list(found[start : start + PAGE_SIZE + 1])


def firm_by_key(key: str) -> dict | None:
    return public_firms().filter(key=key).values(*PUBLIC_FIELDS).first()
