"""Telling a guild's organisers something, in the log channel they chose.

One :class:`Notices` per bot (``bot.notices``): every job posts its notices here, so
the rules live once: private text never lands where every member reads, a trouble
that repeats is told once an hour, and a Discord refusal says what to fix.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot import i18n
from bot.clock import now_ts
from bot.guilds import Channel
from bot.safety import clip
from bot.safety import NO_MENTIONS
from bot.scheduler import Job
from bot.scheduler import JobDied

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)


class Notices:
    """The log channel of each guild, as the bot's jobs use it."""

    def __init__(self, bot: PalletsBot) -> None:
        self._bot = bot
        #: When each (guild, topic) notice last reached the log channel (epoch s).
        self._told: dict[tuple[int, str], int] = {}

    async def post(self, guild_id: int, text: str, *, private: bool = False) -> bool:
        """Tell the guild's organisers something in the log channel, if there is one.

        ``private`` text (a member's mentoring feedback or check-in answer, a grant
        request's details) is only posted where @everyone cannot read; in a log
        channel every member can read, a notice asking to make it private is posted
        instead, and the text stays in the database. Return whether it was posted.
        """
        bot = self._bot
        settings = await bot.guild_config.get(guild_id)
        channel_id = settings.channel(Channel.LOG)
        if channel_id is None:
            return False
        if private and self.readable_by_everyone(guild_id, channel_id):
            with i18n.use_language(await bot.guild_language(guild_id)):
                text = i18n._(
                    "Something only organisers may read (mentoring feedback, a "
                    "check-in answer or a grant request) was not posted here, "
                    "because every member can read this channel. Make this channel "
                    "private to organisers to see such messages here."
                )
        try:
            await bot.get_partial_messageable(channel_id, guild_id=guild_id).send(
                clip(text, 2000), allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException:
            log.warning("could not post to the log channel of guild %s", guild_id)
            return False
        return True

    async def post_once(
        self, guild_id: int, topic: str, text: str, *, every: int = 3600
    ) -> None:
        """:meth:`post`, but at most once per ``topic`` every ``every`` seconds.

        A trouble that repeats (a lost permission failing every new question, a full
        disk failing every command) must reach organisers once, not as a storm.
        """
        now = now_ts()
        last = self._told.get((guild_id, topic))
        if last is not None and now - last < every:
            log.info("not repeating the %s notice for guild %s", topic, guild_id)
            return
        if await self.post(guild_id, text):
            self._told[(guild_id, topic)] = now

    def readable_by_everyone(self, guild_id: int, channel_id: int) -> bool:
        """Whether @everyone can see the channel (when unknown, assume so)."""
        guild = self._bot.get_guild(guild_id)
        channel = guild.get_channel(channel_id) if guild else None
        if guild is None or channel is None:
            return True
        return channel.permissions_for(guild.default_role).view_channel

    async def job_failed(self, job: Job, error: BaseException) -> None:
        """The scheduler's hook: a job gave up; say which and what to fix."""
        if job.guild_id is None:
            return
        language = await self._bot.guild_language(job.guild_id)
        with i18n.use_language(language):
            if isinstance(error, JobDied):
                text = i18n._(
                    "A scheduled task was stopped for good: {job}. It was started "
                    "{count} times and the bot stopped each time before it finished, "
                    "so it will not be run again. Whoever runs the bot can find why "
                    "in its log.",
                    job=job.key,
                    count=error.attempts,
                )
                await self.post(job.guild_id, text)
                return
            text = i18n._(
                "A scheduled task failed and will not be retried: {job}. Reason: {reason}",
                job=job.key,
                reason=_short(error),
            )
            fix = what_to_fix(error)
        await self.post(job.guild_id, f"{text}\n{fix}" if fix else text)


def _short(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"Discord {error.status}: {error.text or error}"
    return type(error).__name__


def what_to_fix(error: BaseException) -> str | None:
    """Say what an organiser can do about a Discord refusal, naming the channel."""
    if not isinstance(error, discord.HTTPException):
        return None
    channel_id = error.__dict__.get("channel_id")
    where = f"<#{channel_id}>" if channel_id else i18n._("the channel I post in")
    if error.code == 50013:
        return i18n._(
            "I am missing a permission in {channel}: give my role View Channel, "
            "Send Messages, Send Messages in Threads and Embed Links there.",
            channel=where,
        )
    if error.code == 50001:
        return i18n._(
            "I cannot see {channel}: give my role the View Channel permission there "
            "(and Read Message History for a thread).",
            channel=where,
        )
    if error.status == 404:
        return i18n._(
            "{channel} no longer exists (or the message or thread was deleted): "
            "if it was a configured channel, choose another with /setup channels.",
            channel=where,
        )
    if error.status == 429 or error.status >= 500:
        return i18n._(
            "Discord kept failing for several minutes; nothing is wrong on your side."
        )
    return None
