"""Writing and verifying the audit trail.

Every tracked model change is recorded by signal handlers in the same
transaction as the change; services call :func:`record` for state transitions
and other actions. The acting user and address come from
:func:`acting` (commands, jobs) or from ``AuditContextMiddleware`` (requests).

Chain rule (also in docs/ARCHITECTURE.md):
``entry_hash = sha256(prev_hash + "\\n" + payload)``, where ``payload`` is the
canonical JSON (sorted keys, no spaces, UTF-8) of the entry's columns
``seq, at, actor_id, actor_repr, action, object_type, object_id, object_repr,
organisation_id, before, after, reason, ip`` and ``at`` is ISO 8601 in UTC with
microseconds. The first entry's ``prev_hash`` is 64 zeros.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save, pre_save

from core.models import AuditAction, AuditEntry, AuditHead

GENESIS = "0" * 64
MASK = "******"

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("suiji_audit_actor", default=None)
_ip: contextvars.ContextVar[str] = contextvars.ContextVar("suiji_audit_ip", default="")
_reason: contextvars.ContextVar[str] = contextvars.ContextVar("suiji_audit_reason", default="")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@contextlib.contextmanager
def acting(user: Any = None, ip: str = "", reason: str = "") -> Iterator[None]:
    """Attribute every entry written inside the block to ``user``."""
    tokens = (_actor.set(user), _ip.set(ip), _reason.set(reason))
    try:
        yield
    finally:
        _actor.reset(tokens[0])
        _ip.reset(tokens[1])
        _reason.reset(tokens[2])


def _current_actor() -> Any:
    actor = _actor.get()
    if callable(actor) and not hasattr(actor, "pk"):
        actor = actor()
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor
    return None


def entry_payload(entry: AuditEntry) -> str:
    at = entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return canonical_json(
        {
            "seq": entry.seq,
            "at": at,
            "actor_id": entry.actor_id,
            "actor_repr": entry.actor_repr,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "object_repr": entry.object_repr,
            "organisation_id": entry.organisation_id,
            "before": entry.before,
            "after": entry.after,
            "reason": entry.reason,
            "ip": entry.ip,
        }
    )


def compute_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + "\n" + entry_payload(entry)).encode("utf-8")).hexdigest()


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    actor: Any = None,
    object_repr: str | None = None,
    object_type: str | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction."""
    actor = actor if actor is not None else _current_actor()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=datetime.now(UTC),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_repr=(str(getattr(actor, "username", "")) if actor else "")[:200],
            action=action,
            object_type=object_type if object_type is not None else (obj._meta.label if obj else ""),
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=(object_repr if object_repr is not None else (str(obj) if obj else ""))[:300],
            organisation_id=_organisation_of(obj),
            before=canonical_json(before) if before else "",
            after=canonical_json(after) if after else "",
            reason=reason or _reason.get(),
            ip=(ip if ip is not None else _ip.get())[:64],
            prev_hash=head.entry_hash,
        )
        entry.entry_hash = compute_hash(head.entry_hash, entry)
        entry.save()
        head.seq = entry.seq
        head.entry_hash = entry.entry_hash
        head.save(update_fields=["seq", "entry_hash"])
    return entry


def _organisation_of(obj: models.Model | None) -> int | None:
    if obj is None:
        return None
    if obj._meta.label == "orgs.Organisation":
        return obj.pk
    org_id = getattr(obj, "organisation_id", None)
    return int(org_id) if org_id is not None else None


# --- verification -------------------------------------------------------------------------


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""


def verify_chain(progress: Any = None) -> ChainReport:
    """Recompute every hash in order; report the first entry that does not fit."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != prev:
            return ChainReport(False, checked, entry.seq, "prev_hash does not match the previous entry")
        if compute_hash(prev, entry) != entry.entry_hash:
            return ChainReport(False, checked, entry.seq, "content does not match its hash")
        prev = entry.entry_hash
        expected_seq += 1
        checked += 1
        if progress is not None:
            progress(checked)
    head = AuditHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, GENESIS)
    if head_seq != checked or head_hash != prev:
        return ChainReport(False, checked, checked + 1, "entries after the last one found are missing")
    return ChainReport(True, checked)


# --- model tracking ----------------------------------------------------------------------------

_TRACKED: dict[type[models.Model], tuple[frozenset[str], frozenset[str]]] = {}


def snapshot(
    obj: models.Model, masked: frozenset[str] = frozenset(), excluded: frozenset[str] = frozenset()
) -> dict[str, str]:
    data: dict[str, str] = {}
    for field in obj._meta.concrete_fields:
        if field.name in excluded:
            continue
        value = field.value_from_object(obj)
        if field.name in masked:
            data[field.name] = MASK if value else ""
        else:
            data[field.name] = "" if value is None else field.value_to_string(obj)
    return data


def track(model: type[models.Model], *, masked: tuple[str, ...] = (), excluded: tuple[str, ...] = ()) -> None:
    """Record every create, change and delete of ``model`` in the audit trail."""
    _TRACKED[model] = (frozenset(masked), frozenset(excluded))
    uid = f"suiji-audit-{model._meta.label}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "-pre")
    post_save.connect(_post_save, sender=model, dispatch_uid=uid + "-post")
    post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + "-del")


def _pre_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        instance._audit_before = None  # type: ignore[attr-defined]
        return
    masked, excluded = _TRACKED[sender]
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(old, masked, excluded) if old else None  # type: ignore[attr-defined]
    instance._audit_masked_before = (
        {  # type: ignore[attr-defined]
            name: getattr(old, name) for name in masked
        }
        if old
        else {}
    )


def _post_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    masked, excluded = _TRACKED[sender]
    after = snapshot(instance, masked, excluded)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        record(AuditAction.CREATE, instance, after=after)
        return
    changed = {k for k in after if before.get(k) != after[k]}
    masked_before = getattr(instance, "_audit_masked_before", {})
    for name in masked:
        if name in masked_before and masked_before[name] != getattr(instance, name):
            changed.add(name)
            before[name] = MASK
            after[name] = MASK + " (changed)"
    if not changed:
        return
    record(
        AuditAction.UPDATE,
        instance,
        before={k: before.get(k, "") for k in sorted(changed)},
        after={k: after[k] for k in sorted(changed)},
    )


def _post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    masked, excluded = _TRACKED[sender]
    record(AuditAction.DELETE, instance, before=snapshot(instance, masked, excluded))


# --- sign-in events ----------------------------------------------------------------------------


def client_ip(request: Any) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(AuditAction.LOGIN, user, actor=user, ip=client_ip(request), object_repr=user.get_username())


def _on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    record(AuditAction.LOGOUT, user, actor=user, ip=client_ip(request), object_repr=user.get_username())


def _on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    record(
        AuditAction.LOGIN_FAILED,
        None,
        object_type="accounts.User",
        object_repr=username,
        ip=client_ip(request),
    )


def connect_auth_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="suiji-audit-login")
    user_logged_out.connect(_on_logout, dispatch_uid="suiji-audit-logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="suiji-audit-login-failed")
