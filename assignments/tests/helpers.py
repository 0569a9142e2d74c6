"""A joint task (market supervision leads, taxation participates), drawn, with an inspector pool."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from catalog.models import CheckPoint, InspectionItem, ItemVersion
from directory.models import Expertise, Inspector
from draws import services as draw_services
from draws.models import Draw, ParticipantState, Selection, Task, TaskParticipant
from draws.tests.helpers import INPUTS, WITNESSES, make_firms, make_task

TODAY = dt.date.today()


@dataclass
class Joint:
    world: object
    task: Task
    draw: Draw
    food: Expertise
    market_item: ItemVersion
    tax_item: ItemVersion
    market: list[Inspector] = field(default_factory=list)
    tax: list[Inspector] = field(default_factory=list)
    me: Inspector | None = None

    def selections(self) -> list[Selection]:
        return list(self.draw.selections.select_related("target").order_by("position"))


def make_item(world, department, code: str, name: str, expertise=None) -> ItemVersion:
    item = InspectionItem.objects.create(organisation=world.county, department=department, code=code)
    version = ItemVersion.objects.create(
        item=item, number=1, name=name, category="key", ratio_min="0.05", methods=["onsite"], status="published"
    )
    CheckPoint.objects.create(version=version, order=1, text=f"{name}要点一", method="onsite")
    if expertise is not None:
        version.expertise.add(expertise)
    return version


def make_inspector(org, dept, no: str, *, expertise=(), leader=False, user=None, **extra) -> Inspector:
    fields = {"certificate_no": no, "certificate_expiry": TODAY + dt.timedelta(days=365)}
    fields.update(extra)
    p = Inspector.objects.create(
        organisation=org, department=dept, name=f"检查员{no}", is_team_leader_eligible=leader, user=user, **fields
    )
    for e in expertise:
        p.expertise.add(e)
    return p


def joint_task(world, *, firms: int = 60, tax_inspectors: int = 4, market_inspectors: int = 6) -> Joint:
    food = Expertise.objects.create(code="food", name="食品")
    market_item = make_item(world, world.market, "SC-01", "食品经营许可情况检查", food)
    tax_item = make_item(world, world.tax, "SW-01", "发票使用情况检查")
    make_firms(world.county, firms)
    task = make_task(world, window_start=TODAY, window_end=TODAY + dt.timedelta(days=60))
    task.items.add(market_item, tax_item)
    TaskParticipant.objects.create(task=task, department=world.tax, state=ParticipantState.ACCEPTED)
    draw = draw_services.do_commit(task, world.users["coordinator"])
    draw = draw_services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)
    joint = Joint(world, task, draw, food, market_item, tax_item)
    for n in range(market_inspectors):
        user = world.users["inspector"] if n == 0 else None
        p = make_inspector(world.county, world.market, f"SC{n:04d}", expertise=[food], leader=n < 3, user=user)
        joint.market.append(p)
        if user is not None:
            joint.me = p
    for n in range(tax_inspectors):
        joint.tax.append(make_inspector(world.county, world.tax, f"SW{n:04d}"))
    return joint
