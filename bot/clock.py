"""The bot's one clock.

Everything that asks "what time is it" goes through :func:`utcnow`. In production that
is the wall clock; under simcord it is the simulated clock (simcord redirects
``discord.utils.utcnow``), so ``env.advance_time`` moves every timer in the bot,
APScheduler included (see :func:`bind_apscheduler`).
"""

from __future__ import annotations

from datetime import datetime
from datetime import tzinfo
from datetime import UTC
from typing import Any

import discord


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return discord.utils.utcnow()


def to_ts(moment: datetime) -> int:
    """Return ``moment`` as whole UTC epoch seconds, the storage format for times."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; attach a timezone")
    return int(moment.timestamp())


def from_ts(ts: int) -> datetime:
    """Return the aware UTC datetime for stored epoch seconds."""
    return datetime.fromtimestamp(ts, tz=UTC)


def parse_time(text: object) -> int | None:
    """Epoch seconds from an API's ISO 8601 time ("2024-05-01T12:00:00Z"), or None
    when it is missing, unreadable or has no timezone (GitHub, PyPI)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(moment.timestamp()) if moment.tzinfo is not None else None


def now_ts() -> int:
    """Return the current time as UTC epoch seconds."""
    return to_ts(utcnow())


def discord_timestamp(moment: datetime | int, style: str = "F") -> str:
    """Render a time as a Discord timestamp, shown in each reader's own timezone."""
    ts = moment if isinstance(moment, int) else to_ts(moment)
    return f"<t:{ts}:{style}>"


class _ClockDatetime(datetime):
    """A ``datetime`` whose ``now()`` reads the bot's clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        current = utcnow()
        return (
            current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)
        )


def bind_apscheduler() -> None:
    """Make APScheduler 3.x read the bot's clock.

    APScheduler reads ``datetime.now()`` in two modules: the scheduler (when to wake,
    what is due) and the executor (whether a run was missed). Both are pointed at
    :func:`utcnow`, which is the wall clock in production, so this is safe to do
    unconditionally and keeps one code path for production and tests.
    """
    from apscheduler.executors import base as executors_base
    from apscheduler.schedulers import base as schedulers_base

    schedulers_base.datetime = _ClockDatetime
    executors_base.datetime = _ClockDatetime
