"""Inspector matching of a drawn task: runs, visits with their teams, confirmations and redraws.

A :class:`MatchRun` is stored once and never edited: its seed is derived from the draw's seed
(docs/DRAW.md §17.9), its manifest and the canonical INSPECTORS.csv and TARGETS.csv are kept
verbatim so ``verify_draw.py match`` reproduces it. A later run of the same draw (for example
with pooling from neighbouring areas) gets the next number; the latest run is the one in force.
A team changes afterwards only through a :class:`Redraw` of one slot.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Pooling(models.TextChoices):
    NONE = "none", _("Own organisation only")
    NEIGHBOURS = "neighbours", _("With neighbouring areas (sibling organisations)")
    PARENT = "parent", _("With the level above (parent organisation)")


class Mode(models.TextChoices):
    POOL = "pool", _("Whole pool (大随机)")
    UNIT = "unit", _("Within a unit (小随机)")
    TEAMS = "teams", _("Random teams (编组随机)")
    CROSS = "cross", _("Cross-area (交叉随机)")


class ImmutableError(RuntimeError):
    """A stored matching run is never changed."""


class MatchRun(models.Model):
    task = models.ForeignKey("draws.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="match_runs")
    draw = models.ForeignKey("draws.Draw", verbose_name=_("draw"), on_delete=models.PROTECT, related_name="match_runs")
    number = models.PositiveSmallIntegerField(_("number"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    team_size = models.PositiveSmallIntegerField(_("team size"))
    cap = models.PositiveIntegerField(_("workload cap"), null=True, blank=True)
    leader = models.BooleanField(_("every team needs a leader"), default=True)
    pooling = models.CharField(_("pooling"), max_length=12, choices=Pooling.choices, default=Pooling.NONE)
    recuse_last_time = models.BooleanField(_("recuse the inspectors who checked the firm last time"), default=True)
    params = models.JSONField(_("parameters"))
    seed = models.CharField(_("seed"), max_length=64)
    match_seed = models.CharField(_("match seed"), max_length=64)
    manifest = models.TextField(_("manifest"))
    manifest_digest = models.CharField(_("manifest digest"), max_length=64)
    inspectors_csv = models.TextField(_("INSPECTORS.csv"))
    targets_csv = models.TextField(_("TARGETS.csv"))
    matched = models.PositiveIntegerField(_("matched"))
    unmatched_count = models.PositiveIntegerField(_("unmatched"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("run by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("run at"), auto_now_add=True)

    class Meta:
        ordering = ["task", "number"]
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        constraints = [models.UniqueConstraint(fields=["task", "number"], name="assignments_run_unique_number")]

    def __str__(self) -> str:
        return f"{self.task} / 匹配 #{self.number}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise ImmutableError("a matching run is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ImmutableError("a matching run is never deleted")

    @property
    def organisation_id(self) -> int:
        return self.task.organisation_id


class Visit(models.Model):
    """One matched target of a run: the team that goes, every item of every department at once."""

    run = models.ForeignKey(MatchRun, verbose_name=_("matching run"), on_delete=models.PROTECT, related_name="visits")
    selection = models.ForeignKey(
        "draws.Selection", verbose_name=_("selected target"), on_delete=models.PROTECT, related_name="visits"
    )
    key = models.CharField(_("USCC / registration number"), max_length=128)
    position = models.PositiveIntegerField(_("position"))
    team = models.CharField(_("team"), max_length=20, blank=True)
    notice_issued_at = models.DateTimeField(_("notice issued at"), null=True, blank=True)
    notice_issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("notice issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["run", "position"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [models.UniqueConstraint(fields=["run", "selection"], name="assignments_visit_unique")]

    def __str__(self) -> str:
        return f"{self.run.task} / {self.key}"

    @property
    def organisation_id(self) -> int:
        return self.run.task.organisation_id

    def current_members(self) -> models.QuerySet[Member]:
        return self.members.filter(removed_by__isnull=True).select_related(
            "inspector", "inspector__department", "expert", "department"
        )


class Role(models.TextChoices):
    LEADER = "leader", _("Team leader")
    MEMBER = "member", _("Member")
    EXPERT = "expert", _("Expert")


class Member(models.Model):
    """A place in a visit's team; a redraw ends it (``removed_by``) and adds the replacement."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="members")
    slot = models.PositiveSmallIntegerField(_("slot"))
    person_id = models.CharField(_("person id"), max_length=64)
    inspector = models.ForeignKey(
        "directory.Inspector", verbose_name=_("inspector"), null=True, blank=True, on_delete=models.PROTECT
    )
    expert = models.ForeignKey(
        "directory.Expert", verbose_name=_("expert"), null=True, blank=True, on_delete=models.PROTECT
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    department = models.ForeignKey(
        "orgs.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT
    )
    ticket = models.CharField(_("ticket"), max_length=16)
    removed_by = models.ForeignKey(
        "assignments.Redraw",
        verbose_name=_("replaced by redraw"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="removed",
    )

    class Meta:
        ordering = ["visit", "slot", "pk"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self) -> str:
        return f"{self.person_id} ({self.get_role_display()})"


class Unmatched(models.Model):
    """A drawn target the pool could not serve, with the engine's reason."""

    run = models.ForeignKey(
        MatchRun, verbose_name=_("matching run"), on_delete=models.PROTECT, related_name="unmatched"
    )
    selection = models.ForeignKey("draws.Selection", verbose_name=_("selected target"), on_delete=models.PROTECT)
    key = models.CharField(_("USCC / registration number"), max_length=128)
    code = models.CharField(_("reason code"), max_length=40)
    item = models.CharField(_("missing item"), max_length=64, blank=True)
    cause = models.CharField(_("cause"), max_length=20, blank=True)
    message_zh = models.CharField(_("reason (Chinese)"), max_length=300)
    message_en = models.CharField(_("reason (English)"), max_length=300)

    class Meta:
        ordering = ["run", "selection__position"]
        verbose_name = _("unmatched target")
        verbose_name_plural = _("unmatched targets")

    def __str__(self) -> str:
        return f"{self.key}: {self.code}"


class Confirmation(models.Model):
    """One department's share of a run: claimed, then confirmed once, within 5 working days."""

    run = models.ForeignKey(
        MatchRun, verbose_name=_("matching run"), on_delete=models.PROTECT, related_name="confirmations"
    )
    department = models.ForeignKey("orgs.Department", verbose_name=_("department"), on_delete=models.PROTECT)
    deadline = models.DateField(_("confirm by"))
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["run", "department"]
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")
        constraints = [models.UniqueConstraint(fields=["run", "department"], name="assignments_confirmation_unique")]

    def __str__(self) -> str:
        return f"{self.run} / {self.department}"

    @property
    def organisation_id(self) -> int:
        return self.run.task.organisation_id


class RedrawReason(models.TextChoices):
    ILLNESS = "illness", _("Illness or absence")
    CONFLICT = "conflict", _("Newly found conflict of interest")
    OTHER = "other", _("Other reason")


class Redraw(models.Model):
    """The recorded, reasoned, random redraw of one slot of one visit (suiji-match-redraw-v1)."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="redraws")
    number = models.PositiveIntegerField(_("redraw number"))
    slot = models.PositiveSmallIntegerField(_("slot"))
    old = models.ForeignKey(
        "directory.Inspector", verbose_name=_("replaced inspector"), on_delete=models.PROTECT, related_name="+"
    )
    new = models.ForeignKey(
        "directory.Inspector", verbose_name=_("replacement"), on_delete=models.PROTECT, related_name="+"
    )
    reason_kind = models.CharField(_("reason"), max_length=10, choices=RedrawReason.choices)
    reason = models.CharField(_("explanation"), max_length=300)
    ticket = models.CharField(_("ticket"), max_length=16)
    eligible = models.PositiveIntegerField(_("eligible replacements"))
    record = models.TextField(_("redraw record (REDRAW.json)"))
    record_digest = models.CharField(_("record digest"), max_length=64)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["visit", "number"]
        verbose_name = _("redraw")
        verbose_name_plural = _("redraws")
        constraints = [models.UniqueConstraint(fields=["visit", "number"], name="assignments_redraw_unique")]

    def __str__(self) -> str:
        return f"{self.visit} / 重抽 #{self.number}"

    @property
    def organisation_id(self) -> int:
        return self.visit.run.task.organisation_id
