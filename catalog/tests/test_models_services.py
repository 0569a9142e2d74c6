from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import CheckPoint, InspectionItem, ItemVersion, VersionStatus
from catalog.services import CatalogConflict, VersionData, do_publish, do_revise_item
from catalog.tests.helpers import POINTS, fields, make_item
from core.models import AuditAction, AuditEntry


def test_a_ratio_below_five_percent_is_refused_by_clean(world):
    version = ItemVersion(**fields(ratio_min=Decimal("0.04")))
    with pytest.raises(ValidationError) as exc:
        version.clean()
    assert "ratio_min" in exc.value.message_dict


def test_a_ratio_below_five_percent_is_refused_by_the_database(world):
    item = make_item(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemVersion.objects.filter(item=item).update(ratio_min=Decimal("0.01"))


def test_the_service_refuses_a_low_ratio_and_stores_nothing(world):
    with pytest.raises(ValidationError):
        make_item(world, ratio_min=Decimal("0.03"))
    assert not InspectionItem.objects.exists()


def test_a_general_item_needs_an_upper_ratio(world):
    with pytest.raises(ValidationError) as exc:
        make_item(world, category="general", ratio_max=None)
    assert "ratio_max" in exc.value.message_dict
    item = make_item(world, category="general", ratio_max=Decimal("0.2"))
    assert item.latest_version().ratio_max == Decimal("0.2")


def test_the_upper_ratio_must_not_be_below_the_lower_one(world):
    with pytest.raises(ValidationError):
        make_item(world, ratio_min=Decimal("0.1"), ratio_max=Decimal("0.06"))


def test_unknown_methods_are_refused(world):
    with pytest.raises(ValidationError) as exc:
        make_item(world, methods=["onsite", "telepathy"])
    assert "methods" in exc.value.message_dict


def test_publishing_supersedes_the_previous_version(world):
    user = world.users["coordinator"]
    item = make_item(world)
    v1 = item.latest_version()
    do_publish(user, v1)
    v2 = do_revise_item(user, item, VersionData(fields={"content": "新的检查内容"}, reason="法规修订"))
    do_publish(user, v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (VersionStatus.SUPERSEDED, VersionStatus.PUBLISHED)
    assert item.published_version() == v2
    transitions = AuditEntry.objects.filter(action=AuditAction.TRANSITION, object_type="catalog.ItemVersion")
    assert transitions.count() == 3
    assert {e.organisation_id for e in transitions} == {world.county.pk}
    with pytest.raises(CatalogConflict):
        do_publish(user, v1)


def test_editing_a_published_version_makes_a_new_one_and_keeps_the_old(world):
    user = world.users["coordinator"]
    item = make_item(world)
    v1 = item.latest_version()
    do_publish(user, v1)
    v2 = do_revise_item(user, item, VersionData(fields={"ratio_min": Decimal("0.1")}))
    assert v2.number == 2 and v2.status == VersionStatus.DRAFT
    v1.refresh_from_db()
    assert v1.ratio_min == Decimal("0.05") and v1.status == VersionStatus.PUBLISHED
    assert v2.name == v1.name and v2.methods == v1.methods
    # A second change before publishing edits the same draft.
    v2b = do_revise_item(user, item, VersionData(fields={"frequency": "每半年1次"}))
    assert v2b.pk == v2.pk and item.versions.count() == 2


def test_check_points_are_copied_into_a_new_version(world):
    user = world.users["coordinator"]
    item = make_item(world)
    v1 = item.latest_version()
    do_publish(user, v1)
    v2 = do_revise_item(user, item, VersionData(fields={}))
    texts = list(v2.checkpoints.values_list("order", "text"))
    assert texts == [(1, POINTS[0]["text"]), (2, POINTS[1]["text"])]
    assert v1.checkpoints.count() == 2
    assert CheckPoint.objects.count() == 4
