"""Start-up as a whole process: from exec to ready, and to the first answered command.

The parent notes the time, then starts a fresh Python process under GNU time's
``-v`` (which reports the process's wall time and peak RSS); the child imports the
bot, opens the seeded database (10,000 pending jobs wait in it), connects to simcord's
Discord where the server already exists, and prints the moments it was ready and a
member's first command was answered. Both read ``CLOCK_MONOTONIC``, which simcord's
virtual clock does not touch. Reproduce one run by hand with the command printed as
``command`` in the results (``/usr/bin/time -v python -m bench.startup child ...``).

The child also notes when its imports were done, and how long importing simcord (the
test harness standing in for Discord, not part of the bot) took on top of
discord.py, so the bot's own share is plain.

Bytecode: a deployed bot reads its modules' compiled bytecode (the systemd unit keeps
it in its cache directory, ``PYTHONPYCACHEPREFIX``), so the children do too, from
:data:`BYTECODE` (and write it there, whatever ``PYTHONDONTWRITEBYTECODE`` says). The
first run after the code changed compiles what changed, as the first start after an
upgrade does: it runs before the measured ones and is reported on its own.
"""

from __future__ import annotations

import time

_EXEC = time.clock_gettime(time.CLOCK_MONOTONIC)

# Only what the child needs: the measuring parent's modules (argparse, statistics,
# subprocess, ...) are imported where it uses them, not timed as the bot's start.
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

GNU_TIME = "/usr/bin/time"
#: Where the children keep compiled bytecode between runs.
BYTECODE = Path(__file__).resolve().parent / ".cache" / "bytecode"


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def child(database: Path, guild_id: int, commands: Path) -> None:
    """The measured process: print a JSON line of monotonic stamps, then exit.

    ``commands`` holds the slash commands Discord has from the run before (none
    before the first): a restart finds them registered, as on Discord, and the bot
    then syncs only when they changed (:mod:`bot.command_sync`). The commands Discord
    holds when this run ends are written back there.
    """
    stamps: dict[str, float] = {"interpreter": _EXEC}
    cpu: dict[str, float] = {}
    import discord

    stamps["discord.py imported"] = now()
    import simcord

    stamps["simcord imported"] = now()
    import asyncio

    from bot.app import create_bot
    from bot.devtools.testing import test_settings

    stamps["bot imported"] = now()

    async def main() -> None:
        bot = create_bot(test_settings(database.parent))
        ready = asyncio.Event()

        async def on_pallets_ready() -> None:
            stamps["ready"] = now()
            # What the start cost the machine, whatever else ran: on a busy machine
            # the wall time also holds the waits for a CPU.
            cpu["CPU seconds to ready"] = time.process_time()
            ready.set()

        bot.add_listener(on_pallets_ready, "on_pallets_ready")
        env = simcord.Env(bot, settle_timeout=900)
        with env.time_context():
            # The server exists before the bot connects, as on every restart.
            guild = env.create_guild("Pallets", id=guild_id)
            general = guild.create_text_channel("general")
            member = guild.add_member(env.create_user("alice"))
            if commands.is_file():
                env.backend.register_commands(None, json.loads(commands.read_text()))
            answered: list[float] = []
            log = env.backend.http_requests

            class Noting(list[Any]):
                def append(self, entry: Any) -> None:
                    if not answered and entry.path.endswith("/callback"):
                        answered.append(now())
                    super().append(entry)

            env.backend.http_requests = Noting(log)
            await env.start()
            await ready.wait()
            await member.slash(general, "event list")
            stamps["first command answered"] = answered[0] if answered else now()
            stamps["synced"] = float(
                any(
                    entry.method == "PUT" and entry.path.endswith("/commands")
                    for entry in env.backend.http_requests
                )
            )
            await env.shutdown()
            await bot.stop_services()
            from simcord.backend.ops.commands import COMMAND_FIELDS

            held = env.backend.commands.get(None, {}).values()
            commands.write_text(
                json.dumps([{k: c[k] for k in COMMAND_FIELDS if k in c} for c in held])
            )

    del discord
    asyncio.run(main())
    print(json.dumps(stamps | {"cpu": cpu}), flush=True)


def _gnu_time(stderr: str) -> dict[str, float]:
    import re

    found: dict[str, float] = {}
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    if rss:
        found["peak_rss_mb"] = int(rss.group(1)) / 1024
    wall = re.search(
        r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", stderr
    )
    if wall:
        seconds = 0.0
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
        found["process_seconds"] = seconds
    return found


def measure(database: Path, runs: int) -> dict[str, Any]:
    """Start ``runs`` fresh processes on copies of ``database``; the spread of each.

    One run goes first, reported as ``first``: it compiles the bytecode and syncs the
    commands, as the first start after an install or upgrade does. The measured runs
    are restarts after it: each on a copy of the database that run left, with the
    commands it registered already on (simcord's) Discord.
    """
    import shutil
    import statistics
    import subprocess

    from bench.seed import GUILD_ID

    command = [sys.executable, "-m", "bench.startup", "child", "--database"]
    use_time = os.access(GNU_TIME, os.X_OK)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(BYTECODE)
    per_run: list[dict[str, float]] = []
    work = database.parent / "startup"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    commands = work / "commands.json"
    after_first = work / "after-first.sqlite3"
    for index in range(runs + 1):
        run_dir = work / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir()
        copy = run_dir / "pallets-bot.sqlite3"
        shutil.copyfile(database if index == 0 else after_first, copy)
        full = [*command, str(copy), "--guild", str(GUILD_ID)]
        full += ["--commands", str(commands)]
        if use_time:
            full = [GNU_TIME, "-v", *full]
        started = now()
        done = subprocess.run(
            full, capture_output=True, text=True, check=False, env=env
        )
        if done.returncode != 0:
            raise RuntimeError(f"start-up run failed: {done.stderr[-2000:]}")
        stamps = json.loads(done.stdout.strip().splitlines()[-1])
        synced = stamps.pop("synced")
        cpu = stamps.pop("cpu")
        run = {name: at - started for name, at in stamps.items()}
        run["simcord import"] = (
            stamps["simcord imported"] - stamps["discord.py imported"]
        )
        run["commands synced"] = synced
        run |= cpu
        run |= _gnu_time(done.stderr)
        per_run.append(run)
        if index == 0:
            shutil.copyfile(copy, after_first)
    shutil.rmtree(work, ignore_errors=True)
    first, per_run = per_run[0], per_run[1:]
    keys = per_run[0].keys()
    return {
        "runs": runs,
        "first": first,
        "median": {k: statistics.median(r[k] for r in per_run) for k in keys},
        "max": {k: max(r[k] for r in per_run) for k in keys},
        "command": " ".join(
            ([f"PYTHONPYCACHEPREFIX={BYTECODE}", GNU_TIME, "-v"] if use_time else [])
            + [*command, "<copy>", "--guild", str(GUILD_ID)]
            + ["--commands", "<commands.json>"]
        ),
    }


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("mode", choices=("child", "measure"))
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--guild", type=int, help="the server's id (child)")
    parser.add_argument(
        "--commands", type=Path, help="the commands Discord holds (child)"
    )
    args = parser.parse_args(argv)
    if args.mode == "child":
        child(args.database, args.guild, args.commands)
    else:
        print(json.dumps(measure(args.database, args.runs)))


if __name__ == "__main__":
    main()
