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

from bot import dates
from bot import timezones
from bot.refusals import Refused
from cogs.chats import _logic as logic
from cogs.chats._logic import Cadence
from cogs.chats._logic import LocalTimeKind
from cogs.chats._logic import Problem
from cogs.chats._logic import Recurrence
from cogs.chats._logic import Topic

#: Zones with DST in both hemispheres, odd offsets, a half-hour DST shift, and none.
DST_ZONES = [
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Santiago",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
]
ZONES = [*DST_ZONES, "UTC", "Asia/Kolkata", "Asia/Tokyo", "Asia/Kathmandu"]

zones = st.sampled_from(ZONES)
#: Cadences that fall on a week of the month (weekly ones are tested on their own).
cadences = st.sampled_from([c for c in Cadence if c.monthly])
weekly_cadences = st.sampled_from([c for c in Cadence if not c.monthly])
weekdays = st.integers(0, 6)
weeks = st.sampled_from([1, 2, 3, 4, -1])
times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - made aware by timezones=
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)

#: Before every date these tests type (the wall times read are all ahead of it).
LONG_AGO = datetime(1990, 1, 1, tzinfo=UTC)


def transitions(tz: ZoneInfo, year: int) -> list[datetime]:
    """UTC instants in ``year`` where ``tz``'s offset changes (hour resolution)."""
    out = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(tz).utcoffset()
    while moment < end:
        moment += timedelta(minutes=30)
        offset = moment.astimezone(tz).utcoffset()
        if offset != previous:
            out.append(moment)
            previous = offset
    return out


# -- recurrence ---------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(zones, cadences, weekdays, weeks, times, moments)
def test_occurrences_keep_the_local_rule(
    name: str, cadence: Cadence, weekday: int, week: int, at: time, now: datetime
) -> None:
    rec = Recurrence(cadence, weekday, week, at, name, month_phase=now.month % 3)
    tz = ZoneInfo(name)
    starts = rec.occurrences(now, 8)
    assert len(starts) == 8
    assert starts == sorted(starts)
    assert starts[0] > now
    months = []
    for start in starts:
        local = start.astimezone(tz)
        day = local.date()
        assert day.weekday() == weekday
        if week == -1:
            assert (day + timedelta(days=7)).month != day.month
        else:
            assert (day.day - 1) // 7 + 1 == week
        if cadence is Cadence.QUARTERLY:
            assert (day.month - 1) % 3 == rec.month_phase
        if logic.classify_local(datetime.combine(day, at), tz) is LocalTimeKind.OK:
            assert local.time() == at  # DST-correct: same wall time all year
        months.append(day.year * 12 + day.month)
    gaps = {b - a for a, b in zip(months, months[1:], strict=False)}
    assert gaps == {cadence.step}


