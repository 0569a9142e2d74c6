"""The inspection workflow: submit a record, approve, publish, correct, follow up.

Every ``do_…`` function is atomic, takes the acting user and records the
state transition in the audit trail. Refusals raise :class:`WorkflowError`
with messages in both languages.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.permissions import can_see_org, has_perm
from catalog.models import CheckPoint, ItemVersion, Method
from core import audit
from core.errors import Refused
from directory.models import CreditClass, Target, TargetKind
from draws.models import DrawState, Selection, Task
from inspections import files
from inspections.models import (
    ABNORMAL_LISTING_CATEGORIES,
    PROBLEM_CATEGORIES,
    Attachment,
    AttachmentKind,
    Finding,
    FollowUp,
    FollowUpKind,
    FollowUpState,
    NonCooperation,
    Outcome,
    Record,
    RecordState,
    Result,
    ResultCategory,
    ResultState,
    RiskRule,
    SignatureKind,
)
from workcal.calendar import add_working_days

APPROACHING_DAYS = 3
FOLLOW_UP_DAYS = 20
MARKET_KINDS = frozenset(
    {TargetKind.ENTERPRISE, TargetKind.INDIVIDUAL, TargetKind.COOPERATIVE, TargetKind.BRANCH, TargetKind.FOREIGN}
)
REGISTRY_STATES = frozenset(
    {ResultCategory.DEREGISTERED, ResultCategory.REVOKED, ResultCategory.MOVED_OUT, ResultCategory.LIQUIDATION}
)
NON_ENTERPRISE_CATEGORIES = frozenset(
    {ResultCategory.COMPLIANT, ResultCategory.NON_COMPLIANT, ResultCategory.NO_ACTIVITY}
)


class WorkflowError(Refused):
    """A refused action of records, results and follow-ups."""


def _forbidden() -> WorkflowError:
    return WorkflowError("forbidden", "您没有执行此操作的权限。", "You are not allowed to do this.", 403)


def _not_found() -> WorkflowError:
    return WorkflowError("not_found", "未找到该对象，或您无权查看。", "Not found, or not visible to you.", 404)


# --- who may do what ---------------------------------------------------------------------------

STAFF_READ_PERMS = ("tasks.manage", "draws.organise", "draws.witness", "approve", "audit.view")


def can_read(user: Any) -> bool:
    return any(has_perm(user, p) for p in STAFF_READ_PERMS) or has_perm(user, "checks.enter")


def can_publish(user: Any) -> bool:
    return has_perm(user, "approve") or has_perm(user, "draws.organise")


def can_manage_follow_ups(user: Any) -> bool:
    return has_perm(user, "tasks.manage") or has_perm(user, "draws.organise") or has_perm(user, "approve")


def visible_records(user: Any) -> QuerySet[Record]:
    """Staff readers see their organisations' records; an inspector sees the records they entered."""
    qs = Record.objects.select_related("task", "target", "organisation", "entered_by")
    if user.is_superuser:
        return qs
    path = user.organisation.path if user.organisation_id else None
    if path is None:
        return qs.none()
    qs = qs.filter(organisation__path__startswith=path)
    if any(has_perm(user, p) for p in STAFF_READ_PERMS):
        return qs
    if has_perm(user, "checks.enter"):
        return qs.filter(entered_by=user)
    return qs.none()


def visit_items(task: Task) -> list[ItemVersion] | None:
    """The task's items; None for an ad-hoc task without items, whose record chooses its items."""
    items = list(task.items.select_related("item", "item__department").order_by("item__department_id", "item_id"))
    return items or None


def live_selection(task: Task, key: str) -> Selection | None:
    return (
        Selection.objects.select_related("target").filter(draw__task=task, draw__state=DrawState.DRAWN, key=key).first()
    )


def may_enter(user: Any, task: Task, selection: Selection) -> bool:
    """谁检查谁录入: an inspector assigned to the visit (or, without assignments, of the organisation)."""
    if not has_perm(user, "checks.enter"):
        return False
    inspector = getattr(user, "inspector", None) if user.pk else None
    if user.is_superuser:
        return True
    if inspector is None:
        return False
    from assignments.services import has_matching, is_assigned

    if has_matching(task):
        return is_assigned(user, task, selection)
    return inspector.organisation_id == task.organisation_id or can_see_org(user, task.organisation)


