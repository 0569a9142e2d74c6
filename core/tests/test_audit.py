"""The audit trail: every change is recorded, the chain verifies, and tampering is found."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from core import audit
from core.models import AppendOnlyError, AuditEntry
from orgs.models import Department, DepartmentKind

TABLE = AuditEntry._meta.db_table


def run_verify() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", "--quiet", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_it_records_create_change_and_delete_with_before_and_after(world):
    user = world.users["administrator"]
    with audit.acting(user, ip="10.1.2.3"):
        dept = Department.objects.create(organisation=world.county, kind=DepartmentKind.HEALTH, name="卫健委")
        dept.name = "上蔡县卫生健康委员会"
        dept.save()
        dept_id = dept.pk
        dept.delete()
    entries = list(AuditEntry.objects.filter(object_type="orgs.Department", object_id=str(dept_id)))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    create, update, delete = entries
    assert '"name":"卫健委"' in create.after
    assert update.before == '{"name":"卫健委"}'
    assert update.after == '{"name":"上蔡县卫生健康委员会"}'
    assert '"name":"上蔡县卫生健康委员会"' in delete.before
    assert all(e.actor_id == user.pk and e.ip == "10.1.2.3" for e in entries)
    assert create.organisation_id == world.county.pk


def test_it_does_not_record_a_save_that_changes_nothing(world):
    before = AuditEntry.objects.count()
    world.market.save()
    assert AuditEntry.objects.count() == before


def test_it_masks_password_hashes(world):
    user = world.users["inspector"]
    user.set_password("another-Pass-123")
    user.save()
    entry = AuditEntry.objects.filter(object_type="accounts.User", object_id=str(user.pk), action="update").last()
    assert entry is not None
    assert "pbkdf2" not in entry.before + entry.after
    assert entry.after == '{"password":"****** (changed)"}'


def test_the_chain_of_a_fresh_world_verifies(world):
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == AuditEntry.objects.count() > 10
    code, out, _ = run_verify()
    assert code == 0
    assert out.startswith("OK:")


def test_entries_refuse_changes_and_deletion_through_the_orm(world):
    entry = AuditEntry.objects.first()
    entry.reason = "edited"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def test_it_names_the_first_entry_altered_in_the_database(world):
    target = AuditEntry.objects.order_by("seq")[5]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET after = %s WHERE seq = %s", ['{"name":"forged"}', target.seq])
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_seq == target.seq
    code, _, err = run_verify()
    assert code == 1
    assert f"first broken entry #{target.seq}" in err


def test_it_finds_an_altered_hash_that_was_recomputed_for_one_row(world):
    # A forger who recomputes the altered row's own hash still breaks the next link.
    target = AuditEntry.objects.order_by("seq")[3]
    target.reason = "forged"
    new_hash = audit.compute_hash(target.prev_hash, target)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET reason = %s, entry_hash = %s WHERE seq = %s", ["forged", new_hash, target.seq]
        )
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_seq == target.seq + 1


def test_it_finds_a_deleted_entry(world):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq = %s", [4])
    report = audit.verify_chain()
    assert (report.ok, report.first_broken_seq) == (False, 4)


def test_it_finds_a_truncated_tail(world):
    last = AuditEntry.objects.order_by("-seq").first()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq = %s", [last.seq])
    report = audit.verify_chain()
    assert (report.ok, report.first_broken_seq) == (False, last.seq)


def test_sign_in_success_and_failure_are_recorded_with_the_address(client, world):
    client.post(reverse("login"), {"username": "coordinator", "password": "wrong"}, REMOTE_ADDR="192.0.2.7")
    failed = AuditEntry.objects.filter(action="login_failed").last()
    assert (failed.object_repr, failed.ip) == ("coordinator", "192.0.2.7")
    from conftest import PASSWORD

    client.post(reverse("login"), {"username": "coordinator", "password": PASSWORD}, REMOTE_ADDR="192.0.2.7")
    ok = AuditEntry.objects.filter(action="login").last()
    assert ok.actor_id == world.users["coordinator"].pk


def test_changes_made_through_a_page_are_attributed_to_the_signed_in_user(client, world):
    admin = world.users["administrator"]
    client.force_login(admin)
    response = client.post(reverse("calendar"), {"date": "2026-12-31", "is_workday": "", "note": "本地调整"})
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_type="workcal.CalendarOverride").last()
    assert entry.action == "create" and entry.actor_id == admin.pk


def test_the_admin_page_verifies_the_chain_and_reports_a_break(client, world):
    client.force_login(world.users["administrator"])
    response = client.get(reverse("admin:core_auditentry_verify"), follow=True)
    assert "Audit chain intact" in response.content.decode() or "审计链完整" in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET object_repr = %s WHERE seq = %s", ["forged", 2])
    response = client.get(reverse("admin:core_auditentry_verify"), follow=True)
    body = response.content.decode()
    assert "#2" in body


def test_the_verify_page_is_refused_to_an_inspector(client, world):
    client.force_login(world.users["inspector"])
    assert client.get(reverse("admin:core_auditentry_verify")).status_code == 302
    assert client.get(reverse("audit")).status_code == 403
