"""A bot process to be killed: run by tests/reliability/test_crash.py.

It runs the real bot against simcord on a real database file, with due work that
posts through the scheduler and the outbox, and appends every REST call the bot
makes to a journal, flushed to disk before the call returns to the bot. The
simulated Discord dies with the process, so the parent judges from the journal.

Usage: python -m tests.reliability.crash_child DIR [--kill-after-post N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import simcord
from simcord.http.client import FakeHTTPClient

from bot.app import create_bot
from bot.clock import utcnow
from bot.scheduler import Job
from bot.testing import build_world
from bot.testing import test_settings

KIND = "crash.announce"
JOBS = 24
SPACING = timedelta(minutes=10)
STEP_SECONDS = 60
#: Real time between virtual steps, so that a kill at a random moment lands while
#: work is coming due rather than after the run has finished.
PACE_SECONDS = 0.01


def send_key(n: int) -> str:
    return f"crash:announce:{n}"


def _install_journal(journal: Path, kill_after_post: int | None) -> None:
    original = FakeHTTPClient.request
    posts = 0

    async def journaled(self: FakeHTTPClient, route: Any, **kwargs: Any) -> Any:
        nonlocal posts
        result = await original(self, route, **kwargs)
        sent = kwargs.get("json")
        body: dict[str, Any] = sent if isinstance(sent, dict) else {}
        line = {
            "method": route.method,
            "path": route.url.split("/api/v10", 1)[-1],
            "nonce": body.get("nonce"),
            "content": body.get("content"),
        }
        with journal.open("a", encoding="utf-8") as fp:
            fp.write(json.dumps(line) + "\n")
            fp.flush()
            os.fsync(fp.fileno())
        if route.method == "POST" and line["nonce"]:
            posts += 1
            if kill_after_post is not None and posts >= kill_after_post:
                # Discord has the message; the bot has not recorded it yet.
                os.kill(os.getpid(), signal.SIGKILL)
        return result

    FakeHTTPClient.request = journaled  # type: ignore[method-assign]


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
                # Atomically: a kill mid-write must not leave a torn file.
                partial = progress_file.with_suffix(".partial")
                partial.write_text(str(done_virtual))
                os.replace(partial, progress_file)
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
    args = parser.parse_args()
    asyncio.run(run(args.directory, args.kill_after_post))


if __name__ == "__main__":
    main()
