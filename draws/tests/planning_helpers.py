"""Plans with joint lines, items of two departments, and inspection records, for the planning tests."""

import datetime as dt
import uuid

from django.utils import timezone

from catalog.models import InspectionItem, ItemVersion
from draws.models import Task
from draws.tests.helpers import make_draw
from inspections.models import Record
from plans.services import LineData, do_add_line, do_approve, do_create_plan, do_publish

YEAR = dt.date.today().year + 1


def version(world, code, department=None, category="key", ratio_min="0.05", ratio_max=None, org=None, name=None):
    org = org or world.county
    item = InspectionItem.objects.create(organisation=org, department=department or world.market, code=code)
    return ItemVersion.objects.create(
        item=item,
        number=1,
        name=name or f"检查事项{code}",
        category=category,
        ratio_min=ratio_min,
        ratio_max=ratio_max,
        methods=["onsite"],
        status="published",
    )


def line_data(world, versions, **overrides):
    start = dt.date(YEAR, 3, 1)
    data = {
        "name": "食品经营者联合抽查",
        "kind": "undirected",
        "items": [v.pk for v in versions],
        "objects_text": "食品经营者",
        "ratio": "0.1",
        "window_start": start,
        "window_end": start + dt.timedelta(days=90),
        "lead_department": world.market.pk,
        "departments": [world.tax.pk],
    }
    data.update(overrides)
    return LineData(**data)


def joint_line(world, versions=None, publish=True, **overrides):
    """A line of a plan of the county (published unless told), led by market, with tax participating."""
    if versions is None:
        versions = [version(world, "SC-01"), version(world, "SW-01", world.tax)]
    coordinator = world.users["coordinator"]
    plan = do_create_plan(coordinator, world.county, YEAR, "年度抽查工作计划")
    line = do_add_line(coordinator, plan, line_data(world, versions, **overrides))
    if publish:
        do_approve(world.users["approver"], plan)
        do_publish(coordinator, plan)
    line.refresh_from_db()
    return line


def inspected(world, target, days_ago, state="submitted"):
    """A record of a visit to ``target`` checked ``days_ago`` days ago, in ``state``."""
    task = Task.objects.create(
        organisation=world.county,
        department=world.market,
        name="往期任务",
        params={},
        created_by=world.users["coordinator"],
        state="drawn",
    )
    selection = make_draw(task, world.users["coordinator"], 1, [target]).selections.get()
    return Record.objects.create(
        organisation=world.county,
        task=task,
        selection=selection,
        target=target,
        state=state,
        checked_on=timezone.localdate() - dt.timedelta(days=days_ago),
        signature_kind="missing",
        signature_missing_reason="不在场",
        idempotency_key=uuid.uuid4().hex,
        entered_by=world.users["inspector"],
    )
