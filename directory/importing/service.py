"""Starting an import job from an upload or a file on disk."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from directory.importing.job import KIND
from directory.importing.runner import MODES
from jobs.models import Job


class UploadError(ValueError):
    def __init__(self, status: int, reason: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.status = status
        self.reason = reason
        self.message_zh = message_zh
        self.message_en = message_en


def uploads_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_upload(uploaded: Any) -> None:
    limit = settings.SUIJI_MAX_UPLOAD_BYTES
    if uploaded is None or uploaded.size == 0:
        raise UploadError(422, "empty", "文件是空的", "The file is empty")
    if uploaded.size > limit:
        mb = limit // (1024 * 1024)
        raise UploadError(
            413, "too_large", f"文件超过上传上限（{mb} MB）", f"The file is larger than the upload limit ({mb} MB)"
        )


def save_upload(uploaded: Any) -> Path:
    suffix = Path(uploaded.name or "").suffix.lower()
    suffix = suffix if suffix in (".csv", ".xlsx", ".txt") else ".bin"
    path = uploads_dir() / f"{uuid.uuid4().hex}{suffix}"
    with open(path, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    return path


def create_import_job(
    path: Path,
    organisation: Any,
    user: Any,
    *,
    mode: str = "good_rows",
    mapping: dict[str, str] | None = None,
    filename: str = "",
    delete_upload: bool = True,
    encoding: str | None = None,
) -> Job:
    if mode not in MODES:
        raise UploadError(422, "mode", "导入方式无效", f"mode must be one of {', '.join(MODES)}")
    return Job.objects.create(
        kind=KIND,
        organisation=organisation,
        created_by=user if getattr(user, "pk", None) else None,
        params={
            "path": str(path),
            "mode": mode,
            "mapping": mapping or {},
            "filename": (filename or path.name)[:200],
            "delete_upload": delete_upload,
            "encoding": encoding or "",
        },
    )


def start_upload_import(uploaded: Any, organisation: Any, user: Any, mode: str, mapping: dict | None = None) -> Job:
    check_upload(uploaded)
    if mode not in MODES:
        raise UploadError(422, "mode", "导入方式无效", f"mode must be one of {', '.join(MODES)}")
    path = save_upload(uploaded)
    job = create_import_job(path, organisation, user, mode=mode, mapping=mapping, filename=uploaded.name or "")
    if getattr(settings, "SUIJI_JOBS_EAGER", False):
        from jobs.runner import run_job

        run_job(job)
    return job


def copy_for_job(path: Path) -> Path:
    target = uploads_dir() / f"{uuid.uuid4().hex}{path.suffix.lower()}"
    shutil.copyfile(path, target)
    return target