# --- deadlines -----------------------------------------------------------------------------------


def deadline_for(completed: dt.date, organisation: Any) -> dt.date:
    return add_working_days(completed, organisation.publication_days)


def deadline_status(record: Record, today: dt.date | None = None) -> str:
    """``published`` / ``published_late`` / ``overdue`` / ``approaching`` / ``on_time`` / ``none``."""
    if record.state == RecordState.PUBLISHED:
        return "published_late" if record.published_late else "published"
    if record.publish_deadline is None:
        return "none"
    today = today or timezone.localdate()
    if today > record.publish_deadline:
        return "overdue"
    if add_working_days(today, APPROACHING_DAYS) >= record.publish_deadline:
        return "approaching"
    return "on_time"


def task_progress(task: Task) -> dict[str, int]:
    """Per task: a check done but not published counts as not complete (003 第二十条)."""
    selected = Selection.objects.filter(draw__task=task, draw__state=DrawState.DRAWN).count()
    states = dict.fromkeys(RecordState.values, 0)
    for state in Record.objects.filter(task=task).values_list("state", flat=True):
        states[state] += 1
    complete = states[RecordState.PUBLISHED]
    return {"selected": selected, "complete": complete, "not_complete": selected - complete, **states}


# --- submission ----------------------------------------------------------------------------------


@dataclass
class Upload:
    name: str
    data: bytes
    kind: str = AttachmentKind.PHOTO
    declared_type: str = ""


@dataclass
class Submission:
    task: Task
    target_key: str
    idempotency_key: str
    checked_on: dt.date
    categories: dict[int, str]
    findings: dict[int, tuple[str, str]]
    methods: list[str] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    place: str = ""
    summary: str = ""
    signature_kind: str = ""
    signature_scan: Upload | None = None
    signature_drawn: str = ""
    signature_missing_reason: str = ""
    non_cooperation: str = ""
    non_cooperation_evidence: str = ""
    uploads: list[Upload] = field(default_factory=list)
    source: str = "web"
    source_system: str = ""


def _invalid(zh: str, en: str, code: str = "invalid") -> WorkflowError:
    return WorkflowError(code, zh, en, 422)


def check_upload(upload: Upload) -> str:
    """The sniffed content type of an allowed upload; refuses wrong types, oversize files and bad kinds."""
    if len(upload.data) > files.max_bytes():
        raise _invalid("文件过大。", "The file is too large.", "file_too_large")
    if not upload.data:
        raise _invalid("文件为空。", "The file is empty.", "file_empty")
    name = files.safe_name(upload.name)
    ext = files.extension(name)
    sniffed = files.sniff(upload.data[:64], upload.data)
    if ext not in files.ALLOWED or sniffed is None or files.ALLOWED[ext] != sniffed:
        raise _invalid(
            "文件类型不允许（仅限 JPG、PNG、PDF、MP4、DOCX、XLSX，且内容须与扩展名一致）。",
            "File type not allowed (JPG, PNG, PDF, MP4, DOCX, XLSX only, and the content must match the name).",
            "file_type",
        )
    if upload.kind not in AttachmentKind.values:
        raise _invalid("附件类别无效。", "Unknown attachment kind.")
    return sniffed


def _store(record: Record, user: Any, upload: Upload, content_type: str) -> Attachment:
    name = files.safe_name(upload.name)
    digest = hashlib.sha256(upload.data).hexdigest()
    path = default_storage.save(
        f"inspections/record-{record.pk}/{digest[:16]}.{files.extension(name)}", ContentFile(upload.data)
    )
    return Attachment.objects.create(
        record=record,
        kind=upload.kind,
        file=path,
        name=name,
        content_type=content_type,
        size=len(upload.data),
        sha256=digest,
        uploaded_by=user,
    )


