"""Downtime and restarts with the real cogs' timed work: one catch-up, nothing doubled.

Each test seeds a job's real work through its commands, keeps the bot down across
due times, then checks: each overdue job ran (or was recorded missed) exactly once,
nothing was posted twice, five more restarts change neither the jobs table nor what
was posted, and a gateway reconnect (READY and the guilds again) starts nothing.
"""

from __future__ import annotations

import types
from collections import Counter
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import simcord
from simcord import gateway as sim_gateway

from bot import backups
from bot.app import create_bot
from bot.app import PalletsBot
from bot.clock import utcnow
from bot.devtools.testing import post_question
from bot.devtools.testing import restart
from bot.devtools.testing import World
from bot.settings import Settings

HOUR = 3600
DAY = 24 * HOUR
EPOCH = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


@pytest.fixture
def cogs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Load only the cog under test (and setup): other jobs' timers stay out of it."""
    names = ["cogs.setup", *request.param]
    monkeypatch.setattr("bot.app.cog_names", lambda: names)


def only(*names: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("cogs", [list(names)], indirect=True, ids=[""])


def bot_of(env: simcord.Env) -> PalletsBot:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return bot


async def advance_to(env: simcord.Env, seconds_from_start: float) -> None:
    await env.advance_time(max(EPOCH + seconds_from_start - env.now().timestamp(), 0))
    await env.settle()


async def down_until(
    env: simcord.Env, settings: Settings, seconds_from_start: float
) -> PalletsBot:
    """Stop the bot, let time pass to ``seconds_from_start``, start a fresh one."""
    await env.settle()
    await bot_of(env).stop_services()
    await advance_to(env, seconds_from_start)
    return await restart(env, settings)


async def jobs(env: simcord.Env) -> list[tuple[Any, ...]]:
    rows = await bot_of(env).db.fetchall(
        "SELECT key, kind, state, due_at, attempts FROM jobs ORDER BY key"
    )
    return [tuple(row) for row in rows]


def message_posts(env: simcord.Env) -> list[str]:
    """The nonce of every message the bot posted through the outbox."""
    return [
        str(entry.json["nonce"])
        for entry in env.http_requests
        if entry.method == "POST"
        and isinstance(entry.json, dict)
        and entry.json.get("nonce")
    ]


def assert_nothing_doubled(env: simcord.Env) -> None:
    doubled = [n for n, c in Counter(message_posts(env)).items() if c > 1]
    assert doubled == [], "a logical send was posted twice"


async def reconnect(env: simcord.Env) -> None:
    """What a gateway reconnect delivers: READY, then every guild again."""
    bot = bot_of(env)
    ws: Any = bot.ws
    router: Any = types.SimpleNamespace(
        gateways={0: ws._gateway},
        _state=bot._connection,
        _backend=env.backend,
        shard_count=1,
    )
    with env._bot_scope():
        sim_gateway.ShardRouter.identify(router, 0, replay_guilds=True)
    await env.settle()


async def assert_restarts_and_reconnects_change_nothing(
    env: simcord.Env, settings: Settings, restarts: int = 5
) -> None:
    before_jobs = await jobs(env)
    before_posts = message_posts(env)
    pending = await bot_of(env).scheduler.pending_count()
    for _ in range(restarts):
        await restart(env, settings)
        assert await bot_of(env).scheduler.pending_count() == pending
        assert await jobs(env) == before_jobs
    await reconnect(env)
    await reconnect(env)
    assert await jobs(env) == before_jobs
    assert message_posts(env) == before_posts
    assert_nothing_doubled(env)


def texts(channel: Any) -> list[str]:
    try:
        return [m.content or "" for m in channel.history()]
    except Exception:  # noqa: BLE001 - a DM channel that was never opened
        return []


# -- chats ------------------------------------------------------------------------------
# A monthly chat on Thursday 2026-01-08 16:00 UTC: opened (event + announcement) on
# 01-01 16:00, reminders 24 hours and 1 hour before.
CHAT_START = 7 * DAY + 16 * HOUR


@only("cogs.chats")
async def test_chat_reminders_overdue_after_downtime_go_out_once_not_twice(
    cogs: None, simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    from tests.cogs.chats.test_cog import announcement
    from tests.cogs.chats.test_cog import create_series

    await create_series(world)
    await advance_to(simcord_env, 16 * HOUR + 60)
    await world.alice.click(announcement(world), label="Interested")
    # Down from day 2 until 30 minutes before the chat: both reminders came due.
    await down_until(simcord_env, settings, 1 * DAY)
    await advance_to(simcord_env, 1 * DAY)
    await down_until(simcord_env, settings, CHAT_START - 30 * 60)

    # Both reminders were overdue: the nearer one goes out, once, saying it is
    # late; the other is not sent as a second identical message.
    reminders = [t for t in texts(world.announcements) if "starts" in t]
    assert len(reminders) == 1 and "late" in reminders[0]
    dms = [t for t in texts(world.alice.user.dm_channel) if "starts" in t]
    assert len(dms) == 1
    announcements = [m for m in world.announcements.history() if m.embeds]
    assert len(announcements) == 1
    states = Counter((kind, state) for _k, kind, state, *_ in await jobs(simcord_env))
    # The one not sent is recorded missed, with why, and not counted as fired.
    assert states[("chats.remind", "done")] == 1
    assert states[("chats.remind", "missed")] == 1
    assert states[("chats.open", "done")] == 1
    assert states[("chats.end", "pending")] == 1
    (reason,) = await bot_of(simcord_env).db.fetchall(
        "SELECT last_error FROM jobs WHERE kind = 'chats.remind' AND state = 'missed'"
    )
    assert "superseded" in reason["last_error"], reason["last_error"]
    stats = bot_of(simcord_env).scheduler.stats
    assert stats.fired["chats.remind"] == 1
    assert stats.missed["chats.remind"] == 1
    await assert_restarts_and_reconnects_change_nothing(simcord_env, settings)
    assert len([m for m in world.announcements.history() if m.embeds]) == 1


# -- events -----------------------------------------------------------------------------
# The event starts 2026-01-10 18:00 Paris = 17:00 UTC: a DM reminder to those going
# 24 hours before (12 hours' grace), a channel reminder 1 hour before.
EVENT_START = 9 * DAY + 17 * HOUR


@only("cogs.events")
async def test_event_reminder_due_while_down_is_sent_once_after_the_restart(
    cogs: None, simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    from tests.cogs.events.test_cog import publish_event

    _event_id, message = await publish_event(simcord_env, world)
    await world.alice.click(message, label="Going (0)")
    updated = world.events.last_message
    assert updated is not None
    await world.bob.click(updated, label="Going (1)")
    # Down across the DM reminder (due 01-09 17:00), back 11 hours late.
    await advance_to(simcord_env, 8 * DAY + 12 * HOUR)
    await down_until(simcord_env, settings, EVENT_START - 24 * HOUR + 11 * HOUR)
    for member in (world.alice, world.bob):
        assert len(texts(member.user.dm_channel)) == 1
    assert (
        world.carol.user.dm_channel is None or texts(world.carol.user.dm_channel) == []
    )
    await assert_restarts_and_reconnects_change_nothing(simcord_env, settings)
    # The channel reminder still comes, once, on time.
    before = len(texts(world.events))
    await advance_to(simcord_env, EVENT_START - 30 * 60)
    assert len(texts(world.events)) == before + 1
    for member in (world.alice, world.bob):
        assert len(texts(member.user.dm_channel)) == 1
    assert_nothing_doubled(simcord_env)


# -- mentorship -------------------------------------------------------------------------
@only("cogs.mentorship")
async def test_checkin_due_while_down_runs_once_and_the_next_is_planned_once(
    cogs: None, simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    from tests.cogs.mentorship.test_cog import checkins_in
    from tests.cogs.mentorship.test_cog import paired

    _request, thread = await paired(world)
    # The check-in is due on day 14; the bot is down from day 13 to day 16.
    await advance_to(simcord_env, 13 * DAY)
    await down_until(simcord_env, settings, 16 * DAY)
    assert len(checkins_in(thread)) == 1
    rows = await jobs(simcord_env)
    checkins = [r for r in rows if r[1] == "mentorship.checkin"]
    assert [r[2] for r in checkins] == ["done", "pending"]
    digests = [r for r in rows if r[1] == "mentorship.digest"]
    assert [r[2] for r in digests].count("pending") == 1
    await assert_restarts_and_reconnects_change_nothing(simcord_env, settings)
    # The next check-in counts from the late one: no burst of overdue ones.
    await advance_to(simcord_env, 29 * DAY)
    assert len(checkins_in(thread)) == 1
    await advance_to(simcord_env, 30 * DAY + 60)
    assert len(checkins_in(thread)) == 2
    assert_nothing_doubled(simcord_env)


# -- triage -----------------------------------------------------------------------------
def digests(world: World) -> list[Any]:
    return [m for m in world.helpers.history() if m.embeds]


@only("cogs.triage")
async def test_daily_digest_catches_up_once_and_never_bursts_after_days_down(
    cogs: None, simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await post_question(world, world.alice, "Blueprint import error", "Traceback...")
    # The first digest is due at 09:00; the bot is down 08:00 to 20:00 (in grace).
    await advance_to(simcord_env, 8 * HOUR)
    await down_until(simcord_env, settings, 20 * HOUR)
    assert len(digests(world)) == 1
    await assert_restarts_and_reconnects_change_nothing(simcord_env, settings)

    # Down for three days across three due times: no burst of old digests.
    await post_question(world, world.bob, "Session cookie", "It does not stick")
    await advance_to(simcord_env, 1 * DAY + 8 * HOUR)
    await down_until(simcord_env, settings, 4 * DAY + 8 * HOUR)
    rows = await jobs(simcord_env)
    states = [r[2] for r in rows if r[1] == "triage.digest"]
    assert states.count("pending") == 1  # the chain goes on, once
    assert len(digests(world)) == 1
    await assert_restarts_and_reconnects_change_nothing(simcord_env, settings)
    await advance_to(simcord_env, 4 * DAY + 9 * HOUR + 60)
    assert len(digests(world)) == 2
    assert_nothing_doubled(simcord_env)


# -- backups ----------------------------------------------------------------------------
@only()
async def test_daily_backup_missed_over_days_runs_once_and_plans_one_next(
    cogs: None, simcord_env: simcord.Env, world: World, tmp_path: Any
) -> None:
    from bot.devtools.testing import test_settings

    settings = test_settings(tmp_path, backup_dir=tmp_path / "backups")
    await restart(simcord_env, settings)
    # Due 03:30 each day (20 hours' grace); down from 01:00 on day 1 to 18:00 on day 3.
    await advance_to(simcord_env, 1 * HOUR)
    await down_until(simcord_env, settings, 2 * DAY + 18 * HOUR)
    rows = [r for r in await jobs(simcord_env) if r[1] == "ops.backup"]
    assert sorted(r[2] for r in rows) == ["missed", "pending"]
    assert list((tmp_path / "backups").glob("*.sqlite3")) == []
    await assert_restarts_and_reconnects_change_nothing(simcord_env, settings)
    await advance_to(simcord_env, 3 * DAY + 4 * HOUR)
    assert len(list((tmp_path / "backups").glob("*.sqlite3"))) == 1


# -- after a restore from a backup ---------------------------------------------------------------
PING = "test.ping"


def install_ping(bot: PalletsBot, channel_id: int, *, says_late: bool) -> None:
    async def ping(job: Any) -> None:
        late = " (late)" if says_late and job.late else ""
        await bot.outbox.send(
            f"test:ping:{job.key}",
            channel_id,
            guild_id=job.guild_id,
            content=f"ping {job.payload['n']}{late}",
        )

    bot.scheduler.register(PING, ping, catch_up=timedelta(hours=6))


async def restore_and_start(
    env: simcord.Env,
    settings: Settings,
    world: World,
    backup: Path,
    *,
    replay: bool,
    says_late: bool,
) -> PalletsBot:
    await env.settle()
    await bot_of(env).stop_services()
    backups.restore(backup, settings.database_path, replay=replay)
    await env.advance_time(10 * 60)
    new = create_bot(settings)
    install_ping(new, world.general.id, says_late=says_late)
    await env.restart_bot(new)
    await env.settle()
    return new


@only()
async def test_work_that_ran_after_the_backup_does_not_run_again_after_a_restore(
    cogs: None,
    simcord_env: simcord.Env,
    world: World,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """The backup was taken before a job ran; the job ran; the backup is restored.
    The job is pending again in the restored file: it is recorded missed, not run a
    second time (it said "ping 1", then "ping 1 (late)")."""
    install_ping(bot_of(simcord_env), world.general.id, says_late=True)
    await bot_of(simcord_env).schedule(
        PING,
        "p1",
        utcnow() + timedelta(minutes=10),
        guild_id=world.guild.id,
        payload={"n": 1},
    )
    await simcord_env.advance_time(5 * 60)
    backup = tmp_path / "backup.sqlite3"
    await backups.backup_file(settings.database_path, backup)
    await simcord_env.advance_time(10 * 60)
    assert texts(world.general) == ["ping 1"]
    bot = await restore_and_start(
        simcord_env, settings, world, backup, replay=False, says_late=True
    )
    await simcord_env.advance_time(3600)
    assert texts(world.general) == ["ping 1"]
    row = await bot.scheduler.get("p1")
    assert row is not None and row["state"] == "missed"
    assert "restored from a backup" in row["last_error"]


@only()
async def test_replayed_work_after_a_restore_finds_what_it_already_posted(
    cogs: None,
    simcord_env: simcord.Env,
    world: World,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """Asked to replay (``restore --replay``), the job runs again, and its send looks
    in the channel from the backup's time: the post it made is found, not doubled."""
    install_ping(bot_of(simcord_env), world.general.id, says_late=False)
    await bot_of(simcord_env).schedule(
        PING,
        "p1",
        utcnow() + timedelta(minutes=10),
        guild_id=world.guild.id,
        payload={"n": 1},
    )
    await simcord_env.advance_time(5 * 60)
    backup = tmp_path / "backup.sqlite3"
    await backups.backup_file(settings.database_path, backup)
    await simcord_env.advance_time(10 * 60)
    bot = await restore_and_start(
        simcord_env, settings, world, backup, replay=True, says_late=False
    )
    await simcord_env.advance_time(3600)
    assert texts(world.general) == ["ping 1"]
    row = await bot.scheduler.get("p1")
    assert row is not None and row["state"] == "done"
    status = await bot.outbox.status("test:ping:p1")
    assert status is not None and status.adopted
