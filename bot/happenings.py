"""A dated happening: what the chats and the events jobs both manage.

A happening (one chat of a series, one community event) has an announcement that is
kept up to date, a Discord scheduled event, and reminder jobs. The parts that are the
same for every happening live here, so they behave the same everywhere:

- :func:`adopt_or_create` makes the Discord scheduled event, once, through the outbox
  (:meth:`bot.outbox.Outbox.create_event`, under the happening's key). The job
  records the event's id (``record``) right after Discord answers; should the
  process die between Discord's answer and that commit, or the answer be lost, the
  next try finds the event the bot made (same name, same start, made by the bot,
  recorded by no other happening) and adopts it instead of making a second one. An
  event deleted on Discord is forgotten (:func:`forget`), and made again when asked.
- One policy for Discord trouble: trouble worth retrying (429, 5xx, the network) is
  raised for the job to retry while it may; anything else, or trouble on the last
  try, is logged and told to the organisers (``bot.notices``), and the announcement
  goes out regardless: the Discord event is a convenience, the announcement is what
  members rely on.
- :func:`refresh_post` redraws an announcement. The database stays the truth: a post
  that cannot be redrawn is logged, and the next change redraws it.
- Discord's own "Interested" on a scheduled event counts as interest (chats) or as
  going (events): :func:`listen_for_interest` turns the gateway's
  ``GUILD_SCHEDULED_EVENT_USER_ADD``/``_REMOVE`` into the bot event
  ``pallets_event_interest(guild_id, event_id, user_id, added)``, so the bot's list
  and Discord's are one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot import i18n
from bot.errors import RetryLater
from bot.safety import clip
from bot.safety import EVENT_DESCRIPTION_LIMIT
from bot.safety import EVENT_NAME_LIMIT
from bot.safety import NO_MENTIONS
from bot.scheduler import is_transient
from bot.scheduler import Job
from bot.scheduler import MAX_ATTEMPTS

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

#: Discord allows this many scheduled or active events per guild.
ACTIVE_EVENTS_LIMIT = 100
#: Discord's limit on an external event's location.
LOCATION_LIMIT = 100


class Trouble(StrEnum):
    """Why a happening has no Discord event; each job words it for its organisers."""

    #: The bot lacks the Manage Events permission.
    FORBIDDEN = "forbidden"
    #: The guild already has :data:`ACTIVE_EVENTS_LIMIT` scheduled or active events.
    FULL = "full"
    #: The voice or stage channel the event was to take place in is gone.
    NO_CHANNEL = "no_channel"
    #: Discord refused or failed, and the job may not (or need not) try again.
    DISCORD = "discord"


#: Words a trouble for the organisers, in the current language: ``(trouble, error)``,
#: where ``error`` is Discord's answer for :attr:`Trouble.DISCORD` (else ``None``).
Tell = Callable[[Trouble, discord.HTTPException | None], str]


@dataclass(frozen=True, slots=True)
class EventPlan:
    """What a happening's Discord scheduled event says (clipped to Discord's limits)."""

    name: str
    start: datetime
    end: datetime
    description: str = ""
    #: For an event somewhere else (a place or a link): where.
    location: str = ""
    #: For an event in a voice or stage channel: the channel.
    channel_id: int | None = None
    stage: bool = False

    @property
    def title(self) -> str:
        """The name as Discord stores it (and as adoption compares it)."""
        return clip(self.name, EVENT_NAME_LIMIT)

    def create_kwargs(self, channel: discord.abc.Snowflake | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "name": self.title,
            "start_time": self.start,
            "end_time": self.end,
            "description": clip(self.description, EVENT_DESCRIPTION_LIMIT)
            or discord.utils.MISSING,
            "privacy_level": discord.PrivacyLevel.guild_only,
        }
        if channel is None:
            kwargs["entity_type"] = discord.EntityType.external
            kwargs["location"] = clip(self.location, LOCATION_LIMIT)
        else:
            kwargs["entity_type"] = (
                discord.EntityType.stage_instance
                if self.stage
                else discord.EntityType.voice
            )
            kwargs["channel"] = channel
        return kwargs


def may_retry(job: Job) -> bool:
    """Whether ``job`` has tries left after this one (so trouble may be raised)."""
    return job.attempts < MAX_ATTEMPTS


def retry_or_give_up(error: BaseException, *, retry: bool) -> None:
    """Raise ``error`` again when it is worth retrying and the caller may retry.

    Otherwise return: the caller gives up on that piece of work and carries on.
    """
    if retry and is_transient(error):
        raise error


async def tell_organisers(
    bot: PalletsBot,
    guild_id: int,
    tell: Tell,
    trouble: Trouble,
    error: discord.HTTPException | None = None,
) -> None:
    """Post the job's sentence for ``trouble`` to the log channel, in the guild's
    language (organisers read the log channel, whoever caused the work)."""
    with i18n.use_language(await bot.guild_language(guild_id)):
        text = tell(trouble, error)
    await bot.notices.post(guild_id, text)


def _adoptable(guild: discord.Guild, plan: EventPlan) -> list[discord.ScheduledEvent]:
    """Events the bot made with this name and start: candidates for adoption."""
    me = guild.me.id if guild.me else None
    return [
        event
        for event in guild.scheduled_events
        if event.name == plan.title
        and event.start_time == plan.start
        and event.creator_id == me
        and event.status in (discord.EventStatus.scheduled, discord.EventStatus.active)
    ]


def event_key(key: str, plan: EventPlan) -> str:
    """The outbox key of the happening's Discord event (``key``) at this start."""
    return f"{key}:{int(plan.start.timestamp())}"


