"""The calendar file is written by hand for speed; it must stay byte for byte what
the icalendar package writes for the same entries (which calendar apps read)."""

from __future__ import annotations

import random
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot import calendar
from bot.calendar import CalendarEntry
from bot.calendar import to_ics

STAMP = datetime(2026, 12, 5, 2, 30, 15, 123456, tzinfo=UTC)
#: The feed's DTSTAMP moves by the hour (an unchanged feed is a 304 for an hour).
HOUR = STAMP.replace(minute=0, second=0, microsecond=0)
# Every character TEXT escaping or line folding treats specially, and some that take
# two, three and four bytes in UTF-8.
ASCII = "abcdefghij KLMNO 0123 \\\\\\;,:\n\r^^^\"'-/"
ALPHABET = ASCII + "é€😀"


def tricky(rng: random.Random, longest: int) -> str:
    """Text with every kind of character, or ASCII only (folded another way)."""
    alphabet = rng.choice([ASCII, ALPHABET])
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))
    return text + rng.choice(["", "\\", "\\N", "\r\n", "^", "é" * 40])


def entries(seed: int) -> list[CalendarEntry]:
    rng = random.Random(seed)
    start = datetime(2027, 1, 1, 18, 0, tzinfo=UTC)
    out = []
    for n in range(60):
        begins = start + timedelta(minutes=rng.randint(0, 100_000))
        out.append(
            CalendarEntry(
                uid=f"event-{n}-{seed}@pallets-bot",
                summary=tricky(rng, 120),
                start=begins,
                end=begins + timedelta(minutes=rng.randint(0, 300)),
                description=tricky(rng, 900) if rng.random() < 0.8 else "",
                location=tricky(rng, 90) if rng.random() < 0.5 else "",
                url=(
                    "https://discord.com/events/1/" + "9" * rng.randint(1, 120)
                    if rng.random() < 0.5
                    else ""
                ),
                cancelled=rng.random() < 0.2,
                sequence=rng.randint(0, 5),
                last_modified=None
                if rng.random() < 0.3
                else begins - timedelta(days=3),
            )
        )
    return out


@pytest.mark.parametrize("seed", range(20))
def test_the_file_is_what_icalendar_writes(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar, "utcnow", lambda: STAMP)
    listed = entries(seed)
    # A server's name has no line breaks (icalendar refuses them there).
    name = tricky(random.Random(seed), 100).replace("\n", " ").replace("\r", " ")
    written = to_ics(listed, name)
    assert written == calendar._to_ics_by_icalendar(listed, name, HOUR)
    parsed = icalendar.Calendar.from_ical(written).walk("VEVENT")
    assert [str(event["summary"]) for event in parsed] == [
        # As parsed back: a typed \N and a lone CR are line breaks too.
        entry.summary.replace("\\N", "\n").replace("\r\n", "\n").replace("\r", "\n")
        for entry in listed
    ]


def test_times_outside_utc_are_written_with_their_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(calendar, "utcnow", lambda: STAMP)
    paris = datetime(2027, 3, 1, 19, 0, tzinfo=ZoneInfo("Europe/Paris"))
    entry = CalendarEntry("chat-1-2@pallets-bot", "Chat", paris, paris)
    written = to_ics([entry], "Pallets")
    assert written == calendar._to_ics_by_icalendar([entry], "Pallets", HOUR)
    assert b"DTSTART;TZID=Europe/Paris:20270301T190000" in written
