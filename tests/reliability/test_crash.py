"""Kill the bot while work is due; nothing is lost or doubled.

Two ways to kill it:

- **Enumerated, in-process, with downtime** (``_kills.py``): each kind of work is
  killed at each step in turn (before the send, after Discord stored it, after the
  commit) or has its answer lost, and the bot stays down 0 to 2 hours of simulated
  time after each kill, while Discord (simcord, with its nonce window emulated) keeps
  everything. ``PALLETS_CRASH_RUNS`` is the number of kills that must land (default
  36; the issue's bar is 200).
- **Real SIGKILLs of a bot process** at random moments (``crash_child.py``), for a
  synthetic job kind (``PALLETS_CRASH_SIGKILLS`` kills, default 6) and the cogs' own
  timed work (``PALLETS_CRASH_REAL_RUNS``, default 4). The simulated Discord dies with
  each process, so these restart at once and are judged from a journal of requests.

``PALLETS_CRASH_SEED`` changes where the kills land and how long the bot stays down.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot.app import create_bot
from bot.app import PalletsBot
from bot.devtools.testing import build_world
from bot.devtools.testing import test_settings as offline_settings
from bot.errors import is_expected
from bot.outbox import nonce_for
from bot.outbox import NONCE_LENGTH
from bot.paths import ROOT
from tests.reliability._discord import Fidelity
from tests.reliability._discord import NONCE_WINDOW
from tests.reliability._kills import bring_back
from tests.reliability._kills import install_wire
from tests.reliability._kills import Killer
from tests.reliability._kills import KINDS
from tests.reliability._kills import points
from tests.reliability._kills import STEPS
from tests.reliability._kills import Workload
from tests.reliability.crash_child import JOBS
from tests.reliability.crash_child import send_key

RUNS = int(os.environ.get("PALLETS_CRASH_SIGKILLS", "6"))
REAL_RUNS = int(os.environ.get("PALLETS_CRASH_REAL_RUNS", "4"))


def start_child(directory: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.crash_child", str(directory), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(directory: Path, *extra: str) -> None:
    """Run the bot without killing it until its work is done."""
    for _attempt in range(3):
        child = start_child(directory, *extra)
        _out, err = child.communicate(timeout=120)
        if (directory / "finished").exists():
            return
        assert child.returncode == 0, err.decode()[-3000:]
    raise AssertionError("the bot never finished its work")


def journal_lines(directory: Path) -> list[str]:
    return (directory / "journal.jsonl").read_text().splitlines()


def journal_posts(directory: Path) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in journal_lines(directory)]
    return [e for e in entries if e["method"] == "POST" and e["nonce"]]


def assert_no_resend_past_the_window(posts: list[dict[str, Any]]) -> None:
    """A resend with a nonce whose first use is older than Discord's window would be
    a second post on Discord: none may happen."""
    first: dict[str, float] = {}
    for post in posts:
        at = float(post["at"])
        first.setdefault(post["nonce"], at)
        assert at - first[post["nonce"]] <= NONCE_WINDOW, post


def judge(directory: Path) -> None:
    posts = journal_posts(directory)
    assert_no_resend_past_the_window(posts)
    nonces_by_content: dict[str, set[str]] = defaultdict(set)
    for post in posts:
        assert len(post["nonce"]) <= NONCE_LENGTH
        nonces_by_content[post["content"]].add(post["nonce"])
    expected = {f"announcement {n}": nonce_for(send_key(n)) for n in range(JOBS)}
    # Every due send was posted at least once...
    assert set(nonces_by_content) == set(expected)
    # ...and each logical send only ever with its one nonce, which Discord
    # deduplicates under enforce_nonce: a resend after a crash is not a second post.
    for content, nonces in nonces_by_content.items():
        assert nonces == {expected[content]}, content
    with sqlite3.connect(directory / "pallets-bot.sqlite3") as db:
        jobs = db.execute(
            "SELECT state, count(*) FROM jobs WHERE kind = 'crash.announce' GROUP BY state"
        ).fetchall()
        sent = db.execute(
            "SELECT count(*) FROM outbox WHERE key LIKE 'crash:announce:%' AND state = 'sent'"
        ).fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert jobs == [("done", JOBS)]  # no job lost, none added by restarts
    assert sent == JOBS


@pytest.mark.timeout(900)
def test_kills_while_work_is_due_lose_and_double_nothing(tmp_path: Path) -> None:
    # First between the Discord call and the commit: Discord has the message, the
    # database does not know yet.
    for n in (1, 2, 5):
        child = start_child(tmp_path, "--kill-after-post", str(n))
        child.communicate(timeout=120)
        assert child.returncode == -signal.SIGKILL
    # Then anywhere at all.
    rng = random.Random(os.environ.get("PALLETS_CRASH_SEED", "pallets"))
    for _run in range(RUNS):
        if (tmp_path / "finished").exists():
            break
        child = start_child(tmp_path)
        # Importing discord.py and starting the bot takes about a second; the due
        # work then runs for a few seconds: land the kill anywhere in there.
        time.sleep(rng.uniform(0.8, 3.5))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    finish(tmp_path)
    judge(tmp_path)
    assert len(journal_posts(tmp_path)) > JOBS  # the killed posts really were resent


# -- the cogs' real work ------------------------------------------------------------------
REAL = ("--mode", "real")


def seed(directory: Path) -> None:
    child = start_child(directory, *REAL, "--seed")
    _out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()[-3000:]


def fingerprint(post: dict[str, Any]) -> str:
    """What a member would see: where, the text, the embeds and the buttons."""
    return json.dumps(
        [post["path"], post["content"], post["embeds"], post["components"]]
    )


#: Rows the cogs keep; none may be lost (or added) by crashes.
TABLES = (
    "chat_series",
    "chat_occurrences",
    "chat_interest",
    "events",
    "event_rsvps",
    "mentor_pairings",
    "mentor_checkins",
    "triage_questions",
)


def database_summary(directory: Path) -> dict[str, Any]:
    with sqlite3.connect(directory / "pallets-bot.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            "jobs": db.execute(
                "SELECT kind, state, count(*) FROM jobs GROUP BY kind, state "
                "ORDER BY kind, state"
            ).fetchall(),
            "outbox": db.execute(
                "SELECT key, state, nonce FROM outbox ORDER BY key"
            ).fetchall(),
            "rows": {
                table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in TABLES
            },
        }


def judge_real(crashed: Path, reference: Path) -> None:
    """Compare a run that was killed many times with one that never was."""
    expected: dict[str, set[str]] = defaultdict(set)
    for post in journal_posts(reference):
        expected[fingerprint(post)].add(post["nonce"])
    seen: dict[str, set[str]] = defaultdict(set)
    assert_no_resend_past_the_window(journal_posts(crashed))
    for post in journal_posts(crashed):
        assert len(post["nonce"]) <= NONCE_LENGTH
        seen[fingerprint(post)].add(post["nonce"])
    # Every due send was posted at least once, nothing else was posted, and each
    # logical send only ever with its own nonce: a resend is deduplicated by Discord.
    assert set(seen) == set(expected)
    for key, nonces in seen.items():
        assert nonces == expected[key], key
    crashed_db, reference_db = database_summary(crashed), database_summary(reference)
    assert crashed_db["rows"] == reference_db["rows"]  # no row lost
    assert crashed_db["jobs"] == reference_db["jobs"]  # none lost, none added
    assert crashed_db["outbox"] == reference_db["outbox"]


@pytest.mark.timeout(900)
def test_random_kills_during_the_cogs_real_work_lose_and_double_nothing(
    tmp_path: Path,
) -> None:
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    crashed.mkdir()
    seed(crashed)
    shutil.copytree(crashed, reference)  # the same seed, never to be killed
    finish(reference, *REAL)
    # First between Discord's answer and the commit, then anywhere at all.
    for n in (1, 2):
        child = start_child(crashed, *REAL, "--kill-after-post", str(n))
        child.communicate(timeout=120)
        assert child.returncode == -signal.SIGKILL
    rng = random.Random(os.environ.get("PALLETS_CRASH_SEED", "pallets"))
    for _run in range(REAL_RUNS):
        if (crashed / "finished").exists():
            break
        child = start_child(crashed, *REAL)
        time.sleep(rng.uniform(1.5, 6.0))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    finish(crashed, *REAL)
    judge_real(crashed, reference)
    # The killed posts really were resent (with their nonce).
    assert len(journal_posts(crashed)) > len(journal_posts(reference))


# -- an event's Discord event, made just before a kill ------------------------------------
EVENTS = ("--mode", "events")


def test_a_kill_after_discord_made_an_events_discord_event_makes_no_second(
    tmp_path: Path,
) -> None:
    """Killed after Discord made the Discord event of an event being published, and
    before the bot recorded it: after the restart, the server has that one Discord
    event, recorded, and the bot never asked Discord for another."""
    child = start_child(tmp_path, *EVENTS, "--seed", "--kill-after-event")
    _out, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err.decode()[-3000:]
    with sqlite3.connect(tmp_path / "pallets-bot.sqlite3") as db:
        killed = db.execute(
            "SELECT state, message_id, scheduled_event_id FROM events"
        ).fetchall()
    # Published and announced, the Discord event made but not recorded.
    [(state, message_id, scheduled_event_id)] = killed
    assert (state, scheduled_event_id) == ("published", None) and message_id
    finish(tmp_path, *EVENTS)
    outcome = json.loads((tmp_path / "outcome.json").read_text())
    made = json.loads((tmp_path / "discord_events.json").read_text())
    assert len(made) == 1, "Discord was asked for a second event"
    assert outcome["discord"] == [int(made[0]["id"])]
    assert outcome["recorded"] == [[1, int(made[0]["id"])]]
    asked = [
        e
        for e in (json.loads(line) for line in journal_lines(tmp_path))
        if e["method"] == "POST" and e["path"].endswith("/scheduled-events")
    ]
    assert len(asked) == 1


# -- enumerated kills, with downtime, Discord alive across them -----------------------------
#: Kills that must land in the enumerated test (CI's bounded run; 200 for the issue's).
KILLS = int(os.environ.get("PALLETS_CRASH_RUNS", "36"))
#: The longest a killed bot stays down (simulated): past every nonce window.
MAX_DOWNTIME = 2 * 3600
#: Simulated time between looks at the bot, and how long the run may take at most.
STEP = 30
MAX_STEPS_PER_KILL = 400
#: Real seconds one step may take before the run counts as hung.
STALL_SECONDS = float(os.environ.get("PALLETS_CRASH_STALL_SECONDS", "300"))


@pytest.mark.timeout(3600)
async def test_kills_at_every_step_with_downtime_make_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every kind of work (a post, a DM, an edit, a scheduled event, a thread, a reply
    to a member) is killed at each step in turn (before the send, after Discord
    stored it, after the commit), and its answer lost besides; each kill is followed
    by 0 to 2 hours down. Discord keeps everything across kills and deduplicates a
    nonce for 5 minutes only. In the end every piece of work was done exactly once:
    one message, event or thread each, edits applied, no nonce reused past the
    window, every job done, every send recorded."""
    rng = random.Random(os.environ.get("PALLETS_CRASH_SEED", "pallets"))
    settings = offline_settings(tmp_path)
    fidelity = Fidelity().install(monkeypatch)
    killer = Killer(settings.database_path, tmp_path / "at-the-kill.sqlite3")
    install_wire(killer, monkeypatch)
    bot = create_bot(settings)
    env = simcord.Env(bot)
    await env.start()
    watchdog = Watchdog(asyncio.current_task())
    monkeypatch.setattr(simcord.Env, "advance_time", watchdog.wrap(env.advance_time))
    try:
        with env.time_context(), watchdog:
            bot = await run_enumerated(env, settings, killer, fidelity, rng)
    finally:
        bot_now = env.bot
        await env.shutdown()
        if isinstance(bot_now, PalletsBot):
            await bot_now.stop_services()


