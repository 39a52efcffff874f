"""Set-up rules: which changes a /setup command makes, and why one is refused.

Pure: no Discord, no database. The settings themselves are stored by
``bot.guilds.GuildConfig`` (the core owns them: every job reads them).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from bot.refusals import Refused

K = TypeVar("K")


class Problem(StrEnum):
    """Why a /setup command is refused (worded by ``_render``)."""

    NO_CHANNEL = "no_channel"
    NO_ROLE = "no_role"
    EVERYONE_ROLE = "everyone_role"
    UNKNOWN_LANGUAGE = "unknown_language"


def chosen(values: Mapping[K, int | None], nothing: Problem) -> dict[K, int]:
    """The ids a member chose, by setting; ``nothing`` refuses an empty choice."""
    picked = {key: value for key, value in values.items() if value is not None}
    if not picked:
        raise Refused(nothing)
    return picked
