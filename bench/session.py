"""One measuring run: the real bot on simcord against a seeded database.

Runs in a fresh child process (``python -m bench.session``), so its peak RSS is the
bot's and not the seeder's, and prints its results as one JSON object. Three modes:

- ``main`` (1x, 10x): every measured command beside its fair peer and the bare floor
  (:mod:`bench.peer`), interleaved; the similar-question search; a new question to
  its checklist; the mentor queue's Previous/Next; every public page and feed (the
  calendar feed too, :data:`PAGES`); event-loop lag while the extension refresh, the
  digests and the catch-up after downtime run.
- ``mentor`` (100x, the mentoring tables only): the first /mentor-tools queue after a
  restart, the queue and its Previous/Next, and the lag while the index loads.
- ``search`` (30x, the solved questions only): the similar-question search.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import random
import re
import resource
import socket
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import simcord

from bench.corpus import Corpus
from bench.lag import IDLE
from bench.lag import LagTicker
from bench.peer import BARE
from bench.peer import Peer
from bench.peer import TWINS
from bench.seed import FORUM_ID
from bench.seed import GUILD_ID
from bench.stats import paired
from bench.stats import summary
from bench.upstream import Upstream
from bot.app import create_bot
from bot.app import PalletsBot
from bot.clock import to_ts
from bot.clock import utcnow
from bot.db import Database
from bot.devtools.testing import build_world
from bot.devtools.testing import test_settings
from bot.devtools.testing import World
from bot.errors import is_expected
from bot.guilds import Channel
from bot.settings import Settings
from cogs.extwatch import _queries as ext_queries
from cogs.extwatch._engine import ExtWatchEngine
from cogs.mentorship import _queries as mentor_queries
from cogs.mentorship._engine import MentorshipEngine
from cogs.triage import _queries as triage_queries
from cogs.triage import _search as search
from cogs.triage._engine import TriageEngine

#: Channels the catch-up's reminders post to.
CHANNELS = 25
#: The web pages and feeds measured (issue 20: every one under 50 ms p99 at 10x), by
#: name; ``{extension}`` and ``{question}`` are a watched extension and a published
#: solved question of the seed (:func:`publish_pages`).
PAGES = {
    "calendar feed": "/calendar/{guild}.ics",
    "page: front": "/{guild}/",
    "page: upcoming": "/{guild}/upcoming",
    "page: upcoming, in German": "/{guild}/upcoming?lang=de",
    "page: extensions": "/{guild}/extensions",
    "page: one extension": "/{guild}/extensions/{extension}",
    "feed: extension status changes (Atom)": "/{guild}/extensions.atom",
    "extensions as JSON": "/{guild}/extensions.json",
    "page: solved questions": "/{guild}/questions",
    "page: solved questions, searched": "/{guild}/questions?q={search}",
    "page: one solved question": "/{guild}/questions/{question}",
}
#: A search of the solved questions that matches many (a common word of the corpus).
PAGE_SEARCH = "blueprint"
log = logging.getLogger("bench")


@dataclass(slots=True)
class Request:
    wall: float
    virtual: float
    method: str
    path: str
    content: str = ""
    payload: str = ""

    @property
    def channel_id(self) -> int | None:
        match = _CHANNEL.match(self.path)
        return int(match.group(1)) if match else None


_CHANNEL = re.compile(r"^/channels/(\d+)/")
_DIGITS = re.compile(r"\d{5,}")
_MEETUP = re.compile(r"Meetup (\d+)\b")


class _TimedLog(list[Any]):
    """simcord's request log, noting when each request arrived (and no more: the
    bench's run makes tens of thousands, which the harness need not keep)."""

    def __init__(self, env: simcord.Env, recorder: Recorder) -> None:
        super().__init__()
        self._env = env
        self._recorder = recorder

    def append(self, entry: Any) -> None:
        body = entry.json if isinstance(entry.json, dict) else {}
        callback = (
            entry.path.endswith("/callback") or "/messages/@original" in entry.path
        )
        self._recorder.requests.append(
            Request(
                time.perf_counter(),
                self._env.now().timestamp(),
                entry.method,
                entry.path,
                str(body.get("content") or ""),
                json.dumps(body, sort_keys=True) if callback else "",
            )
        )


@dataclass
class Recorder:
    """Every REST request the bot makes (interaction responses included), with wall
    and virtual (simcord) time."""

    env: simcord.Env
    requests: list[Request] = field(default_factory=list)

    def install(self) -> None:
        self.env.backend.http_requests = _TimedLog(self.env, self)

    def mark(self) -> int:
        return len(self.requests)

    def first_after(
        self, start: int, match: Callable[[Request], bool]
    ) -> Request | None:
        return next((r for r in self.requests[start:] if match(r)), None)


