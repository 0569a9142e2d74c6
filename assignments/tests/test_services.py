"""Matching services: pool, recusal, joint teams, refusals, confirmations, redraws, pooling."""

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from assignments import services
from assignments.models import Confirmation, MatchRun, Member, Pooling, Redraw, Role, Unmatched
from assignments.tests.helpers import TODAY, joint_task, make_inspector
from core.models import AuditEntry
from directory.models import Conflict, InspectorStatus
from draws.models import Draw, Selection, Task
from draws.tests.helpers import make_draw
from inspections.models import Record
from inspections.services import may_enter
from orgs.models import Department, DepartmentKind
from suiji_draw import matching as sm
from workcal.calendar import add_working_days


@pytest.fixture
def joint(world):
    return joint_task(world)


def run(joint, **kw):
    return services.do_run_match(joint.world.users["coordinator"], joint.task, **kw)


def test_the_pool_holds_only_active_inspectors_with_a_valid_certificate(joint):
    w = joint.world
    expired = make_inspector(w.county, w.market, "SC9001", certificate_expiry=TODAY - dt.timedelta(days=1))
    uncertified = make_inspector(w.county, w.market, "", certificate_expiry=None)
    retired = make_inspector(w.county, w.market, "SC9003", status=InspectorStatus.RETIRED)
    other_dept = make_inspector(
        w.county, Department.objects.create(organisation=w.county, kind=DepartmentKind.HEALTH, name="卫健委"), "WJ1"
    )
    neighbour = make_inspector(w.other_county, w.other_market, "XP0001")
    pool = set(services.pool_queryset(joint.task, Pooling.NONE))
    assert set(joint.market) | set(joint.tax) == pool
    for p in (expired, uncertified, retired, other_dept, neighbour):
        assert p not in pool
    # the expired certificate never reaches INSPECTORS.csv
    r = run(joint)
    assert "SC9001" not in r.inspectors_csv and "SC9003" not in r.inspectors_csv and "XP0001" not in r.inspectors_csv


def test_a_joint_team_has_each_departments_inspector_and_a_leader(joint):
    r = run(joint)
    assert r.matched == len(joint.selections()) == 6 and r.unmatched_count == 0
    for visit in r.visits.all():
        members = list(visit.current_members())
        assert {m.department for m in members} == {joint.world.market, joint.world.tax}
        assert any(joint.food in m.inspector.expertise.all() for m in members)
        leaders = [m for m in members if m.role == Role.LEADER]
        assert len(leaders) == 1 and leaders[0].inspector.is_team_leader_eligible
    confs = {c.department: c for c in r.confirmations.all()}
    assert set(confs) == {joint.world.market, joint.world.tax}
    assert all(c.deadline == add_working_days(timezone.localdate(), 5) for c in confs.values())
    # the seed comes from the draw's seed and the run number, so anyone can recompute it
    assert r.seed == services.run_seed(joint.draw, 1).hex()
    assert json.loads(r.manifest)["context"]["draw_manifest"] == joint.draw.manifest_digest
    assert AuditEntry.objects.filter(object_type="assignments.MatchRun", object_id=str(r.pk)).exists()


def test_a_team_of_one_is_refused_and_nothing_is_stored(joint):
    with pytest.raises(services.AssignmentError) as exc:
        run(joint, team_size=1)
    assert exc.value.code == "bad_team_size" and "两名" in exc.value.message_zh
    assert not MatchRun.objects.exists()


def test_only_organisers_of_the_organisation_run_the_matching(joint):
    for role in ("participant", "inspector", "auditor"):
        with pytest.raises(services.AssignmentError) as exc:
            services.do_run_match(joint.world.users[role], joint.task)
        assert exc.value.status == 403
    with pytest.raises(services.AssignmentError) as exc:
        services.do_run_match(joint.world.users["outsider"], joint.task)
    assert exc.value.status == 404
    assert not MatchRun.objects.exists()


