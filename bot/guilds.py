"""Per-guild configuration: channels, roles, language, timezone. Cached; the database is
the truth."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from bot.clock import now_ts
from bot.db import Database
from bot.db import record
from bot.db import Row


class Channel(StrEnum):
    """The channels a guild assigns to the bot's jobs."""

    ANNOUNCEMENTS = "announcements"
    QUESTIONS = "questions"
    EVENTS = "events"
    MENTORSHIP = "mentorship"
    HELPERS = "helpers"
    LOG = "log"
    #: Where members read about extensions at risk (public).
    EXTENSIONS = "extensions"


class Role(StrEnum):
    """The community roles the bot's permission checks know."""

    ORGANISER = "organiser"
    HELPER = "helper"
    MENTOR = "mentor"
    GRANTS_REVIEWER = "grants_reviewer"
    #: Not a permission: the role members opt in to, pinged for new releases.
    RELEASES = "releases"


_CHANNEL_COLUMNS = {
    Channel.ANNOUNCEMENTS: "announcements_channel_id",
    Channel.QUESTIONS: "questions_forum_id",
    Channel.EVENTS: "events_channel_id",
    Channel.MENTORSHIP: "mentorship_channel_id",
    Channel.HELPERS: "helpers_channel_id",
    Channel.LOG: "log_channel_id",
    Channel.EXTENSIONS: "extensions_channel_id",
}
_ROLE_COLUMNS = {
    Role.ORGANISER: "organiser_role_id",
    Role.HELPER: "helper_role_id",
    Role.MENTOR: "mentor_role_id",
    Role.GRANTS_REVIEWER: "grants_reviewer_role_id",
    Role.RELEASES: "release_role_id",
}


_FLAGS = ("calendar_enabled", "pages_enabled", "pages_questions", "pages_indexable")


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    language: str | None = None
    announcements_channel_id: int | None = None
    questions_forum_id: int | None = None
    events_channel_id: int | None = None
    mentorship_channel_id: int | None = None
    helpers_channel_id: int | None = None
    log_channel_id: int | None = None
    organiser_role_id: int | None = None
    helper_role_id: int | None = None
    mentor_role_id: int | None = None
    grants_reviewer_role_id: int | None = None
    calendar_enabled: bool = False
    #: The server's default timezone (an IANA key), for members who set none.
    timezone: str | None = None
    release_role_id: int | None = None
    #: The "start here" message organisers placed with /setup start-here.
    start_channel_id: int | None = None
    start_message_id: int | None = None
    extensions_channel_id: int | None = None
    #: The public pages (extension health, what's coming) are served.
    pages_enabled: bool = False
    #: The solved questions are on the pages too (off until an organiser says so).
    pages_questions: bool = False
    #: Search engines may index the pages (``noindex`` until then).
    pages_indexable: bool = False

    def channel(self, which: Channel) -> int | None:
        value: int | None = getattr(self, _CHANNEL_COLUMNS[which])
        return value

    def role(self, which: Role) -> int | None:
        value: int | None = getattr(self, _ROLE_COLUMNS[which])
        return value

    @classmethod
    def from_row(cls, row: Row) -> GuildSettings:
        return record(
            cls,
            row,
            **{name: bool(row[name]) for name in _FLAGS},
        )


class GuildConfig:
    """Read and change guild settings, with an in-memory cache."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: dict[int, GuildSettings] = {}

    async def get(self, guild_id: int) -> GuildSettings:
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        row = await self._db.fetchone(
            "SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        settings = GuildSettings.from_row(row) if row else GuildSettings(guild_id)
        self._cache[guild_id] = settings
        return settings

    async def update(
        self, guild_id: int, **changes: int | str | bool | None
    ) -> GuildSettings:
        """Set the given columns; unknown names are a programming error."""
        allowed = {f.name for f in dataclasses.fields(GuildSettings)} - {"guild_id"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        columns = ["guild_id", *changes, "updated_at"]
        values = [guild_id, *changes.values(), now_ts()]
        assignments = ", ".join(
            f"{name} = excluded.{name}" for name in [*changes, "updated_at"]
        )
        placeholders = ", ".join("?" for _ in columns)
        await self._db.execute(
            f"INSERT INTO guild_settings ({', '.join(columns)}) VALUES ({placeholders}) "
            f"ON CONFLICT (guild_id) DO UPDATE SET {assignments}",
            values,
        )
        self._cache.pop(guild_id, None)
        return await self.get(guild_id)

    @staticmethod
    def channel_column(which: Channel) -> str:
        return _CHANNEL_COLUMNS[which]

    @staticmethod
    def role_column(which: Role) -> str:
        return _ROLE_COLUMNS[which]
