from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import dates
from bot import timezones
from bot.refusals import Refused
from bot.ui import page_bounds
from cogs.events._engine import remind_dm_key
from cogs.events._engine import reminder_plan
from cogs.events._logic import event_rule
from cogs.events._logic import Kind
from cogs.events._logic import load_checklist
from cogs.events._logic import load_code_of_conduct
from cogs.events._logic import local_input
from cogs.events._logic import next_date
from cogs.events._logic import PAGE_SIZE
from cogs.events._logic import read_feedback
from cogs.events._logic import run_checklist
from cogs.events._logic import validate_event
from tests.refusals import refused

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


FORM = {
    "title": "Flask sprint",
    "description": "Step-free venue. Contact: Olivia",
    "start": "2026-03-14 18:00",
    "end": "2026-03-14 21:00",
    "location": "https://meet.example/flask",
}


# The form's times are read by bot.dates (tests/test_dates.py); here, what the events
# job adds: the zone of the form, the end read from the start, the prefill round trip.
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def read(text: str, zone: ZoneInfo = PARIS) -> datetime:
    return dates.parse(text, zone, LONG_AGO)


def test_local_time_is_read_in_the_given_zone() -> None:
    assert read("2026-03-14 18:00") == datetime(2026, 3, 14, 17, tzinfo=UTC)
    assert read("2026-07-14T18:00") == datetime(2026, 7, 14, 16, tzinfo=UTC)


def test_nonexistent_local_time_is_refused() -> None:
    with refused("does not exist"):
        read("2026-03-29 02:30")
    with refused("does not exist"):
        read("2026-03-08 02:30", ZoneInfo("America/New_York"))


def test_ambiguous_local_time_is_refused() -> None:
    with refused("happens twice"):
        read("2026-10-25 02:30")


def test_unreadable_time_is_refused() -> None:
    with refused("could not read"):
        read("le 14 du mois prochain")


def test_the_end_is_read_from_the_start() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    values = {**FORM, "start": "2026-03-14 18:00", "end": "21:00"}
    draft = validate_event(values, kind="sprint", timezone=PARIS, now=now)
    assert draft.ends_at == datetime(2026, 3, 14, 20, tzinfo=UTC)
    values["end"] = "in 3 hours"
    draft = validate_event(values, kind="sprint", timezone=PARIS, now=now)
    assert draft.ends_at == datetime(2026, 3, 14, 20, tzinfo=UTC)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 2),  # noqa: DTZ001 - local wall time
        max_value=datetime(2040, 1, 1),  # noqa: DTZ001
    ),
    st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"]),
)
def test_parsed_time_round_trips_or_is_refused(moment: datetime, zone: str) -> None:
    text = moment.strftime("%Y-%m-%d %H:%M")
    try:
        parsed = read(text, ZoneInfo(zone))
    except Refused:
        return  # a skipped or repeated local time
    assert parsed.tzinfo is UTC
    assert local_input(parsed, zone) == text


def test_unknown_timezone_is_refused() -> None:
    # The events job reads zones with the one Timezone option (bot.timezones).
    assert timezones.zone("Mars/Olympus") is None
    found = timezones.zone(" Europe/Paris ")
    assert found is not None and found.key == "Europe/Paris"


def test_valid_event_is_accepted() -> None:
    draft = validate_event(FORM, kind="sprint", timezone="Europe/Paris", now=NOW)
    assert draft.kind is Kind.SPRINT
    assert draft.starts_at == datetime(2026, 3, 14, 17, tzinfo=UTC)
    assert draft.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end": "2026-03-14 17:00"}, "end after it starts"),
        ({"end": "2026-03-14 18:00"}, "end after it starts"),
        ({"start": "2025-12-31 18:00", "end": "2025-12-31 19:00"}, "in the past"),
        ({"end": "2026-04-14 18:00"}, "at most 14 days"),
        ({"start": "2029-03-14 18:00", "end": "2029-03-14 19:00"}, "too far ahead"),
        ({"title": "x" * 101}, "title is too long"),
        ({"title": ""}, "needs a title"),
        ({"description": "d" * 1001}, "description is too long"),
        ({"description": "hi @everyone"}, "@everyone"),
        ({"description": "hi @here"}, "@everyone"),
        ({"title": "For <@&123>"}, "role mentions"),
        ({"location": ""}, "location or a link"),
    ],
)
def test_bad_event_input_is_refused(changes: dict[str, str], message: str) -> None:
    with refused(message):
        validate_event(
            {**FORM, **changes}, kind="meetup", timezone="Europe/Paris", now=NOW
        )


def test_unknown_kind_is_refused() -> None:
    with refused("kind"):
        validate_event(FORM, kind="rave", timezone="Europe/Paris", now=NOW)