def test_declared_conflicts_and_last_time_checkers_recuse(joint):
    w = joint.world
    sels = joint.selections()
    first, second = sels[0], sels[1]
    # a conflict with the first firm, for every tax inspector but one
    for p in joint.tax[:3]:
        Conflict.objects.create(inspector=p, target=first.target, reason="亲属任职")
    # the second firm was checked last time (another task) by the inspector with the user account
    old_task = Task.objects.create(
        organisation=w.county, department=w.market, name="上次任务", params={}, created_by=w.users["coordinator"]
    )
    old_draw = make_draw(old_task, w.users["coordinator"], 1, [second.target])
    old_sel = old_draw.selections.get()
    Record.objects.create(
        organisation=w.county,
        task=old_task,
        selection=old_sel,
        target=second.target,
        checked_on=TODAY,
        signature_kind="missing",
        idempotency_key=uuid.uuid4().hex,
        entered_by=w.users["inspector"],
    )
    r = run(joint)
    targets = services.parse_targets(r.targets_csv)
    assert targets[first.key].excluded == {"SW0000", "SW0001", "SW0002"}
    assert targets[second.key].excluded == {joint.me.certificate_no}
    v1 = r.visits.get(selection=first)
    assert {m.person_id for m in v1.current_members()} & {"SW0000", "SW0001", "SW0002"} == set()
    assert "SW0003" in {m.person_id for m in v1.current_members()}
    v2 = r.visits.get(selection=second)
    assert joint.me.certificate_no not in {m.person_id for m in v2.current_members()}


def test_last_time_recusal_is_a_recorded_choice(joint):
    w = joint.world
    second = joint.selections()[1]
    old_task = Task.objects.create(
        organisation=w.county, department=w.market, name="上次任务", params={}, created_by=w.users["coordinator"]
    )
    old_draw = Draw.objects.create(
        task=old_task,
        number=1,
        state="drawn",
        pool_size=1,
        selected=1,
        pool_digest="0" * 64,
        candidates_file="x",
        params_digest="0" * 64,
        commitment="0" * 64,
        secret="0" * 64,
        announcement="a",
        committed_by=w.users["coordinator"],
        committed_at=timezone.now(),
    )
    old_sel = Selection.objects.create(draw=old_draw, position=1, key=second.key, target=second.target)
    Record.objects.create(
        organisation=w.county,
        task=old_task,
        selection=old_sel,
        target=second.target,
        checked_on=TODAY,
        signature_kind="missing",
        idempotency_key=uuid.uuid4().hex,
        entered_by=w.users["inspector"],
    )
    r = run(joint, recuse_last_time=False)
    assert services.parse_targets(r.targets_csv)[second.key].excluded == frozenset()
    assert r.recuse_last_time is False and json.loads(r.manifest)["context"]["recuse_last_time"] == "0"


def test_unmatched_targets_say_why_and_pooling_from_neighbours_fixes_them(joint):
    w = joint.world
    for p in joint.tax:
        p.status = InspectorStatus.LEAVE
        p.save()
    r1 = run(joint)
    assert r1.matched == 0 and r1.unmatched_count == 6
    reasons = set(Unmatched.objects.filter(run=r1).values_list("code", "item"))
    assert reasons == {("no_department_member", "taxation")}
    assert "无“税务”部门的检查人员" in Unmatched.objects.filter(run=r1).first().message_zh
    # the neighbouring county's tax bureau lends two inspectors
    xp_tax = Department.objects.create(organisation=w.other_county, kind=DepartmentKind.TAXATION, name="西平县税务局")
    make_inspector(w.other_county, xp_tax, "XPSW01")
    make_inspector(w.other_county, xp_tax, "XPSW02")
    r2 = run(joint, pooling=Pooling.NEIGHBOURS)
    assert r2.number == 2 and r2.pooling == "neighbours" and r2.matched == 6
    assert r2.seed != r1.seed and r2.seed == services.run_seed(joint.draw, 2).hex()
    assert services.current_run(joint.task) == r2
    assert Member.objects.filter(visit__run=r2, department=xp_tax).exists()
    # both manifests stay available to other apps
    manifests = services.match_manifests(joint.task)
    assert [m["digest"] for m in manifests] == [r1.manifest_digest, r2.manifest_digest]
    # a fully matched task is not re-run: changes go through a slot redraw
    with pytest.raises(services.AssignmentError) as exc:
        run(joint, pooling=Pooling.PARENT)
    assert exc.value.code == "already_matched"


