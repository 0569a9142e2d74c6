"""Tasks and their witnessed, verifiable draws.

A draw is never edited. Its life: ``committed`` (candidate pool frozen, its
digest, the parameters and the commitment to an agency secret recorded and,
for a public task, published) → ``drawn`` (witness inputs recorded, seed
formed, selection and manifest stored) → possibly ``voided`` (with a reason
and an approver; the task may then commit a new draw, and both stay visible).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TaskState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ANNOUNCED = "announced", _("Announced, waiting for the draw")
    DRAWN = "drawn", _("Drawn")
    CLOSED = "closed", _("Closed")


class SelectionPublication(models.TextChoices):
    WITH_NOTICE = "with_notice", _("Publish the selected list with the task notice")
    AFTER_CHECKS = "after_checks", _("Keep the selected list confidential until the checks are done")


class StratifyBy(models.TextChoices):
    CREDIT_CLASS = "credit_class", _("Credit risk class")
    KIND = "kind", _("Kind of entity")
    INDUSTRY = "industry", _("Industry (division)")
    REGION = "region", _("Region")
    NONE = "none", _("No strata")


class Task(models.Model):
    """A task (抽查任务): what is drawn from the directory and how.

    ``scope`` filters the directory (directed draw; empty for undirected),
    ``params`` is the selection design in the engine's dict form
    (``suiji_draw.DrawParams.from_dict``), ``weights`` the risk weights per
    credit class and list flag for a weighted design.
    """

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="tasks"
    )
    department = models.ForeignKey(
        "orgs.Department", verbose_name=_("lead department"), on_delete=models.PROTECT, related_name="tasks"
    )
    name = models.CharField(_("name"), max_length=200)
    notice = models.TextField(_("task notice"), blank=True)
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    params = models.JSONField(_("selection parameters"), default=dict)
    stratify_by = models.CharField(
        _("strata"), max_length=20, choices=StratifyBy.choices, default=StratifyBy.CREDIT_CLASS
    )
    weights = models.JSONField(_("risk weights"), default=dict, blank=True)
    force_complaints = models.PositiveIntegerField(
        _("force in firms with at least this many complaints"), null=True, blank=True
    )
    is_public = models.BooleanField(_("public task"), default=True)
    selection_publication = models.CharField(
        _("publication of the selected list"),
        max_length=20,
        choices=SelectionPublication.choices,
        default=SelectionPublication.WITH_NOTICE,
    )
    state = models.CharField(_("state"), max_length=20, choices=TaskState.choices, default=TaskState.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    checks_done = models.BooleanField(_("checks done"), default=False)
    plan_line = models.ForeignKey(
        "plans.PlanLine",
        verbose_name=_("plan line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        help_text=_("Empty for an ad-hoc task (临时任务)."),
    )
    items = models.ManyToManyField(
        "catalog.ItemVersion",
        verbose_name=_("inspection items"),
        blank=True,
        related_name="tasks",
        help_text=_("Every item checked at each visit; in a joint task, the items of every department."),
    )
    window_start = models.DateField(_("checks from"), null=True, blank=True)
    window_end = models.DateField(_("checks until"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.name

    def selection_is_public(self) -> bool:
        return self.is_public and (self.selection_publication == SelectionPublication.WITH_NOTICE or self.checks_done)


class ParticipantState(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class TaskParticipant(models.Model):
    """A department invited into a joint task (部门联合抽查) by the lead department.

    The lead department is ``Task.department`` and is not a participant row.
    An accepted participant adds its items to ``Task.items`` and its
    inspectors to the matching pool; each department sees its own share.
    """

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="participants")
    department = models.ForeignKey(
        "orgs.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="joint_tasks"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=ParticipantState.choices, default=ParticipantState.INVITED
    )
    invited_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["task", "department"]
        verbose_name = _("participating department")
        verbose_name_plural = _("participating departments")
        constraints = [models.UniqueConstraint(fields=["task", "department"], name="draws_participant_unique")]

    def __str__(self) -> str:
        return f"{self.task} / {self.department}"

    @property
    def organisation_id(self) -> int:
        """The task's organisation, so audit entries are scoped to it."""
        return self.task.organisation_id


class DrawState(models.TextChoices):
    COMMITTED = "committed", _("Committed, waiting for the ceremony")
    DRAWING = "drawing", _("Drawing")
    DRAWN = "drawn", _("Drawn")
    VOIDED = "voided", _("Voided")


class Draw(models.Model):
    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.PROTECT, related_name="draws")
    number = models.PositiveSmallIntegerField(_("number"))
    state = models.CharField(_("state"), max_length=20, choices=DrawState.choices, default=DrawState.COMMITTED)
    pool_size = models.PositiveIntegerField(_("candidates"))
    #: The number of selections (visits) written at the ceremony, with them; a drawn draw is never edited.
    selected = models.PositiveIntegerField(_("selected"), default=0)
    pool_digest = models.CharField(_("candidate list digest"), max_length=64)
    candidates_file = models.CharField(max_length=255)
    params_digest = models.CharField(_("parameters digest"), max_length=64)
    commitment = models.CharField(_("commitment"), max_length=64)
    secret = models.CharField(max_length=64, editable=False)
    announcement = models.TextField(_("announcement"))
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("committed by"), on_delete=models.PROTECT, related_name="+"
    )
    committed_at = models.DateTimeField(_("committed at"))
    seed = models.CharField(_("seed"), max_length=64, blank=True)
    manifest = models.TextField(_("manifest"), blank=True)
    manifest_digest = models.CharField(_("manifest digest"), max_length=64, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    void_reason = models.TextField(_("reason for voiding"), blank=True)
    void_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("void requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    void_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("void approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        ordering = ["task", "number"]
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        constraints = [
            models.UniqueConstraint(fields=["task", "number"], name="draw_unique_number"),
            models.UniqueConstraint(fields=["task"], condition=~Q(state="voided"), name="draw_one_live_per_task"),
        ]

    def __str__(self) -> str:
        return f"{self.task.name} #{self.number}"

    @property
    def organisation_id(self) -> int:
        return self.task.organisation_id


class Witness(models.Model):
    """A person who witnessed the ceremony (纪检监察, 公证, 人大代表 …)."""

    draw = models.ForeignKey(Draw, verbose_name=_("draw"), on_delete=models.PROTECT, related_name="witnesses")
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=100)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)

    class Meta:
        ordering = ["draw", "id"]
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"

    @property
    def organisation_id(self) -> int:
        return self.draw.task.organisation_id


class Selection(models.Model):
    """One selected candidate of a draw, in the order the draw gave (R2: order by lot)."""

    # No index of its own: the unique (draw, position) constraint's index leads with the draw.
    draw = models.ForeignKey(
        Draw, verbose_name=_("draw"), on_delete=models.PROTECT, related_name="selections", db_index=False
    )
    position = models.PositiveIntegerField(_("position"))
    key = models.CharField(_("USCC / registration number"), max_length=128)
    target = models.ForeignKey(
        "directory.Target", verbose_name=_("target"), null=True, blank=True, on_delete=models.SET_NULL
    )
    stratum = models.CharField(_("stratum"), max_length=64, blank=True)
    forced = models.CharField(_("forced in because"), max_length=64, blank=True)

    class Meta:
        ordering = ["draw", "position"]
        verbose_name = _("selected target")
        verbose_name_plural = _("selected targets")
        constraints = [
            models.UniqueConstraint(fields=["draw", "position"], name="selection_unique_position"),
            models.UniqueConstraint(fields=["draw", "key"], name="selection_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.key}"
