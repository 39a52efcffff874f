"""Seed a real database file at realistic (1x) or larger scale, and cache it.

The schema comes from the bot's own migrations (through :class:`bot.db.Database`);
rows go in with ``executemany`` in large transactions. Everything is generated from a
fixed random seed, so a given scale always yields the same database.

1x is a big community's history: 10,000 members, 100,000 questions (30,000 solved),
2,000 events with 50,000 RSVPs, 500 chat occurrences with 20,000 topic votes, 5,000
open mentoring requests and 1,000 mentor profiles, 50,000 finished scheduled jobs.
Every count is multiplied by the scale.

Run ``uv run python -m bench.seed --scale 1`` to seed (or find) a cached file.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import shutil
import time
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
from pathlib import Path
from typing import Any

from bench.corpus import Corpus
from bot.db import Database
from bot.db import load_migrations
from bot.db import Transaction
from bot.paths import MIGRATIONS_DIR
from cogs.triage import _queries as triage_queries
from cogs.triage._logic import MAX_BODY
from cogs.triage._logic import MAX_SOLUTION

#: Bump when the generated data changes, so cached files are rebuilt.
SEED_VERSION = 5

#: What a seed holds: everything, or only what one figure reads at a scale too big
#: to seed whole (30x for the search, 100x for the mentor queue).
PARTS = ("all", "search", "mentor")

CACHE_DIR = Path(__file__).resolve().parent / ".cache"

#: The simulated guild's id: the bench builds its world with this id.
GUILD_ID = 900_000_000_000_000_001
#: simcord's clock starts here; history lies before it, upcoming things after it.
NOW = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
DAY = 86_400
YEAR = 365 * DAY

# Seeded ids live well below simcord's snowflakes for 2026 (about 1.5e18).
USER_BASE = 200_000_000_000_000_000
THREAD_BASE = 300_000_000_000_000_000
ANSWER_BASE = 500_000_000_000_000_000
FORUM_ID = 400_000_000_000_000_001
CHANNEL_ID = 400_000_000_000_000_002

BATCH = 20_000
#: A forum post's title (Discord's limit); body and solution as the bot clips them.
TITLE_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Counts:
    members: int
    questions: int
    solved: int
    events: int
    rsvps: int
    occurrences: int
    votes: int
    requests: int
    mentors: int
    jobs: int
    grants: int

    @classmethod
    def at(cls, scale: float) -> Counts:
        def n(base: int) -> int:
            return max(1, round(base * scale))

        return cls(
            members=max(n(10_000), 20),
            questions=n(100_000),
            solved=n(30_000),
            events=n(2_000),
            rsvps=n(50_000),
            occurrences=n(500),
            votes=n(20_000),
            requests=n(5_000),
            mentors=n(1_000),
            jobs=n(50_000),
            grants=n(1_000),
        )


# -- vocabulary ----------------------------------------------------------------------------
LIBRARIES = (
    "flask werkzeug jinja click itsdangerous markupsafe quart blinker "
    "flask-sqlalchemy flask-login flask-wtf wtforms flask-migrate flask-caching "
    "flask-admin flask-session sqlalchemy gunicorn celery pytest"
).split()
NOUNS = (
    "app blueprint route view request response session cookie template context "
    "config debugger reloader url_for redirect middleware command group option "
    "argument form field validator csrf token database model query migration "
    "engine connection pool test client fixture async await view decorator "
    "jsonify json static file upload download cache logging logger handler "
    "deployment proxy header cors endpoint api error 404 500 import factory "
    "extension signal teardown current_app g environment variable secret key "
    "macro filter autoescape inheritance block loader sandbox markup escape "
    "serializer signature timestamp websocket stream generator thread worker "
    "docker nginx uwsgi wsgi asgi socket port host certificate https login user "
    "password hash role permission admin panel pagination sort search index "
    "relationship foreign column schema transaction commit rollback flush"
).split()
VERBS = (
    "returns raises ignores breaks loses drops duplicates hangs crashes "
    "redirects escapes renders caches reloads imports registers overrides "
    "validates rejects leaks"
).split()
PROBLEMS = (
    "not working",
    "returns 404",
    "returns 500",
    "raises RuntimeError",
    "raises KeyError",
    "working outside of application context",
    "working outside of request context",
    "is None",
    "is empty",
    "not found",
    "is slow",
    "not saved",
    "not updated after restart",
    "gives a TypeError",
    "circular import",
    "CSRF token missing",
    "cannot be pickled",
    "is escaped twice",
    "shows the wrong value",
    "breaks in production",
)
OPENERS = (
    "I am building a small app and",
    "After upgrading to the latest version",
    "When I deploy behind nginx",
    "In my tests with the test client",
    "Following the tutorial,",
    "My blueprint is registered but",
    "Using the application factory pattern,",
    "On Windows with Python 3.12",
    "Since I moved the config to environment variables",
    "With gunicorn and four workers",
)
TOPICS = (
    "flask werkzeug jinja click quart itsdangerous markupsafe extensions testing "
    "typing docs packaging first-contribution async security deployment"
).split()
LANGUAGES = ("english", "german", "french", "spanish", "portuguese", "hindi")
TIMEZONES = (
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "America/Sao_Paulo",
    "UTC",
)
TAGS = (
    "Flask Werkzeug Jinja Click Quart Flask-SQLAlchemy Flask-Login Flask-WTF "
    "WTForms Flask-Migrate"
).split()
JOB_KINDS = (
    "triage.nudge",
    "triage.digest",
    "triage.archive",
    "chats.remind",
    "events.remind_dm",
    "events.remind_channel",
    "mentorship.checkin",
)


class Text:
    """Question-like text with a skewed word distribution, as real forums have."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        words = NOUNS + LIBRARIES
        # Zipf-ish: a few words are everywhere, most are rare.
        weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(words))]
        rng.shuffle(words)
        self.words = words
        self.cum: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cum.append(total)

    def some(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=k)

    def title(self) -> str:
        rng = self.rng
        a, b, c = self.some(3)
        return f"{rng.choice(LIBRARIES)} {a} {b} {rng.choice(PROBLEMS)} with {c}"[:100]

    def body(self) -> str:
        rng = self.rng
        sentences = [rng.choice(OPENERS) + " the " + " ".join(self.some(3)) + "."]
        for _ in range(rng.randint(2, 5)):
            w = self.some(6)
            sentences.append(
                f"The {w[0]} {rng.choice(VERBS)} the {w[1]} when I call {w[2]}() "
                f"from the {w[3]} {w[4]}, but the {w[5]} {rng.choice(PROBLEMS)}."
            )
        if rng.random() < 0.5:
            w = self.some(3)
            sentences.append(f"```py\n{w[0]} = app.{w[1]}({w[2]!r})\n```")
        return " ".join(sentences)[:1500]

    def solution(self) -> str:
        w = self.some(5)
        return (
            f"Move the {w[0]} into the {w[1]} and call it inside app.app_context(); "
            f"the {w[2]} {self.rng.choice(VERBS)} the {w[3]} otherwise. See the {w[4]} docs."
        )


