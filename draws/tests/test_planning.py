"""Tasks from plan lines, joint tasks and the exclusion of recently inspected firms (draws/planning.py)."""

import datetime as dt
import json

import pytest
from django.core.files.storage import default_storage

from catalog.models import VersionStatus
from core.models import AuditEntry
from directory.models import Target
from draws import planning, services
from draws.models import ParticipantState, Task, TaskParticipant
from draws.tests.helpers import INPUTS, WITNESSES, firm_key, make_firms, make_task, params
from draws.tests.planning_helpers import inspected, joint_line, version
from draws.tests.test_services import verify
from plans.models import PlanLine
from plans.services import do_adjust


def refused(code, call, *args, **kwargs):
    """The call is refused with ``code``, a message in both languages, and nothing is written."""
    tasks, participants, audit = Task.objects.count(), TaskParticipant.objects.count(), AuditEntry.objects.count()
    with pytest.raises(services.WorkflowError) as exc:
        call(*args, **kwargs)
    assert exc.value.code == code, (exc.value.code, exc.value.message_en)
    assert exc.value.message_zh and exc.value.message_en and exc.value.message_zh != exc.value.message_en
    assert (Task.objects.count(), TaskParticipant.objects.count(), AuditEntry.objects.count()) == (
        tasks,
        participants,
        audit,
    )
    return exc.value


# --- creating a task from a line ------------------------------------------------------------------------


def test_a_task_from_a_joint_line_copies_the_line_and_invites_its_departments(world):
    line = joint_line(world)
    task = planning.do_create_task_from_line(world.users["coordinator"], line)
    assert task.plan_line == line and task.organisation == world.county and task.department == world.market
    assert task.name == line.name and line.plan.organisation.name in task.notice
    assert set(task.items.all()) == set(line.items.all())
    assert task.scope == {}  # undirected
    assert task.params["parts"][0]["overall"] == {"ratio": "0.1"}
    assert (task.window_start, task.window_end) == (line.window_start, line.window_end)
    participants = list(task.participants.all())
    assert [(p.department, p.state) for p in participants] == [(world.tax, ParticipantState.INVITED)]
    entry = AuditEntry.objects.filter(object_type="draws.Task", object_id=str(task.pk), action="action").get()
    assert entry.organisation_id == world.county.pk


def test_a_directed_line_gives_its_scope_and_a_count_gives_a_count(world):
    make_firms(world.county, 100)
    line = joint_line(world, kind="directed", scope={"credit_classes": ["C", "D"]}, ratio=None, count=10)
    task = planning.do_create_task_from_line(world.users["coordinator"], line, exclude_inspected_days=30)
    assert task.scope == {"credit_classes": ["C", "D"], "exclude_inspected_days": 30}
    assert task.params["parts"][0]["overall"] == {"count": 10}
    assert planning.preview(task)["candidates"] == 30 and planning.preview(task)["expected"] == 10


def test_overrides_change_the_name_the_ratio_and_the_window(world):
    line = joint_line(world)
    start = line.window_start + dt.timedelta(days=10)
    task = planning.do_create_task_from_line(
        world.users["coordinator"], line, name="第二轮", ratio="0.2", window_start=start, notice="公告"
    )
    assert (task.name, task.notice, task.window_start) == ("第二轮", "公告", start)
    assert task.params["parts"][0]["overall"] == {"ratio": "0.2"}


def test_a_ratio_under_five_percent_is_refused(world):
    line = joint_line(world)
    exc = refused("ratio_too_low", planning.do_create_task_from_line, world.users["coordinator"], line, ratio="0.04")
    assert "5%" in exc.message_zh


def test_a_ratio_under_an_items_lower_ratio_is_refused(world):
    strict = version(world, "SC-09", ratio_min="0.2", ratio_max="0.5")
    line = joint_line(world, versions=[strict], ratio="0.3")
    exc = refused(
        "ratio_below_item_minimum", planning.do_create_task_from_line, world.users["coordinator"], line, ratio="0.1"
    )
    assert "20%" in exc.message_zh and strict.name in exc.message_zh


def test_a_ratio_over_a_general_items_cap_is_refused(world):
    general = version(world, "YB-01", category="general", ratio_max="0.1")
    line = joint_line(world, versions=[general], ratio="0.05")
    exc = refused(
        "ratio_above_item_limit", planning.do_create_task_from_line, world.users["coordinator"], line, ratio="0.2"
    )
    assert "10%" in exc.message_zh and "upper ratio" in exc.message_en


