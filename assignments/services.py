"""Inspector matching of a drawn task, confirmations of each department's share, slot redraws.

``check_*`` validates, ``do_*`` acts in one transaction with its audit entry. The matching itself
is ``suiji_draw.matching``; this module builds its inputs from the directory (the pool of
inspectors, the drawn targets with what each visit requires and who must recuse), stores the
run, its manifest and its canonical files, and offers the functions other apps call:
:func:`match_manifests`, :func:`has_matching` and :func:`is_assigned`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.permissions import can_see_org, has_perm
from assignments.models import Confirmation, MatchRun, Member, Pooling, Redraw, Role, Unmatched, Visit
from core import audit
from core.errors import Refused
from core.models import AuditAction
from directory.models import Conflict, Expert, Inspector, InspectorStatus
from draws.models import Draw, DrawState, ParticipantState, Selection, Task
from orgs.models import Department, Organisation
from suiji_draw import matching as sm
from suiji_draw.encoding import canonical_json, tagged_hash
from suiji_draw.errors import DrawInputError
from workcal.calendar import add_working_days

CONFIRM_WORKING_DAYS = 5


class AssignmentError(Refused):
    """A refused action of the matching, confirmations and redraws."""


def _refuse(code: str, zh: str, en: str, status: int = 422) -> AssignmentError:
    return AssignmentError(code, zh, en, status)


def _not_found() -> AssignmentError:
    return _refuse("not_found", "未找到该对象，或您无权查看。", "Not found, or not visible to you.", 404)


# --- who may do what ----------------------------------------------------------------------------


def can_organise(user: Any, task: Task) -> bool:
    return (has_perm(user, "tasks.manage") or has_perm(user, "draws.organise")) and can_see_org(user, task.organisation)


def check_can_organise(user: Any, task: Task) -> None:
    if not (has_perm(user, "tasks.manage") or has_perm(user, "draws.organise")):
        raise _refuse("forbidden", "您没有组织检查人员匹配的权限。", "You may not run the matching.", 403)
    if not can_see_org(user, task.organisation):
        raise _not_found()


def may_confirm(user: Any, confirmation: Confirmation) -> bool:
    """A user of the share's department with the confirmation (or task) permission."""
    if not (has_perm(user, "assignments.confirm") or has_perm(user, "tasks.manage")):
        return False
    return bool(user.is_superuser or user.department_id == confirmation.department_id)


# --- inputs from the directory -----------------------------------------------------------------


def task_departments(task: Task) -> list[Department]:
    """The lead department and every accepted participant of a joint task."""
    parts = Department.objects.filter(
        joint_tasks__task=task, joint_tasks__state=ParticipantState.ACCEPTED
    ).select_related("organisation")
    out = [task.department]
    out += [d for d in parts if d.pk != task.department_id]
    return out


def pool_organisations(task: Task, pooling: str) -> list[Organisation]:
    org = task.organisation
    orgs = [org]
    if pooling == Pooling.NEIGHBOURS and org.parent_id:
        orgs += list(Organisation.objects.filter(parent_id=org.parent_id).exclude(pk=org.pk).order_by("path"))
    elif pooling == Pooling.PARENT and org.parent_id:
        orgs.append(org.parent)
    return orgs


def pool_queryset(task: Task, pooling: str, on: dt.date | None = None) -> QuerySet[Inspector]:
    """Active inspectors with a recorded, unexpired certificate, of the task's departments (and, when
    pooling, of the same kinds of department in the neighbouring or parent organisation)."""
    on = on or timezone.localdate()
    depts = task_departments(task)
    kinds = {d.kind for d in depts}
    others = [o.pk for o in pool_organisations(task, pooling) if o.pk != task.organisation_id]
    qs = Inspector.objects.filter(status=InspectorStatus.ACTIVE).exclude(certificate_no="")
    qs = qs.filter(Q(certificate_expiry__isnull=True) | Q(certificate_expiry__gte=on))
    qs = qs.filter(
        Q(organisation_id=task.organisation_id, department__in=depts)
        | Q(organisation_id__in=others, department__kind__in=kinds)
    )
    return qs.select_related("department", "unit", "user").prefetch_related("expertise").order_by("certificate_no")


