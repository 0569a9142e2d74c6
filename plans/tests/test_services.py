import datetime as dt

import pytest

from plans.models import PlanSettings, PlanStatus
from plans.services import PlanError, do_add_line, do_adjust, do_approve, do_publish, overdue, published_plans
from plans.tests.helpers import YEAR, draft_version, line_data, make_plan, published_plan, published_version
from workcal.calendar import add_working_days


def refusal(call):
    with pytest.raises(PlanError) as info:
        call()
    return info.value


def test_a_ratio_under_five_percent_is_refused(world):
    plan = make_plan(world, lines=0)
    v = published_version(world)
    exc = refusal(lambda: do_add_line(world.users["coordinator"], plan, line_data(world, [v], ratio="0.049")))
    assert exc.code == "ratio_too_low"


def test_a_ratio_above_a_general_items_upper_limit_is_refused(world):
    plan = make_plan(world, lines=0)
    v = published_version(world, category="general", ratio_max="0.10")
    exc = refusal(lambda: do_add_line(world.users["coordinator"], plan, line_data(world, [v], ratio="0.2")))
    assert exc.code == "ratio_above_item_limit"
    line = do_add_line(world.users["coordinator"], plan, line_data(world, [v], ratio="0.10"))
    assert str(line.ratio) == "0.1000"


def test_a_line_with_an_unpublished_item_is_refused(world):
    plan = make_plan(world, lines=0)
    v = draft_version(world)
    exc = refusal(lambda: do_add_line(world.users["coordinator"], plan, line_data(world, [v])))
    assert exc.code == "item_not_published"


def test_a_window_in_the_past_or_ending_before_it_starts_is_refused(world):
    plan = make_plan(world, lines=0)
    v = published_version(world)
    past = dt.date.today() - dt.timedelta(days=1)
    exc = refusal(
        lambda: do_add_line(
            world.users["coordinator"],
            plan,
            line_data(world, [v], window_start=past - dt.timedelta(days=30), window_end=past),
        )
    )
    assert exc.code == "past_window"
    start = dt.date(YEAR, 5, 1)
    exc = refusal(
        lambda: do_add_line(
            world.users["coordinator"],
            plan,
            line_data(world, [v], window_start=start, window_end=start - dt.timedelta(days=1)),
        )
    )
    assert exc.code == "bad_window"


def test_the_scope_is_checked_like_a_draws_scope(world):
    plan = make_plan(world, lines=0)
    v = published_version(world)
    coordinator = world.users["coordinator"]
    exc = refusal(
        lambda: do_add_line(coordinator, plan, line_data(world, [v], kind="directed", scope={"colour": ["red"]}))
    )
    assert exc.code == "bad_scope"
    line = do_add_line(coordinator, plan, line_data(world, [v], kind="directed", scope={"credit_classes": ["C", "D"]}))
    assert line.scope == {"credit_classes": ["C", "D"]}


def test_the_drafter_may_not_approve_their_own_plan(world):
    plan = make_plan(world)
    superuser = world.users["coordinator"]
    superuser.is_superuser = True
    superuser.save()
    exc = refusal(lambda: do_approve(superuser, plan))
    assert exc.code == "own_plan"
    assert do_approve(world.users["approver"], plan).status == PlanStatus.APPROVED


def test_only_an_approved_plan_is_published_and_it_supersedes_the_previous_version(world):
    plan = make_plan(world)
    assert refusal(lambda: do_publish(world.users["coordinator"], plan)).code == "not_approved"
    do_approve(world.users["approver"], plan)
    first = do_publish(world.users["coordinator"], plan)
    draft = do_adjust(world.users["coordinator"], first, "新增一个批次")
    do_approve(world.users["approver"], draft)
    second = do_publish(world.users["coordinator"], draft)
    first.refresh_from_db()
    assert (first.status, second.status) == (PlanStatus.SUPERSEDED, PlanStatus.PUBLISHED)
    assert list(published_plans(world.county)) == [second, first]


def test_an_adjustment_keeps_the_old_version_and_is_due_in_ten_working_days(world):
    plan = published_plan(world)
    draft = do_adjust(world.users["coordinator"], plan, "根据上级部署调整抽查时间")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED
    assert (draft.number, draft.status, draft.reason) == (2, PlanStatus.DRAFT, "根据上级部署调整抽查时间")
    assert draft.republish_deadline == add_working_days(dt.date.today(), 10)
    assert [line.name for line in draft.lines.all()] == [line.name for line in plan.lines.all()]
    assert list(draft.lines.first().items.all()) == list(plan.lines.first().items.all())
    assert not overdue(draft)
    assert overdue(draft, today=draft.republish_deadline + dt.timedelta(days=1))
    assert refusal(lambda: do_adjust(world.users["coordinator"], plan, "再次调整")).code == "adjustment_pending"


def test_an_adjustment_needs_a_reason(world):
    plan = published_plan(world)
    assert refusal(lambda: do_adjust(world.users["coordinator"], plan, "  ")).code == "no_reason"


def test_a_first_version_is_overdue_after_the_localitys_filing_deadline(world):
    plan = make_plan(world, lines=0)
    PlanSettings.objects.create(organisation=world.county, filing_month=2, filing_day=31)
    assert not overdue(plan, today=dt.date(YEAR, 2, 28 if YEAR % 4 else 29))
    assert overdue(plan, today=dt.date(YEAR, 3, 1))
    PlanSettings.objects.filter(organisation=world.county).update(filing_month=12, filing_day=31)
    assert overdue(plan, today=dt.date(YEAR, 1, 1))


def test_a_published_plan_is_never_overdue(world):
    plan = published_plan(world)
    assert not overdue(plan, today=dt.date(YEAR + 1, 1, 1))
