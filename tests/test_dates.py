"""Dates as members type them: the shapes people use, in their language, and refusals
that blame the right part."""

from __future__ import annotations

from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from hypothesis import assume
from hypothesis import given
from hypothesis import strategies as st

from bot import dates
from bot.dates import Problem
from bot.i18n import scope
from bot.recurrence import classify_local
from bot.recurrence import LocalTimeKind
from bot.refusals import explain
from bot.refusals import Refused

PARIS = ZoneInfo("Europe/Paris")
#: Thursday 2026-01-01 10:00 UTC (11:00 in Paris).
NOW = datetime(2026, 1, 1, 10, tzinfo=UTC)
ZONES = st.sampled_from(
    [ZoneInfo(k) for k in ("Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC")]
)
NOWS = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis adds UTC
    max_value=datetime(2035, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
LANGUAGES = ("en", "en-GB", "de", "es", "fr", "pt-BR")


def local(text: str, language: str = "en", **kwargs: object) -> str:
    moment = dates.parse(text, PARIS, NOW, language=language, **kwargs)  # type: ignore[arg-type]
    return f"{moment.astimezone(PARIS):%a %Y-%m-%d %H:%M}"


def refused(text: str, language: str = "en") -> Refused:
    with pytest.raises(Refused) as caught:
        dates.parse(text, PARIS, NOW, language=language)
    return caught.value


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("tomorrow 18:00", "en", "Fri 2026-01-02 18:00"),
        ("fri 17:30", "en", "Fri 2026-01-02 17:30"),
        ("2026-03-05 17:00", "en", "Thu 2026-03-05 17:00"),
        ("2026-03-05T17:00", "en", "Thu 2026-03-05 17:00"),
        ("in 2 hours", "en", "Thu 2026-01-01 13:00"),
        ("in 90 min", "en", "Thu 2026-01-01 12:30"),
        ("in an hour", "en", "Thu 2026-01-01 12:00"),
        ("March 5 17:00", "en", "Thu 2026-03-05 17:00"),
        ("Thursday, March 5th, 2026 at 5:30 pm", "en", "Thu 2026-03-05 17:30"),
        ("day after tomorrow 9am", "en", "Sat 2026-01-03 09:00"),
        ("noon tomorrow", "en", "Fri 2026-01-02 12:00"),
        ("12am tomorrow", "en", "Fri 2026-01-02 00:00"),
        ("17:30", "en", "Thu 2026-01-01 17:30"),  # still ahead today
        ("9:00", "en", "Fri 2026-01-02 09:00"),  # passed today: tomorrow
        ("3/5 5pm", "en-US", "Thu 2026-03-05 17:00"),
        ("3/5 5pm", "en-GB", "Sun 2026-05-03 17:00"),
        ("in 3 days 18:00", "en", "Sun 2026-01-04 18:00"),
        # The member's language: CLDR's names, the bot's few words.
        ("morgen um 18 Uhr", "de", "Fri 2026-01-02 18:00"),
        ("Freitag 17:30", "de", "Fri 2026-01-02 17:30"),
        ("5. März 2026 17:00", "de", "Thu 2026-03-05 17:00"),
        ("5.3. 17:00", "de", "Thu 2026-03-05 17:00"),
        ("in 2 Stunden", "de", "Thu 2026-01-01 13:00"),
        ("5 mars 17h", "fr", "Thu 2026-03-05 17:00"),
        ("vendredi 18h30", "fr", "Fri 2026-01-02 18:30"),
        ("dans 3 jours 18h", "fr", "Sun 2026-01-04 18:00"),
        ("après-demain midi", "fr", "Sat 2026-01-03 12:00"),
        ("mañana a las 18:00", "es", "Fri 2026-01-02 18:00"),
        ("5 de marzo 17:00", "es", "Thu 2026-03-05 17:00"),
        ("mar 5 18:00", "es", "Thu 2026-03-05 18:00"),  # a day number: March
        ("mar 18:00", "es", "Tue 2026-01-06 18:00"),  # alone: Tuesday (martes)
        ("amanhã às 18h", "pt-BR", "Fri 2026-01-02 18:00"),
        ("sexta 18h", "pt-BR", "Fri 2026-01-02 18:00"),
        ("em 2 horas", "pt-BR", "Thu 2026-01-01 13:00"),
        # English is understood whatever the member's language.
        ("tomorrow 18:00", "de", "Fri 2026-01-02 18:00"),
    ],
)
def test_the_shapes_people_type(text: str, language: str, expected: str) -> None:
    assert local(text, language) == expected


