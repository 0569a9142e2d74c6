"""Home-page pending panels: shares to confirm (assignments.confirm) and my checks (checks.enter)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext


def confirmations(user: Any) -> list[dict[str, Any]]:
    from assignments.services import confirmations_for, latest_only

    today = timezone.localdate()
    items = []
    for c in latest_only(confirmations_for(user)):
        if c.confirmed_at is not None:
            continue
        late = today > c.deadline
        text = gettext("%(task)s: confirm by %(deadline)s") % {"task": c.run.task.name, "deadline": c.deadline}
        if late:
            text += " · " + gettext("overdue")
        items.append({"text": text, "url": reverse("assignment-confirmations")})
    return items


def checks(user: Any) -> list[dict[str, Any]]:
    from assignments.services import my_visits

    return [
        {
            "text": f"{v.run.task.name} · {v.selection.target.name if v.selection.target else v.key}",
            "url": reverse("my-checks"),
        }
        for v in my_visits(user)[:20]
    ]
