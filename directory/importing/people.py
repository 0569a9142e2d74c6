"""Importing the inspector and expert directories from CSV (UTF-8, BOM, GBK) or .xlsx.

Files are read with :mod:`directory.importing.sources`; row errors have the
target import's shape (line, column, reason, message in both languages, value)
and the same downloadable report (``report.errors_csv`` / ``errors_xlsx``).

Inspectors are matched by certificate number (执法证号) within the
organisation, else by name and department; experts by name and employer. A
match is updated when the row changes something (else counted unchanged and not
written), anything else created. A certificate number entered for
another organisation is an error: an import never moves a person.

Modes: ``good_rows`` stores the good rows and reports the bad ones;
``all_or_nothing`` stores nothing if any row is bad (every error is still
reported). Directories are small (hundreds to a few thousand people), so rows
are saved through the ORM and each one is in the audit trail, plus one entry
summing the import up.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models, transaction

from core import audit
from directory.importing.sources import SourceError, open_source
from directory.importing.validate import RowError
from directory.models import CertificateKind, Expert, Expertise, Inspector, InspectorStatus
from jobs.runner import register
from orgs.models import Department, Unit
from refdata.models import Division

MODES = ("good_rows", "all_or_nothing")
KINDS = ("inspectors", "experts")
KEEP_ERRORS = 100
ERROR_HEADER = ("line", "column", "reason", "message_zh", "message_en", "value")

# Column headers seen in exports of the platforms in use → field.
HEADERS: dict[str, str] = {
    "姓名": "name",
    "名称": "name",
    "所属单位": "unit",
    "执法单位": "unit",
    "单位": "unit",
    "所在单位": "unit",
    "工作单位": "unit",
    "所属部门": "department",
    "部门": "department",
    "职务": "position",
    "职称": "position",
    "职务/职称": "position",
    "执法证号": "certificate_no",
    "执法证件号": "certificate_no",
    "执法证件号码": "certificate_no",
    "证件号码": "certificate_no",
    "证件类型": "certificate_kind",
    "执法证类型": "certificate_kind",
    "证件有效期": "certificate_expiry",
    "有效期至": "certificate_expiry",
    "证件有效期至": "certificate_expiry",
    "专业领域": "expertise",
    "擅长领域": "expertise",
    "专业特长": "expertise",
    "所属区域": "region",
    "区域": "region",
    "行政区划": "region",
    "状态": "status",
    "人员状态": "status",
    "联系电话": "phone",
    "电话": "phone",
    "可任组长": "leader",
    "是否可任组长": "leader",
}
STATUS_WORDS = {
    "在岗": InspectorStatus.ACTIVE,
    "在职": InspectorStatus.ACTIVE,
    "正常": InspectorStatus.ACTIVE,
    "有效": InspectorStatus.ACTIVE,
    "休假": InspectorStatus.LEAVE,
    "请假": InspectorStatus.LEAVE,
    "借调": InspectorStatus.LEAVE,
    "调离": InspectorStatus.TRANSFERRED,
    "调出": InspectorStatus.TRANSFERRED,
    "退休": InspectorStatus.RETIRED,
}
CERT_WORDS = {
    "行政执法证": CertificateKind.ADMINISTRATIVE,
    "市场监管执法证": CertificateKind.MARKET,
    "市场监督管理执法证": CertificateKind.MARKET,
    "其他": CertificateKind.OTHER,
}
YES = {"是", "y", "yes", "1", "true", "可"}
NO = {"否", "n", "no", "0", "false", "", "不可"}
SPLIT = re.compile(r"[、,，;；/|\s]+")


@dataclass
class PeopleImportResult:
    kind: str
    mode: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bad_rows: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    committed: bool = False
    fatal: dict[str, str] | None = None
    columns: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "mode": self.mode,
            "rows": self.rows,
            "created": self.created if self.committed else 0,
            "updated": self.updated if self.committed else 0,
            "unchanged": self.unchanged if self.committed else 0,
            "bad_rows": self.bad_rows,
            "error_count": self.error_count,
            "errors": self.errors,
            "committed": self.committed,
            "fatal": self.fatal,
            "columns": self.columns,
        }


def parse_date(text: str) -> dt.date:
    """``2026-12-31``, ``2026/12/31``, ``2026.12.31``, ``2026年12月31日``, ``20261231``."""
    t = text.strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+00:00(?::00)?)?", t)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if re.fullmatch(r"\d{8}", t):
        return dt.date(int(t[:4]), int(t[4:6]), int(t[6:]))
    raise ValueError(t)


class _Refs:
    """The organisation's departments and units, expertise, divisions: looked up once."""

    def __init__(self, organisation: Any) -> None:
        self.units: dict[str, list[Unit]] = {}
        for unit in Unit.objects.filter(department__organisation=organisation).select_related("department"):
            self.units.setdefault(unit.name, []).append(unit)
            self.units.setdefault(f"{unit.department.name}{unit.name}", []).append(unit)
        self.departments = {d.name: d for d in Department.objects.filter(organisation=organisation)}
        self.expertise: dict[str, Expertise] = {}
        for e in Expertise.objects.all():
            self.expertise[e.code] = e
            self.expertise[e.name] = e
        self._divisions: dict[str, Division | None] = {}

    def division(self, text: str) -> Division | None:
        if text not in self._divisions:
            if text.isdigit():
                self._divisions[text] = Division.objects.filter(pk=text).first()
            else:
                found = list(Division.objects.filter(name=text)[:2])
                self._divisions[text] = found[0] if len(found) == 1 else None
        return self._divisions[text]


