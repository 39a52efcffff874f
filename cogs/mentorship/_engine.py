"""What the mentorship job does beyond answering a command.

Claiming and opening a pair's private thread, the check-ins and the weekly digest
(timed jobs), the button actions (claim, check-in answers, feedback, confirming a
match), the ranked queue's pages, and the queue index that makes them fast. The
engine is built by the cog (``self.engine = MentorshipEngine(bot)``) and registered
from its ``cog_load``.

Every key the job writes (timed jobs, sends that must not repeat) comes from one
function here: ``checkin_key``, ``digest_key``, ``welcome_key``...
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import weakref
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from types import ModuleType
from typing import TYPE_CHECKING

import discord

from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import utcnow
from bot.db import Database
from bot.errors import NotAllowed
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import guild_language
from bot.pacing import current_job
from bot.paths import DATA_DIR
from bot.permissions import has_role
from bot.permissions import require_role
from bot.refusals import Refused
from bot.replies import defer
from bot.replies import reply
from bot.safety import clean_text
from bot.safety import mention_only
from bot.scheduler import Job
from bot.ui import Interaction
from bot.ui import Page
from bot.ui import view_of
from cogs.mentorship import _logic as logic
from cogs.mentorship import _queries as q
from cogs.mentorship import _render as render
from cogs.mentorship._logic import Fit
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest
from cogs.mentorship._logic import page_count
from cogs.mentorship._logic import Problem
from cogs.mentorship._logic import QUEUE_PAGE_SIZE
from cogs.mentorship._queries import Pairing
from cogs.mentorship._rankings import Rankings
from cogs.mentorship._views import CheckinButton
from cogs.mentorship._views import ClaimButton
from cogs.mentorship._views import FeedbackButton
from cogs.mentorship._views import FeedbackModal
from cogs.mentorship._views import MatchConfirmButton
from cogs.mentorship._views import MatchPickSelect
from cogs.mentorship._views import PERSISTENT_ITEMS

if TYPE_CHECKING:
    from bot.app import PalletsBot
    from cogs.mentorship._columns import QueueIndex

log = logging.getLogger(__name__)

TOPICS_FILE = DATA_DIR / "mentorship" / "topics.toml"
CHECKIN = "mentorship.checkin"
DIGEST = "mentorship.digest"
#: Finishes a pair's space (thread, members, welcome) that its claim left unfinished.
SPACE = "mentorship.space"
#: The claim itself opens the space; its job runs only if the claim could not finish
#: (a crash, Discord trouble after the thread was made), this long after.
SPACE_AFTER = timedelta(minutes=2)
#: The ranked queue's pages, for ``bot.ui.show_page``.
QUEUE_PAGES = "mentorship.queue"
#: Requests of the ranked queue /mentor-tools claim suggests from (it shows 25).
CLAIM_CHOICES = 100
#: Changed requests above which the index is reloaded rather than patched.
QUEUE_PATCH_LIMIT = 2000


# -- keys: one function each ---------------------------------------------------------------
def checkins_prefix(pairing_id: int | None = None) -> str:
    """What every check-in job key starts with (of one pairing, or of all)."""
    every = "mentorship:checkin:"
    return every if pairing_id is None else f"{every}{pairing_id}:"


def checkin_key(pairing_id: int, seq: int) -> str:
    """Check-in number ``seq`` of a pairing: its timed job and its post."""
    return f"{checkins_prefix(pairing_id)}{seq}"


def digests_prefix(guild_id: int | None = None) -> str:
    """What every digest job key starts with (of one guild, or of all)."""
    every = "mentorship:digest:"
    return every if guild_id is None else f"{every}{guild_id}:"


def digest_key(guild_id: int, due: datetime) -> str:
    """The guild's weekly digest due at ``due``: its timed job and its post."""
    return f"{digests_prefix(guild_id)}{int(due.timestamp())}"


def welcome_key(pairing_id: int) -> str:
    """The welcome in a pair's thread."""
    return f"mentorship:welcome:{pairing_id}"


def thread_key(pairing_id: int) -> str:
    """The pair's private thread, made through the outbox."""
    return f"mentorship:thread:{pairing_id}"


def space_key(pairing_id: int) -> str:
    """The job that finishes a pair's space if its claim could not."""
    return f"mentorship:space:{pairing_id}"


def started_key(pairing_id: int) -> str:
    """The log channel's note that a pairing started."""
    return f"mentorship:started:{pairing_id}"


def released_key(pairing_id: int) -> str:
    """The pair thread's note that the mentor handed the mentee back."""
    return f"mentorship:released:{pairing_id}"