def test_a_count_is_checked_against_the_items_as_a_share_of_the_pool(world):
    make_firms(world.county, 100)
    general = version(world, "YB-01", category="general", ratio_max="0.1")
    line = joint_line(world, versions=[general], ratio=None, count=5)
    refused("ratio_above_item_limit", planning.do_create_task_from_line, world.users["coordinator"], line, count=30)
    assert planning.do_create_task_from_line(world.users["coordinator"], line).params["parts"][0]["overall"] == {
        "count": 5
    }


def test_a_window_in_the_past_is_refused(world):
    line = joint_line(world)
    past = dt.date.today() - dt.timedelta(days=1)
    refused(
        "past_window",
        planning.do_create_task_from_line,
        world.users["coordinator"],
        line,
        window_start=past - dt.timedelta(days=30),
        window_end=past,
    )
    PlanLine.objects.filter(pk=line.pk).update(window_start=past - dt.timedelta(days=30), window_end=past)
    line.refresh_from_db()
    refused("past_window", planning.do_create_task_from_line, world.users["coordinator"], line)


def test_a_line_of_an_unpublished_plan_is_refused(world):
    line = joint_line(world, publish=False)
    exc = refused("plan_not_published", planning.do_create_task_from_line, world.users["coordinator"], line)
    assert exc.status == 409


def test_a_superseded_plan_version_is_refused(world):
    line = joint_line(world)
    do_adjust(world.users["coordinator"], line.plan, "增加批次")
    from plans.services import do_approve, do_publish

    draft = line.plan.__class__.objects.get(organisation=world.county, status="draft")
    do_approve(world.users["approver"], draft)
    do_publish(world.users["coordinator"], draft)
    line.refresh_from_db()
    refused("plan_not_published", planning.do_create_task_from_line, world.users["coordinator"], line)


def test_a_line_outside_the_item_list_is_refused(world):
    line = joint_line(world)
    foreign = version(world, "XP-01", org=world.other_county, department=world.other_market)
    line.items.add(foreign)
    refused("item_not_in_list", planning.do_create_task_from_line, world.users["coordinator"], line)


def test_a_line_whose_item_was_revised_since_is_refused(world):
    line = joint_line(world)
    first = line.items.order_by("pk").first()
    first.status = VersionStatus.SUPERSEDED
    first.save(update_fields=["status"])
    exc = refused("item_not_published", planning.do_create_task_from_line, world.users["coordinator"], line)
    assert first.name in exc.message_zh


def test_another_countys_line_is_not_found(world):
    line = joint_line(world)
    exc = refused("not_found", planning.do_create_task_from_line, world.users["outsider"], line)
    assert exc.status == 404


def test_a_department_organiser_creates_only_from_its_own_lines(world):
    tax_led = joint_line(world, lead_department=world.tax.pk, departments=[world.market.pk])
    exc = refused("not_lead_department", planning.do_create_task_from_line, world.users["organiser"], tax_led)
    assert exc.status == 403
    for role in ("inspector", "participant", "approver"):
        assert refused("forbidden", planning.do_create_task_from_line, world.users[role], tax_led).status == 403
    task = planning.do_create_task_from_line(world.users["coordinator"], tax_led)
    assert task.department == world.tax and [p.department for p in task.participants.all()] == [world.market]


def test_the_department_organiser_of_the_lead_department_creates_the_task(world):
    line = joint_line(world)
    task = planning.do_create_task_from_line(world.users["organiser"], line)
    assert task.created_by == world.users["organiser"]


def test_unknown_overrides_are_refused(world):
    line = joint_line(world)
    refused("bad_field", planning.do_create_task_from_line, world.users["coordinator"], line, department=world.tax)


# --- ad-hoc tasks with items ----------------------------------------------------------------------------


def test_an_ad_hoc_task_takes_the_lead_departments_items_with_the_same_checks(world):
    own = version(world, "SC-01")
    general = version(world, "YB-01", category="general", ratio_max="0.1")
    task = make_task(world, items=[own], params=params("0.1"))
    assert list(task.items.all()) == [own]
    refused("ratio_above_item_limit", make_task, world, items=[general], params=params("0.2"))
    refused("other_department_item", make_task, world, items=[version(world, "SW-01", world.tax)])
    refused(
        "item_not_in_list",
        make_task,
        world,
        items=[version(world, "XP-01", world.other_market, org=world.other_county)],
    )
    draft = version(world, "SC-02")
    draft.status = VersionStatus.DRAFT
    draft.save(update_fields=["status"])
    refused("item_not_published", make_task, world, items=[draft])
    past = dt.date.today() - dt.timedelta(days=3)
    refused("past_window", make_task, world, window_start=past, window_end=past)


