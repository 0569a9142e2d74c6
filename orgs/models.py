"""Organisations (province > city > county), their departments, and units inside departments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")


LEVEL_RANK = {OrgLevel.PROVINCE: 0, OrgLevel.CITY: 1, OrgLevel.COUNTY: 2}


class Organisation(models.Model):
    """A government at one level; it owns data and its users see it and its descendants.

    ``path`` is the materialised chain of ids (``/1/4/9/``) so that "this
    organisation and everything below it" is one indexed prefix query.
    """

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=OrgLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    division = models.ForeignKey(
        "refdata.Division", verbose_name=_("administrative division"), null=True, blank=True, on_delete=models.PROTECT
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    publication_days = models.PositiveSmallIntegerField(
        _("publication deadline (working days)"),
        default=20,
        help_text=_(
            "Results are published within this many working days of the check (20 by default, 7 in some places)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[override]
        super().save(*args, **kwargs)
        new_path = (self.parent.path if self.parent else "/") + f"{self.pk}/"
        if new_path != self.path:
            old_path = self.path
            self.path = new_path
            Organisation.objects.filter(pk=self.pk).update(path=new_path)
            if old_path:
                for child in Organisation.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                    child.save()

    def clean(self) -> None:
        if self.parent is not None:
            if LEVEL_RANK[self.parent.level] >= LEVEL_RANK[self.level]:
                raise ValidationError({"parent": _("A parent organisation must be at a higher level.")})
            node = self.parent
            while node is not None:
                if self.pk is not None and node.pk == self.pk:
                    raise ValidationError({"parent": _("An organisation cannot be its own ancestor.")})
                node = node.parent

    def subtree(self) -> models.QuerySet[Organisation]:
        return Organisation.objects.filter(path__startswith=self.path)

    def ancestors(self) -> list[Organisation]:
        out = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return list(reversed(out))


class DepartmentKind(models.TextChoices):
    MARKET = "market", _("Market regulation (市场监管)")
    DEVELOPMENT = "development", _("Development and reform (发展改革)")
    EDUCATION = "education", _("Education (教育)")
    PUBLIC_SECURITY = "public_security", _("Public security (公安)")
    FINANCE = "finance", _("Finance (财政)")
    HUMAN_RESOURCES = "human_resources", _("Human resources and social security (人社)")
    ENVIRONMENT = "environment", _("Ecology and environment (生态环境)")
    HOUSING = "housing", _("Housing and construction (住建)")
    TRANSPORT = "transport", _("Transport (交通运输)")
    AGRICULTURE = "agriculture", _("Agriculture and rural affairs (农业农村)")
    COMMERCE = "commerce", _("Commerce (商务)")
    CULTURE_TOURISM = "culture_tourism", _("Culture and tourism (文旅)")
    HEALTH = "health", _("Health (卫健)")
    EMERGENCY = "emergency", _("Emergency management (应急)")
    STATISTICS = "statistics", _("Statistics (统计)")
    TAXATION = "taxation", _("Taxation (税务)")
    NATURAL_RESOURCES = "natural_resources", _("Natural resources (自然资源)")
    WATER = "water", _("Water resources (水利)")
    FIRE = "fire", _("Fire and rescue (消防救援)")
    TOBACCO = "tobacco", _("Tobacco monopoly (烟草专卖)")
    OTHER = "other", _("Other")


class Department(models.Model):
    """A department of an organisation's government (市场监管局, 税务局, …)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="departments"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=DepartmentKind.choices)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation__path", "kind", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="department_unique_name")]

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    SECTION = "section", _("Section (股室)")
    STATION = "station", _("Market supervision station (市场监管所)")
    BRIGADE = "brigade", _("Enforcement brigade (执法大队)")
    OTHER = "other", _("Other unit")


class Unit(models.Model):
    """A unit inside a department: a section, a field station or an enforcement brigade."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="units"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=100)
    division = models.ForeignKey(
        "refdata.Division",
        verbose_name=_("area served"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("For a station: the area it covers."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["department", "kind", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [models.UniqueConstraint(fields=["department", "name"], name="unit_unique_name")]

    def __str__(self) -> str:
        return f"{self.department.name} {self.name}"

    @property
    def organisation_id(self) -> int:
        return self.department.organisation_id
