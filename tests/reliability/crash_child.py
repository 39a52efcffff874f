"""A bot process to be killed: run by tests/reliability/test_crash.py.

It runs the real bot against simcord on a real database file, with due work that
posts through the scheduler and the outbox, and appends every REST call the bot
makes to a journal, flushed to disk before the call returns to the bot. The
simulated Discord dies with the process, so the parent judges from the journal.

Two kinds of work:

- ``synthetic`` (the default): a job kind of its own announcing ``JOBS`` times.
- ``real``: the cogs' own timed work, seeded once through their commands by a run
  with ``--seed`` (a chat with its announcement and reminder, an event with RSVPs
  and its reminders, a mentoring pair with daily check-ins, the triage digest).
  The simulated Discord dies with each process, so later runs rebuild the same
  world and recreate the threads the seed run made (their ids are kept in
  ``threads.json``); the bot's database is the only thing that carries over.
- ``events``: an organiser publishes an event; with ``--kill-after-event`` the
  process is killed right after Discord made the event's Discord scheduled event
  and before the bot recorded it. The next run recreates, in its new simulated
  Discord, the scheduled events Discord kept (``discord_events.json``), restarts
  the bot into that server as a real restart would, and writes the server's
  scheduled events and the bot's record of them to ``outcome.json``.

Usage: python -m tests.reliability.crash_child DIR [--mode real|events] [--seed]
       [--kill-after-post N] [--kill-after-event]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import simcord
from simcord.backend.models import ScheduledEvent
from simcord.http.client import FakeHTTPClient

from bot import app
from bot.app import create_bot
from bot.clock import utcnow
from bot.devtools.testing import build_world
from bot.devtools.testing import post_question
from bot.devtools.testing import restart
from bot.devtools.testing import test_settings
from bot.devtools.testing import World
from bot.scheduler import Job

REAL_END_SECONDS = 37 * 3600
REAL_STEP_SECONDS = 600

KIND = "crash.announce"
JOBS = 24
SPACING = timedelta(minutes=10)
STEP_SECONDS = 60
#: Real time between virtual steps, so that a kill at a random moment lands while
#: work is coming due rather than after the run has finished.
PACE_SECONDS = 0.01


def send_key(n: int) -> str:
    return f"crash:announce:{n}"


#: Discord scheduled events, as Discord keeps them whatever happens to the bot.
DISCORD_EVENTS = "discord_events.json"
SCHEDULED_EVENTS = re.compile(r"^/guilds/\d+/scheduled-events$")


def _install_journal(
    journal: Path, kill_after_post: int | None, kill_after_event: bool = False
) -> None:
    original = FakeHTTPClient.request
    posts = 0
    #: DM channel ids differ from one simulated Discord to the next; recipients don't.
    dm_of: dict[str, str] = {}

    async def journaled(self: FakeHTTPClient, route: Any, **kwargs: Any) -> Any:
        nonlocal posts
        result = await original(self, route, **kwargs)
        sent = kwargs.get("json")
        if sent is None and isinstance(kwargs.get("form"), list):
            for part in kwargs["form"]:
                if part.get("name") == "payload_json":
                    sent = json.loads(part["value"])
        body: dict[str, Any] = sent if isinstance(sent, dict) else {}
        path = route.url.split("/api/v10", 1)[-1]
        if path == "/users/@me/channels" and isinstance(result, dict):
            dm_of[str(result["id"])] = f"dm:{body.get('recipient_id')}"
        channel = path.split("/")[2] if path.startswith("/channels/") else ""
        if channel in dm_of:
            path = path.replace(channel, dm_of[channel], 1)
        line = {
            # Simulated time: the judge checks resends against Discord's window.
            "at": discord.utils.utcnow().timestamp(),
            "method": route.method,
            "path": path,
            "nonce": body.get("nonce"),
            "content": body.get("content"),
            "embeds": [
                [e.get("title"), e.get("description")] for e in body.get("embeds") or []
            ],
            "components": sorted(
                str(c.get("custom_id"))
                for row in body.get("components") or []
                for c in row.get("components", [])
            ),
        }
        with journal.open("a", encoding="utf-8") as fp:
            fp.write(json.dumps(line) + "\n")
            fp.flush()
            os.fsync(fp.fileno())
        if (
            route.method == "POST"
            and SCHEDULED_EVENTS.match(path)
            and isinstance(result, dict)
        ):
            kept = journal.parent / DISCORD_EVENTS
            made = json.loads(kept.read_text()) if kept.exists() else []
            kept.write_text(json.dumps([*made, result]))
            _fsync(kept)
            if kill_after_event:
                # Discord has the scheduled event; the bot has not recorded it yet.
                os.kill(os.getpid(), signal.SIGKILL)
        if route.method == "POST" and line["nonce"]:
            posts += 1
            if kill_after_post is not None and posts >= kill_after_post:
                # Discord has the message; the bot has not recorded it yet.
                os.kill(os.getpid(), signal.SIGKILL)
        return result

    FakeHTTPClient.request = journaled  # type: ignore[method-assign]


def _fsync(path: Path) -> None:
    with path.open("rb") as fp:
        os.fsync(fp.fileno())


def _save_progress(progress_file: Path, done_virtual: int) -> None:
    # Atomically: a kill mid-write must not leave a torn file.
    partial = progress_file.with_suffix(".partial")
    partial.write_text(str(done_virtual))
    os.replace(partial, progress_file)


async def seed_real_work(env: simcord.Env, world: World) -> list[dict[str, Any]]:
    """Give every cog timed work through its commands; return the threads made."""
    from tests.cogs.chats.test_cog import announcement
    from tests.cogs.chats.test_cog import create_series
    from tests.cogs.events.test_cog import publish_event
    from tests.cogs.mentorship.test_cog import paired

    # A chat on the first Thursday, 2026-01-01 17:00 Paris (16:00 UTC): opened at
    # once, reminded at 15:00 UTC, ended at 17:00 UTC (which plans February's).
    await create_series(world, week="1")
    await env.settle()
    await world.alice.click(announcement(world), label="Interested")
    # An event on 01-02 12:00 Paris (11:00 UTC): DMs to those going 24 hours
    # before, a channel reminder 1 hour before.
    _event_id, message = await publish_event(
        env, world, start="2026-01-02 12:00", end="2026-01-02 14:00"
    )
    await world.alice.click(message, label="Going (0)")
    updated = world.events.last_message
    assert updated is not None
    await world.bob.click(updated, label="Going (1)")
    # A mentoring pair with a check-in every day.
    await world.organiser.slash(world.general, "mentor-admin checkins", days=1)
    await paired(world)
    # A question, so the daily triage digest (09:00 UTC) has something to say.
    await post_question(world, world.carol, "Blueprint import error", "Traceback...")
    await env.settle()
    threads = []
    for channel in env.backend.channels.values():
        if channel.guild_id == world.guild.id and channel.type in (11, 12):
            threads.append(
                {
                    "id": channel.id,
                    "parent_id": channel.parent_id,
                    "owner_id": channel.owner_id,
                    "type": channel.type,
                    "name": channel.name,
                    "members": sorted(channel.thread_members),
                }
            )
    return threads


def recreate_threads(env: simcord.Env, threads: list[dict[str, Any]]) -> None:
    """Bring back the seed run's threads, with their ids, in a new simulated Discord."""
    for spec in threads:
        thread = env.backend.create_thread(
            spec["parent_id"],
            spec["name"],
            spec["owner_id"],
            type=spec["type"],
            message_id=spec["id"],
            broadcast=False,
        )
        for member in spec["members"]:
            thread.thread_members[member] = env.backend.now_iso()