@settings(max_examples=150, deadline=None)
@given(zones, weekly_cadences, weekdays, times, moments, st.integers(0, 13))
def test_weekly_occurrences_keep_the_weekday_the_step_and_the_local_time(
    name: str, cadence: Cadence, weekday: int, at: time, now: datetime, shift: int
) -> None:
    tz = ZoneInfo(name)
    anchor = now.astimezone(tz).date() + timedelta(days=shift)
    rec = Recurrence(cadence, weekday, None, at, name, anchor=anchor)
    starts = rec.occurrences(now, 8)
    assert len(starts) == 8 and starts == sorted(starts) and starts[0] > now
    days = [start.astimezone(tz).date() for start in starts]
    assert all(day.weekday() == weekday and day >= anchor for day in days)
    assert {(b - a).days for a, b in zip(days, days[1:], strict=False)} == {
        7 * cadence.step
    }
    # fortnightly weeks are counted from the anchor's week
    monday = anchor - timedelta(days=anchor.weekday())
    assert all((day - monday).days // 7 % cadence.step == 0 for day in days)
    for start, day in zip(starts, days, strict=True):
        if logic.classify_local(datetime.combine(day, at), tz) is LocalTimeKind.OK:
            assert start.astimezone(tz).time() == at


@settings(max_examples=150, deadline=None)
@given(zones, st.sampled_from(list(Cadence)), weekdays, weeks, times, moments)
def test_accepted_series_never_lands_in_a_gap_or_overlap(
    name: str, cadence: Cadence, weekday: int, week: int, at: time, now: datetime
) -> None:
    rec = Recurrence(cadence, weekday, week if cadence.monthly else None, at, name)
    tz = ZoneInfo(name)
    try:
        logic.check_recurrence(rec, now, years=3)
    except Refused as error:
        assert error.code in (Problem.NONEXISTENT_TIME, Problem.AMBIGUOUS_TIME)
        bad = date.fromisoformat(str(error.details["date"]))
        assert logic.classify_local(datetime.combine(bad, at), tz) is not (
            LocalTimeKind.OK
        )
        return
    for start in rec.occurrences(now, 30):
        if start > now + timedelta(days=3 * 365):
            break
        local = start.astimezone(tz)
        assert local.time() == at
        naive = local.replace(tzinfo=None)
        # exactly one instant has this wall time
        assert (
            naive.replace(tzinfo=tz, fold=0).utcoffset()
            == naive.replace(tzinfo=tz, fold=1).utcoffset()
        )


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(DST_ZONES), st.integers(2021, 2034), st.data())
def test_wall_times_around_dst_transitions_are_classified(
    name: str, year: int, data: st.DataObject
) -> None:
    tz = ZoneInfo(name)
    changes = transitions(tz, year)
    assert changes, f"{name} has no DST in {year}"
    change = data.draw(st.sampled_from(changes))
    before = (change - timedelta(seconds=1)).astimezone(tz).utcoffset()
    after = change.astimezone(tz).utcoffset()
    assert before is not None and after is not None
    shift = after - before
    minutes = int(abs(shift).total_seconds() // 60)
    inside = data.draw(st.integers(0, minutes - 1))
    if shift > timedelta(0):  # spring forward: wall times skipped
        wall = (change.astimezone(tz) - shift).replace(tzinfo=None)
        wall += timedelta(minutes=inside)
        assert logic.classify_local(wall, tz) is LocalTimeKind.NONEXISTENT
        with pytest.raises(Refused) as caught:
            dates.parse(f"{wall:%Y-%m-%d %H:%M}", tz, LONG_AGO)
        assert caught.value.code is dates.Problem.NONEXISTENT
    else:  # fall back: wall times repeated
        wall = change.astimezone(tz).replace(tzinfo=None) + timedelta(minutes=inside)
        assert logic.classify_local(wall, tz) is LocalTimeKind.AMBIGUOUS
        with pytest.raises(Refused) as caught:
            dates.parse(f"{wall:%Y-%m-%d %H:%M}", tz, LONG_AGO)
        assert caught.value.code is dates.Problem.AMBIGUOUS
    # an hour either side of the transition is an ordinary wall time
    for outside in (change - timedelta(hours=3), change + timedelta(hours=3)):
        plain = outside.astimezone(tz).replace(tzinfo=None)
        assert logic.classify_local(plain, tz) is LocalTimeKind.OK


def test_paris_chat_is_17_local_in_winter_and_summer() -> None:
    rec = Recurrence(Cadence.MONTHLY, 3, 1, time(17), "Europe/Paris")
    starts = rec.occurrences(datetime(2026, 1, 1, tzinfo=UTC), 7)
    january, july = starts[0], starts[6]
    assert january == datetime(2026, 1, 1, 16, 0, tzinfo=UTC)  # CET, UTC+1
    assert july == datetime(2026, 7, 2, 15, 0, tzinfo=UTC)  # CEST, UTC+2


def test_last_sunday_at_0230_paris_is_refused_as_nonexistent() -> None:
    rec = Recurrence(Cadence.MONTHLY, 6, -1, time(2, 30), "Europe/Paris")
    with pytest.raises(Refused) as caught:
        logic.check_recurrence(rec, datetime(2026, 1, 1, tzinfo=UTC))
    assert caught.value.code is Problem.NONEXISTENT_TIME
    assert caught.value.details["date"] == "2026-03-29"


def test_first_sunday_0130_new_york_in_november_is_refused_as_ambiguous() -> None:
    rec = Recurrence(Cadence.MONTHLY, 6, 1, time(1, 30), "America/New_York")
    with pytest.raises(Refused) as caught:
        logic.check_recurrence(rec, datetime(2026, 1, 1, tzinfo=UTC))
    assert caught.value.code is Problem.AMBIGUOUS_TIME
    assert caught.value.details["date"] == "2026-11-01"


def test_weekly_sunday_0230_paris_is_refused_on_the_first_spring_sunday() -> None:
    rec = Recurrence(Cadence.WEEKLY, 6, None, time(2, 30), "Europe/Paris")
    with pytest.raises(Refused) as caught:
        logic.check_recurrence(rec, datetime(2026, 1, 1, tzinfo=UTC))
    assert caught.value.code is Problem.NONEXISTENT_TIME
    assert caught.value.details["date"] == "2026-03-29"


def test_fortnightly_series_starts_on_the_next_weekday_and_skips_a_week() -> None:
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 1, 1, tzinfo=UTC)  # a Thursday
    values = logic.series_values(
        name="Flask chat",
        cadence="fortnightly",
        weekday=1,
        week=None,
        time="18:30",
        zone=paris,
        duration=60,
        place={"location_kind": "external"},
        lead_days=3,
        reminders="none",
        now=now,
    )
    assert values["anchor"] == "2026-01-06" and values["week"] is None
    assert values["reminder_hours"] == ""
    rec = Recurrence(
        Cadence.FORTNIGHTLY,
        1,
        None,
        time(18, 30),
        "Europe/Paris",
        anchor=date(2026, 1, 6),
    )
    days = [s.astimezone(paris).date().isoformat() for s in rec.occurrences(now, 3)]
    assert days == ["2026-01-06", "2026-01-20", "2026-02-03"]


