"""The task summary (004 三(三)): generated from the data, edited by the coordinator, then filed (immutable).

``check_*`` validate and raise :class:`OversightError`; ``do_*`` write in one
transaction, audited (``TaskSummary`` is tracked; filing is a transition entry).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.permissions import can_see_org, has_perm
from core import audit
from core.errors import Refused
from core.models import AuditAction
from draws.models import DrawState, ParticipantState, Selection, Task
from inspections.models import FollowUp, Record, RecordState, Result, ResultCategory
from oversight.alerts import SUMMARY_WORKING_DAYS
from oversight.models import SummaryState, TaskSummary
from workcal.calendar import add_working_days

MAX_TEXT = 50000


class OversightError(Refused):
    """A refused action of summaries and evidence packs."""


def may_view(user: Any) -> bool:
    return has_perm(user, "oversight.view")


def may_write_summary(user: Any, task: Task) -> bool:
    return (
        may_view(user)
        and (has_perm(user, "draws.organise") or has_perm(user, "tasks.manage"))
        and can_see_org(user, task.organisation)
    )


def summary_due(task: Task) -> dt.date | None:
    return add_working_days(task.window_end, SUMMARY_WORKING_DAYS) if task.window_end else None


def draft_text(task: Task) -> str:
    """The generated first draft: the figures of the task, then the headings the coordinator completes."""
    selected = Selection.objects.filter(draw__task=task, draw__state=DrawState.DRAWN).count()
    states = Counter(Record.objects.filter(task=task).values_list("state", flat=True))
    checked = states[RecordState.SUBMITTED] + states[RecordState.APPROVED] + states[RecordState.PUBLISHED]
    published = states[RecordState.PUBLISHED]
    late = Record.objects.filter(task=task, published_late=True).count()
    categories = Counter(
        Result.objects.filter(record__task=task, superseded_by__isnull=True).values_list("category", flat=True)
    )
    labels = dict(ResultCategory.choices)
    follow_ups = FollowUp.objects.filter(result__record__task=task)
    partners = [
        p.department.name
        for p in task.participants.filter(state=ParticipantState.ACCEPTED).select_related("department")
    ]
    window = (
        f"{task.window_start:%Y年%m月%d日}至{task.window_end:%Y年%m月%d日}"
        if task.window_start and task.window_end
        else "（未设定）"
    )
    lines = [
        f"{task.name}工作总结",
        "",
        "一、工作开展情况",
        f"本次抽查由{task.department.name}牵头"
        + (f"，{'、'.join(partners)}参与联合抽查" if partners else "")
        + f"，检查时间为{window}。",
        f"共抽取检查对象{selected}户，已完成检查{checked}户，已公示结果{published}户"
        f"（其中逾期公示{late}户），未完成{selected - published}户（已检查未公示的不计为完成）。",
        "",
        "二、抽查结果",
    ]
    for category, n in sorted(categories.items(), key=lambda kv: -kv[1]):
        lines.append(f"{labels.get(category, category)}：{n}项")
    if not categories:
        lines.append("暂无抽查结果。")
    lines += [
        f"后续处置{follow_ups.count()}件，其中已办结{follow_ups.filter(state='closed').count()}件。",
        "",
        "三、主要经验做法",
        "（请填写）",
        "",
        "四、存在的问题",
        "（请填写）",
        "",
        "五、下一步工作打算",
        "（请填写）",
    ]
    return "\n".join(lines)


def check_save(user: Any, task: Task, text: str) -> str:
    if not may_write_summary(user, task):
        raise OversightError("forbidden", "您没有执行此操作的权限。", "You are not allowed to do this.", 403)
    summary = TaskSummary.objects.filter(task=task).first()
    if summary is not None and summary.state == SummaryState.FILED:
        raise OversightError(
            "filed", "工作总结已报送，不能修改。", "The summary has been filed and cannot change.", 409
        )
    text = (text or "").strip()
    if not text:
        raise OversightError("text", "工作总结不能为空。", "The summary cannot be empty.")
    if len(text) > MAX_TEXT:
        raise OversightError("text", "工作总结过长。", "The summary is too long.")
    return text


def do_save(user: Any, task: Task, text: str) -> TaskSummary:
    with transaction.atomic(), audit.acting(user):
        text = check_save(user, task, text)
        summary = TaskSummary.objects.select_for_update().filter(task=task).first()
        if summary is None:
            summary = TaskSummary.objects.create(
                task=task, organisation=task.organisation, text=text, edited_by=user, due=summary_due(task)
            )
        else:
            summary.text = text
            summary.edited_by = user
            summary.save()
    return summary


def do_file(user: Any, task: Task, text: str) -> TaskSummary:
    with transaction.atomic(), audit.acting(user):
        summary = do_save(user, task, text)
        summary.state = SummaryState.FILED
        summary.filed_by = user
        summary.filed_at = timezone.now()
        summary.save()
        audit.record(
            AuditAction.TRANSITION,
            summary,
            before={"state": SummaryState.DRAFT},
            after={"state": SummaryState.FILED, "due": summary.due.isoformat() if summary.due else ""},
            actor=user,
        )
    return summary
