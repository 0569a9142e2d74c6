"""The evidence pack of a task (尽职照单免责, R20): one ZIP with an HTML index.

Contents: the plan version the task implements, each draw's announcement,
manifest, frozen candidate list and the result of verifying them with the
independent verifier (``verify_draw.py``), matching manifests when the
assignments app provides them, every record, result, approval, publication and
follow-up with times and people, the audit entries about all of them, each
entry's hash re-computed, and the verification of the whole audit chain.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import zipfile
from typing import Any

from django.apps import apps
from django.core.files.storage import default_storage
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from core import audit
from core.models import AuditAction, AuditEntry
from draws.models import Draw, DrawState, Task
from inspections.models import FollowUp, Record, Result

log = logging.getLogger("suiji.oversight")


def verify_draw_files(draw: Draw) -> dict[str, Any]:
    """Check a drawn draw: self-digest, the independent verifier on manifest + candidates, the stored selection."""
    import verify_draw
    from suiji_draw.manifest import manifest_digest

    out: dict[str, Any] = {"draw": draw.number, "state": draw.state, "checks": []}
    if draw.state not in (DrawState.DRAWN, DrawState.VOIDED) or not draw.manifest:
        out["ok"] = None
        out["checks"].append({"check": "manifest", "ok": None, "detail": "no manifest (draw not run)"})
        return out
    try:
        manifest = json.loads(draw.manifest)
    except ValueError:
        out["ok"] = False
        out["checks"].append({"check": "manifest", "ok": False, "detail": "manifest is not JSON"})
        return out
    digest_ok = manifest_digest(manifest) == manifest.get("digest") == draw.manifest_digest
    out["checks"].append({"check": "manifest digest", "ok": digest_ok, "detail": draw.manifest_digest})
    try:
        with default_storage.open(draw.candidates_file, "rb") as fh:
            csv_bytes = fh.read()
    except (OSError, ValueError) as exc:
        csv_bytes = None
        out["checks"].append({"check": "verify_draw.py", "ok": False, "detail": f"candidates unreadable: {exc}"})
    if csv_bytes is not None:
        try:
            verify_draw.verify(manifest, csv_bytes)
            out["checks"].append({"check": "verify_draw.py", "ok": True, "detail": "OK"})
        except (verify_draw.Mismatch, verify_draw.Unreadable, ValueError, KeyError, TypeError) as exc:
            out["checks"].append({"check": "verify_draw.py", "ok": False, "detail": str(exc)})
    expected = [s["key"] for s in manifest.get("result", {}).get("selected", [])]
    stored = list(draw.selections.order_by("position").values_list("key", flat=True))
    out["checks"].append(
        {"check": "stored selection = manifest", "ok": expected == stored, "detail": f"{len(stored)} targets"}
    )
    out["ok"] = all(c["ok"] for c in out["checks"])
    out["csv"] = csv_bytes
    return out


def _objects(task: Task) -> dict[str, list[str]]:
    records = list(Record.objects.filter(task=task).values_list("pk", flat=True))
    results = list(Result.objects.filter(record__task=task).values_list("pk", flat=True))
    objs: dict[str, list[str]] = {
        "draws.Task": [str(task.pk)],
        "draws.Draw": [str(p) for p in task.draws.values_list("pk", flat=True)],
        "draws.TaskParticipant": [str(p) for p in task.participants.values_list("pk", flat=True)],
        "inspections.Record": [str(p) for p in records],
        "inspections.Result": [str(p) for p in results],
        "inspections.FollowUp": [
            str(p) for p in FollowUp.objects.filter(result__record__task=task).values_list("pk", flat=True)
        ],
    }
    if task.plan_line_id:
        objs["plans.PlanLine"] = [str(task.plan_line_id)]
        objs["plans.Plan"] = [str(task.plan_line.plan_id)]
    summary = _summary(task)
    if summary is not None:
        objs["oversight.TaskSummary"] = [str(summary.pk)]
    return objs


def audit_entries(task: Task) -> list[AuditEntry]:
    q = Q()
    for object_type, ids in _objects(task).items():
        if ids:
            q |= Q(object_type=object_type, object_id__in=ids)
    return list(AuditEntry.objects.filter(q).order_by("seq"))


def _plan_data(task: Task) -> dict[str, Any] | None:
    if task.plan_line_id is None:
        return None
    plan = task.plan_line.plan
    lines = []
    for line in plan.lines.prefetch_related("items", "departments").select_related("lead_department"):
        lines.append(
            {
                "order": line.order,
                "name": line.name,
                "kind": line.kind,
                "items": [f"{v.item.code} v{v.number} {v.name}" for v in line.items.select_related("item")],
                "objects": line.objects_text,
                "ratio": str(line.ratio) if line.ratio is not None else None,
                "count": line.count,
                "method": line.method,
                "window": [line.window_start.isoformat(), line.window_end.isoformat()],
                "lead_department": line.lead_department.name,
                "departments": [d.name for d in line.departments.all()],
                "this_task": line.pk == task.plan_line_id,
            }
        )
    return {
        "organisation": plan.organisation.name,
        "year": plan.year,
        "version": plan.number,
        "title": plan.title,
        "status": plan.status,
        "reason": plan.reason,
        "approved_by": str(plan.approved_by or ""),
        "approved_at": plan.approved_at.isoformat() if plan.approved_at else None,
        "published_at": plan.published_at.isoformat() if plan.published_at else None,
        "lines": lines,
    }


def _who(user: Any) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.username


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


def _records_csv(task: Task) -> tuple[bytes, list[dict[str, Any]]]:
    rows = []
    qs = (
        Result.objects.filter(record__task=task)
        .select_related("record__entered_by", "record__approved_by", "target", "item_version__item", "entered_by")
        .select_related("approved_by")
        .order_by("record__pk", "item_version_id", "version")
    )
    for r in qs:
        rec = r.record
        rows.append(
            {
                "record": rec.pk,
                "target_key": r.target.key,
                "target": r.target.name,
                "record_state": rec.state,
                "checked_on": _iso(rec.checked_on),
                "entered_by": _who(rec.entered_by),
                "completed_at": _iso(rec.completed_at),
                "record_approved_by": _who(rec.approved_by),
                "record_approved_at": _iso(rec.approved_at),
                "publish_deadline": _iso(rec.publish_deadline),
                "record_published_at": _iso(rec.published_at),
                "published_late": rec.published_late,
                "item": f"{r.item_version.item.code} v{r.item_version.number}",
                "result": r.category,
                "result_version": r.version,
                "result_state": r.state,
                "result_entered_by": _who(r.entered_by),
                "result_approved_by": _who(r.approved_by),
                "result_approved_at": _iso(r.approved_at),
                "result_published_at": _iso(r.published_at),
                "corrected_by_result": r.superseded_by_id or "",
            }
        )
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8"), rows


def _match_manifests(task: Task) -> list[Any]:
    if not apps.is_installed("assignments"):
        return []
    try:
        from assignments.services import match_manifests  # type: ignore[import-not-found]
    except ImportError:
        return []
    try:
        return list(match_manifests(task) or [])
    except Exception:  # noqa: BLE001 - the pack still carries everything else
        log.exception("match_manifests failed for task %s", task.pk)
        return []


def build_pack(task: Task, user: Any) -> bytes:
    """The ZIP bytes of the evidence pack; its download is itself recorded in the audit trail."""
    buf = io.BytesIO()
    entries = audit_entries(task)
    entry_rows = []
    for e in entries:
        entry_rows.append(
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor_repr,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "object": e.object_repr,
                "before": e.before,
                "after": e.after,
                "reason": e.reason,
                "ip": e.ip,
                "prev_hash": e.prev_hash,
                "entry_hash": e.entry_hash,
                "hash_ok": audit.compute_hash(e.prev_hash, e) == e.entry_hash,
            }
        )
    chain = audit.verify_chain()
    chain_data = {
        "ok": chain.ok,
        "checked": chain.checked,
        "first_broken_seq": chain.first_broken_seq,
        "problem": chain.problem,
        "entries_of_this_task": len(entry_rows),
        "entries_of_this_task_ok": all(r["hash_ok"] for r in entry_rows),
        "bad_entries": [r["seq"] for r in entry_rows if not r["hash_ok"]],
        "verified_at": timezone.now().isoformat(),
    }
    draws = []
    plan = _plan_data(task)
    records_csv, result_rows = _records_csv(task)
    matches = _match_manifests(task)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:

        def put(name: str, data: Any) -> None:
            if isinstance(data, (dict, list)):
                data = json.dumps(data, ensure_ascii=False, indent=2, default=str)
            if isinstance(data, str):
                data = data.encode("utf-8")
            zf.writestr(name, data)

        put("task.json", _task_data(task))
        if plan is not None:
            put("plan.json", plan)
        for draw in task.draws.order_by("number"):
            check = verify_draw_files(draw)
            csv_bytes = check.pop("csv", None)
            folder = f"draws/{draw.number}"
            put(f"{folder}/announcement.json", draw.announcement)
            if draw.manifest:
                put(f"{folder}/MANIFEST.json", draw.manifest)
            if csv_bytes is not None:
                put(f"{folder}/CANDIDATES.csv", csv_bytes)
            put(f"{folder}/verification.json", check)
            draws.append({**check, "folder": folder, "void_reason": draw.void_reason, "drawn_at": _iso(draw.drawn_at)})
        for n, manifest in enumerate(matches, start=1):
            put(f"matching/manifest-{n}.json", manifest)
        put("records.csv", records_csv)
        put("records.json", result_rows)
        put("audit/entries.json", entry_rows)
        put("audit/chain-verification.json", chain_data)
        summary = _summary(task)
        if summary is not None:
            put("summary.txt", summary.text)
        html = render_to_string(
            "oversight/evidence_index.html",
            {
                "task": task,
                "plan": plan,
                "draws": draws,
                "matches": len(matches),
                "rows": result_rows,
                "entries": entry_rows,
                "chain": chain_data,
                "summary": summary,
                "generated": timezone.now(),
                "generated_by": _who(user),
            },
        )
        put("index.html", html)
    audit.record(
        AuditAction.ACTION,
        task,
        after={"evidence_pack": "downloaded", "entries": len(entry_rows), "chain_ok": chain.ok},
        actor=user,
    )
    return buf.getvalue()


def _summary(task: Task) -> Any:
    from oversight.models import TaskSummary

    return TaskSummary.objects.filter(task=task).first()


def _task_data(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "name": task.name,
        "organisation": task.organisation.name,
        "lead_department": task.department.name,
        "participants": [
            {"department": p.department.name, "state": p.state, "responded_at": _iso(p.responded_at)}
            for p in task.participants.select_related("department")
        ],
        "items": [f"{v.item.code} v{v.number} {v.name}" for v in task.items.select_related("item")],
        "window": [_iso(task.window_start), _iso(task.window_end)],
        "state": task.state,
        "created_by": _who(task.created_by),
        "created": _iso(task.created),
        "params": task.params,
        "scope": task.scope,
    }
