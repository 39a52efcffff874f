"""Wording of /upcoming: each entry in the reader's own time (Discord timestamps)."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.calendar import CalendarEntry
from bot.clock import discord_timestamp
from bot.i18n import _
from bot.i18n import ngettext
from bot.safety import quote


def entry_line(entry: CalendarEntry, now: datetime) -> str:
    title = quote(entry.summary)
    if entry.url:
        title = f"[{title}]({entry.url})"
    if entry.start <= now:
        return _(
            "**{title}** · under way, until {end}",
            title=title,
            end=discord_timestamp(entry.end, "t"),
        )
    return _(
        "**{title}** · {start} ({relative})",
        title=title,
        start=discord_timestamp(entry.start, "F"),
        relative=discord_timestamp(entry.start, "R"),
    )


def page(
    entries: list[CalendarEntry], total: int, now: datetime, feed: str | None
) -> discord.Embed:
    """One page of /upcoming; ``feed`` is the calendar address, when published."""
    lines = [entry_line(entry, now) for entry in entries]
    if not lines:
        lines = [_("Nothing is planned yet.")]
    embed = discord.Embed(
        title=ngettext("{count} thing coming up", "{count} things coming up", total)
        if total
        else _("Coming up"),
        description="\n".join(lines),
    )
    if feed:
        embed.add_field(
            name=_("In your calendar app"),
            value=_("Subscribe to {url} to see these in your own calendar.", url=feed),
            inline=False,
        )
    return embed
