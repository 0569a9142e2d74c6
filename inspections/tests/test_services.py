import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry
from directory.models import TargetChange
from inspections import files, services
from inspections.models import (
    FollowUp,
    FollowUpKind,
    RecordState,
    Result,
    ResultCategory,
    ResultState,
    RiskRule,
)
from inspections.tests.conftest import JPG, PNG, published, submission, submitted
from workcal.models import CalendarOverride


def test_the_eight_r16_categories_are_all_there():
    from inspections.models import R16_CATEGORIES

    assert len(R16_CATEGORIES) == 8


def test_no_result_exists_before_the_record_is_submitted(visit):
    assert Result.objects.count() == 0
    record = submitted(visit)
    assert record.state == RecordState.SUBMITTED
    assert [r.category for r in record.results.all()] == ["no_problem"]
    assert record.findings.count() == 2


def test_a_result_is_required_for_every_item_never_prefilled(visit):
    with pytest.raises(services.WorkflowError) as exc:
        submitted(visit, categories={})
    assert exc.value.code == "categories"
    assert Result.objects.count() == 0


def test_submitting_twice_with_the_same_key_records_once(visit):
    sub = submission(visit)
    first, created = services.do_submit_record(visit.world.users["inspector"], sub)
    again, created_again = services.do_submit_record(visit.world.users["inspector"], sub)
    assert created and not created_again and first.pk == again.pk
    assert Result.objects.count() == 1


def test_a_result_for_a_target_not_in_the_task_is_refused(visit):
    with pytest.raises(services.WorkflowError) as exc:
        submitted(visit, target_key=visit.outside.key)
    assert exc.value.code == "not_in_task"


def test_a_user_without_an_inspector_entry_cannot_enter(visit):
    with pytest.raises(services.WorkflowError) as exc:
        services.do_submit_record(visit.world.users["coordinator"], submission(visit))
    assert exc.value.status == 403


def test_a_missing_signature_needs_a_reason(visit):
    with pytest.raises(services.WorkflowError):
        submitted(visit, signature_missing_reason="")


def test_a_drawn_signature_is_stored_as_png(visit):
    import base64

    record = submitted(
        visit, signature_kind="drawn", signature_drawn="data:image/png;base64," + base64.b64encode(PNG).decode()
    )
    assert record.signature_file.endswith(".png")


def test_non_cooperation_needs_its_case_and_evidence(visit):
    with pytest.raises(services.WorkflowError):
        submitted(visit, categories={visit.version.pk: "non_cooperation"})
    with pytest.raises(services.WorkflowError):
        submitted(visit, non_cooperation="refused_entry")
    record = submitted(
        visit,
        categories={visit.version.pk: "non_cooperation"},
        non_cooperation="refused_entry",
        non_cooperation_evidence="执法记录仪视频 0001",
    )
    assert record.get_non_cooperation_display()


def test_approval_by_the_person_who_entered_is_refused(visit):
    record = submitted(visit)
    visit.world.users["inspector"]._role_cache = frozenset({"inspector", "approver"})
    with pytest.raises(services.WorkflowError) as exc:
        services.do_approve_record(visit.world.users["inspector"], record)
    assert exc.value.code in ("same_person", "forbidden")


def test_publishing_without_approval_is_refused(visit):
    record = submitted(visit)
    with pytest.raises(services.WorkflowError) as exc:
        services.do_publish_record(visit.world.users["approver"], record)
    assert exc.value.code == "not_approved"


def test_editing_a_published_result_is_refused(visit):
    record = published(visit)
    result = record.results.get()
    result.category = ResultCategory.CORRECTED
    with pytest.raises(ValidationError):
        result.save()


def test_a_correction_is_a_new_visible_version(visit):
    record = published(visit)
    first = record.results.get()
    correction = services.do_correct_result(visit.world.users["inspector"], first, "ordered_to_correct", "复核发现")
    assert correction.version == 2 and correction.state == ResultState.SUBMITTED
    services.do_approve_result(visit.world.users["approver"], correction)
    services.do_publish_result(visit.world.users["coordinator"], correction)
    first.refresh_from_db()
    assert first.category == "no_problem" and first.state == ResultState.PUBLISHED
    assert first.superseded_by_id == correction.pk
    assert list(services.published_results(visit.target).values_list("version", flat=True)) == [2, 1]


