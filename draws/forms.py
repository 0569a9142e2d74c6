from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import ItemVersion
from directory.models import CreditClass, TargetStatus
from draws.models import SelectionPublication, StratifyBy

CLASSES = CreditClass.values


def exclude_days_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Leave out firms inspected within this many days (无事不扰)"),
        required=False,
        min_value=1,
        max_value=3650,
    )


class RiskFields(forms.Form):
    """The risk policy both task forms share: a weight per credit class, and firms forced in by complaints."""

    weight_A = forms.IntegerField(label="A", required=False, min_value=1, max_value=1000, initial=1)
    weight_B = forms.IntegerField(label="B", required=False, min_value=1, max_value=1000, initial=2)
    weight_C = forms.IntegerField(label="C", required=False, min_value=1, max_value=1000, initial=4)
    weight_D = forms.IntegerField(label="D", required=False, min_value=1, max_value=1000, initial=8)
    force_complaints = forms.IntegerField(
        label=_("Always include firms with at least this many complaints"), required=False, min_value=1, max_value=1000
    )


class TaskForm(RiskFields):
    """The ad-hoc task form: scope, selection design and publication, turned into the engine's parameters."""

    name = forms.CharField(label=_("Name"), max_length=200)
    department = forms.ModelChoiceField(label=_("Lead department"), queryset=None)
    notice = forms.CharField(label=_("Task notice"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    regions = forms.CharField(label=_("Regions (division codes, separated by spaces)"), required=False, max_length=500)
    credit_classes = forms.MultipleChoiceField(
        label=_("Credit risk classes"), choices=CreditClass.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    statuses = forms.MultipleChoiceField(
        label=_("Registration status"),
        choices=TargetStatus.choices,
        required=False,
        initial=[TargetStatus.ACTIVE, TargetStatus.OPERATING],
        widget=forms.CheckboxSelectMultiple,
    )
    method = forms.ChoiceField(
        label=_("Selection method"), choices=[("uniform", _("Simple random")), ("weighted", _("Weighted by risk"))]
    )
    allocation = forms.ChoiceField(
        label=_("Allocation"),
        choices=[
            ("ratio", _("One ratio for all")),
            ("count", _("A number of targets")),
            ("by_class", _("A ratio per credit class")),
        ],
    )
    ratio = forms.CharField(label=_("Ratio (e.g. 0.05 for 5%)"), required=False, max_length=12)
    count = forms.IntegerField(label=_("Number of targets"), required=False, min_value=1)
    ratio_A = forms.CharField(label="A", required=False, max_length=12)
    ratio_B = forms.CharField(label="B", required=False, max_length=12)
    ratio_C = forms.CharField(label="C", required=False, max_length=12)
    ratio_D = forms.CharField(label="D", required=False, max_length=12)
    is_public = forms.BooleanField(label=_("Public task"), required=False, initial=True)
    selection_publication = forms.ChoiceField(label=_("Selected list"), choices=SelectionPublication.choices)
    items = forms.ModelMultipleChoiceField(
        label=_("Inspection items"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    exclude_inspected_days = exclude_days_field()

    def __init__(self, *args: Any, departments: Any = None, items: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["items"].queryset = items if items is not None else ItemVersion.objects.none()

    def _ratio(self, name: str) -> str:
        raw = (self.cleaned_data.get(name) or "").strip().rstrip("%")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError({name: _("Enter a decimal ratio such as 0.05.")}) from None
        if (self.cleaned_data.get(name) or "").strip().endswith("%"):
            value = value / 100
        if not Decimal("0.05") <= value <= 1:
            raise forms.ValidationError({name: _("A ratio must be at least 5% and at most 100%.")})
        return format(value.normalize(), "f")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        regions = (data.get("regions") or "").split()
        if any(not r.isdigit() or len(r) not in (2, 4, 6) for r in regions):
            raise forms.ValidationError({"regions": _("Region codes are 2, 4 or 6 digits.")})
        scope: dict[str, Any] = {"statuses": data.get("statuses") or [TargetStatus.ACTIVE, TargetStatus.OPERATING]}
        if regions:
            scope["regions"] = regions
        if data.get("credit_classes"):
            scope["credit_classes"] = data["credit_classes"]
        if data.get("exclude_inspected_days"):
            scope["exclude_inspected_days"] = data["exclude_inspected_days"]
        allocation = data["allocation"]
        part: dict[str, Any] = {
            "name": "main",
            "method": data["method"],
            "recent": "keep",
            "overall": None,
            "strata": [],
        }
        stratify_by = StratifyBy.NONE
        if allocation == "ratio":
            part["overall"] = {"ratio": self._ratio("ratio")}
        elif allocation == "count":
            if not data.get("count"):
                raise forms.ValidationError({"count": _("Enter the number of targets.")})
            part["overall"] = {"count": data["count"]}
        else:
            stratify_by = StratifyBy.CREDIT_CLASS
            chosen = data.get("credit_classes") or CLASSES
            for cls in chosen:
                part["strata"].append({"stratum": cls, "ratio": self._ratio(f"ratio_{cls}")})
        weights = {}
        if data["method"] == "weighted":
            weights = {"class": {c: data.get(f"weight_{c}") or 1 for c in CLASSES}}
        data["task_fields"] = {
            "name": data["name"],
            "department": data["department"],
            "notice": data.get("notice", ""),
            "scope": scope,
            "params": {"parts": [part]},
            "stratify_by": stratify_by,
            "weights": weights,
            "force_complaints": data.get("force_complaints"),
            "is_public": data.get("is_public", False),
            "selection_publication": data["selection_publication"],
        }
        if data.get("items"):
            data["task_fields"]["items"] = list(data["items"])
        return data


class WitnessForm(forms.Form):
    name = forms.CharField(
        label=_("Witness"), max_length=100, widget=forms.TextInput(attrs={"placeholder": _("Witness name")})
    )
    role = forms.CharField(
        label=_("Role"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Role, e.g. discipline inspection, notary, deputy")}),
    )
    affiliation = forms.CharField(
        label=_("Affiliation"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Affiliation (optional)")}),
    )


class InputForm(forms.Form):
    label = forms.CharField(
        label=_("Source"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Source, e.g. witness A, dice, lottery draw no.")}),
    )
    value = forms.CharField(
        label=_("Numbers"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Numbers separated by spaces, e.g. 3 17 42")}),
    )


WitnessFormSet = forms.formset_factory(WitnessForm, extra=2, min_num=1, validate_min=True, max_num=50)
InputFormSet = forms.formset_factory(InputForm, extra=2, min_num=1, validate_min=True, max_num=20)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), min_length=4, max_length=2000)


class LineTaskForm(RiskFields):
    """A task from a plan line: what may differ from the line (name, notice, design, window, publication)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    notice = forms.CharField(label=_("Task notice"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    ratio = forms.DecimalField(
        label=_("Ratio (e.g. 0.05 for 5%)"), required=False, min_value=0, max_value=1, decimal_places=4
    )
    count = forms.IntegerField(label=_("Number of targets"), required=False, min_value=1)
    window_start = forms.DateField(
        label=_("Checks from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    window_end = forms.DateField(
        label=_("Checks until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    exclude_inspected_days = exclude_days_field()
    risk = forms.ChoiceField(
        label=_("Risk policy"),
        required=False,
        choices=[
            ("none", _("The line's ratio for every firm")),
            ("class_ratios", _("A ratio per credit class")),
            ("class_weights", _("The line's ratio, weighted by credit class")),
            ("both", _("A ratio per credit class, weighted by credit class")),
        ],
    )
    ratio_A = forms.DecimalField(label="A", required=False, min_value=0, max_value=1, decimal_places=4)
    ratio_B = forms.DecimalField(label="B", required=False, min_value=0, max_value=1, decimal_places=4)
    ratio_C = forms.DecimalField(label="C", required=False, min_value=0, max_value=1, decimal_places=4)
    ratio_D = forms.DecimalField(label="D", required=False, min_value=0, max_value=1, decimal_places=4)
    is_public = forms.BooleanField(label=_("Public task"), required=False, initial=True)
    selection_publication = forms.ChoiceField(label=_("Selected list"), choices=SelectionPublication.choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        risk = data.get("risk") or "none"
        if (
            not self.errors
            and risk not in ("class_ratios", "both")
            and data.get("ratio") is None
            and not data.get("count")
        ):
            raise forms.ValidationError(_("Give a sampling ratio or a number of targets."))
        if not self.errors and risk in ("class_ratios", "both"):
            missing = [c for c in CLASSES if data.get(f"ratio_{c}") is None]
            if missing:
                raise forms.ValidationError(_("Give a ratio for every credit class."))
        return data

    def overrides(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        risk = data.pop("risk", None) or "none"
        ratios = {c: data.pop(f"ratio_{c}", None) for c in CLASSES}
        weights = {c: data.pop(f"weight_{c}", None) or 1 for c in CLASSES}
        if risk in ("class_ratios", "both"):
            data["class_ratios"] = {c: str(v) for c, v in ratios.items()}
        if risk in ("class_weights", "both"):
            data["class_weights"] = weights
        if not data.get("force_complaints"):
            data.pop("force_complaints", None)
        if data.get("ratio") is not None:
            data.pop("count", None)
        else:
            data.pop("ratio", None)
        return data


class InviteForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department to invite"), queryset=None)

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class AddItemsForm(forms.Form):
    items = forms.ModelMultipleChoiceField(
        label=_("Your department's items"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, items: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items