async def run_real(directory: Path, kill_after_post: int | None, seed: bool) -> None:
    progress_file = directory / "progress"
    threads_file = directory / "threads.json"
    done_virtual = int(progress_file.read_text()) if progress_file.exists() else 0
    _install_journal(directory / "journal.jsonl", kill_after_post)
    settings = test_settings(directory)
    bot = create_bot(settings)
    env = simcord.Env(bot)
    await env.start()
    try:
        with env.time_context():
            world = await build_world(env)
            if seed:
                threads = await seed_real_work(env, world)
                threads_file.write_text(json.dumps(threads))
                return
            recreate_threads(env, json.loads(threads_file.read_text()))
            await env.advance_time(done_virtual)
            while done_virtual < REAL_END_SECONDS:
                await env.advance_time(REAL_STEP_SECONDS)
                done_virtual += REAL_STEP_SECONDS
                _save_progress(progress_file, done_virtual)
                time.sleep(PACE_SECONDS)
            await env.settle()
            (directory / "finished").write_text("yes")
    finally:
        await env.shutdown()
        await bot.stop_services()


#: The events mode's server: its id is the same in every run, whatever else the
#: bot of that run created first (the ids simcord hands out depend on it).
EVENTS_GUILD_ID = 4_200_000_000_000_000


