"""Discord faults: every job's outgoing work under 429, 5xx, 403 and 404.

Four tables, each crossed with faults injected by simcord's ``inject_error``:

- ``WORKS`` x ``FAULTS``: the timed work of every job (chat announcement, Discord
  event, reminder and reminder DM; event reminders; mentoring check-ins; the triage
  digest and nudge; the grant decision DM; the extension watch's report to the log
  channel). Every cell checks: no unexpected error; the work done exactly once in
  the end, or its job failed with a reason; the log channel told once (never once
  per attempt) in words that say what to fix; at most ``MAX_ATTEMPTS`` requests,
  with growing gaps in virtual time (no retry storm).
- ``SLOW``: member actions whose handler makes a Discord (or upstream) call; with
  that call failing, the interaction was answered (reply or defer) before it.
- ``ACTIONS`` x ``ACTION_FAULTS``: member actions with a Discord call in them: the
  member is answered, what they did is saved or cleanly undone, the call is made
  once, organisers hear of a lost permission once.
- ``DELETED``: a Discord event or announcement deleted by a person (for real):
  the work that needs it carries on.

What simcord can and cannot express. Its fake HTTP client replaces discord.py's
``HTTPClient.request``, so discord.py's own rate limiter and 5xx retries never run:
an injected fault reaches the bot's code on the first try, as if discord.py had
already given up. A fault carries only a status, a code and a message; it has no
headers and no ``retry_after``/``global`` body fields. So a *global* 429 (Discord's
``X-RateLimit-Global`` header, ``global: true`` in the body) cannot be expressed as
such; it is modelled by its effect, every bot route failing with 429 (interaction
responses are exempt from the global limit on Discord), and a per-route 429 by the
work's own route failing. ``retry_after`` is tested through ``discord.RateLimited``,
which is how discord.py hands a long one to the bot.

Fast: time moves with ``advance_time``, never with sleeps.
"""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import UTC
from enum import Enum
from typing import Any

import discord
import pytest
import simcord
from simcord.http import router

from bot.app import create_bot
from bot.app import PalletsBot
from bot.devtools.testing import build_world
from bot.devtools.testing import confirm_understood
from bot.devtools.testing import create_chat_series
from bot.devtools.testing import open_event_form
from bot.devtools.testing import post_question
from bot.devtools.testing import submit_event_form
from bot.devtools.testing import World
from bot.errors import is_expected
from bot.scheduler import MAX_ATTEMPTS
from bot.settings import Settings
from cogs.triage import _engine as triage_jobs

HOUR = 3600
DAY = 24 * HOUR
START = datetime(2026, 1, 1, tzinfo=UTC)


# -- recording requests with their virtual time ------------------------------------------
@dataclass
class Call:
    at: float
    method: str
    path: str


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Call]]:
    """Every REST call with the virtual time it was made at (simcord's log has none)."""
    made: list[Call] = []
    original = router._check_faults

    def check(backend: Any, method: str, path: str) -> None:
        made.append(Call(discord.utils.utcnow().timestamp(), method, path))
        original(backend, method, path)

    monkeypatch.setattr(router, "_check_faults", check)
    yield made


def bot_of(env: simcord.Env) -> PalletsBot:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return bot


async def advance_to(env: simcord.Env, seconds_from_start: float) -> None:
    target = START.timestamp() + seconds_from_start
    await env.advance_time(max(target - env.now().timestamp(), 0))
    await env.settle()


async def advance(env: simcord.Env, seconds: float) -> None:
    await env.advance_time(seconds)
    await env.settle()


def texts(channel: simcord.ChannelHandle) -> list[str]:
    out = []
    for message in channel.history():
        parts = [message.content or ""]
        for embed in message.embeds:
            parts += [embed.title or "", embed.description or ""]
        out.append("\n".join(parts))
    return out


# -- the faults -----------------------------------------------------------------------------
class Kind(Enum):
    TRANSIENT = "transient"  # goes away after a few tries
    PERSISTENT = "persistent"  # 5xx that never ends
    REFUSED = "refused"  # 403: a permission or a channel lost
    GONE = "gone"  # 404: deleted message, thread, event or channel


@dataclass(frozen=True)
class Fault:
    name: str
    kind: Kind
    status: int
    code: int = 0
    message: str = "injected"
    times: int | None = 1
    #: every route (a global rate limit), not only the work's own
    everywhere: bool = False


FAULTS = [
    Fault("429-route", Kind.TRANSIENT, 429, message="You are being rate limited."),
    Fault(
        "429-global",
        Kind.TRANSIENT,
        429,
        message="You are being rate limited.",
        times=2,
        everywhere=True,
    ),
    Fault("5xx-three-times", Kind.TRANSIENT, 502, message="Bad Gateway", times=3),
    Fault("5xx-forever", Kind.PERSISTENT, 500, message="Internal error", times=None),
    # A lost permission or a deleted channel stays that way.
    Fault(
        "403-missing-permissions",
        Kind.REFUSED,
        403,
        50013,
        "Missing Permissions",
        times=None,
    ),
    Fault("403-missing-access", Kind.REFUSED, 403, 50001, "Missing Access", None),
    Fault(
        "403-dms-closed",
        Kind.REFUSED,
        403,
        50007,
        "Cannot send messages to this user",
        times=None,
    ),
    Fault("404-gone", Kind.GONE, 404, 10003, "Unknown Channel", times=None),
]


# -- the works -------------------------------------------------------------------------------
class Outcome(Enum):
    #: done once in the end; nothing said in the log channel
    SENT = "sent"
    #: the job is recorded failed with a reason; the log channel is told once
    FAILED = "failed"
    #: no job fails (the rest of the work went on); the log channel is told once
    REPORTED = "reported"
    #: a member's closed DMs: recorded (outbox row), the member mentioned instead
    #: (bot.reach), and the log channel told once how many could not be reached
    RECORDED = "recorded"
    #: the job is recorded failed with a reason; the log channel is the broken one,
    #: so nobody can be told there (the bot's own log says it)
    FAILED_UNTOLD = "failed-untold"
    #: the work no longer applies (its target is gone): dropped without a fuss
    DROPPED = "dropped"
    #: the failing call was a side matter: the job went on and did the rest
    CARRIED_ON = "carried-on"


@dataclass
class Ctx:
    env: simcord.Env
    world: World
    #: where the work goes (a channel or thread id): named in the log message
    target: int = 0
    #: the request pattern the fault is injected on
    method: str = "POST"
    path: str = ""
    #: the job key prefix of the work, when it is timed work
    job_prefix: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    monkeypatch: pytest.MonkeyPatch | None = None


@dataclass(frozen=True)
class Work:
    name: str
    cogs: tuple[str, ...]
    #: brings the world to just before the work; fills ``ctx.target/path``
    arrange: Callable[[Ctx], Awaitable[None]]
    #: makes the work happen (advances time, or a member acts)
    act: Callable[[Ctx], Awaitable[None]]
    #: whether the work went out (for the transient faults)
    done: Callable[[Ctx], Awaitable[bool]]
    #: the outcome for each kind of fault other than the transient ones
    outcomes: dict[Kind, Outcome]
    #: the 404 code Discord gives for this target
    gone_code: int = 10003
    #: what must still happen when the work itself fails with these kinds of fault
    still: Callable[[Ctx], Awaitable[bool]] | None = None
    still_after: tuple[Kind, ...] = (Kind.REFUSED, Kind.GONE)
    #: the work posts to the log channel itself (the failure report goes there too)
    to_log: bool = False
    #: words the log message must use, by Discord error code (default: HINTS)
    hints: dict[int, tuple[str, ...]] = field(default_factory=dict)


