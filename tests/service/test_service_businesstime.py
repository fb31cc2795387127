"""Business time, worked out by hand: due times across a night, a weekend, a holiday, a
time zone's change to summer time, and elapsed business time less pauses.

The calendars are built directly (accord_service.businesstime is pure: no kernel, no
database). March 2026: Monday 2 … Friday 6, Monday 9; Europe/Berlin moves its clocks
from 02:00 CET (UTC+1) to 03:00 CEST (UTC+2) on Sunday 29 March.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accord_service.businesstime import Calendar, business_minutes, business_time, due_at

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = ((dt.time(9), dt.time(17)),)
WEEKDAYS = {day: NINE_TO_FIVE for day in range(5)}


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def berlin(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=BERLIN)


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.fixture
def office() -> Calendar:
    """Monday to Friday, 09:00-17:00 UTC."""
    return Calendar(ZoneInfo("UTC"), WEEKDAYS)


def test_within_one_day(office):
    assert due_at(office, utc(2026, 3, 2, 10), minutes(90)) == utc(2026, 3, 2, 11, 30)


def test_across_a_night(office):
    # Monday 16:00: 60 minutes to 17:00, the other 60 on Tuesday from 09:00.
    assert due_at(office, utc(2026, 3, 2, 16), minutes(120)) == utc(2026, 3, 3, 10)


def test_across_a_weekend(office):
    # Friday 15:30: 90 minutes to 17:00; 150 left on Monday from 09:00 -> 11:30.
    assert due_at(office, utc(2026, 3, 6, 15, 30), minutes(240)) == utc(2026, 3, 9, 11, 30)


def test_across_a_weekend_and_a_holiday():
    # The same, with Monday 9 March a holiday: the 150 minutes are on Tuesday.
    closed = Calendar(ZoneInfo("UTC"), WEEKDAYS, frozenset({dt.date(2026, 3, 9)}))
    assert due_at(closed, utc(2026, 3, 6, 15, 30), minutes(240)) == utc(2026, 3, 10, 11, 30)


def test_a_start_outside_hours_waits_for_the_opening(office):
    assert due_at(office, utc(2026, 3, 2, 7), minutes(30)) == utc(2026, 3, 2, 9, 30)
    assert due_at(office, utc(2026, 3, 2, 18), minutes(30)) == utc(2026, 3, 3, 9, 30)
    # Saturday: Monday's opening.
    assert due_at(office, utc(2026, 3, 7, 12), minutes(30)) == utc(2026, 3, 9, 9, 30)


def test_due_at_closing_time_is_that_closing_time(office):
    # A whole day's 480 minutes from Monday 09:00 end at Monday 17:00, not Tuesday 09:00.
    assert due_at(office, utc(2026, 3, 2, 9), minutes(480)) == utc(2026, 3, 2, 17)
    assert due_at(office, utc(2026, 3, 2, 9), minutes(481)) == utc(2026, 3, 3, 9, 1)


def test_a_lunch_break_is_not_business_time():
    split = Calendar(ZoneInfo("UTC"), {0: ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17)))})
    # Monday 11:00: 60 minutes to 12:00, then 30 after lunch.
    assert due_at(split, utc(2026, 3, 2, 11), minutes(90)) == utc(2026, 3, 2, 13, 30)
    # Monday only: 7 hours a week. 8 hours from Monday 09:00 end next Monday 10:00.
    assert due_at(split, utc(2026, 3, 2, 9), minutes(480)) == utc(2026, 3, 9, 10)


def test_hours_are_local_to_the_time_zone_across_the_change_to_summer_time():
    berlin_office = Calendar(BERLIN, WEEKDAYS)
    # Friday 27 March 16:00 CET (15:00 UTC): 60 minutes to 17:00 CET. Monday 30 March
    # opens at 09:00 CEST, which is 07:00 UTC: the other 60 end at 10:00 CEST.
    due = due_at(berlin_office, berlin(2026, 3, 27, 16), minutes(120))
    assert due == berlin(2026, 3, 30, 10) == utc(2026, 3, 30, 8)
    # The same wall-clock hours and start read as UTC say 10:00 UTC, two hours later.
    assert due_at(Calendar(ZoneInfo("UTC"), WEEKDAYS), utc(2026, 3, 27, 16),
                  minutes(120)) == utc(2026, 3, 30, 10)


def test_a_day_of_23_hours_counts_the_minutes_that_really_pass():
    # Open round the clock in Berlin ("00:00-24:00": an end of 00:00 is midnight).
    always = Calendar(BERLIN, {day: ((dt.time(0), dt.time(0)),) for day in range(7)})
    # Saturday 28 March 12:00 CET (11:00 UTC) + 24 hours: Sunday 11:00 UTC, which is
    # 13:00 CEST (Sunday has 23 hours: 02:00 becomes 03:00).
    due = due_at(always, berlin(2026, 3, 28, 12), minutes(24 * 60))
    assert due == utc(2026, 3, 29, 11) == berlin(2026, 3, 29, 13)
    assert business_minutes(always, berlin(2026, 3, 29, 0), berlin(2026, 3, 30, 0)) == 23 * 60


def test_elapsed_business_time_across_a_weekend(office):
    # Friday 16:00 -> Monday 10:00: 60 minutes on Friday, 60 on Monday.
    assert business_minutes(office, utc(2026, 3, 6, 16), utc(2026, 3, 9, 10)) == 120
    assert business_time(office, utc(2026, 3, 9, 10), utc(2026, 3, 6, 16)) == dt.timedelta(0)


def test_elapsed_business_time_less_a_pause(office):
    start, end = utc(2026, 3, 6, 16), utc(2026, 3, 9, 10)
    # Paused Friday 16:30 -> Monday 09:30: 30 business minutes on Friday, 30 on Monday.
    pause = (utc(2026, 3, 6, 16, 30), utc(2026, 3, 9, 9, 30))
    assert business_minutes(office, start, end, [pause]) == 60
    # Overlapping pauses count each moment once; one reaching outside the span is cut.
    assert business_minutes(office, start, end, [
        pause, (utc(2026, 3, 9, 9), utc(2026, 3, 9, 9, 45)),
        (utc(2026, 3, 6, 12), utc(2026, 3, 6, 16, 10))]) == 120 - 60 - 15 - 10
    # A pause still running (None) lasts to the end.
    assert business_minutes(office, start, end, [(utc(2026, 3, 9, 9, 15), None)]) == 75


def test_elapsed_and_due_agree(office):
    start = utc(2026, 3, 6, 15, 30)
    due = due_at(office, start, minutes(240))
    assert business_minutes(office, start, due) == 240


def test_naive_moments_and_negative_durations_are_refused(office):
    with pytest.raises(ValueError, match="has no time zone"):
        due_at(office, dt.datetime(2026, 3, 2, 9), minutes(10))
    with pytest.raises(ValueError, match="not negative"):
        due_at(office, utc(2026, 3, 2, 9), minutes(-1))


def test_a_calendar_without_hours_has_no_due_time():
    with pytest.raises(ValueError, match="no business hours within"):
        due_at(Calendar(ZoneInfo("UTC"), {}), utc(2026, 3, 2, 9), minutes(1))
