"""Events: checking what organisers type.

Pure: no Discord, no database, no wording. A refusal is a :class:`Refused` naming a
:class:`Problem`, raised before anything is changed; ``_render`` words it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import dates
from bot import reminders as offsets
from bot.paths import DATA_DIR
from bot.recurrence import first_unsafe
from bot.recurrence import Repeat
from bot.recurrence import Rule
from bot.recurrence import rule_from_first
from bot.refusals import Refused
from bot.safety import clean_text
from bot.safety import EVENT_DESCRIPTION_LIMIT
from bot.safety import EVENT_NAME_LIMIT
from bot.safety import mass_mention

EVENTS_DATA = DATA_DIR / "events"
LOCATION_LIMIT = 100
#: How far ahead an event may be announced.
MAX_AHEAD = timedelta(days=2 * 365)
#: The longest event (a conference week with sprints).
MAX_LENGTH = timedelta(days=14)
PAGE_SIZE = 5
#: Members a page of /event attendees names.
ATTENDEES_PAGE = 40
#: Every event's reminders unless its organiser chose others: a DM to members going a
#: day before, a post in the events channel an hour before (minutes).
DM_REMINDERS = (24 * 60,)
POST_REMINDERS = (60,)
REMIND_DM_BEFORE = timedelta(minutes=DM_REMINDERS[0])
REMIND_CHANNEL_BEFORE = timedelta(minutes=POST_REMINDERS[0])
#: Reminders per kind, and how long before the start the earliest may be.
MOST_REMINDERS = 4
LONGEST_REMINDER = 7 * 24 * 60
#: The most places an event may have.
MAX_CAPACITY = 10_000


class Kind(StrEnum):
    CONFERENCE = "conference"
    SPRINT = "sprint"
    MEETUP = "meetup"
    ONLINE_TALK = "online_talk"
    OTHER = "other"


class Rsvp(StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    NOT_GOING = "not_going"


class Problem(StrEnum):
    """Why an event, or something done to one, was refused; ``_render`` words it."""

    MASS_MENTION = "mass_mention"
    NO_TITLE = "no_title"
    TITLE_TOO_LONG = "title_too_long"
    DESCRIPTION_TOO_LONG = "description_too_long"
    NO_LOCATION = "no_location"
    LOCATION_TOO_LONG = "location_too_long"
    UNKNOWN_KIND = "unknown_kind"
    ENDS_BEFORE_START = "ends_before_start"
    TOO_LONG = "too_long"
    START_IN_PAST = "start_in_past"
    TOO_FAR_AHEAD = "too_far_ahead"
    NO_EVENTS_CHANNEL = "no_events_channel"
    NO_EVENT = "no_event"
    ALREADY_PUBLISHED = "already_published"
    WAS_CANCELLED = "was_cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    START_PASSED = "start_passed"
    RSVPS_CLOSED = "rsvps_closed"
    NOT_PUBLISHED = "not_published"
    BAD_REMINDERS = "bad_reminders"
    BAD_CAPACITY = "bad_capacity"
    INTERESTED_ON_DISCORD = "interested_on_discord"
    OVER = "over"
    CANNOT_REPEAT = "cannot_repeat"
    REPEAT_DST = "repeat_dst"
    NOT_OVER = "not_over"
    NOT_ATTENDED = "not_attended"
    BAD_RATING = "bad_rating"
    BAD_LINK = "bad_link"
    NO_LINKS = "no_links"
    NOT_PENDING = "not_pending"
    ALREADY_SUBMITTED = "already_submitted"
    NO_REVIEW_CHANNEL = "no_review_channel"
    NEEDS_APPROVAL = "needs_approval"
    NOT_A_SERIES = "not_a_series"


# -- code of conduct and checklist -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CodeOfConduct:
    version: str
    url: str
    text: str


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    key: str
    label: str
    check: str
    hint: str = ""
    keywords: tuple[str, ...] = ()


def load_code_of_conduct(path: Path | None = None) -> CodeOfConduct:
    data = tomllib.loads(
        (path or EVENTS_DATA / "code_of_conduct.toml").read_text("utf-8")
    )
    return CodeOfConduct(
        version=str(data["version"]), url=str(data["url"]), text=str(data["text"])
    )


@cache
def load_checklist(path: Path | None = None) -> tuple[ChecklistItem, ...]:
    data = tomllib.loads((path or EVENTS_DATA / "checklist.toml").read_text("utf-8"))
    items = []
    for raw in data["item"]:
        if raw["check"] not in {"time", "location", "keywords", "coc"}:
            raise ValueError(f"unknown checklist check {raw['check']!r}")
        items.append(
            ChecklistItem(
                key=str(raw["key"]),
                label=str(raw["label"]),
                check=str(raw["check"]),
                hint=str(raw.get("hint", "")),
                keywords=tuple(str(k).lower() for k in raw.get("keywords", ())),
            )
        )
    return tuple(items)


@dataclass(frozen=True, slots=True)
class CheckResult:
    item: ChecklistItem
    ok: bool


def run_checklist(
    description: str, location: str, items: tuple[ChecklistItem, ...]
) -> list[CheckResult]:
    """Which of the workgroup's quality items an event meets (advice, not a gate)."""
    text = description.lower()
    results = []
    for item in items:
        if item.check == "location":
            ok = bool(location.strip())
        elif item.check == "keywords":
            ok = any(keyword in text for keyword in item.keywords)
        else:  # "time" and "coc" hold for every event the bot publishes
            ok = True
        results.append(CheckResult(item, ok))
    return results


