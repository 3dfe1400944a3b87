"""Opening hours: wall-clock ranges across DST changes, past midnight, and dated exceptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.engine.hours import Schedule, parse_days, parse_ranges

BUCHAREST = ZoneInfo("Europe/Bucharest")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = ((9 * 60, 17 * 60),)


def schedule(
    timezone: str = "Europe/Bucharest",
    weekly: dict[int, tuple[tuple[int, int], ...]] | None = None,
    closed: set[date] | None = None,
    special: dict[date, tuple[tuple[int, int], ...]] | None = None,
) -> Schedule:
    """A schedule; by default open 09:00-17:00 every day."""
    if weekly is None:
        weekly = {day: NINE_TO_FIVE for day in range(7)}
    return Schedule("office", timezone, weekly, frozenset(closed or ()), special or {})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# ---- daylight saving: 09:00-17:00 stays nine to five on the wall clock ---------------


def test_bucharest_spring_forward_day_opens_at_local_nine() -> None:
    # 29 March 2026: 03:00 EET -> 04:00 EEST, so local 09:00 is 06:00 UTC (it was 07:00).
    s = schedule()
    assert utc(2026, 3, 29, 5, 59).astimezone(BUCHAREST).utcoffset() == timedelta(hours=3)
    assert not s.is_open(utc(2026, 3, 29, 5, 59))  # 08:59 local
    assert s.is_open(utc(2026, 3, 29, 6, 0))  # 09:00 local
    assert s.is_open(utc(2026, 3, 29, 13, 59))  # 16:59 local
    assert not s.is_open(utc(2026, 3, 29, 14, 0))  # 17:00 local
    # The day before, the same UTC instants are an hour earlier on the wall clock.
    assert not s.is_open(utc(2026, 3, 28, 6, 0))  # 08:00 EET
    assert s.is_open(utc(2026, 3, 28, 14, 30))  # 16:30 EET


def test_bucharest_fall_back_day_closes_at_local_five() -> None:
    # 25 October 2026: 04:00 EEST -> 03:00 EET; 17:00 local is 15:00 UTC (it was 14:00).
    s = schedule()
    assert s.is_open(utc(2026, 10, 25, 7, 0))  # 09:00 EET
    assert not s.is_open(utc(2026, 10, 25, 6, 59))  # 08:59 EET
    assert s.is_open(utc(2026, 10, 25, 14, 30))  # 16:30 EET
    assert not s.is_open(utc(2026, 10, 25, 15, 0))  # 17:00 EET
    assert not s.is_open(utc(2026, 10, 24, 14, 30))  # the day before: 17:30 EEST


def test_bucharest_repeated_hour_is_open_both_times() -> None:
    # 03:00-04:00 happens twice on 25 October 2026; a 03:00-04:00 range covers both.
    s = schedule(weekly={6: ((3 * 60, 4 * 60),)})
    first, second = utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)
    assert first.astimezone(BUCHAREST).hour == second.astimezone(BUCHAREST).hour == 3
    assert s.is_open(first)
    assert s.is_open(second)
    assert not s.is_open(utc(2026, 10, 25, 2, 0))  # 04:00 EET


def test_new_york_spring_forward_and_fall_back() -> None:
    s = schedule("America/New_York")
    # 8 March 2026: EST -> EDT. 09:00 EDT = 13:00 UTC; the day before 09:00 EST = 14:00 UTC.
    assert s.is_open(utc(2026, 3, 8, 13, 0))
    assert not s.is_open(utc(2026, 3, 7, 13, 30))  # 08:30 EST
    assert not s.is_open(utc(2026, 3, 8, 21, 0))  # 17:00 EDT
    assert s.is_open(utc(2026, 3, 7, 21, 30))  # 16:30 EST
    # 1 November 2026: EDT -> EST. 13:30 UTC is 09:30 the day before, 08:30 on the day.
    assert s.is_open(utc(2026, 10, 31, 13, 30))
    assert not s.is_open(utc(2026, 11, 1, 13, 30))
    assert s.is_open(utc(2026, 11, 1, 21, 30))  # 16:30 EST
    assert not s.is_open(utc(2026, 10, 31, 21, 30))  # 17:30 EDT


def test_the_same_instant_is_judged_in_the_schedule_timezone() -> None:
    # Monday 23 November 2026, 15:00 UTC: 17:00 in Bucharest (closed), 10:00 in New York (open).
    instant = utc(2026, 11, 23, 15, 0)
    assert not schedule("Europe/Bucharest").is_open(instant)
    assert schedule("America/New_York").is_open(instant)
    # A non-UTC aware datetime is the same instant.
    assert schedule("America/New_York").is_open(instant.astimezone(BUCHAREST))


# ---- ranges past midnight --------------------------------------------------------------


def test_range_past_midnight_continues_into_the_next_day() -> None:
    ranges, error = parse_ranges("22:00-02:00")
    assert error is None
    s = schedule(weekly={4: ranges})  # Fridays only
    fri = date(2026, 11, 27)
    assert fri.weekday() == 4

    def at(day: date, hh: int, mm: int) -> datetime:
        return datetime(day.year, day.month, day.day, hh, mm, tzinfo=BUCHAREST)

    assert not s.is_open(at(fri, 21, 59))
    assert s.is_open(at(fri, 22, 0))
    assert s.is_open(at(fri, 23, 59))
    sat = fri + timedelta(days=1)
    assert s.is_open(at(sat, 0, 0))
    assert s.is_open(at(sat, 1, 59))
    assert not s.is_open(at(sat, 2, 0))
    assert not s.is_open(at(sat, 22, 30))  # Saturday has no hours of its own
    # Thursday night is not open: the range starts on Friday.
    assert not s.is_open(at(fri, 1, 0))


def test_range_past_midnight_on_sunday_wraps_into_monday() -> None:
    ranges, _ = parse_ranges("23:00-01:00")
    s = schedule(weekly={6: ranges})
    assert s.is_open(datetime(2026, 11, 30, 0, 30, tzinfo=BUCHAREST))  # Monday 00:30
    assert not s.is_open(datetime(2026, 11, 30, 1, 0, tzinfo=BUCHAREST))


def test_night_range_of_a_closed_date_does_not_spill_into_the_next_day() -> None:
    ranges, _ = parse_ranges("22:00-02:00")
    fri = date(2026, 12, 25)
    assert fri.weekday() == 4
    s = schedule(weekly={4: ranges}, closed={fri})
    assert not s.is_open(datetime(2026, 12, 25, 23, 0, tzinfo=BUCHAREST))
    assert not s.is_open(datetime(2026, 12, 26, 1, 0, tzinfo=BUCHAREST))


# ---- closed and special dates ----------------------------------------------------------


def test_closed_date_overrides_the_weekly_hours() -> None:
    christmas = date(2026, 12, 25)
    s = schedule(closed={christmas})
    assert not s.is_open(datetime(2026, 12, 25, 12, 0, tzinfo=BUCHAREST))
    assert s.is_open(datetime(2026, 12, 24, 12, 0, tzinfo=BUCHAREST))
    assert s.is_open(datetime(2026, 12, 26, 12, 0, tzinfo=BUCHAREST))
    assert s.ranges_on(christmas) == ()


def test_closed_date_is_the_local_date_not_the_utc_date() -> None:
    # 24 December 22:30 UTC is already 25 December 00:30 in Bucharest.
    s = schedule(weekly={d: ((0, 1440),) for d in range(7)}, closed={date(2026, 12, 25)})
    assert not s.is_open(utc(2026, 12, 24, 22, 30))
    assert s.is_open(utc(2026, 12, 24, 21, 30))


def test_special_date_replaces_the_weekly_hours() -> None:
    eve = date(2026, 12, 24)
    s = schedule(special={eve: ((9 * 60, 12 * 60),)})
    assert s.is_open(datetime(2026, 12, 24, 11, 59, tzinfo=BUCHAREST))
    assert not s.is_open(datetime(2026, 12, 24, 12, 0, tzinfo=BUCHAREST))  # weekly says open
    assert s.is_open(datetime(2026, 12, 23, 15, 0, tzinfo=BUCHAREST))


def test_special_date_can_open_a_day_that_is_normally_closed() -> None:
    sunday = date(2026, 12, 20)
    s = schedule(weekly={0: NINE_TO_FIVE}, special={sunday: ((10 * 60, 14 * 60),)})
    assert s.is_open(datetime(2026, 12, 20, 10, 0, tzinfo=BUCHAREST))
    assert not s.is_open(datetime(2026, 12, 13, 10, 0, tzinfo=BUCHAREST))


def test_closed_wins_over_special_on_the_same_date() -> None:
    day = date(2026, 12, 24)
    s = schedule(closed={day}, special={day: ((9 * 60, 12 * 60),)})
    assert not s.is_open(datetime(2026, 12, 24, 10, 0, tzinfo=BUCHAREST))


# ---- next opening --------------------------------------------------------------------


def test_next_opening_skips_closed_days() -> None:
    weekdays = {d: NINE_TO_FIVE for d in range(5)}
    s = schedule(weekly=weekdays)
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=BUCHAREST)
    nxt = s.next_opening(friday_evening)
    assert nxt == datetime(2026, 11, 30, 9, 0, tzinfo=BUCHAREST)
    assert nxt is not None and nxt.weekday() == 0


def test_next_opening_same_day_before_opening() -> None:
    s = schedule()
    assert s.next_opening(datetime(2026, 11, 23, 7, 30, tzinfo=BUCHAREST)) == datetime(
        2026, 11, 23, 9, 0, tzinfo=BUCHAREST
    )


def test_next_opening_respects_holidays_and_special_dates() -> None:
    s = schedule(closed={date(2026, 12, 25)}, special={date(2026, 12, 26): ((11 * 60, 13 * 60),)})
    nxt = s.next_opening(datetime(2026, 12, 24, 20, 0, tzinfo=BUCHAREST))
    assert nxt == datetime(2026, 12, 26, 11, 0, tzinfo=BUCHAREST)


def test_next_opening_across_spring_forward_is_local_nine() -> None:
    s = schedule()
    nxt = s.next_opening(utc(2026, 3, 28, 20, 0))  # Saturday 22:00 EET
    assert nxt == utc(2026, 3, 29, 6, 0)  # Sunday 09:00 EEST
    assert nxt is not None and nxt.astimezone(BUCHAREST).hour == 9


def test_next_opening_none_when_never_open() -> None:
    s = schedule(weekly={})
    assert s.next_opening(utc(2026, 11, 23, 8, 0)) is None
    # ... and beyond the horizon
    far = schedule(weekly={}, special={date(2027, 2, 1): NINE_TO_FIVE})
    assert far.next_opening(utc(2026, 11, 23, 8, 0), horizon_days=14) is None
    assert far.next_opening(utc(2026, 11, 23, 8, 0), horizon_days=100) == datetime(
        2027, 2, 1, 9, 0, tzinfo=BUCHAREST
    )


# ---- parsing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-17:00", ((540, 1020),)),
        ("13:00-17:30, 09:00-12:00", ((540, 720), (780, 1050))),  # sorted
        (" 9:15 - 12:45 ", ((555, 765),)),
        ("22:00-02:00", ((1320, 1560),)),
        ("00:00-24:00", ((0, 1440),)),
        ("closed", ()),
        ("CLOSED", ()),
    ],
)
def test_parse_ranges(text: str, expected: tuple[tuple[int, int], ...]) -> None:
    assert parse_ranges(text) == (expected, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-17", "expected hours like"),
        ("09:00", "expected hours like"),
        ("09:00-17:00; 18:00-19:00", "expected hours like"),
        ("25:00-26:00", "not a valid time range"),
        ("09:60-10:00", "not a valid time range"),
        ("10:00-24:30", "not a valid time range"),
        ("09:00-09:00", "is empty"),
        ("open", "expected hours like"),
    ],
)
def test_parse_ranges_errors(text: str, message: str) -> None:
    ranges, error = parse_ranges(text)
    assert ranges == ()
    assert error is not None and message in error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri", [0, 1, 2, 3, 4]),
        ("sat,sun", [5, 6]),
        ("Sat, Sun", [5, 6]),
        ("daily", list(range(7))),
        ("weekdays", [0, 1, 2, 3, 4]),
        ("weekend", [5, 6]),
        ("fri-mon", [4, 5, 6, 0]),  # wraps past Sunday
        ("wed", [2]),
        ("monday", [0]),
        ("mon-wed, sat", [0, 1, 2, 5]),
    ],
)
def test_parse_days(text: str, expected: list[int]) -> None:
    assert parse_days(text) == (expected, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("funday", "unknown day"),
        ("mon-xyz", "unknown day range"),
        ("1-5", "unknown day range"),
        ("xyz", "unknown day 'xyz'"),
    ],
)
def test_parse_days_errors(text: str, message: str) -> None:
    days, error = parse_days(text)
    assert days == []
    assert error is not None and message in error


@pytest.mark.parametrize("text", ["mon;tue", "month", "sunny", "sat sun"])
def test_parse_days_refuses_words_that_merely_start_with_a_day(text: str) -> None:
    days, error = parse_days(text)
    assert error is not None, f"{text!r} was read as {days}"