def test_a_provincial_item_of_the_same_kind_of_department_is_the_county_departments(world):
    from orgs.models import Department

    province_market = Department.objects.create(organisation=world.province, kind="market", name="河南省市场监管局")
    provincial = version(world, "PR-01", province_market, org=world.province)
    task = make_task(world, items=[provincial])
    assert list(task.items.all()) == [provincial]


# --- joint participation --------------------------------------------------------------------------------


def joint_task(world):
    line = joint_line(world)
    task = planning.do_create_task_from_line(world.users["coordinator"], line)
    return task, task.participants.get()


def test_the_invited_department_accepts_and_adds_its_own_items(world):
    task, participant = joint_task(world)
    tax_user = world.users["participant"]
    planning.do_respond(tax_user, participant, accept=True)
    participant.refresh_from_db()
    assert participant.state == ParticipantState.ACCEPTED and participant.responded_by == tax_user
    extra = version(world, "SW-02", world.tax)
    planning.do_add_items(tax_user, task, [extra.pk])
    assert extra in task.items.all()
    groups = dict(planning.items_by_department(task))
    assert len(groups[world.tax.name]) == 2 and len(groups[world.market.name]) == 1
    assert refused("already_responded", planning.do_respond, tax_user, participant, accept=False).status == 409


def test_only_the_invited_departments_staff_respond(world):
    task, participant = joint_task(world)
    for role in ("organiser", "coordinator", "inspector"):  # the market department's staff
        assert refused("not_your_department", planning.do_respond, world.users[role], participant, True).status == 403
    assert refused("not_found", planning.do_respond, world.users["outsider"], participant, True).status == 404


def test_a_declined_department_adds_nothing_and_can_be_invited_again(world):
    task, participant = joint_task(world)
    planning.do_respond(world.users["participant"], participant, accept=False)
    refused(
        "not_participant", planning.do_add_items, world.users["participant"], task, [version(world, "SW-3", world.tax)]
    )
    again = planning.do_invite(world.users["coordinator"], task, world.tax)
    assert again.pk == participant.pk and again.state == ParticipantState.INVITED and again.responded_by is None


def test_a_participant_cannot_add_another_departments_items(world):
    task, participant = joint_task(world)
    planning.do_respond(world.users["participant"], participant, accept=True)
    market_item = version(world, "SC-05")
    exc = refused("other_department_item", planning.do_add_items, world.users["participant"], task, [market_item])
    assert exc.status == 403 and market_item not in task.items.all()


def test_items_and_invitations_are_refused_after_the_pool_is_committed(world):
    from orgs.models import Department

    make_firms(world.county, 50)
    task, participant = joint_task(world)
    planning.do_respond(world.users["participant"], participant, accept=True)
    services.do_commit(task, world.users["coordinator"])
    extra = version(world, "SW-02", world.tax)
    assert refused("pool_frozen", planning.do_add_items, world.users["participant"], task, [extra]).status == 409
    health = Department.objects.create(organisation=world.county, kind="health", name="上蔡县卫健委")
    assert refused("pool_frozen", planning.do_invite, world.users["coordinator"], task, health).status == 409


def test_invitations_only_by_the_lead_department_and_only_of_its_organisation(world):
    from orgs.models import Department

    task, participant = joint_task(world)
    health = Department.objects.create(organisation=world.county, kind="health", name="上蔡县卫健委")
    refused("already_invited", planning.do_invite, world.users["coordinator"], task, world.tax)
    refused("bad_department", planning.do_invite, world.users["coordinator"], task, world.other_market)
    refused("lead_department", planning.do_invite, world.users["coordinator"], task, world.market)
    refused("forbidden", planning.do_invite, world.users["participant"], task, health)
    refused("not_found", planning.do_invite, world.users["outsider"], task, health)
    tax_led = make_task(world, department=world.tax)
    refused("not_lead_department", planning.do_invite, world.users["organiser"], tax_led, health)
    invited = planning.do_invite(world.users["organiser"], task, health)
    assert invited.state == ParticipantState.INVITED


