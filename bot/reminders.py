"""When a happening's reminders go out: offsets before its start, as organisers type them.

Chats and events both let organisers choose their reminders per series or per event:
``24h,1h``, ``2d, 30m``, ``24`` (a bare number counts hours, as chats always took it),
or ``none``. One reading for both, here; each job words its own refusal.

Pure: no Discord, no database, no wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Words that mean "no reminders".
NONE_WORDS = frozenset({"none", "no", "off", "-"})
_ITEM = re.compile(r"^(\d{1,5})(m|min|h|d)?$")
_MINUTES = {"m": 1, "min": 1, "h": 60, "d": 24 * 60, None: 60}


def parse_offsets(
    text: str, *, most: int = 4, longest: int = 7 * 24 * 60
) -> tuple[int, ...]:
    """Read ``text`` as minutes before the start, largest first, without repeats.

    Raise ``ValueError`` for anything else: an unknown unit, zero, more than
    ``most`` offsets, or one longer than ``longest`` minutes.
    """
    cleaned = text.strip().lower()
    if not cleaned or cleaned in NONE_WORDS:
        return ()
    minutes: set[int] = set()
    for part in re.split(r"[,;\s]+", cleaned):
        if not part:
            continue
        match = _ITEM.match(part)
        if match is None:
            raise ValueError(f"not an offset: {part!r}")
        value = int(match.group(1)) * _MINUTES[match.group(2)]
        if not 1 <= value <= longest:
            raise ValueError(f"offset out of range: {part!r}")
        minutes.add(value)
    if len(minutes) > most:
        raise ValueError(f"more than {most} offsets")
    return tuple(sorted(minutes, reverse=True))


def format_offsets(minutes: Iterable[int]) -> str:
    """Offsets as organisers type them (``24h,1h,30m``); ``none`` for none."""
    parts = [
        f"{m // 1440}d"
        if m % 1440 == 0 and m >= 2880
        else f"{m // 60}h"
        if m % 60 == 0
        else f"{m}m"
        for m in minutes
    ]
    return ",".join(parts) or "none"


def to_text(minutes: Iterable[int]) -> str:
    """Offsets as stored: minutes, comma separated (empty for none)."""
    return ",".join(str(m) for m in minutes)


def from_text(text: str) -> tuple[int, ...]:
    """Read what :func:`to_text` stored."""
    return tuple(int(part) for part in text.split(",") if part)
