from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from workcal.models import CalendarOverride


class DateInput(forms.DateInput):
    input_type = "date"


class OverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["date", "is_workday", "note"]
        widgets = {"date": DateInput()}

    def clean_date(self) -> dt.date:
        value = self.cleaned_data["date"]
        if not 2000 <= value.year <= 2100:
            raise forms.ValidationError(_("The year must be between 2000 and 2100."))
        return value


class AddWorkingDaysForm(forms.Form):
    start = forms.DateField(label=_("Start date"), widget=DateInput())
    days = forms.IntegerField(label=_("Working days"), min_value=-1000, max_value=1000)

    def clean_start(self) -> dt.date:
        value = self.cleaned_data["start"]
        if not 2000 <= value.year <= 2100:
            raise forms.ValidationError(_("The year must be between 2000 and 2100."))
        return value
