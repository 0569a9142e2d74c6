"""Working days on real dates of 2025 and 2026, overrides, and the calendar API and page."""

import datetime as dt

import pytest
from django.urls import reverse

from workcal import calendar
from workcal.calendar import WorkCalendar
from workcal.models import CalendarOverride

D = dt.date


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2025, 1, 26), True),  # Sunday, make-up working day before the Spring Festival
        (D(2025, 1, 28), False),  # New Year's Eve, holiday
        (D(2025, 2, 4), False),  # last day of the Spring Festival holiday
        (D(2025, 2, 8), True),  # Saturday, make-up working day
        (D(2025, 9, 28), True),  # Sunday, make-up working day before National Day
        (D(2025, 10, 8), False),  # last day of the National Day holiday
        (D(2025, 10, 11), True),  # Saturday, make-up working day
        (D(2026, 2, 14), True),  # Saturday, make-up working day before the Spring Festival
        (D(2026, 2, 17), False),  # Spring Festival
        (D(2026, 2, 23), False),  # last day of the Spring Festival holiday
        (D(2026, 2, 28), True),  # Saturday, make-up working day
        (D(2026, 9, 20), True),  # Sunday, make-up working day before National Day
        (D(2026, 10, 1), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),  # Saturday, make-up working day
        (D(2026, 11, 23), True),  # an ordinary Monday
        (D(2026, 11, 22), False),  # an ordinary Sunday
    ],
)
def test_it_knows_official_holidays_and_make_up_days(day, expected):
    assert WorkCalendar().is_workday(day) is expected


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (D(2025, 1, 24), 1, D(2025, 1, 26)),  # Friday + 1 lands on the make-up Sunday
        (D(2025, 1, 26), 1, D(2025, 1, 27)),
        (D(2025, 1, 27), 1, D(2025, 2, 5)),  # across the whole Spring Festival holiday
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # across National Day
        (D(2026, 9, 18), 2, D(2026, 9, 21)),  # Friday + 2: make-up Sunday 20th, then Monday
        (D(2026, 9, 28), 7, D(2026, 10, 13)),  # 29, 30, 8, 9, 10 (Sat), 12, 13
        (D(2026, 12, 1), 20, D(2026, 12, 29)),
        (D(2026, 10, 8), -1, D(2026, 9, 30)),
        (D(2026, 10, 3), 0, D(2026, 10, 3)),
    ],
)
def test_it_adds_working_days(start, n, expected):
    assert WorkCalendar().add_working_days(start, n) == expected


def test_the_publication_deadline_after_a_spring_festival_check_skips_the_holiday():
    # A check finished on the last working day before the 2026 holiday: 20 working days later.
    assert WorkCalendar().add_working_days(D(2026, 2, 14), 20) == D(2026, 3, 20)  # Feb 28 is a make-up Saturday


def test_it_counts_working_days_between_dates():
    cal = WorkCalendar()
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert cal.working_days_between(D(2026, 10, 8), D(2026, 9, 30)) == 0


def test_an_override_wins_over_the_official_calendar():
    cal = WorkCalendar({D(2026, 11, 23): False, D(2026, 11, 22): True})
    assert not cal.is_workday(D(2026, 11, 23))
    assert cal.is_workday(D(2026, 11, 22))
    assert cal.add_working_days(D(2026, 11, 21), 1) == D(2026, 11, 22)


def test_a_year_without_a_published_schedule_falls_back_to_statutory_holidays():
    assert calendar.coverage(2026) == "chinese_calendar"
    assert calendar.coverage(2099) == "holidays"
    assert not WorkCalendar().is_workday(D(2099, 1, 1))  # New Year's Day, a Thursday
    assert WorkCalendar().is_workday(D(2099, 1, 2))
    assert not WorkCalendar().is_workday(D(2099, 1, 3))


def test_overrides_in_the_database_are_used(db):
    CalendarOverride.objects.create(date=D(2026, 11, 23), is_workday=False, note="本地停工")
    assert not calendar.is_workday(D(2026, 11, 23))
    assert calendar.add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 24)


def test_the_api_adds_working_days(client, world):
    client.force_login(world.users["inspector"])
    body = client.get("/api/calendar/add?start=2026-09-30&days=1").json()
    assert body["result"] == "2026-10-08"


def test_the_api_refuses_bad_dates_with_a_message(client, world):
    client.force_login(world.users["inspector"])
    response = client.get("/api/calendar/add?start=2026-02-30&days=1")
    assert response.status_code == 422
    assert response.json()["message_zh"]
    response = client.get("/api/calendar/add?start=1900-01-01&days=1")
    assert response.status_code == 422
    response = client.get("/api/calendar/add?start=2026-01-01&days=5000")
    assert response.status_code == 422


def test_the_api_lists_a_year_with_sources(client, world):
    client.force_login(world.users["inspector"])
    days = client.get("/api/calendar/days?year=2026").json()
    assert len(days) == 365
    feb14 = next(d for d in days if d["date"] == "2026-02-14")
    assert feb14 == {"date": "2026-02-14", "is_workday": True, "source": "chinese_calendar"}


def test_an_administrator_adds_and_removes_an_override_through_the_api(client, world):
    client.force_login(world.users["administrator"])
    client.handler.enforce_csrf_checks = False
    body = {"date": "2027-02-08", "is_workday": False, "note": "2027 年春节（待国务院通知确认）"}
    assert client.post("/api/calendar/overrides", body, content_type="application/json").status_code == 201
    duplicate = client.post("/api/calendar/overrides", body, content_type="application/json")
    assert duplicate.status_code == 409
    assert CalendarOverride.objects.count() == 1
    assert client.delete("/api/calendar/overrides/2027-02-08").status_code == 204
    assert CalendarOverride.objects.count() == 0


def test_an_override_without_a_note_is_refused_and_nothing_is_stored(client, world):
    client.force_login(world.users["administrator"])
    client.handler.enforce_csrf_checks = False
    response = client.post(
        "/api/calendar/overrides",
        {"date": "2027-02-08", "is_workday": False, "note": ""},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert CalendarOverride.objects.count() == 0


def test_the_page_shows_the_year_and_the_administrators_form(client, world):
    client.force_login(world.users["administrator"])
    page = client.get(reverse("calendar") + "?year=2026").content.decode()
    assert 'data-date="2026-02-14" data-work="1"' in page
    assert 'data-date="2026-02-17" data-work="0"' in page
    assert 'data-testid="override-form"' in page


def test_the_page_refuses_an_override_from_a_non_administrator(client, world):
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("calendar")).content.decode()
    assert 'data-testid="override-form"' not in page
    response = client.post(reverse("calendar"), {"date": "2026-12-31", "is_workday": "on", "note": "x"})
    assert response.status_code == 403
    assert CalendarOverride.objects.count() == 0


def test_the_page_rejects_a_duplicate_override_with_a_message(client, world):
    client.force_login(world.users["administrator"])
    CalendarOverride.objects.create(date=D(2026, 12, 31), is_workday=False, note="a")
    response = client.post(reverse("calendar"), {"date": "2026-12-31", "is_workday": "on", "note": "b"})
    assert response.status_code == 400
    assert CalendarOverride.objects.get().note == "a"


def test_the_calculator_fragment_answers_and_rejects_bad_input(client, world):
    client.force_login(world.users["inspector"])
    ok = client.get(reverse("calendar-add"), {"start": "2026-09-30", "days": "1"})
    assert ok.status_code == 200 and "2026-10-08" in ok.content.decode()
    bad = client.get(reverse("calendar-add"), {"start": "not a date", "days": "1"})
    assert bad.status_code == 400
