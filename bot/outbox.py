"""Sends that must not repeat: announcements, reminders, DMs, digests.

Every logical send has a key (``chats:reminder:12:24h``). The outbox records the send
before making it and marks it sent after; a send whose key was already sent is skipped.
A crash between Discord accepting the message and the database recording it leaves
the row pending, and the retry goes out with the same ``nonce`` (derived from the key)
and ``enforce_nonce``, which Discord uses to return the first message instead of
posting a second.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any
from typing import TYPE_CHECKING

import discord

from bot.clock import now_ts
from bot.db import Database
from bot.pacing import in_scheduled_work
from bot.pacing import Pacer
from bot.safety import fit_content
from bot.safety import fit_embed
from bot.safety import NO_MENTIONS

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

#: Discord accepts a nonce of at most 25 characters.
NONCE_LENGTH = 25
#: Requests a second that scheduled work may spend on sends: Discord allows 50 in
#: all, and the rest is left for members' commands and the jobs' other requests.
SCHEDULED_REQUESTS_PER_SECOND = 20


#: Set on an error a send raised and left pending, naming the send's key.
_KEY_ATTR = "outbox_key"
#: A job that gives up on a send marks it failed, if no earlier try got it out.
GIVE_UP_SQL = (
    "UPDATE outbox SET state = 'failed', last_error = ? "
    "WHERE key = ? AND state = 'pending'"
)


def pending_send_of(error: BaseException) -> str | None:
    """Return the key of the send that ``error`` (or what caused it) left pending."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        key = getattr(current, _KEY_ATTR, None)
        if isinstance(key, str):
            return key
        current = current.__cause__ or current.__context__
    return None


def nonce_for(key: str) -> str:
    """Return the message nonce for ``key``: stable, and 25 characters at most."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=12).hexdigest()[
        :NONCE_LENGTH
    ]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of a send."""

    key: str
    channel_id: int | None
    message_id: int | None
    #: ``True`` when this call posted it; ``False`` when an earlier call already had.
    fresh: bool
    #: Set when the send was refused for good (a member's DMs closed, say).
    failed: str | None = None

    @property
    def sent(self) -> bool:
        return self.message_id is not None


class Outbox:
    def __init__(self, bot: PalletsBot, db: Database) -> None:
        self._bot = bot
        self._db = db
        self.sends = 0
        self.retries = 0
        #: Paces the sends of scheduled work (a catch-up after downtime, a burst of
        #: reminders due at once), per channel and overall; commands are not paced.
        self.pacer = Pacer(SCHEDULED_REQUESTS_PER_SECOND)

    async def status(self, key: str) -> Delivery | None:
        row = await self._db.fetchone("SELECT * FROM outbox WHERE key = ?", (key,))
        if row is None:
            return None
        return Delivery(
            key,
            row["channel_id"],
            row["message_id"],
            fresh=False,
            failed=row["last_error"] if row["state"] == "failed" else None,
        )

    async def send(
        self,
        key: str,
        channel_id: int,
        *,
        guild_id: int | None,
        content: str | None = None,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
        allowed_mentions: discord.AllowedMentions = NO_MENTIONS,
    ) -> Delivery:
        """Post to a channel or thread once. Raises on failure; the job retries."""
        previous = await self._begin(key, guild_id=guild_id, channel_id=channel_id)
        if previous is not None:
            return previous
        if in_scheduled_work():
            await self.pacer.acquire(("channel", channel_id))
        channel = self._bot.get_partial_messageable(channel_id, guild_id=guild_id)
        try:
            message = await channel.send(
                **_message_kwargs(content, embed, view, allowed_mentions),
                nonce=nonce_for(key),
            )
        except (discord.Forbidden, discord.NotFound) as error:
            await self._fail(key, error)
            # Whoever reports the failure can then say which channel to fix.
            error.__dict__["channel_id"] = channel_id
            raise
        except Exception as error:
            # Transient: the row stays pending so the job's retry resends with the
            # same nonce; if the job gives up, the scheduler marks the row failed.
            error.__dict__[_KEY_ATTR] = key
            raise
        return await self._sent(key, message)

    async def send_dm(
        self,
        key: str,
        user_id: int,
        *,
        guild_id: int | None,
        content: str | None = None,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
    ) -> Delivery:
        """DM a member once. Closed DMs are recorded as failed, not retried."""
        previous = await self._begin(key, guild_id=guild_id, user_id=user_id)
        if previous is not None:
            return previous
        if in_scheduled_work():
            # Opening the DM channel is a request too.
            await self.pacer.acquire(("user", user_id), requests=2)
        try:
            dm = await self._bot.create_dm(discord.Object(user_id))
            message = await dm.send(
                **_message_kwargs(content, embed, view, NO_MENTIONS),
                nonce=nonce_for(key),
            )
        except (discord.Forbidden, discord.NotFound) as error:
            reason = await self._fail(key, error)
            return Delivery(key, None, None, fresh=False, failed=reason)
        except Exception as error:
            error.__dict__[_KEY_ATTR] = key
            raise
        return await self._sent(key, message)

    async def _begin(
        self,
        key: str,
        *,
        guild_id: int | None,
        channel_id: int | None = None,
        user_id: int | None = None,
    ) -> Delivery | None:
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT * FROM outbox WHERE key = ?", (key,))
            if row is not None and row["state"] != "pending":
                return Delivery(
                    key,
                    row["channel_id"],
                    row["message_id"],
                    fresh=False,
                    failed=row["last_error"] if row["state"] == "failed" else None,
                )
            if row is None:
                await tx.execute(
                    "INSERT INTO outbox (key, guild_id, channel_id, user_id, nonce, attempts, "
                    "created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (key, guild_id, channel_id, user_id, nonce_for(key), now_ts()),
                )
            else:
                self.retries += 1
                await tx.execute(
                    "UPDATE outbox SET attempts = attempts + 1 WHERE key = ?", (key,)
                )
        return None

    async def _sent(self, key: str, message: discord.Message) -> Delivery:
        await self._db.execute(
            "UPDATE outbox SET state = 'sent', message_id = ?, channel_id = ?, sent_at = ? "
            "WHERE key = ?",
            (message.id, message.channel.id, now_ts(), key),
        )
        self.sends += 1
        return Delivery(key, message.channel.id, message.id, fresh=True)

    async def _fail(self, key: str, error: discord.HTTPException) -> str:
        reason = f"Discord {error.status} ({error.code}): {error.text}"[:500]
        await self._db.execute(
            "UPDATE outbox SET state = 'failed', last_error = ? WHERE key = ?",
            (reason, key),
        )
        log.warning("send %s refused: %s", key, reason)
        return reason


def _message_kwargs(
    content: str | None,
    embed: discord.Embed | None,
    view: discord.ui.View | None,
    allowed_mentions: discord.AllowedMentions,
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "content": fit_content(content),
        "allowed_mentions": allowed_mentions,
    }
    if embed is not None:
        kwargs["embed"] = fit_embed(embed)
    if view is not None:
        kwargs["view"] = view
    return kwargs
