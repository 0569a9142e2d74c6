"""The shipped reference data is loaded by migration and searchable."""

from django.core.management import call_command

from refdata.models import Division, Industry


def test_the_migration_loads_every_level_of_divisions(db):
    assert Division.objects.filter(level="province").count() == 34
    assert Division.objects.filter(level="city").count() > 330
    assert Division.objects.filter(level="county").count() > 2800
    shangcai = Division.objects.get(code="411722")
    assert (shangcai.name, shangcai.parent_id, shangcai.parent.parent_id) == ("上蔡县", "411700", "410000")
    assert shangcai.full_name() == "河南省驻马店市上蔡县"
    assert Division.objects.get(code="110101").full_name() == "北京市东城区"


def test_the_migration_loads_every_section_and_division_of_industries(db):
    assert Industry.objects.filter(level="section").count() == 20
    assert Industry.objects.filter(level="division").count() == 97
    assert Industry.objects.get(code="13").parent_id == "C"
    assert Industry.objects.get(code="97").parent_id == "T"


def test_reloading_changes_nothing(db):
    before = Division.objects.count(), Industry.objects.count()
    call_command("load_refdata")
    assert (Division.objects.count(), Industry.objects.count()) == before


def test_reloading_repairs_an_edited_name(db):
    Division.objects.filter(code="411722").update(name="改错的名字")
    call_command("load_refdata")
    assert Division.objects.get(code="411722").name == "上蔡县"


def test_the_public_api_searches_by_code_prefix_and_name(client, db):
    by_code = client.get("/api/refdata/divisions", {"q": "4117", "level": "county"}).json()
    assert {d["code"] for d in by_code} >= {"411722", "411721"}
    by_name = client.get("/api/refdata/industries", {"q": "食品"}).json()
    assert {i["code"] for i in by_name} >= {"14"}
    children = client.get("/api/refdata/divisions", {"parent": "411700", "limit": 500}).json()
    assert all(d["parent_id"] == "411700" for d in children) and len(children) >= 10


def test_the_api_rejects_an_oversized_query(client, db):
    response = client.get("/api/refdata/divisions", {"q": "x" * 51})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