def test_each_department_sees_its_share(world):
    from draws.access import visible_tasks

    task, participant = joint_task(world)
    tax_user = world.users["participant"]
    other_draft = make_task(world, name="市场监管局自己的草稿")
    assert list(visible_tasks(tax_user)) == [task]  # invited: sees the joint task only
    planning.do_respond(tax_user, participant, accept=False)
    assert list(visible_tasks(tax_user)) == []  # declined: nothing
    assert other_draft not in visible_tasks(tax_user)


# --- recently inspected firms (无事不扰) ---------------------------------------------------------------------


def test_recently_inspected_firms_are_left_out_of_the_pool_and_the_draw_verifies(world, tmp_path):
    firms = make_firms(world.county, 40, classes="B")
    inspected(world, firms[3], days_ago=10)
    inspected(world, firms[4], days_ago=10, state="published")
    inspected(world, firms[5], days_ago=100)  # too long ago
    inspected(world, firms[6], days_ago=5, state="draft")  # never submitted
    task = make_task(world, scope={"exclude_inspected_days": 30}, params=params("1"))
    assert planning.preview(task) == {"candidates": 40, "excluded_inspected": 2, "eligible": 38, "expected": 38}
    draw = services.do_commit(task, world.users["coordinator"])
    announcement = json.loads(draw.announcement)
    assert announcement["context"]["exclude_inspected_days"] == "30"
    assert announcement["context"]["excluded_inspected"] == "2"
    with default_storage.open(draw.candidates_file, "rb") as fh:
        csv = fh.read().decode()
    assert f"{firm_key(world.county, 3)},all,1,0,,inspected" in csv
    draw = services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)
    manifest = json.loads(draw.manifest)
    assert manifest["result"]["counts"] == {"pool": 40, "excluded": 2, "selected": 38}
    assert {e["key"] for e in manifest["result"]["excluded"]} == {firm_key(world.county, 3), firm_key(world.county, 4)}
    assert manifest["context"]["excluded_inspected"] == "2"
    selected = set(draw.selections.values_list("key", flat=True))
    assert firm_key(world.county, 3) not in selected and firm_key(world.county, 5) in selected
    code, out = verify(draw, tmp_path)
    assert code == 0, out


def test_a_firm_forced_in_by_complaints_is_not_left_out(world):
    firms = make_firms(world.county, 60, classes="B")  # firm 0 and 50 have 7 complaints
    inspected(world, firms[0], days_ago=3)
    inspected(world, firms[1], days_ago=3)
    task = make_task(world, scope={"exclude_inspected_days": 30}, force_complaints=5)
    assert planning.preview(task)["excluded_inspected"] == 1
    draw = services.do_commit(task, world.users["coordinator"])
    assert json.loads(draw.announcement)["context"]["excluded_inspected"] == "1"


def test_without_the_option_nothing_is_left_out(world):
    firms = make_firms(world.county, 20)
    inspected(world, firms[0], days_ago=1)
    task = make_task(world)
    assert planning.preview(task)["excluded_inspected"] == 0
    draw = services.do_commit(task, world.users["coordinator"])
    assert "exclude_inspected_days" not in json.loads(draw.announcement)["context"]


@pytest.mark.parametrize("days", [0.5, -1, 4000, True, "30"])
def test_a_bad_number_of_days_is_refused(world, days):
    refused("bad_scope", make_task, world, scope={"exclude_inspected_days": days})


def test_only_the_lead_department_freezes_and_draws_a_joint_task(world):
    from accounts.models import Role, UserRole

    make_firms(world.county, 100)
    task, participant = joint_task(world)
    planning.do_respond(world.users["participant"], participant, accept=True)
    tax_organiser = world.users["participant"]
    UserRole.objects.create(user=tax_organiser, role=Role.ORGANISER)  # an organiser of the participating department
    tax_organiser = type(tax_organiser).objects.get(pk=tax_organiser.pk)
    assert refused("not_lead_department", services.do_commit, task, tax_organiser).status == 403
    assert not task.draws.exists()
    draw = services.do_commit(task, world.users["organiser"])  # the lead department's organiser
    assert refused("not_lead_department", services.do_draw, draw, tax_organiser, WITNESSES, INPUTS).status == 403
    draw.refresh_from_db()
    assert draw.state == "committed"
    drawn = services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)  # an organisation-wide role
    assert drawn.state == "drawn"


def _drawn(world, org=None, **extra):
    task = make_task(world, params=params("1"), **({"organisation": org} if org else {}), **extra)
    draw = services.do_commit(task, world.users["coordinator"])
    return services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)


