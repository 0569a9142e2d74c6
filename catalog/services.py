"""Creating, revising and publishing inspection items.

``check_*`` functions validate and raise; ``do_*`` functions change the
database, each in one transaction. Model changes are recorded by the audit
signal handlers; publishing is also recorded as a state transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import CheckPoint, InspectionItem, ItemVersion, Method, VersionStatus
from core import audit
from core.models import AuditAction

# The fields of a version that a revision may change (and that import compares).
CONTENT_FIELDS = (
    "field",
    "name",
    "sub_item",
    "legal_basis",
    "object_type",
    "content",
    "methods",
    "category",
    "ratio_min",
    "ratio_max",
    "frequency",
    "needs_expert",
)


class CatalogConflict(Exception):
    """The action does not fit the item's current state (HTTP 409)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class VersionData:
    """The content of a version as entered: fields, expertise ids and ordered check points."""

    fields: dict[str, Any]
    expertise: list[int] | None = None
    checkpoints: list[dict[str, Any]] | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in fields.items() if k in CONTENT_FIELDS}
    for key in ("ratio_min", "ratio_max"):
        if out.get(key) not in (None, ""):
            out[key] = Decimal(str(out[key])).quantize(Decimal("0.0001"))
        elif key in out:
            out[key] = None
    for key, value in list(out.items()):
        if isinstance(value, str):
            out[key] = value.strip()
    return out


def check_checkpoints(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for point in points:
        text = str(point.get("text", "")).strip()
        if not text:
            continue
        method = str(point.get("method", "") or "")
        if method and method not in Method.values:
            raise ValidationError({"checkpoints": [_("Unknown inspection method.")]})
        cleaned.append({"text": text, "method": method, "finding_criteria": str(point.get("finding_criteria", ""))})
    return cleaned


def check_version(version: ItemVersion) -> None:
    """Full validation of a version about to be stored (field rules and ``clean``)."""
    version.full_clean(exclude=["item", "number", "created_by"], validate_unique=False, validate_constraints=False)


def _write_checkpoints(version: ItemVersion, points: list[dict[str, Any]]) -> None:
    for order, point in enumerate(points, start=1):
        CheckPoint.objects.create(version=version, order=order, **point)


def _copy_points(version: ItemVersion) -> list[dict[str, Any]]:
    return [
        {"text": p.text, "method": p.method, "finding_criteria": p.finding_criteria} for p in version.checkpoints.all()
    ]


def next_code(organisation: Any) -> str:
    n = InspectionItem.objects.filter(organisation=organisation).count() + 1
    while InspectionItem.objects.filter(organisation=organisation, code=f"{n:04d}").exists():
        n += 1
    return f"{n:04d}"


def do_create_item(actor: Any, organisation: Any, department: Any, data: VersionData, code: str = "") -> InspectionItem:
    if department.organisation_id != organisation.pk:
        raise ValidationError({"department": [_("The department belongs to another organisation.")]})
    code = code.strip()
    if code and InspectionItem.objects.filter(organisation=organisation, code=code).exists():
        raise ValidationError({"code": [_("This code is already used by another item.")]})
    points = check_checkpoints(data.checkpoints or [])
    version = ItemVersion(number=1, created_by=actor, reason=data.reason, **_normalise(data.fields))
    check_version(version)
    with transaction.atomic():
        item = InspectionItem.objects.create(
            organisation=organisation, department=department, code=code or next_code(organisation)
        )
        version.item = item
        version.save()
        if data.expertise:
            version.expertise.set(data.expertise)
        _write_checkpoints(version, points)
    return item


def do_revise_item(actor: Any, item: InspectionItem, data: VersionData) -> ItemVersion:
    """Change an item: edit its draft, or start a new draft copying the latest version.

    Fields, expertise or check points left out (None) are copied from the latest version.
    """
    with transaction.atomic():
        item = InspectionItem.objects.select_for_update().get(pk=item.pk)
        latest = item.latest_version()
        base = {name: getattr(latest, name) for name in CONTENT_FIELDS} if latest else {}
        base.update(_normalise(data.fields))
        expertise = data.expertise
        if expertise is None:
            expertise = list(latest.expertise.values_list("pk", flat=True))
        points = check_checkpoints(data.checkpoints) if data.checkpoints is not None else _copy_points(latest)
        if latest is not None and latest.status == VersionStatus.DRAFT:
            version = latest
            for name, value in base.items():
                setattr(version, name, value)
            version.reason = data.reason or version.reason
        else:
            number = latest.number + 1 if latest else 1
            version = ItemVersion(item=item, number=number, created_by=actor, reason=data.reason, **base)
        check_version(version)
        version.save()
        version.expertise.set(expertise)
        version.checkpoints.all().delete()
        _write_checkpoints(version, points)
    return version


def check_publish(version: ItemVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise CatalogConflict(_("Only a draft version can be published."))
    check_version(version)


def do_publish(actor: Any, version: ItemVersion) -> ItemVersion:
    with transaction.atomic():
        InspectionItem.objects.select_for_update().get(pk=version.item_id)
        version = ItemVersion.objects.select_related("item").get(pk=version.pk)
        check_publish(version)
        previous = version.item.versions.filter(status=VersionStatus.PUBLISHED).first()
        if previous is not None:
            previous.status = VersionStatus.SUPERSEDED
            previous.save(update_fields=["status"])
            audit.record(
                AuditAction.TRANSITION,
                previous,
                before={"status": VersionStatus.PUBLISHED},
                after={"status": VersionStatus.SUPERSEDED},
                actor=actor,
            )
        version.status = VersionStatus.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        audit.record(
            AuditAction.TRANSITION,
            version,
            before={"status": VersionStatus.DRAFT},
            after={"status": VersionStatus.PUBLISHED, "published_at": version.published_at.isoformat()},
            actor=actor,
        )
    return version
