import datetime as dt
import uuid
from dataclasses import dataclass, field

import pytest

from catalog.models import CheckPoint, InspectionItem, ItemVersion
from directory.models import Inspector, Target
from draws.models import Task
from draws.tests.helpers import make_draw
from inspections import services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


@dataclass
class Visit:
    world: object
    task: Task
    target: Target
    outside: Target
    version: ItemVersion
    points: list
    others: list = field(default_factory=list)  # (version, points) of the other departments' items


def make_version(world, code="SC-01", department=None, name="食品经营许可情况检查"):
    item = InspectionItem.objects.create(organisation=world.county, department=department or world.market, code=code)
    version = ItemVersion.objects.create(
        item=item,
        number=1,
        name=name,
        category="key",
        ratio_min="0.05",
        methods=["onsite"],
        status="published",
    )
    points = [
        CheckPoint.objects.create(version=version, order=1, text="许可证是否在有效期内", method="onsite"),
        CheckPoint.objects.create(version=version, order=2, text="经营场所与许可是否一致", method="onsite"),
    ]
    return version, points


def make_visit(
    world,
    key="91411722MA40000009",
    name="上蔡县示例食品有限公司",
    task_name="2026年食品经营者抽查",
    joint=False,
    code="SC-01",
):
    Inspector.objects.get_or_create(
        user=world.users["inspector"],
        defaults={
            "organisation": world.county,
            "department": world.market,
            "name": "检查员",
            "certificate_no": "41000001",
        },
    )
    target = Target.objects.create(organisation=world.county, key=key, name=name)
    outside, _ = Target.objects.get_or_create(
        key="91411722MA40000017", defaults={"organisation": world.county, "name": "未被抽中的公司"}
    )
    task = Task.objects.create(
        organisation=world.county,
        department=world.market,
        name=task_name,
        params={},
        created_by=world.users["coordinator"],
        state="drawn",
    )
    make_draw(task, world.users["coordinator"], 1, [target], pool=2)
    version, points = make_version(world, code)
    task.items.add(version)
    others = []
    if joint:  # a joint visit: the tax department's item is checked at the same visit
        tax_version, tax_points = make_version(world, "SW-01", world.tax, "纳税申报情况检查")
        task.items.add(tax_version)
        others.append((tax_version, tax_points))
    return Visit(world, task, target, outside, version, points, others)


@pytest.fixture
def visit(world):
    return make_visit(world)


def submission(visit, **extra):
    fields = dict(
        task=visit.task,
        target_key=visit.target.key,
        idempotency_key=uuid.uuid4().hex,
        checked_on=dt.date.today(),
        methods=["onsite"],
        item_ids=[visit.version.pk] + [v.pk for v, _ in visit.others],
        categories={v.pk: "no_problem" for v in [visit.version] + [v for v, _ in visit.others]},
        findings={p.pk: ("ok", "") for p in visit.points + [p for _, ps in visit.others for p in ps]},
        signature_kind="missing",
        signature_missing_reason="法定代表人不在场",
    )
    fields.update(extra)
    return services.Submission(**fields)


def submitted(visit, **extra):
    record, _ = services.do_submit_record(visit.world.users["inspector"], submission(visit, **extra))
    return record


def published(visit, **extra):
    record = submitted(visit, **extra)
    services.do_approve_record(visit.world.users["approver"], record)
    return services.do_publish_record(visit.world.users["approver"], record)