def _engine_inspector(p: Inspector) -> sm.Inspector:
    return sm.Inspector(
        p.certificate_no,
        unit=f"U{p.unit_id}" if p.unit_id else "",
        department=p.department.kind,
        area=p.region_id or "",
        expertise=frozenset(e.code for e in p.expertise.all()),
        leader=p.is_team_leader_eligible,
    )


def expert_id(expert: Expert) -> str:
    return f"ZJ{expert.pk:06d}"


@dataclass
class Inputs:
    inspectors: list[sm.Inspector]
    experts: list[sm.Expert]
    targets: list[sm.MatchTarget]
    by_person: dict[str, Inspector | Expert]
    selections: dict[str, Selection]


def live_draw(task: Task) -> Draw:
    draw = task.draws.filter(state=DrawState.DRAWN).order_by("-number").first()
    if draw is None or not draw.seed:
        raise _refuse("not_drawn", "该任务尚未完成抽取，不能匹配检查人员。", "The task has no drawn draw yet.", 409)
    return draw


def _last_time_checkers(task: Task, target_ids: list[int], pool_ids: dict[int, str]) -> dict[int, set[str]]:
    """Per target: the inspectors who checked it the last time (another task), from inspections.Record."""
    from inspections.models import Record

    out: dict[int, set[str]] = {}
    seen: set[int] = set()
    records = (
        Record.objects.filter(target_id__in=target_ids)
        .exclude(task=task)
        .select_related("entered_by")
        .order_by("target_id", "-pk")
    )
    for rec in records:
        if rec.target_id in seen:
            continue
        seen.add(rec.target_id)
        people: set[str] = set()
        visit = (
            Visit.objects.filter(run__task_id=rec.task_id, selection_id=rec.selection_id)
            .order_by("-run__number")
            .first()
            if rec.selection_id
            else None
        )
        if visit is not None:
            people |= {m.inspector_id for m in visit.current_members() if m.inspector_id}
        entered = getattr(rec.entered_by, "inspector", None) if rec.entered_by_id else None
        if entered is not None:
            people.add(entered.pk)
        ids = {pool_ids[pk] for pk in people if pk in pool_ids}
        if ids:
            out[rec.target_id] = ids
    return out


