"""Inspection records (检查记录), results (抽查结果), their approval and publication, and follow-up.

One :class:`Record` per visit: a task's drawn target, every item of the visit
in one form (sections per department in a joint visit). Results are created
only when the record is submitted, never pre-filled. A published result is
never edited: a correction is a new version, and the old one stays visible.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RecordState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, waiting for approval")
    APPROVED = "approved", _("Approved, waiting for publication")
    PUBLISHED = "published", _("Published")
    RETURNED = "returned", _("Returned to the inspector")


class SignatureKind(models.TextChoices):
    SCAN = "scan", _("Uploaded scan of the signature or seal")
    DRAWN = "drawn", _("Signature drawn on the device")
    MISSING = "missing", _("No signature or seal (reason recorded)")


class NonCooperation(models.TextChoices):
    """The four cases of non-cooperation (003 第十九条)."""

    NONE = "", _("None")
    REFUSED_ENTRY = "refused_entry", _("Refused entry to the inspected premises")
    REFUSED_MATERIALS = "refused_materials", _("Refused to provide the relevant materials")
    FALSE_MATERIALS = "false_materials", _("Provided untrue information or materials, or not as required")
    OBSTRUCTION = "obstruction", _("Other obstruction that prevented the check")


class Outcome(models.TextChoices):
    OK = "ok", _("No problem")
    PROBLEM = "problem", _("Problem found")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ResultCategory(models.TextChoices):
    """The eight categories of 003 第二十条 (R16), the registry states, and non-enterprise outcomes."""

    NO_PROBLEM = "no_problem", _("No problem found (未发现问题)")
    NOT_PUBLICISED = "not_publicised", _("Information required to be publicised was not (未按规定公示应当公示的信息)")
    FALSE_PUBLICITY = (
        "false_publicity",
        _("Publicised information concealed the truth or was false (公示信息隐瞒真实情况弄虚作假)"),
    )
    UNREACHABLE = "unreachable", _("Cannot be reached at the registered address (通过登记的住所(经营场所)无法联系)")
    CORRECTED = "ordered_to_correct", _("Problem found and ordered to correct (发现问题已责令改正)")
    NON_COOPERATION = "non_cooperation", _("Serious non-cooperation with the check (不配合检查情节严重)")
    NO_ACTIVITY = "no_activity", _("The activity checked was not found (未发现开展本次抽查涉及的经营活动)")
    PENDING = "pending_follow_up", _("Problem found, follow-up pending (发现问题待后续处理)")
    DEREGISTERED = "deregistered", _("Firm deregistered (已注销)")
    REVOKED = "revoked", _("Licence revoked (已吊销)")
    MOVED_OUT = "moved_out", _("Moved out (已迁出)")
    LIQUIDATION = "liquidation", _("In liquidation (清算中)")
    COMPLIANT = "compliant", _("Non-enterprise object: meets the requirements (符合要求)")
    NON_COMPLIANT = "non_compliant", _("Non-enterprise object: does not meet the requirements (不符合要求)")


R16_CATEGORIES = frozenset(
    {
        ResultCategory.NO_PROBLEM,
        ResultCategory.NOT_PUBLICISED,
        ResultCategory.FALSE_PUBLICITY,
        ResultCategory.UNREACHABLE,
        ResultCategory.CORRECTED,
        ResultCategory.NON_COOPERATION,
        ResultCategory.NO_ACTIVITY,
        ResultCategory.PENDING,
    }
)
PROBLEM_CATEGORIES = frozenset(
    {
        ResultCategory.NOT_PUBLICISED,
        ResultCategory.FALSE_PUBLICITY,
        ResultCategory.UNREACHABLE,
        ResultCategory.CORRECTED,
        ResultCategory.NON_COOPERATION,
        ResultCategory.PENDING,
        ResultCategory.NON_COMPLIANT,
    }
)
# Findings that the law lists in the abnormal-operation list; an order to correct may not replace it (003 第十八条).
ABNORMAL_LISTING_CATEGORIES = frozenset(
    {ResultCategory.NOT_PUBLICISED, ResultCategory.FALSE_PUBLICITY, ResultCategory.UNREACHABLE}
)


class Record(models.Model):
    """The record form of one visit: a drawn target of a task, every item of the visit."""

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    task = models.ForeignKey("draws.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="records")
    selection = models.ForeignKey(
        "draws.Selection", verbose_name=_("selected target"), on_delete=models.PROTECT, related_name="records"
    )
    target = models.ForeignKey(
        "directory.Target", verbose_name=_("target"), on_delete=models.PROTECT, related_name="inspection_records"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=RecordState.choices, default=RecordState.DRAFT, db_index=True
    )
    items = models.ManyToManyField("catalog.ItemVersion", verbose_name=_("items checked"), related_name="+")
    methods = models.JSONField(_("methods"), default=list, blank=True)
    checked_on = models.DateField(_("date of the check"))
    place = models.CharField(_("place of the check"), max_length=300, blank=True)
    summary = models.TextField(_("what was found"), blank=True)
    signature_kind = models.CharField(_("signature"), max_length=10, choices=SignatureKind.choices)
    signature_file = models.CharField(_("signature image"), max_length=255, blank=True)
    signature_missing_reason = models.CharField(_("why there is no signature"), max_length=500, blank=True)
    non_cooperation = models.CharField(
        _("non-cooperation"), max_length=20, choices=NonCooperation.choices, default="", blank=True
    )
    non_cooperation_evidence = models.TextField(_("evidence of non-cooperation"), blank=True)
    idempotency_key = models.CharField(_("submission key"), max_length=64, unique=True)
    source = models.CharField(_("entered through"), max_length=20, default="web")
    source_system = models.CharField(_("submitting system"), max_length=100, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(_("check completed"), null=True, blank=True)
    publish_deadline = models.DateField(_("publication deadline"), null=True, blank=True, db_index=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    return_reason = models.CharField(_("reason for returning"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_late = models.BooleanField(_("published after the deadline"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("inspection record")
        verbose_name_plural = _("inspection records")
        constraints = [models.UniqueConstraint(fields=["task", "target"], name="inspections_one_record_per_visit")]
        indexes = [
            # Progress per task (oversight figures, deadline alerts) counted from the index alone, and
            # the firms checked by two or more departments grouped without reading the table.
            models.Index(
                fields=["task", "state", "published_late", "publish_deadline", "target"],
                name="inspections_record_progress",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} / {self.target}"


class Finding(models.Model):
    """The finding at one check point of the record form."""

    record = models.ForeignKey(Record, verbose_name=_("record"), on_delete=models.CASCADE, related_name="findings")
    checkpoint = models.ForeignKey(
        "catalog.CheckPoint", verbose_name=_("check point"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("finding"), max_length=20, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["record", "checkpoint__version", "checkpoint__order"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [models.UniqueConstraint(fields=["record", "checkpoint"], name="inspections_one_finding")]

    def __str__(self) -> str:
        return f"{self.checkpoint_id}: {self.outcome}"

    @property
    def organisation_id(self) -> int:
        return self.record.organisation_id


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    DOCUMENT = "document", _("Document")
    EVIDENCE = "evidence", _("Evidence of non-cooperation")


class Attachment(models.Model):
    """A photo, video or document of a record, stored through Django's storage API."""

    record = models.ForeignKey(Record, verbose_name=_("record"), on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    file = models.CharField(_("stored file"), max_length=255)
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["record", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def organisation_id(self) -> int:
        return self.record.organisation_id


class ResultState(models.TextChoices):
    SUBMITTED = "submitted", _("Entered, waiting for approval")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


class Result(models.Model):
    """The result for one target and item; published versions are never edited."""

    record = models.ForeignKey(Record, verbose_name=_("record"), on_delete=models.PROTECT, related_name="results")
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    target = models.ForeignKey(
        "directory.Target", verbose_name=_("target"), on_delete=models.PROTECT, related_name="inspection_results"
    )
    item_version = models.ForeignKey(
        "catalog.ItemVersion", verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("result"), max_length=30, choices=ResultCategory.choices)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    # No index of its own: "published" is nearly every row, and SQLite (without ANALYZE statistics) would
    # pick a state index over the partial index below and sort every published row for each page.
    state = models.CharField(_("state"), max_length=12, choices=ResultState.choices, default=ResultState.SUBMITTED)
    # Indexed only where set (see Meta): a plain index would make "IS NULL" look selective to
    # SQLite's planner, which then scans it instead of the partial index of current results.
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("corrected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    correction_reason = models.CharField(_("reason for the correction"), max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["record", "item_version", "version"]
        verbose_name = _("result")
        verbose_name_plural = _("results")
        indexes = [
            # The portal's result notices: newest published first, LIMIT stops early, no sort of every row.
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(state="published"),
                name="inspections_result_public",
            ),
            # Oversight's problem-discovery figures: the current results of a category, by record.
            models.Index(
                fields=["category", "record"],
                condition=Q(superseded_by__isnull=True),
                name="inspections_result_current",
            ),
            models.Index(
                fields=["superseded_by"],
                condition=Q(superseded_by__isnull=False),
                name="inspections_result_superseded",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["record", "item_version", "version"], name="inspections_result_version"),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False, approved_by__isnull=False),
                name="inspections_published_was_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} / {self.item_version}: {self.get_category_display()} (v{self.version})"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk:
            old = Result.objects.filter(pk=self.pk).values("state", "category", "item_version_id", "version").first()
            if old and old["state"] == ResultState.PUBLISHED:
                changed = (old["category"], old["item_version_id"], old["version"]) != (
                    self.category,
                    self.item_version_id,
                    self.version,
                )
                if changed or self.state != ResultState.PUBLISHED:
                    raise ValidationError(_("A published result is never edited: enter a correction instead."))
        super().save(*args, **kwargs)

    @property
    def is_problem(self) -> bool:
        return self.category in PROBLEM_CATEGORIES


class FollowUpKind(models.TextChoices):
    REFERRAL = "referral", _("Referral to the owning unit (谁管辖谁负责)")
    ABNORMAL_LISTING = "abnormal_listing", _("Listing in the abnormal-operation list")
    CASE = "case", _("Case filing (立案查处)")
    TRANSFER = "transfer", _("Transfer to another authority")
    CRIMINAL = "criminal", _("Criminal referral to the judicial authorities")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class FollowUp(models.Model):
    """A follow-up (后续监管) of a result, tracked to closure."""

    result = models.ForeignKey(Result, verbose_name=_("result"), on_delete=models.PROTECT, related_name="follow_ups")
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FollowUpKind.choices)
    owner = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("responsible organisation"), on_delete=models.PROTECT, related_name="+"
    )
    owner_unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("responsible unit"), null=True, blank=True, on_delete=models.PROTECT
    )
    other_authority = models.CharField(_("receiving authority"), max_length=200, blank=True)
    deadline = models.DateField(_("deadline"))
    note = models.TextField(_("note"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=FollowUpState.choices, default=FollowUpState.OPEN)
    closure_note = models.TextField(_("closure"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["state", "deadline", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.result.target}"


class RiskRule(models.Model):
    """How a published problem result changes the firm's risk data, per organisation and category."""

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("result"), max_length=30, choices=ResultCategory.choices)
    raise_credit_class = models.PositiveSmallIntegerField(_("raise the credit risk class by (steps)"), default=0)
    complaint_weight = models.PositiveSmallIntegerField(_("add complaint-equivalent weight"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation", "category"]
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        constraints = [models.UniqueConstraint(fields=["organisation", "category"], name="inspections_one_rule")]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.category}"
