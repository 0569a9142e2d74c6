"""Oversight: the task summary (004 三(三)), e-mail alert settings and the log of alerts sent."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class SummaryState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FILED = "filed", _("Filed")


class TaskSummary(models.Model):
    """The summary of a task written after its checks (within 10 working days of its end); filed = immutable."""

    task = models.OneToOneField(
        "draws.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="oversight_summary"
    )
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("summary"))
    state = models.CharField(_("state"), max_length=10, choices=SummaryState.choices, default=SummaryState.DRAFT)
    due = models.DateField(_("due"), null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("edited by"), on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(_("edited at"), auto_now=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task summary")
        verbose_name_plural = _("task summaries")

    def __str__(self) -> str:
        return f"{self.task}: {self.get_state_display()}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk and TaskSummary.objects.filter(pk=self.pk, state=SummaryState.FILED).exists():
            raise ValidationError(_("A filed summary is never edited."))
        super().save(*args, **kwargs)


class AlertSettings(models.Model):
    """Whether an organisation's users get their deadline alerts by e-mail."""

    organisation = models.OneToOneField(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="alert_settings"
    )
    email_enabled = models.BooleanField(_("send deadline alerts by e-mail"), default=False)

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.email_enabled}"


class AlertSent(models.Model):
    """One alert e-mailed to one user on one day: the same alert is not sent twice the same day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("alert"), max_length=120)
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("alert sent")
        verbose_name_plural = _("alerts sent")
        constraints = [models.UniqueConstraint(fields=["user", "key", "day"], name="oversight_alert_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} {self.day}"


class FigureSnapshot(models.Model):
    """The dashboard's figures for one scope, as last computed (see ``oversight.stats.indicators``).

    A snapshot is *current* while the audit chain's head and the day are those it was computed
    at; otherwise it may still be served, marked with its time, for up to
    ``SUIJI_OVERSIGHT_STALE_SECONDS`` while a background job computes a new one.
    """

    key = models.CharField(_("scope key"), max_length=200, unique=True)
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    audit_seq = models.BigIntegerField(_("audit chain position"))
    audit_hash = models.CharField(_("audit chain head"), max_length=64, blank=True)
    day = models.DateField(_("day computed"))
    computed_at = models.DateTimeField(_("computed at"))
    seconds = models.FloatField(_("computing time, s"), default=0)
    data = models.JSONField(_("figures"), encoder=DjangoJSONEncoder)
    refresh_queued_at = models.DateTimeField(_("refresh queued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("figure snapshot")
        verbose_name_plural = _("figure snapshots")

    def __str__(self) -> str:
        return f"{self.key} @ {self.computed_at:%Y-%m-%d %H:%M:%S}"
