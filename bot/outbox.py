"""Things the bot makes on Discord that must not be made twice: posts, DMs, Discord
scheduled events and threads.

Every logical send has a key (``chats:reminder:12:24h``). The outbox records the send
before making it and marks it sent after; a send whose key was already sent is
skipped. A crash (or a lost answer) between Discord making the thing and the database
recording it leaves the row pending, and the next try must not make a second one:

- A message goes out with a ``nonce`` derived from its key and ``enforce_nonce``:
  for a few minutes Discord answers a repeat with the first message. Only for a few
  minutes: a try later than :data:`RECONCILE_AFTER` after the earliest try that may
  have reached Discord first *reconciles*: it reads the channel's messages from the
  bot after the position recorded before that try, and adopts one that matches
  what was sent (content, embeds, components) instead of sending again.
- Scheduled events and threads have no nonce: every try after the first reconciles
  (the guild's events by name, start and creator; the channel's threads by name,
  parent and owner).

A send a member's action started (not a scheduled job) that fails on Discord trouble
is finished by the outbox itself: it hands the send to a job of its own
(``outbox.settle``), which resends it from the stored request, reconciling first.
At start-up, sends left open by a crash are settled the same way, and a send whose
job was recorded missed is reconciled only (adopted if it reached Discord, else
failed). So an outbox row always ends ``sent`` or ``failed``, with the reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from typing import TYPE_CHECKING

import discord
from discord.http import handle_message_parameters
from discord.http import MultipartParameters

from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import utcnow
from bot.db import Database
from bot.db import Row
from bot.pacing import current_job
from bot.pacing import in_scheduled_work
from bot.pacing import Pacer
from bot.safety import fit_content
from bot.safety import fit_embed
from bot.safety import NO_MENTIONS

if TYPE_CHECKING:
    from bot.app import PalletsBot
    from bot.scheduler import Job
    from bot.scheduler import Scheduler

log = logging.getLogger(__name__)

#: Discord accepts a nonce of at most 25 characters.
NONCE_LENGTH = 25
#: Requests a second that scheduled work may spend on sends: Discord allows 50 in
#: all, and the rest is left for members' commands and the jobs' other requests.
SCHEDULED_REQUESTS_PER_SECOND = 20
#: Discord deduplicates a nonce for "the past few minutes"; a resend later than this
#: after the earliest try that may have reached Discord reconciles first.
RECONCILE_AFTER = 120
#: How far before a try its channel position is taken, for clocks that disagree.
POSITION_SLACK = 60
#: Pages of 100 messages read while reconciling before giving up on certainty.
RECONCILE_PAGES = 20
#: The outbox's own job kind: finish or reconcile a send nobody else will.
SETTLE_KIND = "outbox.settle"
#: A send handed over after a transient failure is tried again after this long.
SETTLE_DELAY = timedelta(seconds=30)
#: How late a settle may still run (it checks before it sends, so late is safe).
SETTLE_CATCH_UP = timedelta(days=365)

#: Set on an error a send raised and left pending, naming the send's key.
_KEY_ATTR = "outbox_key"
#: A job that gives up on a send marks it failed, if no earlier try got it out; a
#: later call with the key may try again.
GIVE_UP_SQL = (
    "UPDATE outbox SET state = 'failed', last_error = ?, retry = 1 "
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


def position_at(moment: int) -> int:
    """A channel position (a snowflake) from just before ``moment`` (epoch seconds)."""
    return discord.utils.time_snowflake(from_ts(moment - POSITION_SLACK))


# -- recognising a message -------------------------------------------------------------
def _text(value: Any) -> str:
    return str(value or "").strip()


def _embed_shape(embed: Mapping[str, Any]) -> list[Any]:
    return [
        _text(embed.get("title")),
        _text(embed.get("description")),
        _text(embed.get("url")),
        [
            [_text(f.get("name")), _text(f.get("value"))]
            for f in embed.get("fields") or []
        ],
        _text((embed.get("footer") or {}).get("text")),
        _text((embed.get("author") or {}).get("name")),
    ]


def _component_shape(component: Mapping[str, Any]) -> list[Any]:
    return [
        component.get("type"),
        _text(component.get("custom_id")),
        _text(component.get("label")),
        _text(component.get("url")),
        [_component_shape(child) for child in component.get("components") or []],
    ]


def fingerprint(message: Mapping[str, Any]) -> str:
    """What a member sees of a message (content, embeds, components), hashed.

    Works on the payload the bot sends and on the message Discord returns, which
    carries more fields: only the ones both have are compared.
    """
    shape = [
        _text(message.get("content")),
        [_embed_shape(embed) for embed in message.get("embeds") or []],
        [_component_shape(row) for row in message.get("components") or []],
    ]
    encoded = json.dumps(shape, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of a send."""

    key: str
    channel_id: int | None
    #: The message (or, for an event or a thread, the event's or thread's id).
    message_id: int | None
    #: ``True`` when this call posted it; ``False`` when an earlier call already had.
    fresh: bool
    #: Set when the send was refused for good (a member's DMs closed, say).
    failed: str | None = None
    #: ``True`` when an earlier try's message was found on Discord and recorded.
    adopted: bool = False
    #: ``True`` when Discord trouble put the send off: the outbox's own job sends it
    #: (or records it failed) later. Only outside a scheduled job, which retries
    #: by itself.
    queued: bool = False

    @property
    def sent(self) -> bool:
        return self.message_id is not None


