"""Set-up rules: which changes a /setup command makes, and why one is refused.

Pure: no Discord, no database. The settings themselves are stored by
``bot.guilds.GuildConfig`` (the core owns them: every job reads them).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from bot.guilds import Channel
from bot.refusals import Refused

K = TypeVar("K")


class Problem(StrEnum):
    """Why a /setup command is refused (worded by ``_render``)."""

    NO_CHANNEL = "no_channel"
    NO_ROLE = "no_role"
    EVERYONE_ROLE = "everyone_role"
    UNKNOWN_LANGUAGE = "unknown_language"
    NO_PAGES_CHOICE = "no_pages_choice"


def chosen(values: Mapping[K, int | None], nothing: Problem) -> dict[K, int]:
    """The ids a member chose, by setting; ``nothing`` refuses an empty choice."""
    picked = {key: value for key, value in values.items() if value is not None}
    if not picked:
        raise Refused(nothing)
    return picked


#: What the bot needs in each channel it is given (``discord.Permissions`` names),
#: for the work it does there.
CHANNEL_NEEDS: dict[Channel, tuple[str, ...]] = {
    # announcements, reminders; the chat's thread for topics, notes and mentions
    Channel.ANNOUNCEMENTS: (
        "view_channel",
        "send_messages",
        "embed_links",
        "read_message_history",
        "create_public_threads",
        "send_messages_in_threads",
    ),
    # the checklist, tags (and creating missing ones), closing and archiving
    Channel.QUESTIONS: (
        "view_channel",
        "send_messages_in_threads",
        "read_message_history",
        "manage_threads",
        "manage_channels",
    ),
    Channel.EVENTS: (
        "view_channel",
        "send_messages",
        "embed_links",
        "read_message_history",
    ),
    # each pair's private thread, with the pair added to it
    Channel.MENTORSHIP: (
        "view_channel",
        "create_private_threads",
        "send_messages_in_threads",
        "manage_threads",
    ),
    Channel.HELPERS: ("view_channel", "send_messages", "embed_links"),
    Channel.LOG: ("view_channel", "send_messages", "embed_links"),
}
#: What the bot needs server-wide: the Discord events of chats and events.
SERVER_NEEDS: tuple[str, ...] = ("create_events",)


def missing(needed: tuple[str, ...], granted: Mapping[str, bool]) -> list[str]:
    """The permissions of ``needed`` that ``granted`` lacks, in ``needed``'s order."""
    return [name for name in needed if not granted.get(name, False)]


def pages_path(guild_id: int) -> str:
    """Where the bot's web server serves a guild's public pages."""
    return f"/{guild_id}/"


def pages_changes(
    enabled: bool | None, questions: bool | None, search_engines: bool | None
) -> dict[str, bool]:
    """The settings ``/setup pages`` changes; at least one must be given."""
    values = {
        "pages_enabled": enabled,
        "pages_questions": questions,
        "pages_indexable": search_engines,
    }
    picked = {name: value for name, value in values.items() if value is not None}
    if not picked:
        raise Refused(Problem.NO_PAGES_CHOICE)
    return picked
