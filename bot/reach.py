"""Reaching a member: a DM, and when their DMs are closed, a mention instead.

One :class:`Reach` per bot (``bot.reach``); every job that DMs a member goes through
it (reminders, event changes, grant decisions...), so a closed DM is never silent:

- the member is mentioned where they will see it, in the job's own thread or channel
  (:class:`Fallback`: the place and what to say there, without private details);
  the members one job could not reach are mentioned together, in one post;
- the member is told once, in the bot's next ephemeral reply to them (any command,
  button or form: :func:`bot.replies.reply` asks :meth:`Reach.note_for`), that their
  DMs are closed and how to open them;
- organisers are told in the log channel (at most once a day) how many members the
  bot could not reach, and ``/setup show`` counts them.

A DM that gets through again forgets the member: if they close their DMs later, they
are told again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot import i18n
from bot.clock import now_ts
from bot.db import DatabaseError
from bot.notices import what_to_fix
from bot.outbox import Delivery
from bot.safety import clip
from bot.safety import mention_only
from bot.safety import MESSAGE_LIMIT

if TYPE_CHECKING:
    from bot.app import PalletsBot
    from bot.ui import Interaction

log = logging.getLogger(__name__)

#: Members mentioned in one fallback post (a mention is up to 23 characters).
MENTIONS_PER_POST = 40
#: The organisers' notice about unreachable members, at most once in this long.
NOTICE_EVERY = 24 * 3600


@dataclass(frozen=True, slots=True)
class Fallback:
    """Where to mention members a DM could not reach, and what to say there.

    ``text`` is read by everyone in ``channel_id`` (a thread of the job, or its
    channel): in the guild's language, and without anything private (a grant's
    details stay in ``/grant status``). ``None`` as the channel: nowhere to go.
    """

    channel_id: int | None
    text: str
    #: Finds (or opens) the place only when someone must be mentioned there: a
    #: thread is not opened for nothing. Used instead of ``channel_id``.
    where: Callable[[], Awaitable[int | None]] | None = None

    async def place(self) -> int | None:
        return self.channel_id if self.where is None else await self.where()


def mention_key(key: str, part: int = 0) -> str:
    """The outbox key of the fallback post for the sends grouped under ``key``."""
    return f"{key}:mention" if part == 0 else f"{key}:mention:{part + 1}"


class Reach:
    """DMs with a fallback, and the memory of who could not be reached."""

    def __init__(self, bot: PalletsBot) -> None:
        self._bot = bot
        #: Per guild (loaded on first use): members whose DMs failed last time, and
        #: those of them not told yet.
        self._closed: dict[int, set[int]] = {}
        self._untold: dict[int, set[int]] = {}

    # -- sending ------------------------------------------------------------------------
    async def dm(
        self,
        key: str,
        user_id: int,
        *,
        guild_id: int,
        content: str | None = None,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
        fallback: Fallback | None = None,
    ) -> Delivery:
        """DM one member once (through the outbox); mention them when DMs are closed."""
        delivery = await self._dm(key, user_id, guild_id, content, embed, view)
        if delivery.failed is not None and fallback is not None:
            await self.mention(key, [user_id], guild_id=guild_id, fallback=fallback)
        return delivery

    async def dm_each(
        self,
        group_key: str,
        sends: Iterable[tuple[str, int]],
        *,
        guild_id: int,
        content: str | None = None,
        embed: discord.Embed | None = None,
        fallback: Fallback | None = None,
    ) -> list[int]:
        """DM each ``(key, user_id)`` the same message; mention the members it could
        not reach together, in one post keyed under ``group_key``. Return them.

        A retry of the job finds the same members failed (the outbox remembers), so
        the fallback post is the same one, made once.
        """
        unreachable: list[int] = []
        for key, user_id in sends:
            delivery = await self._dm(key, user_id, guild_id, content, embed, None)
            if delivery.failed is not None:
                unreachable.append(user_id)
        if unreachable and fallback is not None:
            await self.mention(
                group_key, unreachable, guild_id=guild_id, fallback=fallback
            )
        return unreachable

    async def _dm(
        self,
        key: str,
        user_id: int,
        guild_id: int,
        content: str | None,
        embed: discord.Embed | None,
        view: discord.ui.View | None,
    ) -> Delivery:
        delivery = await self._bot.outbox.send_dm(
            key, user_id, guild_id=guild_id, content=content, embed=embed, view=view
        )
        if delivery.failed is not None:
            await self._record_closed(guild_id, user_id)
        elif delivery.fresh:
            await self._record_open(guild_id, user_id)
        return delivery

    async def mention(
        self,
        key: str,
        user_ids: list[int],
        *,
        guild_id: int,
        fallback: Fallback,
    ) -> None:
        """Mention ``user_ids`` in the fallback's place, in as few posts as fit.

        A place the bot cannot post in is told to organisers, never raised: the DMs
        of the job went out, and retrying them would change nothing.
        """
        if not user_ids:
            return
        try:
            channel_id = await fallback.place()
        except discord.HTTPException as error:
            log.warning("could not open the place to mention members: %s", error)
            await self._tell_organisers(guild_id, error)
            return
        if channel_id is None:
            return
        with i18n.guild_language():
            why = i18n._(
                "-# You are mentioned here because I could not send you a direct "
                "message."
            )
        for part, start in enumerate(range(0, len(user_ids), MENTIONS_PER_POST)):
            chunk = user_ids[start : start + MENTIONS_PER_POST]
            mentions = " ".join(f"<@{user_id}>" for user_id in chunk)
            text = clip(fallback.text, MESSAGE_LIMIT - len(mentions) - len(why) - 2)
            try:
                await self._bot.outbox.send(
                    mention_key(key, part),
                    channel_id,
                    guild_id=guild_id,
                    content=f"{mentions}\n{text}\n{why}",
                    allowed_mentions=mention_only(
                        *(discord.Object(user_id) for user_id in chunk)
                    ),
                )
            except (discord.Forbidden, discord.NotFound) as error:
                log.warning("could not mention unreachable members: %s", error)
                await self._tell_organisers(guild_id, error)
                return

    # -- who could not be reached ----------------------------------------------------------
    async def _load(self, guild_id: int) -> set[int]:
        closed = self._closed.get(guild_id)
        if closed is None:
            rows = await self._bot.db.fetchall(
                "SELECT user_id, told_at FROM unreachable_members WHERE guild_id = ?",
                (guild_id,),
            )
            closed = {row["user_id"] for row in rows}
            self._closed[guild_id] = closed
            self._untold[guild_id] = {
                row["user_id"] for row in rows if row["told_at"] is None
            }
        return closed

    async def _record_closed(self, guild_id: int, user_id: int) -> None:
        closed = await self._load(guild_id)
        now = now_ts()
        await self._bot.db.execute(
            "INSERT INTO unreachable_members (guild_id, user_id, since, last_failed_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "last_failed_at = excluded.last_failed_at, failures = failures + 1",
            (guild_id, user_id, now, now),
        )
        if user_id in closed:
            return
        closed.add(user_id)
        self._untold[guild_id].add(user_id)
        await self._tell_organisers(guild_id, None)

    async def _record_open(self, guild_id: int, user_id: int) -> None:
        closed = await self._load(guild_id)
        if user_id not in closed:
            return
        await self._bot.db.execute(
            "DELETE FROM unreachable_members WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        closed.discard(user_id)
        self._untold[guild_id].discard(user_id)

    async def count(self, guild_id: int) -> int:
        """How many members of the guild the bot could not reach by DM lately."""
        return len(await self._load(guild_id))

    async def is_unreachable(self, guild_id: int, user_id: int) -> bool:
        return user_id in await self._load(guild_id)

    async def note_for(self, interaction: Interaction) -> str | None:
        """The sentence telling this member their DMs are closed, the first time only.

        Called for every ephemeral reply: answered from memory unless there is news.
        """
        guild_id = interaction.guild_id
        if guild_id is None:
            return None
        await self._load(guild_id)
        untold = self._untold[guild_id]
        if interaction.user.id not in untold:
            return None
        untold.discard(interaction.user.id)
        try:
            await self._bot.db.execute(
                "UPDATE unreachable_members SET told_at = ? "
                "WHERE guild_id = ? AND user_id = ?",
                (now_ts(), guild_id, interaction.user.id),
            )
        except DatabaseError:
            # The reply matters more than the memory of having told: tell anyway
            # (and perhaps once more after a restart).
            log.warning("could not record that a member was told", exc_info=True)
        with i18n.member_language():
            return i18n._(
                "Note: I could not send you a direct message, because your DMs are "
                "closed to members of this server, so I mentioned you in the channel "
                "or thread instead. To get my messages by DM, allow direct messages "
                "in this server's Privacy Settings."
            )

    async def _tell_organisers(
        self, guild_id: int, error: discord.HTTPException | None
    ) -> None:
        count = await self.count(guild_id)
        language = await self._bot.guild_language(guild_id)
        with i18n.scope(language, language):
            text = i18n.ngettext(
                "{count} member could not be reached by DM (their DMs are closed to "
                "this server); the bot mentions them in the relevant thread or "
                "channel instead. /setup show counts them.",
                "{count} members could not be reached by DM (their DMs are closed to "
                "this server); the bot mentions them in the relevant thread or "
                "channel instead. /setup show counts them.",
                count,
            )
            if error is not None:
                fix = what_to_fix(error)
                text = f"{text}\n{fix}" if fix else text
        topic = "unreachable" if error is None else f"unreachable:{error.status}"
        await self._bot.notices.post_once(guild_id, topic, text, every=NOTICE_EVERY)