def unwrap(error: BaseException) -> BaseException:
    while True:
        inner = getattr(error, "original", None) or error.__cause__
        if inner is None or inner is error:
            return error
        error = inner


@contextlib.asynccontextmanager
async def world_with(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    cogs: tuple[str, ...],
    *,
    discord_errors: bool = False,
) -> AsyncIterator[Ctx]:
    """The standard world with only ``cogs`` loaded (other jobs' timers stay out of
    the counts); afterwards, fail on any error the bot recorded that is not a
    designed refusal, or, with ``discord_errors``, the injected Discord error the
    member was told about."""
    monkeypatch.setattr("bot.app.cog_names", lambda: list(cogs))
    env = simcord.Env(create_bot(settings))
    await env.start()
    try:
        yield Ctx(env, await build_world(env), monkeypatch=monkeypatch)
    finally:
        bot = env.bot
        await env.shutdown()
        if isinstance(bot, PalletsBot):
            await bot.stop_services()
    unexpected = [
        e
        for e in env.errors
        if not is_expected(e)
        and not (discord_errors and isinstance(unwrap(e), discord.HTTPException))
    ]
    assert not unexpected, unexpected


# chats: the clock starts on Thursday 1 January; a monthly chat on the second
# Thursday at 17:00 Paris (16:00 UTC) opens 7 days ahead at 16:00 UTC on day 0.
CHAT_OPEN = 16 * HOUR + 60
CHAT_REMIND_24 = 6 * DAY + 16 * HOUR + 60


async def chat_series(ctx: Ctx) -> None:
    world = ctx.world
    result = await create_chat_series(world)
    assert result.response is not None or result.followups


async def chat_announcement(ctx: Ctx) -> None:
    await chat_series(ctx)
    ctx.target = ctx.world.announcements.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = "chats:occ:"


async def chat_open(ctx: Ctx) -> None:
    await advance_to(ctx.env, CHAT_OPEN)


def announced(ctx: Ctx) -> bool:
    return any(m.embeds and m.components for m in ctx.world.announcements.history())


async def chat_announced(ctx: Ctx) -> bool:
    return announced(ctx)


async def chat_event(ctx: Ctx) -> None:
    await chat_series(ctx)
    ctx.target = ctx.world.voice.id
    ctx.path = f"/guilds/{ctx.world.guild.id}/scheduled-events"
    ctx.job_prefix = "chats:occ:"


async def chat_event_made(ctx: Ctx) -> bool:
    guild = ctx.env.backend.get_guild(ctx.world.guild.id)
    return len(guild.scheduled_events) == 1 and announced(ctx)


async def chat_reminder(ctx: Ctx) -> None:
    await chat_series(ctx)
    await chat_open(ctx)
    message = next(m for m in ctx.world.announcements.history() if m.components)
    await ctx.world.alice.click(message, label="Interested")
    ctx.target = ctx.world.announcements.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = "chats:occ:1:r0:remind"


async def chat_remind(ctx: Ctx) -> None:
    await advance_to(ctx.env, CHAT_REMIND_24)


async def chat_reminded(ctx: Ctx) -> bool:
    posted = [t for t in texts(ctx.world.announcements) if t.startswith("Reminder")]
    dms = [
        t for t in texts(ctx.world.alice.user.dm_channel) if t.startswith("Reminder")
    ]
    return len(posted) == 1 and len(dms) == 1


async def chat_reminder_dms_went_out(ctx: Ctx) -> bool:
    dms = texts(ctx.world.alice.user.dm_channel)
    return sum(t.startswith("Reminder") for t in dms) == 1


async def chat_reminder_dm(ctx: Ctx) -> None:
    await chat_reminder(ctx)
    ctx.target = ctx.world.alice.user.dm_channel.id
    ctx.path = f"/channels/{ctx.target}/messages"


async def chat_end(ctx: Ctx) -> None:
    # simcord starts and completes a due event by itself; Discord does not start a
    # voice event, the host (here the bot, at the end) does. Keep it scheduled.
    assert ctx.monkeypatch is not None
    backend = type(ctx.env.backend)
    ctx.monkeypatch.setattr(backend, "activate_due_scheduled_events", lambda self: None)
    ctx.monkeypatch.setattr(backend, "next_scheduled_event_deadline", lambda self: None)
    await chat_opened(ctx)
    ctx.target = ctx.world.voice.id
    ctx.job_prefix = "chats:occ:1:r0:end"


async def chat_end_due(ctx: Ctx) -> None:
    await advance_to(ctx.env, 7 * DAY + 17 * HOUR + 60)


async def chat_over_and_next_planned(ctx: Ctx) -> bool:
    db = bot_of(ctx.env).db
    rows = await db.fetchall("SELECT status FROM chat_occurrences ORDER BY id")
    return [r["status"] for r in rows][:1] == ["done"] and len(rows) == 2


# events: published for Saturday 3 January 18:00 Paris (17:00 UTC); the DM reminder
# is due 24 h before, the channel reminder 1 h before.
EVENT_START = 2 * DAY + 17 * HOUR
EVENT_FORM = {
    "title": "Flask sprint",
    "description": "Hack on Flask.",
    "start": "2026-01-03 18:00",
    "end": "2026-01-03 20:00",
    "location": "Lyon",
}


async def publish_event(ctx: Ctx) -> None:
    world = ctx.world
    shown = await open_event_form(world)
    preview = await submit_event_form(world.organiser, shown, EVENT_FORM)
    assert preview.response is not None
    await world.organiser.click(preview.response, label="Publish")
    await ctx.env.settle()
    message = world.events.last_message
    assert message is not None and message.components
    await world.alice.click(message, label="Going (0)")
    ctx.extra["announcement"] = message.id


async def event_channel_reminder(ctx: Ctx) -> None:
    await publish_event(ctx)
    ctx.target = ctx.world.events.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = "events:remind1:"


async def event_remind_channel(ctx: Ctx) -> None:
    await advance_to(ctx.env, EVENT_START - HOUR + 60)


async def event_reminded_channel(ctx: Ctx) -> bool:
    return sum(t.startswith("Starting") for t in texts(ctx.world.events)) == 1


async def event_dm_reminder(ctx: Ctx) -> None:
    await publish_event(ctx)
    ctx.target = ctx.world.alice.user.dm_channel.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = "events:remind24:"


async def event_remind_dm(ctx: Ctx) -> None:
    await advance_to(ctx.env, EVENT_START - DAY + 60)


async def event_reminded_dm(ctx: Ctx) -> bool:
    return sum("Reminder" in t for t in texts(ctx.world.alice.user.dm_channel)) == 1


async def event_rsvp_update(ctx: Ctx) -> None:
    await publish_event(ctx)
    ctx.target = ctx.world.events.id
    ctx.method = "PATCH"
    ctx.path = f"/channels/{ctx.target}/messages/{ctx.extra['announcement']}"


async def event_rsvp_counted(ctx: Ctx) -> bool:
    bot = bot_of(ctx.env)
    going = await bot.db.fetchval(
        "SELECT count(*) FROM event_rsvps WHERE state = ?", ("going",)
    )
    return int(going) == 2


# mentorship: a pair is made at once; its first check-in is 14 days later, in its
# private thread.
async def mentorship_pair(ctx: Ctx) -> None:
    world = ctx.world
    await world.mentor.slash(
        world.general,
        "mentor-tools profile",
        topics="flask, testing",
        timezone="Europe/Paris",
        languages="English",
        capacity=2,
    )
    await world.alice.slash(
        world.general,
        "mentor request",
        topics="flask",
        goal="Send my first pull request",
        timezone="Europe/Berlin",
        languages="English",
    )


