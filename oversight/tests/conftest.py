"""Fixture data for the oversight tests: plans, items, tasks, draws, selections, records, results.

County 上蔡县 (world.county), year = this year:

* items: market M1, M2, M3 (M3 never drawn), tax T1; all published.
* plan (published): line 1 led by market, 3 targets, item M1; line 2 led by tax (non-market), ratio 10 %,
  item T1, market joins.
* task A (market, line 1, item M1): a voided draw (2 selections, must not count) and a live draw of
  4 from 10 candidates: f0 published (no problem), f1 published late with a problem, f2 submitted,
  f3 nothing yet.
* task B (tax, line 2, joint with market accepted, items T1 + M2): live draw of 3 from 20: f0 published,
  f4 approved with its publication deadline passed, f5 nothing yet.
* task C (market, draft) and task D (market, last year): never counted.
* task E in 西平县 (other county): counted only from the city.
* 入库率: the market unit declares 4 staff; 2 inspectors count (one without certificate and one retired do not).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from catalog.models import CheckPoint, InspectionItem, ItemVersion
from directory.models import Inspector, Target, UnitStaffing
from draws.models import Selection, Task, TaskParticipant
from draws.tests.helpers import make_draw
from inspections.models import Record, Result
from orgs.models import Unit
from plans.models import Plan, PlanLine


@dataclass
class Data:
    world: object
    year: int
    items: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    firms: list = field(default_factory=list)
    tasks: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)
    records: dict = field(default_factory=dict)
    plan: object = None


def make_item(world, dept, code, org=None, ratio="0.05"):
    item = InspectionItem.objects.create(organisation=org or world.county, department=dept, code=code)
    version = ItemVersion.objects.create(
        item=item,
        number=1,
        name=f"{code} 检查事项",
        category="key",
        ratio_min=ratio,
        methods=["onsite"],
        status="published",
    )
    CheckPoint.objects.create(version=version, order=1, text="是否合规", method="onsite")
    return item, version


def make_record(task, target, user, state, *, approver=None, late=False, deadline=None, categories=None):
    selection = Selection.objects.get(draw__task=task, draw__state="drawn", target=target)
    now = timezone.now()
    record = Record.objects.create(
        organisation=task.organisation,
        task=task,
        selection=selection,
        target=target,
        state=state,
        checked_on=timezone.localdate(),
        signature_kind="missing",
        signature_missing_reason="不在场",
        idempotency_key=uuid.uuid4().hex,
        entered_by=user,
        completed_at=now,
        publish_deadline=deadline or dt.date(timezone.localdate().year + 1, 1, 31),
        approved_by=approver if state in ("approved", "published") else None,
        approved_at=now if state in ("approved", "published") else None,
        published_at=now if state == "published" else None,
        published_late=late,
    )
    for version, category in (categories or {}).items():
        Result.objects.create(
            record=record,
            organisation=task.organisation,
            target=target,
            item_version=version,
            category=category,
            entered_by=user,
            state={"published": "published", "approved": "approved"}.get(state, "submitted"),
            approved_by=approver if state in ("approved", "published") else None,
            approved_at=now if state in ("approved", "published") else None,
            published_at=now if state == "published" else None,
        )
    return record


def build_data(world) -> Data:
    year = timezone.localdate().year
    d = Data(world, year)
    coord, insp, appr = world.users["coordinator"], world.users["inspector"], world.users["approver"]
    for code, dept in (("M1", world.market), ("M2", world.market), ("M3", world.market), ("T1", world.tax)):
        d.items[code], d.versions[code] = make_item(world, dept, code)
    d.plan = Plan.objects.create(organisation=world.county, year=year, status="published", published_at=timezone.now())
    start, end = dt.date(year, 1, 10), dt.date(year, 12, 20)
    l1 = PlanLine.objects.create(
        plan=d.plan, order=1, name="食品经营抽查", count=3, window_start=start, window_end=end,
        lead_department=world.market,
    )  # fmt: skip
    l1.items.add(d.versions["M1"])
    l2 = PlanLine.objects.create(
        plan=d.plan, order=2, name="涉税联合抽查", ratio="0.1", window_start=start, window_end=end,
        lead_department=world.tax,
    )  # fmt: skip
    l2.items.add(d.versions["T1"])
    l2.departments.add(world.market)
    d.lines = {"l1": l1, "l2": l2}
    d.firms = [
        Target.objects.create(organisation=world.county, key=f"91411722MA4{i:07d}", name=f"测试企业{i}")
        for i in range(10)
    ]
    f = d.firms

    def task(name, dept, **extra):
        fields = dict(organisation=world.county, department=dept, name=name, params={}, created_by=coord)
        fields.update(extra)
        return Task.objects.create(**fields)

    a = task("任务A", world.market, state="drawn", plan_line=l1, window_start=start, window_end=end)
    a.items.add(d.versions["M1"])
    make_draw(a, coord, 1, [f[8], f[9]], 10, state="voided")
    make_draw(a, coord, 2, f[0:4], 10)
    b = task("任务B", world.tax, state="drawn", plan_line=l2, window_start=start, window_end=end)
    b.items.add(d.versions["T1"], d.versions["M2"])
    TaskParticipant.objects.create(task=b, department=world.market, state="accepted")
    make_draw(b, coord, 1, [f[0], f[4], f[5]], 20)
    c = task("任务C草稿", world.market, state="draft", window_start=start, window_end=end)
    make_draw(c, coord, 1, [f[6]], 10)
    last = dt.date(year - 1, 3, 1)
    old = task("任务D去年", world.market, state="drawn", window_start=last, window_end=last)
    old.items.add(d.versions["M3"])
    make_draw(old, coord, 1, [f[7]], 10)
    other_firm = Target.objects.create(organisation=world.other_county, key="91411721MA40000000", name="西平企业")
    e = task("任务E西平", world.other_market, organisation=world.other_county, state="drawn", window_start=start,
             window_end=end)  # fmt: skip
    make_draw(e, coord, 1, [other_firm], 5)
    d.tasks = {"a": a, "b": b, "c": c, "old": old, "e": e}

    m1, t1, m2 = d.versions["M1"], d.versions["T1"], d.versions["M2"]
    past = min(timezone.localdate() - dt.timedelta(days=3), dt.date(year, 12, 1))
    d.records["a0"] = make_record(a, f[0], insp, "published", approver=appr, categories={m1: "no_problem"})
    d.records["a1"] = make_record(
        a, f[1], insp, "published", approver=appr, late=True, categories={m1: "ordered_to_correct"}
    )
    d.records["a2"] = make_record(a, f[2], insp, "submitted", categories={m1: "no_problem"})
    d.records["b0"] = make_record(
        b, f[0], insp, "published", approver=appr, categories={t1: "no_problem", m2: "no_problem"}
    )
    d.records["b4"] = make_record(
        b, f[4], insp, "approved", approver=appr, deadline=past, categories={t1: "no_problem", m2: "no_problem"}
    )
    make_record(old, f[7], insp, "published", approver=appr, categories={d.versions["M3"]: "no_problem"})
    make_record(e, other_firm, insp, "published", approver=appr)

    unit = Unit.objects.create(department=world.market, kind="station", name="城关所")
    UnitStaffing.objects.create(unit=unit, enforcement_staff=4)
    for i, (cert, status) in enumerate([("41001", "active"), ("41002", "leave"), ("", "active"), ("41004", "retired")]):
        Inspector.objects.create(
            organisation=world.county, department=world.market, unit=unit, name=f"执法员{i}",
            certificate_no=cert, status=status,
        )  # fmt: skip
    Inspector.objects.create(
        organisation=world.county, department=world.market, name="检查员", user=insp, certificate_no="41000001"
    )
    return d


@pytest.fixture
def data(world) -> Data:
    return build_data(world)