async def forget(bot: PalletsBot, key: str) -> None:
    """The happening's Discord event (``key``) is gone: the next
    :func:`adopt_or_create` makes a new one."""
    await bot.outbox.forget(f"{key}:", prefix=True)


async def adopt_or_create(
    bot: PalletsBot,
    guild_id: int,
    plan: EventPlan,
    *,
    key: str,
    record: Callable[[int], Awaitable[None]],
    taken: Callable[[int], Awaitable[bool]],
    retry: bool,
    tell: Tell | None,
) -> int | None:
    """Give a happening its Discord scheduled event; return its id, or None.

    :param key: the job's key for the happening's Discord event; with the start it
        keys the event in the outbox.
    :param record: stores the event's id in the happening's row; called before
        anything else can look for the event.
    :param taken: whether an event id is already recorded by another happening of
        the job (two happenings with the same name and start get one event each).
    :param retry: whether transient trouble may be raised for the job to retry.
    :param tell: words trouble for the organisers; ``None`` only logs it (a retry
        of something the organisers were already told about).
    """
    guild = bot.get_guild(guild_id)
    if guild is None:
        if retry:
            raise RetryLater("guild not available yet")
        log.warning("no Discord event: guild %s is not available", guild_id)
        return None
    sent = await bot.outbox.status(event_key(key, plan))
    if sent is not None and sent.message_id is not None:
        # Made (or adopted) by an earlier try whose record did not commit.
        await record(sent.message_id)
        return sent.message_id
    if sent is None:
        # No try the outbox knows of; an event the bot made that no happening
        # recorded (a version before the outbox kept events) is still adopted.
        for existing in _adoptable(guild, plan):
            if not await taken(existing.id):
                await record(existing.id)
                log.info("adopted Discord event %s in guild %s", existing.id, guild_id)
                return existing.id
    trouble: Trouble | None = None
    channel: discord.abc.Snowflake | None = None
    active = sum(
        1
        for event in guild.scheduled_events
        if event.status in (discord.EventStatus.scheduled, discord.EventStatus.active)
    )
    if active >= ACTIVE_EVENTS_LIMIT:
        trouble = Trouble.FULL
    elif plan.channel_id is not None:
        found = guild.get_channel(plan.channel_id)
        if found is None:
            trouble = Trouble.NO_CHANNEL
        else:
            channel = discord.Object(id=found.id)
    if trouble is not None:
        log.warning("no Discord event in guild %s: %s", guild_id, trouble)
        if tell is not None:
            await tell_organisers(bot, guild_id, tell, trouble)
        return None
    try:
        # Reconciles first when an earlier try may have made it (see bot.outbox).
        delivery = await bot.outbox.create_event(
            event_key(key, plan), guild, taken=taken, **plan.create_kwargs(channel)
        )
    except discord.HTTPException as error:
        retry_or_give_up(error, retry=retry)
        log.warning("no Discord event in guild %s: %s", guild_id, error)
        if tell is not None:
            trouble = (
                Trouble.FORBIDDEN
                if isinstance(error, discord.Forbidden)
                else Trouble.DISCORD
            )
            await tell_organisers(bot, guild_id, tell, trouble, error)
        return None
    if delivery.message_id is None:
        return None
    if delivery.adopted:
        log.info("adopted Discord event %s in guild %s", delivery.message_id, guild_id)
    await record(delivery.message_id)
    return delivery.message_id


