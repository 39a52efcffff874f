"""iCalendar (RFC 5545) files of upcoming community chats and events.

Jobs that put things in the community calendar register a source with
:meth:`CalendarSources.register` on ``bot.calendar_sources``; ``/event calendar``,
``/upcoming``, the public feed and the public pages' *Upcoming* all read
:meth:`CalendarSources.collect` (the files through :func:`to_ics`), so they always
list the same entries. Whatever a source returns is public: only published, announced
things belong in it. UIDs are stable (derived from what the entry
is, not when it was exported), so calendar apps update entries instead of adding
duplicates, and cancelled entries stay in the feed marked as cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
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
    #: What it is, in words ("Community chat", "Conference"): CATEGORIES in the
    #: file, the label on the public pages.
    category: str = ""
    #: Where to find it in Discord (the event, its announcement); added to the
    #: description in the file, a link on the public pages.
    discord_url: str = ""


Source = Callable[["PalletsBot", int], Awaitable[list[CalendarEntry]]]


class CalendarSources:
    """The bot's named sources of calendar entries (``bot.calendar_sources``)."""

    def __init__(self) -> None:
        self._sources: dict[str, Source] = {}
        #: Changes when a source comes or goes (a kept feed is then stale).
        self.generation = 0

    def register(self, name: str, source: Source) -> None:
        """Add (or replace) a named source of calendar entries for a guild."""
        self._sources[name] = source
        self.generation += 1

    def unregister(self, name: str) -> None:
        self._sources.pop(name, None)
        self.generation += 1

    def changed(self) -> None:
        """Say a source's entries changed without a database write.

        The feed and the pages are kept rendered until the database changes
        (:mod:`bot.pages.cache`); the jobs' sources read the database, so they never
        need this. A source of entries held elsewhere calls it when they change.
        """
        self.generation += 1

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
    """Render ``entries`` as an iCalendar file.

    Written here rather than through the icalendar package, whose per-character line
    folding took a tenth of a second for a feed of 270 entries, on the event loop:
    the output is byte for byte what ``icalendar.Calendar.to_ical()`` gives (the same
    property order, escaping and folding; ``tests/test_calendar_ics.py`` compares
    them). Times not in UTC go through icalendar, which writes their zone.
    """
    # To the hour: the same entries make the same file for an hour, so a calendar
    # app's conditional poll of the feed gets a 304 instead of the whole file.
    stamp = utcnow().replace(minute=0, second=0, microsecond=0)
    times = [stamp]
    for entry in entries:
        times += (entry.start, entry.end)
        if entry.last_modified is not None:
            times.append(entry.last_modified)
    if not all(moment.tzinfo is UTC for moment in times):
        return _to_ics_by_icalendar(entries, name, stamp)
    now = _utc(stamp)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Pallets community//pallets-bot//EN",
        "CALSCALE:GREGORIAN",
        # icalendar writes this X- property unescaped; so does this, to stay the same.
        _fold("X-WR-CALNAME:" + name),
    ]
    for entry in entries:
        lines += (
            "BEGIN:VEVENT",
            _fold("SUMMARY:" + _text(entry.summary)),
            "DTSTART:" + _utc(entry.start),
            "DTEND:" + _utc(entry.end),
            "DTSTAMP:" + now,
            _fold("UID:" + _text(entry.uid)),
            f"SEQUENCE:{entry.sequence}",
        )
        # The other properties in alphabetical order, as icalendar writes them.
        if entry.category:
            lines.append(_fold("CATEGORIES:" + _text(entry.category)))
        description = _description(entry)
        if description:
            lines.append(_fold("DESCRIPTION:" + _text(description)))
        modified = entry.last_modified
        lines.append("LAST-MODIFIED:" + (now if modified is None else _utc(modified)))
        if entry.location:
            lines.append(_fold("LOCATION:" + _text(entry.location)))
        lines.append("STATUS:" + ("CANCELLED" if entry.cancelled else "CONFIRMED"))
        if entry.url:
            lines.append(_fold("URL:" + entry.url))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _description(entry: CalendarEntry) -> str:
    """The description, with the link into Discord when it does not have it."""
    description = entry.description
    if entry.discord_url and entry.discord_url not in description:
        description = f"{description}\n\n{entry.discord_url}".strip()
    return description


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """RFC 5545 TEXT escaping, in icalendar's order (which matters)."""
    return (
        value.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


_LIMIT = 75


def _fold(line: str) -> str:
    """Fold a content line as icalendar does: pieces under 75 octets, and never
    one ending in a backslash or caret (it moves to the next piece)."""
    if line.isascii():
        if len(line) < _LIMIT:
            return line
        pieces = []
        start = 0
        while len(line) - start >= _LIMIT:
            end = start + _LIMIT - 1
            if line[end - 1] in "\\^":
                end -= 1
            pieces.append(line[start:end])
            start = end
        pieces.append(line[start:])
        return "\r\n ".join(pieces)
    folded: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = len(char.encode())
        if current and count + size >= _LIMIT:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                folded.append("".join(current))
                current = [carried]
                count = 1
            else:
                folded.append("".join(current))
                current = []
                count = 0
        current.append(char)
        count += size
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)


def _to_ics_by_icalendar(
    entries: list[CalendarEntry], name: str, stamp: datetime
) -> bytes:
    # Imported here: icalendar takes a twentieth of the bot's start-up to import,
    # and is needed only for times outside UTC.
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Pallets community//pallets-bot//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        event = icalendar.Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", entry.summary)
        description = _description(entry)
        if description:
            event.add("description", description)
        if entry.location:
            event.add("location", entry.location)
        if entry.url:
            event.add("url", entry.url)
        if entry.category:
            event.add("categories", [entry.category])
        event.add("sequence", entry.sequence)
        event.add("last-modified", entry.last_modified or stamp)
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