def build_inputs(task: Task, draw: Draw, pooling: str, recuse_last_time: bool) -> Inputs:
    today = timezone.localdate()
    pool = [p for p in pool_queryset(task, pooling, today) if p.eligible_for_draw(today)]
    seen: dict[str, Inspector] = {}
    for p in pool:
        if p.certificate_no in seen:
            raise _refuse(
                "duplicate_certificate",
                f"执法证号“{p.certificate_no}”在检查人员名录中重复（{seen[p.certificate_no].name}、{p.name}），请先更正。",
                f"Certificate number {p.certificate_no} appears twice in the inspector directory; correct it first.",
            )
        seen[p.certificate_no] = p
    org_ids = [o.pk for o in pool_organisations(task, pooling)]
    experts = list(
        Expert.objects.filter(organisation_id__in=org_ids, status=InspectorStatus.ACTIVE).prefetch_related("expertise")
    )
    by_person: dict[str, Inspector | Expert] = dict(seen)
    by_person.update({expert_id(e): e for e in experts})
    pool_ids = {p.pk: p.certificate_no for p in pool}
    expert_ids = {e.pk: expert_id(e) for e in experts}

    items = list(task.items.select_related("item__department").prefetch_related("expertise"))
    departments = frozenset(v.item.department.kind for v in items)
    expertise = frozenset(e.code for v in items for e in v.expertise.all())
    needs_expert = any(v.needs_expert for v in items)
    selections = list(Selection.objects.filter(draw=draw).select_related("target").order_by("position"))
    target_ids = [s.target_id for s in selections if s.target_id]
    conflicts: dict[str, set[str]] = {}
    active = Conflict.objects.filter(withdrawn_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    keys = [s.key for s in selections]
    for c in active.filter(Q(target_id__in=target_ids) | Q(party_uscc__in=keys)).select_related("target"):
        key = c.target.key if c.target_id else c.party_uscc
        pid = pool_ids.get(c.inspector_id) if c.inspector_id else expert_ids.get(c.expert_id)
        if pid:
            conflicts.setdefault(key, set()).add(pid)
    last = _last_time_checkers(task, target_ids, pool_ids) if recuse_last_time else {}
    units = {}
    for unit in task.department.units.exclude(division__isnull=True):
        units.setdefault(unit.division_id, f"U{unit.pk}")
    targets = []
    for s in selections:
        t = s.target
        area = (t.region_id or "") if t else ""
        excluded = set(conflicts.get(s.key, set()))
        if t is not None:
            excluded |= last.get(t.pk, set())
        targets.append(
            sm.MatchTarget(
                s.key,
                area=area,
                unit=units.get(area, ""),
                departments=departments,
                expertise=expertise,
                needs_expert=needs_expert,
                excluded=frozenset(excluded),
            )
        )
    return Inputs(
        [_engine_inspector(p) for p in pool],
        [sm.Expert(expert_id(e), frozenset(x.code for x in e.expertise.all())) for e in experts],
        targets,
        by_person,
        {s.key: s for s in selections},
    )


def run_seed(draw: Draw, number: int) -> bytes:
    """``H("match-run-seed", draw seed (32 bytes), be64(run number))`` (docs/DRAW.md §17.9)."""
    return tagged_hash("match-run-seed", bytes.fromhex(draw.seed), number.to_bytes(8, "big"))


def current_run(task: Task) -> MatchRun | None:
    return task.match_runs.order_by("-number").first()


def check_params(mode: str, team_size: Any, cap: Any, leader: bool) -> sm.MatchParams:
    try:
        return sm.MatchParams(mode=mode, team_size=team_size, cap=cap, leader=leader)
    except DrawInputError as exc:
        if exc.code == "bad_team_size":
            raise _refuse(
                "bad_team_size",
                "每个检查组至少须有两名检查人员（至多64人），不得一人检查。",
                "A team needs at least two inspectors (at most 64); a team of one is not allowed.",
            ) from None
        raise _refuse(exc.code, exc.message_zh, exc.message_en) from None


def do_run_match(
    user: Any,
    task: Task,
    *,
    mode: str = "pool",
    team_size: Any = 2,
    cap: Any = None,
    leader: bool = True,
    pooling: str = Pooling.NONE,
    recuse_last_time: bool = True,
) -> MatchRun:
    """Match inspectors to every drawn target of the task's live draw and store the run."""
    check_can_organise(user, task)
    params = check_params(mode, team_size, cap, leader)
    if pooling not in Pooling.values:
        raise _refuse("bad_pooling", "人员池扩展方式无效。", "Unknown pooling choice.")
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("organisation", "department").get(pk=task.pk)
        draw = live_draw(task)
        previous = current_run(task)
        if previous is not None:
            if previous.draw_id == draw.pk and previous.unmatched_count == 0:
                raise _refuse(
                    "already_matched",
                    "该任务已完成检查人员匹配且全部对象均已匹配；如需调整，只能对单个岗位随机重抽。",
                    "Every target of this task is matched; a change is only possible by redrawing one slot.",
                    409,
                )
            if previous.draw_id == draw.pk and previous.confirmations.filter(confirmed_at__isnull=False).exists():
                raise _refuse(
                    "already_confirmed",
                    "已有部门确认了本次匹配结果，不能重新匹配。",
                    "A department has already confirmed this matching; it cannot be run again.",
                    409,
                )
        number = (previous.number if previous else 0) + 1
        inputs = build_inputs(task, draw, pooling, recuse_last_time)
        seed = run_seed(draw, number)
        context = {
            "task": str(task.pk),
            "draw": str(draw.number),
            "draw_manifest": draw.manifest_digest,
            "run": str(number),
            "pooling": pooling,
            "recuse_last_time": "1" if recuse_last_time else "0",
        }
        try:
            result = sm.run_match(inputs.inspectors, inputs.targets, params, seed, experts=inputs.experts)
            manifest = sm.build_match_manifest(result, context)
            ins_csv = sm.inspectors_csv(inputs.inspectors, inputs.experts)
            tgt_csv = sm.targets_csv(inputs.targets)
        except DrawInputError as exc:
            raise _refuse(exc.code, exc.message_zh, exc.message_en) from None
        try:
            run = MatchRun.objects.create(
                task=task,
                draw=draw,
                number=number,
                mode=params.mode,
                team_size=params.team_size,
                cap=params.cap,
                leader=params.leader,
                pooling=pooling,
                recuse_last_time=recuse_last_time,
                params=params.to_dict(),
                seed=seed.hex(),
                match_seed=result.match_seed.hex(),
                manifest=canonical_json(manifest).decode("utf-8"),
                manifest_digest=manifest["digest"],
                inspectors_csv=ins_csv.decode("utf-8"),
                targets_csv=tgt_csv.decode("utf-8"),
                matched=len(result.assignments),
                unmatched_count=len(result.unmatched),
                created_by=user,
            )
        except IntegrityError:
            raise _refuse(
                "conflict", "另一人同时进行了匹配，请刷新后重试。", "A concurrent run; reload.", 409
            ) from None
        _store_result(run, result, inputs)
        today = timezone.localdate()
        deadline = add_working_days(today, CONFIRM_WORKING_DAYS)
        Confirmation.objects.bulk_create(
            [Confirmation(run=run, department=d, deadline=deadline) for d in task_departments(task)]
        )
        audit.record(
            AuditAction.ACTION,
            run,
            object_repr=str(run),
            after={
                "mode": params.mode,
                "team_size": str(params.team_size),
                "pooling": pooling,
                "seed": run.seed,
                "manifest_digest": run.manifest_digest,
                "matched": str(run.matched),
                "unmatched": str(run.unmatched_count),
            },
            reason="pooling: " + pooling,
        )
    return run


def kind_name_zh(kind: str) -> str:
    """The Chinese short name of a department kind (``taxation`` -> ``税务``) for messages."""
    import re

    from django.utils import translation

    from orgs.models import DepartmentKind

    if kind not in DepartmentKind.values:
        return kind
    with translation.override("en"):
        label = str(DepartmentKind(kind).label)
    found = re.search(r"\((.+)\)", label)
    return found.group(1) if found else kind


def _readable(u: sm.Unmatched) -> tuple[str, str]:
    if u.code == "no_department_member" and u.item:
        name = kind_name_zh(u.item)
        return u.message_zh.replace(f"“{u.item}”", f"“{name}”"), u.message_en.replace(
            f"“{u.item}”", f"“{u.item}” ({name})"
        )
    return u.message_zh, u.message_en


def _store_result(run: MatchRun, result: sm.MatchResult, inputs: Inputs) -> None:
    for a in result.assignments:
        sel = inputs.selections[a.target]
        visit = Visit.objects.create(run=run, selection=sel, key=a.target, position=sel.position, team=a.team or "")
        rows = []
        for slot, (pid, ticket) in enumerate(zip(a.members, a.tickets, strict=True)):
            person = inputs.by_person[pid]
            rows.append(
                Member(
                    visit=visit,
                    slot=slot,
                    person_id=pid,
                    inspector=person,
                    role=Role.LEADER if pid == a.leader else Role.MEMBER,
                    department=person.department,
                    ticket=sm.hex64(ticket),
                )
            )
        if a.expert is not None:
            rows.append(
                Member(
                    visit=visit,
                    slot=len(a.members),
                    person_id=a.expert,
                    expert=inputs.by_person[a.expert],
                    role=Role.EXPERT,
                    ticket=sm.hex64(a.expert_ticket or 0),
                )
            )
        Member.objects.bulk_create(rows)
    Unmatched.objects.bulk_create(
        [
            Unmatched(
                run=run,
                selection=inputs.selections[u.target],
                key=u.target,
                code=u.code,
                item=u.item or "",
                cause=u.cause or "",
                message_zh=_readable(u)[0][:300],
                message_en=_readable(u)[1][:300],
            )
            for u in result.unmatched
        ]
    )


# --- confirmations --------------------------------------------------------------------------------


def confirmation_status(c: Confirmation, today: dt.date | None = None) -> str:
    """``confirmed`` / ``confirmed_late`` / ``overdue`` / ``claimed`` / ``open``."""
    today = today or timezone.localdate()
    if c.confirmed_at is not None:
        return "confirmed_late" if timezone.localtime(c.confirmed_at).date() > c.deadline else "confirmed"
    if today > c.deadline:
        return "overdue"
    return "claimed" if c.claimed_at else "open"


def share_of(c: Confirmation) -> list[dict[str, Any]]:
    """The department's share: each visit of the run with this department's members on it."""
    out = []
    visits = c.run.visits.select_related("selection__target").order_by("position")
    for v in visits:
        members = [m for m in v.current_members() if m.department_id and m.department.kind == c.department.kind]
        if members:
            out.append({"visit": v, "members": members})
    return out


def _locked_confirmation(user: Any, confirmation: Confirmation) -> Confirmation:
    if not may_confirm(user, confirmation):
        raise _refuse(
            "forbidden", "只有本部门人员可以认领和确认本部门的任务份额。", "Only the department may do this.", 403
        )
    c = Confirmation.objects.select_for_update().select_related("run").get(pk=confirmation.pk)
    if current_run(c.run.task) != c.run:
        raise _refuse(
            "superseded", "该匹配结果已被新的匹配取代。", "This matching has been superseded by a new run.", 409
        )
    if c.confirmed_at is not None:
        raise _refuse(
            "already_confirmed",
            f"本部门的任务份额已于 {timezone.localtime(c.confirmed_at):%Y-%m-%d %H:%M} 确认，不能重复确认。",
            f"This department's share was already confirmed on {timezone.localtime(c.confirmed_at):%Y-%m-%d %H:%M}.",
            409,
        )
    return c


def do_claim(user: Any, confirmation: Confirmation) -> Confirmation:
    with transaction.atomic():
        c = _locked_confirmation(user, confirmation)
        if c.claimed_by_id is not None:
            raise _refuse(
                "already_claimed",
                f"该任务份额已由 {c.claimed_by} 认领。",
                f"This share has already been claimed by {c.claimed_by}.",
                409,
            )
        c.claimed_by = user
        c.claimed_at = timezone.now()
        c.save(update_fields=["claimed_by", "claimed_at"])
    return c


def do_confirm(user: Any, confirmation: Confirmation, note: str = "") -> Confirmation:
    if len(note) > 300:
        raise _refuse("bad_note", "备注不得超过300字。", "The note is limited to 300 characters.")
    with transaction.atomic():
        c = _locked_confirmation(user, confirmation)
        if c.claimed_by_id is None:
            raise _refuse(
                "not_claimed", "请先认领本部门的任务份额，核对后再确认。", "Claim the share first, then confirm."
            )
        c.confirmed_by = user
        c.confirmed_at = timezone.now()
        c.note = note.strip()
        c.save(update_fields=["confirmed_by", "confirmed_at", "note"])
    return c


def confirmations_for(user: Any) -> QuerySet[Confirmation]:
    """The shares of the user's department in the latest run of each task of a visible organisation."""
    if not (has_perm(user, "assignments.confirm") or has_perm(user, "tasks.manage")) or not user.department_id:
        return Confirmation.objects.none()
    qs = Confirmation.objects.filter(department_id=user.department_id).select_related(
        "run", "run__task", "department", "claimed_by", "confirmed_by"
    )
    return qs.order_by("-run__created_at")


def latest_only(confirmations: QuerySet[Confirmation]) -> list[Confirmation]:
    out, seen = [], set()
    for c in confirmations:
        if c.run.task_id in seen:
            continue
        seen.add(c.run.task_id)
        if current_run(c.run.task) == c.run:
            out.append(c)
    return out


# --- redraw of one slot ---------------------------------------------------------------------------


def parse_inspectors(text: str) -> list[sm.Inspector]:
    out = []
    for line in text.splitlines()[1:]:
        pid, kind, unit, dept, area, expertise, lead = line.split(",")
        if kind == "inspector":
            out.append(
                sm.Inspector(pid, unit, dept, area, frozenset(x for x in expertise.split("|") if x), lead == "1")
            )
    return out


def parse_targets(text: str) -> dict[str, sm.MatchTarget]:
    out = {}
    for line in text.splitlines()[1:]:
        key, area, unit, depts, expertise, expert, excluded = line.split(",")

        def items(cell: str) -> frozenset[str]:
            return frozenset(x for x in cell.split("|") if x)

        out[key] = sm.MatchTarget(key, area, unit, items(depts), items(expertise), expert == "1", items(excluded))
    return out


def do_redraw(user: Any, visit: Visit, slot: int, reason_kind: str, reason: str) -> Redraw:
    """Replace the inspector of one slot by a random eligible one (illness, newly found conflict)."""
    from assignments.models import RedrawReason

    check_can_organise(user, visit.run.task)
    reason = (reason or "").strip()
    if reason_kind not in RedrawReason.values:
        raise _refuse("bad_reason", "请选择重新抽取的原因。", "Choose the reason for the redraw.")
    if not reason or len(reason) > 300:
        raise _refuse("no_reason", "请说明重新抽取的理由（300字以内）。", "Explain the redraw (up to 300 characters).")
    with transaction.atomic():
        visit = Visit.objects.select_for_update().select_related("run", "run__task").get(pk=visit.pk)
        run = visit.run
        if current_run(run.task) != run:
            raise _refuse("superseded", "该匹配结果已被新的匹配取代。", "This matching has been superseded.", 409)
        members = [m for m in visit.current_members() if m.role != Role.EXPERT]
        slot_member = next((m for m in members if m.slot == slot), None)
        if slot_member is None:
            raise _refuse("bad_slot", "检查组中没有该岗位。", "There is no such slot in the team.")
        team = [m.person_id for m in sorted(members, key=lambda m: m.slot)]
        position = team.index(slot_member.person_id)
        leader = next(m.person_id for m in members if m.role == Role.LEADER)
        params = sm.MatchParams.from_dict(run.params)
        people = parse_inspectors(run.inspectors_csv)
        target = parse_targets(run.targets_csv)[visit.key]
        # Who may no longer come: people who left this team before, newly declared conflicts,
        # and anyone whose certificate expired or who is no longer active since the run.
        excluded = set(visit.members.filter(removed_by__isnull=False).values_list("person_id", flat=True))
        today = timezone.localdate()
        ids = [p.id for p in people]
        now_ok = {
            p.certificate_no
            for p in Inspector.objects.filter(certificate_no__in=ids, status=InspectorStatus.ACTIVE)
            if p.eligible_for_draw(today)
        }
        excluded |= {i for i in ids if i not in now_ok}
        conflicts = Conflict.objects.filter(withdrawn_at__isnull=True, inspector__certificate_no__in=ids).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today)
        )
        sel = visit.selection
        conflicts = (
            conflicts.filter(Q(target_id=sel.target_id) | Q(party_uscc=visit.key))
            if sel.target_id
            else (conflicts.filter(party_uscc=visit.key))
        )
        excluded |= set(conflicts.values_list("inspector__certificate_no", flat=True))
        excluded.discard(slot_member.person_id)
        excluded -= set(team)
        number = visit.redraws.count() + 1
        try:
            result = sm.redraw_slot(
                people, target, team, leader, position, params, bytes.fromhex(run.match_seed), number, excluded=excluded
            )
        except DrawInputError as exc:
            raise _refuse(exc.code, exc.message_zh, exc.message_en) from None
        record = sm.redraw_record(
            result,
            match_seed_hex=run.match_seed,
            params=params,
            inspectors_digest=json.loads(run.manifest)["inspectors"]["digest"],
            targets_digest=json.loads(run.manifest)["targets"]["digest"],
            before=team,
            leader_before=leader,
            excluded=excluded,
            context={"task": str(run.task_id), "run": str(run.number), "reason": reason_kind},
        )
        new_person = _inspector_by_certificate(run, result.new)
        redraw = Redraw.objects.create(
            visit=visit,
            number=number,
            slot=slot,
            old=slot_member.inspector,
            new=new_person,
            reason_kind=reason_kind,
            reason=reason,
            ticket=sm.hex64(result.ticket),
            eligible=result.eligible,
            record=canonical_json(record).decode("utf-8"),
            record_digest=record["digest"],
            by=user,
        )
        Member.objects.filter(pk=slot_member.pk).update(removed_by=redraw)
        Member.objects.create(
            visit=visit,
            slot=slot,
            person_id=result.new,
            inspector=new_person,
            role=Role.LEADER if result.leader == result.new else Role.MEMBER,
            department=new_person.department,
            ticket=sm.hex64(result.ticket),
        )
        if result.leader != leader and result.leader != result.new:
            visit.members.filter(removed_by__isnull=True, person_id=result.leader).update(role=Role.LEADER)
        audit.record(
            AuditAction.ACTION,
            redraw,
            object_repr=str(redraw),
            before={"member": slot_member.person_id, "leader": leader},
            after={
                "member": result.new,
                "leader": result.leader,
                "ticket": redraw.ticket,
                "eligible": str(result.eligible),
                "record_digest": redraw.record_digest,
            },
            reason=f"{reason_kind}: {reason}",
        )
    return redraw


