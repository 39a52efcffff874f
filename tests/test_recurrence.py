"""The one recurrence of chats and events, and reminder offsets."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from bot import recurrence
from bot import reminders
from bot.recurrence import Frequency
from bot.recurrence import LocalTimeKind
from bot.recurrence import Repeat
from bot.recurrence import RepeatTrouble
from bot.recurrence import Rule

ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"]
UTC_2026 = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    frequency = draw(st.sampled_from(list(Frequency)))
    at = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.dates(date(2000, 1, 1), date(2030, 12, 31)))
    interval = draw(st.integers(1, 6))
    if frequency is Frequency.WEEKLY:
        return Rule(
            frequency,
            at,
            zone,
            interval,
            weekday=draw(st.integers(0, 6)),
            anchor=anchor,
        )
    if draw(st.booleans()):
        return Rule(
            frequency,
            at,
            zone,
            interval,
            monthday=draw(st.integers(1, 28)),
            anchor=anchor,
        )
    return Rule(
        frequency,
        at,
        zone,
        interval,
        weekday=draw(st.integers(0, 6)),
        week=draw(st.sampled_from([1, 2, 3, 4, -1])),
        anchor=anchor,
    )


moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - made aware by timezones=
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=200, deadline=None)
@given(rules(), moments)
def test_starting_near_the_query_moves_no_occurrence(rule: Rule, now: datetime) -> None:
    """Queries start the rule near ``now`` for speed: the dates are the same as
    walking it from its anchor."""
    tz = rule.tz
    walked: list[date] = []
    for moment in rule._rrule(rule.anchor):  # noqa: SLF001 - the slow reference
        if recurrence.local_to_utc(moment.date(), rule.at, tz) > now:
            walked.append(moment.date())
            if len(walked) == 5:
                break
    got = [start.astimezone(tz).date() for start in rule.occurrences(now, 5)]
    assert got == walked


@settings(max_examples=100, deadline=None)
@given(rules())
def test_rrule_text_reads_back(rule: Rule) -> None:
    again = Rule.from_rrule_text(
        rule.rrule_text(), at=rule.at, timezone=rule.timezone, anchor=rule.anchor
    )
    assert again == rule


def test_monthly_by_date_and_by_last_weekday() -> None:
    by_date = Rule(Frequency.MONTHLY, time(19), "UTC", monthday=15)
    assert [s.date() for s in by_date.occurrences(UTC_2026, 3)] == [
        date(2026, 1, 15),
        date(2026, 2, 15),
        date(2026, 3, 15),
    ]
    last_friday = Rule(Frequency.MONTHLY, time(19), "UTC", weekday=4, week=-1)
    assert [s.date() for s in last_friday.occurrences(UTC_2026, 3)] == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
    ]


def test_weekly_rule_keeps_wall_time_across_dst_in_new_york() -> None:
    rule = Rule(Frequency.WEEKLY, time(18, 30), "America/New_York", weekday=1)
    starts = rule.occurrences(datetime(2026, 3, 1, tzinfo=UTC), 3)
    assert [s.hour for s in starts] == [23, 22, 22]  # EST, then EDT from 8 March
    local = {s.astimezone(ZoneInfo("America/New_York")).time() for s in starts}
    assert local == {time(18, 30)}


def test_first_unsafe_names_the_first_gap_or_overlap() -> None:
    gap = Rule(Frequency.WEEKLY, time(2, 30), "Europe/Paris", weekday=6)
    assert recurrence.first_unsafe(gap, UTC_2026) == (
        date(2026, 3, 29),
        LocalTimeKind.NONEXISTENT,
    )
    overlap = Rule(Frequency.MONTHLY, time(1, 30), "America/New_York", 1, 6, 1)
    assert recurrence.first_unsafe(overlap, UTC_2026) == (
        date(2026, 11, 1),
        LocalTimeKind.AMBIGUOUS,
    )
    assert (
        recurrence.first_unsafe(
            Rule(Frequency.WEEKLY, time(17), "UTC", weekday=0), UTC_2026
        )
        is None
    )


@pytest.mark.parametrize(
    ("repeat", "first", "expected"),
    [
        (
            Repeat.WEEKLY,
            datetime(2026, 1, 8, 17, tzinfo=UTC),
            ["2026-01-08", "2026-01-15"],
        ),
        (
            Repeat.MONTHLY_DATE,
            datetime(2026, 1, 8, 17, tzinfo=UTC),
            ["2026-01-08", "2026-02-08"],
        ),
        (
            Repeat.MONTHLY_WEEKDAY,
            datetime(2026, 1, 8, 17, tzinfo=UTC),
            ["2026-01-08", "2026-02-12"],
        ),
        (
            Repeat.MONTHLY_LAST,
            datetime(2026, 1, 29, 17, tzinfo=UTC),
            ["2026-01-29", "2026-02-26"],
        ),
        (
            Repeat.QUARTERLY,
            datetime(2026, 1, 8, 17, tzinfo=UTC),
            ["2026-01-08", "2026-04-09"],
        ),
    ],
)
def test_rule_from_first_date(
    repeat: Repeat, first: datetime, expected: list[str]
) -> None:
    start = first
    rule = recurrence.rule_from_first(repeat, start, "UTC")
    assert isinstance(rule, Rule)
    got = [start.date().isoformat(), rule.next_after(start).date().isoformat()]
    assert got == expected


def test_rule_from_first_refuses_dates_not_every_month_has() -> None:
    late = datetime(2026, 1, 30, 17, tzinfo=UTC)  # the fifth Friday
    assert (
        recurrence.rule_from_first(Repeat.MONTHLY_DATE, late, "UTC")
        is RepeatTrouble.DAY_NOT_EVERY_MONTH
    )
    assert (
        recurrence.rule_from_first(Repeat.MONTHLY_WEEKDAY, late, "UTC")
        is RepeatTrouble.NO_FIFTH_WEEKDAY
    )
    early = datetime(2026, 1, 8, 17, tzinfo=UTC)
    assert (
        recurrence.rule_from_first(Repeat.MONTHLY_LAST, early, "UTC")
        is RepeatTrouble.NOT_LAST_WEEKDAY
    )
    every_other = recurrence.rule_from_first(Repeat.WEEKLY, early, "UTC", every=2)
    assert isinstance(every_other, Rule)
    assert every_other.next_after(early) == early + timedelta(weeks=2)


# -- reminder offsets ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("24h,1h", (1440, 60)),
        ("1h, 24h", (1440, 60)),
        ("24,1", (1440, 60)),
        ("30m", (30,)),
        ("2d 15min", (2880, 15)),
        ("none", ()),
        (" NONE ", ()),
        ("", ()),
    ],
)
def test_offsets_parse(text: str, minutes: tuple[int, ...]) -> None:
    assert reminders.parse_offsets(text) == minutes


@pytest.mark.parametrize("text", ["0", "1w", "x", "1,2,3,4,5", "8d", "-1h", "1.5h"])
def test_bad_offsets_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        reminders.parse_offsets(text)


@given(st.lists(st.integers(1, 7 * 24 * 60), max_size=4, unique=True))
def test_offsets_format_and_store_round_trip(values: list[int]) -> None:
    ordered = tuple(sorted(values, reverse=True))
    assert reminders.parse_offsets(reminders.format_offsets(ordered)) == ordered
    assert reminders.from_text(reminders.to_text(ordered)) == ordered