def _is_callback(request: Request) -> bool:
    return request.path.endswith("/callback")


def difference(a: str, b: str) -> str:
    """Where two answers part, with some context."""
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
        min(len(a), len(b)),
    )
    return f"bot ...{a[max(at - 60, 0) : at + 100]} peer ...{b[max(at - 60, 0) : at + 100]}"


def _is_answer(request: Request) -> bool:
    """The list itself: a reply (type 4), or the follow-up after a deferral."""
    if request.path.endswith("/callback"):
        return '"type": 4' in request.payload
    return request.method == "POST" and request.path.startswith("/webhooks/")


def forget_views(bot: discord.Client) -> None:
    """Stop every view the replies left listening (members move on).

    discord.py gives an ephemeral reply's view a 15-minute timer task, and simcord's
    settling looks at every live timer on each step: hundreds of them would make the
    harness, not the bot, slower with every sample. Bot and peer reply with the same
    views, and each sample starts from none. A view of persistent buttons only is in
    no store, so they are found by their timer tasks.
    """
    del bot
    for task in asyncio.all_tasks():
        coro: Any = task.get_coro()
        if getattr(coro, "__qualname__", "") != "BaseView.__timeout_task_impl":
            continue
        frame = getattr(coro, "cr_frame", None)
        view = frame.f_locals.get("self") if frame is not None else None
        if isinstance(view, discord.ui.view.BaseView):
            view.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def insert_pending_jobs(path: Path, count: int, now: int) -> None:
    """``count`` future jobs, as a busy community accumulates (nudges, reminders)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO jobs (key, kind, guild_id, due_at, catch_up_seconds, "
                "payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        f"bench:pending:{i}",
                        "triage.nudge",
                        GUILD_ID,
                        now + 86_400 + (30 * 86_400 * i) // max(count, 1),
                        3 * 86_400,
                        json.dumps({"thread_id": i}),
                        now,
                    )
                    for i in range(count)
                ],
            )
    finally:
        conn.close()


def insert_due_jobs(
    path: Path, count: int, now: int, channel_ids: list[int]
) -> list[int]:
    """``count`` channel reminders that came due during the last hour, each for its
    own upcoming event (so each must post once); returns the event ids."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            first = conn.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM events"
            ).fetchone()[0]
            ids = list(range(first, first + count))
            starts = now + 2 * 86_400
            conn.executemany(
                "INSERT INTO events (id, guild_id, organiser_id, title, description, "
                "kind, starts_at, ends_at, timezone, location, state, channel_id, "
                "message_id, scheduled_event_id, coc_version, created_at, updated_at) "
                "VALUES (?, ?, 1, ?, '', 'meetup', ?, ?, 'UTC', 'Online', 'published', "
                "?, ?, ?, '2024-01', ?, ?)",
                [
                    (
                        i,
                        GUILD_ID,
                        f"Meetup {i}",
                        starts,
                        starts + 3600,
                        channel_ids[n % len(channel_ids)],
                        # Announced and on Discord's calendar a week ago, as real
                        # events are (a bare row would be announced at start-up).
                        10**17 + i,
                        2 * 10**17 + i,
                        now - 7 * 86_400,
                        now - 7 * 86_400,
                    )
                    for n, i in enumerate(ids)
                ],
            )
            conn.executemany(
                "INSERT INTO jobs (key, kind, guild_id, due_at, catch_up_seconds, "
                "payload, created_at) VALUES (?, 'events.remind_channel', ?, ?, 7200, ?, ?)",
                [
                    (
                        f"bench:due:{i}",
                        GUILD_ID,
                        now - 3600 + (3600 * n) // count,
                        json.dumps({"event_id": i, "starts_at": starts}),
                        now - 7 * 86_400,
                    )
                    for n, i in enumerate(ids)
                ],
            )
    finally:
        conn.close()
    return ids


#: New questions a second in the bench: a busy hour's rate many times over, and
#: within what the bot's pacing lets through for the requests each one makes.
QUESTIONS_PER_SECOND = 10

#: The catch-up's jobs, as a range of the jobs' unique keys: the harness reads them
#: while the lag ticker runs, so it must not scan the table (``LIKE`` does: half a
#: million rows at 10x, a 60 to 100 ms stall of its own).
_DUE_KEYS = "key >= 'bench:due:' AND key < 'bench:due;'"


async def count_finished(db: Database) -> int:
    """The catch-up's finished jobs, read through the bot's own connection: a
    synchronous read in the loop would be the harness's stall (and could wait on
    SQLite's busy handler while the bot writes)."""
    return int(
        await db.fetchval(
            f"SELECT count(*) FROM jobs WHERE {_DUE_KEYS} "
            "AND state NOT IN ('pending', 'running')"
        )
    )