class _Row:
    def __init__(self, line: int, cells: dict[str, str], headers: dict[str, str]) -> None:
        self.line = line
        self.cells = cells
        self.headers = headers
        self.errors: list[RowError] = []

    def get(self, name: str) -> str:
        return self.cells.get(name, "").strip()

    def error(self, name: str, reason: str, zh: str, en: str) -> None:
        self.errors.append(RowError(self.line, self.headers.get(name, name), reason, zh, en, self.get(name)[:200]))


def _common(row: _Row, refs: _Refs) -> dict[str, Any]:
    data: dict[str, Any] = {}
    name = row.get("name")
    if not name:
        row.error("name", "missing_name", "缺少姓名", "The name is missing")
    elif len(name) > 100:
        row.error("name", "too_long", "姓名超过100字", "The name is longer than 100 characters")
    data["name"] = name
    status_text = row.get("status")
    if status_text:
        status = STATUS_WORDS.get(status_text) or (status_text if status_text in InspectorStatus.values else None)
        if status is None:
            row.error("status", "bad_status", "状态无法识别（在岗、休假、调离、退休）", "Unknown status")
        data["status"] = status
    expertise = []
    for word in SPLIT.split(row.get("expertise")):
        if not word:
            continue
        found = refs.expertise.get(word)
        if found is None:
            row.error("expertise", "unknown_expertise", f"专业领域不存在：{word}", f"Unknown expertise: {word}")
        else:
            expertise.append(found)
    data["expertise"] = expertise
    region_text = row.get("region")
    data["region"] = None
    if region_text:
        data["region"] = refs.division(region_text)
        if data["region"] is None:
            row.error("region", "unknown_region", "所属区域无法识别", "Unknown or ambiguous region")
    return data


def _inspector_row(row: _Row, refs: _Refs) -> dict[str, Any]:
    data = _common(row, refs)
    unit_text, dept_text = row.get("unit"), row.get("department")
    data["unit"], data["department"] = None, None
    if unit_text:
        units = refs.units.get(unit_text) or refs.units.get(dept_text + unit_text) or []
        if dept_text:
            units = [u for u in units if u.department.name == dept_text]
        if len(units) == 1:
            data["unit"], data["department"] = units[0], units[0].department
        elif unit_text in refs.departments and not units:
            data["department"] = refs.departments[unit_text]
        elif len(units) > 1:
            row.error("unit", "ambiguous_unit", "单位名称不唯一，请同时填写所属部门", "Several units have this name")
        else:
            row.error("unit", "unknown_unit", f"本机构没有该单位：{unit_text}", f"No such unit here: {unit_text}")
    elif dept_text:
        data["department"] = refs.departments.get(dept_text)
        if data["department"] is None:
            row.error("department", "unknown_department", "本机构没有该部门", f"No such department: {dept_text}")
    else:
        row.error("unit", "missing_unit", "缺少所属单位", "The unit is missing")
    data["position"] = row.get("position")[:100]
    cert = row.get("certificate_no")
    if len(cert) > 40:
        row.error("certificate_no", "too_long", "执法证号超过40字", "The certificate number is too long")
    data["certificate_no"] = cert.upper()
    kind_text = row.get("certificate_kind")
    data["certificate_kind"] = CertificateKind.ADMINISTRATIVE
    if kind_text:
        kind = CERT_WORDS.get(kind_text) or (kind_text if kind_text in CertificateKind.values else None)
        if kind is None:
            row.error("certificate_kind", "bad_certificate_kind", "证件类型无法识别", "Unknown certificate kind")
        data["certificate_kind"] = kind
    expiry = row.get("certificate_expiry")
    data["certificate_expiry"] = None
    if expiry:
        try:
            data["certificate_expiry"] = parse_date(expiry)
        except ValueError:
            row.error("certificate_expiry", "bad_date", "证件有效期不是有效日期", "The expiry is not a date")
    leader = row.get("leader").lower()
    if leader not in YES | NO:
        row.error("leader", "bad_flag", "可任组长应填是或否", "Team leader must be yes or no")
    data["is_team_leader_eligible"] = leader in YES
    return data


