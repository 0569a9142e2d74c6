import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from catalog.excel import COLUMNS, ImportRefused, export_xlsx, import_xlsx, parse_ratio
from catalog.models import InspectionItem, ItemVersion, VersionStatus
from catalog.services import do_publish
from catalog.tests.helpers import make_item
from directory.models import Expertise


def _book(rows, header=COLUMNS):
    wb = Workbook()
    ws = wb.active
    ws.append(["上蔡县随机抽查事项清单"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row(**kw):
    values = {
        "序号": 1,
        "抽查领域": "产品质量",
        "抽查事项": "工业产品生产许可证获证企业检查",
        "事项子项": "水泥",
        "检查对象": "获证企业",
        "事项类别": "一般",
        "检查方式": "现场检查、书面检查",
        "检查依据": "《工业产品生产许可证管理条例》",
        "检查内容": "生产条件、检验能力",
        "抽查比例下限": "5%",
        "抽查比例上限": "20%",
        "抽查频次": "每年1次",
        "检查人员要求": "",
        "责任部门": "上蔡县市场监督管理局",
        "是否需要专家": "",
    }
    values.update(kw)
    return [values[c] for c in COLUMNS]


@pytest.mark.parametrize(
    "text,expected", [("5%", "0.05"), ("0.05", "0.05"), ("5", "0.05"), (0.2, "0.2"), ("12.5％", "0.125")]
)
def test_ratios_are_read_in_every_usual_form(text, expected):
    assert parse_ratio(text) == Decimal(expected)


def test_export_then_import_round_trips(world):
    Expertise.objects.create(code="food", name="食品")
    item = make_item(world)
    version = item.latest_version()
    version.expertise.set(Expertise.objects.all())
    do_publish(world.users["coordinator"], version)
    make_item(world, name="未发布的事项")  # drafts are not exported
    data = export_xlsx(world.county)
    ws = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == COLUMNS
    assert ws.max_row == 2 and ws["M2"].value == "食品" and ws["F2"].value == "重点"
    # Into the same organisation: nothing changes.
    result = import_xlsx(world.users["coordinator"], world.county, data)
    assert (result.created, result.revised, result.unchanged) == (0, 0, 1)
    # Into another: the same item is created, as a draft.
    result = import_xlsx(world.users["outsider"], world.other_county, _swap_department(data))
    assert result.created == 1
    copy = InspectionItem.objects.get(organisation=world.other_county).latest_version()
    for name in ("name", "sub_item", "methods", "category", "ratio_min", "ratio_max", "legal_basis", "frequency"):
        assert getattr(copy, name) == getattr(version, name)
    assert copy.status == VersionStatus.DRAFT and list(copy.expertise.all()) == list(version.expertise.all())


def _swap_department(data):
    wb = load_workbook(io.BytesIO(data))
    wb.active["N2"] = "西平县市场监督管理局"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_changed_row_becomes_a_new_draft_version(world):
    item = make_item(
        world, name="工业产品生产许可证获证企业检查", sub_item="水泥", category="general", ratio_max=Decimal("0.2")
    )
    do_publish(world.users["coordinator"], item.latest_version())
    result = import_xlsx(world.users["coordinator"], world.county, _book([_row(抽查比例下限="10%")]))
    assert result.revised == 1
    v1, v2 = item.versions.order_by("number")
    assert v1.status == VersionStatus.PUBLISHED and v1.ratio_min == Decimal("0.05")
    assert v2.status == VersionStatus.DRAFT and v2.ratio_min == Decimal("0.1")
    assert v2.checkpoints.count() == 2


def test_a_bad_row_stores_nothing_and_names_row_and_column(world):
    rows = [_row(), _row(事项子项="玻璃", 抽查比例下限="3%"), _row(事项子项="钢材", 事项类别="一般", 抽查比例上限="")]
    with pytest.raises(ImportRefused) as exc:
        import_xlsx(world.users["coordinator"], world.county, _book(rows))
    errors = [e.as_dict() for e in exc.value.errors]
    assert {(e["row"], e["column"]) for e in errors} == {(4, "抽查比例下限"), (5, "抽查比例上限")}
    assert all(e["message_zh"] and e["message_en"] for e in errors)
    assert "5%" in errors[0]["message_zh"]
    assert not ItemVersion.objects.exists()


def test_other_bad_cells_are_reported(world):
    rows = [_row(检查方式="现场检查、心灵感应", 事项类别="特别", 责任部门="不存在的局", 抽查比例下限="abc")]
    with pytest.raises(ImportRefused) as exc:
        import_xlsx(world.users["coordinator"], world.county, _book(rows))
    assert {e.column for e in exc.value.errors} == {"检查方式", "事项类别", "责任部门", "抽查比例下限"}


def test_a_file_that_is_not_a_workbook_is_refused(world):
    with pytest.raises(ImportRefused):
        import_xlsx(world.users["coordinator"], world.county, b"not,an,excel,file\n")
    assert not InspectionItem.objects.exists()


def test_a_missing_header_is_refused(world):
    with pytest.raises(ImportRefused) as exc:
        import_xlsx(world.users["coordinator"], world.county, _book([_row()], header=["甲", "乙"]))
    assert "抽查事项" in exc.value.errors[0].column
    assert not InspectionItem.objects.exists()


def test_the_short_ratio_header_is_understood(world):
    header = [("抽查比例" if c == "抽查比例下限" else c) for c in COLUMNS]
    result = import_xlsx(world.users["coordinator"], world.county, _book([_row(抽查比例下限=5)], header=header))
    assert result.created == 1
    assert ItemVersion.objects.get().ratio_min == Decimal("0.05")


def test_the_import_endpoint_reports_rows_as_json(client, world):
    client.force_login(world.users["coordinator"])
    bad = io.BytesIO(_book([_row(抽查比例下限="0.01")]))
    bad.name = "list.xlsx"
    r = client.post("/api/catalog/import", {"file": bad})
    assert r.status_code == 422
    assert r.json()["errors"][0]["row"] == 3 and r.json()["errors"][0]["column"] == "抽查比例下限"
    good = io.BytesIO(_book([_row()]))
    good.name = "list.xlsx"
    r = client.post("/api/catalog/import", {"file": good})
    assert r.status_code == 200 and r.json()["created"] == 1
    wrong = io.BytesIO(b"%PDF-1.4")
    wrong.name = "list.pdf"
    assert client.post("/api/catalog/import", {"file": wrong}).status_code == 422
    assert InspectionItem.objects.count() == 1


def test_only_coordinators_may_import(client, world):
    client.force_login(world.users["organiser"])
    f = io.BytesIO(_book([_row()]))
    f.name = "list.xlsx"
    assert client.post("/api/catalog/import", {"file": f}).status_code == 403


def test_the_expert_column_is_read_written_and_checked(world):
    result = import_xlsx(world.users["coordinator"], world.county, _book([_row(是否需要专家="是")]))
    assert result.created == 1
    version = ItemVersion.objects.get(name="工业产品生产许可证获证企业检查")
    assert version.needs_expert is True
    do_publish(world.users["coordinator"], version)
    sheet = load_workbook(io.BytesIO(export_xlsx(world.county))).active
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("是否需要专家") + 1).value == "是"
    with pytest.raises(ImportRefused) as exc:
        import_xlsx(world.users["coordinator"], world.county, _book([_row(抽查事项="另一事项", 是否需要专家="也许")]))
    assert [e.column for e in exc.value.errors] == ["是否需要专家"]
    assert not ItemVersion.objects.filter(name="另一事项").exists()


def _csv(rows, encoding, header=COLUMNS):
    lines = ["上蔡县随机抽查事项清单", ",".join(header)]
    lines += [",".join("" if v is None else str(v).replace(",", "，") for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_the_list_imports_from_csv_in_utf8_or_gbk_as_from_excel(world, encoding):
    rows = [_row(), _row(事项子项="玻璃", 事项类别="重点", 抽查比例上限="")]
    from_csv = import_xlsx(world.users["coordinator"], world.county, _csv(rows, encoding))
    assert (from_csv.created, from_csv.revised) == (2, 0)
    versions = {v.sub_item: v for v in ItemVersion.objects.all()}
    assert versions["水泥"].ratio_min == Decimal("0.05") and versions["水泥"].ratio_max == Decimal("0.2")
    assert versions["玻璃"].category == "key" and versions["水泥"].name == "工业产品生产许可证获证企业检查"
    # The same rows from the workbook change nothing.
    again = import_xlsx(world.users["coordinator"], world.county, _book(rows))
    assert (again.created, again.revised, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "neither CSV"),
        (b"\xff\xfe\xfa\xfb\x80\x81\xfe\xff" * 10, "UTF-8 or GBK"),
        ("名称,住所\n甲,乙\n".encode(), "header row"),
    ],
)
def test_a_file_that_is_not_the_list_is_refused_with_a_reason(world, data, says):
    with pytest.raises(ImportRefused) as exc:
        import_xlsx(world.users["coordinator"], world.county, data)
    errors = [e.as_dict() for e in exc.value.errors]
    assert says in errors[0]["message_en"] and errors[0]["message_zh"] != errors[0]["message_en"]
    assert not ItemVersion.objects.exists()