def test_reminder_plan_skips_reminders_already_due() -> None:
    start = datetime(2026, 1, 2, 12, tzinfo=UTC)
    plans = reminder_plan(7, start, NOW)
    assert [p.kind for p in plans] == ["events.remind_dm", "events.remind_channel"]
    assert plans[0].due_at == start - timedelta(hours=24)
    assert plans[0].key == remind_dm_key(7, start)
    soon = reminder_plan(7, NOW + timedelta(hours=5), NOW)
    assert [p.kind for p in soon] == ["events.remind_channel"]
    assert reminder_plan(7, NOW + timedelta(minutes=30), NOW) == []


def test_moving_an_event_gives_new_reminder_keys() -> None:
    first = reminder_plan(7, datetime(2026, 2, 1, tzinfo=UTC), NOW)
    moved = reminder_plan(7, datetime(2026, 2, 2, tzinfo=UTC), NOW)
    assert {p.key for p in first}.isdisjoint({p.key for p in moved})


@given(st.integers(-5, 50), st.integers(0, 200))
def test_pages_are_clamped(requested: int, total: int) -> None:
    # /event list pages with the one paginator (bot.ui), its pages counted from 0.
    number, count, offset = page_bounds(requested - 1, total, PAGE_SIZE)
    assert 1 <= number + 1 <= count
    assert offset == number * PAGE_SIZE
    assert offset < max(total, 1)


def test_checklist_flags_missing_accessibility_and_contact() -> None:
    items = load_checklist()
    results = {r.item.key: r.ok for r in run_checklist("Just come", "Lyon", items)}
    assert results == {
        "time": True,
        "location": True,
        "accessibility": False,
        "contact": False,
        "coc": True,
    }
    good = run_checklist(FORM["description"], "Lyon", items)
    assert all(r.ok for r in good)


def test_code_of_conduct_has_version_and_link() -> None:
    coc = load_code_of_conduct()
    assert coc.version and coc.url.startswith("https://") and coc.text.strip()


def test_checklist_texts_are_marked_for_translation() -> None:
    from cogs.events._render import _CHECKLIST_MESSAGES

    texts = set()
    for item in load_checklist():
        texts.add(item.label)
        if item.hint:
            texts.add(item.hint)
    assert texts <= set(_CHECKLIST_MESSAGES)


# -- repeat rules -----------------------------------------------------------------------------
def _paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.mark.parametrize(
    ("repeat", "every", "first", "expected"),
    [
        # Every two weeks on Tuesday, across the spring change (29 March).
        (
            "weekly",
            2,
            _paris(2026, 3, 17, 18, 30),
            [_paris(2026, 3, 31, 18, 30), _paris(2026, 4, 14, 18, 30)],
        ),
        # Monthly on the 15th, 17:00 local winter and summer.
        (
            "monthly_date",
            1,
            _paris(2026, 2, 15, 17, 0),
            [_paris(2026, 3, 15, 17, 0), _paris(2026, 4, 15, 17, 0)],
        ),
        # The last Friday of the month.
        (
            "monthly_last",
            1,
            _paris(2026, 1, 30, 18, 0),
            [_paris(2026, 2, 27, 18, 0), _paris(2026, 3, 27, 18, 0)],
        ),
        # Quarterly on the first Wednesday.
        (
            "quarterly",
            1,
            _paris(2026, 1, 7, 19, 0),
            [_paris(2026, 4, 1, 19, 0), _paris(2026, 7, 1, 19, 0)],
        ),
    ],
)
def test_event_repeat_rules_keep_the_local_time(
    repeat: str, every: int, first: datetime, expected: list[datetime]
) -> None:
    rule = event_rule(repeat, every, first.astimezone(UTC), "Europe/Paris")
    assert rule is not None
    assert rule.occurrences(first.astimezone(UTC), 2) == [
        moment.astimezone(UTC) for moment in expected
    ]


def test_next_date_skips_dates_already_over() -> None:
    rule = event_rule("weekly", 1, datetime(2026, 1, 1, 17, tzinfo=UTC), "UTC")
    assert rule is not None
    start, end = next_date(
        rule,
        datetime(2026, 1, 1, 17, tzinfo=UTC),
        timedelta(hours=2),
        datetime(2026, 1, 20, tzinfo=UTC),  # the bot was down for weeks
    )
    assert (start, end) == (
        datetime(2026, 1, 22, 17, tzinfo=UTC),
        datetime(2026, 1, 22, 19, tzinfo=UTC),
    )


def test_a_rating_is_read_as_people_type_it() -> None:
    assert read_feedback("4", " ok ") == (4, "ok")
    assert read_feedback("4/5", "") == (4, "")
    assert read_feedback("***", "") == (3, "")
    for bad in ("0", "6", "great", "", "4.5"):
        with pytest.raises(Refused):
            read_feedback(bad, "")
