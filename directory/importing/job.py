"""The import as a background job (kind ``directory.import``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import audit
from jobs.models import Job
from jobs.runner import jobs_dir, register

KIND = "directory.import"


def error_report_path(job: Job) -> Path:
    return jobs_dir() / f"{job.pk}-errors.csv"


@register(KIND)
def import_job(job: Job, progress: Any) -> dict[str, Any]:
    from directory.importing.runner import run_import

    params = job.params or {}
    error_path = error_report_path(job)
    with audit.acting(job.created_by):
        result = run_import(
            params["path"],
            job.organisation,
            mode=params.get("mode", "good_rows"),
            overrides=params.get("mapping") or {},
            actor=job.created_by,
            job=job,
            filename=params.get("filename", ""),
            encoding=params.get("encoding") or None,
            error_path=error_path,
            progress=progress,
        )
    job.done = result.rows
    job.total = result.rows
    if result.error_count:
        job.error_file = str(error_path)
    else:
        error_path.unlink(missing_ok=True)
        job.error_file = ""
    job.message = summary_text(result.as_dict())
    if params.get("delete_upload", True):
        Path(params["path"]).unlink(missing_ok=True)
    return result.as_dict()


def summary_text(result: dict[str, Any]) -> str:
    if result.get("fatal"):
        return result["fatal"]["message_zh"]
    state = "已导入" if result["committed"] else "未导入任何数据"
    return (
        f"{state}：共{result['rows']}行，新增{result['created']}，更新{result['updated']}，"
        f"未变{result['unchanged']}，错误行{result['bad_rows']}"
    )
