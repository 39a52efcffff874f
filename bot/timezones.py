"""IANA timezone names: the one place that finds a zone from what a member typed."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones
from zoneinfo import ZoneInfo

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
    return _ALIASES.get(key) or _by_key().get(key)


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
