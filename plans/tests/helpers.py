import datetime as dt
from decimal import Decimal

from catalog.services import do_publish
from catalog.tests.helpers import make_item
from plans.services import LineData, do_add_line, do_approve, do_create_plan
from plans.services import do_publish as do_publish_plan

YEAR = dt.date.today().year + 1


def published_version(world, **overrides):
    item = make_item(world, **overrides)
    return do_publish(world.users["coordinator"], item.latest_version())


def draft_version(world, **overrides):
    return make_item(world, **overrides).latest_version()


def line_data(world, versions, **overrides):
    start = dt.date(YEAR, 3, 1)
    data = {
        "name": "食品生产企业联合抽查",
        "kind": "undirected",
        "items": [v.pk for v in versions],
        "objects_text": "食品生产企业",
        "ratio": "0.05",
        "method": "现场检查",
        "window_start": start,
        "window_end": start + dt.timedelta(days=90),
        "lead_department": world.market.pk,
        "departments": [world.tax.pk],
    }
    data.update(overrides)
    return LineData(**data)


def make_plan(world, lines=1, year=YEAR):
    coordinator = world.users["coordinator"]
    plan = do_create_plan(coordinator, world.county, year, "年度抽查工作计划")
    if lines:
        version = published_version(world)
        for n in range(lines):
            do_add_line(coordinator, plan, line_data(world, [version], name=f"批次{n + 1}"))
    return plan


def published_plan(world, year=YEAR):
    plan = make_plan(world, year=year)
    do_approve(world.users["approver"], plan)
    return do_publish_plan(world.users["coordinator"], plan)


def decimal(value):
    return Decimal(value)
