"""The organisation tree."""

import pytest
from django.core.exceptions import ValidationError

from orgs.models import Organisation, OrgLevel


def test_paths_follow_the_tree(world):
    assert world.county.path == f"/{world.province.pk}/{world.city.pk}/{world.county.pk}/"
    assert set(world.city.subtree()) == {world.city, world.county, world.other_county}
    assert world.county.ancestors() == [world.province, world.city]


def test_moving_an_organisation_moves_its_subtree(world):
    new_city = Organisation.objects.create(name="周口市", level=OrgLevel.CITY, parent=world.province)
    world.county.parent = new_city
    world.county.save()
    world.county.refresh_from_db()
    assert world.county.path == f"{new_city.path}{world.county.pk}/"
    assert world.county not in world.city.subtree()


def test_it_refuses_a_parent_at_the_same_or_lower_level(world):
    bad = Organisation(name="某县", level=OrgLevel.COUNTY, parent=world.other_county)
    with pytest.raises(ValidationError):
        bad.full_clean(exclude=["path"])
    world.province.parent = world.county
    world.province.level = OrgLevel.PROVINCE
    with pytest.raises(ValidationError):
        world.province.full_clean(exclude=["path"])