def _drawn_signature(data_url: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise _invalid("手写签名须为 PNG 图像。", "A drawn signature must be a PNG image.")
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("手写签名数据无效。", "The drawn signature is not valid.") from exc
    if not raw.startswith(b"\x89PNG\r\n\x1a\n") or len(raw) > 2 * 1024 * 1024:
        raise _invalid("手写签名须为 PNG 图像。", "A drawn signature must be a PNG image.")
    return raw


def _validate_category(category: str, target: Target, sub: Submission) -> None:
    if category not in ResultCategory.values:
        raise _invalid("抽查结果类别无效。", "Unknown result category.")
    market = target.kind in MARKET_KINDS
    if market and category in {ResultCategory.COMPLIANT, ResultCategory.NON_COMPLIANT}:
        raise _invalid("该类别仅适用于非市场主体。", "This category is for non-enterprise objects only.")
    if not market and category not in NON_ENTERPRISE_CATEGORIES | {ResultCategory.NON_COOPERATION}:
        raise _invalid("非市场主体请使用适用的结果类别。", "Use a category suited to a non-enterprise object.")
    if category == ResultCategory.NON_COOPERATION and not sub.non_cooperation:
        raise _invalid("不配合检查须注明具体情形并附证据。", "Non-cooperation needs its case and evidence.")


def do_submit_record(user: Any, sub: Submission) -> tuple[Record, bool]:
    """Submit a visit's record with its findings and results; a repeated key returns the first submission."""
    key = (sub.idempotency_key or "").strip()
    if not (8 <= len(key) <= 64) or not key.replace("-", "").replace("_", "").isalnum():
        raise _invalid("提交标识无效。", "The submission key is not valid.", "idempotency_key")
    existing = Record.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.entered_by_id != user.pk:
            raise WorkflowError("conflict", "该提交标识已被使用。", "This submission key was already used.", 409)
        return existing, False
    task = sub.task
    if not can_see_org(user, task.organisation):
        raise _not_found()
    selection = live_selection(task, sub.target_key)
    if selection is None or selection.target_id is None:
        raise _invalid(
            "该检查对象不在本任务的抽取名单中。", "This target is not among the task's drawn targets.", "not_in_task"
        )
    if not may_enter(user, task, selection):
        raise _forbidden()
    target = selection.target
    items = visit_items(task)
    if items is None:
        items = list(ItemVersion.objects.filter(pk__in=sub.item_ids, item__organisation=task.organisation))
        if not items or len(items) != len(set(sub.item_ids)):
            raise _invalid("请选择本次检查的事项。", "Choose the items of this check.", "items")
    # Results: one per item, chosen by the inspector (never pre-filled).
    item_ids = {v.pk for v in items}
    if set(sub.categories) != item_ids:
        raise _invalid("每个检查事项都须录入抽查结果。", "Every item needs a result.", "categories")
    for category in sub.categories.values():
        _validate_category(category, target, sub)
    # Findings: one per check point of every item.
    points = list(CheckPoint.objects.filter(version__in=items))
    if set(sub.findings) != {p.pk for p in points}:
        raise _invalid("每个检查要点都须填写检查情况。", "Every check point needs a finding.", "findings")
    for outcome, _note in sub.findings.values():
        if outcome not in Outcome.values:
            raise _invalid("检查情况无效。", "Unknown finding.", "findings")
    if not sub.methods or any(m not in Method.values for m in sub.methods):
        raise _invalid("请选择检查方式。", "Choose the check methods.", "methods")
    if sub.non_cooperation and sub.non_cooperation not in NonCooperation.values:
        raise _invalid("不配合情形无效。", "Unknown non-cooperation case.")
    if sub.non_cooperation and not sub.non_cooperation_evidence.strip():
        raise _invalid("不配合检查须记录证据。", "Non-cooperation must be recorded with evidence.", "evidence")
    signature_bytes: bytes | None = None
    if sub.signature_kind == SignatureKind.SCAN:
        if sub.signature_scan is None:
            raise _invalid("请上传签字或盖章的扫描件。", "Upload the scan of the signature or seal.", "signature")
        if check_upload(sub.signature_scan) not in ("image/jpeg", "image/png", "application/pdf"):
            raise _invalid("签字扫描件须为图片或 PDF。", "The signature scan must be an image or a PDF.", "signature")
        signature_bytes = sub.signature_scan.data
    elif sub.signature_kind == SignatureKind.DRAWN:
        signature_bytes = _drawn_signature(sub.signature_drawn)
    elif sub.signature_kind == SignatureKind.MISSING:
        if not sub.signature_missing_reason.strip():
            raise _invalid(
                "未取得签字或盖章的，须注明原因。", "Give the reason there is no signature or seal.", "signature"
            )
    else:
        raise _invalid("请记录法定代表人签字、盖章或未签原因。", "Record the signature, seal or reason.", "signature")
    sniffed = [(u, check_upload(u)) for u in sub.uploads]
    if sub.checked_on > timezone.localdate():
        raise _invalid("检查日期不能晚于今天。", "The date of the check cannot be in the future.")

    now = timezone.now()
    try:
        with transaction.atomic():
            record = Record.objects.select_for_update().filter(task=task, target=target).first()
            if record is not None and record.state not in (RecordState.DRAFT, RecordState.RETURNED):
                raise WorkflowError(
                    "already_submitted", "该检查对象的记录已提交。", "This visit's record was already submitted.", 409
                )
            fields = {
                "organisation": task.organisation,
                "selection": selection,
                "state": RecordState.SUBMITTED,
                "methods": sorted(set(sub.methods)),
                "checked_on": sub.checked_on,
                "place": sub.place[:300],
                "summary": sub.summary[:20000],
                "signature_kind": sub.signature_kind,
                "signature_missing_reason": sub.signature_missing_reason[:500]
                if sub.signature_kind == SignatureKind.MISSING
                else "",
                "non_cooperation": sub.non_cooperation,
                "non_cooperation_evidence": sub.non_cooperation_evidence[:20000],
                "idempotency_key": key,
                "source": sub.source,
                "source_system": sub.source_system[:100],
                "entered_by": user,
                "completed_at": now,
                "publish_deadline": deadline_for(timezone.localdate(now), task.organisation),
                "return_reason": "",
            }
            if record is None:
                record = Record.objects.create(task=task, target=target, **fields)
            else:
                for name, value in fields.items():
                    setattr(record, name, value)
                record.save()
                record.findings.all().delete()
            record.items.set(items)
            if signature_bytes is not None:
                ext = "png" if signature_bytes.startswith(b"\x89PNG") else files.extension(sub.signature_scan.name)
                record.signature_file = default_storage.save(
                    f"inspections/record-{record.pk}/signature.{ext}", ContentFile(signature_bytes)
                )
                record.save(update_fields=["signature_file"])
            Finding.objects.bulk_create(
                Finding(record=record, checkpoint_id=cp, outcome=outcome, note=note[:5000])
                for cp, (outcome, note) in sub.findings.items()
            )
            for upload, content_type in sniffed:
                _store(record, user, upload, content_type)
            for version in items:
                result = record.results.filter(item_version=version, version=1).first()
                if result is None:
                    Result.objects.create(
                        record=record,
                        organisation=task.organisation,
                        target=target,
                        item_version=version,
                        category=sub.categories[version.pk],
                        entered_by=user,
                    )
                else:
                    result.category = sub.categories[version.pk]
                    result.entered_by = user
                    result.state = ResultState.SUBMITTED
                    result.save()
            record.results.exclude(item_version__in=items).delete()
            audit.record(
                "insp.submit",
                record,
                after={"state": record.state, "key": key, "categories": {str(k): v for k, v in sub.categories.items()}},
                actor=user,
            )
    except IntegrityError:
        # A concurrent submission with the same key won: answer with it.
        existing = Record.objects.filter(idempotency_key=key, entered_by=user).first()
        if existing is None:
            raise WorkflowError(
                "conflict", "提交冲突，请重试。", "The submission conflicted; try again.", 409
            ) from None
        return existing, False
    return record, True


def do_add_attachment(user: Any, record: Record, upload: Upload) -> Attachment:
    if record.entered_by_id != user.pk:
        raise _forbidden()
    if record.state == RecordState.PUBLISHED:
        raise WorkflowError("published", "已公示的记录不能修改。", "A published record cannot be changed.", 409)
    content_type = check_upload(upload)
    with transaction.atomic():
        attachment = _store(record, user, upload, content_type)
        audit.record("insp.attach", record, after={"attachment": attachment.name}, actor=user)
    return attachment


# --- approval and publication -----------------------------------------------------------------


def _approve_results(user: Any, results: list[Result], now: dt.datetime) -> None:
    for result in results:
        if result.entered_by_id == user.pk:
            raise WorkflowError(
                "same_person",
                "录入人不能审核自己录入的结果。",
                "The person who entered a result cannot approve it.",
                422,
            )
        result.state = ResultState.APPROVED
        result.approved_by = user
        result.approved_at = now
        result.save()
        _required_follow_ups(result, user)


def _required_follow_ups(result: Result, user: Any) -> None:
    """Findings that need abnormal listing get it; pending follow-up gets a referral to the owning unit."""
    wanted = None
    if result.category in ABNORMAL_LISTING_CATEGORIES:
        wanted = FollowUpKind.ABNORMAL_LISTING
    elif result.category in (ResultCategory.PENDING, ResultCategory.NON_COMPLIANT):
        wanted = FollowUpKind.REFERRAL
    if wanted is None or FollowUp.objects.filter(result=result, kind=wanted).exists():
        return
    FollowUp.objects.create(
        result=result,
        organisation=result.organisation,
        kind=wanted,
        owner=result.target.organisation,
        deadline=add_working_days(timezone.localdate(), FOLLOW_UP_DAYS),
        created_by=user,
    )


def do_approve_record(user: Any, record: Record) -> Record:
    if not has_perm(user, "approve"):
        raise _forbidden()
    if not can_see_org(user, record.organisation):
        raise _not_found()
    if record.entered_by_id == user.pk:
        raise WorkflowError(
            "same_person", "录入人不能审核自己录入的记录。", "The person who entered a record cannot approve it.", 422
        )
    with transaction.atomic():
        record = Record.objects.select_for_update().get(pk=record.pk)
        if record.state != RecordState.SUBMITTED:
            raise WorkflowError("state", "该记录不在待审核状态。", "The record is not waiting for approval.", 409)
        now = timezone.now()
        _approve_results(user, list(record.results.filter(state=ResultState.SUBMITTED)), now)
        record.state = RecordState.APPROVED
        record.approved_by = user
        record.approved_at = now
        record.save()
        audit.record("insp.approve", record, after={"state": record.state}, actor=user)
    return record


def do_return_record(user: Any, record: Record, reason: str) -> Record:
    if not has_perm(user, "approve"):
        raise _forbidden()
    if not can_see_org(user, record.organisation):
        raise _not_found()
    if not reason.strip():
        raise _invalid("请注明退回原因。", "Give the reason for returning.")
    with transaction.atomic():
        record = Record.objects.select_for_update().get(pk=record.pk)
        if record.state != RecordState.SUBMITTED:
            raise WorkflowError("state", "该记录不在待审核状态。", "The record is not waiting for approval.", 409)
        record.state = RecordState.RETURNED
        record.return_reason = reason[:500]
        record.save()
        audit.record("insp.return", record, after={"state": record.state}, reason=reason[:500], actor=user)
    return record


def _publish_result(user: Any, result: Result, now: dt.datetime) -> None:
    result.state = ResultState.PUBLISHED
    result.published_at = now
    result.save()
    apply_risk_rule(user, result)


def do_publish_record(user: Any, record: Record) -> Record:
    if not can_publish(user):
        raise _forbidden()
    if not can_see_org(user, record.organisation):
        raise _not_found()
    with transaction.atomic():
        record = Record.objects.select_for_update().get(pk=record.pk)
        if record.state != RecordState.APPROVED:
            raise WorkflowError(
                "not_approved", "未经审核的结果不能公示。", "Results cannot be published before approval.", 409
            )
        now = timezone.now()
        for result in record.results.filter(state=ResultState.APPROVED).select_related("target"):
            _publish_result(user, result, now)
        record.state = RecordState.PUBLISHED
        record.published_at = now
        record.published_late = (
            record.publish_deadline is not None and timezone.localdate(now) > record.publish_deadline
        )
        record.save()
        audit.record("insp.publish", record, after={"state": record.state, "late": record.published_late}, actor=user)
    return record


def do_correct_result(user: Any, result: Result, category: str, reason: str) -> Result:
    """A correction of a published result: a new version; the old one stays published and visible."""
    if not has_perm(user, "checks.enter"):
        raise _forbidden()
    if not can_see_org(user, result.organisation):
        raise _not_found()
    if not reason.strip():
        raise _invalid("请注明更正原因。", "Give the reason for the correction.")
    with transaction.atomic():
        result = Result.objects.select_for_update().select_related("target", "record").get(pk=result.pk)
        if result.state != ResultState.PUBLISHED or result.superseded_by_id is not None:
            raise WorkflowError(
                "not_current", "只能更正当前已公示的结果。", "Only the current published result can be corrected.", 409
            )
        if Result.objects.filter(
            record=result.record, item_version=result.item_version, version__gt=result.version
        ).exists():
            raise WorkflowError("pending", "已有待处理的更正。", "A correction is already pending.", 409)
        sub = Submission(
            task=result.record.task,
            target_key="",
            idempotency_key="",
            checked_on=timezone.localdate(),
            categories={},
            findings={},
            non_cooperation=result.record.non_cooperation,
        )
        _validate_category(category, result.target, sub)
        correction = Result.objects.create(
            record=result.record,
            organisation=result.organisation,
            target=result.target,
            item_version=result.item_version,
            category=category,
            version=result.version + 1,
            correction_reason=reason[:500],
            entered_by=user,
        )
        audit.record(
            "insp.correct",
            correction,
            before={"category": result.category, "version": result.version},
            after={"category": category, "version": correction.version},
            reason=reason[:500],
            actor=user,
        )
    return correction


def do_approve_result(user: Any, result: Result) -> Result:
    """Approve a correction (a result version after the first)."""
    if not has_perm(user, "approve"):
        raise _forbidden()
    if not can_see_org(user, result.organisation):
        raise _not_found()
    with transaction.atomic():
        result = Result.objects.select_for_update().select_related("target").get(pk=result.pk)
        if result.state != ResultState.SUBMITTED or result.version == 1:
            raise WorkflowError("state", "该更正不在待审核状态。", "The correction is not waiting for approval.", 409)
        _approve_results(user, [result], timezone.now())
        audit.record("insp.approve_fix", result, after={"state": result.state}, actor=user)
    return result


def do_publish_result(user: Any, result: Result) -> Result:
    """Publish an approved correction; the previous version is marked as corrected, never changed otherwise."""
    if not can_publish(user):
        raise _forbidden()
    if not can_see_org(user, result.organisation):
        raise _not_found()
    with transaction.atomic():
        result = Result.objects.select_for_update().select_related("target").get(pk=result.pk)
        if result.state != ResultState.APPROVED:
            raise WorkflowError(
                "not_approved", "未经审核的结果不能公示。", "Results cannot be published before approval.", 409
            )
        _publish_result(user, result, timezone.now())
        previous = Result.objects.filter(
            record=result.record_id, item_version=result.item_version_id, version=result.version - 1
        ).first()
        if previous is not None:
            previous.superseded_by = result
            previous.save()
        audit.record("insp.publish_fix", result, after={"version": result.version}, actor=user)
    return result


# --- the firm's credit and risk data ------------------------------------------------------------

CLASS_ORDER = [c.value for c in CreditClass]


def apply_risk_rule(user: Any, result: Result) -> bool:
    """Apply the organisation's rule for a published problem result to the target; audited."""
    if result.category not in PROBLEM_CATEGORIES:
        return False
    rule = RiskRule.objects.filter(organisation=result.organisation, category=result.category, active=True).first()
    if rule is None or (rule.raise_credit_class == 0 and rule.complaint_weight == 0):
        return False
    target = Target.objects.select_for_update().get(pk=result.target_id)
    before = {"credit_class": target.credit_class, "complaint_count": target.complaint_count}
    index = CLASS_ORDER.index(target.credit_class) if target.credit_class in CLASS_ORDER else 1
    target.credit_class = CLASS_ORDER[min(index + rule.raise_credit_class, len(CLASS_ORDER) - 1)]
    target.complaint_count += rule.complaint_weight
    target.save(update_fields=["credit_class", "complaint_count", "draw_digest", "updated"])
    after = {"credit_class": target.credit_class, "complaint_count": target.complaint_count}
    reason = f"inspection result {result.pk}: {result.category} (risk rule {rule.pk})"
    if apps.is_installed("directory"):
        try:
            change_model = apps.get_model("directory", "TargetChange")
            change_model.objects.create(
                target=target,
                before=json.dumps(before, ensure_ascii=False),
                after=json.dumps(after, ensure_ascii=False),
                actor=user,
                reason=reason[:300],
            )
        except LookupError:
            pass
    audit.record("insp.risk_rule", target, before=before, after=after, reason=reason, actor=user)
    return True


# --- follow-up -----------------------------------------------------------------------------------


def do_create_follow_up(
    user: Any,
    result: Result,
    *,
    kind: str,
    deadline: dt.date | None = None,
    owner: Any = None,
    owner_unit: Any = None,
    other_authority: str = "",
    note: str = "",
) -> FollowUp:
    if not can_manage_follow_ups(user):
        raise _forbidden()
    if not can_see_org(user, result.organisation):
        raise _not_found()
    if kind not in FollowUpKind.values:
        raise _invalid("后续处置类别无效。", "Unknown kind of follow-up.")
    if result.state == ResultState.SUBMITTED:
        raise _invalid("结果审核后才能安排后续处置。", "Follow-up starts once the result is approved.")
    if kind in (FollowUpKind.TRANSFER, FollowUpKind.CRIMINAL) and not other_authority.strip():
        raise _invalid("请注明接收机关。", "Name the receiving authority.")
    owner = owner or result.target.organisation
    if owner_unit is not None and owner_unit.department.organisation_id != owner.pk:
        raise _invalid("责任单位须属于责任机关。", "The unit must belong to the responsible organisation.")
    deadline = deadline or add_working_days(timezone.localdate(), FOLLOW_UP_DAYS)
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            result=result,
            organisation=result.organisation,
            kind=kind,
            owner=owner,
            owner_unit=owner_unit,
            other_authority=other_authority[:200],
            deadline=deadline,
            note=note[:5000],
            created_by=user,
        )
    return follow_up