# -- checking what organisers type ---------------------------------------------------------
def clip_for_message(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_public_text(text: str) -> None:
    """Refuse mass mentions in text the bot will post publicly."""
    if mass_mention(text):
        raise Refused(Problem.MASS_MENTION)


@dataclass(frozen=True, slots=True)
class EventDraft:
    """A validated event, as the organiser described it."""

    title: str
    description: str
    kind: Kind
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str
    #: Minutes before the start: DMs to members going, posts in the channel.
    dm_reminders: tuple[int, ...] = DM_REMINDERS
    post_reminders: tuple[int, ...] = POST_REMINDERS
    #: The most members going (None: no limit); the rest wait in line.
    capacity: int | None = None


def validate_event(
    values: Mapping[str, str],
    *,
    kind: str,
    timezone: ZoneInfo | str,
    now: datetime,
    check_start_in_future: bool = True,
    language: str | None = None,
) -> EventDraft:
    """Check everything an organiser typed; refuse the first problem.

    ``timezone`` is a zone the ``Timezone`` option found, or an event's stored one.
    Times are read by :func:`bot.dates.parse` in the organiser's ``language``; the
    end is read from the start ("21:00" is that evening, "in 3 hours" three hours
    after the start).
    """
    title = clean_text(values.get("title", ""))
    description = clean_text(values.get("description", ""))
    location = clean_text(values.get("location", ""))
    if not title:
        raise Refused(Problem.NO_TITLE)
    if len(title) > EVENT_NAME_LIMIT:
        raise Refused(Problem.TITLE_TOO_LONG, limit=EVENT_NAME_LIMIT)
    if len(description) > EVENT_DESCRIPTION_LIMIT:
        raise Refused(Problem.DESCRIPTION_TOO_LONG, limit=EVENT_DESCRIPTION_LIMIT)
    if not location:
        raise Refused(Problem.NO_LOCATION)
    if len(location) > LOCATION_LIMIT:
        raise Refused(Problem.LOCATION_TOO_LONG, limit=LOCATION_LIMIT)
    for text in (title, description, location):
        check_public_text(text)
    try:
        kind_value = Kind(kind)
    except ValueError as error:
        raise Refused(Problem.UNKNOWN_KIND) from error
    zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    starts_at = dates.parse(values.get("start", ""), zone, now, language=language)
    ends_at = dates.parse(values.get("end", ""), zone, starts_at, language=language)
    if ends_at <= starts_at:
        raise Refused(Problem.ENDS_BEFORE_START)
    if ends_at - starts_at > MAX_LENGTH:
        raise Refused(Problem.TOO_LONG, days=MAX_LENGTH.days)
    if check_start_in_future and starts_at <= now:
        raise Refused(Problem.START_IN_PAST)
    if starts_at - now > MAX_AHEAD:
        raise Refused(Problem.TOO_FAR_AHEAD)
    return EventDraft(
        title=title,
        description=description,
        kind=kind_value,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone.key,
        location=location,
    )


def local_input(moment: datetime, zone_name: str) -> str:
    """A moment as the form shows it, to prefill the edit form (read back as itself)."""
    return moment.astimezone(ZoneInfo(zone_name)).strftime("%Y-%m-%d %H:%M")


def is_url(location: str) -> bool:
    return location.startswith(("https://", "http://"))


# -- reminders -----------------------------------------------------------------------------
class Reminder(StrEnum):
    """The reminders of an event: a DM to those going, a post in the channel."""

    DM = "dm"
    CHANNEL = "channel"


def parse_reminders(text: str) -> tuple[int, ...]:
    """What an organiser typed for an event's reminders, as minutes before the start
    (see :mod:`bot.reminders`: ``24h,1h``, ``30m``, ``none``)."""
    try:
        return offsets.parse_offsets(
            text, most=MOST_REMINDERS, longest=LONGEST_REMINDER
        )
    except ValueError:
        raise Refused(
            Problem.BAD_REMINDERS, text=clip_for_message(text), most=MOST_REMINDERS
        ) from None


@dataclass(frozen=True, slots=True)
class EventOptions:
    """What an organiser sets with the command's options rather than the form."""

    dm_reminders: tuple[int, ...] = DM_REMINDERS
    post_reminders: tuple[int, ...] = POST_REMINDERS
    capacity: int | None = None


def event_options(
    *,
    reminders: str | None,
    channel_reminders: str | None,
    capacity: int | None,
    current: EventOptions | None = None,
) -> EventOptions:
    """Read the options; those not given keep ``current`` (or the defaults).

    A capacity of 0 removes the limit.
    """
    base = current or EventOptions()
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise Refused(Problem.BAD_CAPACITY, most=MAX_CAPACITY)
    return EventOptions(
        dm_reminders=base.dm_reminders
        if reminders is None
        else parse_reminders(reminders),
        post_reminders=base.post_reminders
        if channel_reminders is None
        else parse_reminders(channel_reminders),
        capacity=base.capacity if capacity is None else (capacity or None),
    )


def with_options(draft: EventDraft, options: EventOptions) -> EventDraft:
    return replace(
        draft,
        dm_reminders=options.dm_reminders,
        post_reminders=options.post_reminders,
        capacity=options.capacity,
    )


def reminders_due(
    starts_at: datetime,
    now: datetime,
    *,
    dm: tuple[int, ...] = DM_REMINDERS,
    post: tuple[int, ...] = POST_REMINDERS,
) -> list[tuple[Reminder, int, datetime]]:
    """The reminders still worth scheduling for an event starting at ``starts_at``:
    which kind, how many minutes before, and when."""
    due = [(Reminder.DM, minutes) for minutes in dm] + [
        (Reminder.CHANNEL, minutes) for minutes in post
    ]
    return [
        (reminder, minutes, starts_at - timedelta(minutes=minutes))
        for reminder, minutes in due
        if starts_at - timedelta(minutes=minutes) > now
    ]


# -- repeating events ------------------------------------------------------------------------
#: The most weeks or months between two dates of a repeating event.
MAX_EVERY = 12


def event_rule(
    repeat: str | None, every: int, starts_at: datetime, timezone: str
) -> Rule | None:
    """The repeat rule whose first date is ``starts_at`` (``None``: no repeat).

    Refused when the first date cannot start such a rule (the 31st monthly, a fifth
    Thursday) or when the local start time falls in a DST change on a later date
    (it would move or happen twice): the organiser picks another time, as for chats.
    """
    if repeat is None:
        return None
    if not 1 <= every <= MAX_EVERY:
        raise Refused(Problem.CANNOT_REPEAT, trouble="every", most=MAX_EVERY)
    rule = rule_from_first(Repeat(repeat), starts_at, timezone, every=every)
    if not isinstance(rule, Rule):
        raise Refused(Problem.CANNOT_REPEAT, trouble=rule.value, most=MAX_EVERY)
    unsafe = first_unsafe(rule, starts_at)
    if unsafe is not None:
        day, kind = unsafe
        raise Refused(Problem.REPEAT_DST, day=day.isoformat(), kind=kind.value)
    return rule


def next_date(
    rule: Rule, after: datetime, length: timedelta, now: datetime
) -> tuple[datetime, datetime]:
    """The start and end of the first date of ``rule`` after the date starting at
    ``after``, skipping dates already over by ``now`` (the bot was down)."""
    start = rule.next_after(after)
    while start + length <= now:
        start = rule.next_after(start)
    return start, start + length


# -- after the event -------------------------------------------------------------------------
LINK_LIMIT = 300
COMMENT_LIMIT = 1000


def read_link(text: str) -> str | None:
    """A recording or slides link as typed: ``None`` when empty; refused unless an
    http(s) link without spaces."""
    link = text.strip()
    if not link:
        return None
    if not is_url(link) or len(link) > LINK_LIMIT or any(c.isspace() for c in link):
        raise Refused(Problem.BAD_LINK, limit=LINK_LIMIT)
    return link


def read_feedback(rating: str, comment: str) -> tuple[int, str]:
    """A star rating 1 to 5 ("4", "4/5", "****") and a comment (may be empty)."""
    typed = rating.strip()
    stars = typed.count("*") + typed.count("\u2605")
    if stars and not typed.strip("*\u2605 "):
        value = stars
    else:
        match = re.fullmatch(r"([1-5])\s*(?:/\s*5)?", typed)
        if match is None:
            raise Refused(Problem.BAD_RATING)
        value = int(match.group(1))
    if not 1 <= value <= 5:
        raise Refused(Problem.BAD_RATING)
    return value, clean_text(comment)[:COMMENT_LIMIT]