# -- seeding ----------------------------------------------------------------------------------
def _batches(rows: Iterator[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _insert(db: Database, sql: str, rows: Iterator[Sequence[Any]]) -> None:
    # One transaction per table: large, but each batch is a bounded list in memory.
    async with db.transaction() as tx:
        for batch in _batches(rows):
            await tx.executemany(sql, batch)


def _user(i: int) -> int:
    return USER_BASE + i


async def seed(
    path: Path, scale: float, *, part: str = "all", log: bool = False
) -> Counts:
    """Create ``path`` with the bot's schema and ``scale`` times the 1x data.

    ``part`` "search" seeds the solved questions only (all the search reads),
    "mentor" the mentoring tables only.
    """
    counts = Counts.at(scale)
    rng = random.Random(20260101)
    text = Text(rng)
    corpus = Corpus(random.Random(20260102))
    path.unlink(missing_ok=True)
    db = Database(path)
    await db.open()
    started = time.perf_counter()

    def say(what: str) -> None:
        if log:
            print(f"  {time.perf_counter() - started:6.1f}s {what}", flush=True)

    try:
        await db.migrate()
        async with db.transaction() as tx:
            await _guild(tx)
        if part in ("all", "search"):
            await _questions(db, counts, rng, corpus, solved_only=part == "search")
            say(f"{counts.questions} questions")
            # As the bot's daily upkeep leaves the search index (triage.index).
            while await triage_queries.merge_index(db, 2000):
                pass
            say("search index merged")
        if part == "all":
            await _events(db, counts, rng, text)
            say(f"{counts.events} events, {counts.rsvps} RSVPs")
            await _chats(db, counts, rng, text)
            say(f"{counts.occurrences} chat occurrences, {counts.votes} votes")
        if part in ("all", "mentor"):
            await _mentorship(db, counts, rng, text)
            say(f"{counts.requests} mentoring requests, {counts.mentors} mentors")
        if part == "all":
            await _jobs(db, counts, rng)
            say(f"{counts.jobs} finished jobs")
            await _grants(db, counts, rng, text)
            say(f"{counts.grants} grants")
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO meta (key, value) VALUES ('bench_seed', ?)",
                (json.dumps({"scale": scale, "part": part, "version": SEED_VERSION}),),
            )
    finally:
        await db.close()
    _checkpoint(path)
    say("checkpointed")
    return counts


def _checkpoint(path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


async def _guild(tx: Transaction) -> None:
    # /setup in the bench's world overwrites the channels with the real ones.
    await tx.execute(
        "INSERT INTO guild_settings (guild_id, questions_forum_id, updated_at) "
        "VALUES (?, ?, ?)",
        (GUILD_ID, FORUM_ID, NOW - YEAR),
    )


async def _questions(
    db: Database,
    counts: Counts,
    rng: random.Random,
    text: Corpus,
    *,
    solved_only: bool = False,
) -> None:
    """The forum's questions, with text from :class:`~bench.corpus.Corpus`, stored
    as the bot stores them (title, body and solution clipped to its limits)."""
    n, solved = counts.questions, counts.solved
    # Of the rest: a tenth closed, a twentieth never answered, the others answered.
    closed = (n - solved) // 10
    start = NOW - 3 * YEAR
    span = 3 * YEAR - DAY

    def rows() -> Iterator[Sequence[Any]]:
        for i in range(n):
            created = start + (span * i) // n
            author = _user(rng.randrange(counts.members))
            helper = _user(rng.randrange(counts.members))
            kind = i % 100
            solved_now = kind < solved * 100 // n
            if solved_only and not solved_now:
                continue
            if solved_now:
                state, answered = "solved", True
            elif kind < (solved + closed) * 100 // n:
                state, answered = "closed", True
            else:
                state, answered = "open", rng.random() > 0.05
            first = created + rng.randrange(600, 3 * DAY) if answered else None
            yield (
                THREAD_BASE + i,
                GUILD_ID,
                FORUM_ID,
                author,
                text.title()[:TITLE_LIMIT],
                text.body()[:MAX_BODY],
                text.solution()[:MAX_SOLUTION] if solved_now else "",
                state,
                created,
                THREAD_BASE + i,
                first,
                helper if answered else None,
                helper if answered else None,
                created,
                first or created,
                first + DAY if solved_now and first else None,
                author if solved_now else None,
                helper if solved_now else None,
                first + DAY if state == "closed" and first else None,
                helper if state == "closed" else None,
                "duplicate" if state == "closed" else None,
                # The answer marked as the solution, and who wrote it (the public
                # pages show only solved questions whose answer they know).
                ANSWER_BASE + i if solved_now else None,
                helper if solved_now else None,
            )

    await _insert(
        db,
        "INSERT INTO triage_questions (thread_id, guild_id, forum_id, author_id, title, "
        "body, solution, state, created_at, starter_message_id, first_response_at, "
        "first_responder_id, last_helper_id, last_asker_at, last_activity_at, solved_at, "
        "solved_by_id, helper_id, closed_at, closed_by_id, close_reason, "
        "answer_message_id, answer_author_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )

    def tags() -> Iterator[Sequence[Any]]:
        for i in range(n):
            if solved_only and i % 100 >= solved * 100 // n:
                continue
            for tag in set(rng.choices(TAGS, k=rng.randint(1, 2))):
                yield (THREAD_BASE + i, tag)

    await _insert(
        db, "INSERT INTO triage_question_tags (thread_id, tag) VALUES (?, ?)", tags()
    )


async def _events(db: Database, counts: Counts, rng: random.Random, text: Text) -> None:
    n = counts.events
    upcoming = max(1, n // 10)
    kinds = ("conference", "sprint", "meetup", "online_talk", "other")

    def rows() -> Iterator[Sequence[Any]]:
        for i in range(n):
            if i < n - upcoming:
                starts = NOW - 3 * YEAR + (3 * YEAR * i) // (n - upcoming)
            else:
                starts = NOW + DAY * (1 + (i - (n - upcoming)) % 180)
            yield (
                i + 1,
                GUILD_ID,
                _user(rng.randrange(counts.members)),
                f"{rng.choice(('PyCon', 'Flask', 'Pallets', 'DjangoCon', 'EuroPython'))}"
                f" {rng.choice(('sprint', 'meetup', 'talk night', 'conference'))} {i}",
                text.body()[:500],
                rng.choice(kinds),
                starts,
                starts + 3 * 3600,
                rng.choice(TIMEZONES),
                "https://example.org/events/" + str(i),
                "published",
                CHANNEL_ID,
                THREAD_BASE + 10_000_000 + i,
                THREAD_BASE + 20_000_000 + i,
                "2024-01",
                starts - 30 * DAY,
                starts - 30 * DAY,
            )

    await _insert(
        db,
        "INSERT INTO events (id, guild_id, organiser_id, title, description, kind, "
        "starts_at, ends_at, timezone, location, state, channel_id, message_id, "
        "scheduled_event_id, coc_version, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )

    def rsvps() -> Iterator[Sequence[Any]]:
        per, extra = divmod(counts.rsvps, n)
        states = ("going", "going", "going", "maybe", "not_going")
        for i in range(n):
            k = min(per + (1 if i < extra else 0), counts.members)
            for user in rng.sample(range(counts.members), k):
                yield (i + 1, _user(user), rng.choice(states), NOW - YEAR)

    await _insert(
        db,
        "INSERT INTO event_rsvps (event_id, user_id, state, updated_at) "
        "VALUES (?, ?, ?, ?)",
        rsvps(),
    )


async def _chats(db: Database, counts: Counts, rng: random.Random, text: Text) -> None:
    per_series = 100
    series = max(1, counts.occurrences // per_series)
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO chat_series (id, guild_id, name, cadence, weekday, week, "
            "local_time, timezone, duration_minutes, location_kind, location_url, "
            "lead_days, created_by, created_at) "
            "VALUES (?, ?, ?, 'monthly', 3, 2, '18:00', 'Europe/Paris', 60, "
            "'external', 'https://meet.example.org/flask', 7, ?, ?)",
            [
                (s + 1, GUILD_ID, f"Flask chat {s + 1}", _user(s), NOW - 10 * YEAR)
                for s in range(series)
            ],
        )
    occurrences: list[tuple[int, int]] = []  # (id, series)
    for i in range(counts.occurrences):
        occurrences.append((i + 1, i % series + 1))

    def occ_rows() -> Iterator[Sequence[Any]]:
        for occ_id, series_id in occurrences:
            # The newest of each series is the upcoming one; the others are done.
            age = (counts.occurrences - occ_id) // series
            slot = NOW + 20 * DAY + (series_id % 7) * 3600 - age * 30 * DAY
            yield (
                occ_id,
                GUILD_ID,
                series_id,
                slot,
                slot,
                slot + 3600,
                "planned" if age == 0 else "done",
            )

    await _insert(
        db,
        "INSERT INTO chat_occurrences (id, guild_id, series_id, slot_at, starts_at, "
        "ends_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
        occ_rows(),
    )
    per_occurrence = 10
    proposals = counts.occurrences * per_occurrence

    def proposal_rows() -> Iterator[Sequence[Any]]:
        for p in range(proposals):
            yield (
                p + 1,
                GUILD_ID,
                p // per_occurrence + 1,
                _user(rng.randrange(counts.members)),
                text.title(),
                text.solution()[:300],
                NOW - YEAR,
            )

    await _insert(
        db,
        "INSERT INTO chat_proposals (id, guild_id, occurrence_id, author_id, title, "
        "details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        proposal_rows(),
    )

    def votes() -> Iterator[Sequence[Any]]:
        per, extra = divmod(counts.votes, proposals)
        for p in range(proposals):
            k = min(per + (1 if p < extra else 0), counts.members)
            for user in rng.sample(range(counts.members), k):
                yield (p + 1, _user(user), NOW - YEAR)

    await _insert(
        db,
        "INSERT INTO chat_votes (proposal_id, user_id, created_at) VALUES (?, ?, ?)",
        votes(),
    )

    def interest() -> Iterator[Sequence[Any]]:
        for occ_id, _series in occurrences:
            for user in rng.sample(range(counts.members), min(20, counts.members)):
                yield (occ_id, _user(user), NOW - YEAR)

    await _insert(
        db,
        "INSERT INTO chat_interest (occurrence_id, user_id, created_at) "
        "VALUES (?, ?, ?)",
        interest(),
    )


def _mentee(i: int) -> int:
    return i


def _mentor(counts: Counts, i: int) -> int:
    # Mentors are the last members; mentees the first ones.
    return counts.members - 1 - i


async def _mentorship(
    db: Database, counts: Counts, rng: random.Random, text: Text
) -> None:
    def profiles() -> Iterator[Sequence[Any]]:
        for i in range(counts.mentors):
            yield (
                GUILD_ID,
                _user(_mentor(counts, i)),
                json.dumps(rng.sample(TOPICS, rng.randint(1, 4))),
                json.dumps(rng.sample(LANGUAGES, rng.randint(1, 2))),
                rng.choice(TIMEZONES),
                rng.randint(1, 3),
                int(rng.random() < 0.8),
                NOW - YEAR,
            )

    await _insert(
        db,
        "INSERT INTO mentor_profiles (guild_id, user_id, topics, languages, timezone, "
        "capacity, available, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        profiles(),
    )
    mentees = min(counts.requests, counts.members - counts.mentors)

    def requests() -> Iterator[Sequence[Any]]:
        for i in range(mentees):
            yield (
                i + 1,
                GUILD_ID,
                _user(_mentee(i)),
                json.dumps(rng.sample(TOPICS, rng.randint(1, 3))),
                text.title(),
                rng.choice(TIMEZONES),
                json.dumps(rng.sample(LANGUAGES, rng.randint(1, 2))),
                NOW - rng.randrange(60 * DAY),
            )

    await _insert(
        db,
        "INSERT INTO mentor_requests (id, guild_id, mentee_id, topics, goal, timezone, "
        "languages, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?)",
        requests(),
    )


async def _jobs(db: Database, counts: Counts, rng: random.Random) -> None:
    def rows() -> Iterator[Sequence[Any]]:
        for i in range(counts.jobs):
            due = NOW - 2 * YEAR + (2 * YEAR * i) // counts.jobs
            yield (
                f"bench:past:{i}",
                rng.choice(JOB_KINDS),
                GUILD_ID,
                due,
                DAY,
                json.dumps({"n": i}),
                "done",
                1,
                due - 7 * DAY,
                due + 1,
            )

    await _insert(
        db,
        "INSERT INTO jobs (key, kind, guild_id, due_at, catch_up_seconds, payload, "
        "state, attempts, created_at, finished_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )


async def _grants(db: Database, counts: Counts, rng: random.Random, text: Text) -> None:
    n = counts.grants
    states = ("approved", "approved", "rejected", "needs_info")

    def rows() -> Iterator[Sequence[Any]]:
        for i in range(n):
            state = "pending" if i >= n - max(1, n // 20) else rng.choice(states)
            created = NOW - 3 * YEAR + (3 * YEAR * i) // n
            yield (
                i + 1,
                GUILD_ID,
                _user(rng.randrange(counts.members)),
                "en-US",
                rng.randrange(1, counts.events + 1),
                f"Event {i}",
                f"{rng.randrange(100, 5000)}.00",
                rng.choice(("EUR", "USD", "GBP")),
                text.solution()[:200],
                rng.randrange(10, 500),
                state,
                created,
                created,
            )

    await _insert(
        db,
        "INSERT INTO event_grants (id, guild_id, requester_id, requester_locale, "
        "event_id, event_text, amount, currency, purpose, attendance, state, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )

    def audit() -> Iterator[Sequence[Any]]:
        for i in range(n):
            yield (i + 1, GUILD_ID, USER_BASE, None, "pending", NOW - YEAR)

    await _insert(
        db,
        "INSERT INTO event_grant_audit (grant_id, guild_id, actor_id, from_state, "
        "to_state, at) VALUES (?, ?, ?, ?, ?, ?)",
        audit(),
    )


# -- the cache ----------------------------------------------------------------------------------
def schema_key() -> str:
    """Identify the schema: a new migration means a new cached file."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"v{len(load_migrations())}-{digest.hexdigest()[:10]}"


def _scale_name(scale: float, part: str = "all") -> str:
    name = f"{scale:g}x".replace(".", "_")
    return name if part == "all" else f"{name}-{part}"


def cached_path(scale: float, part: str = "all") -> Path:
    return (
        CACHE_DIR
        / f"seed-s{SEED_VERSION}-{_scale_name(scale, part)}-{schema_key()}.sqlite3"
    )


async def cached_database(
    scale: float, *, part: str = "all", log: bool = False
) -> Path:
    """A seeded file for ``scale`` under the current schema, seeding when missing.

    When only an older schema's file exists, it is copied and migrated: the data
    is the same, and adding an index is much faster than seeding again.
    """
    path = cached_path(scale, part)
    if path.exists():
        return path
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    older = sorted(
        CACHE_DIR.glob(f"seed-s{SEED_VERSION}-{_scale_name(scale, part)}-v*.sqlite3"),
        key=lambda p: p.stat().st_mtime,
    )
    started = time.perf_counter()
    if older:
        if log:
            print(f"migrating {older[-1].name} to the current schema", flush=True)
        shutil.copyfile(older[-1], tmp)
        db = Database(tmp)
        await db.open()
        try:
            applied = await db.migrate()
        finally:
            await db.close()
        _checkpoint(tmp)
        if not applied:  # an existing migration was edited: only a fresh seed will do
            older = []
    if not older:
        if log:
            print(f"seeding {path.name} (scale {scale:g})", flush=True)
        await seed(tmp, scale, part=part, log=log)
    for suffix in ("-wal", "-shm", ".lock"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.replace(path)
    if log:
        print(f"ready in {time.perf_counter() - started:.1f} s: {path}", flush=True)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed", description="Seed (or find) a cached database."
    )
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0])
    parser.add_argument("--part", choices=PARTS, default="all")
    parser.add_argument(
        "--force", action="store_true", help="seed again even when cached"
    )
    args = parser.parse_args(argv)
    for scale in args.scale:
        if args.force:
            cached_path(scale, args.part).unlink(missing_ok=True)
        asyncio.run(cached_database(scale, part=args.part, log=True))


if __name__ == "__main__":
    main()
