"""The core's own pages: a server's front page, and *Upcoming*.

*Upcoming* lists what the calendar sources publish (``bot.calendar_sources``: the
chats' and events' engines register them), so the page shows exactly what the
calendar feed holds: published and announced things only. Times are rendered in UTC
inside ``<time datetime>``; ``local-time.js`` rewrites them into the reader's zone
when scripts run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.calendar import CalendarEntry
from bot.calendar import feed_path
from bot.clock import utcnow
from bot.i18n import _
from bot.pages import Html
from bot.pages import PageRequest

if TYPE_CHECKING:
    from bot.app import PalletsBot

PATH = "upcoming"
#: At most this many entries are listed (the calendar feed has them all).
LIMIT = 60
#: The front page previews this many.
PREVIEW = 3


def title() -> str:
    return _("Upcoming")


def home_title() -> str:
    return _("Home")


@dataclass(frozen=True, slots=True)
class Item:
    """One entry as the page shows it."""

    title: str
    category: str
    start: datetime
    end: datetime
    description: str
    location: str
    location_url: str
    discord_url: str
    cancelled: bool
    happening_now: bool


def items(entries: list[CalendarEntry], now: datetime, limit: int) -> list[Item]:
    """Entries that have not ended, soonest first, as the page shows them."""
    shown = [entry for entry in entries if entry.end > now][:limit]
    return [
        Item(
            title=entry.summary,
            category=entry.category,
            start=entry.start,
            end=entry.end,
            description=entry.description,
            location="" if _is_web(entry.location) else entry.location,
            # An online event's address (not its announcement, linked apart).
            location_url=(
                entry.url if _is_web(entry.url) and not _is_discord(entry.url) else ""
            ),
            discord_url=entry.discord_url if _is_discord(entry.discord_url) else "",
            cancelled=entry.cancelled,
            happening_now=entry.start <= now < entry.end,
        )
        for entry in shown
    ]


def _is_web(text: str) -> bool:
    return text.startswith(("https://", "http://")) and " " not in text


def _is_discord(text: str) -> bool:
    return text.startswith("https://discord.com/")


def calendar_urls(bot: PalletsBot, request: PageRequest) -> tuple[str, str] | None:
    """The feed's address to download and to subscribe to (``webcal:``), if it is on."""
    if not request.settings.calendar_enabled:
        return None
    path = feed_path(request.guild_id)
    public = bot.settings.public_url
    if not public:
        return path, ""
    absolute = public.rstrip("/") + path
    subscribe = "webcal://" + absolute.split("://", 1)[1]
    return absolute, subscribe


async def page(bot: PalletsBot, request: PageRequest) -> Html:
    entries = await bot.calendar_sources.collect(bot, request.guild_id)
    listed = items(entries, utcnow(), LIMIT)
    return Html(
        "upcoming.html",
        title(),
        {"items": listed, "calendar": calendar_urls(bot, request)},
    )


async def home(bot: PalletsBot, request: PageRequest) -> Html:
    entries = await bot.calendar_sources.collect(bot, request.guild_id)
    sections = [
        (
            request.url(section.name),
            section.title(),
            section.summary() if section.summary else "",
        )
        for section in bot.pages.sections(request.settings)
    ]
    return Html(
        "home.html",
        _("{server} community", server=request.guild_name),
        {
            "items": items(entries, utcnow(), PREVIEW),
            "sections": sections,
            "calendar": calendar_urls(bot, request),
        },
    )
