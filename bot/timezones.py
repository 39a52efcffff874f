"""IANA timezone names: the one place that finds a zone from what a member typed."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.errors import UserError
from bot.i18n import _
from bot.safety import clip

_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC"}


@cache
def names() -> tuple[str, ...]:
    """Every IANA zone name this system knows, sorted."""
    return tuple(sorted(available_timezones()))


@cache
def _by_key() -> dict[str, str]:
    return {_key(name): name for name in names()}


def _key(text: str) -> str:
    return text.strip().replace(" ", "_").lower()


def find(text: str) -> str | None:
    """Return the canonical zone name for ``text`` (any case, spaces for _), or None."""
    key = _key(text)
    # A real zone's own name wins over an alias ("GMT" is a zone of its own).
    return _by_key().get(key) or _ALIASES.get(key)


def zone(text: str) -> ZoneInfo | None:
    """Return the zone ``text`` names, or None when it names none."""
    name = find(text)
    return None if name is None else ZoneInfo(name)


def choices(text: str, limit: int = 25) -> list[str]:
    """Zone names for autocomplete: names starting with ``text``, then containing it."""
    needle = _key(text)
    if not needle:
        return list(names()[:limit])
    starts = [name for name in names() if name.lower().startswith(needle)]
    inside = [name for name in names() if needle in name.lower() and name not in starts]
    return (starts + inside)[:limit]


class TimezoneTransformer(app_commands.Transformer):
    """A timezone option: autocompleted from the zone names, refused in words.

    Use as ``timezone: Timezone``; the command receives a :class:`ZoneInfo`.
    """

    async def transform(
        self, interaction: discord.Interaction[Any], value: str
    ) -> ZoneInfo:
        found = zone(value)
        if found is None:
            raise UserError(
                _(
                    "Unknown timezone {name}: pick one from the list, such as Europe/Paris.",
                    name=clip(value, 50),
                )
            )
        return found

    async def autocomplete(  # type: ignore[override]  # str choices for a str option
        self, interaction: discord.Interaction[Any], value: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in choices(value)]


Timezone = app_commands.Transform[ZoneInfo, TimezoneTransformer]