async def mentorship_checkin(ctx: Ctx) -> None:
    from cogs.mentorship._engine import checkins_prefix

    await mentorship_pair(ctx)
    await ctx.world.mentor.slash(ctx.world.general, "mentor-tools claim", request=1)
    (thread,) = ctx.world.mentorship.threads
    ctx.target = thread.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = checkins_prefix()
    ctx.extra["thread"] = thread


async def next_checkin_planned(ctx: Ctx) -> bool:
    from cogs.mentorship._engine import checkin_key

    row = await bot_of(ctx.env).scheduler.get(checkin_key(1, 2))
    return row is not None and row["state"] == "pending"


async def mentorship_checkin_due(ctx: Ctx) -> None:
    await advance(ctx.env, 14 * DAY + 60)


async def mentorship_checked_in(ctx: Ctx) -> bool:
    return sum("Check-in time" in t for t in texts(ctx.extra["thread"])) == 1


async def mentorship_thread(ctx: Ctx) -> None:
    await mentorship_pair(ctx)
    ctx.target = ctx.world.mentorship.id
    ctx.path = f"/channels/{ctx.target}/threads"


async def mentorship_claim(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.mentor.slash(
        ctx.world.general, "mentor-tools claim", request=1
    )


# triage: a new question at 00:00 on day 0 is in the 09:00 UTC digest to helpers.
QUESTION = (
    "SQLAlchemy session error",
    "db.session.commit() fails with Flask-SQLAlchemy",
)


async def triage_digest(ctx: Ctx) -> None:
    thread = await post_question(ctx.world, ctx.world.alice, *QUESTION)
    ctx.extra["thread"] = thread
    ctx.target = ctx.world.helpers.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = triage_jobs.digest_prefix(ctx.world.guild.id)


async def triage_digest_due(ctx: Ctx) -> None:
    await advance_to(ctx.env, 9 * HOUR + 60)


async def triage_digested(ctx: Ctx) -> bool:
    return sum(bool(m.embeds) for m in ctx.world.helpers.history()) == 1


async def triage_nudge(ctx: Ctx) -> None:
    thread = await post_question(ctx.world, ctx.world.alice, *QUESTION)
    await ctx.world.helper.send(thread, "Did you call db.session.commit()?")
    ctx.extra["thread"] = thread
    ctx.target = thread.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = triage_jobs.nudge_prefix(thread.id)


async def triage_nudge_due(ctx: Ctx) -> None:
    await advance(ctx.env, 7 * DAY + 60)


async def triage_nudged(ctx: Ctx) -> bool:
    return sum("a week" in t for t in texts(ctx.extra["thread"])) == 1


async def triage_solved(ctx: Ctx) -> None:
    thread = await post_question(ctx.world, ctx.world.alice, *QUESTION)
    await ctx.world.helper.send(thread, "Did you call db.session.commit()?")
    await ctx.world.alice.slash(thread, "solved")
    ctx.extra["thread"] = thread
    ctx.target = thread.id
    ctx.method = "PATCH"
    ctx.path = f"/channels/{thread.id}"
    ctx.job_prefix = triage_jobs.archive_prefix(thread.id)


async def triage_archive_due(ctx: Ctx) -> None:
    await advance(ctx.env, DAY + HOUR)


async def triage_archived(ctx: Ctx) -> bool:
    channel = ctx.env.backend.get_channel(ctx.extra["thread"].id)
    return channel.thread_metadata is not None and channel.thread_metadata.archived


# grants: a reviewer's decision is DMed to the requester, as timed work.
GRANT_FORM = {
    "event": "FlaskCon Lyon",
    "amount": "1500",
    "currency": "EUR",
    "purpose": "Venue hire and captioning",
    "attendance": "40",
}


async def grant_requested(ctx: Ctx) -> None:
    shown = await ctx.world.alice.slash(ctx.world.general, "grant request")
    assert shown.modal is not None
    await ctx.world.alice.submit_modal(shown, GRANT_FORM)
    ctx.target = ctx.world.alice.user.dm_channel.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = "grants:tell:"


async def grant_reviewed(ctx: Ctx) -> None:
    await ctx.world.reviewer.slash(
        ctx.world.general, "grant-review decide", id="G-1", decision="approve"
    )
    await ctx.env.settle()


async def grant_told(ctx: Ctx) -> bool:
    return sum("Good news" in t for t in texts(ctx.world.alice.user.dm_channel)) == 1


# extwatch: the weekly check (Monday 06:00) posts status changes to the log
# channel. The upstream fetches (packages, the organisation's listing, Flask's
# releases) are not what is tested here: they are stubbed, and one change is made up.
async def extwatch_used(ctx: Ctx) -> None:
    from cogs.extwatch import _engine as ext
    from cogs.extwatch._logic import Change
    from cogs.extwatch._logic import Status

    async def no_fetch(self: Any, packages: dict[str, str | None]) -> None:
        return None

    def one_change(package: str, reported: Any, current: Any) -> Change | None:
        if package != "Flask-Login":
            return None
        return Change(package, Status.HEALTHY, Status.AT_RISK, ())

    async def no_listing(self: Any, guild_id: int) -> list[str]:
        return []

    async def no_release(*args: Any) -> None:
        return None

    assert ctx.monkeypatch is not None
    ctx.monkeypatch.setattr(ext.ExtWatchEngine, "refresh", no_fetch)
    ctx.monkeypatch.setattr(ext.ExtWatchEngine, "sync_org", no_listing)
    ctx.monkeypatch.setattr(ext, "pypi_project", no_release)
    ctx.monkeypatch.setattr(ext, "status_change", one_change)
    await ctx.world.alice.slash(ctx.world.general, "ext status", name="Flask-Login")
    ctx.target = ctx.world.log.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = "extwatch:weekly:"


async def extwatch_week(ctx: Ctx) -> None:
    await advance_to(ctx.env, 4 * DAY + 6 * HOUR + 60)


async def extwatch_reported(ctx: Ctx) -> bool:
    return sum("Extension watch" in t for t in texts(ctx.world.log)) == 1


# mentorship: a request nobody claimed for over a week is in the Monday 09:00 UTC
# digest to the log channel (the first Monday, 5 January, is too early).
async def mentorship_waiting(ctx: Ctx) -> None:
    from cogs.mentorship._engine import digests_prefix

    await mentorship_pair(ctx)
    ctx.target = ctx.world.log.id
    ctx.path = f"/channels/{ctx.target}/messages"
    ctx.job_prefix = digests_prefix()


async def mentorship_digest_due(ctx: Ctx) -> None:
    await advance_to(ctx.env, 11 * DAY + 9 * HOUR + 60)


async def mentorship_digested(ctx: Ctx) -> bool:
    return sum("unclaimed" in t for t in texts(ctx.world.log)) == 1


WORKS = [
    Work(
        "chats-end-completes-discord-event",
        ("cogs.setup", "cogs.chats"),
        chat_end,
        chat_end_due,
        chat_over_and_next_planned,
        {
            Kind.PERSISTENT: Outcome.CARRIED_ON,
            Kind.REFUSED: Outcome.CARRIED_ON,
            Kind.GONE: Outcome.CARRIED_ON,
        },
    ),
    Work(
        "triage-archive-solved",
        ("cogs.setup", "cogs.triage"),
        triage_solved,
        triage_archive_due,
        triage_archived,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.REPORTED,
            Kind.GONE: Outcome.DROPPED,
        },
        hints={50013: ("Manage Threads", "<#{target}>"), 50001: ("Manage Threads",)},
    ),
    Work(
        "mentorship-digest-to-log-channel",
        ("cogs.setup", "cogs.mentorship"),
        mentorship_waiting,
        mentorship_digest_due,
        mentorship_digested,
        {
            Kind.PERSISTENT: Outcome.FAILED_UNTOLD,
            Kind.REFUSED: Outcome.FAILED_UNTOLD,
            Kind.GONE: Outcome.FAILED_UNTOLD,
        },
        to_log=True,
    ),
    Work(
        "grants-decision-dm",
        ("cogs.setup", "cogs.grants"),
        grant_requested,
        grant_reviewed,
        grant_told,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.RECORDED,
            Kind.GONE: Outcome.RECORDED,
        },
    ),
    Work(
        "extwatch-weekly-report-to-log-channel",
        ("cogs.setup", "cogs.extwatch"),
        extwatch_used,
        extwatch_week,
        extwatch_reported,
        {
            Kind.PERSISTENT: Outcome.FAILED_UNTOLD,
            Kind.REFUSED: Outcome.FAILED_UNTOLD,
            Kind.GONE: Outcome.FAILED_UNTOLD,
        },
        to_log=True,
    ),
    Work(
        "chats-announcement",
        ("cogs.setup", "cogs.chats"),
        chat_announcement,
        chat_open,
        chat_announced,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.FAILED,
            Kind.GONE: Outcome.FAILED,
        },
    ),
    Work(
        "chats-discord-event",
        ("cogs.setup", "cogs.chats"),
        chat_event,
        chat_open,
        chat_event_made,
        {
            Kind.PERSISTENT: Outcome.REPORTED,
            Kind.REFUSED: Outcome.REPORTED,
            Kind.GONE: Outcome.REPORTED,
        },
        hints={50013: ("Manage Events",), 50001: ("Manage Events",), 10003: ()},
    ),
    Work(
        "chats-reminder",
        ("cogs.setup", "cogs.chats"),
        chat_reminder,
        chat_remind,
        chat_reminded,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.FAILED,
            Kind.GONE: Outcome.FAILED,
        },
        still=chat_reminder_dms_went_out,
    ),
    Work(
        "chats-reminder-dm",
        ("cogs.setup", "cogs.chats"),
        chat_reminder_dm,
        chat_remind,
        chat_reminded,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.RECORDED,
            Kind.GONE: Outcome.RECORDED,
        },
    ),
    Work(
        "events-channel-reminder",
        ("cogs.setup", "cogs.events"),
        event_channel_reminder,
        event_remind_channel,
        event_reminded_channel,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.FAILED,
            Kind.GONE: Outcome.FAILED,
        },
    ),
    Work(
        "events-dm-reminder",
        ("cogs.setup", "cogs.events"),
        event_dm_reminder,
        event_remind_dm,
        event_reminded_dm,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.RECORDED,
            Kind.GONE: Outcome.RECORDED,
        },
    ),
    Work(
        "mentorship-checkin",
        ("cogs.setup", "cogs.mentorship"),
        mentorship_checkin,
        mentorship_checkin_due,
        mentorship_checked_in,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.FAILED,
            Kind.GONE: Outcome.FAILED,
        },
        # One check-in lost to Discord must not end the pair's check-ins.
        still=next_checkin_planned,
        still_after=(Kind.PERSISTENT, Kind.REFUSED),
    ),
    Work(
        "triage-digest",
        ("cogs.setup", "cogs.triage"),
        triage_digest,
        triage_digest_due,
        triage_digested,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.FAILED,
            Kind.GONE: Outcome.FAILED,
        },
    ),
    Work(
        "triage-nudge",
        ("cogs.setup", "cogs.triage"),
        triage_nudge,
        triage_nudge_due,
        triage_nudged,
        {
            Kind.PERSISTENT: Outcome.FAILED,
            Kind.REFUSED: Outcome.FAILED,
            Kind.GONE: Outcome.DROPPED,
        },
    ),
]


