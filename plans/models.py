"""The annual plan (年度抽查工作计划) of an organisation, in numbered versions.

A plan version is drafted, approved, then published; an adjustment copies the
published version into a new draft, which must be re-published within the
deadline, and publishing it supersedes the previous version, which is kept.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class LineKind(models.TextChoices):
    DIRECTED = "directed", _("Directed (定向)")
    UNDIRECTED = "undirected", _("Undirected (不定向)")
    COMBINED = "combined", _("Combined (定向与不定向结合)")


KIND_NAMES_ZH = {LineKind.DIRECTED: "定向", LineKind.UNDIRECTED: "不定向", LineKind.COMBINED: "定向与不定向结合"}


class PlanSettings(models.Model):
    """The locality's filing deadline for the annual plan (month 12 means December of the year before)."""

    organisation = models.OneToOneField(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="plan_settings"
    )
    filing_month = models.PositiveSmallIntegerField(_("filing month"), default=1)
    filing_day = models.PositiveSmallIntegerField(_("filing day"), default=15)
    yearly_visit_cap = models.PositiveSmallIntegerField(
        _("visits per firm and year, at most"),
        null=True,
        blank=True,
        help_text=_(
            "Firms drawn this many times this year, by the tasks of this organisation and of the organisations "
            "above and below it, are left out of later draws (firms forced in by complaints stay in). Empty: no cap."
        ),
    )

    class Meta:
        verbose_name = _("plan settings")
        verbose_name_plural = _("plan settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(filing_month__gte=1, filing_month__lte=12, filing_day__gte=1, filing_day__lte=31),
                name="plans_filing_date_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.filing_month}-{self.filing_day}"

    def deadline(self, year: int) -> dt.date:
        filed_in = year - 1 if self.filing_month == 12 else year
        last = calendar.monthrange(filed_in, self.filing_month)[1]
        return dt.date(filed_in, self.filing_month, min(self.filing_day, last))


class Plan(models.Model):
    """One version of an organisation's plan for a natural year."""

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="plans"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT, db_index=True
    )
    reason = models.CharField(_("reason for the change"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    republish_deadline = models.DateField(_("re-publication deadline"), null=True, blank=True)

    class Meta:
        ordering = ["organisation", "-year", "-number"]
        verbose_name = _("annual plan")
        verbose_name_plural = _("annual plans")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year", "number"], name="plans_version_unique"),
            models.UniqueConstraint(
                fields=["organisation", "year"], condition=Q(status="published"), name="plans_one_published_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.year} v{self.number}"

    @property
    def display_title(self) -> str:
        return self.title or f"{self.year}"


class PlanLine(models.Model):
    """A batch of the plan: what is checked, among whom, how much, how and when, by which departments."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices, default=LineKind.UNDIRECTED)
    items = models.ManyToManyField("catalog.ItemVersion", verbose_name=_("inspection items"), related_name="+")
    objects_text = models.CharField(_("inspection objects"), max_length=300, blank=True)
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    ratio = models.DecimalField(_("sampling ratio"), max_digits=5, decimal_places=4, null=True, blank=True)
    count = models.PositiveIntegerField(_("number of targets"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=300, blank=True)
    window_start = models.DateField(_("from"))
    window_end = models.DateField(_("until"))
    lead_department = models.ForeignKey(
        "orgs.Department", verbose_name=_("lead department"), on_delete=models.PROTECT, related_name="+"
    )
    departments = models.ManyToManyField(
        "orgs.Department", verbose_name=_("participating departments"), blank=True, related_name="+"
    )

    class Meta:
        ordering = ["plan", "order"]
        verbose_name = _("plan line")
        verbose_name_plural = _("plan lines")
        constraints = [
            models.UniqueConstraint(fields=["plan", "order"], name="plans_line_order_unique"),
            models.CheckConstraint(condition=Q(window_end__gte=models.F("window_start")), name="plans_window_order"),
            models.CheckConstraint(
                condition=Q(ratio__isnull=True) | Q(ratio__gte="0.05", ratio__lte=1), name="plans_ratio_in_range"
            ),
            models.CheckConstraint(
                condition=Q(ratio__isnull=False) | Q(count__isnull=False), name="plans_ratio_or_count"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} #{self.order} {self.name}"

    @property
    def organisation_id(self) -> int:
        return self.plan.organisation_id