def _inspector_by_certificate(run: MatchRun, certificate_no: str) -> Inspector:
    orgs = [o.pk for o in pool_organisations(run.task, run.pooling)]
    return Inspector.objects.select_related("department").filter(
        certificate_no=certificate_no, organisation_id__in=orgs
    ).order_by("pk").first() or Inspector.objects.select_related("department").get(certificate_no=certificate_no)


# --- the visit notice (检查告知书) ----------------------------------------------------------------


def do_issue_notice(user: Any, visit: Visit) -> Visit:
    check_can_organise(user, visit.run.task)
    with transaction.atomic():
        v = Visit.objects.select_for_update().get(pk=visit.pk)
        if v.notice_issued_at is not None:
            raise _refuse(
                "notice_issued",
                f"该检查告知书已于 {timezone.localtime(v.notice_issued_at):%Y-%m-%d} 送达，每次检查只告知一次。",
                "The visit notice has already been issued; a firm is notified once per visit.",
                409,
            )
        v.notice_issued_at = timezone.now()
        v.notice_issued_by = user
        v.save(update_fields=["notice_issued_at", "notice_issued_by"])
    return v


def visit_items(task: Task) -> list[Any]:
    """Every item of the visit (all departments), with its check points."""
    return list(
        task.items.select_related("item", "item__department")
        .prefetch_related("checkpoints", "expertise")
        .order_by("item__department__name", "item__code")
    )