def test_pooling_from_the_level_above(joint):
    w = joint.world
    for p in joint.tax:
        p.status = InspectorStatus.LEAVE
        p.save()
    city_tax = Department.objects.create(organisation=w.city, kind=DepartmentKind.TAXATION, name="驻马店市税务局")
    make_inspector(w.city, city_tax, "ZMDSW1")
    make_inspector(w.city, city_tax, "ZMDSW2")
    assert run(joint).unmatched_count == 6
    r = run(joint, pooling=Pooling.PARENT)
    assert r.matched == 6 and "ZMDSW1" in r.inspectors_csv


def test_a_stored_run_is_immutable(joint):
    r = run(joint)
    r.seed = "0" * 64
    with pytest.raises(RuntimeError):
        r.save()
    with pytest.raises(RuntimeError):
        r.delete()


def test_each_department_confirms_its_share_once(joint):
    w = joint.world
    r = run(joint)
    tax_share = r.confirmations.get(department=w.tax)
    market_share = r.confirmations.get(department=w.market)
    participant = w.users["participant"]  # a user of the tax bureau
    # the participant cannot touch the market bureau's share
    with pytest.raises(services.AssignmentError) as exc:
        services.do_claim(participant, market_share)
    assert exc.value.status == 403
    with pytest.raises(services.AssignmentError) as exc:
        services.do_confirm(participant, tax_share)
    assert exc.value.code == "not_claimed"
    services.do_claim(participant, tax_share)
    c = services.do_confirm(participant, tax_share, "已核对")
    first_at = c.confirmed_at
    with pytest.raises(services.AssignmentError) as exc:
        services.do_confirm(participant, tax_share)
    assert exc.value.code == "already_confirmed" and exc.value.status == 409 and "不能重复确认" in exc.value.message_zh
    c.refresh_from_db()
    assert c.confirmed_at == first_at and c.note == "已核对"
    share = services.share_of(c)
    assert len(share) == 6 and all(m.department == w.tax for s in share for m in s["members"])
    assert services.confirmation_status(c) == "confirmed"
    # the lead department's organiser confirms the market share
    services.do_claim(w.users["organiser"], market_share)
    services.do_confirm(w.users["organiser"], market_share)
    assert Confirmation.objects.filter(run=r, confirmed_at__isnull=False).count() == 2


def test_an_unconfirmed_share_past_its_deadline_is_overdue(joint):
    r = run(joint)
    c = r.confirmations.get(department=joint.world.tax)
    assert services.confirmation_status(c) == "open"
    assert services.confirmation_status(c, c.deadline + dt.timedelta(days=1)) == "overdue"