def test_monthly_series_without_a_week_is_refused() -> None:
    with pytest.raises(Refused) as caught:
        logic.series_values(
            name="Flask chat",
            cadence="monthly",
            weekday=1,
            week=None,
            time="18:30",
            zone=ZoneInfo("UTC"),
            duration=60,
            place={},
            lead_days=3,
            reminders="24",
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    assert caught.value.code is Problem.NO_WEEK


def test_quarterly_series_keeps_its_phase() -> None:
    tz = ZoneInfo("UTC")
    phase = logic.phase_for(Cadence.QUARTERLY, datetime(2026, 2, 1, tzinfo=UTC), tz)
    rec = Recurrence(Cadence.QUARTERLY, 0, 2, time(18), "UTC", month_phase=phase)
    months = [s.month for s in rec.occurrences(datetime(2026, 2, 1, tzinfo=UTC), 4)]
    assert months == [2, 5, 8, 11]


@pytest.mark.parametrize(
    ("year", "month", "weekday", "week", "expected"),
    [
        (2026, 1, 3, 1, date(2026, 1, 1)),
        (2026, 1, 3, -1, date(2026, 1, 29)),
        (2026, 3, 6, -1, date(2026, 3, 29)),
        (2026, 2, 0, 4, date(2026, 2, 23)),
    ],
)
def test_nth_weekday(
    year: int, month: int, weekday: int, week: int, expected: date
) -> None:
    assert logic.nth_weekday(year, month, weekday, week) == expected


# -- input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["5", "0", "fifth", ""])
def test_week_five_is_refused(text: str) -> None:
    with pytest.raises(Refused) as caught:
        logic.parse_week(text)
    assert caught.value.code is Problem.BAD_WEEK


def test_week_words_and_numbers() -> None:
    assert logic.parse_week("last") == -1
    assert logic.parse_week("2") == 2
    assert logic.parse_week("First") == 1


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "paris"])
def test_unknown_timezone_is_refused(name: str) -> None:
    # Chats read zones with the one Timezone option (bot.timezones).
    assert timezones.zone(name) is None


def test_timezone_case_is_forgiven() -> None:
    found = timezones.zone("europe/paris")
    assert found is not None and found.key == "Europe/Paris"


@given(st.text(max_size=8))
def test_parse_local_time_accepts_only_clock_times(text: str) -> None:
    try:
        parsed = logic.parse_local_time(text)
    except Refused as error:
        assert error.code is Problem.BAD_TIME
    else:
        assert 0 <= parsed.hour <= 23


