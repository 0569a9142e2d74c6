"""The directory list's index-friendly filters and its capped count give the same rows as a plain filter."""

from __future__ import annotations

import pytest
from django.db.models import Q

from conftest import PASSWORD
from directory import search
from directory.demo import create_firms
from directory.models import Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def firms(world):
    create_firms(400, world.county, seed=7)
    return Target.objects.all()


def test_region_and_industry_filters_match_the_reference_joins(firms):
    sample = firms.order_by("key")[123]
    division = sample.industry_id[:2]  # demo firms carry a division or a code below one
    for f, expected in [
        ({"region": sample.region_id}, Q(region__code__startswith=search.region_prefix(sample.region_id))),
        ({"region": sample.region_id[:4] + "00"}, Q(region__code__startswith=sample.region_id[:4])),
        ({"industry": division}, Q(industry__code__startswith=division)),
        (
            {"region": sample.region_id, "industry": division, "credit_class": sample.credit_class},
            Q(region_id=sample.region_id, industry__code__startswith=division, credit_class=sample.credit_class),
        ),
    ]:
        got = set(search.apply(firms, f).values_list("key", flat=True))
        want = set(firms.filter(expected).values_list("key", flat=True))
        assert got == want and got, f


def test_a_section_filter_covers_every_level_below_it(firms):
    sample = firms.exclude(industry=None).order_by("key")[5]
    section = sample.industry
    while section.parent_id:
        section = section.parent
    got = set(search.apply(firms, {"industry": section.code}).values_list("key", flat=True))
    assert sample.key in got
    assert all(
        t.industry.code.startswith(tuple(search.industry_codes(section.code)))
        for t in firms.filter(key__in=got).select_related("industry")
    )


def test_a_key_prefix_finds_keys_and_otherwise_falls_back_to_names(firms):
    sample = firms.order_by("key")[50]
    by_key = set(search.apply(firms, {"q": sample.key[:12].lower()}).values_list("key", flat=True))
    assert by_key == set(firms.filter(key__startswith=sample.key[:12]).values_list("key", flat=True))
    part = sample.name[1:4]
    by_name = set(search.apply(firms, {"q": part}).values_list("key", flat=True))
    assert by_name == set(firms.filter(name__contains=part).values_list("key", flat=True))


def test_the_count_is_capped_unless_asked_for_exactly(firms):
    qs = firms.order_by("key")
    capped = search.CappedPaginator(qs, 50, cap=100)
    assert capped.capped and capped.count == 101
    exact = search.CappedPaginator(qs, 50, cap=100, exact=True)
    assert not exact.capped and exact.count == 400
    small = search.CappedPaginator(qs.filter(key__in=list(qs.values_list("key", flat=True)[:30])), 50, cap=100)
    assert not small.capped and small.count == 30


def test_the_list_page_says_more_than_and_offers_the_exact_count(client, world, firms, settings, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 100)
    monkeypatch.setattr(search.CappedPaginator.__init__, "__kwdefaults__", {"cap": 100, "exact": False})
    client.login(username=world.users["coordinator"].username, password=PASSWORD)
    page = client.get("/directory/targets/").content.decode()
    assert 'id="count-exactly"' in page and "400" not in page.split('id="count-exactly"')[0][-200:]
    exact = client.get("/directory/targets/?exact=1").content.decode()
    assert 'id="target-count"' in exact and "400" in exact