@dataclass(frozen=True, slots=True)
class _Try:
    """What :meth:`Outbox._begin` decided about this try."""

    #: Look on Discord for an earlier try's result before making another.
    reconcile: bool
    #: Where to look from (a snowflake).
    after_id: int
    #: What earlier tries looked like (messages only).
    fingerprints: frozenset[str]


class Unverifiable(Exception):  # noqa: N818 - a state of knowledge, not a crash
    """Too much happened in the channel since the first try to tell whether it
    reached Discord: the send is failed rather than risk a second copy."""


#: Makes the thing on Discord: returns (channel or guild id, object id).
Maker = Callable[[], Awaitable[tuple[int | None, int]]]
#: Finds an earlier try's result on Discord: its object id, or None.
Finder = Callable[[_Try], Awaitable[int | None]]


class Outbox:
    def __init__(self, bot: PalletsBot, db: Database) -> None:
        self._bot = bot
        self._db = db
        self.sends = 0
        self.retries = 0
        #: Earlier tries found on Discord and recorded instead of sent again.
        self.adopted = 0
        #: Times the outbox looked on Discord before a late try.
        self.reconciles = 0
        #: Paces the sends of scheduled work (a catch-up after downtime, a burst of
        #: reminders due at once), per channel and overall; the whole bot's traffic
        #: is paced again under Discord's limits by :class:`bot.pacing.HttpPacer`.
        self.pacer = Pacer(SCHEDULED_REQUESTS_PER_SECOND)
        self._scheduler: Scheduler | None = None
        #: After a restore replayed on purpose: (backup time, restore time).
        self._replay: tuple[int, int] | None = None

    def install(self, scheduler: Scheduler) -> None:
        """Register the settle job and hear when jobs finish."""
        self._scheduler = scheduler
        scheduler.register(
            SETTLE_KIND, self._settle, catch_up=SETTLE_CATCH_UP, replay_safe=True
        )
        scheduler.on_finished = self._job_finished

    async def status(self, key: str) -> Delivery | None:
        row = await self._db.fetchone("SELECT * FROM outbox WHERE key = ?", (key,))
        if row is None:
            return None
        return _delivery(row)

    async def reconcile(self, key: str) -> Delivery | None:
        """Look on Discord now for what the pending send ``key`` may have made (a
        try whose answer was lost) and record it. Only reads: returns the send's
        status when it is no longer pending, ``None`` when nothing was found."""
        row = await self._db.fetchone("SELECT * FROM outbox WHERE key = ?", (key,))
        if row is None:
            return None
        if row["state"] != "pending":
            return _delivery(row)
        found = await self._find_for(row)
        if found is None:
            return None
        return await self._adopt(key, found, row["channel_id"])

    async def forget(self, key: str, *, prefix: bool = False) -> None:
        """Forget the send ``key`` (with ``prefix``, every send whose key starts so):
        what it made is gone (deleted on Discord), and a later call makes it anew."""
        if not prefix:
            await self._db.execute("DELETE FROM outbox WHERE key = ?", (key,))
            return
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        await self._db.execute(
            "DELETE FROM outbox WHERE key LIKE ? ESCAPE '\\'", (escaped + "%",)
        )

    # -- messages ----------------------------------------------------------------------
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
        """Post to a channel or thread once.

        Discord refusing it (403, 404) raises, after recording it failed. Discord
        trouble (5xx, a timeout) raises inside a scheduled job, which retries; outside
        one, the send is put off (``queued``) and the outbox finishes it.
        """
        kwargs = _message_kwargs(content, embed, view, allowed_mentions)
        request = self._request(kwargs)
        channel = self._bot.get_partial_messageable(channel_id, guild_id=guild_id)

        async def make() -> tuple[int | None, int]:
            if in_scheduled_work():
                await self.pacer.acquire(("channel", channel_id))
            message = await channel.send(**kwargs, nonce=nonce_for(key))
            return message.channel.id, message.id

        async def find(attempt: _Try) -> int | None:
            return await self._find_message(channel_id, attempt)

        return await self._deliver(
            key,
            "message",
            guild_id=guild_id,
            channel_id=channel_id,
            request=request,
            make=make,
            find=find,
        )

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
        """DM a member once. Closed DMs are recorded as failed, not retried; Discord
        trouble as for :meth:`send`."""
        kwargs = _message_kwargs(content, embed, view, NO_MENTIONS)
        request = self._request(kwargs)

        async def make() -> tuple[int | None, int]:
            if in_scheduled_work():
                # Opening the DM channel is a request too.
                await self.pacer.acquire(("user", user_id), requests=2)
            dm = await self._bot.create_dm(discord.Object(user_id))
            message = await dm.send(**kwargs, nonce=nonce_for(key))
            return message.channel.id, message.id

        async def find(attempt: _Try) -> int | None:
            dm = await self._bot.create_dm(discord.Object(user_id))
            return await self._find_message(dm.id, attempt)

        try:
            return await self._deliver(
                key,
                "dm",
                guild_id=guild_id,
                user_id=user_id,
                request=request,
                make=make,
                find=find,
            )
        except (discord.Forbidden, discord.NotFound):
            status = await self.status(key)
            assert status is not None
            return status

    # -- scheduled events and threads --------------------------------------------------
    async def create_event(
        self,
        key: str,
        guild: discord.Guild,
        *,
        taken: Callable[[int], Awaitable[bool]] | None = None,
        **fields: Any,
    ) -> Delivery:
        """Create a Discord scheduled event once (``fields`` as for
        :meth:`discord.Guild.create_scheduled_event`); ``message_id`` is its id.

        A retry first looks for an event of the bot with the same name and start
        made since the first try, and adopts it; ``taken`` says which events the
        caller already knows as another's. Discord refusing it raises, but a later
        call with the key tries again (after a permission was given, say).
        """
        request = {
            "name": str(fields["name"]),
            "start_time": fields["start_time"].isoformat(),
        }

        async def make() -> tuple[int | None, int]:
            event = await guild.create_scheduled_event(**fields)
            return guild.id, event.id

        async def find(attempt: _Try) -> int | None:
            return await self._find_event(guild.id, request, attempt, taken)

        return await self._deliver(
            key,
            "event",
            guild_id=guild.id,
            channel_id=guild.id,
            request=request,
            make=make,
            find=find,
        )

    async def create_thread(
        self,
        key: str,
        channel: discord.TextChannel,
        *,
        name: str,
        private: bool = False,
        invitable: bool = True,
        auto_archive_duration: int = 10080,
    ) -> Delivery:
        """Create a thread in ``channel`` once; ``message_id`` is the thread's id.

        A retry first looks among the channel's threads (active, then archived) for
        one the bot made with that name since the first try, and adopts it.
        """
        request = {"name": name, "private": private}

        async def make() -> tuple[int | None, int]:
            thread = await channel.create_thread(
                name=name,
                type=discord.ChannelType.private_thread
                if private
                else discord.ChannelType.public_thread,
                invitable=invitable,
                auto_archive_duration=auto_archive_duration,  # type: ignore[arg-type]
            )
            return channel.id, thread.id

        async def find(attempt: _Try) -> int | None:
            return await self._find_thread(
                channel.guild.id, channel.id, request, attempt
            )

        return await self._deliver(
            key,
            "thread",
            guild_id=channel.guild.id,
            channel_id=channel.id,
            request=request,
            make=make,
            find=find,
        )

    async def create_thread_from_message(
        self, key: str, message: discord.Message | discord.PartialMessage, *, name: str
    ) -> Delivery:
        """Open a thread on ``message`` once. Such a thread has the message's id, so
        a retry adopts it by that id."""
        request = {"name": name, "message_id": message.id}
        guild = getattr(message, "guild", None)
        guild_id = guild.id if guild is not None else None

        async def make() -> tuple[int | None, int]:
            thread = await message.create_thread(name=name)
            return message.channel.id, thread.id

        async def find(attempt: _Try) -> int | None:
            return await self._find_thread(
                guild_id, message.channel.id, request, attempt
            )

        return await self._deliver(
            key,
            "thread",
            guild_id=guild_id,
            channel_id=message.channel.id,
            request=request,
            make=make,
            find=find,
        )

    # -- one try, whatever it makes ----------------------------------------------------
    async def _deliver(
        self,
        key: str,
        kind: str,
        *,
        guild_id: int | None,
        request: dict[str, Any],
        make: Maker,
        find: Finder,
        channel_id: int | None = None,
        user_id: int | None = None,
    ) -> Delivery:
        begun = await self._begin(
            key,
            kind,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            request=request,
        )
        if isinstance(begun, Delivery):
            return begun
        try:
            if begun.reconcile:
                self.reconciles += 1
                found = await find(begun)
                if found is not None:
                    return await self._adopt(key, found, channel_id)
                # Nothing there: every earlier try is known not to have reached
                # Discord. The window starts again with this try.
                await self._db.execute(
                    "UPDATE outbox SET first_attempt_at = ?, after_id = ? "
                    "WHERE key = ?",
                    (now_ts(), position_at(now_ts()), key),
                )
            where, made = await make()
        except (discord.Forbidden, discord.NotFound) as error:
            # An event or a thread is made again by a later call (a permission given,
            # an organiser's edit); a refused message or DM stays refused.
            await self._fail(key, error, retry=kind in ("event", "thread"))
            # Whoever reports the failure can then say which channel to fix.
            error.__dict__["channel_id"] = channel_id
            raise
        except Unverifiable as error:
            await self._fail_with(key, str(error), retry=False)
            raise
        except Exception as error:
            # Transient: the row stays pending. A job's retry resends it; anything
            # else (a member's action) hands it to the outbox's own job.
            error.__dict__[_KEY_ATTR] = key
            if current_job() is not None:
                raise
            if kind in ("event", "thread"):
                # The caller tells whoever asked; the outbox only checks later
                # whether the try reached Discord (a later call tries again).
                await self._hand_over(key, guild_id, resend=False, after=SETTLE_DELAY)
                raise
            await self._hand_over(key, guild_id, resend=True)
            log.warning("send %s put off after Discord trouble: %s", key, error)
            return Delivery(key, channel_id, None, fresh=False, queued=True)
        return await self._sent(key, made, where)

    def _request(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The JSON body discord.py will send for ``kwargs`` (without the nonce)."""
        with handle_message_parameters(
            content=kwargs.get("content"),
            embed=kwargs.get("embed", discord.utils.MISSING),
            view=kwargs.get("view", discord.utils.MISSING),
            allowed_mentions=kwargs["allowed_mentions"],
            previous_allowed_mentions=self._bot.allowed_mentions,
        ) as params:
            return dict(params.payload or {})

    async def _begin(
        self,
        key: str,
        kind: str,
        *,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
        request: dict[str, Any],
    ) -> Delivery | _Try:
        now = now_ts()
        job = current_job()
        shape = fingerprint(request) if kind in ("message", "dm") else ""
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT * FROM outbox WHERE key = ?", (key,))
            if row is not None and not _open(row):
                return _delivery(row)
            if row is None:
                first = now
                if (
                    self._replay is not None
                    and job is not None
                    and job.due_at <= self._replay[1]
                ):
                    # Replayed after a restore: this work may have been done in the
                    # life the backup does not know, so look from the backup's time.
                    first = self._replay[0]
                after_id = position_at(first)
                shapes = [shape] if shape else []
                await tx.execute(
                    "INSERT INTO outbox (key, guild_id, channel_id, user_id, nonce, "
                    "attempts, created_at, kind, job_key, first_attempt_at, after_id, "
                    "request, fingerprints) "
                    "VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        guild_id,
                        channel_id,
                        user_id,
                        nonce_for(key),
                        now,
                        kind,
                        job.key if job is not None else None,
                        first,
                        after_id,
                        json.dumps(request, sort_keys=True),
                        json.dumps(shapes),
                    ),
                )
                return _Try(now - first > RECONCILE_AFTER, after_id, frozenset(shapes))
            self.retries += 1
            shapes = json.loads(row["fingerprints"] or "[]")
            if shape and shape not in shapes:
                shapes.append(shape)
            first = row["first_attempt_at"] or row["created_at"]
            after_id = row["after_id"] or position_at(first)
            await tx.execute(
                "UPDATE outbox SET state = 'pending', attempts = attempts + 1, "
                "retry = 0, fingerprints = ?, request = ?, "
                "job_key = coalesce(?, job_key), first_attempt_at = ?, after_id = ? "
                "WHERE key = ?",
                (
                    json.dumps(shapes),
                    json.dumps(request, sort_keys=True),
                    job.key if job is not None else None,
                    first,
                    after_id,
                    key,
                ),
            )
        # Events and threads have no nonce: any earlier try may have made one.
        reconcile = kind in ("event", "thread") or now - first > RECONCILE_AFTER
        return _Try(reconcile, after_id, frozenset(shapes))

    # -- looking on Discord ------------------------------------------------------------
    def _me(self) -> int | None:
        return self._bot.user.id if self._bot.user is not None else None

    async def _recorded(self, object_id: int) -> bool:
        """Whether another send already owns this message (or event, or thread)."""
        return bool(
            await self._db.fetchval(
                "SELECT 1 FROM outbox WHERE message_id = ? AND state = 'sent'",
                (object_id,),
            )
        )

    async def _find_message(self, channel_id: int, attempt: _Try) -> int | None:
        """The oldest message of the bot after ``attempt.after_id`` that looks like
        one of the tries and is no other send's, or ``None``.

        Pages backwards from the newest message (``before`` paging behaves the same
        everywhere), down to the recorded position.
        """
        me = self._me()
        found: int | None = None
        before: int | None = None
        for _page in range(RECONCILE_PAGES):
            batch = await self._bot.http.logs_from(channel_id, 100, before=before)
            for data in batch:
                message_id = int(data["id"])
                if message_id <= attempt.after_id:
                    return found
                author = int(data["author"]["id"])
                if (
                    author == me
                    and fingerprint(data) in attempt.fingerprints
                    and not await self._recorded(message_id)
                ):
                    found = message_id
            if len(batch) < 100:
                return found
            before = int(batch[-1]["id"])
        if found is not None:
            return found
        raise Unverifiable(
            f"could not tell whether an earlier try reached Discord: more than "
            f"{RECONCILE_PAGES * 100} messages in the channel since"
        )

    async def _find_event(
        self,
        guild_id: int,
        request: Mapping[str, Any],
        attempt: _Try,
        taken: Callable[[int], Awaitable[bool]] | None = None,
    ) -> int | None:
        """An event of the bot with the request's name and start, made since the
        first try and no other send's, or ``None``."""
        guild = self._bot.get_guild(guild_id)
        if guild is None:
            return None
        me = self._me()
        for event in await guild.fetch_scheduled_events(with_counts=False):
            if (
                event.name == request.get("name")
                and event.start_time.isoformat() == request.get("start_time")
                and event.creator_id in (me, None)
                and event.id > attempt.after_id
                and not await self._recorded(event.id)
                and not (taken is not None and await taken(event.id))
            ):
                return event.id
        return None

    async def _find_thread(
        self,
        guild_id: int | None,
        parent_id: int,
        request: Mapping[str, Any],
        attempt: _Try,
    ) -> int | None:
        """A thread of the bot in ``parent_id`` with the request's name, made since
        the first try and no other send's (active ones, then archived), or ``None``.

        A thread opened on a message has the message's id: found by that id.
        """
        if request.get("message_id") is not None:
            try:
                thread = await self._bot.fetch_channel(int(request["message_id"]))
            except discord.NotFound:
                return None
            return thread.id if isinstance(thread, discord.Thread) else None
        guild = self._bot.get_guild(guild_id) if guild_id is not None else None
        parent = guild.get_channel(parent_id) if guild is not None else None
        if guild is None or not isinstance(parent, discord.TextChannel):
            return None
        me = self._me()

        def mine(thread: discord.Thread) -> bool:
            return (
                thread.parent_id == parent_id
                and thread.owner_id == me
                and thread.name == request.get("name")
                and thread.id > attempt.after_id
            )

        for thread in await guild.active_threads():
            if mine(thread) and not await self._recorded(thread.id):
                return thread.id
        private = bool(request.get("private"))
        async for thread in parent.archived_threads(
            private=private, joined=private, limit=100
        ):
            if thread.id <= attempt.after_id:
                break
            if mine(thread) and not await self._recorded(thread.id):
                return thread.id
        return None

    # -- recording ---------------------------------------------------------------------
    async def _sent(self, key: str, object_id: int, where: int | None) -> Delivery:
        await self._db.execute(
            "UPDATE outbox SET state = 'sent', message_id = ?, "
            "channel_id = coalesce(?, channel_id), sent_at = ?, last_error = NULL, "
            "retry = 0 WHERE key = ?",
            (object_id, where, now_ts(), key),
        )
        self.sends += 1
        return Delivery(key, where, object_id, fresh=True)

    async def _adopt(self, key: str, object_id: int, where: int | None) -> Delivery:
        await self._db.execute(
            "UPDATE outbox SET state = 'sent', message_id = ?, "
            "channel_id = coalesce(?, channel_id), sent_at = ?, adopted = 1, "
            "last_error = NULL, retry = 0 WHERE key = ?",
            (object_id, where, now_ts(), key),
        )
        self.adopted += 1
        log.info(
            "send %s was already on Discord (%s): recorded, not sent again",
            key,
            object_id,
        )
        return Delivery(key, where, object_id, fresh=False, adopted=True)

    async def _fail(
        self, key: str, error: discord.HTTPException, *, retry: bool = False
    ) -> str:
        reason = f"Discord {error.status} ({error.code}): {error.text}"[:500]
        await self._fail_with(key, reason, retry=retry)
        log.warning("send %s refused: %s", key, reason)
        return reason

    async def _fail_with(self, key: str, reason: str, *, retry: bool) -> None:
        """Record the pending send ``key`` failed; with ``retry``, a later call with
        the key may try again (it reconciles first)."""
        await self._db.execute(
            "UPDATE outbox SET state = 'failed', last_error = ?, retry = ? "
            "WHERE key = ? AND state = 'pending'",
            (reason[:500], int(retry), key),
        )

    # -- finishing what nobody else will -----------------------------------------------
    async def _hand_over(
        self,
        key: str,
        guild_id: int | None,
        *,
        resend: bool,
        after: timedelta | None = None,
    ) -> None:
        """Let the outbox's own job finish (or, with ``resend`` False, only check)
        the pending send ``key``, ``after`` from now (by default: at once for a
        check, :data:`SETTLE_DELAY` for a resend)."""
        if self._scheduler is None:
            return
        job_key = f"outbox:{'resend' if resend else 'check'}:{key}"
        await self._db.execute(
            "UPDATE outbox SET job_key = ? WHERE key = ? AND state = 'pending'",
            (job_key, key),
        )
        await self._scheduler.schedule(
            SETTLE_KIND,
            job_key,
            utcnow() + (after or (SETTLE_DELAY if resend else timedelta(0))),
            guild_id=guild_id,
            payload={"key": key, "resend": resend},
            catch_up=SETTLE_CATCH_UP,
        )

    async def _settle(self, job: Job) -> None:
        """The outbox's job: finish a send from its stored request, or only check."""
        key = str(job.payload["key"])
        row = await self._db.fetchone("SELECT * FROM outbox WHERE key = ?", (key,))
        if row is None or row["state"] != "pending":
            return
        resend = bool(job.payload.get("resend")) and row["kind"] in ("message", "dm")
        if resend and row["request"] is not None:
            await self._resend(row)
            return
        found = await self._find_for(row)
        if found is not None:
            await self._adopt(key, found, row["channel_id"])
            return
        await self._fail_with(
            key, "not sent: its work stopped before it went out", retry=True
        )

    async def _find_for(self, row: Row) -> int | None:
        """Reconcile a pending row from what it recorded (any kind)."""
        first = row["first_attempt_at"] or row["created_at"]
        attempt = _Try(
            True,
            row["after_id"] or position_at(first),
            frozenset(json.loads(row["fingerprints"] or "[]")),
        )
        self.reconciles += 1
        kind = row["kind"]
        request = json.loads(row["request"] or "{}")
        if kind == "message" and row["channel_id"] is not None:
            return await self._find_message(int(row["channel_id"]), attempt)
        if kind == "dm" and row["user_id"] is not None:
            dm = await self._bot.create_dm(discord.Object(int(row["user_id"])))
            return await self._find_message(dm.id, attempt)
        if kind == "event" and row["guild_id"] is not None:
            return await self._find_event(int(row["guild_id"]), request, attempt)
        if kind == "thread" and row["channel_id"] is not None:
            return await self._find_thread(
                row["guild_id"], int(row["channel_id"]), request, attempt
            )
        return None

    async def _resend(self, row: Row) -> None:
        """Send a message again from the request stored with it."""
        request: dict[str, Any] = json.loads(row["request"])
        key = str(row["key"])
        user_id = row["user_id"]

        async def target() -> int:
            if row["kind"] == "dm":
                dm = await self._bot.create_dm(discord.Object(int(user_id)))
                return dm.id
            return int(row["channel_id"])

        async def make() -> tuple[int | None, int]:
            channel_id = await target()
            payload = {**request, "nonce": nonce_for(key), "enforce_nonce": True}
            data = await self._bot.http.send_message(
                channel_id,
                params=MultipartParameters(payload=payload, multipart=None, files=None),
            )
            return int(data["channel_id"]), int(data["id"])

        async def find(attempt: _Try) -> int | None:
            return await self._find_message(await target(), attempt)

        await self._deliver(
            key,
            str(row["kind"]),
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            user_id=user_id,
            request=request,
            make=make,
            find=find,
        )

    async def _job_finished(self, job: Job, state: str, reason: str | None) -> None:
        """Settle the sends a finished job left open (the scheduler's hook)."""
        rows = await self._db.fetchall(
            "SELECT key, kind, guild_id FROM outbox "
            "WHERE job_key = ? AND state = 'pending'",
            (job.key,),
        )
        for row in rows:
            if state in ("done", "missed"):
                # Its handler went on without it (or never will): it is sent only if
                # an earlier try reached Discord, which is checked.
                await self._hand_over(row["key"], row["guild_id"], resend=False)
            else:
                await self._fail_with(
                    row["key"], reason or f"its job {state}", retry=True
                )

    async def recover(self) -> None:
        """At start-up: settle the sends a crash or a restore left open.

        Run after the scheduler's recovery, which resets interrupted jobs and records
        what was missed: a send whose job will run again is left to it.
        """
        marks = {
            row["key"]: row["value"]
            for row in await self._db.fetchall(
                "SELECT key, value FROM meta WHERE key LIKE 'restore.%'"
            )
        }
        if marks.get("restore.replay") == "1" and "restore.restored_at" in marks:
            self._replay = (
                int(marks.get("restore.backup_taken_at") or 0),
                int(marks["restore.restored_at"]),
            )
        rows = await self._db.fetchall(
            "SELECT o.key, o.guild_id, o.job_key, j.state AS job_state, "
            "j.last_error AS job_error FROM outbox AS o "
            "LEFT JOIN jobs AS j ON j.key = o.job_key WHERE o.state = 'pending'"
        )
        for row in rows:
            job_state = row["job_state"]
            if job_state in ("pending", "running"):
                continue  # its job runs again and finishes it
            if row["job_key"] is None:
                # A member's action, cut short: finish it.
                await self._hand_over(row["key"], row["guild_id"], resend=True)
            elif job_state in ("failed", "dead", "cancelled"):
                await self._fail_with(
                    row["key"], row["job_error"] or f"its job {job_state}", retry=True
                )
            else:  # done or missed without it, or its job is gone: only check
                await self._hand_over(row["key"], row["guild_id"], resend=False)


def _open(row: Row) -> bool:
    """Whether a call with this row's key makes a try (pending, or failed on
    Discord trouble rather than refused)."""
    return bool(
        row["state"] == "pending" or (row["state"] == "failed" and row["retry"])
    )


def _delivery(row: Row) -> Delivery:
    return Delivery(
        row["key"],
        row["channel_id"],
        row["message_id"],
        fresh=False,
        failed=row["last_error"] if row["state"] == "failed" else None,
        adopted=bool(row["adopted"]),
    )


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
