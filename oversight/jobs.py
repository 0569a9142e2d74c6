"""Background jobs of oversight, run by ``manage.py run_jobs``.

``oversight.send_alerts`` is queued by ``send_alerts --queue``; ``oversight.refresh_figures`` by the
dashboard when it serves a snapshot that is no longer current (``oversight.stats.indicators``);
``oversight.refresh_default_figures`` by ``refresh_figures --queue``.
"""

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


@register("oversight.refresh_figures")
def refresh_figures_job(job: Any, progress: Any) -> dict[str, Any]:
    """Compute a dashboard scope's figures again (queued when a stale snapshot was served)."""
    from oversight import stats

    progress(0, 1, "computing")
    snap = stats.refresh(stats.scope_from_params(job.params or {}))
    progress(1, 1, "done", force=True)
    return {"key": snap.key, "seconds": snap.seconds, "computed_at": snap.computed_at.isoformat()}


@register("oversight.refresh_default_figures")
def refresh_defaults_job(job: Any, progress: Any) -> dict[str, Any]:
    """Every organisation's figures for the year (queued by ``refresh_figures --queue``)."""
    from oversight import stats

    n = stats.refresh_defaults((job.params or {}).get("year"), lambda done, total: progress(done, total))
    return {"computed": n}
