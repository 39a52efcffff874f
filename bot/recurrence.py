"""Recurring local times: the one recurrence of chats and events.

A rule says when something happens in a place's own wall-clock time: "every second
Thursday of the month at 17:00 in Europe/Paris", "every two weeks on Tuesday at 18:30
in America/New_York". The dates come from dateutil's ``rrule`` (RFC 5545 rules, well
kept, and right about months, leap years and "the last Friday"); the rule runs on
naive local dates, and each date's wall time is then placed in the IANA zone, so a
17:00 chat is 17:00 local in January and in July.

A wall time can fail to exist on some date (skipped by the spring-forward change) or
exist twice (repeated by the fall-back one). :func:`first_unsafe` finds the first
such date of a rule, so a job can refuse the rule when it is made rather than move a
meeting silently; should the zone's rules change later, :func:`local_to_utc` places a
skipped time after the gap and a repeated one at its first instance, which is what a
person would expect.

Pure: no Discord, no database, no wording (the jobs word their refusals).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import UTC
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil import rrule

#: How far ahead a new rule's local time is checked against DST transitions. The
#: weekday/date pattern of a year repeats within 28 years, and zone rules change
#: more often than that, so ten years is what can usefully be promised.
CHECK_YEARS = 10
#: The earliest anchor any rule needs: series made before anchors were stored
#: start here, and only the phase of the anchor matters.
EPOCH = date(2000, 1, 3)  # a Monday
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Frequency(StrEnum):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class LocalTimeKind(StrEnum):
    OK = "ok"
    NONEXISTENT = "nonexistent"
    AMBIGUOUS = "ambiguous"


def classify_local(moment: datetime, tz: ZoneInfo) -> LocalTimeKind:
    """Say whether the naive wall time ``moment`` exists once, never, or twice in ``tz``."""
    naive = moment.replace(tzinfo=None)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return LocalTimeKind.OK
    back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        return LocalTimeKind.NONEXISTENT
    return LocalTimeKind.AMBIGUOUS


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``at`` on ``day`` in ``tz``.

    A nonexistent time maps forward past the gap and an ambiguous one to its first
    instance (``fold=0``).
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def nth_weekday(year: int, month: int, weekday: int, week: int) -> date:
    """The ``week``-th (1..4, or -1 for last) ``weekday`` (Monday 0) of a month."""
    if week == -1:
        last = calendar.monthrange(year, month)[1]
        day = date(year, month, last)
        return day - timedelta(days=(day.weekday() - weekday) % 7)
    if week not in (1, 2, 3, 4):
        raise ValueError(f"week must be 1..4 or -1, not {week}")
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week - 1))


def week_of_month(day: date) -> int:
    """Which ``weekday`` of its month ``day`` is: 1..4, or -1 for a fifth (the last)."""
    week = (day.day - 1) // 7 + 1
    return -1 if week == 5 else week


def is_last_weekday(day: date) -> bool:
    """Whether no later day of the month has the same weekday."""
    return (day + timedelta(days=7)).month != day.month


@dataclass(frozen=True, slots=True)
class Rule:
    """When something recurs, in local wall-clock time.

    Weekly rules name a ``weekday``; monthly rules name either a ``monthday``
    (1..28, so every month has it) or a ``weekday`` and its ``week`` in the month
    (1..4, or -1 for the last). ``interval`` counts weeks or months between
    occurrences, counted from ``anchor``'s week or month: an every-two-weeks rule
    anchored on 2026-01-08 falls in that week, and a quarterly rule anchored in
    February falls in February, May, August and November. No date before
    ``anchor`` belongs to the rule.
    """

    frequency: Frequency
    at: time
    timezone: str
    interval: int = 1
    weekday: int | None = None
    week: int | None = None
    monthday: int | None = None
    anchor: date = EPOCH

    def __post_init__(self) -> None:
        if not 1 <= self.interval <= 52:
            raise ValueError(f"interval must be 1..52, not {self.interval}")
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, not {self.weekday}")
        if self.frequency is Frequency.WEEKLY:
            if self.weekday is None or self.week is not None or self.monthday:
                raise ValueError("a weekly rule names a weekday only")
        elif self.monthday is not None:
            if not 1 <= self.monthday <= 28 or self.weekday is not None:
                raise ValueError("a monthly rule by date names a day 1..28 only")
        elif self.weekday is None or self.week not in (1, 2, 3, 4, -1):
            raise ValueError("a monthly rule names a day, or a weekday and its week")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not at first use

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # -- dates --------------------------------------------------------------------------
    def _start_near(self, day: date) -> date:
        """A date in the same phase as ``anchor``, at most one period before ``day``.

        Starting the rule there instead of at the anchor keeps each query short
        however old the rule is, without moving any occurrence.
        """
        if day <= self.anchor:
            return self.anchor
        if self.frequency is Frequency.WEEKLY:
            monday = self.anchor - timedelta(days=self.anchor.weekday())
            periods = (day - monday).days // (7 * self.interval)
            return max(self.anchor, monday + timedelta(weeks=periods * self.interval))
        months = (day.year - self.anchor.year) * 12 + day.month - self.anchor.month
        shift = months // self.interval * self.interval
        index = self.anchor.year * 12 + self.anchor.month - 1 + shift
        return max(self.anchor, date(index // 12, index % 12 + 1, 1))

    def _rrule(self, start: date) -> rrule.rrule:
        begin = datetime.combine(start, time())  # noqa: DTZ001 - local wall dates
        if self.frequency is Frequency.WEEKLY:
            assert self.weekday is not None
            return rrule.rrule(
                rrule.WEEKLY,
                dtstart=begin,
                interval=self.interval,
                byweekday=self.weekday,
                wkst=rrule.MO,
            )
        if self.monthday is not None:
            return rrule.rrule(
                rrule.MONTHLY,
                dtstart=begin,
                interval=self.interval,
                bymonthday=self.monthday,
            )
        assert self.weekday is not None and self.week is not None
        return rrule.rrule(
            rrule.MONTHLY,
            dtstart=begin,
            interval=self.interval,
            byweekday=rrule.weekday(self.weekday, self.week),
        )

    def local_dates(self, after: datetime) -> Iterator[date]:
        """The rule's local dates from the local date of ``after`` on, forever."""
        day = after.astimezone(self.tz).date()
        for moment in self._rrule(self._start_near(day)):
            if moment.date() >= day:
                yield moment.date()

    def occurrences(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` UTC starts strictly after ``after``."""
        out: list[datetime] = []
        tz = self.tz
        for day in self.local_dates(after):
            start = local_to_utc(day, self.at, tz)
            if start > after:
                out.append(start)
                if len(out) >= count:
                    break
        return out

    def next_after(self, after: datetime) -> datetime:
        return self.occurrences(after, 1)[0]

    # -- storing ------------------------------------------------------------------------
    def rrule_text(self) -> str:
        """The rule as RFC 5545 ``RRULE`` parts (without DTSTART), for storing."""
        parts = [f"FREQ={self.frequency.value}", f"INTERVAL={self.interval}"]
        if self.monthday is not None:
            parts.append(f"BYMONTHDAY={self.monthday}")
        elif self.weekday is not None:
            ordinal = "" if self.week is None else f"{self.week:+d}"
            parts.append(f"BYDAY={ordinal}{_WEEKDAYS[self.weekday]}")
        return ";".join(parts)

    @classmethod
    def from_rrule_text(
        cls, text: str, *, at: time, timezone: str, anchor: date
    ) -> Rule:
        """Read what :meth:`rrule_text` wrote (a ``ValueError`` for anything else)."""
        fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
        weekday = week = monthday = None
        if "BYDAY" in fields:
            match = _BYDAY.fullmatch(fields["BYDAY"])
            if match is None:
                raise ValueError(f"BYDAY not understood: {fields['BYDAY']}")
            weekday = _WEEKDAYS.index(match["day"])
            week = int(match["week"]) if match["week"] else None
        if "BYMONTHDAY" in fields:
            monthday = int(fields["BYMONTHDAY"])
        return cls(
            Frequency(fields.get("FREQ", "")),
            at,
            timezone,
            interval=int(fields.get("INTERVAL", "1")),
            weekday=weekday,
            week=week,
            monthday=monthday,
            anchor=anchor,
        )


_BYDAY = re.compile(r"(?P<week>[+-]?[1-4])?(?P<day>MO|TU|WE|TH|FR|SA|SU)")


def first_unsafe(
    rule: Rule, now: datetime, years: int = CHECK_YEARS
) -> tuple[date, LocalTimeKind] | None:
    """The first date within ``years`` on which the rule's wall time is skipped or
    repeated by a DST change, and which; ``None`` when every date is safe."""
    tz = rule.tz
    horizon = (now + timedelta(days=366 * years)).date()
    for day in rule.local_dates(now):
        if day > horizon:
            return None
        kind = classify_local(datetime.combine(day, rule.at), tz)
        if kind is not LocalTimeKind.OK:
            return day, kind
    return None


# -- rules from a first date -------------------------------------------------------------
class Repeat(StrEnum):
    """How an organiser says a happening repeats, from its first date."""

    WEEKLY = "weekly"
    MONTHLY_DATE = "monthly_date"
    MONTHLY_WEEKDAY = "monthly_weekday"
    MONTHLY_LAST = "monthly_last"
    QUARTERLY = "quarterly"


class RepeatTrouble(StrEnum):
    """Why a first date cannot start a rule of that kind."""

    #: Monthly by date on the 29th to 31st: some months have no such day.
    DAY_NOT_EVERY_MONTH = "day_not_every_month"
    #: Monthly on the nth weekday where n is 5: some months have no fifth.
    NO_FIFTH_WEEKDAY = "no_fifth_weekday"
    #: Monthly on the last weekday, on a day that is not the last one.
    NOT_LAST_WEEKDAY = "not_last_weekday"


def rule_from_first(
    repeat: Repeat, first: datetime, timezone: str, *, every: int = 1
) -> Rule | RepeatTrouble:
    """The rule of kind ``repeat`` whose first occurrence is ``first`` (local wall time
    in ``timezone``), repeating every ``every`` weeks or months (quarterly: every
    ``3 * every`` months)."""
    local = first.astimezone(ZoneInfo(timezone))
    day, at = local.date(), local.time().replace(second=0, microsecond=0)
    weekday = day.weekday()
    if repeat is Repeat.WEEKLY:
        return Rule(Frequency.WEEKLY, at, timezone, every, weekday=weekday, anchor=day)
    if repeat is Repeat.MONTHLY_DATE:
        if day.day > 28:
            return RepeatTrouble.DAY_NOT_EVERY_MONTH
        return Rule(
            Frequency.MONTHLY, at, timezone, every, monthday=day.day, anchor=day
        )
    if repeat is Repeat.MONTHLY_LAST:
        if not is_last_weekday(day):
            return RepeatTrouble.NOT_LAST_WEEKDAY
        week = -1
    else:
        week = week_of_month(day)
        if week == -1:
            return RepeatTrouble.NO_FIFTH_WEEKDAY
    interval = every * 3 if repeat is Repeat.QUARTERLY else every
    return Rule(
        Frequency.MONTHLY,
        at,
        timezone,
        interval,
        weekday=weekday,
        week=week,
        anchor=day,
    )
