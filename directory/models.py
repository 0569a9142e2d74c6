"""The two directories: targets (检查对象名录库) and inspectors (执法检查人员名录库)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class TargetKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise (企业)")
    INDIVIDUAL = "individual", _("Individual business (个体工商户)")
    COOPERATIVE = "cooperative", _("Farmers' cooperative (农民专业合作社)")
    BRANCH = "branch", _("Branch (分支机构)")
    FOREIGN = "foreign", _("Foreign-invested enterprise (外商投资企业)")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution (事业单位)")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation (社会组织)")
    PRODUCT = "product", _("Product (产品)")
    PROJECT = "project", _("Project (项目)")
    BEHAVIOUR = "behaviour", _("Behaviour (行为)")
    OTHER = "other", _("Other object")


class TargetStatus(models.TextChoices):
    ACTIVE = "active", _("Active (存续)")
    OPERATING = "operating", _("Operating (在业)")
    SUSPENDED = "suspended", _("Suspended (停业)")
    LIQUIDATION = "liquidation", _("In liquidation (清算)")
    MOVED_OUT = "moved_out", _("Moved out (迁出)")
    REVOKED = "revoked", _("Licence revoked (吊销)")
    DEREGISTERED = "deregistered", _("Deregistered (注销)")


class CreditClass(models.TextChoices):
    A = "A", _("A (low risk)")
    B = "B", _("B (ordinary risk)")
    C = "C", _("C (elevated risk)")
    D = "D", _("D (high risk)")


class Target(models.Model):
    """A market entity or other object that may be drawn for inspection.

    ``key`` is its stable registry identifier: the 18-character USCC, or the
    15-digit registration number older individual businesses still have. Draws
    are keyed by it, never by the database id.
    """

    # The foreign keys below carry no index of their own: an index of Meta.indexes leads with
    # each (organisation + class; region + class + …; industry), and a second one would only
    # cost every insert and every bulk load.
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        related_name="targets",
        db_index=False,
    )
    key = models.CharField(_("USCC / registration number"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    kind = models.CharField(_("kind"), max_length=30, choices=TargetKind.choices, default=TargetKind.ENTERPRISE)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    business_scope = models.TextField(_("business scope"), blank=True)
    industry = models.ForeignKey(
        "refdata.Industry",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    region = models.ForeignKey(
        "refdata.Division",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    registration_authority = models.CharField(_("registration authority"), max_length=100, blank=True)
    founded = models.DateField(_("founding date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=TargetStatus.choices, default=TargetStatus.ACTIVE)
    credit_class = models.CharField(_("credit risk class"), max_length=1, choices=CreditClass.choices, default="B")
    abnormal_operation = models.BooleanField(_("on the abnormal-operation list"), default=False)
    serious_violation = models.BooleanField(_("on the serious-violation list"), default=False)
    complaint_count = models.PositiveIntegerField(_("complaints"), default=0)
    supervising_departments = models.ManyToManyField(
        "orgs.Department", verbose_name=_("supervising departments"), blank=True, related_name="supervised_targets"
    )
    tags = models.ManyToManyField("directory.Tag", verbose_name=_("tags"), blank=True, related_name="targets")
    updated = models.DateTimeField(_("updated"), auto_now=True)
    draw_digest = models.BigIntegerField(
        _("draw digest"),
        null=True,
        editable=False,
        help_text=_("suiji_draw.candidate_digest(key), computed once so draws need not hash every key."),
    )

    class Meta:
        ordering = ["key"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        indexes = [
            models.Index(fields=["organisation", "credit_class"]),
            # Region + class (+ industry) filters: the page in key order and the count from the index alone.
            models.Index(
                fields=["region", "credit_class", "key", "industry", "organisation"], name="target_region_class_idx"
            ),
            models.Index(fields=["industry"]),
            models.Index(fields=["status"]),
            # Filters of the directory search (directory/search.py).
            models.Index(fields=["kind"], name="target_kind_idx"),
            models.Index(fields=["founded"], name="target_founded_idx"),
            models.Index(fields=["complaint_count"], name="target_complaints_idx"),
            models.Index(fields=["registration_authority"], name="target_authority_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from suiji_draw import candidate_digest

        self.draw_digest = candidate_digest(self.key)
        super().save(*args, **kwargs)


class Expertise(models.Model):
    """A field of expertise an item may require and an inspector may have (食品, 特种设备, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("expertise")
        verbose_name_plural = _("expertise")

    def __str__(self) -> str:
        return self.name


class InspectorStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LEAVE = "leave", _("On leave")
    TRANSFERRED = "transferred", _("Transferred")
    RETIRED = "retired", _("Retired")


class CertificateKind(models.TextChoices):
    ADMINISTRATIVE = "administrative", _("Administrative enforcement certificate (行政执法证)")
    MARKET = "market", _("Market regulation enforcement certificate (市场监管执法证)")
    OTHER = "other", _("Other certificate")


class Inspector(models.Model):
    """An enforcement officer in the inspector directory."""

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="inspectors"
    )
    department = models.ForeignKey("orgs.Department", verbose_name=_("department"), on_delete=models.PROTECT)
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT)
    user = models.OneToOneField(
        "accounts.User",
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspector",
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.CharField(_("position"), max_length=100, blank=True)
    expertise = models.ManyToManyField(Expertise, verbose_name=_("expertise"), blank=True)
    certificate_no = models.CharField(_("enforcement certificate number"), max_length=40, blank=True, db_index=True)
    certificate_expiry = models.DateField(_("certificate expiry"), null=True, blank=True)
    region = models.ForeignKey(
        "refdata.Division", verbose_name=_("home area"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(
        _("status"), max_length=20, choices=InspectorStatus.choices, default=InspectorStatus.ACTIVE
    )
    certificate_kind = models.CharField(
        _("certificate kind"), max_length=20, choices=CertificateKind.choices, default=CertificateKind.ADMINISTRATIVE
    )
    is_team_leader_eligible = models.BooleanField(_("may lead a team"), default=False)

    class Meta:
        ordering = ["organisation", "department", "name"]
        verbose_name = _("inspector")
        verbose_name_plural = _("inspectors")
        indexes = [models.Index(fields=["organisation", "status"], name="inspector_org_status_idx")]

    def __str__(self) -> str:
        return self.name

    def certificate_valid(self, on: dt.date | None = None) -> bool:
        """A certificate number is recorded and not expired on ``on`` (no expiry recorded counts as valid)."""
        on = on or dt.date.today()
        return bool(self.certificate_no) and (self.certificate_expiry is None or self.certificate_expiry >= on)

    def eligible_for_draw(self, on: dt.date | None = None) -> bool:
        """May be drawn: active, with a valid enforcement certificate (used by inspector matching)."""
        return self.status == InspectorStatus.ACTIVE and self.certificate_valid(on)


class TargetChange(models.Model):
    """What one import (or other bulk operation) changed on one target: fields before and after."""

    target = models.ForeignKey(Target, verbose_name=_("target"), on_delete=models.CASCADE, related_name="changes")
    job = models.ForeignKey(
        "jobs.Job", verbose_name=_("job"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.TextField(_("before"), blank=True, help_text=_("Changed fields as JSON."))
    after = models.TextField(_("after"), blank=True, help_text=_("Changed fields as JSON."))
    actor = models.ForeignKey(
        "accounts.User", verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("target change")
        verbose_name_plural = _("target changes")

    def __str__(self) -> str:
        return f"{self.target_id} @ {self.at:%Y-%m-%d %H:%M}"


class Tag(models.Model):
    """A free label on targets (重点监管, 食品生产, …), searchable in the directory."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Expert(models.Model):
    """A specialist in the expert directory (专家名录库), drawn to help with specialised checks.

    The phone number is for the organisation's own use: it is never published and
    is shown only to those who manage the directory.
    """

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="experts"
    )
    name = models.CharField(_("name"), max_length=100)
    employer = models.CharField(_("employer or institution"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    expertise = models.ManyToManyField(Expertise, verbose_name=_("expertise"), blank=True, related_name="experts")
    phone = models.CharField(_("phone (not published)"), max_length=40, blank=True)
    region = models.ForeignKey(
        "refdata.Division", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(
        _("status"), max_length=20, choices=InspectorStatus.choices, default=InspectorStatus.ACTIVE
    )

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        indexes = [models.Index(fields=["organisation", "status"], name="expert_org_status_idx")]

    def __str__(self) -> str:
        return self.name

    def eligible_for_draw(self, on: dt.date | None = None) -> bool:
        return self.status == InspectorStatus.ACTIVE


class Conflict(models.Model):
    """A declared conflict of interest (回避): a firm or person an inspector or expert must not inspect.

    One model serves both directories: exactly one of ``inspector`` and
    ``expert`` is set. The other party is a target of the directory or, when it
    is not in the directory (a person, a firm elsewhere), a name with an
    optional USCC. A conflict is never deleted: withdrawing it records who, when
    and why, so the history of declarations stays.
    """

    inspector = models.ForeignKey(
        Inspector,
        verbose_name=_("inspector"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="conflicts",
    )
    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), null=True, blank=True, on_delete=models.CASCADE, related_name="conflicts"
    )
    target = models.ForeignKey(
        Target, verbose_name=_("target"), null=True, blank=True, on_delete=models.CASCADE, related_name="conflicts"
    )
    party_name = models.CharField(_("person or firm"), max_length=200, blank=True)
    party_uscc = models.CharField(_("USCC"), max_length=18, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=300)
    declared_at = models.DateField(_("declared on"), default=dt.date.today)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    declared_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdraw_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    class Meta:
        ordering = ["-declared_at", "-pk"]
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(inspector__isnull=False, expert__isnull=True)
                    | models.Q(inspector__isnull=True, expert__isnull=False)
                ),
                name="conflict_one_person",
            ),
            models.CheckConstraint(
                condition=models.Q(target__isnull=False) | ~models.Q(party_name=""),
                name="conflict_has_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspector or self.expert} / {self.party}"

    @property
    def party(self) -> str:
        if self.target_id:
            return str(self.target)
        return f"{self.party_name} ({self.party_uscc})" if self.party_uscc else self.party_name

    @property
    def organisation_id(self) -> int | None:  # for the audit trail's organisation column
        person = self.inspector or self.expert
        return person.organisation_id if person else None

    def is_active(self, on: dt.date | None = None) -> bool:
        on = on or dt.date.today()
        return self.withdrawn_at is None and (self.valid_until is None or self.valid_until >= on)


class UnitStaffing(models.Model):
    """A unit's declared number of enforcement staff, the denominator of its 入库率 (entry rate)."""

    unit = models.OneToOneField("orgs.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="staffing")
    enforcement_staff = models.PositiveIntegerField(_("enforcement staff"))
    as_of = models.DateField(_("as of"), default=dt.date.today)

    class Meta:
        verbose_name = _("unit staffing")
        verbose_name_plural = _("unit staffing")

    def __str__(self) -> str:
        return f"{self.unit}: {self.enforcement_staff}"

    @property
    def organisation_id(self) -> int:  # for the audit trail's organisation column
        return self.unit.department.organisation_id
