"""The inspection item list (随机抽查事项清单) and the checklists (抽查工作指引) of each item.

An :class:`InspectionItem` is the stable identity of an item; its content lives
in numbered :class:`ItemVersion` rows. A published version is never edited: a
change makes a new draft version, and publishing it supersedes the previous
published one, so tasks that refer to an older version keep it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

RATIO_FLOOR = Decimal("0.05")


class Method(models.TextChoices):
    ONSITE = "onsite", _("On-site check (现场检查)")
    WRITTEN = "written", _("Written check (书面检查)")
    ONLINE = "online", _("Online monitoring (网络监测)")
    SAMPLING = "sampling", _("Sampling test (抽样检测)")
    THIRD_PARTY = "third_party", _("Commissioned third party (委托第三方)")
    OTHER_AUTHORITY = "other_authority", _("Other authority's conclusion (采信其他部门结论)")


# The names departments write in their spreadsheets.
METHOD_NAMES_ZH = {
    Method.ONSITE: "现场检查",
    Method.WRITTEN: "书面检查",
    Method.ONLINE: "网络监测",
    Method.SAMPLING: "抽样检测",
    Method.THIRD_PARTY: "委托第三方",
    Method.OTHER_AUTHORITY: "采信其他部门结论",
}


class Category(models.TextChoices):
    KEY = "key", _("Key item (重点)")
    GENERAL = "general", _("General item (一般)")


CATEGORY_NAMES_ZH = {Category.KEY: "重点", Category.GENERAL: "一般"}


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class InspectionItem(models.Model):
    """One item of an organisation's list; its content is in its versions."""

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="inspection_items"
    )
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        related_name="inspection_items",
    )
    code = models.CharField(_("code"), max_length=40)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["organisation", "code"]
        verbose_name = _("inspection item")
        verbose_name_plural = _("inspection items")
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="catalog_item_code_unique")]

    def __str__(self) -> str:
        return self.code

    def published_version(self) -> ItemVersion | None:
        return self.versions.filter(status=VersionStatus.PUBLISHED).first()

    def latest_version(self) -> ItemVersion | None:
        return self.versions.order_by("-number").first()


class ItemVersion(models.Model):
    """The content of an item at one version. Published versions are read-only."""

    item = models.ForeignKey(InspectionItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    field = models.CharField(_("field"), max_length=100, blank=True)
    name = models.CharField(_("inspection item"), max_length=200)
    sub_item = models.CharField(_("sub-item"), max_length=200, blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    object_type = models.CharField(_("object type"), max_length=200, blank=True)
    content = models.TextField(_("inspection content"), blank=True)
    methods = models.JSONField(_("methods"), default=list, blank=True)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    ratio_min = models.DecimalField(_("lower sampling ratio"), max_digits=5, decimal_places=4)
    ratio_max = models.DecimalField(_("upper sampling ratio"), max_digits=5, decimal_places=4, null=True, blank=True)
    frequency = models.CharField(_("frequency"), max_length=100, blank=True)
    expertise = models.ManyToManyField("directory.Expertise", verbose_name=_("required expertise"), blank=True)
    needs_expert = models.BooleanField(
        _("an expert joins the team"),
        default=False,
        help_text=_("Each visit of a task with this item gets a member of the expert directory (专家名录库)."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    reason = models.CharField(_("reason for the change"), max_length=300, blank=True)

    class Meta:
        ordering = ["item", "-number"]
        verbose_name = _("item version")
        verbose_name_plural = _("item versions")
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="catalog_version_number_unique"),
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="published"), name="catalog_one_published_version"
            ),
            models.CheckConstraint(condition=Q(ratio_min__gte=RATIO_FLOOR), name="catalog_ratio_min_at_least_5pc"),
            models.CheckConstraint(
                condition=Q(ratio_max__isnull=True) | (Q(ratio_max__gte=models.F("ratio_min")) & Q(ratio_max__lte=1)),
                name="catalog_ratio_max_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(category="general") | Q(ratio_max__isnull=False), name="catalog_general_has_upper_ratio"
            ),
        ]

    def __str__(self) -> str:
        label = f"{self.name} / {self.sub_item}" if self.sub_item else self.name
        return f"{label} (v{self.number})"

    @property
    def organisation_id(self) -> int | None:
        """The item's organisation, so audit entries are scoped to it."""
        return self.item.organisation_id if self.item_id else None

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if not isinstance(self.methods, list) or any(m not in Method.values for m in self.methods):
            errors.setdefault("methods", []).append(_("Unknown inspection method."))
        elif len(set(self.methods)) != len(self.methods):
            errors.setdefault("methods", []).append(_("A method is listed twice."))
        if self.ratio_min is not None and self.ratio_min < RATIO_FLOOR:
            errors.setdefault("ratio_min", []).append(_("The sampling ratio may not be below 5%."))
        if self.ratio_max is None:
            if self.category == Category.GENERAL:
                errors.setdefault("ratio_max", []).append(_("A general item needs an upper sampling ratio."))
        else:
            if self.ratio_max > 1:
                errors.setdefault("ratio_max", []).append(_("The upper sampling ratio may not exceed 100%."))
            if self.ratio_min is not None and self.ratio_max < self.ratio_min:
                errors.setdefault("ratio_max", []).append(_("The upper sampling ratio may not be below the lower one."))
        if errors:
            raise ValidationError(errors)

    def method_labels(self) -> list[str]:
        return [str(Method(m).label) for m in self.methods if m in Method.values]


class CheckPoint(models.Model):
    """One ordered point of an item version's checklist; it becomes a line of the record form."""

    version = models.ForeignKey(
        ItemVersion, verbose_name=_("item version"), on_delete=models.CASCADE, related_name="checkpoints"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.TextField(_("check point"))
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, blank=True)
    finding_criteria = models.TextField(_("what counts as a finding"), blank=True)

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("check point")
        verbose_name_plural = _("check points")
        constraints = [models.UniqueConstraint(fields=["version", "order"], name="catalog_checkpoint_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.text[:50]}"

    @property
    def organisation_id(self) -> int | None:
        return self.version.item.organisation_id if self.version_id else None