def test_redraw_of_one_slot_is_random_reproducible_and_recorded(joint):
    w = joint.world
    r = run(joint)
    visit = r.visits.order_by("position").first()
    members = {m.slot: m for m in visit.current_members()}
    tax_slot = next(s for s, m in members.items() if m.department == w.tax)
    old = members[tax_slot]
    redraw = services.do_redraw(w.users["coordinator"], visit, tax_slot, "illness", "因病住院")
    assert redraw.old == old.inspector and redraw.new != old.inspector
    assert redraw.new.department == w.tax  # the department requirement still holds
    now = {m.slot: m for m in visit.current_members()}
    assert now[tax_slot].inspector == redraw.new
    assert Member.objects.get(pk=old.pk).removed_by == redraw
    record = json.loads(redraw.record)
    assert record["result"]["new"] == redraw.new.certificate_no and record["digest"] == redraw.record_digest
    entry = AuditEntry.objects.get(object_type="assignments.Redraw", object_id=str(redraw.pk))
    assert "因病住院" in entry.reason
    # the pure function gives the same replacement from the same inputs
    again = sm.redraw_slot(
        services.parse_inspectors(r.inspectors_csv),
        services.parse_targets(r.targets_csv)[visit.key],
        record["before"]["members"],
        record["before"]["leader"],
        record["slot"],
        sm.MatchParams.from_dict(r.params),
        bytes.fromhex(r.match_seed),
        1,
        excluded=record["excluded"],
    )
    assert again.new == redraw.new.certificate_no and sm.hex64(again.ticket) == redraw.ticket
    # a second redraw of the same slot never brings back the one who left
    second = services.do_redraw(w.users["coordinator"], visit, tax_slot, "conflict", "新发现亲属关系")
    assert second.number == 2 and second.new not in (old.inspector, redraw.new)


def test_a_redraw_needs_a_reason_and_an_eligible_replacement(joint):
    w = joint.world
    r = run(joint)
    visit = r.visits.first()
    with pytest.raises(services.AssignmentError) as exc:
        services.do_redraw(w.users["coordinator"], visit, 0, "illness", "  ")
    assert exc.value.code == "no_reason"
    with pytest.raises(services.AssignmentError):
        services.do_redraw(w.users["coordinator"], visit, 9, "illness", "x")
    tax_slot = next(m.slot for m in visit.current_members() if m.department == w.tax)
    for p in joint.tax:
        Conflict.objects.create(inspector=p, target=visit.selection.target, reason="新发现")
    with pytest.raises(services.AssignmentError) as exc:
        services.do_redraw(w.users["coordinator"], visit, tax_slot, "conflict", "新发现利害关系")
    assert exc.value.code == "no_replacement"
    assert not Redraw.objects.exists()


def test_is_assigned_decides_who_enters_the_record(joint):
    w = joint.world
    sel = joint.selections()[0]
    me = w.users["inspector"]
    assert services.is_assigned(me, joint.task, sel) is False
    assert may_enter(me, joint.task, sel)  # no matching yet: the organisation's inspectors
    r = run(joint)
    on = {v.selection_id for v in r.visits.filter(members__inspector=joint.me, members__removed_by__isnull=True)}
    assert on, "the inspector with the account is on at least one team"
    for s in joint.selections():
        assert services.is_assigned(me, joint.task, s) == (s.pk in on)
        assert may_enter(me, joint.task, s) == (s.pk in on)
    assert [v.selection_id for v in services.my_visits(me)] == sorted(
        on, key=lambda pk: Selection.objects.get(pk=pk).position
    )


def test_the_visit_notice_is_issued_once(joint):
    r = run(joint)
    visit = r.visits.first()
    services.do_issue_notice(joint.world.users["coordinator"], visit)
    with pytest.raises(services.AssignmentError) as exc:
        services.do_issue_notice(joint.world.users["coordinator"], visit)
    assert exc.value.code == "notice_issued"


def test_an_item_that_needs_an_expert_brings_one_from_the_expert_directory(joint):
    from directory.models import Expert

    joint.market_item.needs_expert = True
    joint.market_item.save(update_fields=["needs_expert"])
    without = run(joint)
    assert without.matched == 0 and without.unmatched_count == len(joint.selections())
    assert all("专家" in u.message_zh for u in Unmatched.objects.filter(run=without))
    for n in range(3):
        expert = Expert.objects.create(organisation=joint.world.county, name=f"专家{n}")
        expert.expertise.add(joint.food)
    r = run(joint)
    assert r.matched == len(joint.selections()) and r.unmatched_count == 0
    for visit in r.visits.all():
        experts = [m for m in visit.current_members() if m.role == Role.EXPERT]
        assert len(experts) == 1 and joint.food in experts[0].expert.expertise.all()