def test_a_date_without_a_time_takes_the_default_or_asks_for_one() -> None:
    assert local("2026-03-05", default_time=time(17)) == "Thu 2026-03-05 17:00"
    assert refused("tomorrow").code is Problem.NO_TIME


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("2026-02-30 18:00", Problem.NO_SUCH_DATE, "2026-02-30 is not a date"),
        ("30.2. 18:00", Problem.NO_SUCH_DATE, "30.2. is not a date"),
        ("25:00", Problem.BAD_TIME, "25:00 is not a time of day"),
        ("2026-03-05 17:75", Problem.BAD_TIME, "17:75 is not a time of day"),
        ("13pm", Problem.BAD_TIME, "13pm is not a time of day"),
        ("blah 18:00", Problem.UNREADABLE, "could not read “blah 18:00”"),
        ("18:00 19:00", Problem.UNREADABLE, "could not read"),
        ("", Problem.UNREADABLE, "could not read"),
        ("2026-03-29 02:30", Problem.NONEXISTENT, "02:30 does not exist on 2026-03-29"),
        ("2026-10-25 02:30", Problem.AMBIGUOUS, "02:30 happens twice on 2026-10-25"),
        (
            "fri 2026-03-05 17:00",
            Problem.WRONG_WEEKDAY,
            "2026-03-05 is a Thursday, not a Friday",
        ),
        ("0001-01-01 00:00", Problem.OUT_OF_RANGE, "too far from today"),
    ],
)
def test_refusals_blame_the_part_that_is_wrong(
    text: str, code: Problem, words: str
) -> None:
    problem = refused(text)
    assert problem.code is code
    with scope("en", "en"):
        assert words in explain(problem)


def test_refusals_read_in_the_members_language() -> None:
    with scope("fr", "fr"):
        assert "vendredi" in explain(refused("fri 2026-03-05 17:00"))


# -- properties -------------------------------------------------------------------------
def wall_times(zone: ZoneInfo, now: datetime) -> st.SearchStrategy[datetime]:
    start = now.astimezone(zone).replace(tzinfo=None) + timedelta(minutes=1)
    return st.datetimes(min_value=start, max_value=start + timedelta(days=700)).map(
        lambda d: d.replace(second=0, microsecond=0)
    )


def exists_once(naive: datetime, zone: ZoneInfo) -> bool:
    return classify_local(naive, zone) is LocalTimeKind.OK


@given(st.data(), ZONES, NOWS, st.sampled_from(LANGUAGES))
def test_a_written_date_and_time_reads_back_as_itself(
    data: st.DataObject, zone: ZoneInfo, now: datetime, language: str
) -> None:
    wall = data.draw(wall_times(zone, now))
    assume(exists_once(wall, zone) and wall > now.astimezone(zone).replace(tzinfo=None))
    locale = Locale.parse(language.replace("-", "_"))
    month = str(locale.months["format"]["wide"][wall.month])
    shapes = [
        f"{wall:%Y-%m-%d %H:%M}",
        f"{wall.day}.{wall.month}.{wall.year} {wall:%H:%M}",
        f"{wall.day} {month} {wall.year} {wall:%H}h{wall:%M}",
        f"{month} {wall.day} {wall.year} {wall:%H:%M}",
    ]
    for text in shapes:
        moment = dates.parse(text, zone, now, language=language)
        assert moment.astimezone(zone).replace(tzinfo=None) == wall, text


@given(ZONES, NOWS, st.sampled_from(LANGUAGES), st.integers(0, 6), st.times())
def test_a_weekday_is_the_next_one_to_come(
    zone: ZoneInfo, now: datetime, language: str, weekday: int, at: time
) -> None:
    locale = Locale.parse(language.replace("-", "_"))
    name = str(locale.days["format"]["wide"][weekday])
    text = f"{name} {at:%H:%M}"
    try:
        moment = dates.parse(text, zone, now, language=language)
    except Refused as problem:
        assert problem.code in (Problem.NONEXISTENT, Problem.AMBIGUOUS)
        return
    wall = moment.astimezone(zone)
    assert wall.weekday() == weekday and (wall.hour, wall.minute) == (
        at.hour,
        at.minute,
    )
    assert now < moment <= now + timedelta(days=7, hours=2)


@given(NOWS, st.integers(1, 5000), st.sampled_from(["minutes", "hours"]))
def test_in_so_long_is_exactly_that_long_from_now(
    now: datetime, amount: int, unit: str
) -> None:
    moment = dates.parse(f"in {amount} {unit}", PARIS, now)
    expected = now + timedelta(**{unit: amount})
    assert moment == expected.replace(second=0, microsecond=0)


@given(st.text(max_size=80), ZONES, NOWS, st.sampled_from((*LANGUAGES, "ja", "xx")))
def test_any_text_is_read_or_refused_in_words(
    text: str, zone: ZoneInfo, now: datetime, language: str
) -> None:
    try:
        moment = dates.parse(text, zone, now, language=language)
    except Refused as problem:
        with scope("en", "en"):
            assert explain(problem)
        return
    assert moment.tzinfo is UTC
