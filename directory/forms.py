"""Forms of the directory pages. They only shape input: ``directory.services`` validates and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import CertificateKind, CreditClass, Expertise, InspectorStatus, TargetKind, TargetStatus


class ReasonMixin(forms.Form):
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)


class TargetForm(ReasonMixin):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=TargetKind.choices)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    business_scope = forms.CharField(
        label=_("Business scope"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    industry = forms.CharField(label=_("Industry code"), max_length=5, required=False)
    region = forms.CharField(label=_("Region code"), max_length=6, required=False)
    registration_authority = forms.CharField(label=_("Registration authority"), max_length=100, required=False)
    founded = forms.DateField(label=_("Founding date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), choices=TargetStatus.choices)
    credit_class = forms.ChoiceField(label=_("Credit risk class"), choices=CreditClass.choices)
    abnormal_operation = forms.BooleanField(label=_("On the abnormal-operation list"), required=False)
    serious_violation = forms.BooleanField(label=_("On the serious-violation list"), required=False)
    complaint_count = forms.IntegerField(label=_("Complaints"), min_value=0)
    tags = forms.CharField(label=_("Tags (separated by commas)"), max_length=500, required=False)

    field_order = [
        "name",
        "kind",
        "legal_representative",
        "address",
        "business_scope",
        "industry",
        "region",
        "registration_authority",
        "founded",
        "status",
        "credit_class",
        "abnormal_operation",
        "serious_violation",
        "complaint_count",
        "tags",
        "reason",
    ]

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("reason")
        data["tags"] = [t.strip() for t in data["tags"].replace("，", ",").split(",") if t.strip()]
        data["industry"] = data["industry"].strip() or None
        data["region"] = data["region"].strip() or None
        return data


def _expertise_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Expertise"),
        queryset=Expertise.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class InspectorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    department_id = forms.TypedChoiceField(label=_("Department"), coerce=int, empty_value=None, required=False)
    unit_id = forms.TypedChoiceField(label=_("Unit"), coerce=int, empty_value=None, required=False)
    position = forms.CharField(label=_("Position"), max_length=100, required=False)
    certificate_kind = forms.ChoiceField(label=_("Certificate kind"), choices=CertificateKind.choices)
    certificate_no = forms.CharField(label=_("Enforcement certificate number"), max_length=40, required=False)
    certificate_expiry = forms.DateField(
        label=_("Certificate expiry"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    region_id = forms.CharField(label=_("Region code"), max_length=6, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=InspectorStatus.choices)
    is_team_leader_eligible = forms.BooleanField(label=_("May lead a team"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)

    def __init__(self, *args, departments=(), units=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expertise"] = _expertise_field()
        self.fields["department_id"].choices = [("", "—"), *((d.pk, d.name) for d in departments)]
        self.fields["unit_id"].choices = [("", "—"), *((u.pk, str(u)) for u in units)]
        if editing:
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("reason", None)
        data["expertise"] = [e.code for e in data["expertise"]]
        data["region_id"] = data["region_id"].strip() or None
        return data


class ExpertForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    employer = forms.CharField(label=_("Employer or institution"), max_length=200, required=False)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone (not published)"), max_length=40, required=False)
    region_id = forms.CharField(label=_("Region code"), max_length=6, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=InspectorStatus.choices)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expertise"] = _expertise_field()
        if editing:
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("reason", None)
        data["expertise"] = [e.code for e in data["expertise"]]
        data["region_id"] = data["region_id"].strip() or None
        return data


class ConflictForm(forms.Form):
    target_key = forms.CharField(label=_("Target (USCC in the directory)"), max_length=18, required=False)
    party_name = forms.CharField(label=_("Or: person or firm"), max_length=200, required=False)
    party_uscc = forms.CharField(label=_("Its USCC"), max_length=18, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