#: What a global rate limit covers: every bot route but the interaction responses.
GLOBAL_ROUTES = ["/channels/*", "/guilds/*", "/users/*"]


# -- the checks ---------------------------------------------------------------------------------
#: Words a log message uses to say what to fix, by fault.
HINTS = {
    50013: ("permission", "<#{target}>"),
    50001: ("View Channel", "<#{target}>"),
    10003: ("no longer exists", "<#{target}>"),
}


def matching(calls: list[Call], method: str, path: str) -> list[Call]:
    return [c for c in calls if c.method == method and fnmatch.fnmatch(c.path, path)]


async def jobs(env: simcord.Env, prefix: str | None) -> list[Any]:
    if prefix is None:
        return []
    rows = await bot_of(env).db.fetchall(
        "SELECT * FROM jobs WHERE key LIKE ? ORDER BY id", (prefix + "%",)
    )
    return list(rows)


def assert_no_storm(made: list[Call]) -> None:
    """At most the scheduler's attempts, each gap longer than the one before.

    Calls made at the same virtual moment are one attempt (a chat's end starts and
    ends its event; a failure report follows the last try), of at most two calls.
    """
    moments = sorted({c.at for c in made})
    per_moment = [sum(c.at == at for c in made) for at in moments]
    assert len(moments) <= MAX_ATTEMPTS, [(c.at, c.path) for c in made]
    assert max(per_moment, default=0) <= 2, [(c.at, c.path) for c in made]
    gaps = [b - a for a, b in zip(moments, moments[1:], strict=False)]
    assert gaps == sorted(gaps), gaps


def case_id(value: Any) -> str:
    return str(value.name)


def _applies(work: Work, fault: Fault) -> bool:
    """Closed DMs (50007) only happen to DMs: the works whose refusal is recorded."""
    return fault.code != 50007 or work.outcomes[Kind.REFUSED] is Outcome.RECORDED


@pytest.mark.parametrize(
    ("work", "fault"),
    [
        pytest.param(work, fault, id=f"{work.name}-{fault.name}")
        for work in WORKS
        for fault in FAULTS
        if _applies(work, fault)
    ],
)
async def test_timed_work_under_discord_faults(
    work: Work,
    fault: Fault,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    calls: list[Call],
) -> None:
    async with world_with(settings, monkeypatch, work.cogs) as ctx:
        env, world = ctx.env, ctx.world
        await work.arrange(ctx)
        await env.settle()
        log_before = len(world.log.history())
        start = len(calls)
        # Interaction responses are exempt from Discord's global rate limit.
        for pattern in GLOBAL_ROUTES if fault.everywhere else [ctx.path]:
            env.inject_error(
                "*" if fault.everywhere else ctx.method,
                pattern,
                status=fault.status,
                code=work.gone_code if fault.kind is Kind.GONE else fault.code,
                message=fault.message,
                times=fault.times,
            )
        await work.act(ctx)
        # Long enough for every retry the scheduler would ever make.
        for _ in range(4):
            await advance(env, HOUR)
        made = matching(calls[start:], ctx.method, ctx.path)
        log_after = texts(world.log)[log_before:]
        rows = await jobs(env, ctx.job_prefix)
        outcome = (
            Outcome.SENT if fault.kind is Kind.TRANSIENT else work.outcomes[fault.kind]
        )
        await check(work, fault, ctx, outcome, made, log_after, rows)


