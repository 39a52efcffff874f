"""Wording of /timezone: what a member's commands will use, and the time there now."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import _
from bot.i18n import format_datetime


def saved(zone: str, now: datetime) -> str:
    return _(
        "Your timezone is now {zone} (there it is {time}). Commands that need a "
        "timezone use it when you give none.",
        zone=zone,
        time=format_datetime(now, "short"),
    )


def shown(own: str | None, server: str | None, now: datetime | None) -> str:
    """/timezone show: the member's zone, else the server's, else none."""
    if own is not None and now is not None:
        return _(
            "Your timezone: {zone} (there it is {time}).",
            zone=own,
            time=format_datetime(now, "short"),
        )
    if server is not None and now is not None:
        return _(
            "You have not set a timezone, so commands use the server's: {zone} (there "
            "it is {time}). Set yours with /timezone set.",
            zone=server,
            time=format_datetime(now, "short"),
        )
    return _(
        "You have not set a timezone, and neither has the server: commands ask for "
        "one. Set yours with /timezone set."
    )


def cleared(server: str | None) -> str:
    if server is not None:
        return _(
            "Your timezone is forgotten; commands use the server's, {zone}.",
            zone=server,
        )
    return _("Your timezone is forgotten; commands ask for one when they need it.")