def job_states(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            state: n
            for state, n in conn.execute(
                f"SELECT state, count(*) FROM jobs WHERE {_DUE_KEYS} GROUP BY state"
            )
        }
    finally:
        conn.close()


def max_per_window(times: list[float], window: float) -> int:
    """The most timestamps in any half-open interval of length ``window``."""
    ordered = sorted(times)
    best = 0
    lo = 0
    for hi, t in enumerate(ordered):
        while ordered[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _patient_attach(env: simcord.Env) -> None:
    """Let a (re)started bot take longer than 5 s to settle.

    simcord settles a newly attached bot with a fixed 5 s limit and detaches it when
    that passes; at 10x the work a start-up triggers (recovery, catch-up) may take
    longer on a busy machine, and the bench measures that time instead of failing.
    """
    original = env._settle_internal

    async def settle(*, timeout: float | None = None, **kwargs: Any) -> None:
        await original(timeout=None if timeout == 5.0 else timeout, **kwargs)

    env._settle_internal = settle  # type: ignore[method-assign]


def patient_env(bot: PalletsBot) -> simcord.Env:
    """simcord's Discord for ``bot``, patient with a slow start (see below)."""
    env = simcord.Env(bot, settle_timeout=900)
    _patient_attach(env)
    return env


async def start_world(env: simcord.Env, *, calendar: bool) -> World:
    """Start the bot in the seeded server, set up as every run needs it: the
    calendar feed on (when ``calendar``), and a mentor with a profile."""
    await env.start()
    world = await build_world(env, guild_id=GUILD_ID)
    if calendar:
        await world.admin.slash(world.general, "setup calendar", enabled=True)
    await world.mentor.slash(
        world.general,
        "mentor-tools profile",
        topics="flask, testing",
        timezone="Europe/Paris",
        capacity=3,
        languages="english",
    )
    await env.settle()
    return world


async def search_figures(
    db: Database, runs: int, results: dict[str, Any], *, seed: int = 7
) -> None:
    """The similar-question search's query layer, with realistic questions, as a new
    process meets them (a cold cache of common words) and after a while (warm)."""
    corpus = Corpus(random.Random(seed))
    questions = [f"{corpus.title()}\n{corpus.body()}" for _ in range(runs)]
    for label, fresh in (("cold", True), ("warm", False)):
        counts = search.TermCounts()
        if not fresh:  # warm up with as many other questions first
            for _ in range(runs):
                warm = f"{corpus.title()}\n{corpus.body()}"
                await search.similar(db, GUILD_ID, warm, exclude=0, counts=counts)
        samples: list[float] = []
        found = 0
        for question in questions:
            if fresh:
                counts = search.TermCounts()
            started = time.perf_counter()
            found += len(
                await search.similar(db, GUILD_ID, question, exclude=0, counts=counts)
            )
            samples.append((time.perf_counter() - started) * 1000)
        results[f"search:{label}"] = summary(samples) | {"found": found}


async def publish_pages(world: World, bot: PalletsBot) -> dict[str, Any]:
    """Turn the public pages on (solved questions too), as an organiser does, and
    return what :data:`PAGES`' addresses need: a watched extension, a solved question.

    The seeded questions are in the seed's forum and the world's /setup named
    simcord's forum since: the solved ones move there (only ``forum_id`` changes, so
    the search index's triggers do not fire) and the pages publish them.
    """
    await world.admin.slash(world.general, "setup pages", enabled=True, questions=True)
    settings = await bot.guild_config.get(GUILD_ID)
    forum = settings.channel(Channel.QUESTIONS)
    assert forum is not None
    await bot.db.execute(
        "UPDATE triage_questions SET forum_id = ? "
        "WHERE guild_id = ? AND forum_id = ? AND state = 'solved'",
        (forum, GUILD_ID, FORUM_ID),
    )
    latest = await triage_queries.public_latest(
        bot.db, GUILD_ID, forum, before=None, limit=1
    )
    await _engine(bot, ExtWatchEngine).ensure_guild(GUILD_ID)
    watched = await ext_queries.watched(bot.db, GUILD_ID)
    if not latest or not watched:
        raise RuntimeError("the seed has no published question or watched extension")
    return {
        "question": latest[0].thread_id,
        "extension": watched[0].package,
        "search": PAGE_SEARCH,
    }


class Session:
    def __init__(self, database: Path, runs: int, pending: int, due: int) -> None:
        self.database = database
        self.runs = runs
        self.pending = pending
        self.due = due
        self.results: dict[str, Any] = {}
        self.errors: list[str] = []
        self._phase_started = time.perf_counter()
        self.peer = Peer(database, GUILD_ID)

    # -- helpers --------------------------------------------------------------------------
    def phase(self, name: str) -> None:
        """Say on stderr how long each part took, so a slow part is easy to spot."""
        now = time.perf_counter()
        print(
            f"  {name}: {now - self._phase_started:.1f} s", file=sys.stderr, flush=True
        )
        self._phase_started = now

    def _check_errors(self, env: simcord.Env, cursor: int, what: str) -> int:
        for error in env.errors_since(cursor):
            if not is_expected(error):
                self.errors.append(f"{what}: {type(error).__name__}: {error}"[:300])
        for error in self.peer.errors:
            self.errors.append(f"{what} (peer): {type(error).__name__}: {error}"[:300])
        self.peer.errors.clear()
        return env.error_cursor

    def new_bot(self, settings: Settings) -> PalletsBot:
        bot = create_bot(settings)
        self.peer.attach(bot)
        return bot

    async def restart(self, env: simcord.Env, settings: Settings) -> PalletsBot:
        old = env.bot
        await env.settle()
        if isinstance(old, PalletsBot):
            await old.stop_services()
        bot = self.new_bot(settings)
        await env.restart_bot(bot)
        await env.settle()
        return bot

    async def timed(
        self, recorder: Recorder, call: Callable[[], Awaitable[Any]]
    ) -> tuple[float, str] | None:
        """Run an interaction; the time to its first response, and that response."""
        start = recorder.mark()
        started = time.perf_counter()
        await call()
        first = recorder.first_after(start, _is_callback)
        if first is None:
            return None
        return (first.wall - started) * 1000, first.payload

    async def lag_while(
        self,
        label: str,
        work: Callable[[], Awaitable[Any]],
        *,
        at_least: int = 3,
        at_most: int = 200,
    ) -> None:
        """Run ``work`` (again) under the lag ticker until 1,000 samples are taken
        (``at_least`` and ``at_most`` runs)."""
        loop = asyncio.get_running_loop()
        durations: list[float] = []
        samples: list[float] = []
        runs = 0
        while runs < at_least or len(samples) < 1000:
            with LagTicker(loop) as ticker:
                started = time.perf_counter()
                await work()
                durations.append((time.perf_counter() - started) * 1000)
            samples.extend(ticker.samples)
            runs += 1
            if runs >= at_most:
                break
        self.results[f"lag:{label}"] = summary(samples) | {
            "runs": runs,
            "duration_max_ms": max(durations),
            "duration_p50_ms": sorted(durations)[len(durations) // 2],
        }

    # -- the main run ---------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        virtual_start = 1_767_225_600  # simcord's clock: 2026-01-01 00:00 UTC
        insert_pending_jobs(self.database, self.pending, virtual_start)
        with Upstream() as upstream:
            port = free_port()
            settings = test_settings(
                self.database.parent,
                pypi_base_url=upstream.url,
                github_api_url=upstream.url,
                osv_api_url=upstream.url,
                http_port=port,
            )
            bot = self.new_bot(settings)
            env = patient_env(bot)
            with env.time_context():
                world = await start_world(env, calendar=True)
                self.phase("first start and /setup")
                try:
                    bot = await self.restart(env, settings)
                    await self.peer.open(_engine(bot, ExtWatchEngine).thresholds())
                    recorder = Recorder(env)
                    recorder.install()
                    self.phase("restart")
                    await self._idle()
                    self.phase("idle")
                    await self._refresh(env, bot)
                    self.phase("extension refresh")
                    await self._commands(env, recorder, world, bot)
                    self.phase("commands")
                    await self._turning(env, recorder, world, bot)
                    self.phase("mentor-tools queue pages")
                    await search_figures(bot.db, self.runs, self.results)
                    self.phase("similar-question search")
                    await self._new_questions(env, recorder, world)
                    self.phase("new questions")
                    await self._index_upkeep(env, bot)
                    self.phase("search index upkeep")
                    await self._digests(env, bot)
                    self.phase("digests")
                    await self._pages(port, await publish_pages(world, bot))
                    self.phase("pages and feeds")
                    bot = await self._catch_up(env, world, bot, settings)
                    self.phase("catch-up")
                    self.results["peak_rss_mb"] = peak_rss_mb()
                finally:
                    await self.peer.close()
                    await env.shutdown()
                    await bot.stop_services()
        self.results["errors"] = self.errors
        return self.results

    async def _idle(self) -> None:
        """The lag's floor: the ticker alone, the bot idle (its loop waits on a
        thread sleeping in real time), so the machine's own share is plain."""
        loop = asyncio.get_running_loop()

        async def idle() -> None:
            await loop.run_in_executor(None, time.sleep, 0.25)

        await self.lag_while(IDLE, idle)

    async def _refresh(self, env: simcord.Env, bot: PalletsBot) -> None:
        """The extension watch's refresh of the whole list (fills the cache)."""
        engine = _engine(bot, ExtWatchEngine)
        await engine.ensure_guild(GUILD_ID)
        items = await ext_queries.watched(bot.db, GUILD_ID)
        packages = {item.package: item.repo for item in items}
        cursor = env.error_cursor

        async def refresh() -> None:
            result = await engine.refresh(packages)
            if result.failures:
                self.errors.append(f"extension refresh: {result.failures}"[:300])

        await self.lag_while("extension refresh", refresh)
        self._check_errors(env, cursor, "extension refresh")

    async def _commands(
        self, env: simcord.Env, recorder: Recorder, world: World, bot: PalletsBot
    ) -> None:
        """Each command beside its peer and the bare floor, interleaved in rounds."""
        g = world.general
        calls: dict[str, tuple[simcord.MemberActor, str, dict[str, Any]]] = {
            "/triage queue": (world.helper, "triage queue", {}),
            "/chat topics": (world.alice, "chat topics", {}),
            "/event list": (world.alice, "event list", {}),
            "/mentor-tools queue": (world.mentor, "mentor-tools queue", {}),
            "/ext status": (world.alice, "ext status", {"name": "Flask-Login"}),
            "/grant-review list": (world.reviewer, "grant-review list", {}),
        }
        orders = list(itertools.permutations(("bot", "peer", "bare")))
        for label, (member, command, options) in calls.items():
            if label not in TWINS:  # its twin is outdated (bench.peer.OUTDATED)
                continue
            variants = {
                "bot": _slash(member, g, command, options),
                "peer": _slash(member, g, TWINS[label], options),
                "bare": _slash(member, g, BARE, {}),
            }
            samples: dict[str, list[float]] = {name: [] for name in variants}
            same = 0
            cursor = env.error_cursor
            for n in range(self.runs):
                answers: dict[str, str] = {}
                for name in orders[n % len(orders)]:
                    forget_views(bot)
                    timed = await self.timed(recorder, variants[name])
                    if timed is None:
                        self.errors.append(f"{label} ({name}): no interaction response")
                        continue
                    samples[name].append(timed[0])
                    answers[name] = timed[1]
                if answers.get("bot") == answers.get("peer"):
                    same += 1
                elif same == n and "bot" in answers:
                    self.errors.append(
                        f"{label}: the peer answers differently (update bench/peer.py): "
                        + difference(answers.get("bot", ""), answers.get("peer", ""))
                    )
            forget_views(bot)
            self._check_errors(env, cursor, label)
            self.results[f"command:{label}"] = {
                "bot": summary(samples["bot"]),
                "peer": summary(samples["peer"]),
                "bare": summary(samples["bare"]),
                "vs_peer": paired(samples["bot"], samples["peer"]),
                "vs_bare": paired(samples["bot"], samples["bare"]),
                "peer_vs_bare": paired(samples["peer"], samples["bare"]),
                "identical": same,
                "rounds": self.runs,
            }
            print(f"    {label}: done", file=sys.stderr, flush=True)

    async def _turning(
        self, env: simcord.Env, recorder: Recorder, world: World, bot: PalletsBot
    ) -> None:
        """Previous/Next under /mentor-tools queue: from the click to the page."""
        await turn_pages(self, env, recorder, world, bot, self.runs, "mentor:turn")

    async def _new_questions(
        self, env: simcord.Env, recorder: Recorder, world: World
    ) -> None:
        """A member opens a post; the bot tags it, searches, and posts its checklist."""
        corpus = Corpus(random.Random(11))
        samples: list[float] = []
        cursor = env.error_cursor
        backend = env.backend
        for _ in range(self.runs):
            # Questions arrive QUESTIONS_PER_SECOND a second (simulated time, so the
            # gap costs no wall time): each costs the bot a few requests, and back
            # to back (80 a second) they would ask more than the bot's pace allows
            # (45 a second, under Discord's 50), so the figure measured the queue.
            await env.advance_time(1 / QUESTIONS_PER_SECOND)
            thread = backend.create_thread(
                world.questions.id,
                corpus.title(),
                world.bob.id,
                type=discord.ChannelType.public_thread.value,
            )
            handle = simcord.ChannelHandle(env, world.guild, thread)
            await env.settle()
            start = recorder.mark()
            started = time.perf_counter()
            await world.bob.send(handle, corpus.body()[:2000])
            reply = recorder.first_after(start, _post_in(handle.id))
            if reply is not None:
                samples.append((reply.wall - started) * 1000)
        self._check_errors(env, cursor, "new question")
        self.results["new question"] = summary(samples)

    async def _index_upkeep(self, env: simcord.Env, bot: PalletsBot) -> None:
        """The search index's daily upkeep, after a day of newly solved questions
        (each its own write, so its own segment): it merges them into the index."""
        rows = await bot.db.fetchall(
            "SELECT thread_id FROM triage_questions WHERE state = 'open' "
            "ORDER BY created_at DESC LIMIT 12"
        )
        for row in rows:
            await bot.db.execute(
                "UPDATE triage_questions SET state = 'solved', solution = 'Pin it.' "
                "WHERE thread_id = ?",
                (row["thread_id"],),
            )
        engine = _engine(bot, TriageEngine)
        cursor = env.error_cursor
        self.results["index segments before upkeep"] = await bot.db.fetchval(
            triage_queries.INDEX_SEGMENTS
        )

        async def upkeep() -> None:
            await engine.tidy_index(most=1)

        # Once: a second run finds one segment and does nothing.
        await self.lag_while("search index upkeep", upkeep, at_least=1, at_most=1)
        self._check_errors(env, cursor, "search index upkeep")

    async def _digests(self, env: simcord.Env, bot: PalletsBot) -> None:
        for label, kind in (
            ("triage digest", "triage.digest"),
            ("mentoring digest", "mentorship.digest"),
        ):
            cursor = env.error_cursor

            numbers = itertools.count()

            async def digest(
                kind: str = kind, label: str = label, numbers: Iterator[int] = numbers
            ) -> None:
                key = f"bench:{kind}:{next(numbers)}"
                # Each run posts: a digest of the same waiting requests as the last
                # one would stop at comparing their fingerprints.
                await bot.db.execute(
                    "UPDATE mentor_settings SET digest_fingerprint = NULL"
                )
                # The bench runs the job as a worker does. Planned for later, then
                # made due, so the scheduler's workers are not woken for it: they
                # would race the bench for it, and past 10 starts a second wait in
                # the start pace on simcord's clock, whose advancing (10 to 20 ms a
                # step in a world this size) is simcord's work, not the digest's.
                job_id = await bot.scheduler.schedule(
                    kind, key, utcnow() + timedelta(days=1), guild_id=GUILD_ID
                )
                await bot.db.execute(
                    "UPDATE jobs SET due_at = ?, planned_at = ? WHERE id = ?",
                    (to_ts(utcnow()), to_ts(utcnow()), job_id),
                )
                await bot.scheduler._fire(job_id)
                row = await bot.scheduler.get(key)
                if row is None or row["state"] != "done":
                    state = None if row is None else (row["state"], row["last_error"])
                    self.errors.append(f"{label}: job ended as {state}")

            await self.lag_while(label, digest)
            await env.settle()
            self._check_errors(env, cursor, label)

    async def _pages(self, port: int, fill: dict[str, Any]) -> None:
        """Each page and feed fetched by a client in another process, one at a time."""
        for label, path in PAGES.items():
            url = f"http://127.0.0.1:{port}{path.format(guild=GUILD_ID, **fill)}"
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.fetch",
                url,
                str(self.runs),
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await child.communicate()
            report = json.loads(out.decode().strip().splitlines()[-1])
            if report["errors"]:
                self.errors.append(f"{label}: {report['errors']}")
            self.results[f"page:{label}"] = summary(report["samples"]) | {
                "bytes": report["bytes"]
            }

    async def _catch_up(
        self, env: simcord.Env, world: World, bot: PalletsBot, settings: Settings
    ) -> PalletsBot:
        """Stop the bot, let 1,000 reminders come due over an hour, start it again."""
        # Reminders go to many channels, as events announce in their own places;
        # Discord allows 5 messages per 5 s in one channel.
        channels = [
            world.guild.create_text_channel(f"meetups-{n}").id for n in range(CHANNELS)
        ]
        await env.settle()
        await bot.stop_services()
        now = int(env.now().timestamp())
        events = insert_due_jobs(self.database, self.due, now, channels)
        new = self.new_bot(settings)
        recorder = Recorder(env)
        recorder.install()
        wall_start = time.perf_counter()
        virtual_start = env.now().timestamp()
        loop = asyncio.get_running_loop()
        with LagTicker(loop) as ticker:
            # Recovery drains the overdue jobs as soon as the new bot is ready, most
            # of them while simcord settles the start: the ticker runs throughout.
            await env.restart_bot(new)
            for _ in range(3600):
                if await count_finished(new.db) >= self.due:
                    break
                await env.advance_time(1)
        wall = time.perf_counter() - wall_start
        virtual = env.now().timestamp() - virtual_start
        await env.settle()
        self.results["lag:catch-up"] = summary(ticker.samples) | {"runs": 1}
        reminded = {
            int(found)
            for r in recorder.requests
            if r.method == "POST" and r.channel_id in channels
            for found in _MEETUP.findall(r.content)
        }
        states = job_states(self.database)
        self.results["catchup"] = {
            "jobs": self.due,
            "done": states.get("done", 0),
            "missed": states.get("missed", 0),
            "failed": states.get("failed", 0),
            "still_pending": states.get("pending", 0) + states.get("running", 0),
            "lost": len(set(events) - reminded),
            "wall_seconds": wall,
            "virtual_seconds": virtual,
            "max_requests_per_second": max_per_window(
                [r.virtual for r in recorder.requests], 1.0
            ),
            "requests": len(recorder.requests),
            "busiest_routes": Counter(
                f"{r.method} {_DIGITS.sub('{id}', r.path)}" for r in recorder.requests
            ).most_common(5),
        }
        return new


def _slash(
    member: simcord.MemberActor,
    channel: simcord.ChannelHandle,
    command: str,
    options: dict[str, Any],
) -> Callable[[], Awaitable[Any]]:
    async def call() -> Any:
        return await member.slash(channel, command, **options)

    return call


def _click(
    member: simcord.MemberActor, message: Any, label: str
) -> Callable[[], Awaitable[Any]]:
    async def call() -> Any:
        return await member.click(message, label=label)

    return call


def _post_in(channel_id: int) -> Callable[[Request], bool]:
    return lambda r: r.method == "POST" and r.channel_id == channel_id


def _engine(bot: PalletsBot, kind: type[Any]) -> Any:
    for cog in bot.cogs.values():
        engine = getattr(cog, "engine", None)
        if isinstance(engine, kind):
            return engine
    raise LookupError(kind.__name__)


async def turn_pages(
    session: Session,
    env: simcord.Env,
    recorder: Recorder,
    world: World,
    bot: PalletsBot,
    runs: int,
    key: str,
) -> None:
    """Click Next and Previous under one /mentor-tools queue, ``runs`` times in all."""
    result = await world.mentor.slash(world.general, "mentor-tools queue")
    message = result.followups[-1] if result.followups else result.response
    if message is None:
        session.errors.append("mentor-tools queue pages: no list to turn")
        return
    samples: list[float] = []
    cursor = env.error_cursor
    for n in range(runs):
        label = "Next" if n % 2 == 0 else "Previous"
        timed = await session.timed(recorder, _click(world.mentor, message, label))
        if timed is None:
            session.errors.append(f"mentor-tools queue {label}: no response")
            continue
        samples.append(timed[0])
    forget_views(bot)
    session._check_errors(env, cursor, "mentor-tools queue pages")
    session.results[key] = summary(samples)


class MentorSession(Session):
    """100x mentoring: the queue index's load after a restart, then the queue."""

    async def run(self) -> dict[str, Any]:
        settings = test_settings(self.database.parent)
        bot = self.new_bot(settings)
        env = patient_env(bot)
        with env.time_context():
            world = await start_world(env, calendar=False)
            self.phase("first start and /setup")
            try:
                recorder = Recorder(env)
                recorder.install()
                bot = await self._first_after_restart(env, recorder, world, settings)
                self.phase("restart and the first /mentor-tools queue")
                await self.peer.open(_engine(bot, ExtWatchEngine).thresholds())
                await self._queue(env, recorder, world, bot)
                self.phase("/mentor-tools queue")
                await turn_pages(
                    self, env, recorder, world, bot, self.runs, "mentor:turn"
                )
                self.phase("mentor-tools queue pages")
                self.results["open_requests"] = await bot.db.fetchval(
                    "SELECT count(*) FROM mentor_requests WHERE state = 'open'"
                )
                self.results["peak_rss_mb"] = peak_rss_mb()
            finally:
                await self.peer.close()
                await env.shutdown()
                await bot.stop_services()
        self.results["errors"] = self.errors
        return self.results

    async def _first_after_restart(
        self, env: simcord.Env, recorder: Recorder, world: World, settings: Settings
    ) -> PalletsBot:
        """Restart (the index is gone) and ask at once, while it loads."""
        old = env.bot
        await env.settle()
        if isinstance(old, PalletsBot):
            await old.stop_services()
        bot = self.new_bot(settings)
        loop = asyncio.get_running_loop()
        with LagTicker(loop) as ticker:
            await env.restart_bot(bot)
            start = recorder.mark()
            started = time.perf_counter()
            await world.mentor.slash(world.general, "mentor-tools queue")
            first = recorder.first_after(start, _is_callback)
            answered = recorder.first_after(start, _is_answer)
            engine = _engine(bot, MentorshipEngine)
            while not engine.queue_ready(GUILD_ID):
                await asyncio.sleep(0.01)
            loaded = time.perf_counter()
        self.results["mentor:first"] = {
            "acknowledged_ms": (first.wall - started) * 1000 if first else None,
            "answered_ms": (answered.wall - started) * 1000 if answered else None,
            "deferred": bool(first and '"type": 5' in first.payload),
            "index_loaded_s": loaded - started,
        }
        self.results["lag:mentor queue index load"] = summary(ticker.samples) | {
            "runs": 1
        }
        await env.settle()
        return bot

    async def _queue(
        self, env: simcord.Env, recorder: Recorder, world: World, bot: PalletsBot
    ) -> None:
        samples: list[float] = []
        cursor = env.error_cursor
        for _ in range(self.runs):
            forget_views(bot)
            timed = await self.timed(
                recorder,
                lambda: world.mentor.slash(world.general, "mentor-tools queue"),
            )
            if timed is not None:
                samples.append(timed[0])
        forget_views(bot)
        self._check_errors(env, cursor, "/mentor-tools queue")
        self.results["mentor:queue"] = summary(samples)
        # The ranking alone (the engine's work for a page, no Discord), made anew
        # each time: the queue above answers again from the kept ranking while no
        # request is added, which on a busy server is not every time.
        engine = _engine(bot, MentorshipEngine)
        mentor = await mentor_queries.profile(bot.db, GUILD_ID, world.mentor.id)
        assert mentor is not None
        ranking = []
        for _ in range(self.runs):
            engine._rankings.clear()
            started = time.perf_counter()
            await engine.queue_page(mentor, utcnow(), 0)
            ranking.append((time.perf_counter() - started) * 1000)
        self.results["mentor:ranking"] = summary(ranking)


class MemorySession(Session):
    """The bot alone (no peer, no corpus, no ticker) doing each kind of work a few
    times; its process's peak RSS is the figure (simcord's Discord included)."""

    async def run(self) -> dict[str, Any]:
        virtual_start = 1_767_225_600
        insert_pending_jobs(self.database, self.pending, virtual_start)
        port = free_port()
        settings = test_settings(self.database.parent, http_port=port)
        bot = create_bot(settings)
        env = patient_env(bot)
        with env.time_context():
            world = await start_world(env, calendar=True)
            self.results["peak_rss_mb_ready"] = peak_rss_mb()
            try:
                g = world.general
                for _ in range(self.runs):
                    await world.helper.slash(g, "triage queue")
                    await world.alice.slash(g, "chat topics")
                    await world.alice.slash(g, "event list")
                    await world.mentor.slash(g, "mentor-tools queue")
                    await world.alice.slash(g, "ext status", name="Flask-Login")
                    await world.reviewer.slash(g, "grant-review list")
                    forget_views(bot)
                for n in range(self.runs):
                    thread = env.backend.create_thread(
                        world.questions.id,
                        f"Question {n} about flask_sqlalchemy sessions",
                        world.bob.id,
                        type=discord.ChannelType.public_thread.value,
                    )
                    handle = simcord.ChannelHandle(env, world.guild, thread)
                    await env.settle()
                    await world.bob.send(
                        handle, "db.session.commit() raises IntegrityError in my view"
                    )
                for kind in ("triage.digest", "mentorship.digest"):
                    job_id = await bot.scheduler.schedule(
                        kind, f"bench:memory:{kind}", utcnow(), guild_id=GUILD_ID
                    )
                    await bot.scheduler._fire(job_id)
                await env.settle()
                await self._pages(port, await publish_pages(world, bot))
                self.results["peak_rss_mb"] = peak_rss_mb()
            finally:
                await env.shutdown()
                await bot.stop_services()
        self.results["errors"] = self.errors
        return self.results


async def search_only(database: Path, runs: int) -> dict[str, Any]:
    db = Database(database)
    await db.open()
    results: dict[str, Any] = {}
    try:
        results["solved"] = await db.fetchval(
            "SELECT count(*) FROM triage_questions WHERE state = 'solved'"
        )
        await search_figures(db, runs, results)
    finally:
        await db.close()
    results["peak_rss_mb"] = peak_rss_mb()
    results["errors"] = []
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.session")
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument(
        "--mode", choices=("main", "mentor", "search", "memory"), default="main"
    )
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if args.mode == "search":
        results = asyncio.run(search_only(args.database, args.runs))
    else:
        cls = {"mentor": MentorSession, "memory": MemorySession}.get(args.mode, Session)
        session = cls(args.database, args.runs, args.pending, args.due)
        results = asyncio.run(session.run())
    print(json.dumps(results))


if __name__ == "__main__":
    main()