@pytest.mark.parametrize("minutes", [0, -5, 721])
def test_duration_zero_or_over_12_hours_is_refused(minutes: int) -> None:
    with pytest.raises(Refused):
        logic.check_duration(minutes)


def test_reminders_parse_and_validate() -> None:
    assert logic.parse_reminders("1, 24") == (24, 1)
    assert logic.parse_reminders("") == ()
    assert logic.parse_reminders("24h,1h") == (24, 1)
    assert logic.parse_reminders("none") == ()
    assert logic.parse_reminders("2d") == (48,)
    for bad in ("0", "x", "1,2,3,4,5", "500", "30m", "1h30"):
        with pytest.raises(Refused):
            logic.parse_reminders(bad)
    with pytest.raises(Refused) as caught:
        logic.check_lead(1, (24,))
    assert caught.value.code is Problem.REMINDER_BEFORE_OPENING


@pytest.mark.parametrize(
    "text", ["hi @everyone", "@here look", "ping <@&123>", "@EVERYONE"]
)
def test_mass_mentions_in_topics_are_refused(text: str) -> None:
    with pytest.raises(Refused) as caught:
        logic.check_text(text, 100)
    assert caught.value.code is Problem.MASS_MENTION


def test_topic_text_limits() -> None:
    with pytest.raises(Refused) as caught:
        logic.check_text("x" * 101, 100)
    assert caught.value.code is Problem.TOO_LONG
    with pytest.raises(Refused):
        logic.check_text(" \u200b ", 100, required=True)
    assert logic.check_text("  Async views \u200b", 100) == "Async views"


def test_joiners_are_kept_but_do_not_hide_a_mention_or_fill_a_blank() -> None:
    family = (
        "\U0001f469\u200d\U0001f469\u200d\U0001f467 and \u0645\u06cc\u200c\u062e\u0648"
    )
    assert logic.check_text(f"\u200d {family} \u200c", 100) == family
    with pytest.raises(Refused) as caught:
        logic.check_text("@\u200deveryone", 100)
    assert caught.value.code is Problem.MASS_MENTION
    with pytest.raises(Refused):
        logic.check_text("\u200c\u200d", 100, required=True)


@given(st.text(st.sampled_from("ab \n"), max_size=300), st.integers(5, 40))
def test_split_message_keeps_every_character_and_the_limit(
    text: str, limit: int
) -> None:
    parts = logic.split_message(text, limit)
    assert parts and all(len(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


# -- timed work ---------------------------------------------------------------------------------
def test_plan_and_reminder_actions() -> None:
    start = datetime(2026, 2, 5, 17, tzinfo=UTC)
    planned = logic.plan(start, start + timedelta(hours=1), 7, (24, 1))
    assert planned.open_at == start - timedelta(days=7)
    assert [h for h, _ in planned.reminders] == [24, 1]
    assert planned.reminders[1][1] == start - timedelta(hours=1)
    early = start - timedelta(minutes=30)
    assert logic.reminder_action(False, early, start) is logic.ReminderAction.SEND
    assert logic.reminder_action(True, early, start) is logic.ReminderAction.SEND_LATE
    assert logic.reminder_action(True, start, start) is logic.ReminderAction.MISSED


# -- agenda ---------------------------------------------------------------------------------------
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 1000), st.booleans()),
        max_size=12,
    )
)
def test_agenda_orders_pinned_then_votes_then_age(
    rows: list[tuple[int, int, bool]],
) -> None:
    topics = [
        Topic(i, f"t{i}", votes, created, pinned)
        for i, (votes, created, pinned) in enumerate(rows)
    ]
    ranked = logic.rank(topics)
    assert sorted(t.id for t in ranked) == list(range(len(rows)))
    for a, b in zip(ranked, ranked[1:], strict=False):
        assert (not a.pinned, -a.votes, a.created_at) <= (
            not b.pinned,
            -b.votes,
            b.created_at,
        )
    assert len(logic.agenda(topics)) == min(len(rows), logic.AGENDA_SIZE)
