"""The issue's done-when, in a real browser: a joint visit's record filled on the device (offline, then sent
once), signed with a drawn signature, approved, published and shown on the firm's public page; the finding's
follow-up is closed. Also: the record form fits a phone screen."""

import re

import pytest

from inspections.models import FollowUp, FollowUpKind, FollowUpState, Record, RecordState, ResultState
from inspections.tests.conftest import make_visit
from web.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def draw_signature(page) -> None:
    box = page.locator("[data-testid=signature-pad]").bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 20, y + 60)
    page.mouse.down()
    for dx, dy in ((60, 20), (110, 80), (160, 30), (220, 70)):
        page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def test_a_joint_visit_from_the_device_to_the_firms_public_page(browser, live_server, page, live_world):
    visit = make_visit(live_world, joint=True)
    tax_version, tax_points = visit.others[0]

    # The inspector fills in the record of the joint visit: one section per department.
    sign_in(page, "inspector")
    page.click("#main-nav a[data-nav=inspections]")
    page.click(f"a[href='/inspections/tasks/{visit.task.pk}/']")
    page.click("a[href*='/visit/']")
    page.wait_for_url(re.compile(r"/visit/"))
    page.locator("[data-testid=record-section]").first.wait_for()
    assert page.locator("[data-testid=record-section]").count() == 2
    page.check("input[name=methods][value=onsite]")
    for p in visit.points + tax_points:
        page.check(f"input[name=outcome_{p.pk}][value=ok]")
    page.check(f"input[name=outcome_{visit.points[1].pk}][value=problem]")
    page.fill(f"input[name=note_{visit.points[1].pk}]", "经营场所与许可证载明地址不一致")
    page.select_option(f"select[name=category_{visit.version.pk}]", "pending_follow_up")
    page.select_option(f"select[name=category_{tax_version.pk}]", "no_problem")
    page.check("input[name=signature_kind][value=drawn]")
    draw_signature(page)
    assert page.input_value("#signature-drawn").startswith("data:image/png;base64,")

    # The network is lost: the record stays on the device, however often the button is pressed.
    page.context.set_offline(True)
    page.click("[data-testid=submit-record]")
    page.click("[data-testid=submit-record]")
    page.wait_for_function("document.getElementById('offline-status').textContent.length > 0")
    assert page.evaluate("Object.keys(localStorage).some(k => k.startsWith('suiji-draft-record-'))")
    assert Record.objects.count() == 0
    # The network is back: the draft is submitted by itself, once.
    page.context.set_offline(False)
    page.wait_for_url(re.compile(r"/inspections/records/\d+/$"))
    assert Record.objects.count() == 1
    record = Record.objects.get()
    assert record.state == RecordState.SUBMITTED and record.signature_kind == "drawn" and record.signature_file
    assert page.locator("[data-testid=signature-image]").count() == 1
    assert page.evaluate("Object.keys(localStorage).some(k => k.startsWith('suiji-draft-record-'))") is False
    page.reload()  # nothing is sent again
    assert Record.objects.count() == 1

    # The approver finds it on the workbench, approves and publishes.
    approver = browser.new_context(base_url=live_server.url, locale="zh-CN")
    approver_page = approver.new_page()
    try:
        sign_in(approver_page, "approver")
        approver_page.click("[data-panel=approvals] a")
        approver_page.click("form[action$='/approve/'] button")
        approver_page.wait_for_selector("form[action$='/publish/'] button")
        approver_page.click("form[action$='/publish/'] button")
        approver_page.wait_for_load_state()
        record.refresh_from_db()
        assert record.state == RecordState.PUBLISHED and not record.published_late
        assert set(record.results.values_list("state", flat=True)) == {ResultState.PUBLISHED}

        # The finding created a follow-up (referral to the owning unit); the approver closes it.
        follow_up = FollowUp.objects.get()
        assert follow_up.kind == FollowUpKind.REFERRAL and follow_up.state == FollowUpState.OPEN
        approver_page.goto("/inspections/follow-ups/")
        approver_page.click(f"a[href='/inspections/follow-ups/{follow_up.pk}/close/']")
        approver_page.fill("textarea[name=note]", "已移交属地市场监管所，责令改正并复查合格")
        approver_page.click("form:has(textarea[name=note]) button[type=submit]")
        approver_page.wait_for_url(re.compile(r"/inspections/follow-ups/$"))
        follow_up.refresh_from_db()
        assert follow_up.state == FollowUpState.CLOSED
    finally:
        approver.close()

    # Anyone, without signing in, sees both results on the firm's public page.
    public = browser.new_context(base_url=live_server.url, locale="zh-CN")
    public_page = public.new_page()
    try:
        public_page.goto(f"/portal/firms/{visit.target.key}/")
        rows = public_page.locator("[data-testid=result]")
        assert rows.count() == 2
        text = public_page.inner_text("table.results")
        assert "食品经营许可情况检查" in text and "纳税申报情况检查" in text
        assert "检查员" not in public_page.content()  # no inspector's name on the public page
    finally:
        public.close()


def test_the_record_form_fits_a_phone_screen(browser, live_server, live_world):
    visit = make_visit(live_world, joint=True)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740}, locale="zh-CN")
    phone = context.new_page()
    try:
        sign_in(phone, "inspector")
        phone.goto(f"/inspections/tasks/{visit.task.pk}/visit/{visit.target.key}/")
        assert phone.locator("[data-testid=record-section]").count() == 2
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, width
        pad = phone.locator("[data-testid=signature-pad]").bounding_box()
        assert pad["width"] <= 375
    finally:
        context.close()