def ended_key(pairing_id: int) -> str:
    """The pair thread's note that the pairing ended, with the feedback button."""
    return f"mentorship:ended:{pairing_id}"


def columns() -> ModuleType:
    """:mod:`cogs.mentorship._columns`, imported on first use.

    It brings numpy, a tenth of a second to import: the bot is ready without it, and
    :meth:`MentorshipEngine.ready` imports it in a thread before the queue index is
    built (importing it on the event loop would stall every member for as long).
    """
    return importlib.import_module("cogs.mentorship._columns")


async def load_columns() -> ModuleType:
    """:func:`columns`, imported in a thread when it is not yet (then at once)."""
    return await asyncio.to_thread(columns)


def guild_of(interaction: Interaction) -> int:
    """The server the interaction happened in (mentoring lives in one)."""
    if interaction.guild_id is None:
        raise Refused(Problem.NOT_IN_SERVER)
    return interaction.guild_id


@dataclass(frozen=True, slots=True)
class Proposed:
    """A saved match proposal: its pairs with their fit, and how many stay waiting."""

    id: int
    pairs: list[tuple[MentorRequest, MentorProfile, Fit]]
    left: int


class MentorshipEngine:
    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self.topics = logic.load_topics(TOPICS_FILE.read_text("utf-8"))
        self._queues: dict[int, QueueIndex] = {}
        self._loading: set[int] = set()
        self._queue_lock = asyncio.Lock()
        #: Per guild, the ranking each mentor was last shown, to turn its pages.
        self._rankings: dict[int, Rankings] = {}
        #: Per guild, the organisers remembered in ``seen_organisers``.
        self._seen: dict[int, set[int]] = {}
        #: One opening of a pair's space at a time (a claim and its job); a lock
        #: lives while someone holds or waits for it.
        self._opening: weakref.WeakValueDictionary[int, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    @property
    def db(self) -> Database:
        return self.bot.db

    def register(self) -> None:
        self.bot.scheduler.register(
            CHECKIN, self.run_checkin, catch_up=timedelta(days=3)
        )
        self.bot.scheduler.register(DIGEST, self.run_digest, catch_up=timedelta(days=1))
        self.bot.scheduler.register(SPACE, self.run_space, catch_up=timedelta(days=30))
        self.bot.actions.register(ClaimButton.action, self.claim)
        self.bot.actions.register_pages(QUEUE_PAGES, self.queue_page_for)
        self.bot.actions.register(CheckinButton.action, self.answer_checkin)
        self.bot.actions.register(FeedbackButton.action, self.open_feedback)
        self.bot.actions.register(MatchConfirmButton.action, self.confirm_match)
        self.bot.actions.register(MatchPickSelect.action, self.confirm_some)
        self.bot.add_dynamic_items(*PERSISTENT_ITEMS)

    def unregister(self) -> None:
        self.bot.scheduler.unregister(CHECKIN)
        self.bot.scheduler.unregister(DIGEST)
        self.bot.scheduler.unregister(SPACE)
        self.bot.actions.unregister(
            QUEUE_PAGES, *(item.action for item in PERSISTENT_ITEMS)
        )
        self.bot.remove_dynamic_items(*PERSISTENT_ITEMS)

    async def ready(self) -> None:
        """Once connected: every guild has its next digest and a warm queue index,
        and a pairing whose claim stopped before its space job was written gets one."""
        for guild in self.bot.guilds:
            await self.ensure_digest(guild.id)
        for pairing in await q.threadless_pairings(self.db):
            await self.schedule_space(pairing)
        await load_columns()
        for guild in self.bot.guilds:
            await self.warm_queue(guild.id)

    # -- the ranked queue ---------------------------------------------------------------
    def queue_ready(self, guild_id: int) -> bool:
        """Whether the guild's queue index is loaded (a page then takes milliseconds)."""
        return guild_id in self._queues and guild_id not in self._loading

    async def queue_page(
        self,
        mentor: MentorProfile,
        at: datetime,
        page: int,
        size: int = QUEUE_PAGE_SIZE,
        *,
        fresh: bool = True,
        before_load: Callable[[], Awaitable[None]] | None = None,
        bounds: tuple[int, int] | None = None,
    ) -> tuple[int, list[MentorRequest], int]:
        """One page of the open requests ranked for ``mentor`` (as ``rank_queue``).

        Returns the page number (clamped to the pages there are), its requests and
        how many requests the mentor's queue holds. The ranking runs over the guild's
        queue index, kept in step through the change log; only the page is read.

        :param fresh: the queue as it ranks now (a new /mentor-tools queue; the
            kept ranking when nothing it depends on changed). Otherwise the ranking
            the mentor was shown is turned (Previous/Next): no new ranking, only the
            requests that left the queue since are left out.
        :param before_load: awaited before the index must first be (re)loaded,
            which takes seconds at a big community's size (to acknowledge the
            interaction in time).
        :param bounds: the queue's change log's bounds, when read already (with the
            profile: one trip to SQLite fewer).
        """
        guild_id = mentor.guild_id
        if before_load is not None and not self.queue_ready(guild_id):
            await before_load()
            before_load = None
        async with self._queue_lock:
            index = await self._synced_queue(guild_id, before_load, bounds)
            rankings = self._rankings.setdefault(guild_id, Rankings())
            number, shown_ids, total = rankings.page(
                index, mentor, at, page, size, fresh=fresh
            )
        shown = await q.requests_by_id(self.db, guild_id, shown_ids)
        return number, shown, total

    async def queue_page_for(
        self, interaction: Interaction, number: int, arg: str
    ) -> Page:
        """Page ``number`` of the member's queue, best fit first (the page loader).

        Runs for /mentor-tools queue and for each Previous/Next click, so the role is
        checked again here. A click turns the ranking the mentor was shown.
        """
        await require_role(interaction, Role.MENTOR)
        guild_id = guild_of(interaction)
        mentor, bounds = await q.profile_with_queue_bounds(
            self.db, guild_id, interaction.user.id
        )
        if mentor is None:
            raise Refused(Problem.NO_PROFILE)
        clicked = interaction.type is discord.InteractionType.component

        async def acknowledge() -> None:
            # The index loads for seconds at 500,000 requests: answer Discord now.
            if not interaction.response.is_done():
                if clicked:
                    await interaction.response.defer()
                else:
                    await defer(interaction)

        number, shown, total = await self.queue_page(
            mentor,
            utcnow(),
            number,
            fresh=not clicked,
            before_load=acknowledge,
            bounds=bounds,
        )
        if not total:
            raise Refused(Problem.QUEUE_EMPTY)
        pages = page_count(total)
        return Page(
            render.queue_embed(self.topics, shown),
            number,
            pages,
            items=tuple(ClaimButton(r.id) for r in shown),
        )

    async def claim_choices(
        self, interaction: Interaction, current: str
    ) -> list[MentorRequest]:
        """What /mentor-tools claim suggests: the member's queue, best fit first (a mentor
        with a profile only; nobody else is shown anyone's request)."""
        guild_id = interaction.guild_id
        if guild_id is None:
            return []
        settings = await self.bot.guild_config.get(guild_id)
        if not has_role(interaction.user, settings, Role.MENTOR):
            return []
        mentor = await q.profile(self.db, guild_id, interaction.user.id)
        if mentor is None:
            return []
        _page, shown, _total = await self.queue_page(
            mentor, utcnow(), 0, size=CLAIM_CHOICES
        )
        typed = current.strip().lstrip("#").lower()
        return [
            r
            for r in shown
            if not typed
            or str(r.id).startswith(typed)
            or any(typed in topic for topic in r.topics)
        ][:25]

    async def warm_queue(self, guild_id: int) -> None:
        """Build the guild's queue index ahead of the first /mentor-tools queue."""
        async with self._queue_lock:
            await self._synced_queue(guild_id)

    async def _synced_queue(
        self,
        guild_id: int,
        before_load: Callable[[], Awaitable[None]] | None = None,
        bounds: tuple[int, int] | None = None,
    ) -> QueueIndex:
        lo, hi = bounds if bounds is not None else await q.queue_change_bounds(self.db)
        index = self._queues.get(guild_id)
        if index is not None and index.seq >= lo - 1:
            if hi > index.seq:
                ids = await q.queue_changes(self.db, guild_id, index.seq, hi)
                if len(ids) > QUEUE_PATCH_LIMIT:
                    index = None
                else:
                    requests = await q.queue_reread(self.db, ids)
                    index.discard_many(ids)
                    back = set()
                    for request in requests:
                        if request.state == "open" and request.guild_id == guild_id:
                            index.put(request)
                            back.add(request.id)
                    rankings = self._rankings.setdefault(guild_id, Rankings())
                    rankings.left([i for i in ids if i not in back])
            if index is not None:
                # Bounds read before waiting for the lock may be behind the index.
                index.seq = max(index.seq, hi)
                return index
        # First use in this process, or too far behind: read the whole queue once.
        # ``hi`` was read first, so a change made meanwhile is applied next time.
        if before_load is not None:
            await before_load()
        self._loading.add(guild_id)
        self._rankings.setdefault(guild_id, Rankings()).reloaded()
        try:
            fresh: QueueIndex = (await load_columns()).QueueIndex()
            index = fresh
            async for chunk in q.open_queue(self.db, guild_id):
                index.load_slice(chunk)
                # A big queue loads in slices, so commands keep being answered.
                await asyncio.sleep(0)
            index.flush()
        finally:
            self._loading.discard(guild_id)
        index.seq = hi
        self._queues[guild_id] = index
        return index

    # -- claiming ---------------------------------------------------------------------
    async def claim(self, interaction: Interaction, request_id: int) -> None:
        """A mentor takes request ``request_id``: exactly one claim wins."""
        await require_role(interaction, Role.MENTOR)
        channel = await self.mentorship_channel(guild_of(interaction))
        await defer(interaction)
        pairing, thread_id = await self.take(channel, request_id, interaction.user.id)
        await reply(interaction, render.now_mentoring(pairing, thread_id))

    async def take(
        self, channel: discord.TextChannel, request_id: int, mentor_id: int
    ) -> tuple[Pairing, int]:
        """Pair ``mentor_id`` with request ``request_id`` and open the pair's space
        in ``channel``; return the pairing and its thread. Refused when the claim
        does not win; Discord's error when no thread could be made (undone)."""
        guild_id = channel.guild.id
        pairing = await q.claim(self.db, guild_id, request_id, mentor_id, now_ts())
        if pairing is None:
            request = await q.request(self.db, guild_id, request_id)
            profile = await q.profile(self.db, guild_id, mentor_id)
            raise logic.claim_refusal(request_id, request, profile, mentor_id)
        request = await q.request(self.db, guild_id, request_id)
        assert request is not None
        try:
            thread_id = await self.make_pair(channel, pairing, request)
        except discord.HTTPException as error:
            if isinstance(error, discord.Forbidden):
                # The mentor is told by the error reply; organisers can fix it.
                with guild_language():
                    text = render.cannot_open_threads(channel.id)
                await self.bot.notices.post(guild_id, text)
            raise
        return pairing, thread_id

    async def mentorship_channel(self, guild_id: int) -> discord.TextChannel:
        settings = await self.bot.guild_config.get(guild_id)
        channel_id = settings.channel(Channel.MENTORSHIP)
        guild = self.bot.get_guild(guild_id)
        channel = guild.get_channel(channel_id) if guild and channel_id else None
        if not isinstance(channel, discord.TextChannel):
            raise Refused(Problem.NO_CHANNEL)
        return channel

    async def make_pair(
        self, channel: discord.TextChannel, pairing: Pairing, request: MentorRequest
    ) -> int:
        """Open a just-claimed pairing's space; return its thread.

        Its job is written first: a crash (or Discord trouble once the thread is
        made) leaves the rest to it. When no thread could be made, the claim is
        undone and the error raised.
        """
        await self.schedule_space(pairing)
        try:
            thread_id = await self.open_pair_space(channel, pairing, request)
        except discord.HTTPException:
            current = await q.pairing(self.db, pairing.id)
            if current is None or current.thread_id is None:
                # The job stays: Discord may have made the thread all the same,
                # and the job deletes it once the outbox has found it.
                await q.undo_claim(self.db, pairing, now_ts())
                raise
            # The pair has its thread: the job adds whoever is missing and
            # welcomes them.
            log.warning("pairing %s: space left to its job", pairing.id, exc_info=True)
            return current.thread_id
        await self.bot.scheduler.cancel(space_key(pairing.id))
        return thread_id

    async def schedule_space(self, pairing: Pairing) -> None:
        await self.bot.schedule(
            SPACE,
            space_key(pairing.id),
            utcnow() + SPACE_AFTER,
            guild_id=pairing.guild_id,
            payload={"pairing": pairing.id},
        )

    async def run_space(self, job: Job) -> None:
        """Finish the space of a pairing whose claim did not (see :meth:`make_pair`)."""
        pairing = await q.pairing(self.db, int(job.payload["pairing"]))
        if pairing is None:
            return
        if pairing.state != "active":
            if pairing.thread_id is None:
                await self._drop_lost_thread(pairing)
            return
        request = await q.request(self.db, pairing.guild_id, pairing.request_id)
        assert request is not None
        channel = await self.mentorship_channel(pairing.guild_id)
        await self.open_pair_space(channel, pairing, request)

    async def _drop_lost_thread(self, pairing: Pairing) -> None:
        """Delete the thread a pairing ended without (a claim undone because its
        thread's answer was lost and could not be looked for): if Discord made it,
        it holds only the bot, as members are added once it is recorded."""
        key = thread_key(pairing.id)
        found = await self.bot.outbox.reconcile(key)
        if found is None or found.message_id is None:
            return  # never made (or nothing to be sure of)
        with contextlib.suppress(discord.NotFound):
            await self.bot.http.delete_channel(
                found.message_id, reason="its mentoring claim was undone"
            )
        log.info(
            "pairing %s: deleted thread %s no pair got", pairing.id, found.message_id
        )

    async def open_pair_space(
        self, channel: discord.TextChannel, pairing: Pairing, request: MentorRequest
    ) -> int:
        """Create the pair's private thread once, add the pair (and organisers),
        welcome both, schedule check-ins. Each step is safe to run again."""
        lock = self._opening.get(pairing.id)
        if lock is None:
            lock = self._opening[pairing.id] = asyncio.Lock()
        async with lock:
            return await self._open_pair_space(channel, pairing, request)

    async def _open_pair_space(
        self, channel: discord.TextChannel, pairing: Pairing, request: MentorRequest
    ) -> int:
        current = await q.pairing(self.db, pairing.id)
        thread_id = current.thread_id if current else None
        if thread_id is None:
            thread_id = await self._pair_thread(channel, pairing)
            await q.set_thread(self.db, pairing.id, thread_id)
        if await self.bot.outbox.status(welcome_key(pairing.id)) is None:
            # Not welcomed yet, so maybe not everyone is in: adding a member who
            # is already in changes nothing on Discord.
            for user_id in await self.thread_members(channel.guild, pairing):
                await self.bot.http.add_user_to_thread(thread_id, user_id)
        await self.schedule_checkin(pairing, 1)
        await self.ensure_digest(pairing.guild_id)
        with guild_language():
            welcome = render.welcome(self.topics, pairing, request)
        await self.bot.outbox.send(
            welcome_key(pairing.id),
            thread_id,
            guild_id=pairing.guild_id,
            content=welcome,
            allowed_mentions=mention_only(
                discord.Object(pairing.mentee_id), discord.Object(pairing.mentor_id)
            ),
        )
        settings = await self.bot.guild_config.get(pairing.guild_id)
        log_channel = settings.channel(Channel.LOG)
        if log_channel is not None:
            with guild_language():
                note = render.pairing_started(pairing, thread_id)
            await self.bot.outbox.send(
                started_key(pairing.id),
                log_channel,
                guild_id=pairing.guild_id,
                content=note,
            )
        return thread_id

    async def _pair_thread(self, channel: discord.TextChannel, pairing: Pairing) -> int:
        """The pair's private thread, made once through the outbox."""
        key = thread_key(pairing.id)
        with guild_language():
            name = render.thread_name(pairing.id)
        try:
            delivery = await self.bot.outbox.create_thread(
                key,
                channel,
                name=name,
                private=True,
                invitable=False,
                auto_archive_duration=10080,
            )
        except (discord.Forbidden, discord.NotFound):
            raise
        except discord.HTTPException as error:
            if current_job() is not None:
                raise  # the job's retry looks for it first
            # A member's claim does not retry, but Discord may have made the thread
            # and lost the answer: look for it before giving up.
            try:
                found = await self.bot.outbox.reconcile(key)
            except discord.HTTPException:
                raise error from None
            if found is None or found.message_id is None:
                raise
            return found.message_id
        if delivery.message_id is None:
            raise RuntimeError(f"thread {key} was not made: {delivery.failed}")
        return delivery.message_id

    async def thread_members(self, guild: discord.Guild, pairing: Pairing) -> list[int]:
        """The pair, plus the organisers the bot knows of (Manage Threads sees it anyway).

        Without the members intent a role lists no members, so the organisers are
        the ones the bot has seen use it with the role (:meth:`saw`), each fetched
        to check they still hold it.
        """
        ids = [pairing.mentor_id, pairing.mentee_id]
        role_id = (await self.bot.guild_config.get(guild.id)).role(Role.ORGANISER)
        if role_id is None:
            return ids
        role = guild.get_role(role_id)
        for listed in role.members if role else []:
            if listed.id not in ids and not listed.bot:
                ids.append(listed.id)
        for user_id in await q.seen_organisers(self.db, guild.id):
            if user_id in ids:
                continue
            member: discord.Member | None
            try:
                member = await guild.fetch_member(user_id)
            except discord.NotFound:
                member = None  # left the server
            except discord.HTTPException as error:
                # The pair's thread must not wait for an organiser: they join when
                # they look the member up (let_organiser_in).
                log.warning("could not check organiser %s: %s", user_id, error)
                continue
            if member is None or member.get_role(role_id) is None:
                await self._forget(guild.id, user_id)
                continue
            ids.append(user_id)
        return ids

    async def saw(self, interaction: Interaction) -> None:
        """Remember a member seen using the bot with the organiser role (and forget one
        seen without it), for :meth:`thread_members`. Written only on a change."""
        member = interaction.user
        guild_id = interaction.guild_id
        if guild_id is None or not isinstance(member, discord.Member) or member.bot:
            return
        role_id = (await self.bot.guild_config.get(guild_id)).role(Role.ORGANISER)
        if role_id is None:
            return
        seen = await self._seen_in(guild_id)
        holds = member.get_role(role_id) is not None
        if holds and member.id not in seen:
            await q.remember_organiser(self.db, guild_id, member.id, now_ts())
            seen.add(member.id)
        elif not holds and member.id in seen:
            await self._forget(guild_id, member.id)

    async def _seen_in(self, guild_id: int) -> set[int]:
        if guild_id not in self._seen:
            self._seen[guild_id] = set(await q.seen_organisers(self.db, guild_id))
        return self._seen[guild_id]

    async def _forget(self, guild_id: int, user_id: int) -> None:
        await q.forget_organiser(self.db, guild_id, user_id)
        self._seen.get(guild_id, set()).discard(user_id)

    async def let_organiser_in(
        self, organiser: discord.abc.Snowflake, pairings: list[Pairing]
    ) -> None:
        """Add an organiser who looks a member up to that member's pair threads.

        The bot cannot list an organiser role's members without the members intent,
        so organisers join a private thread when they look, rather than at creation.
        """
        for pairing in pairings:
            if pairing.thread_id is None:
                continue
            thread = self.bot.get_channel(pairing.thread_id)
            if not isinstance(thread, discord.Thread):
                thread = await self.bot.fetch_channel(pairing.thread_id)
            if isinstance(thread, discord.Thread):
                await thread.add_user(organiser)

    # -- releasing and ending ---------------------------------------------------------
    async def pairing_as_mentor(
        self, guild_id: int, mentor_id: int, mentee_id: int
    ) -> Pairing:
        for pairing in await q.active_pairings_of(self.db, guild_id, mentor_id):
            if pairing.mentor_id == mentor_id and pairing.mentee_id == mentee_id:
                return pairing
        raise Refused(Problem.NOT_MENTORING, mentee=mentee_id)

    async def pairing_to_end(
        self, guild_id: int, user_id: int, mentee_id: int | None
    ) -> Pairing:
        """The member's one active pairing (as mentor of ``mentee_id`` when named)."""
        pairings = await q.active_pairings_of(self.db, guild_id, user_id)
        if mentee_id is not None:
            pairings = [
                p
                for p in pairings
                if p.mentor_id == user_id and p.mentee_id == mentee_id
            ]
        if not pairings:
            raise Refused(Problem.NO_PAIRING)
        if len(pairings) > 1:
            raise Refused(Problem.NAME_THE_MENTEE)
        return pairings[0]

    async def close(self, pairing: Pairing, *, state: str, note: str | None) -> None:
        """End (``ended``) or release (``released``) a pairing; its check-ins stop."""
        if not await q.close_pairing(
            self.db, pairing, state=state, note=note, now=now_ts()
        ):
            raise Refused(Problem.PAIRING_CLOSED)
        await self.bot.scheduler.cancel_prefix(checkins_prefix(pairing.id))

    async def post_released(self, pairing: Pairing) -> None:
        """Tell the pair's thread the mentee is back in the queue."""
        if pairing.thread_id is None:
            return
        with guild_language():
            text = render.released_in_thread(pairing)
        await self.bot.outbox.send(
            released_key(pairing.id),
            pairing.thread_id,
            guild_id=pairing.guild_id,
            content=text,
        )

    async def post_ended(self, pairing: Pairing) -> None:
        """Thank the pair in their thread and offer both the feedback form."""
        if pairing.thread_id is None:
            return
        with guild_language():
            text = render.ended_in_thread(pairing)
        await self.bot.outbox.send(
            ended_key(pairing.id),
            pairing.thread_id,
            guild_id=pairing.guild_id,
            content=text,
            view=view_of(FeedbackButton(pairing.id)),
            allowed_mentions=mention_only(
                discord.Object(pairing.mentee_id), discord.Object(pairing.mentor_id)
            ),
        )

    # -- feedback -----------------------------------------------------------------------
    async def open_feedback(self, interaction: Interaction, pairing_id: int) -> None:
        pairing = await q.pairing(self.db, pairing_id)
        if pairing is None or not pairing.involves(interaction.user.id):
            raise NotAllowed(render.only_the_pair_gives_feedback())
        await interaction.response.send_modal(
            FeedbackModal(pairing_id, self.save_feedback)
        )

    async def save_feedback(
        self, interaction: Interaction, pairing_id: int, text: str
    ) -> None:
        pairing = await q.pairing(self.db, pairing_id)
        if pairing is None or not pairing.involves(interaction.user.id):
            raise NotAllowed(render.only_the_pair_gives_feedback())
        body = clean_text(text)
        if not body:
            await reply(interaction, render.no_feedback())
            return
        await q.save_feedback(self.db, pairing_id, interaction.user.id, body, now_ts())
        with guild_language():
            note = render.feedback_note(pairing_id, interaction.user.id, body)
        # Answer first: the log post is a Discord call.
        await reply(interaction, render.feedback_thanks())
        await self.bot.notices.post(pairing.guild_id, note, private=True)

    # -- check-ins ----------------------------------------------------------------------
    async def schedule_checkin(
        self, pairing: Pairing, seq: int, after: datetime | None = None
    ) -> None:
        """Schedule check-in ``seq`` one interval after ``after`` (the claim at first).

        Counting from the previous check-in, not from the claim, means a shorter
        interval set later, or a late run after downtime, never fires a burst of
        overdue check-ins.
        """
        days = await q.checkin_days(self.db, pairing.guild_id)
        start = after or from_ts(pairing.claimed_at)
        await self.bot.schedule(
            CHECKIN,
            checkin_key(pairing.id, seq),
            start + timedelta(days=days),
            guild_id=pairing.guild_id,
            payload={"pairing": pairing.id, "seq": seq},
        )

    async def run_checkin(self, job: Job) -> None:
        pairing_id = int(job.payload["pairing"])
        seq = int(job.payload["seq"])
        pairing = await q.pairing(self.db, pairing_id)
        if pairing is None or pairing.state != "active" or pairing.thread_id is None:
            return
        await q.record_checkin(self.db, pairing_id, seq, now_ts())
        # The next one first: Discord trouble with this one must not end the pair's
        # check-ins (a retry only moves it by the retry's delay).
        await self.schedule_checkin(pairing, seq + 1, max(job.due_at, utcnow()))
        try:
            await self.bot.outbox.send(
                checkin_key(pairing_id, seq),
                pairing.thread_id,
                guild_id=pairing.guild_id,
                content=render.checkin_prompt(pairing),
                view=view_of(
                    CheckinButton(pairing_id, seq, "well"),
                    CheckinButton(pairing_id, seq, "help"),
                ),
                allowed_mentions=mention_only(
                    discord.Object(pairing.mentee_id), discord.Object(pairing.mentor_id)
                ),
            )
        except discord.NotFound:
            # The pair's thread is gone: no more check-ins there (organisers hear).
            await self.bot.scheduler.cancel(checkin_key(pairing_id, seq + 1))
            raise

    async def answer_checkin(
        self, interaction: Interaction, pairing_id: int, seq: int, answer: str
    ) -> None:
        pairing = await q.pairing(self.db, pairing_id)
        if pairing is None or not pairing.involves(interaction.user.id):
            raise NotAllowed(render.only_the_pair_answers())
        value = "going_well" if answer == "well" else "need_help"
        changed = await q.answer_checkin(
            self.db, pairing_id, seq, value, interaction.user.id, now_ts()
        )
        if changed is None:
            raise Refused(Problem.UNKNOWN_CHECKIN)
        if value == "need_help":
            # Answer first: the log post is a Discord call.
            await reply(interaction, render.told_the_organisers())
            if changed:
                with guild_language():
                    alert = render.needs_help(pairing, interaction.user.id)
                await self.bot.notices.post(pairing.guild_id, alert, private=True)
        else:
            await reply(interaction, render.glad_to_hear())

    # -- matching -----------------------------------------------------------------------
    async def propose_match(self, guild_id: int, organiser_id: int) -> Proposed | None:
        """Save the best assignment of the oldest open requests; None if no pair."""
        # The oldest requests first, a cohort at a time: one line per pair fits an
        # embed, and the assignment stays small however long the queue.
        requests, waiting = await q.unclaimed(
            self.db, guild_id, now_ts(), logic.MATCH_COHORT
        )
        mentors = await q.available_mentors(self.db, guild_id)
        at = utcnow()
        pairs = (await load_columns()).propose_assignment(requests, mentors, at)
        if not pairs:
            return None
        proposal_id = await q.save_proposal(
            self.db,
            guild_id,
            organiser_id,
            [(r.id, m.user_id) for r, m in pairs],
            now_ts(),
        )
        return Proposed(
            id=proposal_id,
            pairs=[(r, m, logic.fit(m, r, at)) for r, m in pairs],
            left=waiting - len(pairs),
        )

    async def confirm_match(self, interaction: Interaction, proposal_id: int) -> None:
        """Confirm all: make every pair still proposed (a changed one is skipped)."""
        await self._confirm(interaction, proposal_id, None)

    async def confirm_some(
        self, interaction: Interaction, proposal_id: int, values: list[str]
    ) -> None:
        """The organiser chose some pairs (by request id): make only those."""
        chosen = {int(v) for v in values if v.isdecimal()}
        if not chosen:
            raise Refused(Problem.PROPOSAL_DONE)
        await self._confirm(interaction, proposal_id, chosen)

    async def _confirm(
        self, interaction: Interaction, proposal_id: int, chosen: set[int] | None
    ) -> None:
        """Make the chosen pairs of a proposal, each as a claim would."""
        await require_role(interaction, Role.ORGANISER)
        guild_id = guild_of(interaction)
        channel = await self.mentorship_channel(guild_id)
        await defer(interaction)
        proposal = await q.take_proposal(self.db, guild_id, proposal_id, chosen)
        if proposal is None or not proposal.pairs:
            raise Refused(Problem.PROPOSAL_DONE)
        made, skipped = 0, 0
        trouble: discord.HTTPException | None = None
        for index, (request_id, mentor_id) in enumerate(proposal.pairs):
            pairing = await q.claim(self.db, guild_id, request_id, mentor_id, now_ts())
            request = await q.request(self.db, guild_id, request_id)
            if pairing is None or request is None:
                skipped += 1
                continue
            try:
                await self.make_pair(channel, pairing, request)
            except discord.HTTPException as error:
                # The next thread would fail the same way: stop, say why, and keep
                # the pairs not made in the proposal for when it is fixed.
                await q.give_back_pairs(self.db, proposal.id, proposal.pairs[index:])
                trouble = error
                break
            made += 1
        status = trouble.status if trouble is not None else None
        await reply(interaction, render.match_result(made, skipped, channel.id, status))

    # -- the weekly digest ----------------------------------------------------------------
    async def ensure_digest(self, guild_id: int) -> None:
        due = logic.next_digest_at(utcnow())
        await self.bot.schedule(
            DIGEST, digest_key(guild_id, due), due, guild_id=guild_id
        )

    async def run_digest(self, job: Job) -> None:
        guild_id = job.guild_id
        assert guild_id is not None
        await self.ensure_digest(guild_id)
        settings = await self.bot.guild_config.get(guild_id)
        log_channel = settings.channel(Channel.LOG)
        now = now_ts()
        cutoff = now - int(logic.UNCLAIMED_AFTER.total_seconds())
        waiting, total = await q.unclaimed(
            self.db, guild_id, cutoff, logic.DIGEST_LISTED
        )
        if log_channel is None or not waiting:
            return
        # Every waiting request counts: written by SQLite a slice at a time.
        parts = []
        async for part in q.waiting_stages(self.db, guild_id, cutoff, now):
            parts.append(part)
            await asyncio.sleep(0)
        fingerprint = logic.fingerprint_of(parts)
        if fingerprint == await q.digest_fingerprint(self.db, guild_id):
            # The same requests, waiting no longer than a threshold: a copy of last
            # week's digest would be noise.
            return
        # Every available mentor is scored for each listed request, by SQLite in
        # its thread: no Python object per mentor, so neither the loop nor the
        # garbage collector (a full pass stalls the loop) works per mentor.
        zones = await q.mentor_timezones(self.db, guild_id)
        at = utcnow()
        suggestions = []
        for request in waiting:
            closeness = logic.closeness_by_zone(zones, request.timezone, at)
            suggestions.append(
                await q.suggested_mentors(
                    self.db, request, closeness, logic.DIGEST_SUGGESTED
                )
            )
        await self.bot.outbox.send(
            job.key,
            log_channel,
            guild_id=guild_id,
            embed=render.digest_embed(self.topics, waiting, suggestions, total),
        )
        await q.record_digest(self.db, guild_id, fingerprint, now)