def _expert_row(row: _Row, refs: _Refs) -> dict[str, Any]:
    data = _common(row, refs)
    data["employer"] = row.get("unit")[:200]
    data["title"] = row.get("position")[:100]
    data["phone"] = row.get("phone")[:40]
    return data


class _ErrorSink:
    def __init__(self, path: Path | None) -> None:
        self.count = 0
        self.first: list[dict[str, Any]] = []
        self._fh = open(path, "w", encoding="utf-8-sig", newline="") if path else None  # noqa: SIM115
        self._writer = csv.writer(self._fh) if self._fh else None
        if self._writer:
            self._writer.writerow(ERROR_HEADER)

    def add(self, error: RowError) -> None:
        self.count += 1
        if len(self.first) < KEEP_ERRORS:
            self.first.append(error.as_dict())
        if self._writer:
            self._writer.writerow(
                (error.line, error.column, error.reason, error.message_zh, error.message_en, error.value)
            )

    def close(self) -> None:
        if self._fh:
            self._fh.close()


class _Rollback(Exception):
    pass


def run_people_import(
    path: str | Path,
    organisation: Any,
    *,
    kind: str = "inspectors",
    mode: str = "good_rows",
    actor: Any = None,
    filename: str = "",
    error_path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    encoding: str | None = None,
) -> PeopleImportResult:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    result = PeopleImportResult(kind=kind, mode=mode)
    sink = _ErrorSink(error_path)
    try:
        source = open_source(path, filename, encoding)
        rows = list(source.rows())
    except SourceError as exc:
        result.fatal = {"reason": exc.reason, "message_zh": exc.message_zh, "message_en": exc.message_en}
        sink.close()
        return result
    header_row = next((r for r in rows if any(c.strip() for c in r[1])), None)
    if header_row is None:
        result.fatal = {"reason": "empty", "message_zh": "文件中没有数据", "message_en": "The file has no rows"}
        sink.close()
        return result
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    for i, cell in enumerate(header_row[1]):
        text = cell.strip().lstrip("\ufeff").rstrip("*＊").strip()
        name = HEADERS.get(text)
        if name and name not in headers:
            columns[i] = name
            headers[name] = text
    result.columns = {v: k for k, v in headers.items()}
    if "name" not in headers:
        result.fatal = {
            "reason": "missing_column",
            "message_zh": "缺少“姓名”列",
            "message_en": "The file has no 姓名 (name) column",
        }
        sink.close()
        return result
    refs = _Refs(organisation)
    data_rows = [r for r in rows if r[0] > header_row[0] and any(c.strip() for c in r[1])]
    total = len(data_rows)
    seen: dict[str, int] = {}
    try:
        with transaction.atomic(), audit.acting(actor, reason=f"导入{filename or Path(path).name}"):
            for n, (line, cells) in enumerate(data_rows, start=1):
                result.rows += 1
                row = _Row(line, {name: cells[i] if i < len(cells) else "" for i, name in columns.items()}, headers)
                data = _inspector_row(row, refs) if kind == "inspectors" else _expert_row(row, refs)
                match_key = data.get("certificate_no") or ""
                if not match_key:
                    department = data.get("department")
                    match_key = f"{data['name']}|{department.pk if department else data.get('employer', '')}"
                if not row.errors and match_key in seen:
                    row.error(
                        "certificate_no" if data.get("certificate_no") else "name",
                        "duplicate",
                        f"与第{seen[match_key]}行重复",
                        f"Same person as line {seen[match_key]}",
                    )
                seen.setdefault(match_key, line)
                if not row.errors:
                    try:
                        with transaction.atomic():
                            created = _save(kind, organisation, data, row)
                    except _RowRefused:
                        created = None
                    if created == "created":
                        result.created += 1
                    elif created == "updated":
                        result.updated += 1
                    elif created == "unchanged":
                        result.unchanged += 1
                if row.errors:
                    result.bad_rows += 1
                    for error in row.errors:
                        sink.add(error)
                if progress is not None:
                    progress(n, total)
            result.error_count = sink.count
            result.errors = sink.first
            if mode == "all_or_nothing" and result.bad_rows:
                raise _Rollback
            audit.record(
                "import",
                organisation,
                after={
                    "kind": kind,
                    "file": filename or Path(path).name,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "bad_rows": result.bad_rows,
                },
                object_type=f"directory.{kind}",
                object_repr=f"{organisation} {kind}",
            )
            result.committed = True
    except _Rollback:
        result.committed = False
    finally:
        sink.close()
    return result