async def check(
    work: Work,
    fault: Fault,
    ctx: Ctx,
    outcome: Outcome,
    made: list[Call],
    log: list[str],
    rows: list[Any],
) -> None:
    assert made, "the work never made the call the fault was injected on"
    assert_no_storm(made)
    failed = [r for r in rows if r["state"] == "failed"]
    if outcome is Outcome.SENT:
        assert await work.done(ctx), "the work never went out"
        assert not failed, [dict(r) for r in failed]
        assert len(log) == (1 if work.to_log else 0), log
        return
    if outcome is Outcome.CARRIED_ON:
        assert await work.done(ctx), "the rest of the work did not go on"
        assert not failed, [dict(r) for r in failed]
        return
    assert not await work.done(ctx)
    if outcome is Outcome.FAILED:
        assert len(failed) == 1, [dict(r) for r in rows]
        assert str(fault.status) in failed[0]["last_error"]
        assert len(log) == 1, log
    elif outcome is Outcome.REPORTED:
        assert not failed, [dict(r) for r in failed]
        assert len(log) == 1, log
    elif outcome is Outcome.RECORDED:
        outbox = await bot_of(ctx.env).db.fetchall(
            "SELECT * FROM outbox WHERE state = 'failed'"
        )
        assert len(outbox) == 1 and str(fault.status) in outbox[0]["last_error"]
        assert len(log) == 1 and "could not be reached by DM" in log[0], log
    elif outcome is Outcome.DROPPED:
        assert not failed, [dict(r) for r in failed]
    elif outcome is Outcome.FAILED_UNTOLD:
        assert len(failed) == 1, [dict(r) for r in rows]
        assert str(fault.status) in failed[0]["last_error"]
        assert log == [], log
    if fault.kind in work.still_after and work.still is not None:
        assert await work.still(ctx), "a failure stopped work that did not need it"
    if fault.kind in (Kind.REFUSED, Kind.GONE) and outcome in (
        Outcome.FAILED,
        Outcome.REPORTED,
    ):
        code = work.gone_code if fault.kind is Kind.GONE else fault.code
        for hint in work.hints.get(code, HINTS.get(code, ())):
            assert hint.format(target=ctx.target) in log[0], log[0]


# -- interactions are acknowledged before slow work ---------------------------------------------
@dataclass(frozen=True)
class Slow:
    """A member action whose handler makes a Discord call (``ctx.method/path``)."""

    name: str
    cogs: tuple[str, ...]
    arrange: Callable[[Ctx], Awaitable[None]]
    act: Callable[[Ctx], Awaitable[simcord.InteractionResult]]


async def chat_opened(ctx: Ctx) -> None:
    await chat_series(ctx)
    await chat_open(ctx)
    ctx.method = "PATCH"
    ctx.path = f"/guilds/{ctx.world.guild.id}/scheduled-events/*"


async def chat_opened_post(ctx: Ctx) -> None:
    await chat_opened(ctx)
    # a topic goes in the thread on the announcement, which the first one opens
    ctx.method = "POST"
    ctx.path = f"/channels/{ctx.world.announcements.id}/messages/*/threads"


async def chat_over(ctx: Ctx) -> None:
    await chat_opened(ctx)
    await advance_to(ctx.env, 7 * DAY + 17 * HOUR + 60)
    ctx.method = "POST"
    ctx.path = f"/channels/{ctx.world.announcements.id}/messages/*/threads"