def do_close_follow_up(user: Any, follow_up: FollowUp, note: str) -> FollowUp:
    """Close a follow-up; an abnormal listing closes only by listing the firm (an order to correct is no substitute)."""
    if not can_manage_follow_ups(user):
        raise _forbidden()
    if not (can_see_org(user, follow_up.organisation) or can_see_org(user, follow_up.owner)):
        raise _not_found()
    if not note.strip():
        raise _invalid("请填写办结情况。", "Describe how it was closed.")
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().select_related("result__target").get(pk=follow_up.pk)
        if follow_up.state == FollowUpState.CLOSED:
            raise WorkflowError("closed", "该事项已办结。", "This follow-up is already closed.", 409)
        if follow_up.kind == FollowUpKind.ABNORMAL_LISTING:
            target = Target.objects.select_for_update().get(pk=follow_up.result.target_id)
            if not target.abnormal_operation:
                target.abnormal_operation = True
                target.save(update_fields=["abnormal_operation", "draw_digest", "updated"])
                try:
                    apps.get_model("directory", "TargetChange").objects.create(
                        target=target,
                        before=json.dumps({"abnormal_operation": False}),
                        after=json.dumps({"abnormal_operation": True}),
                        actor=user,
                        reason=f"follow-up {follow_up.pk}: abnormal-operation listing",
                    )
                except LookupError:
                    pass
        follow_up.state = FollowUpState.CLOSED
        follow_up.closure_note = note[:5000]
        follow_up.closed_by = user
        follow_up.closed_at = timezone.now()
        follow_up.save()
        audit.record("insp.close_followup", follow_up, after={"state": follow_up.state}, actor=user)
    return follow_up


# --- for the public portal ---------------------------------------------------------------------


def published_results(target: Target | None = None) -> QuerySet[Result]:
    """Every published result version (corrections shown beside what they corrected), newest first."""
    qs = Result.objects.filter(state=ResultState.PUBLISHED).select_related(
        "target", "item_version", "record__task", "organisation", "superseded_by"
    )
    if target is not None:
        qs = qs.filter(target=target)
    return qs.order_by("-published_at", "-pk")
