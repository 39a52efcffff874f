"""Events: parsing and checking what organisers type, and what the bot shows.

Pure: no Discord, no database. Errors are :class:`bot.errors.UserError` with a
translated message, raised before anything is changed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from enum import StrEnum
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import timezones
from bot.errors import UserError
from bot.i18n import _
from bot.paths import DATA_DIR
from bot.safety import clean_text
from bot.safety import EVENT_DESCRIPTION_LIMIT
from bot.safety import EVENT_NAME_LIMIT

EVENTS_DATA = DATA_DIR / "events"
LOCATION_LIMIT = 100
#: How far ahead an event may be announced.
MAX_AHEAD = timedelta(days=2 * 365)
#: The longest event (a conference week with sprints).
MAX_LENGTH = timedelta(days=14)
PAGE_SIZE = 5
REMIND_DM_BEFORE = timedelta(hours=24)
REMIND_CHANNEL_BEFORE = timedelta(hours=1)

_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S")
_MASS_MENTION = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_ROLE_MENTION = re.compile(r"<@&\d+>")


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


def kind_label(kind: Kind | str) -> str:
    labels = {
        Kind.CONFERENCE: _("Conference"),
        Kind.SPRINT: _("Sprint"),
        Kind.MEETUP: _("Meetup"),
        Kind.ONLINE_TALK: _("Online talk"),
        Kind.OTHER: _("Other"),
    }
    return labels[Kind(kind)]


def rsvp_label(state: Rsvp | str) -> str:
    labels = {
        Rsvp.GOING: _("Going"),
        Rsvp.MAYBE: _("Maybe"),
        Rsvp.NOT_GOING: _("Not going"),
    }
    return labels[Rsvp(state)]


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


# -- parsing what organisers type ----------------------------------------------------------
def parse_timezone(name: str) -> ZoneInfo:
    """Return the zone an organiser typed, or refuse it with a clear message."""
    found = timezones.zone(name)
    if found is None:
        raise UserError(
            _(
                "Unknown timezone {name}: use an IANA name such as Europe/Paris "
                "or America/New_York.",
                name=clip_for_message(name.strip()),
            )
        )
    return found


def parse_local_time(text: str, zone: ZoneInfo) -> datetime:
    """Turn ``2026-03-14 18:00`` in ``zone`` into an aware UTC datetime.

    Local times that do not exist (skipped by a daylight-saving change) or happen
    twice (repeated by one) are refused: the organiser must say which they mean.
    """
    cleaned = text.strip()
    naive = None
    for fmt in _DATE_FORMATS:
        try:
            naive = datetime.strptime(cleaned, fmt)  # noqa: DTZ007 - zone attached below
            break
        except ValueError:
            continue
    if naive is None:
        raise UserError(
            _(
                "I could not read the time {text}: write it like 2026-03-14 18:00.",
                text=clip_for_message(cleaned),
            )
        )
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    try:
        round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        # Years 1 and 9999 can leave Python's calendar once moved to UTC.
        raise UserError(
            _(
                "I could not read the time {text}: write it like 2026-03-14 18:00.",
                text=clip_for_message(cleaned),
            )
        ) from None
    if round_trip != naive:
        raise UserError(
            _(
                "{text} does not exist in {zone} (the clocks skip it for daylight "
                "saving time). Pick another time.",
                text=cleaned,
                zone=zone.key,
            )
        )
    if first.utcoffset() != second.utcoffset():
        raise UserError(
            _(
                "{text} happens twice in {zone} (the clocks go back). Pick a time "
                "outside that hour.",
                text=cleaned,
                zone=zone.key,
            )
        )
    return first.astimezone(UTC)


def clip_for_message(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_public_text(text: str) -> None:
    """Refuse mass mentions in text the bot will post publicly."""
    if _MASS_MENTION.search(text) or _ROLE_MENTION.search(text):
        raise UserError(
            _("Please remove @everyone, @here and role mentions from the text.")
        )


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


def validate_event(
    values: Mapping[str, str],
    *,
    kind: str,
    timezone: str,
    now: datetime,
    check_start_in_future: bool = True,
) -> EventDraft:
    """Check everything an organiser typed; raise :class:`UserError` on the first problem."""
    title = clean_text(values.get("title", ""))
    description = clean_text(values.get("description", ""))
    location = clean_text(values.get("location", ""))
    if not title:
        raise UserError(_("The event needs a title."))
    if len(title) > EVENT_NAME_LIMIT:
        raise UserError(
            _(
                "The title is too long: at most {limit} characters.",
                limit=EVENT_NAME_LIMIT,
            )
        )
    if len(description) > EVENT_DESCRIPTION_LIMIT:
        raise UserError(
            _(
                "The description is too long: at most {limit} characters.",
                limit=EVENT_DESCRIPTION_LIMIT,
            )
        )
    if not location:
        raise UserError(_("Give a location or a link for the event."))
    if len(location) > LOCATION_LIMIT:
        raise UserError(
            _(
                "The location is too long: at most {limit} characters.",
                limit=LOCATION_LIMIT,
            )
        )
    for text in (title, description, location):
        check_public_text(text)
    try:
        kind_value = Kind(kind)
    except ValueError as error:
        raise UserError(_("Unknown kind of event.")) from error
    zone = parse_timezone(timezone)
    starts_at = parse_local_time(values.get("start", ""), zone)
    ends_at = parse_local_time(values.get("end", ""), zone)
    if ends_at <= starts_at:
        raise UserError(_("The event must end after it starts."))
    if ends_at - starts_at > MAX_LENGTH:
        raise UserError(
            _("An event can last at most {days} days.", days=MAX_LENGTH.days)
        )
    if check_start_in_future and starts_at <= now:
        raise UserError(_("The start time is in the past."))
    if starts_at - now > MAX_AHEAD:
        raise UserError(_("That is too far ahead: announce it nearer the time."))
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
    """The inverse of :func:`parse_local_time`, to prefill the edit form."""
    return moment.astimezone(ZoneInfo(zone_name)).strftime("%Y-%m-%d %H:%M")


def is_url(location: str) -> bool:
    return location.startswith(("https://", "http://"))


# -- reminders -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReminderPlan:
    kind: str
    key: str
    due_at: datetime


def reminder_plan(
    event_id: int, starts_at: datetime, now: datetime
) -> list[ReminderPlan]:
    """The reminders still worth scheduling for an event starting at ``starts_at``.

    Keys carry the start time, so moving an event schedules fresh reminders while a
    reminder that already went out for the old time is never repeated.
    """
    start = int(starts_at.timestamp())
    plans = [
        ReminderPlan(
            "events.remind_dm",
            f"events:remind24:{event_id}:{start}",
            starts_at - REMIND_DM_BEFORE,
        ),
        ReminderPlan(
            "events.remind_channel",
            f"events:remind1:{event_id}:{start}",
            starts_at - REMIND_CHANNEL_BEFORE,
        ),
    ]
    return [plan for plan in plans if plan.due_at > now]


def reminder_prefixes(event_id: int) -> tuple[str, ...]:
    return (f"events:remind24:{event_id}:", f"events:remind1:{event_id}:")


# -- pages -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Page:
    number: int
    count: int
    offset: int
    limit: int = field(default=PAGE_SIZE)


def page_of(requested: int, total: int, size: int = PAGE_SIZE) -> Page:
    """Clamp ``requested`` (1-based) to the pages that exist."""
    count = max((total + size - 1) // size, 1)
    number = min(max(requested, 1), count)
    return Page(number=number, count=count, offset=(number - 1) * size, limit=size)
