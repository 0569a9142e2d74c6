"""The import commands' stable interface (core/importcli.py):
``FILE [--encoding auto|utf-8|gbk] [--mode all-or-nothing|good-rows] [--org CODE]``, and a last line
``imported=N updated=N rejected=N``."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import InspectionItem
from catalog.tests.test_excel import _book, _row
from directory.models import Inspector, Target, TargetChange
from directory.tests import test_people_import as people
from directory.tests.test_import import HEADER, good_lines, keys, write
from directory.tests.test_people_import import setup  # noqa: F401 (the fixture)


def run(*args, expect_exit=False):
    out, err = io.StringIO(), io.StringIO()
    if expect_exit:
        with pytest.raises(SystemExit):
            call_command(*args, stdout=out, stderr=err)
    else:
        call_command(*args, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines(), err.getvalue()


def test_import_targets_with_the_stable_options_on_a_gbk_file(world, tmp_path):
    ks = keys(6, seed=51)
    lines = [HEADER, *good_lines(ks[:5]), f"{ks[5]},,,,,,,,,,"]  # the last row has no name
    path = write(tmp_path, lines, encoding="gbk")
    # All or nothing: nothing stored, the bad row counted, its report written.
    out, _ = run("import_targets", str(path), "--encoding", "gbk", "--mode", "all-or-nothing", "--org", "411722")
    assert out[-1] == "imported=0 updated=0 rejected=1" and Target.objects.count() == 0
    assert any(line.startswith("error report: ") for line in out)
    # Good rows: the five go in, into the organisation of division 411722.
    out, _ = run("import_targets", str(path), "--encoding", "gbk", "--mode", "good-rows", "--org", "411722")
    assert out[-1] == "imported=5 updated=0 rejected=1"
    assert Target.objects.filter(organisation=world.county).count() == 5
    # The fixed file again, by id and with the encoding detected: one new row, one changed, none refused.
    lines[-1] = good_lines([ks[5]])[0]
    lines[1] = lines[1].replace(",A,", ",D,")
    fixed = write(tmp_path, lines, encoding="gbk", name="2.csv")
    out, _ = run("import_targets", str(fixed), "--org", str(world.county.pk))
    assert out[-1] == "imported=1 updated=1 rejected=0"
    assert Target.objects.get(key=ks[0]).credit_class == "D" and TargetChange.objects.count() == 1


def test_import_targets_refuses_a_wrong_encoding_an_unknown_org_and_a_bad_mode(world, tmp_path):
    path = write(tmp_path, [HEADER, *good_lines(keys(3, seed=52))], encoding="gbk")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="not in utf-8"):
        call_command("import_targets", str(path), "--encoding", "utf-8", "--org", "411722", stdout=out, stderr=err)
    assert out.getvalue().strip().splitlines()[-1] == "imported=0 updated=0 rejected=0"
    with pytest.raises(CommandError, match="no organisation with the division code or id 999999"):
        call_command("import_targets", str(path), "--org", "999999", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="--org is required"):
        call_command("import_targets", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_targets", str(path), "--org", "411722", "--mode", "some", stdout=io.StringIO())
    assert Target.objects.count() == 0


def test_import_inspectors_with_the_stable_options(setup, tmp_path):  # noqa: F811
    path = people.write(tmp_path, [people.HEADER, *people.GOOD], encoding="gbk")
    out, _ = run("import_inspectors", str(path), "--encoding", "gbk", "--mode", "all-or-nothing", "--org", "411722",
                 "--quiet")  # fmt: skip
    assert out[-1] == "imported=3 updated=0 rejected=0" and Inspector.objects.count() == 3
    bad = people.write(tmp_path, [people.HEADER, *people.GOOD, "乙,,,,,,,,,"], name="bad.csv")
    out, _ = run("import_inspectors", str(bad), "--mode", "good-rows", "--org", "411722", "--quiet", expect_exit=True)
    assert out[-1] == "imported=0 updated=0 rejected=1"


def test_import_items_with_the_stable_options(world, tmp_path):
    path = tmp_path / "items.xlsx"
    path.write_bytes(_book([_row(), _row(事项子项="玻璃")]))
    out, _ = run("import_items", str(path), "--org", "411722", "--mode", "all-or-nothing")
    assert out[-1] == "imported=2 updated=0 rejected=0" and InspectionItem.objects.count() == 2
    path.write_bytes(_book([_row(抽查比例下限="10%"), _row(事项子项="玻璃")]))
    out, _ = run("import_items", str(path), "--org", str(world.county.pk))
    assert out[-1] == "imported=0 updated=1 rejected=0"
    path.write_bytes(_book([_row(事项子项="钢材", 抽查比例下限="3%"), _row(事项子项="铝材")]))
    out, err = run("import_items", str(path), "--org", "411722", expect_exit=True)
    assert out[-1] == "imported=0 updated=0 rejected=1" and "row 3" in err and "5%" in err
    assert InspectionItem.objects.count() == 2
    with pytest.raises(CommandError, match="whole or not at all"):
        call_command("import_items", str(path), "--org", "411722", "--mode", "good-rows", stdout=io.StringIO())


def test_import_items_reads_a_gbk_csv_with_the_encoding_named(world, tmp_path):
    from catalog.tests.test_excel import _csv

    path = tmp_path / "items.csv"
    path.write_bytes(_csv([_row(), _row(事项子项="玻璃")], "gbk"))
    with pytest.raises(SystemExit):
        call_command("import_items", str(path), "--org", "411722", "--encoding", "utf-8", stdout=io.StringIO(),
                     stderr=io.StringIO())  # fmt: skip
    assert InspectionItem.objects.count() == 0
    out, _ = run("import_items", str(path), "--org", "411722", "--encoding", "gbk")
    assert out[-1] == "imported=2 updated=0 rejected=0" and InspectionItem.objects.count() == 2
