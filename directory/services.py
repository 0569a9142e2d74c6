"""Changing the directories one record at a time: targets (with a reason and a history row), inspectors,
experts, their conflicts of interest, and units' declared enforcement staff.

Every function validates everything first and writes nothing when a value is
wrong (``DirectoryError`` names the field); writes happen in one transaction,
attributed to the actor with the reason, so the audit trail's entries carry both.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import audit
from core.uscc import validate_uscc
from directory.models import (
    CertificateKind,
    Conflict,
    CreditClass,
    Expert,
    Expertise,
    Inspector,
    InspectorStatus,
    Tag,
    Target,
    TargetChange,
    TargetKind,
    TargetStatus,
    UnitStaffing,
)
from orgs.models import Department, Organisation, Unit
from refdata.models import Division, Industry


class DirectoryError(ValueError):
    def __init__(self, field: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DirectoryError("reason", "请填写修改原因", "A reason is required")
    if len(reason) > 300:
        raise DirectoryError("reason", "原因不能超过300字", "The reason is longer than 300 characters")
    return reason


def _text(data: dict[str, Any], name: str, limit: int, zh: str, required: bool = False) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise DirectoryError(name, f"{zh}不能为空", f"{name} is required")
    if len(value) > limit:
        raise DirectoryError(name, f"{zh}不能超过{limit}字", f"{name} is longer than {limit} characters")
    return value


def _choice(data: dict[str, Any], name: str, choices: Any, zh: str) -> str:
    value = str(data.get(name) or "").strip()
    if value not in choices.values:
        raise DirectoryError(name, f"{zh}无效：{value}", f"{name} must be one of {', '.join(choices.values)}")
    return value


def _date(data: dict[str, Any], name: str, zh: str) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise DirectoryError(name, f"{zh}不是有效日期（YYYY-MM-DD）", f"{name} is not a date (YYYY-MM-DD)") from None


def _region(value: Any) -> Division | None:
    if value in (None, ""):
        return None
    region = Division.objects.filter(pk=str(value).strip()).first()
    if region is None:
        raise DirectoryError("region", f"行政区划代码不存在：{value}", f"No such administrative division: {value}")
    return region


def _expertise(values: Any) -> list[Expertise]:
    codes = [str(v).strip() for v in (values or []) if str(v).strip()]
    found = {e.code: e for e in Expertise.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise DirectoryError(
            "expertise", f"专业领域不存在：{'、'.join(missing)}", f"Unknown expertise: {', '.join(missing)}"
        )
    return list(found.values())


# --- targets ----------------------------------------------------------------------------------

TARGET_FIELDS = (
    "name",
    "kind",
    "legal_representative",
    "address",
    "business_scope",
    "industry",
    "region",
    "registration_authority",
    "founded",
    "status",
    "credit_class",
    "abnormal_operation",
    "serious_violation",
    "complaint_count",
)


def _target_value(target: Target, name: str) -> Any:
    if name in ("industry", "region"):
        return getattr(target, f"{name}_id")
    value = getattr(target, name)
    return value.isoformat() if isinstance(value, dt.date) else value


def _clean_target(name: str, value: Any) -> Any:
    if name == "name":
        return _text({name: value}, name, 200, "名称", required=True)
    if name in ("legal_representative", "registration_authority"):
        return _text({name: value}, name, 100, "字段")
    if name == "address":
        return _text({name: value}, name, 300, "住所")
    if name == "business_scope":
        return "" if value is None else str(value)
    if name == "kind":
        return _choice({name: value}, name, TargetKind, "对象类型")
    if name == "status":
        return _choice({name: value}, name, TargetStatus, "登记状态")
    if name == "credit_class":
        return _choice({name: str(value or "").upper()}, name, CreditClass, "信用风险分类")
    if name == "industry":
        if value in (None, ""):
            return None
        if not Industry.objects.filter(pk=str(value).strip().upper()).exists():
            raise DirectoryError(name, f"行业代码不存在：{value}", f"No such industry: {value}")
        return str(value).strip().upper()
    if name == "region":
        region = _region(value)
        return region.pk if region else None
    if name == "founded":
        founded = _date({name: value}, name, "成立日期")
        if founded and founded > dt.date.today():
            raise DirectoryError(name, "成立日期不能晚于今天", "The founding date is in the future")
        return founded.isoformat() if founded else None
    if name in ("abnormal_operation", "serious_violation"):
        if not isinstance(value, bool):
            raise DirectoryError(name, "应为是或否", f"{name} must be true or false")
        return value
    if name == "complaint_count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DirectoryError(name, "投诉举报次数应为非负整数", "complaint_count must be a whole number ≥ 0")
        return value
    raise DirectoryError(name, f"不能修改该字段：{name}", f"This field cannot be changed: {name}")


def update_target(target: Target, data: dict[str, Any], actor: Any, reason: str | None) -> TargetChange | None:
    """Apply the given fields (and ``tags``: a list of names) to a target.

    Returns the history row, or None when nothing differed. Raises
    ``DirectoryError`` before writing anything if any value is wrong.
    """
    reason = _reason(reason)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in data.items():
        if name == "tags":
            continue
        clean = _clean_target(name, value)
        if _target_value(target, name) != clean:
            before[name] = _target_value(target, name)
            after[name] = clean
    new_tags: list[str] | None = None
    if "tags" in data and data["tags"] is not None:
        names = sorted({str(t).strip() for t in data["tags"] if str(t).strip()})
        if any(len(n) > 50 for n in names):
            raise DirectoryError("tags", "标签不能超过50字", "A tag is longer than 50 characters")
        old_tags = sorted(target.tags.values_list("name", flat=True))
        if names != old_tags:
            new_tags = names
            before["tags"], after["tags"] = old_tags, names
    if not after:
        return None
    with transaction.atomic(), audit.acting(actor, reason=reason):
        for name, value in after.items():
            if name == "tags":
                continue
            if name in ("industry", "region"):
                setattr(target, f"{name}_id", value)
            elif name == "founded":
                setattr(target, name, dt.date.fromisoformat(value) if value else None)
            else:
                setattr(target, name, value)
        target.save()
        if new_tags is not None:
            tags = [Tag.objects.get_or_create(name=n)[0] for n in new_tags]
            target.tags.set(tags)
            audit.record(
                "update",
                target,
                before={"tags": before["tags"]},
                after={"tags": after["tags"]},
                reason=reason,
                actor=actor,
            )
        change = TargetChange.objects.create(
            target=target,
            actor=actor if getattr(actor, "pk", None) else None,
            reason=reason,
            before=json.dumps(before, ensure_ascii=False, sort_keys=True),
            after=json.dumps(after, ensure_ascii=False, sort_keys=True),
        )
    return change


# --- inspectors and experts -------------------------------------------------------------------


def _department_and_unit(org: Organisation, data: dict[str, Any]) -> tuple[Department, Unit | None]:
    unit = None
    if data.get("unit_id"):
        unit = (
            Unit.objects.select_related("department").filter(pk=data["unit_id"], department__organisation=org).first()
        )
        if unit is None:
            raise DirectoryError("unit_id", "该单位不属于本机构", "The unit is not one of this organisation's")
    department = None
    if data.get("department_id"):
        department = Department.objects.filter(pk=data["department_id"], organisation=org).first()
        if department is None:
            raise DirectoryError(
                "department_id", "该部门不属于本机构", "The department is not one of this organisation's"
            )
    if unit is not None:
        if department is not None and unit.department_id != department.pk:
            raise DirectoryError("unit_id", "单位不属于所选部门", "The unit is not in the chosen department")
        department = unit.department
    if department is None:
        raise DirectoryError("department_id", "请选择所属部门或单位", "A department or unit is required")
    return department, unit


def _inspector_fields(org: Organisation, data: dict[str, Any], instance: Inspector | None) -> dict[str, Any]:
    merged = {**_inspector_data(instance), **data} if instance else data
    department, unit = _department_and_unit(org, merged)
    fields = {
        "name": _text(merged, "name", 100, "姓名", required=True),
        "position": _text(merged, "position", 100, "职务"),
        "certificate_no": _text(merged, "certificate_no", 40, "执法证号"),
        "certificate_kind": _choice(
            {"certificate_kind": merged.get("certificate_kind") or CertificateKind.ADMINISTRATIVE},
            "certificate_kind",
            CertificateKind,
            "证件类型",
        ),
        "certificate_expiry": _date(merged, "certificate_expiry", "证件有效期"),
        "status": _choice({"status": merged.get("status") or "active"}, "status", InspectorStatus, "状态"),
        "is_team_leader_eligible": bool(merged.get("is_team_leader_eligible")),
        "region": _region(merged.get("region_id")),
        "department": department,
        "unit": unit,
    }
    if fields["certificate_no"]:
        clash = Inspector.objects.filter(certificate_no=fields["certificate_no"])
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            raise DirectoryError("certificate_no", "该执法证号已登记", "This certificate number is already entered")
    return fields


def _inspector_data(inspector: Inspector) -> dict[str, Any]:
    return {
        "name": inspector.name,
        "position": inspector.position,
        "certificate_no": inspector.certificate_no,
        "certificate_kind": inspector.certificate_kind,
        "certificate_expiry": inspector.certificate_expiry,
        "status": inspector.status,
        "is_team_leader_eligible": inspector.is_team_leader_eligible,
        "region_id": inspector.region_id,
        "department_id": inspector.department_id,
        "unit_id": inspector.unit_id,
    }


def save_inspector(
    org: Organisation, data: dict[str, Any], actor: Any, instance: Inspector | None = None, reason: str = ""
) -> Inspector:
    """Create (``instance`` None) or update an inspector; ``expertise`` is a list of codes when given."""
    fields = _inspector_fields(org, data, instance)
    expertise = _expertise(data["expertise"]) if data.get("expertise") is not None else None
    if instance is not None:
        reason = _reason(reason)
    with transaction.atomic(), audit.acting(actor, reason=reason):
        inspector = instance or Inspector(organisation=org)
        for name, value in fields.items():
            setattr(inspector, name, value)
        inspector.save()
        if expertise is not None:
            inspector.expertise.set(expertise)
    return inspector


def _expert_fields(data: dict[str, Any], instance: Expert | None) -> dict[str, Any]:
    merged = {**_expert_data(instance), **data} if instance else data
    return {
        "name": _text(merged, "name", 100, "姓名", required=True),
        "employer": _text(merged, "employer", 200, "工作单位"),
        "title": _text(merged, "title", 100, "职称"),
        "phone": _text(merged, "phone", 40, "电话"),
        "status": _choice({"status": merged.get("status") or "active"}, "status", InspectorStatus, "状态"),
        "region": _region(merged.get("region_id")),
    }


def _expert_data(expert: Expert) -> dict[str, Any]:
    return {
        "name": expert.name,
        "employer": expert.employer,
        "title": expert.title,
        "phone": expert.phone,
        "status": expert.status,
        "region_id": expert.region_id,
    }


def save_expert(
    org: Organisation, data: dict[str, Any], actor: Any, instance: Expert | None = None, reason: str = ""
) -> Expert:
    fields = _expert_fields(data, instance)
    expertise = _expertise(data["expertise"]) if data.get("expertise") is not None else None
    if instance is not None:
        reason = _reason(reason)
    with transaction.atomic(), audit.acting(actor, reason=reason):
        expert = instance or Expert(organisation=org)
        for name, value in fields.items():
            setattr(expert, name, value)
        expert.save()
        if expertise is not None:
            expert.expertise.set(expertise)
    return expert


# --- conflicts of interest --------------------------------------------------------------------


def add_conflict(person: Inspector | Expert, data: dict[str, Any], actor: Any, visible_targets: Any) -> Conflict:
    """Declare a conflict: ``target_key`` (a target the actor can see) or ``party_name`` (+ ``party_uscc``)."""
    reason = _reason(data.get("reason"))
    target = None
    key = str(data.get("target_key") or "").strip().upper()
    if key:
        target = visible_targets.filter(key=key).first()
        if target is None:
            raise DirectoryError("target_key", f"检查对象不存在：{key}", f"No such target: {key}")
    party_name = _text(data, "party_name", 200, "当事人")
    party_uscc = _text(data, "party_uscc", 18, "统一社会信用代码").upper()
    if target is None and not party_name:
        raise DirectoryError(
            "party_name", "请选择检查对象或填写当事人名称", "Give a target or the person's or firm's name"
        )
    if party_uscc:
        try:
            validate_uscc(party_uscc, check_region=False)
        except Exception:  # noqa: BLE001 (any refusal of the identifier)
            raise DirectoryError("party_uscc", "统一社会信用代码无效", "The USCC is not valid") from None
    declared = _date(data, "declared_at", "申报日期") or dt.date.today()
    valid_until = _date(data, "valid_until", "有效期")
    if valid_until and valid_until < declared:
        raise DirectoryError("valid_until", "有效期不能早于申报日期", "valid_until is before the declaration")
    with transaction.atomic(), audit.acting(actor, reason=reason):
        return Conflict.objects.create(
            inspector=person if isinstance(person, Inspector) else None,
            expert=person if isinstance(person, Expert) else None,
            target=target,
            party_name=party_name,
            party_uscc=party_uscc,
            reason=reason,
            declared_at=declared,
            valid_until=valid_until,
            declared_by=actor if getattr(actor, "pk", None) else None,
        )


def withdraw_conflict(conflict: Conflict, actor: Any, reason: str | None) -> Conflict:
    reason = _reason(reason)
    if conflict.withdrawn_at is not None:
        raise DirectoryError("conflict", "该回避事项已撤销", "This conflict was already withdrawn")
    with transaction.atomic(), audit.acting(actor, reason=reason):
        conflict.withdrawn_at = timezone.now()
        conflict.withdrawn_by = actor if getattr(actor, "pk", None) else None
        conflict.withdraw_reason = reason
        conflict.save()
    return conflict


# --- 入库率 (entry rate) per unit ---------------------------------------------------------------


@dataclass
class UnitRate:
    unit: Unit
    entered: int
    declared: int | None
    as_of: dt.date | None

    @property
    def rate(self) -> float | None:
        if not self.declared:
            return None
        return self.entered / self.declared

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(100 * self.rate)

    @property
    def complete(self) -> bool:
        return self.rate is not None and self.rate >= 1


def entered_filter(on: dt.date | None = None) -> Q:
    """Inspectors that count as entered: on staff (active or on leave) with an unexpired certificate."""
    on = on or dt.date.today()
    return (
        Q(inspector__status__in=[InspectorStatus.ACTIVE, InspectorStatus.LEAVE])
        & ~Q(inspector__certificate_no="")
        & (Q(inspector__certificate_expiry__isnull=True) | Q(inspector__certificate_expiry__gte=on))
    )


def unit_rates(units: Any, on: dt.date | None = None) -> list[UnitRate]:
    """The entry rate of each unit: entered inspectors ÷ declared enforcement staff."""
    rows = units.select_related("department", "staffing").annotate(
        entered=Count("inspector", filter=entered_filter(on))
    )
    out = []
    for unit in rows.order_by("department__organisation__path", "department__name", "name"):
        staffing = getattr(unit, "staffing", None)
        out.append(
            UnitRate(
                unit,
                unit.entered,
                staffing.enforcement_staff if staffing else None,
                staffing.as_of if staffing else None,
            )
        )
    return out


def set_staffing(unit: Unit, count: Any, as_of: Any, actor: Any) -> UnitStaffing:
    if isinstance(count, bool) or not isinstance(count, int):
        try:
            count = int(str(count).strip())
        except ValueError:
            raise DirectoryError(
                "enforcement_staff", "执法人员数应为整数", "enforcement_staff must be a number"
            ) from None
    if count < 0 or count > 100000:
        raise DirectoryError("enforcement_staff", "执法人员数应在0到100000之间", "enforcement_staff is out of range")
    day = _date({"as_of": as_of}, "as_of", "统计日期") or dt.date.today()
    with transaction.atomic(), audit.acting(actor):
        staffing, _ = UnitStaffing.objects.update_or_create(
            unit=unit, defaults={"enforcement_staff": count, "as_of": day}
        )
    return staffing