async def chat_skip(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.organiser.slash(
        ctx.world.general, "chat-admin skip", series="Flask chat"
    )


async def chat_reschedule(ctx: Ctx) -> simcord.InteractionResult:
    shown = await ctx.world.organiser.slash(
        ctx.world.general,
        "chat-admin reschedule",
        series="Flask chat",
        date="2026-01-09",
    )
    return await confirm_understood(ctx.world.organiser, shown)


async def chat_propose(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.alice.slash(
        ctx.world.general, "chat propose", title="Blueprints at scale"
    )


async def chat_delete(ctx: Ctx) -> simcord.InteractionResult:
    asked = await ctx.world.organiser.slash(
        ctx.world.general, "chat-admin series-delete", series="Flask chat"
    )
    assert asked.response is not None
    return await ctx.world.organiser.click(asked.response, label="Delete the series")


async def chat_notes(ctx: Ctx) -> simcord.InteractionResult:
    form = await ctx.world.organiser.slash(
        ctx.world.general, "chat-admin notes", series="Flask chat"
    )
    assert form.modal is not None
    return await ctx.world.organiser.submit_modal(form, {"summary": "We met."})


async def rsvp_going(ctx: Ctx) -> simcord.InteractionResult:
    message = ctx.world.events.last_message
    assert message is not None
    return await ctx.world.bob.click(message, label="Going (1)")


async def mentorship_paired_thread(ctx: Ctx) -> None:
    await mentorship_checkin(ctx)
    ctx.path = f"/channels/{ctx.target}/messages"


async def mentorship_thread_members(ctx: Ctx) -> None:
    await mentorship_checkin(ctx)
    ctx.method = "PUT"
    ctx.path = f"/channels/{ctx.target}/thread-members/*"


async def mentor_release(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.mentor.slash(
        ctx.world.general, "mentor-tools release", mentee=ctx.world.alice, note="Moving"
    )


async def mentor_end(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.mentor.slash(
        ctx.world.general, "mentor end", mentee=ctx.world.alice
    )


async def mentor_status_lookup(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.organiser.slash(
        ctx.world.general, "mentor-admin status", member=ctx.world.alice
    )


async def question_answered(ctx: Ctx) -> None:
    thread = await post_question(ctx.world, ctx.world.alice, *QUESTION)
    await ctx.world.helper.send(thread, "Did you call db.session.commit()?")
    ctx.extra["thread"] = thread
    ctx.method = "GET"
    ctx.path = f"/channels/{thread.id}/messages"


async def asker_says_solved(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.alice.slash(ctx.extra["thread"], "solved")


async def checkin_posted(ctx: Ctx) -> None:
    await mentorship_checkin(ctx)
    await mentorship_checkin_due(ctx)
    ctx.path = f"/channels/{ctx.world.log.id}/messages"


async def need_help(ctx: Ctx) -> simcord.InteractionResult:
    thread = ctx.extra["thread"]
    checkin = next(m for m in thread.history() if "Check-in time" in m.content)
    return await ctx.world.alice.click(checkin, label="Need help")


async def pairing_ended(ctx: Ctx) -> None:
    await mentorship_checkin(ctx)
    ended = await mentor_end(ctx)
    ctx.extra["ended"] = ended
    ctx.path = f"/channels/{ctx.world.log.id}/messages"


async def feedback(ctx: Ctx) -> simcord.InteractionResult:
    from cogs.mentorship._views import FEEDBACK_FIELD

    ended = ctx.extra["ended"]
    message = ended.followups[-1] if ended.followups else ended.response
    form = await ctx.world.mentor.click(message, label="Give feedback")
    assert form.modal is not None
    return await ctx.world.mentor.submit_modal(form, {FEEDBACK_FIELD: "Went well"})


async def upstream_marked(ctx: Ctx) -> None:
    """The extension watch's fetch from PyPI/GitHub/OSV, marked in the call log.

    Those requests do not go through simcord; the refresh is replaced by one that
    records where it started in the same log, and fetches nothing.
    """
    from cogs.extwatch import _engine as ext
    from cogs.extwatch._fetch import RefreshResult

    made: list[Call] = ctx.extra["calls"]

    async def fetch(self: Any, packages: dict[str, str | None]) -> RefreshResult:
        made.append(Call(discord.utils.utcnow().timestamp(), "GET", "/upstream"))
        return RefreshResult(checked=len(packages))

    async def no_listing(self: Any, guild_id: int) -> list[str]:
        return []

    assert ctx.monkeypatch is not None
    ctx.monkeypatch.setattr(ext.ExtWatchEngine, "refresh", fetch)
    ctx.monkeypatch.setattr(ext.ExtWatchEngine, "sync_org", no_listing)
    ctx.method = "GET"
    ctx.path = "/upstream"


async def ext_refresh(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.organiser.slash(ctx.world.general, "ext-admin refresh")


async def ext_watch_add(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.organiser.slash(
        ctx.world.general,
        "ext-admin watch-add",
        name="Flask-Example",
        repo="pallets/flask",
    )


CHATS = ("cogs.setup", "cogs.chats")
MENTORSHIP = ("cogs.setup", "cogs.mentorship")
EXTWATCH = ("cogs.setup", "cogs.extwatch")
SLOW = [
    Slow("ext-refresh-upstream", EXTWATCH, upstream_marked, ext_refresh),
    Slow("ext-watch-add-upstream", EXTWATCH, upstream_marked, ext_watch_add),
    Slow("mentor-checkin-need-help", MENTORSHIP, checkin_posted, need_help),
    Slow("mentor-feedback-form", MENTORSHIP, pairing_ended, feedback),
    Slow(
        "triage-solved",
        ("cogs.setup", "cogs.triage"),
        question_answered,
        asker_says_solved,
    ),
    Slow("chat-skip", CHATS, chat_opened, chat_skip),
    Slow("chat-reschedule", CHATS, chat_opened, chat_reschedule),
    Slow("chat-propose", CHATS, chat_opened_post, chat_propose),
    Slow("chat-delete-confirm", CHATS, chat_opened, chat_delete),
    Slow("chat-notes-form", CHATS, chat_over, chat_notes),
    Slow("event-rsvp", ("cogs.setup", "cogs.events"), event_rsvp_update, rsvp_going),
    Slow(
        "mentor-release",
        ("cogs.setup", "cogs.mentorship"),
        mentorship_paired_thread,
        mentor_release,
    ),
    Slow(
        "mentor-end",
        ("cogs.setup", "cogs.mentorship"),
        mentorship_paired_thread,
        mentor_end,
    ),
    Slow(
        "mentor-status-organiser",
        ("cogs.setup", "cogs.mentorship"),
        mentorship_thread_members,
        mentor_status_lookup,
    ),
]


@pytest.mark.parametrize("slow", SLOW, ids=case_id)
async def test_interaction_is_acknowledged_before_its_discord_calls(
    slow: Slow,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    calls: list[Call],
) -> None:
    """With the handler's Discord call failing (Discord slow or down), the member
    has had an answer (a reply or a defer) before the bot makes that call."""
    async with world_with(settings, monkeypatch, slow.cogs, discord_errors=True) as ctx:
        env = ctx.env
        ctx.extra["calls"] = calls
        await slow.arrange(ctx)
        await env.settle()
        env.inject_error(ctx.method, ctx.path, status=500, times=None)
        start = len(calls)
        result = await slow.act(ctx)
        await env.settle()
        made = calls[start:]
        slow_at = [
            i
            for i, c in enumerate(made)
            if c.method == ctx.method and fnmatch.fnmatch(c.path, ctx.path)
        ]
        answered_at = [
            i
            for i, c in enumerate(made)
            if c.path.startswith("/interactions/") and c.path.endswith("/callback")
        ]
        assert slow_at, "the handler made no call to fail"
        assert answered_at, "the interaction was never answered"
        assert answered_at[-1] < slow_at[0], [(c.method, c.path) for c in made]
        assert result.response is not None or result.followups
        assert len(slow_at) <= 2, "no retries inside a member's action"


# -- member actions whose Discord call fails ------------------------------------------------------
@dataclass(frozen=True)
class Action:
    """A member action with a Discord call in it; nothing retries inside an action."""

    name: str
    cogs: tuple[str, ...]
    arrange: Callable[[Ctx], Awaitable[None]]
    act: Callable[[Ctx], Awaitable[simcord.InteractionResult | None]]
    #: what must hold after any fault (the database is the truth)
    holds: Callable[[Ctx], Awaitable[None]]
    #: by Discord error code: words the log channel must get (once), if any
    told: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: the member's action stands whatever Discord says: no error is shown
    stands: bool = False


async def claim_undone(ctx: Ctx) -> None:
    state = await bot_of(ctx.env).db.fetchval(
        "SELECT state FROM mentor_requests WHERE id = 1"
    )
    assert state == "open", state
    assert ctx.world.mentorship.threads == []


async def rsvp_saved(ctx: Ctx) -> None:
    assert await event_rsvp_counted(ctx)


async def chat_vote_target(ctx: Ctx) -> None:
    await chat_series(ctx)
    await chat_open(ctx)
    message = next(m for m in ctx.world.announcements.history() if m.components)
    ctx.extra["announcement"] = message
    ctx.method = "PATCH"
    ctx.path = f"/channels/{ctx.world.announcements.id}/messages/{message.id}"


async def chat_interest(ctx: Ctx) -> simcord.InteractionResult:
    return await ctx.world.bob.click(ctx.extra["announcement"], label="Interested")


async def interest_saved(ctx: Ctx) -> None:
    count = await bot_of(ctx.env).db.fetchval("SELECT count(*) FROM chat_interest")
    assert count == 1


async def triage_forum(ctx: Ctx) -> None:
    backend = ctx.env.backend
    thread = backend.create_thread(
        ctx.world.questions.id,
        QUESTION[0],
        ctx.world.alice.id,
        type=discord.ChannelType.public_thread.value,
    )
    ctx.extra["thread"] = simcord.ChannelHandle(ctx.env, ctx.world.guild, thread)
    await ctx.env.settle()
    ctx.method = "PATCH"
    ctx.path = f"/channels/{thread.id}"
    ctx.target = ctx.world.questions.id


async def triage_starter(ctx: Ctx) -> None:
    await ctx.world.alice.send(ctx.extra["thread"], QUESTION[1])
    return None


async def checklist_posted(ctx: Ctx) -> None:
    me = bot_of(ctx.env).user
    assert me is not None
    mine = [m for m in ctx.extra["thread"].history() if m.author.id == me.id]
    assert len(mine) == 1, [m.content for m in mine]


async def event_form(ctx: Ctx) -> None:
    world = ctx.world
    shown = await open_event_form(world)
    preview = await submit_event_form(world.organiser, shown, EVENT_FORM)
    ctx.extra["preview"] = preview
    ctx.path = f"/guilds/{world.guild.id}/scheduled-events"


async def event_publish(ctx: Ctx) -> simcord.InteractionResult:
    preview = ctx.extra["preview"]
    assert preview.response is not None
    return await ctx.world.organiser.click(preview.response, label="Publish")


async def event_announced(ctx: Ctx) -> None:
    message = ctx.world.events.last_message
    assert message is not None and message.components


ACTIONS = [
    Action(
        "event-publish-creates-discord-event",
        ("cogs.setup", "cogs.events"),
        event_form,
        event_publish,
        event_announced,
        told={
            0: ("Discord had a problem", "/event edit"),
            50013: ("Manage Events",),
            50001: ("Manage Events",),
            10008: ("Discord had a problem",),
        },
        stands=True,
    ),
    Action(
        "mentor-claim-opens-thread",
        ("cogs.setup", "cogs.mentorship"),
        mentorship_thread,
        mentorship_claim,
        claim_undone,
        told={
            50013: ("Create Private Threads", "<#{target}>"),
            50001: ("<#{target}>",),
        },
    ),
    Action(
        "event-rsvp-edits-announcement",
        ("cogs.setup", "cogs.events"),
        event_rsvp_update,
        rsvp_going,
        rsvp_saved,
        stands=True,
    ),
    Action(
        "chat-interest-edits-announcement",
        CHATS,
        chat_vote_target,
        chat_interest,
        interest_saved,
        stands=True,
    ),
    Action(
        "triage-tags-new-question",
        ("cogs.setup", "cogs.triage"),
        triage_forum,
        triage_starter,
        checklist_posted,
        # A refusal points at permissions, an outage does not, a deleted post
        # needs nobody.
        told={
            0: ("Discord had a problem", "Set them by hand"),
            50013: ("Check my permissions",),
            50001: ("Check my permissions",),
        },
        stands=True,
    ),
]
ACTION_FAULTS = [
    Fault("429", Kind.TRANSIENT, 429, message="You are being rate limited."),
    Fault("5xx", Kind.PERSISTENT, 503, message="Service Unavailable", times=None),
    # (closed DMs are about DMs, and no action here sends one)
    *[f for f in FAULTS if f.kind in (Kind.REFUSED, Kind.GONE) and f.code != 50007],
]


@pytest.mark.parametrize("fault", ACTION_FAULTS, ids=case_id)
@pytest.mark.parametrize("action", ACTIONS, ids=case_id)
async def test_member_action_under_discord_faults(
    action: Action,
    fault: Fault,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    calls: list[Call],
) -> None:
    """The member is answered, what they did is saved or cleanly undone, the call
    is made once (no retry loop inside an interaction), organisers hear about a
    lost permission once, and nothing but the Discord error itself is raised."""
    async with world_with(
        settings, monkeypatch, action.cogs, discord_errors=True
    ) as ctx:
        env, world = ctx.env, ctx.world
        await action.arrange(ctx)
        await env.settle()
        log_before = len(world.log.history())
        env.inject_error(
            ctx.method,
            ctx.path,
            status=fault.status,
            code=10008 if fault.kind is Kind.GONE else fault.code,
            message=fault.message,
            times=fault.times,
        )
        start = len(calls)
        result = await action.act(ctx)
        await advance(env, HOUR)
        made = matching(calls[start:], ctx.method, ctx.path)
        assert 1 <= len(made) <= 1, [(c.method, c.path) for c in made]
        if result is not None:
            assert result.response is not None or result.followups
            shown = [m.content or "" for m in [result.response, *result.followups] if m]
            if action.stands:
                assert not any("wrong" in t or "missing" in t for t in shown), shown
            elif fault.kind in (Kind.TRANSIENT, Kind.PERSISTENT):
                # Discord's trouble is not presented as a bug of the bot's.
                assert any("try again in a minute" in t for t in shown), shown
        await action.holds(ctx)
        log = texts(world.log)[log_before:]
        code = 10008 if fault.kind is Kind.GONE else fault.code
        hints = action.told.get(code)
        if hints is None:
            assert log == [], log
        else:
            assert len(log) == 1, log
            for hint in hints:
                assert hint.format(target=ctx.target) in log[0], log[0]


# -- things a person deleted on Discord -----------------------------------------------------------
@dataclass(frozen=True)
class Deleted:
    """Something deleted on Discord (for real, so the gateway and the 404s are
    Discord's own), then work that needs it: the bot copes and carries on."""

    name: str
    cogs: tuple[str, ...]
    arrange: Callable[[Ctx], Awaitable[None]]
    delete: Callable[[Ctx], None]
    then: Callable[[Ctx], Awaitable[None]]
    holds: Callable[[Ctx], Awaitable[None]]


def delete_chat_event(ctx: Ctx) -> None:
    guild = ctx.env.backend.get_guild(ctx.world.guild.id)
    (event_id,) = list(guild.scheduled_events)
    ctx.env.backend.delete_scheduled_event(ctx.world.guild.id, event_id)


def delete_chat_announcement(ctx: Ctx) -> None:
    message = next(m for m in ctx.world.announcements.history() if m.components)
    ctx.env.backend.delete_message(ctx.world.announcements.id, message.id)


async def chat_ends(ctx: Ctx) -> None:
    await advance_to(ctx.env, 7 * DAY + 17 * HOUR + 60)


async def chat_done_and_next_planned(ctx: Ctx) -> None:
    db = bot_of(ctx.env).db
    statuses = [
        r["status"]
        for r in await db.fetchall("SELECT status FROM chat_occurrences ORDER BY id")
    ]
    assert statuses[0] == "done" and len(statuses) == 2, statuses


async def chat_skipped(ctx: Ctx) -> None:
    result = await chat_skip(ctx)
    ctx.extra["answer"] = result


async def chat_moved(ctx: Ctx) -> None:
    ctx.extra["answer"] = await chat_reschedule(ctx)


def answered_without_error(ctx: Ctx) -> None:
    result = ctx.extra["answer"]
    shown = [m.content or "" for m in [result.response, *result.followups] if m]
    assert shown and not any("wrong" in t or "missing" in t for t in shown), shown


async def skip_done(ctx: Ctx) -> None:
    answered_without_error(ctx)
    db = bot_of(ctx.env).db
    assert (
        await db.fetchval("SELECT status FROM chat_occurrences WHERE id = 1")
        == "skipped"
    )


async def move_done(ctx: Ctx) -> None:
    answered_without_error(ctx)
    db = bot_of(ctx.env).db
    assert await db.fetchval("SELECT revision FROM chat_occurrences WHERE id = 1") == 1


async def no_failed_jobs(ctx: Ctx) -> None:
    db = bot_of(ctx.env).db
    failed = await db.fetchall(
        "SELECT key, last_error FROM jobs WHERE state = 'failed'"
    )
    assert not failed, [dict(r) for r in failed]


def delete_event_announcement(ctx: Ctx) -> None:
    message = ctx.world.events.last_message
    assert message is not None
    ctx.env.backend.delete_message(ctx.world.events.id, message.id)


async def event_reminders_due(ctx: Ctx) -> None:
    await advance_to(ctx.env, EVENT_START + 60)


async def event_reminders_went_out(ctx: Ctx) -> None:
    assert await event_reminded_dm(ctx)
    assert await event_reminded_channel(ctx)


DELETED = [
    Deleted(
        "chat-discord-event-then-the-chat-ends",
        CHATS,
        chat_opened,
        delete_chat_event,
        chat_ends,
        chat_done_and_next_planned,
    ),
    Deleted(
        "chat-discord-event-then-skip",
        CHATS,
        chat_opened,
        delete_chat_event,
        chat_skipped,
        skip_done,
    ),
    Deleted(
        "chat-discord-event-then-reschedule",
        CHATS,
        chat_opened,
        delete_chat_event,
        chat_moved,
        move_done,
    ),
    Deleted(
        "chat-announcement-then-the-chat-ends",
        CHATS,
        chat_opened,
        delete_chat_announcement,
        chat_ends,
        chat_done_and_next_planned,
    ),
    Deleted(
        "chat-announcement-then-reschedule",
        CHATS,
        chat_opened,
        delete_chat_announcement,
        chat_moved,
        move_done,
    ),
    Deleted(
        "event-announcement-then-its-reminders",
        ("cogs.setup", "cogs.events"),
        publish_event,
        delete_event_announcement,
        event_reminders_due,
        event_reminders_went_out,
    ),
]


@pytest.mark.parametrize("case", DELETED, ids=case_id)
async def test_work_copes_with_what_a_person_deleted(
    case: Deleted, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with world_with(settings, monkeypatch, case.cogs) as ctx:
        env = ctx.env
        await case.arrange(ctx)
        await env.settle()
        case.delete(ctx)
        await env.settle()
        await case.then(ctx)
        await env.settle()
        await case.holds(ctx)
        await no_failed_jobs(ctx)


# -- a rate limit that says how long -------------------------------------------------------------
async def test_a_rate_limited_job_waits_as_long_as_discord_says(
    simcord_env: simcord.Env, world: World
) -> None:
    """discord.py raises ``RateLimited`` (instead of sleeping) when a 429's
    ``retry_after`` exceeds ``max_ratelimit_timeout``. simcord cannot send a
    ``retry_after``, so the handler raises it the way discord.py would: the job
    retries, not sooner than Discord said, and not as a failure."""
    bot = bot_of(simcord_env)
    tries: list[float] = []

    async def send(job: Any) -> None:
        tries.append(discord.utils.utcnow().timestamp())
        if len(tries) == 1:
            raise discord.RateLimited(600.0)

    bot.scheduler.register("test.rate_limited", send)
    await bot.schedule(
        "test.rate_limited",
        "test:rate-limited",
        discord.utils.utcnow(),
        guild_id=world.guild.id,
    )
    await advance(simcord_env, 60)
    assert len(tries) == 1
    await advance(simcord_env, 600)
    assert len(tries) == 2 and tries[1] - tries[0] >= 600
    row = await bot.scheduler.get("test:rate-limited")
    assert row is not None and row["state"] == "done"


# -- a whole Discord outage ------------------------------------------------------------------------
async def test_a_long_outage_is_not_met_with_a_storm(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, calls: list[Call]
) -> None:
    """Every job has work due while every bot route answers 500 for three days: each
    job tries at most ``MAX_ATTEMPTS`` times, a try makes at most two requests (a
    chat's last try reports the missing Discord event and still tries the
    announcement), each failed job tries one report, and then the bot works again.
    """
    cogs: tuple[str, ...] = ("cogs.setup", "cogs.chats", "cogs.events")
    cogs += ("cogs.mentorship", "cogs.triage", "cogs.grants")
    async with world_with(settings, monkeypatch, cogs) as ctx:
        env, world = ctx.env, ctx.world
        await chat_series(ctx)
        await publish_event(ctx)
        await mentorship_checkin(ctx)
        await post_question(world, world.bob, *QUESTION)
        start = len(calls)
        for pattern in GLOBAL_ROUTES:
            env.inject_error("*", pattern, status=500, times=None)
        for _ in range(12):
            await advance(env, 6 * HOUR)
        made = [c for c in calls[start:] if not c.path.startswith("/interactions/")]
        db = bot_of(env).db
        ran = await db.fetchall(
            "SELECT key, state, attempts FROM jobs WHERE attempts > 0 ORDER BY id"
        )
        assert ran, "no work came due"
        assert all(r["attempts"] <= MAX_ATTEMPTS for r in ran), [dict(r) for r in ran]
        failed = [r for r in ran if r["state"] == "failed"]
        kinds = {r["key"].split(":")[0] for r in failed}
        assert kinds >= {"chats", "events", "triage"}, [dict(r) for r in ran]
        tries = sum(r["attempts"] for r in ran)
        assert len(made) <= 2 * tries + len(failed), (len(made), tries, len(failed))
        # Discord is back: new work goes out at once.
        env.backend.faults.clear()
        result = await world.alice.slash(world.general, "chat next")
        assert result.response is not None


# -- the same trouble again and again ----------------------------------------------------------------
async def test_a_lost_forum_permission_is_told_once_not_per_question(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, calls: list[Call]
) -> None:
    """With tagging and replying refused in the questions forum, three new posts in
    a row tell organisers once per kind of trouble; an hour later, again once."""
    async with world_with(settings, monkeypatch, ("cogs.setup", "cogs.triage")) as ctx:
        env, world = ctx.env, ctx.world
        env.inject_error("PATCH", "/channels/*", status=403, code=50013, times=None)
        env.inject_error(
            "POST", "/channels/*/messages", status=403, code=50013, times=None
        )
        log_before = len(world.log.history())
        for n in range(3):
            await post_question(world, world.alice, f"Question {n}", QUESTION[1])
        # Let every try of the first round happen while the refusals last: paced
        # under Discord's limits, some come a few seconds later.
        await advance(env, 60)
        told = texts(world.log)[log_before:]
        assert len(told) == 0, told  # the log channel is refused as well
        env.backend.faults.clear()
        env.inject_error("PATCH", "/channels/*", status=403, code=50013, times=None)
        for n in range(3, 6):
            await post_question(world, world.alice, f"Question {n}", QUESTION[1])
        told = texts(world.log)[log_before:]
        assert len(told) == 1 and "tags" in told[0], told
        await advance(env, HOUR + 60)
        await post_question(world, world.alice, "Question 6", QUESTION[1])
        assert len(texts(world.log)[log_before:]) == 2


async def test_a_refused_thread_stops_a_mentoring_match_and_says_why(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, calls: list[Call]
) -> None:
    """Confirming proposed pairs with private threads refused: one try, not one per
    pair; the organiser is told the real reason; every request stays open."""
    async with world_with(
        settings, monkeypatch, MENTORSHIP, discord_errors=True
    ) as ctx:
        env, world = ctx.env, ctx.world
        for mentor, topics in (
            (world.mentor, "flask, jinja"),
            (world.mentor2, "flask"),
        ):
            await mentor.slash(
                world.general,
                "mentor-tools profile",
                topics=topics,
                timezone="Europe/Paris",
                languages="English",
                capacity=1,
            )
        for member, topics in ((world.alice, "flask, jinja"), (world.bob, "jinja")):
            await member.slash(
                world.general,
                "mentor request",
                topics=topics,
                goal="Learn",
                timezone="Europe/Berlin",
                languages="English",
            )
        proposal = await world.organiser.slash(world.general, "mentor-admin match")
        message = proposal.followups[-1] if proposal.followups else proposal.response
        assert message is not None
        path = f"/channels/{world.mentorship.id}/threads"
        env.inject_error("POST", path, status=403, code=50013, times=None)
        start = len(calls)
        confirm = await world.organiser.click(message, label="Confirm all")
        assert len(matching(calls[start:], "POST", path)) == 1
        shown = " ".join(
            m.content or "" for m in [confirm.response, *confirm.followups] if m
        )
        assert "0 pairs created" in shown, shown
        assert "Create Private Threads" in shown and world.mentorship.mention in shown
        states = await bot_of(env).db.fetchall("SELECT state FROM mentor_requests")
        assert [r["state"] for r in states] == ["open", "open"]
        assert world.mentorship.threads == []


# -- Discord applied it, the answer was lost ----------------------------------------------------
async def test_a_lost_answer_when_a_chat_opens_makes_one_discord_event(
    simcord_env: simcord.Env, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chat's Discord event is made but Discord's answer is lost (a 502): the
    job's retry finds the event (it has no nonce) and records it; one event."""
    from tests.cogs.chats.test_cog import create_series
    from tests.cogs.chats.test_cog import TO_OPEN
    from tests.reliability._discord import Fidelity

    fidelity = Fidelity().install(monkeypatch)
    fidelity.lose_answers("POST", f"/guilds/{world.guild.id}/scheduled-events")
    await create_series(world)
    await advance_to(simcord_env, TO_OPEN + HOUR)
    made = list(simcord_env.backend.get_guild(world.guild.id).scheduled_events)
    assert len(fidelity.lost) == 1 and len(made) == 1
    bot = bot_of(simcord_env)
    recorded = await bot.db.fetchval("SELECT event_id FROM chat_occurrences")
    assert recorded == made[0]
    announcements = [m for m in world.announcements.history() if m.embeds]
    assert len(announcements) == 1