class _RowRefused(Exception):
    pass


def _save(kind: str, organisation: Any, data: dict[str, Any], row: _Row) -> str:
    """Create or update one person: ``created``, ``updated``, or ``unchanged`` when the row says what
    is already stored (nothing is written then). Refuses a certificate of another organisation."""
    expertise = data.pop("expertise")
    if kind == "inspectors":
        person = None
        if data["certificate_no"]:
            person = Inspector.objects.filter(certificate_no=data["certificate_no"]).first()
            if person is not None and person.organisation_id != organisation.pk:
                row.error(
                    "certificate_no",
                    "other_organisation",
                    "该执法证号已登记在其他机构",
                    "This certificate number belongs to another organisation",
                )
                raise _RowRefused
        if person is None:
            person = Inspector.objects.filter(
                organisation=organisation, name=data["name"], department=data["department"]
            ).first()
        created = person is None
        person = person or Inspector(organisation=organisation)
    else:
        person = Expert.objects.filter(organisation=organisation, name=data["name"], employer=data["employer"]).first()
        created = person is None
        person = person or Expert(organisation=organisation)
    changed = created
    for name, value in data.items():
        if name == "status" and value is None:
            continue
        if not created and not changed:
            current = getattr(person, name)
            changed = (current.pk if isinstance(current, models.Model) else current) != (
                value.pk if isinstance(value, models.Model) else value
            )
        setattr(person, name, value)
    if expertise and not changed:
        changed = set(person.expertise.values_list("pk", flat=True)) != {e.pk for e in expertise}
    if not changed:
        return "unchanged"
    person.save()
    if expertise:
        person.expertise.set(expertise)
    return "created" if created else "updated"


JOB_KIND = "directory.people_import"


def import_as_job(
    path: Path, organisation: Any, user: Any, *, kind: str, mode: str, filename: str = "", delete: bool = True
) -> Any:
    """Queue the import as a background job (``manage.py run_jobs`` runs it; the page shows its progress).

    With ``SUIJI_JOBS_EAGER`` the job runs at once, in this request.
    """
    from django.conf import settings

    from jobs.models import Job
    from jobs.runner import run_job

    if kind not in KINDS or mode not in MODES:
        raise ValueError("unknown kind or mode")
    job = Job.objects.create(
        kind=JOB_KIND,
        organisation=organisation,
        created_by=user if getattr(user, "pk", None) else None,
        params={
            "path": str(path),
            "kind": kind,
            "mode": mode,
            "filename": (filename or Path(path).name)[:200],
            "delete_upload": delete,
        },
        message="已排队，等待后台任务处理",
    )
    if getattr(settings, "SUIJI_JOBS_EAGER", False):
        job = run_job(job)
    return job


@register(JOB_KIND)
def people_import_job(job: Any, progress: Callable[..., None]) -> dict[str, Any]:
    """The job handler: run the import with progress, keep the error report beside the job."""
    from jobs.runner import jobs_dir

    params = job.params or {}
    error_path = jobs_dir() / f"{job.pk}-errors.csv"
    try:
        with audit.acting(job.created_by):
            result = run_people_import(
                params["path"],
                job.organisation,
                kind=params.get("kind", "inspectors"),
                mode=params.get("mode", "good_rows"),
                actor=job.created_by,
                filename=params.get("filename", ""),
                error_path=error_path,
                progress=lambda done, total: progress(done, total, str(done)),
            )
    finally:
        if params.get("delete_upload", True):
            Path(params["path"]).unlink(missing_ok=True)
    job.done = job.total = result.rows
    if result.error_count:
        job.error_file = str(error_path)
    else:
        error_path.unlink(missing_ok=True)
        job.error_file = ""
    job.message = summary_text(result)
    return result.as_dict()


def summary_text(result: PeopleImportResult) -> str:
    if result.fatal:
        return result.fatal["message_zh"]
    state = "已导入" if result.committed else "未导入任何数据"
    return (
        f"{state}：共{result.rows}行，新增{result.created if result.committed else 0}，"
        f"更新{result.updated if result.committed else 0}，未变{result.unchanged if result.committed else 0}，"
        f"错误行{result.bad_rows}"
    )
