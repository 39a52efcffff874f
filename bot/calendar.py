"""iCalendar (RFC 5545) files of upcoming community chats and events.

Jobs that put things in the community calendar register a source with
:meth:`CalendarSources.register` on ``bot.calendar_sources``; ``/event calendar``,
``/upcoming`` and the public feed all read :meth:`CalendarSources.collect` (the
files through :func:`to_ics`), so they always list the same entries. UIDs are stable (derived from what the entry
is, not when it was exported), so calendar apps update entries instead of adding
duplicates, and cancelled entries stay in the feed marked as cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import utcnow

if TYPE_CHECKING:
    from bot.app import PalletsBot

UID_DOMAIN = "pallets-bot"


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    uid: str
    summary: str
    start: datetime
    end: datetime
    description: str = ""
    location: str = ""
    url: str = ""
    cancelled: bool = False
    #: Bump when the entry changes so calendar apps take the new version.
    sequence: int = 0
    last_modified: datetime | None = None


Source = Callable[["PalletsBot", int], Awaitable[list[CalendarEntry]]]


class CalendarSources:
    """The bot's named sources of calendar entries (``bot.calendar_sources``)."""

    def __init__(self) -> None:
        self._sources: dict[str, Source] = {}

    def register(self, name: str, source: Source) -> None:
        """Add (or replace) a named source of calendar entries for a guild."""
        self._sources[name] = source

    def unregister(self, name: str) -> None:
        self._sources.pop(name, None)

    async def collect(self, bot: PalletsBot, guild_id: int) -> list[CalendarEntry]:
        """Every registered source's entries for ``guild_id``, by start time."""
        entries: list[CalendarEntry] = []
        for source in self._sources.values():
            entries.extend(await source(bot, guild_id))
        return sorted(entries, key=lambda entry: (entry.start, entry.uid))


def feed_path(guild_id: int) -> str:
    """Where the bot's web server serves a guild's calendar feed."""
    return f"/calendar/{guild_id}.ics"


def feed_url(public_url: str | None, guild_id: int) -> str | None:
    """The address members subscribe to, when the host told the bot its public URL."""
    if not public_url:
        return None
    return public_url.rstrip("/") + feed_path(guild_id)


def upcoming(entries: list[CalendarEntry], now: datetime) -> list[CalendarEntry]:
    """The entries still to come or under way, cancelled ones left out."""
    return [entry for entry in entries if not entry.cancelled and entry.end > now]


def make_uid(kind: str, ident: int | str, guild_id: int) -> str:
    return f"{kind}-{ident}-{guild_id}@{UID_DOMAIN}"


def to_ics(entries: list[CalendarEntry], name: str) -> bytes:
    """Render ``entries`` as an iCalendar file."""
    # Imported here: icalendar takes a twentieth of the bot's start-up to import,
    # and only the calendar feed and /event calendar need it.
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Pallets community//pallets-bot//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = utcnow()
    for entry in entries:
        event = icalendar.Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", entry.summary)
        if entry.description:
            event.add("description", entry.description)
        if entry.location:
            event.add("location", entry.location)
        if entry.url:
            event.add("url", entry.url)
        event.add("sequence", entry.sequence)
        event.add("last-modified", entry.last_modified or stamp)
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
