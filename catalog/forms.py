from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Method
from directory.models import Expertise


class VersionForm(forms.Form):
    """The content of a version; ratios are entered in per cent."""

    field = forms.CharField(label=_("field"), max_length=100, required=False)
    name = forms.CharField(label=_("inspection item"), max_length=200)
    sub_item = forms.CharField(label=_("sub-item"), max_length=200, required=False)
    object_type = forms.CharField(label=_("object type"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("category"), choices=Category.choices)
    methods = forms.MultipleChoiceField(
        label=_("methods"), choices=Method.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    legal_basis = forms.CharField(label=_("legal basis"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    content = forms.CharField(label=_("inspection content"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    ratio_min_pct = forms.DecimalField(
        label=_("lower sampling ratio (%)"), max_digits=6, decimal_places=2, min_value=0, max_value=100
    )
    ratio_max_pct = forms.DecimalField(
        label=_("upper sampling ratio (%)"), max_digits=6, decimal_places=2, min_value=0, max_value=100, required=False
    )
    frequency = forms.CharField(label=_("frequency"), max_length=100, required=False)
    expertise = forms.ModelMultipleChoiceField(
        label=_("required expertise"), queryset=Expertise.objects.all(), required=False
    )
    needs_expert = forms.BooleanField(label=_("an expert joins the team"), required=False)
    reason = forms.CharField(label=_("reason for the change"), max_length=300, required=False)

    def version_fields(self) -> dict:
        data = self.cleaned_data
        pct_max = data.get("ratio_max_pct")
        return {
            "field": data["field"],
            "name": data["name"],
            "sub_item": data["sub_item"],
            "object_type": data["object_type"],
            "category": data["category"],
            "methods": list(data["methods"]),
            "legal_basis": data["legal_basis"],
            "content": data["content"],
            "ratio_min": data["ratio_min_pct"] / Decimal(100),
            "ratio_max": pct_max / Decimal(100) if pct_max is not None else None,
            "frequency": data["frequency"],
            "needs_expert": data.get("needs_expert", False),
        }


class ItemForm(VersionForm):
    department = forms.ModelChoiceField(label=_("responsible department"), queryset=None)
    code = forms.CharField(label=_("code"), max_length=40, required=False)

    field_order = ["department", "code"]

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class CheckPointForm(forms.Form):
    order = forms.IntegerField(label=_("order"), min_value=1, max_value=999, required=False)
    text = forms.CharField(label=_("check point"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    method = forms.ChoiceField(label=_("method"), choices=[("", "—"), *Method.choices], required=False)
    finding_criteria = forms.CharField(
        label=_("what counts as a finding"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


CheckPointFormSet = formset_factory(CheckPointForm, extra=3, max_num=200)


def ordered_points(formset) -> list[dict]:
    rows = []
    for position, form in enumerate(formset.forms):
        data = form.cleaned_data if form.is_valid() else {}
        if not (data.get("text") or "").strip():
            continue
        order = data.get("order") or 1000 + position
        rows.append((order, position, data))
    return [
        {"text": d["text"], "method": d.get("method", ""), "finding_criteria": d.get("finding_criteria", "")}
        for _, _, d in sorted(rows, key=lambda r: (r[0], r[1]))
    ]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx) or CSV (UTF-8 or GBK)"))
