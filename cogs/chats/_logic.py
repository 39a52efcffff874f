"""Community chats without Discord: recurrence, validation, agenda ranking.

Everything here is pure: datetimes in, datetimes out. Occurrences come from the one
recurrence of chats and events (:mod:`bot.recurrence`), in the series' own IANA
timezone, so a 17:00 Europe/Paris chat is 17:00 Paris time in January and in July. A
local time that does not exist on some date of the series (the spring-forward gap) or
exists twice (the fall-back hour) is refused when the series is created, rather than
silently moved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot import recurrence
from bot import reminders as offsets
from bot.recurrence import CHECK_YEARS
from bot.recurrence import classify_local
from bot.recurrence import Frequency
from bot.recurrence import local_to_utc
from bot.recurrence import LocalTimeKind
from bot.recurrence import nth_weekday
from bot.recurrence import Rule
from bot.refusals import Refused
from bot.safety import mass_mention

__all__ = [
    "CHECK_YEARS",
    "LocalTimeKind",
    "classify_local",
    "local_to_utc",
    "nth_weekday",
]

MAX_DURATION_MINUTES = 12 * 60
MAX_LEAD_DAYS = 60
MAX_REMINDERS = 4
MAX_REMINDER_HOURS = 7 * 24
TITLE_LIMIT = 100
DETAILS_LIMIT = 500
NOTES_LIMIT = 3500
PROPOSALS_PER_MEMBER = 3
NAME_LIMIT = 80
AGENDA_SIZE = 5
#: Lines a page of /chat history and of /chat topics shows.
HISTORY_PAGE = 15
TOPICS_PAGE = 10
#: Series a page of /chat-admin series-list shows.
SERIES_PAGE = 10


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def monthly(self) -> bool:
        """Whether the chats fall on a week of the month (else on every nth week)."""
        return self in (Cadence.MONTHLY, Cadence.QUARTERLY)

    @property
    def step(self) -> int:
        """Weeks (weekly cadences) or months (monthly ones) from one chat to the next."""
        return _STEPS[self]


_STEPS = {
    Cadence.WEEKLY: 1,
    Cadence.FORTNIGHTLY: 2,
    Cadence.MONTHLY: 1,
    Cadence.QUARTERLY: 3,
}


class Problem(StrEnum):
    """Why something was refused; ``_render`` turns each into a translated sentence."""

    BAD_TIME = "bad_time"
    NONEXISTENT_TIME = "nonexistent_time"
    AMBIGUOUS_TIME = "ambiguous_time"
    BAD_WEEK = "bad_week"
    NO_WEEK = "no_week"
    BAD_DURATION = "bad_duration"
    BAD_LEAD = "bad_lead"
    BAD_REMINDERS = "bad_reminders"
    REMINDER_BEFORE_OPENING = "reminder_before_opening"
    BAD_NAME = "bad_name"
    BAD_LOCATION = "bad_location"
    EMPTY_TITLE = "empty_title"
    TOO_LONG = "too_long"
    MASS_MENTION = "mass_mention"
    PAST_TIME = "past_time"
    TOO_FAR = "too_far"
    NO_SERIES = "no_series"
    SERIES_EXISTS = "series_exists"
    SERIES_GONE = "series_gone"
    NOTHING_TO_CHANGE = "nothing_to_change"
    ALREADY_PAUSED = "already_paused"
    NOT_PAUSED = "not_paused"
    NOTHING_PLANNED = "nothing_planned"
    NO_CHAT_PLANNED = "no_chat_planned"
    NOT_HELD_YET = "not_held_yet"
    CHAT_GONE = "chat_gone"
    VOTING_CLOSED = "voting_closed"
    PROPOSALS_LIMIT = "proposals_limit"
    TOPIC_REMOVED = "topic_removed"
    INTERESTED_ON_DISCORD = "interested_on_discord"


# -- local times ----------------------------------------------------------------------
_TIME = re.compile(r"^\s*(\d{1,2})[:h.](\d{2})\s*$")


def parse_local_time(text: str) -> time:
    """Parse ``17:00`` (or ``17h00``, ``17.00``) as a time of day."""
    match = _TIME.match(text)
    if match is None:
        raise Refused(Problem.BAD_TIME, time=text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise Refused(Problem.BAD_TIME, time=text)
    return time(hour, minute)


# -- the recurrence --------------------------------------------------------------------
def parse_week(text: str) -> int:
    """``1``..``4`` (or first..fourth), or ``last`` (-1)."""
    words = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
    value = text.strip().lower()
    if value in words:
        return words[value]
    if value in {"1", "2", "3", "4", "-1"}:
        return int(value)
    raise Refused(Problem.BAD_WEEK, week=text)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A series' rule as chats store it; :attr:`rule` is the shared one."""

    cadence: Cadence
    weekday: int
    week: int | None
    at: time
    timezone: str
    #: For quarterly series: months m with (m - 1) % 3 == phase.
    month_phase: int = 0
    #: For fortnightly series: the date of the first chat (fixes which weeks).
    anchor: date | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def rule(self) -> Rule:
        if self.cadence.monthly:
            return Rule(
                Frequency.MONTHLY,
                self.at,
                self.timezone,
                self.cadence.step,
                weekday=self.weekday,
                week=self.week,
                anchor=date(recurrence.EPOCH.year, self.month_phase + 1, 1),
            )
        return Rule(
            Frequency.WEEKLY,
            self.at,
            self.timezone,
            self.cadence.step,
            weekday=self.weekday,
            anchor=self.anchor or recurrence.EPOCH,
        )

    def local_dates(self, after: datetime) -> Iterator[date]:
        """The series' dates, from the local date of ``after`` on."""
        return self.rule.local_dates(after)

    def occurrences(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` UTC starts strictly after ``after``."""
        return self.rule.occurrences(after, count)

    def next_after(self, after: datetime) -> datetime:
        return self.rule.next_after(after)


def check_recurrence(rec: Recurrence, now: datetime, years: int = CHECK_YEARS) -> None:
    """Refuse a series whose local time falls in a DST gap or overlap on some date.

    The first offending date is named, so the organiser can pick another time.
    """
    bad = recurrence.first_unsafe(rec.rule, now, years)
    if bad is None:
        return
    day, kind = bad
    problem = (
        Problem.NONEXISTENT_TIME
        if kind is LocalTimeKind.NONEXISTENT
        else Problem.AMBIGUOUS_TIME
    )
    raise Refused(problem, date=day.isoformat(), time=_hm(rec.at))


def phase_for(cadence: Cadence, now: datetime, tz: ZoneInfo) -> int:
    """A quarterly series starts in the current quarter-month of its zone."""
    if cadence is not Cadence.QUARTERLY:
        return 0
    return (now.astimezone(tz).month - 1) % 3


def anchor_for(
    cadence: Cadence, weekday: int, at: time, zone: ZoneInfo, now: datetime
) -> date | None:
    """A fortnightly series starts with the first such weekday after ``now``: its
    weeks are counted from that date's week."""
    if cadence is not Cadence.FORTNIGHTLY:
        return None
    first = Rule(Frequency.WEEKLY, at, zone.key, weekday=weekday).next_after(now)
    return first.astimezone(zone).date()


def _hm(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def format_time(at: time) -> str:
    return _hm(at)


# -- other settings ----------------------------------------------------------------------
def check_duration(minutes: int) -> timedelta:
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise Refused(Problem.BAD_DURATION, minutes=minutes)
    return timedelta(minutes=minutes)


def parse_reminders(text: str) -> tuple[int, ...]:
    """``"24,1"`` or ``"24h, 1h"`` as (24, 1): whole hours before the start, largest
    first, no repeats; ``none`` for none (see :mod:`bot.reminders`)."""
    try:
        minutes = offsets.parse_offsets(
            text, most=MAX_REMINDERS, longest=MAX_REMINDER_HOURS * 60
        )
    except ValueError:
        raise Refused(Problem.BAD_REMINDERS, reminders=text) from None
    if any(m % 60 for m in minutes):
        raise Refused(Problem.BAD_REMINDERS, reminders=text)
    return tuple(m // 60 for m in minutes)


def format_reminders(hours: Iterable[int]) -> str:
    return ",".join(str(h) for h in hours)


def check_lead(lead_days: int, reminders: tuple[int, ...]) -> None:
    if not 1 <= lead_days <= MAX_LEAD_DAYS:
        raise Refused(Problem.BAD_LEAD, days=lead_days)
    if reminders and reminders[0] >= lead_days * 24:
        raise Refused(
            Problem.REMINDER_BEFORE_OPENING, hours=reminders[0], days=lead_days
        )


#: Characters that render as nothing and mean nothing: dropped from member text.
_MEANINGLESS = "\u200b\u2060\ufeff"
#: Joiners render as nothing but mean something (emoji sequences, Persian and Indic
#: spelling): kept, but seen through when judging emptiness and mentions.
_JOINERS = "\u200c\u200d"
#: Whitespace and joiners around the text join nothing.
_EDGES = re.compile(r"^[\s\u200c\u200d]+|[\s\u200c\u200d]+$")


def check_text(text: str, limit: int, *, required: bool = False) -> str:
    """Clean member text; refuse mass mentions, empty required text, or overlong text."""
    cleaned = _EDGES.sub(
        "",
        "".join(
            ch for ch in text if ch not in _MEANINGLESS and (ch >= " " or ch in "\n\t")
        ),
    )
    bare = "".join(ch for ch in cleaned if ch not in _JOINERS).strip()
    if required and not bare:
        raise Refused(Problem.EMPTY_TITLE)
    if len(cleaned) > limit:
        raise Refused(Problem.TOO_LONG, limit=limit, length=len(cleaned))
    if mass_mention(bare):
        raise Refused(Problem.MASS_MENTION)
    return cleaned


def split_message(text: str, limit: int) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` characters, between lines where
    possible, else between words, so a long text is posted whole, not clipped."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 1, limit + 1)
        if cut < 0:
            cut = rest.rfind(" ", 1, limit + 1)
        # Cut at a line break or a space, which goes with the cut; else mid-word.
        head, rest = (
            (rest[:cut], rest[cut + 1 :]) if cut > 0 else (rest[:limit], rest[limit:])
        )
        parts.append(head)
    parts.append(rest)
    return [part for part in parts if part.strip()] or [text[:limit]]


def check_name(name: str) -> str:
    cleaned = check_text(name, NAME_LIMIT, required=True)
    return cleaned


# -- a series as organisers describe it ---------------------------------------------------
def location(
    kind: str | None, channel_id: int | None, url: str | None
) -> dict[str, object]:
    """Where the chats happen: a voice or stage channel (``kind``), or a link."""
    if (channel_id is None) == (not url):
        raise Refused(Problem.BAD_LOCATION)
    if channel_id is not None:
        return {"location_kind": kind, "channel_id": channel_id, "location_url": None}
    assert url is not None
    cleaned = url.strip()
    if not cleaned.startswith("https://") or len(cleaned) > 100 or " " in cleaned:
        raise Refused(Problem.BAD_LOCATION)
    return {"location_kind": "external", "channel_id": None, "location_url": cleaned}


def series_values(
    *,
    name: str,
    cadence: str,
    weekday: int,
    week: str | None,
    time: str,
    zone: ZoneInfo,
    duration: int,
    place: dict[str, object],
    lead_days: int,
    reminders: str,
    now: datetime,
    month_phase: int | None = None,
    anchor: date | None = None,
) -> dict[str, object]:
    """Check a series as an organiser describes it; return its stored columns.

    ``month_phase`` and ``anchor`` are an existing series' (an edit keeps which
    months or weeks it falls in); a new series takes them from ``now``.
    """
    clean_name = check_name(name)
    kind = Cadence(cadence)
    at = parse_local_time(time)
    week_number: int | None = None
    if kind.monthly:
        if week is None or not week.strip():
            raise Refused(Problem.NO_WEEK)
        week_number = parse_week(week)
    check_duration(duration)
    hours = parse_reminders(reminders)
    check_lead(lead_days, hours)
    rec = Recurrence(
        kind,
        weekday,
        week_number,
        at,
        zone.key,
        phase_for(kind, now, zone) if month_phase is None else month_phase,
        anchor or anchor_for(kind, weekday, at, zone, now),
    )
    check_recurrence(rec, now)
    return {
        "name": clean_name,
        "cadence": cadence,
        "weekday": weekday,
        "week": week_number,
        "local_time": format_time(at),
        "timezone": zone.key,
        "month_phase": rec.month_phase,
        "anchor": rec.anchor.isoformat() if rec.anchor else None,
        "duration_minutes": duration,
        "lead_days": lead_days,
        "reminder_hours": format_reminders(hours),
        **place,
    }


def first_start(values: dict[str, object], now: datetime) -> datetime:
    """The first chat of a series described by :func:`series_values`' columns."""
    week = values["week"]
    anchor = values["anchor"]
    rec = Recurrence(
        Cadence(str(values["cadence"])),
        int(str(values["weekday"])),
        None if week is None else int(str(week)),
        parse_local_time(str(values["local_time"])),
        str(values["timezone"]),
        int(str(values["month_phase"])),
        None if anchor is None else date.fromisoformat(str(anchor)),
    )
    return rec.next_after(now)


#: How far ahead a chat may be moved (its event, reminders and end stay datable).
MAX_MOVE_AHEAD = timedelta(days=366)


def check_future(moment: datetime, now: datetime) -> None:
    if moment <= now:
        raise Refused(Problem.PAST_TIME)
    if moment - now > MAX_MOVE_AHEAD:
        raise Refused(Problem.TOO_FAR, days=MAX_MOVE_AHEAD.days)


# -- timed work of one occurrence ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Plan:
    """When each piece of an occurrence's timed work is due (UTC)."""

    open_at: datetime
    reminders: tuple[tuple[int, datetime], ...]
    end_at: datetime


def plan(
    starts_at: datetime,
    ends_at: datetime,
    lead_days: int,
    reminder_hours: tuple[int, ...],
) -> Plan:
    return Plan(
        open_at=starts_at - timedelta(days=lead_days),
        reminders=tuple(
            (hours, starts_at - timedelta(hours=hours)) for hours in reminder_hours
        ),
        end_at=ends_at,
    )


class ReminderAction(StrEnum):
    SEND = "send"
    SEND_LATE = "send_late"
    MISSED = "missed"


def reminder_action(late: bool, now: datetime, starts_at: datetime) -> ReminderAction:
    """A reminder that comes late still goes out if the chat has not started."""
    if now >= starts_at:
        return ReminderAction.MISSED
    return ReminderAction.SEND_LATE if late else ReminderAction.SEND


# -- topics --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    title: str
    votes: int
    created_at: int
    pinned: bool = False


def rank(topics: Iterable[Topic]) -> list[Topic]:
    """Pinned first, then by votes (most first), ties by age (oldest first)."""
    return sorted(topics, key=lambda t: (not t.pinned, -t.votes, t.created_at, t.id))


def agenda(topics: Iterable[Topic], size: int = AGENDA_SIZE) -> list[Topic]:
    return rank(topics)[:size]