# --- for other apps -------------------------------------------------------------------------------


def match_manifests(task: Task) -> list[dict[str, Any]]:
    """The stored matching manifests of a task, oldest first."""
    return [json.loads(text) for text in task.match_runs.order_by("number").values_list("manifest", flat=True)]


def has_matching(task: Task) -> bool:
    return MatchRun.objects.filter(task=task).exists()


def is_assigned(user: Any, task: Task, selection: Selection) -> bool:
    """The user is a current member of the visit of this selection in the task's latest run."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    run = current_run(task)
    if run is None:
        return False
    return Member.objects.filter(
        visit__run=run, visit__selection=selection, removed_by__isnull=True, inspector__user=user
    ).exists()


def my_visits(user: Any) -> list[Visit]:
    """The visits of the latest run of each task on which the user is a current team member."""
    if not getattr(user, "is_authenticated", False):
        return []
    visits = (
        Visit.objects.filter(members__inspector__user=user, members__removed_by__isnull=True)
        .select_related("run", "run__task", "selection__target")
        .distinct()
        .order_by("-run__created_at", "position")
    )
    latest: dict[int, MatchRun | None] = {}
    out = []
    for v in visits:
        if v.run.task_id not in latest:
            latest[v.run.task_id] = current_run(v.run.task)
        if latest[v.run.task_id] == v.run:
            out.append(v)
    return out