class Watchdog:
    """Fail (with every task's stack) instead of hanging when the clock stops moving.

    The run is many short steps of simulated time; one that takes longer than
    :data:`STALL_SECONDS` of real time is a hang worth reading, not waiting out.
    """

    def __init__(self, task: asyncio.Task[Any] | None) -> None:
        self._task = task
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._loop = asyncio.get_running_loop()
        self.stalled = False

    def wrap(self, advance: Any) -> Any:
        async def advanced(_env: Any, seconds: float) -> None:
            self._last = time.monotonic()
            await advance(seconds)
            self._last = time.monotonic()

        return advanced

    def __enter__(self) -> Watchdog:
        threading.Thread(target=self._watch, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert not self.stalled, "the run stalled; the tasks' stacks are printed above"

    def _watch(self) -> None:
        while not self._stop.wait(5):
            if time.monotonic() - self._last > STALL_SECONDS:
                self.stalled = True
                self._loop.call_soon_threadsafe(self._dump_and_stop)
                return

    def _dump_and_stop(self) -> None:
        for task in asyncio.all_tasks():
            waiter = getattr(task, "_fut_waiter", None)
            print(f"--- task {task.get_name()}, waiting for {waiter!r}")
            # The whole chain of awaits (a task's own stack shows only its top).
            awaited: Any = task.get_coro()
            while awaited is not None:
                frame = getattr(awaited, "cr_frame", None) or getattr(
                    awaited, "gi_frame", None
                )
                if frame is not None:
                    print(
                        f"    {frame.f_code.co_filename}:{frame.f_lineno} "
                        f"{frame.f_code.co_name}"
                    )
                awaited = getattr(awaited, "cr_await", None) or getattr(
                    awaited, "gi_yieldfrom", None
                )
        if self._task is not None:
            self._task.cancel()


async def run_enumerated(
    env: simcord.Env,
    settings: Any,
    killer: Killer,
    fidelity: Fidelity,
    rng: random.Random,
) -> PalletsBot:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    world = await build_world(env)
    workload = Workload(world)
    workload.install(bot)
    order = points()
    armed = 0
    killer.arm(replace(order[0], skip=rng.randint(0, 2)))
    steps = 0
    while killer.landed < KILLS:
        steps += 1
        assert steps < MAX_STEPS_PER_KILL * (KILLS + 1), (
            f"kill {killer.landed + 1} ({killer.armed}) never landed"
        )
        if killer.dead:
            bot = await bring_back(
                env, settings, workload, killer, rng.uniform(0, MAX_DOWNTIME)
            )
        if killer.armed is None and killer.landed < KILLS:
            armed += 1
            killer.arm(replace(order[armed % len(order)], skip=rng.randint(0, 2)))
        await workload.top_up(env, bot)
        await env.advance_time(STEP)
    if killer.dead:
        bot = await bring_back(
            env, settings, workload, killer, rng.uniform(0, MAX_DOWNTIME)
        )
    killer.armed = None
    # No more kills: let everything finish.
    for _ in range(48 * 3600 // 600):
        open_work = await workload.ask_again(env, bot) + await bot.db.fetchval(
            "SELECT (SELECT count(*) FROM jobs WHERE state IN ('pending', "
            "'running') AND (kind LIKE 'crash.%' OR kind IN ('mentorship.space', "
            "'outbox.settle'))) "
            "+ (SELECT count(*) FROM outbox WHERE state = 'pending')"
        )
        if not open_work:
            break
        await env.advance_time(600)
    await judge_enumerated(env, bot, world, workload, killer, fidelity)
    return bot


async def judge_enumerated(
    env: simcord.Env,
    bot: Any,
    world: Any,
    workload: Workload,
    killer: Killer,
    fidelity: Fidelity,
) -> None:
    backend = env.backend
    assert killer.landed == KILLS
    # Killed bots fail in all sorts of ways on their way out; the living may not.
    assert [e for e in env.errors if not is_expected(e)] == [], env.errors[:3]
    # Every kind was killed at every step (with enough kills to go round).
    if KILLS >= len(points()):
        for kind in KINDS:
            for step in STEPS:
                assert killer.landed_at[kind, step] >= 1, (kind, step)
    assert killer.lost >= 1
    assert sum(workload.made.values()) >= 100  # hundreds of sends in a long run
    # No nonce reused after Discord's window: that would be a second post.
    assert fidelity.doubles == [], fidelity.doubles[:3]

    def count(channel_id: int, text: str) -> int:
        return sum(
            1 for m in backend.messages[channel_id].values() if m.content == text
        )

    for n in range(workload.made["post"]):
        assert count(world.announcements.id, f"post {n}") == 1, f"post {n}"
    members = (world.alice, world.bob, world.carol)
    for n in range(workload.made["dm"]):
        dm = members[n % 3].user.dm_channel
        assert count(dm.id, f"dm {n}") == 1, f"dm {n}"
    for n, message_id in workload.anchors.items():
        assert backend.messages[world.events.id][message_id].content == f"edited {n}"
    events = Counter(
        e.name for e in backend.get_guild(world.guild.id).scheduled_events.values()
    )
    for n in range(workload.made["event"]):
        assert events[f"event {n}"] == 1, f"event {n}"
    threads = Counter(
        c.name for c in backend.channels.values() if c.parent_id == world.mentorship.id
    )
    for n in range(workload.made["thread"]):
        assert threads[f"thread {n}"] == 1, f"thread {n}"
    await judge_claims(env, bot, world, workload)
    # A reply is owed once the bot recorded the member's request; a kill before it
    # did loses it (Discord does not deliver a message twice), never doubles it.
    recorded = {
        int(row["key"].rsplit(":", 1)[1])
        for row in await bot.db.fetchall(
            "SELECT key FROM outbox WHERE key LIKE 'crash:reply:%'"
        )
    }
    for n in workload.asked:
        replies = count(world.general.id, f"reply {n}")
        assert replies == (1 if n in recorded else 0), f"reply {n}"
    assert len(recorded) >= len(workload.asked) // 2
    states = dict(
        await bot.db.fetchall(
            "SELECT state, count(*) FROM jobs WHERE kind LIKE 'crash.%' GROUP BY state"
        )
    )
    assert set(states) == {"done"}, states
    sends = dict(
        await bot.db.fetchall(
            "SELECT state, count(*) FROM outbox WHERE key LIKE 'crash:%' "
            "OR key LIKE 'mentorship:%' GROUP BY state"
        )
    )
    assert set(sends) == {"sent"}, sends
    assert await bot.db.fetchval("PRAGMA integrity_check") == "ok"
    # For the record of a long run (pytest -s shows it).
    print(
        f"\nenumerated crash test: {killer.landed} kills landed "
        f"({dict(sorted(killer.landed_at.items()))}), {killer.lost} answers lost, "
        f"{sum(workload.made.values())} pieces of work ({dict(workload.made)}), "
        f"{len(fidelity.created)} messages made"
    )


async def judge_claims(
    env: simcord.Env, bot: Any, world: Any, workload: Workload
) -> None:
    """Every mentoring pairing made has its one private thread, recorded, with the
    pair in it and welcomed once; no request is paired twice, no thread is left
    without a pairing, and a claim cut short before its pairing was recorded was
    asked again until it was."""
    backend = env.backend
    pairings = await bot.db.fetchall(
        "SELECT id, request_id, mentor_id, mentee_id, thread_id, state "
        "FROM mentor_pairings ORDER BY id"
    )
    assert {p["state"] for p in pairings} <= {"active"}, pairings[:3]
    assert sorted(p["request_id"] for p in pairings) == sorted(workload.mentors)
    threadless = [p["id"] for p in pairings if p["thread_id"] is None]
    assert threadless == [], f"pairings without their thread: {threadless}"
    pair_threads = [
        c
        for c in backend.channels.values()
        if c.parent_id == world.mentorship.id
        and (c.name or "").startswith("Mentoring #")
    ]
    assert sorted(c.id for c in pair_threads) == sorted(
        p["thread_id"] for p in pairings
    ), "a pairing without its thread, or a thread without its pairing"
    me = bot.user.id
    for pairing in pairings:
        thread = backend.channels[pairing["thread_id"]]
        assert thread.name == f"Mentoring #{pairing['id']}"
        assert {pairing["mentor_id"], pairing["mentee_id"]} <= set(
            thread.thread_members
        ), f"pairing {pairing['id']}"
        welcomes = [
            m
            for m in backend.messages[thread.id].values()
            if m.author_id == me and "Welcome" in (m.content or "")
        ]
        assert len(welcomes) == 1, f"pairing {pairing['id']}: {len(welcomes)} welcomes"
