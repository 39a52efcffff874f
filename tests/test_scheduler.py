"""The scheduler: jobs fire once, survive restarts, catch up once and paced.

``PALLETS_CATCH_UP_JOBS`` sets how many jobs the catch-up test drains (default 200
keeps CI quick; the benchmark's size is 1000).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from simcord.http import router
from simcord.http.client import FakeHTTPClient

from bot import create_bot
from bot import PalletsBot
from bot import Settings
from bot.app import ShardedPalletsBot
from bot.clock import now_ts
from bot.clock import utcnow
from bot.db import Database
from bot.devtools.testing import build_world
from bot.devtools.testing import test_settings as offline_settings
from bot.devtools.testing import World
from bot.outbox import nonce_for
from bot.scheduler import backoff
from bot.scheduler import HOT_SQL
from bot.scheduler import Job
from bot.scheduler import LOOP_STEP
from bot.scheduler import MAX_ATTEMPTS
from bot.scheduler import Scheduler
from bot.scheduler import WORKERS
from tests.loop_turns import other_work

KIND = "test.ping"


def install_ping(bot: PalletsBot, channel_id: int) -> list[Job]:
    """Register a job kind that posts through the outbox, and record its runs."""
    runs: list[Job] = []

    async def ping(job: Job) -> None:
        runs.append(job)
        late = " (late)" if job.late else ""
        await bot.outbox.send(
            f"test:ping:{job.key}",
            channel_id,
            guild_id=job.guild_id,
            content=f"ping {job.payload['n']}{late}",
        )

    bot.scheduler.register(KIND, ping, catch_up=timedelta(hours=1))
    return runs


async def ping_at(
    bot: PalletsBot, world: World, key: str, due: datetime, n: int = 1
) -> int:
    """Schedule the test job ``key``, which posts "ping ``n``", at ``due``."""
    return await bot.schedule(KIND, key, due, guild_id=world.guild.id, payload={"n": n})


def pings(world: World) -> list[str]:
    return [m.content for m in world.general.history() if m.content.startswith("ping")]


async def down_for(env: simcord.Env, seconds: float) -> None:
    """The bot stops, and ``seconds`` pass before anything starts it again."""
    old = env.bot
    assert isinstance(old, PalletsBot)
    await old.stop_services()
    await env.advance_time(seconds)


async def restart_with_ping(
    env: simcord.Env, settings: Settings, world: World
) -> list[Job]:
    old = env.bot
    assert isinstance(old, PalletsBot)
    await env.settle()
    await old.stop_services()
    new = create_bot(settings)
    runs = install_ping(new, world.general.id)
    await env.restart_bot(new)
    await env.settle()
    return runs


async def test_job_fires_once_at_its_time(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    runs = install_ping(simcord_bot, world.general.id)
    await ping_at(simcord_bot, world, "p1", utcnow() + timedelta(hours=2))
    await simcord_env.advance_time(3600 * 2 - 5)
    assert pings(world) == []
    await simcord_env.advance_time(10)
    assert pings(world) == ["ping 1"]
    await simcord_env.advance_time(3600 * 24)
    assert pings(world) == ["ping 1"]
    assert len(runs) == 1
    job = await simcord_bot.scheduler.get("p1")
    assert job is not None and job["state"] == "done"


async def test_scheduling_the_same_key_twice_keeps_one_job(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    install_ping(simcord_bot, world.general.id)
    due = utcnow() + timedelta(minutes=30)
    first = await ping_at(simcord_bot, world, "p", due)
    second = await ping_at(simcord_bot, world, "p", due)
    assert first == second
    await simcord_env.advance_time(3600)
    assert pings(world) == ["ping 1"]


async def test_job_fires_once_across_restart(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot, settings: Settings
) -> None:
    install_ping(simcord_bot, world.general.id)
    await ping_at(simcord_bot, world, "p1", utcnow() + timedelta(hours=2))
    await simcord_env.advance_time(3600)
    runs = await restart_with_ping(simcord_env, settings, world)
    await simcord_env.advance_time(3600 + 60)
    assert pings(world) == ["ping 1"]
    assert len(runs) == 1
    runs = await restart_with_ping(simcord_env, settings, world)
    await simcord_env.advance_time(3600)
    assert runs == []
    assert pings(world) == ["ping 1"]


async def test_job_due_while_down_catches_up_once_and_says_late(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot, settings: Settings
) -> None:
    install_ping(simcord_bot, world.general.id)
    await ping_at(simcord_bot, world, "p1", utcnow() + timedelta(minutes=10))
    # The bot goes down before the job is due and comes back 30 minutes late.
    await down_for(simcord_env, 40 * 60)
    runs = await restart_with_ping(simcord_env, settings, world)
    assert [job.late for job in runs] == [True]
    assert pings(world) == ["ping 1 (late)"]
    runs = await restart_with_ping(simcord_env, settings, world)
    assert runs == []
    assert pings(world) == ["ping 1 (late)"]


async def test_job_older_than_its_catch_up_window_is_recorded_missed(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot, settings: Settings
) -> None:
    install_ping(simcord_bot, world.general.id)
    await ping_at(simcord_bot, world, "old", utcnow() + timedelta(minutes=10))
    await down_for(simcord_env, 3 * 3600)
    runs = await restart_with_ping(simcord_env, settings, world)
    assert runs == []
    assert pings(world) == []
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    row = await bot.scheduler.get("old")
    assert row is not None and row["state"] == "missed"


async def test_cancelled_job_never_fires(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    install_ping(simcord_bot, world.general.id)
    due = utcnow() + timedelta(hours=1)
    await ping_at(simcord_bot, world, "chat:1:24h", due)
    await ping_at(simcord_bot, world, "chat:1:1h", due, 2)
    await ping_at(simcord_bot, world, "chat:2:1h", due, 3)
    assert await simcord_bot.scheduler.cancel_prefix("chat:1:") == 2
    await simcord_env.advance_time(7200)
    assert pings(world) == ["ping 3"]


async def test_rescheduling_a_pending_job_moves_it(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    install_ping(simcord_bot, world.general.id)
    await ping_at(simcord_bot, world, "p", utcnow() + timedelta(hours=1))
    await ping_at(simcord_bot, world, "p", utcnow() + timedelta(hours=3))
    await simcord_env.advance_time(2 * 3600)
    assert pings(world) == []
    await simcord_env.advance_time(3600 + 1)
    assert pings(world) == ["ping 1"]


async def test_permanent_failure_is_recorded_and_reported_in_the_log_channel(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    install_ping(simcord_bot, world.general.id)
    simcord_env.inject_error(
        "POST",
        f"/channels/{world.general.id}/messages",
        status=403,
        code=50013,
        times=1,
    )
    await ping_at(simcord_bot, world, "p", utcnow() + timedelta(minutes=1))
    await simcord_env.advance_time(120)
    row = await simcord_bot.scheduler.get("p")
    assert row is not None and row["state"] == "failed"
    assert "403" in row["last_error"]
    last = world.log.last_message
    assert last is not None and "failed" in last.content


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff(n) for n in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[0] == 30 and max(delays) == 3600


async def test_reconnect_does_not_recover_twice(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    runs = install_ping(simcord_bot, world.general.id)
    await ping_at(simcord_bot, world, "p", utcnow() + timedelta(minutes=5))
    await simcord_bot.scheduler.recover()  # as a second on_ready would
    await simcord_env.advance_time(600)
    assert len(runs) == 1
    assert isinstance(simcord_bot, discord.Client)


# -- the armed window (issue #10: start-up with many pending jobs) ---------------------


async def test_job_a_month_ahead_fires_once_at_its_time_across_a_restart(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot, settings: Settings
) -> None:
    install_ping(simcord_bot, world.general.id)
    due = utcnow() + timedelta(days=30)
    await ping_at(simcord_bot, world, "far", due)
    # Beyond the window: the row alone holds it, no trigger in memory.
    assert simcord_bot.scheduler.armed == 0
    await simcord_env.advance_time(10 * 86400)
    runs = await restart_with_ping(simcord_env, settings, world)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    assert bot.scheduler.armed == 0
    await simcord_env.advance_time(20 * 86400 - 5 - 10 * 60)
    assert pings(world) == []
    await simcord_env.advance_time(10 * 60)
    assert pings(world) == []
    await simcord_env.advance_time(10)
    assert pings(world) == ["ping 1"]
    assert [job.due_at for job in runs] == [due.replace(microsecond=0)]
    await simcord_env.advance_time(86400)
    runs = await restart_with_ping(simcord_env, settings, world)
    await simcord_env.advance_time(86400)
    assert runs == []
    assert pings(world) == ["ping 1"]


async def test_far_jobs_moved_near_or_cancelled_behave_as_near_ones(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    install_ping(simcord_bot, world.general.id)
    far = utcnow() + timedelta(days=30)
    for n, key in enumerate(["moved-in", "cancelled", "moved-out"], start=1):
        when = far if key != "moved-out" else utcnow() + timedelta(minutes=30)
        await ping_at(simcord_bot, world, key, when, n)
    assert simcord_bot.scheduler.armed == 1
    await ping_at(simcord_bot, world, "moved-in", utcnow() + timedelta(hours=2))
    await ping_at(simcord_bot, world, "moved-out", far, 3)
    assert await simcord_bot.scheduler.cancel("cancelled")
    await simcord_env.advance_time(3600)
    assert pings(world) == []
    await simcord_env.advance_time(3600 + 1)
    assert pings(world) == ["ping 1"]
    await simcord_env.advance_time(30 * 86400)
    assert pings(world) == ["ping 1", "ping 3"]


async def test_a_failed_refill_is_retried_and_the_far_job_still_fires(
    simcord_env: simcord.Env,
    world: World,
    simcord_bot: PalletsBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_ping(simcord_bot, world.general.id)
    scheduler = simcord_bot.scheduler
    await ping_at(simcord_bot, world, "far", utcnow() + timedelta(days=3))
    original = scheduler._refill_window
    failures: list[datetime] = []

    async def flaky() -> None:
        if not failures:
            failures.append(utcnow())
            raise OSError("disk I/O error")
        await original()

    monkeypatch.setattr(scheduler, "_refill_window", flaky)
    await simcord_env.advance_time(3 * 86400 + 1)
    assert len(failures) == 1
    assert pings(world) == ["ping 1"]


async def test_start_up_arms_a_bounded_window_and_refills_it_in_time(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot, settings: Settings
) -> None:
    install_ping(simcord_bot, world.general.id)
    start = utcnow()
    # 30 jobs a minute apart in the next hour (more than one refill may arm), ten of
    # them in the same second, and 10 spread over the next ten days.
    times = [start + timedelta(minutes=n + 1) for n in range(30)]
    times += [start + timedelta(minutes=45)] * 10
    times += [start + timedelta(days=n + 1, hours=3) for n in range(10)]
    for n, when in enumerate(times):
        await ping_at(simcord_bot, world, f"w{n}", when, n)
    old = simcord_env.bot
    assert isinstance(old, PalletsBot)
    await old.stop_services()
    bot = create_bot(settings)
    bot.scheduler.max_armed = 8
    runs = install_ping(bot, world.general.id)
    await simcord_env.restart_bot(bot)
    await simcord_env.settle()
    assert bot.scheduler.armed == 8
    await simcord_env.advance_time(11 * 86400)
    assert sorted(job.key for job in runs) == sorted(f"w{n}" for n in range(50))
    # Each ran at its due time (a worker's pace allows ten a second).
    for job in runs:
        assert job.late is False
    assert len(pings(world)) == 50
    assert bot.scheduler.armed == 0


async def test_restart_with_a_thousand_far_jobs_arms_none_of_them(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot, settings: Settings
) -> None:
    install_ping(simcord_bot, world.general.id)
    start = utcnow()
    await simcord_bot.db.executemany(
        "INSERT INTO jobs (key, kind, guild_id, due_at, catch_up_seconds, payload, "
        "created_at) VALUES (?, ?, ?, ?, 3600, '{\"n\": 0}', 0)",
        [
            (f"bulk{n}", KIND, world.guild.id, int(start.timestamp()) + 86400 + n * 60)
            for n in range(1000)
        ],
    )
    await restart_with_ping(simcord_env, settings, world)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    assert bot.scheduler.armed == 0
    pending = await bot.db.fetchval(
        "SELECT count(*) FROM jobs WHERE kind = ? AND state = 'pending'", (KIND,)
    )
    assert pending == 1000


async def bulk_jobs(db: Database, dues: list[int], catch_up: int = 3600) -> None:
    await db.executemany(
        "INSERT INTO jobs (key, kind, guild_id, due_at, catch_up_seconds, payload, "
        "created_at) VALUES (?, ?, NULL, ?, ?, '{}', 0)",
        [(f"bulk{n}", KIND, due, catch_up) for n, due in enumerate(dues)],
    )


async def test_arming_a_full_window_gives_the_loop_turns_and_keeps_newer_triggers(
    db: Database,
) -> None:
    # Jobs due within the hour are armed at start-up a step at a time, other work
    # running in between; one moved (and armed again, as schedule() does) while
    # the window is armed keeps its new time.
    scheduler = Scheduler(db, default_catch_up=timedelta(hours=1))

    async def nothing(job: Job) -> None:
        del job

    scheduler.register(KIND, nothing)
    now = now_ts()
    count = 3 * LOOP_STEP + 7
    await bulk_jobs(db, [now + 600 + n for n in range(count)])
    last = await db.fetchval("SELECT max(id) FROM jobs")
    moved_to = now + 3000
    await scheduler.start()
    armed_at: list[int] = []
    arm = scheduler._arm
    async with other_work() as turns:

        def arm_and_move(job_id: int, due_at: int) -> None:
            first = not armed_at
            armed_at.append(turns.count)
            arm(job_id, due_at)
            if first:
                scheduler._track(last, moved_to)

        scheduler._arm = arm_and_move  # type: ignore[method-assign]
        try:
            await scheduler.recover()
        finally:
            assert scheduler._aps is not None
            trigger = scheduler._aps.get_job(str(last))
            armed = scheduler.armed
            await scheduler.shutdown()
    assert armed == count
    assert trigger is not None
    assert int(trigger.trigger.run_date.timestamp()) == moved_to
    assert armed_at[-1] - armed_at[0] >= 3


async def test_logging_many_missed_jobs_gives_the_loop_turns(db: Database) -> None:
    scheduler = Scheduler(db, default_catch_up=timedelta(hours=1))
    count = 3 * LOOP_STEP + 7
    await bulk_jobs(db, [now_ts() - 7200 - n for n in range(count)], catch_up=60)
    await scheduler.start()
    async with other_work() as turns:

        class Noting(logging.Handler):
            def __init__(self) -> None:
                super().__init__(logging.WARNING)
                self.seen: list[int] = []

            def emit(self, record: logging.LogRecord) -> None:
                if "missed by" in record.getMessage():
                    self.seen.append(turns.count)

        noting = Noting()
        logger = logging.getLogger("bot.scheduler")
        logger.addHandler(noting)
        try:
            await scheduler.recover()
        finally:
            logger.removeHandler(noting)
            await scheduler.shutdown()
    assert scheduler.stats.missed[KIND] == count
    assert len(noting.seen) == count
    assert noting.seen[-1] - noting.seen[0] >= 3


# -- catching up after downtime (issue #10 and #11) ------------------------------------

CATCH_UP_KIND = "test.catch_up"


def install_catch_up(bot: PalletsBot) -> list[Job]:
    """A job kind that posts into the channel named in its payload."""
    runs: list[Job] = []

    async def post(job: Job) -> None:
        runs.append(job)
        await bot.outbox.send(
            f"test:catch_up:{job.key}",
            job.payload["channel_id"],
            guild_id=job.guild_id,
            content=f"catch-up {job.payload['n']}",
        )

    bot.scheduler.register(CATCH_UP_KIND, post, catch_up=timedelta(hours=2))
    return runs


def record_requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, str, str]]:
    """Record (virtual time, method, path) of every REST call the bot makes."""
    log: list[tuple[float, str, str]] = []
    original = FakeHTTPClient.request

    async def recorded(self: FakeHTTPClient, route: Any, **kwargs: Any) -> Any:
        log.append((utcnow().timestamp(), route.method, route.path))
        return await original(self, route, **kwargs)

    monkeypatch.setattr(FakeHTTPClient, "request", recorded)
    return log


def record_responses(
    monkeypatch: pytest.MonkeyPatch,
) -> list[tuple[datetime, float]]:
    """Record (virtual time, wall time) of each first response to an interaction."""
    answered: list[tuple[datetime, float]] = []
    for name in ("send_message", "defer"):
        original = getattr(discord.InteractionResponse, name)

        def wrapper(original: Any) -> Any:
            async def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
                answered.append((utcnow(), time.perf_counter()))
                return await original(self, *args, **kwargs)

            return recorded

        monkeypatch.setattr(discord.InteractionResponse, name, wrapper(original))
    return answered


def catching_up(bot: PalletsBot) -> bool:
    return bot.scheduler.catching_up


def most_in_window(times: list[float], seconds: float) -> int:
    """The most requests in any half-open window [t, t + seconds)."""
    times = sorted(times)
    most = start = 0
    for end, moment in enumerate(times):
        while times[start] <= moment - seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_catch_up_after_downtime_sends_each_once_paced_while_serving_commands(
    simcord_env: simcord.Env,
    world: World,
    simcord_bot: PalletsBot,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 200 over 20 channels, due at once (PALLETS_CATCH_UP_JOBS=1000 for the bench's
    # size). simcord runs short sleeps in real time while it settles, so part of the
    # drain is real time: about 10 s.
    count = int(os.environ.get("PALLETS_CATCH_UP_JOBS", "200"))
    channels = max(count // 10, 1)
    targets = [world.guild.create_text_channel(f"room-{n}") for n in range(channels)]
    install_catch_up(simcord_bot)
    start = utcnow()
    for n in range(count):
        await simcord_bot.schedule(
            CATCH_UP_KIND,
            f"c{n}",
            start + timedelta(minutes=10, seconds=n),
            guild_id=world.guild.id,
            payload={"n": n, "channel_id": targets[n % channels].id},
        )
    # Down before any is due, back an hour later: all are due at once.
    old = simcord_env.bot
    assert isinstance(old, PalletsBot)
    await simcord_env.settle()
    await old.stop_services()
    await simcord_env.advance_time(3600)
    requests = record_requests(monkeypatch)
    bot = create_bot(settings)
    runs = install_catch_up(bot)
    catching_up_at_ready: list[bool] = []

    async def on_pallets_ready() -> None:
        catching_up_at_ready.append(bot.scheduler.catching_up)

    bot.add_listener(on_pallets_ready)
    await simcord_env.restart_bot(bot)
    # Ready is not held up by the catch-up, and commands are served during it.
    assert catching_up_at_ready == [True]
    assert catching_up(bot)
    assert len(runs) < count
    answered = record_responses(monkeypatch)
    before, wall = utcnow(), time.perf_counter()
    result = await world.helper.slash(world.general, "triage queue")
    assert result.response is not None
    # simcord settles the whole bot (the catch-up too) before it returns, so the
    # response's own time is what counts: Discord's deadline is 3 seconds.
    (answered_at, answered_wall), *_ = answered
    assert answered_at - before < timedelta(seconds=1)
    assert answered_wall - wall < 1
    # Ten seconds at a time: simcord gives each step 5 s of real time to settle.
    for _step in range(count // 100 + 3):
        await simcord_env.advance_time(10)
    await simcord_env.settle()
    assert not catching_up(bot)
    # Every job ran once, late, and each post went out once.
    assert sorted(job.key for job in runs) == sorted(f"c{n}" for n in range(count))
    assert all(job.late for job in runs)
    posted = [
        m.content
        for channel in targets
        for m in channel.history()
        if m.content.startswith("catch-up")
    ]
    assert sorted(posted) == sorted(f"catch-up {n}" for n in range(count))
    # Paced: well under Discord's 50 requests a second, and 5 in 5 s per channel.
    posts = [(t, path) for t, method, path in requests if method == "POST"]
    assert most_in_window([t for t, _method, _path in requests], 1.0) <= 20
    for channel in targets:
        path = f"/channels/{channel.id}/messages"
        assert most_in_window([t for t, p in posts if p == path], 5.0) <= 5
    rows = await bot.db.fetchall(
        "SELECT state, count(*) AS n FROM jobs WHERE kind = ? GROUP BY state",
        (CATCH_UP_KIND,),
    )
    assert [(row["state"], row["n"]) for row in rows] == [("done", count)]


# -- restarts and reconnects (issue #11) -----------------------------------------------

DAILY = "test.daily"


def next_midnight(after: datetime) -> datetime:
    return after.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def install_daily(bot: PalletsBot) -> list[Job]:
    """A daily job that plans its next run, as the digests do, and is ensured at ready."""
    runs: list[Job] = []

    async def plan() -> None:
        due = next_midnight(utcnow())
        await bot.schedule(DAILY, f"daily:{int(due.timestamp())}", due, guild_id=None)

    async def daily(job: Job) -> None:
        runs.append(job)
        await plan()

    async def on_pallets_ready() -> None:
        await plan()

    bot.scheduler.register(DAILY, daily, catch_up=timedelta(days=5))
    bot.add_listener(on_pallets_ready)
    return runs


async def daily_rows(bot: PalletsBot) -> list[tuple[str, str]]:
    rows = await bot.db.fetchall(
        "SELECT key, state FROM jobs WHERE kind = ? ORDER BY due_at", (DAILY,)
    )
    return [(row["key"], row["state"]) for row in rows]


async def restart_daily(env: simcord.Env, settings: Settings) -> PalletsBot:
    old = env.bot
    assert isinstance(old, PalletsBot)
    await env.settle()
    await old.stop_services()
    new = create_bot(settings)
    new.daily_runs = install_daily(new)  # type: ignore[attr-defined]
    await env.restart_bot(new)
    await env.settle()
    return new


async def test_downtime_over_several_due_times_catches_up_once_and_jobs_stay_put(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    bot = await restart_daily(simcord_env, settings)
    first = await daily_rows(bot)
    assert [state for _key, state in first] == ["pending"]
    # Down for three and a half days: three midnights pass.
    await down_for(simcord_env, 3.5 * 86400)
    bot = await restart_daily(simcord_env, settings)
    runs: list[Job] = bot.daily_runs  # type: ignore[attr-defined]
    assert [(job.key, job.late) for job in runs] == [(first[0][0], True)]
    after = await daily_rows(bot)
    assert [state for _key, state in after] == ["done", "pending"]
    for _restart in range(3):
        bot = await restart_daily(simcord_env, settings)
        assert bot.daily_runs == []  # type: ignore[attr-defined]
        assert await daily_rows(bot) == after
    await simcord_env.advance_time(86400)
    assert len(bot.daily_runs) == 1  # type: ignore[attr-defined]
    assert [state for _key, state in await daily_rows(bot)] == [
        "done",
        "done",
        "pending",
    ]


async def test_gateway_reconnect_starts_nothing_twice(tmp_path: Path) -> None:
    # A sharded bot, so that the reconnect goes through discord.py's own API.
    bot = create_bot(offline_settings(tmp_path, shard_count=1))
    assert isinstance(bot, ShardedPalletsBot)
    readies: list[str] = []

    async def on_ready() -> None:
        readies.append("ready")

    async def on_pallets_ready() -> None:
        readies.append("pallets_ready")

    async def on_shard_connect(shard_id: int) -> None:
        readies.append("connect")

    bot.add_listener(on_ready)
    bot.add_listener(on_pallets_ready)
    bot.add_listener(on_shard_connect)
    env = simcord.Env(bot)
    await env.start()
    try:
        # Outside simcord_env, the simulated clock is selected by hand.
        with env.time_context():
            world = await build_world(env)
            runs = install_ping(bot, world.general.id)
            await ping_at(bot, world, "p", utcnow() + timedelta(minutes=5))
            armed = bot.scheduler.armed
            shard = bot.get_shard(0)
            assert shard is not None
            await shard.disconnect()
            await shard.reconnect()
            # A single-shard client dispatches on_ready again after a new session.
            bot.dispatch("ready")
            await env.settle()
            assert readies.count("connect") == 2
            assert readies.count("ready") == 2
            assert readies.count("pallets_ready") == 1
            assert bot.scheduler.armed == armed
            await env.advance_time(600)
            assert len(runs) == 1
            assert pings(world) == ["ping 1"]
    finally:
        await env.shutdown()
        await bot.stop_services()


async def test_start_up_reads_use_the_state_and_due_time_index(tmp_path: Path) -> None:
    db = Database(tmp_path / "plans.sqlite3")
    await db.open()
    try:
        await db.migrate()
        for sql in HOT_SQL:
            params = (0,) if "?1" in sql else (0,) * sql.count("?")
            rows = await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " / ".join(row["detail"] for row in rows)
            assert "USING INDEX jobs_state_due" in plan or (
                "USING COVERING INDEX jobs_state_due" in plan
            ), (sql, plan)
            assert "TEMP B-TREE" not in plan, (sql, plan)
    finally:
        await db.close()


# -- what the outbox says after a job gives up ------------------------------------------


def ping_posts(env: simcord.Env, world: World) -> list[dict[str, Any]]:
    return [
        entry.json
        for entry in env.http_requests
        if entry.method == "POST"
        and entry.path == f"/channels/{world.general.id}/messages"
        and isinstance(entry.json, dict)
        and str(entry.json.get("content", "")).startswith("ping")
    ]


async def test_a_send_that_fails_for_good_is_failed_in_the_outbox_too(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    install_ping(simcord_bot, world.general.id)
    simcord_env.inject_error(
        "POST", f"/channels/{world.general.id}/messages", status=500, times=None
    )
    await ping_at(simcord_bot, world, "p", utcnow() + timedelta(minutes=1))
    await simcord_env.advance_time(60 + sum(backoff(n) for n in range(1, 5)) + 5)
    row = await simcord_bot.scheduler.get("p")
    assert row is not None and row["state"] == "failed" and row["attempts"] == 5
    status = await simcord_bot.outbox.status("test:ping:p")
    assert status is not None and not status.sent
    assert status.failed is not None and "500" in status.failed
    posts = ping_posts(simcord_env, world)
    assert len(posts) == 5
    assert {post["nonce"] for post in posts} == {nonce_for("test:ping:p")}


async def test_a_send_that_fails_twice_then_succeeds_is_sent_once_with_one_nonce(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    install_ping(simcord_bot, world.general.id)
    simcord_env.inject_error(
        "POST", f"/channels/{world.general.id}/messages", status=503, times=2
    )
    await ping_at(simcord_bot, world, "p", utcnow() + timedelta(minutes=1))
    # While the job waits for its retry, the send is pending, not failed.
    await simcord_env.advance_time(60)
    assert pings(world) == []
    status = await simcord_bot.outbox.status("test:ping:p")
    assert status is not None and status.failed is None and not status.sent
    await simcord_env.advance_time(backoff(1) + backoff(2) + 5)
    assert pings(world) == ["ping 1"]
    row = await simcord_bot.scheduler.get("p")
    assert row is not None and row["state"] == "done" and row["attempts"] == 3
    status = await simcord_bot.outbox.status("test:ping:p")
    assert status is not None and status.sent and status.failed is None
    posts = ping_posts(simcord_env, world)
    assert len(posts) == 3
    assert {post["nonce"] for post in posts} == {nonce_for("test:ping:p")}


# -- poison jobs, cancelled waiters, retry spacing ----------------------------------------
POISON = "test.poison"


def install_poison(bot: PalletsBot, runs: list[int]) -> None:
    """A job kind whose run never finishes: the bot is stopped while it runs, as
    when the job itself kills the process (a crash, an out-of-memory kill)."""

    async def poison(job: Job) -> None:
        runs.append(job.attempts)
        await asyncio.sleep(10**6)

    bot.scheduler.register(POISON, poison)


async def test_a_job_that_stops_the_bot_each_time_is_dead_after_the_limit(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot, settings: Settings
) -> None:
    """Attempts are checked when the job is claimed: a job that never finishes is
    run MAX_ATTEMPTS times, then set dead (never claimed again) and organisers told."""
    runs: list[int] = []
    install_poison(simcord_bot, runs)
    await simcord_bot.schedule(
        POISON, "poison:1", utcnow() + timedelta(minutes=1), guild_id=world.guild.id
    )
    await simcord_env.advance_time(61)
    for _ in range(MAX_ATTEMPTS + 3):
        old = simcord_env.bot
        assert isinstance(old, PalletsBot)
        await simcord_env.settle()
        await old.stop_services()  # the run is cut short: its row stays 'running'
        new = create_bot(settings)
        install_poison(new, runs)
        await simcord_env.restart_bot(new)
        await simcord_env.settle()
    assert runs == list(range(1, MAX_ATTEMPTS + 1))
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    row = await bot.scheduler.get("poison:1")
    assert row is not None and row["state"] == "dead", dict(row or {})
    told = [m.content for m in world.log.history() if "poison:1" in m.content]
    assert len(told) == 1, told
    assert str(MAX_ATTEMPTS) in told[0]


async def test_a_job_cancelled_while_it_waits_for_a_worker_never_runs(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    """More jobs due at once than there are workers: one waits its turn; cancelled
    meanwhile, it must not run when a worker frees up."""
    ran: list[str] = []
    release = asyncio.Event()

    async def busy(job: Job) -> None:
        ran.append(job.key)
        while not release.is_set():
            await asyncio.sleep(1)

    simcord_bot.scheduler.register("test.busy", busy)
    due = utcnow() + timedelta(minutes=1)
    for n in range(WORKERS + 1):
        await simcord_bot.schedule(
            "test.busy", f"busy:{n}", due, guild_id=world.guild.id
        )
    await simcord_env.advance_time(61)
    assert len(ran) == WORKERS
    (waiting,) = {f"busy:{n}" for n in range(WORKERS + 1)} - set(ran)
    assert await simcord_bot.scheduler.cancel(waiting)
    release.set()
    await simcord_env.advance_time(5)
    assert waiting not in ran
    row = await simcord_bot.scheduler.get(waiting)
    assert row is not None and row["state"] == "cancelled" and row["attempts"] == 0


async def test_a_job_failing_with_5xx_retries_at_growing_spaced_times(
    simcord_env: simcord.Env,
    world: World,
    simcord_bot: PalletsBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Retries wait 30 s, 1, 2 and 4 minutes (no sooner, no storm), then stop."""
    install_ping(simcord_bot, world.general.id)
    tries: list[float] = []
    original = router._check_faults
    path = f"/channels/{world.general.id}/messages"

    def timed(backend: Any, method: str, called: str) -> None:
        if (method, called) == ("POST", path):
            tries.append(utcnow().timestamp())
        original(backend, method, called)

    monkeypatch.setattr(router, "_check_faults", timed)
    simcord_env.inject_error("POST", path, status=503, times=None)
    await ping_at(simcord_bot, world, "p", utcnow() + timedelta(minutes=1))
    await simcord_env.advance_time(3600)
    gaps = [round(b - a) for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps == [backoff(n) for n in range(1, MAX_ATTEMPTS)] == [30, 60, 120, 240]
    row = await simcord_bot.scheduler.get("p")
    assert row is not None and row["state"] == "failed"
