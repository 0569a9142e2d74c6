"""The scheduled job ``oversight.send_alerts``, run by ``manage.py run_jobs`` when queued (``send_alerts --queue``)."""

from __future__ import annotations

from typing import Any

from jobs.runner import register


@register("oversight.send_alerts")
def send_alerts_job(job: Any, progress: Any) -> dict[str, Any]:
    from oversight.alerts import send_alerts

    progress(0, 1, "sending")
    result = send_alerts()
    progress(1, 1, "done", force=True)
    return result