def test_the_deadline_counts_working_days(visit, settings):
    # 2026-02-13 is a Friday before the Spring Festival holiday.
    from inspections.services import deadline_for
    from workcal.calendar import add_working_days

    org = visit.world.county
    assert deadline_for(dt.date(2026, 2, 13), org) == add_working_days(dt.date(2026, 2, 13), 20)
    assert deadline_for(dt.date(2026, 2, 13), org) > dt.date(2026, 2, 13) + dt.timedelta(days=28)
    org.publication_days = 7
    CalendarOverride.objects.create(date=dt.date(2026, 6, 1), is_workday=False, note="x")
    # Friday 2026-05-29 + 7 working days, with Monday June 1 off: June 2-5 and 8-10.
    assert deadline_for(dt.date(2026, 5, 29), org) == dt.date(2026, 6, 10)


def test_deadline_status_approaching_and_overdue(visit):
    record = submitted(visit)
    deadline = record.publish_deadline
    assert services.deadline_status(record, deadline + dt.timedelta(days=1)) == "overdue"
    assert services.deadline_status(record, deadline) == "approaching"
    assert services.deadline_status(record, record.checked_on) == "on_time"


def test_a_check_done_but_not_published_is_not_complete(visit):
    submitted(visit)
    progress = services.task_progress(visit.task)
    assert progress["selected"] == 1 and progress["complete"] == 0 and progress["not_complete"] == 1


def test_an_abnormal_listing_finding_gets_an_abnormal_listing_follow_up(visit):
    record = submitted(visit, categories={visit.version.pk: "unreachable"})
    services.do_approve_record(visit.world.users["approver"], record)
    follow_up = FollowUp.objects.get()
    assert follow_up.kind == FollowUpKind.ABNORMAL_LISTING and follow_up.owner == visit.target.organisation
    services.do_close_follow_up(visit.world.users["coordinator"], follow_up, "已列入经营异常名录")
    visit.target.refresh_from_db()
    assert visit.target.abnormal_operation
    assert TargetChange.objects.filter(target=visit.target).exists()


def test_a_published_problem_applies_the_risk_rule_with_an_audit_entry(visit):
    RiskRule.objects.create(
        organisation=visit.world.county, category="pending_follow_up", raise_credit_class=1, complaint_weight=2
    )
    published(visit, categories={visit.version.pk: "pending_follow_up"})
    visit.target.refresh_from_db()
    assert visit.target.credit_class == "C" and visit.target.complaint_count == 2
    assert AuditEntry.objects.filter(action="insp.risk_rule").exists()
    assert TargetChange.objects.filter(target=visit.target).exists()


def test_a_clean_result_changes_no_risk_data(visit):
    RiskRule.objects.create(organisation=visit.world.county, category="no_problem", raise_credit_class=1)
    published(visit)
    visit.target.refresh_from_db()
    assert visit.target.credit_class == "B"


def test_a_hostile_file_name_is_sanitised(visit):
    record = submitted(visit, uploads=[services.Upload("../../etc/<script>x</script>.jpg", JPG)])
    attachment = record.attachments.get()
    assert "/" not in attachment.name and "<" not in attachment.name
    assert attachment.file.startswith("inspections/record-")


def test_a_file_whose_content_is_not_its_type_is_refused(visit):
    with pytest.raises(services.WorkflowError) as exc:
        submitted(visit, uploads=[services.Upload("photo.jpg", b"<html><script>alert(1)</script>")])
    assert exc.value.code == "file_type"
    with pytest.raises(services.WorkflowError):
        submitted(visit, uploads=[services.Upload("run.exe", JPG)])
    assert Result.objects.count() == 0


def test_a_file_over_the_limit_is_refused(visit, settings):
    settings.SUIJI_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(services.WorkflowError) as exc:
        submitted(visit, uploads=[services.Upload("a.png", PNG)])
    assert exc.value.code == "file_too_large"


def test_safe_name_keeps_chinese_and_drops_directories():
    assert files.safe_name("..\\..\\现场照片 1.jpg") == "现场照片 1.jpg"
    assert files.safe_name("\x00") == "file"