def recreate_discord_events(env: simcord.Env, kept: list[dict[str, Any]]) -> None:
    """Bring back the scheduled events Discord made, with their ids, made by the bot."""
    for payload in kept:
        guild = env.backend.get_guild(int(payload["guild_id"]))
        event = ScheduledEvent(
            id=int(payload["id"]),
            guild_id=guild.id,
            name=payload["name"],
            creator_id=env.backend.bot_user.id,
            scheduled_start_time=payload["scheduled_start_time"],
            entity_type=int(payload["entity_type"]),
            channel_id=int(payload["channel_id"]) if payload["channel_id"] else None,
            description=payload["description"],
            scheduled_end_time=payload["scheduled_end_time"],
            entity_metadata=payload["entity_metadata"],
        )
        guild.scheduled_events[event.id] = event


async def run_events(directory: Path, seed: bool, kill_after_event: bool) -> None:
    """Publish an event (``seed``), or restart the bot into the server it left."""
    _install_journal(directory / "journal.jsonl", None, kill_after_event)
    settings = test_settings(directory)
    everything = app.cog_names
    if not seed:
        # The server (with the Discord events it kept) is there before the bot
        # connects, as after a real restart: a bot with only /setup builds it.
        app.cog_names = lambda: ["cogs.setup"]
    bot = create_bot(settings)
    env = simcord.Env(bot)
    try:
        await env.start()
    finally:
        app.cog_names = everything
    try:
        with env.time_context():
            world = await build_world(env, guild_id=EVENTS_GUILD_ID)
            if seed:
                from tests.cogs.events.test_cog import publish_event

                await publish_event(env, world)
                return
            kept = directory / DISCORD_EVENTS
            recreate_discord_events(
                env, json.loads(kept.read_text()) if kept.exists() else []
            )
            bot = await restart(env, settings)
            await env.advance_time(60)
            await env.settle()
            recorded = await bot.db.fetchall(
                "SELECT id, scheduled_event_id FROM events ORDER BY id"
            )
            guild = env.backend.get_guild(world.guild.id)
            outcome = {
                "discord": sorted(guild.scheduled_events),
                "recorded": [
                    [row["id"], row["scheduled_event_id"]] for row in recorded
                ],
            }
            (directory / "outcome.json").write_text(json.dumps(outcome))
            (directory / "finished").write_text("yes")
    finally:
        await env.shutdown()
        await bot.stop_services()


async def run(directory: Path, kill_after_post: int | None) -> None:
    progress_file = directory / "progress"
    done_virtual = int(progress_file.read_text()) if progress_file.exists() else 0
    _install_journal(directory / "journal.jsonl", kill_after_post)
    settings = test_settings(directory)
    bot = create_bot(settings)

    async def announce(job: Job) -> None:
        await bot.outbox.send(
            send_key(job.payload["n"]),
            job.payload["channel_id"],
            guild_id=job.guild_id,
            content=f"announcement {job.payload['n']}",
        )

    bot.scheduler.register(KIND, announce, catch_up=timedelta(days=1))
    env = simcord.Env(bot)
    await env.start()
    try:
        with env.time_context():
            # simcord's ids and clock are reproducible: every run builds the same
            # world at the same instant, and scheduling is idempotent by key, so a
            # run killed while scheduling is completed by the next one.
            world = await build_world(env)
            start = utcnow()
            for n in range(JOBS):
                await bot.schedule(
                    KIND,
                    f"crash:job:{n}",
                    start + SPACING * (n + 1),
                    guild_id=world.guild.id,
                    payload={"n": n, "channel_id": world.general.id},
                )
            # Each run starts at simcord's epoch: move back to where the last one was.
            await env.advance_time(done_virtual)
            end = int(SPACING.total_seconds()) * (JOBS + 1)
            while done_virtual < end:
                await env.advance_time(STEP_SECONDS)
                done_virtual += STEP_SECONDS
                _save_progress(progress_file, done_virtual)
                time.sleep(PACE_SECONDS)
            await env.settle()
            (directory / "finished").write_text("yes")
    finally:
        await env.shutdown()
        await bot.stop_services()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--kill-after-post", type=int, default=None)
    parser.add_argument("--kill-after-event", action="store_true")
    parser.add_argument(
        "--mode", choices=["synthetic", "real", "events"], default="synthetic"
    )
    parser.add_argument("--seed", action="store_true")
    args = parser.parse_args()
    if args.mode == "events":
        asyncio.run(run_events(args.directory, args.seed, args.kill_after_event))
    elif args.mode == "real":
        asyncio.run(run_real(args.directory, args.kill_after_post, args.seed))
    else:
        asyncio.run(run(args.directory, args.kill_after_post))


if __name__ == "__main__":
    main()