def test_the_yearly_cap_leaves_out_firms_drawn_often_enough_this_year(world, tmp_path):
    from plans.models import PlanSettings

    make_firms(world.county, 30, classes="B")
    _drawn(world)  # every firm drawn once (ratio 1)
    voided = _drawn(world)
    services.do_request_void(voided, world.users["coordinator"], "见证输入录入错误")
    services.do_approve_void(voided, world.users["approver"])  # a voided draw is no visit
    PlanSettings.objects.create(organisation=world.county, yearly_visit_cap=2)
    second = _drawn(world)  # still under the cap: one visit each before it
    assert json.loads(second.manifest)["result"]["counts"]["excluded"] == 0
    task = make_task(world, params=params("1"), force_complaints=5)
    assert planning.capped_exclusions(task, [firm_key(world.county, 1)], [False]) == {firm_key(world.county, 1): "cap"}
    draw = services.do_draw(
        services.do_commit(task, world.users["coordinator"]), world.users["coordinator"], WITNESSES, INPUTS
    )
    manifest = json.loads(draw.manifest)
    forced = Target.objects.filter(complaint_count__gte=5).count()
    assert forced >= 1
    assert manifest["result"]["counts"]["excluded"] == 30 - forced  # firms forced in by complaints stay in
    assert manifest["context"]["excluded_cap"] == str(30 - forced)
    assert {e["reason"] for e in manifest["result"]["excluded"]} == {"cap"}
    code, out = verify(draw, tmp_path)
    assert code == 0, out


def test_the_yearly_cap_counts_only_this_branch_of_the_tree(world):
    from plans.models import PlanSettings

    make_firms(world.county, 10, classes="B")
    PlanSettings.objects.create(organisation=world.county, yearly_visit_cap=1)
    task = make_task(world, params=params("1"))
    assert planning.capped_exclusions(task, [firm_key(world.county, 1)], [False]) == {}
    _drawn(world)
    assert planning.capped_exclusions(task, [firm_key(world.county, 1)], [False]) == {firm_key(world.county, 1): "cap"}
    assert planning.capped_exclusions(task, [firm_key(world.county, 1)], [True]) == {}  # forced firms stay in
    assert planning.visits_this_year(task, 2000).count() == 0


def test_a_task_from_a_line_takes_the_organisers_risk_policy(world, tmp_path):
    make_firms(world.county, 200)
    line = joint_line(world)
    task = planning.do_create_task_from_line(
        world.users["coordinator"],
        line,
        class_ratios={"A": "0.05", "B": "0.1", "C": "0.2", "D": "0.5"},
        class_weights={"A": 1, "B": 2, "C": 4, "D": 8},
        force_complaints=5,
    )
    part = task.params["parts"][0]
    assert task.stratify_by == "credit_class" and part["method"] == "weighted" and part["overall"] is None
    assert [s["stratum"] for s in part["strata"]] == ["A", "B", "C", "D"]
    assert task.weights == {"class": {"A": 1, "B": 2, "C": 4, "D": 8}} and task.force_complaints == 5
    draw = services.do_draw(
        services.do_commit(task, world.users["coordinator"]), world.users["coordinator"], WITNESSES, INPUTS
    )
    manifest = json.loads(draw.manifest)
    assert {g["stratum"] for p in manifest["result"]["parts"] for g in p["groups"]} >= {"A", "B", "C", "D"}
    code, out = verify(draw, tmp_path)
    assert code == 0, out


def test_a_class_ratio_under_five_per_cent_or_an_unknown_class_is_refused(world):
    line = joint_line(world)
    before = Task.objects.count()
    bad = {"A": "0.01", "B": "0.1", "C": "0.2", "D": "0.5"}
    assert refused(
        "ratio_too_low", planning.do_create_task_from_line, world.users["coordinator"], line, class_ratios=bad
    )
    assert refused(
        "bad_class_ratios",
        planning.do_create_task_from_line,
        world.users["coordinator"],
        line,
        class_ratios={"E": "0.1"},
    )
    assert Task.objects.count() == before


def test_a_draw_whose_visits_have_records_cannot_be_voided(world):
    firms = make_firms(world.county, 5, classes="B")
    record = inspected(world, firms[0], days_ago=1)
    draw = record.task.draws.get()
    before = AuditEntry.objects.count()
    assert (
        refused("has_records", services.do_request_void, draw, world.users["coordinator"], "录入错误需要重抽").status
        == 409
    )
    draw.refresh_from_db()
    assert draw.state == "drawn" and draw.void_requested_by is None and AuditEntry.objects.count() == before