async def fetch_event(
    bot: PalletsBot, guild_id: int, event_id: int | None
) -> discord.ScheduledEvent | None:
    """The Discord scheduled event ``event_id``, or None when it is gone (or unknown)."""
    if event_id is None:
        return None
    guild = bot.get_guild(guild_id)
    if guild is None:
        return None
    event = guild.get_scheduled_event(event_id)
    if event is not None:
        return event
    try:
        return await guild.fetch_scheduled_event(event_id)
    except discord.NotFound:
        return None


#: The bot event a member's "Interested" on a Discord event becomes; listeners take
#: ``(guild_id, scheduled_event_id, user_id, added)``.
INTEREST_EVENT = "pallets_event_interest"
_INTEREST_GATEWAY = {
    "GUILD_SCHEDULED_EVENT_USER_ADD": True,
    "GUILD_SCHEDULED_EVENT_USER_REMOVE": False,
}


def listen_for_interest(bot: commands.Bot) -> None:
    """Dispatch :data:`INTEREST_EVENT` for every Interested added or removed.

    discord.py's own ``on_scheduled_event_user_add`` is dropped when the member is
    not in its cache, which without the members intent (the bot asks for none) is
    most of the time; the gateway payload carries the ids, which is all the jobs
    need. So the parsers of those two gateway events are wrapped, once, before the
    gateway connects; discord.py's own handling still runs after.
    """
    parsers: dict[str, Callable[[Any], None]] = bot._connection.parsers  # noqa: SLF001
    for name, added in _INTEREST_GATEWAY.items():
        original = parsers[name]
        if getattr(original, "pallets_interest", False):
            continue

        def parse(
            data: Any,
            original: Callable[[Any], None] = original,
            added: bool = added,
        ) -> None:
            try:
                ids = (
                    int(data["guild_id"]),
                    int(data["guild_scheduled_event_id"]),
                    int(data["user_id"]),
                )
            except (KeyError, TypeError, ValueError):
                log.warning("scheduled event interest without ids: %s", data)
            else:
                if bot.user is None or ids[2] != bot.user.id:
                    bot.dispatch(INTEREST_EVENT, *ids, added)
            original(data)

        parse.pallets_interest = True  # type: ignore[attr-defined]
        parsers[name] = parse


async def refresh_post(
    bot: PalletsBot,
    guild_id: int,
    channel_id: int | None,
    message_id: int | None,
    *,
    embed: discord.Embed,
    view: discord.ui.View | None,
) -> bool:
    """Redraw an announcement (``view=None`` takes its buttons away).

    Return whether it was redrawn. Discord trouble is logged, not raised: the
    database stays the truth, and a member's vote or answer must not fail because
    the post could not be redrawn; the next change redraws it.
    """
    if channel_id is None or message_id is None:
        return False
    message = bot.get_partial_messageable(
        channel_id, guild_id=guild_id
    ).get_partial_message(message_id)
    try:
        await message.edit(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
    except discord.NotFound:
        log.info("announcement %s in %s was deleted", message_id, channel_id)
        return False
    except discord.HTTPException as error:
        log.warning("could not redraw announcement %s: %s", message_id, error)
        return False
    return True
