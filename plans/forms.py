from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import ItemVersion, VersionStatus
from orgs.models import Department
from plans.models import LineKind


class PlanForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class AdjustForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the adjustment"), max_length=300)


class LineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of draw"), choices=LineKind.choices, initial=LineKind.UNDIRECTED)
    items = forms.ModelMultipleChoiceField(label=_("Inspection items"), queryset=ItemVersion.objects.none())
    objects_text = forms.CharField(label=_("Inspection objects"), max_length=300, required=False)
    scope = forms.CharField(
        label=_("Scope conditions (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_('For example {"industries": ["C13"], "credit_classes": ["C", "D"]}; empty for undirected.'),
    )
    ratio = forms.CharField(label=_("Sampling ratio (e.g. 0.05)"), max_length=10, required=False)
    count = forms.IntegerField(label=_("Number of targets"), min_value=1, required=False)
    method = forms.CharField(label=_("Method"), max_length=300, required=False)
    window_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    window_end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    lead_department = forms.ModelChoiceField(label=_("Lead department"), queryset=Department.objects.none())
    departments = forms.ModelMultipleChoiceField(
        label=_("Participating departments"), queryset=Department.objects.none(), required=False
    )

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        org = plan.organisation
        ids = [p for p in org.path.split("/") if p]
        own_and_above = ["/" + "/".join(ids[: n + 1]) + "/" for n in range(len(ids))]
        published = ItemVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("item__organisation")
        self.fields["items"].queryset = published.filter(item__organisation__path__in=own_and_above)
        departments = Department.objects.filter(organisation=org)
        self.fields["lead_department"].queryset = departments
        self.fields["departments"].queryset = departments

    def clean_scope(self):
        text = self.cleaned_data.get("scope", "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("The scope is not valid JSON."))
        return value
