"""Every SQL statement of question triage."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from bot.db import Database
from bot.db import record
from bot.db import Row
from cogs.triage._logic import crossings
from cogs.triage._logic import DAY
from cogs.triage._logic import Digest
from cogs.triage._logic import DIGEST_LISTED
from cogs.triage._logic import DigestItem
from cogs.triage._logic import DigestNews
from cogs.triage._logic import DigestSchedule
from cogs.triage._logic import fts_phrase
from cogs.triage._logic import UNANSWERED_AFTER

_OPEN = "'open'"


@dataclass(frozen=True, slots=True)
class Question:
    thread_id: int
    guild_id: int
    forum_id: int
    author_id: int
    title: str
    body: str
    solution: str
    state: str
    created_at: int
    starter_message_id: int | None
    bot_tags: str
    first_response_at: int | None
    first_responder_id: int | None
    last_helper_id: int | None
    last_asker_at: int
    last_activity_at: int
    thanks_offered: int
    needs_help: int
    solved_at: int | None
    solved_by_id: int | None
    helper_id: int | None
    answer_message_id: int | None
    closed_at: int | None
    closed_by_id: int | None
    close_reason: str | None
    close_link: str | None
    close_note: str | None

    @classmethod
    def from_row(cls, row: Row) -> Question:
        return record(cls, row)

    @property
    def bot_tag_ids(self) -> list[int]:
        return [int(t) for t in json.loads(self.bot_tags)]

    @property
    def answered(self) -> bool:
        return self.first_response_at is not None


@dataclass(frozen=True, slots=True)
class Candidate:
    thread_id: int
    title: str
    body: str
    solution: str
    rank: float


@dataclass(frozen=True, slots=True)
class QueueItem:
    thread_id: int
    title: str
    created_at: int
    needs_help: bool


@dataclass(frozen=True, slots=True)
class Stats:
    by_state: dict[str, int]
    unanswered: int
    by_tag: list[tuple[str, int]]
    median_response: float | None
    median_solved: float | None


async def insert_question(
    db: Database,
    *,
    thread_id: int,
    guild_id: int,
    forum_id: int,
    author_id: int,
    title: str,
    created_at: int,
) -> bool:
    """Record a new post; return False when it was already recorded."""
    result = await db.execute(
        "INSERT INTO triage_questions (thread_id, guild_id, forum_id, author_id, title, "
        "created_at, last_asker_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (thread_id) DO NOTHING",
        (
            thread_id,
            guild_id,
            forum_id,
            author_id,
            title,
            created_at,
            created_at,
            created_at,
        ),
    )
    return result.rowcount > 0


async def get_question(db: Database, thread_id: int) -> Question | None:
    row = await db.fetchone(
        "SELECT * FROM triage_questions WHERE thread_id = ?", (thread_id,)
    )
    return Question.from_row(row) if row else None


async def claim_starter(
    db: Database, thread_id: int, message_id: int, body: str
) -> bool:
    """Store the starter's text once; False when a starter was already handled."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE triage_questions SET starter_message_id = ?, body = ? "
            "WHERE thread_id = ? AND starter_message_id IS NULL RETURNING thread_id",
            (message_id, body, thread_id),
        )
    return row is not None


async def set_library_tags(db: Database, thread_id: int, names: list[str]) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "DELETE FROM triage_question_tags WHERE thread_id = ?", (thread_id,)
        )
        await tx.executemany(
            "INSERT OR IGNORE INTO triage_question_tags (thread_id, tag) VALUES (?, ?)",
            [(thread_id, name) for name in names],
        )


async def question_tags(db: Database, thread_id: int) -> list[str]:
    rows = await db.fetchall(
        "SELECT tag FROM triage_question_tags WHERE thread_id = ? ORDER BY tag",
        (thread_id,),
    )
    return [row["tag"] for row in rows]


async def set_bot_tags(db: Database, thread_id: int, bot_tag_ids: list[int]) -> None:
    await db.execute(
        "UPDATE triage_questions SET bot_tags = ? WHERE thread_id = ?",
        (json.dumps(sorted(set(bot_tag_ids))), thread_id),
    )


async def record_reply(db: Database, thread_id: int, author_id: int, now: int) -> bool:
    """Note a reply by someone other than the asker; True when it was the first."""
    async with db.transaction() as tx:
        first = await tx.fetchone(
            "UPDATE triage_questions SET first_response_at = ?, first_responder_id = ? "
            "WHERE thread_id = ? AND first_response_at IS NULL RETURNING thread_id",
            (now, author_id, thread_id),
        )
        await tx.execute(
            "UPDATE triage_questions SET last_helper_id = ?, last_activity_at = ? "
            "WHERE thread_id = ?",
            (author_id, now, thread_id),
        )
    return first is not None


async def record_asker_message(db: Database, thread_id: int, now: int) -> None:
    await db.execute(
        "UPDATE triage_questions SET last_asker_at = ?, last_activity_at = ? "
        "WHERE thread_id = ?",
        (now, now, thread_id),
    )


async def claim_thanks_offer(db: Database, thread_id: int) -> bool:
    """True the first time only: the thank-you button is offered once per question."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE triage_questions SET thanks_offered = 1 "
            f"WHERE thread_id = ? AND thanks_offered = 0 AND state = {_OPEN} "
            "RETURNING thread_id",
            (thread_id,),
        )
    return row is not None


async def mark_solved(
    db: Database,
    thread_id: int,
    *,
    by_id: int,
    helper_id: int | None,
    answer_message_id: int | None,
    solution: str,
    now: int,
    answer_author_id: int | None = None,
) -> bool:
    """Open to solved; False when it was not open (already solved, closed, gone).

    ``answer_author_id`` wrote the answer (the credited helper may be someone else):
    the public pages ask their consent, not the helper's.
    """
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE triage_questions SET state = 'solved', solved_at = ?, "
            "solved_by_id = ?, helper_id = ?, answer_message_id = ?, solution = ?, "
            "answer_author_id = ?, needs_help = 0 "
            f"WHERE thread_id = ? AND state = {_OPEN} RETURNING thread_id",
            (
                now,
                by_id,
                helper_id,
                answer_message_id,
                solution,
                answer_author_id,
                thread_id,
            ),
        )
    return row is not None


async def mark_closed(
    db: Database,
    thread_id: int,
    *,
    by_id: int,
    reason: str,
    link: str | None,
    note: str | None,
    now: int,
) -> bool:
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE triage_questions SET state = 'closed', closed_at = ?, "
            "closed_by_id = ?, close_reason = ?, close_link = ?, close_note = ? "
            "WHERE thread_id = ? AND state IN ('open', 'solved') RETURNING thread_id",
            (now, by_id, reason, link, note, thread_id),
        )
    return row is not None


async def reopen(db: Database, thread_id: int, now: int) -> bool:
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE triage_questions SET state = 'open', solved_at = NULL, "
            "solved_by_id = NULL, helper_id = NULL, answer_message_id = NULL, "
            "answer_author_id = NULL, solution = '', closed_at = NULL, closed_by_id = NULL, close_reason = NULL, "
            "close_link = NULL, close_note = NULL, last_activity_at = ? "
            "WHERE thread_id = ? AND state IN ('solved', 'closed') RETURNING thread_id",
            (now, thread_id),
        )
    return row is not None


async def set_needs_help(db: Database, thread_id: int, now: int) -> bool:
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE triage_questions SET needs_help = 1, last_asker_at = ?, "
            f"last_activity_at = ? WHERE thread_id = ? AND state = {_OPEN} "
            "RETURNING thread_id",
            (now, now, thread_id),
        )
    return row is not None


async def mark_deleted(db: Database, thread_id: int) -> bool:
    """A deleted thread: keep its counts, never suggest or list it again."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE triage_questions SET state = 'deleted', body = '', solution = '' "
            "WHERE thread_id = ? AND state != 'deleted' RETURNING thread_id",
            (thread_id,),
        )
    return row is not None


async def forget_message(db: Database, thread_id: int, message_id: int) -> None:
    """A deleted starter or answer: drop the copy of its text the bot kept."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE triage_questions SET body = '' "
            "WHERE thread_id = ? AND starter_message_id = ?",
            (thread_id, message_id),
        )
        await tx.execute(
            "UPDATE triage_questions SET solution = '' "
            "WHERE thread_id = ? AND answer_message_id = ?",
            (thread_id, message_id),
        )


# Up to :cap solved questions containing each quoted term of the JSON array :terms
# (FTS5 stops reading a term's documents at the cap).
TERM_DOCUMENTS = (
    "SELECT t.key AS i, (SELECT count(*) FROM (SELECT 1 FROM triage_fts "
    "WHERE triage_fts MATCH t.value LIMIT :cap)) AS n FROM json_each(:terms) AS t"
)


async def term_documents(
    db: Database, terms: Sequence[str], cap: int
) -> dict[str, int]:
    """How many solved questions contain each term, counted up to ``cap``."""
    phrases = [(term, fts_phrase(term)) for term in terms]
    usable = [(term, phrase) for term, phrase in phrases if phrase is not None]
    if not usable:
        return {}
    rows = await db.fetchall(
        TERM_DOCUMENTS,
        {"cap": cap, "terms": json.dumps([phrase for _term, phrase in usable])},
    )
    return {usable[row["i"]][0]: int(row["n"]) for row in rows}


# FTS5 ranks and cuts the matches itself (the rank column), reading only the
# guild of each match; the text is read for the few it keeps.
SEARCH_SOLVED = (
    "SELECT q.thread_id, q.title, q.body, q.solution, m.rank FROM ("
    "SELECT f.rowid AS thread_id, f.rank AS rank FROM triage_fts AS f "
    "JOIN triage_questions AS s ON s.thread_id = f.rowid "
    "WHERE triage_fts MATCH :match AND f.rank MATCH 'bm25(3.0, 1.0, 2.0)' "
    "AND s.guild_id = :guild AND s.state = 'solved' AND s.thread_id != :exclude "
    "ORDER BY f.rank LIMIT :limit) AS m "
    "JOIN triage_questions AS q ON q.thread_id = m.thread_id ORDER BY m.rank"
)


# When every word of a question is common, ranking by BM25 would read and weigh most
# of the index for little: the newest solved questions holding all of its first few
# words are read instead, newest first, and FTS5 stops after ``limit`` of them.
SEARCH_SOLVED_RECENT = (
    "SELECT q.thread_id, q.title, q.body, q.solution, 0.0 AS rank "
    "FROM triage_fts AS f JOIN triage_questions AS q ON q.thread_id = f.rowid "
    "WHERE triage_fts MATCH :match AND q.guild_id = :guild AND q.state = 'solved' "
    "AND q.thread_id != :exclude ORDER BY f.rowid DESC LIMIT :limit"
)


async def search_solved_recent(
    db: Database, guild_id: int, match: str, *, exclude: int, limit: int = 20
) -> list[Candidate]:
    """Solved questions of this guild matching ``match``, newest first (no ranking)."""
    rows = await db.fetchall(
        SEARCH_SOLVED_RECENT,
        {"match": match, "guild": guild_id, "exclude": exclude, "limit": limit},
    )
    return [
        Candidate(r["thread_id"], r["title"], r["body"], r["solution"], r["rank"])
        for r in rows
    ]


async def search_solved(
    db: Database, guild_id: int, match: str, *, exclude: int, limit: int = 20
) -> list[Candidate]:
    """Solved questions of this guild matching ``match`` (an FTS5 expression), best first.

    ``match`` must come from :func:`cogs.triage._logic.fts_query`, which quotes
    every term. bm25 weights: title 3, body 1, solution 2. The index holds solved
    questions only (migration 0008).
    """
    rows = await db.fetchall(
        SEARCH_SOLVED,
        {"match": match, "guild": guild_id, "exclude": exclude, "limit": limit},
    )
    return [
        Candidate(r["thread_id"], r["title"], r["body"], r["solution"], r["rank"])
        for r in rows
    ]


# The search index's segments (FTS5 keeps one row per segment and leaf page span).
INDEX_SEGMENTS = "SELECT count(DISTINCT segid) FROM triage_fts_idx"


async def merge_index(db: Database, pages: int) -> bool:
    """Merge the search index's segments, writing about ``pages`` pages; False when
    it is one segment already (nothing to do)."""
    if int(await db.fetchval(INDEX_SEGMENTS)) <= 1:
        return False
    # A negative count merges segments of any level, towards a single one.
    await db.execute(
        "INSERT INTO triage_fts (triage_fts, rank) VALUES ('merge', ?)", (-pages,)
    )
    return True


_QUEUE_WHERE = (
    "q.guild_id = ? AND q.state = 'open' "
    "AND (q.first_response_at IS NULL OR q.needs_help = 1) "
    "AND (? IS NULL OR EXISTS (SELECT 1 FROM triage_question_tags t "
    "WHERE t.thread_id = q.thread_id AND t.tag = ? COLLATE NOCASE))"
)
# INDEXED BY: the partial index holds exactly the queue; without statistics the
# planner would prefer the wider (guild, state) index and walk every open question.
_QUEUE_FROM = "FROM triage_questions q INDEXED BY triage_questions_queue"
QUEUE_COUNT = f"SELECT count(*) {_QUEUE_FROM} WHERE {_QUEUE_WHERE}"
QUEUE_PAGE = (
    "SELECT q.thread_id, q.title, q.created_at, q.needs_help "
    f"{_QUEUE_FROM} WHERE {_QUEUE_WHERE} "
    "ORDER BY q.created_at, q.thread_id LIMIT ? OFFSET ?"
)


async def queue(
    db: Database, guild_id: int, tag: str | None, *, offset: int, limit: int
) -> tuple[list[QueueItem], int]:
    """Unanswered (or "still need help") open questions, oldest first, and the total."""
    params = (guild_id, tag, tag)
    count, rows = await db.fetch_together(
        (QUEUE_COUNT, params), (QUEUE_PAGE, (*params, limit, offset))
    )
    total = count[0][0]
    items = [
        QueueItem(r["thread_id"], r["title"], r["created_at"], bool(r["needs_help"]))
        for r in rows
    ]
    return items, int(total)


# The digest shows a few of each list and counts the rest: a busy forum's lists are
# counted in SQL, never loaded.
NEW_SINCE = (
    "SELECT thread_id, title, created_at FROM triage_questions "
    "WHERE guild_id = ? AND created_at >= ? AND state != 'deleted' "
    "ORDER BY created_at LIMIT ?"
)
NEW_SINCE_COUNT = (
    "SELECT count(*) FROM triage_questions "
    "WHERE guild_id = ? AND created_at >= ? AND state != 'deleted'"
)


async def new_since(
    db: Database, guild_id: int, since: int, *, limit: int = DIGEST_LISTED
) -> tuple[list[DigestItem], int]:
    """The first ``limit`` questions posted since ``since``, and how many there are."""
    rows = await db.fetchall(NEW_SINCE, (guild_id, since, limit))
    total = await db.fetchval(NEW_SINCE_COUNT, (guild_id, since))
    items = [DigestItem(r["thread_id"], r["title"], r["created_at"]) for r in rows]
    return items, int(total)


UNANSWERED_BEFORE = (
    "SELECT thread_id, title, created_at "
    "FROM triage_questions INDEXED BY triage_questions_unanswered WHERE guild_id = ? AND state = 'open' AND first_response_at IS NULL "
    "AND created_at < ? ORDER BY created_at LIMIT ?"
)
UNANSWERED_BEFORE_COUNT = (
    "SELECT count(*) FROM triage_questions INDEXED BY triage_questions_unanswered "
    "WHERE guild_id = ? AND state = 'open' AND first_response_at IS NULL "
    "AND created_at < ?"
)


async def unanswered_before(
    db: Database, guild_id: int, before: int, *, limit: int = DIGEST_LISTED
) -> tuple[list[DigestItem], int]:
    """The oldest ``limit`` open questions nobody answered, and how many there are."""
    rows = await db.fetchall(UNANSWERED_BEFORE, (guild_id, before, limit))
    total = await db.fetchval(UNANSWERED_BEFORE_COUNT, (guild_id, before))
    items = [DigestItem(r["thread_id"], r["title"], r["created_at"]) for r in rows]
    return items, int(total)


SOLVED_BETWEEN = (
    "SELECT count(*) FROM triage_questions WHERE guild_id = ? "
    "AND state = 'solved' AND solved_at >= ? AND solved_at < ?"
)


async def solved_between(db: Database, guild_id: int, start: int, end: int) -> int:
    return int(await db.fetchval(SOLVED_BETWEEN, (guild_id, start, end)))


UNANSWERED_COUNT = (
    "SELECT count(*) FROM triage_questions INDEXED BY triage_questions_unanswered "
    "WHERE guild_id = ? AND state = 'open' AND first_response_at IS NULL"
)
UNANSWERED_CREATED_BETWEEN = (
    "SELECT count(*) FROM triage_questions INDEXED BY triage_questions_unanswered "
    "WHERE guild_id = ? AND state = 'open' AND first_response_at IS NULL "
    "AND created_at > ? AND created_at <= ?"
)


async def unanswered_count(db: Database, guild_id: int) -> int:
    """Open questions nobody answered yet, whatever their age."""
    return int(await db.fetchval(UNANSWERED_COUNT, (guild_id,)))


async def unanswered_created_between(
    db: Database, guild_id: int, after: int, until: int
) -> int:
    """Open unanswered questions created in (``after``, ``until``]."""
    return int(await db.fetchval(UNANSWERED_CREATED_BETWEEN, (guild_id, after, until)))


async def digest_reads(
    db: Database, guild_id: int, now: int, row: DigestRow
) -> tuple[DigestNews, Digest]:
    """What changed since the last digest (``row``) and what the digest posted at
    ``now`` says, read in one trip to SQLite's thread and
    one snapshot of the database.

    The same reads as :func:`new_since`, :func:`unanswered_before`,
    :func:`solved_between`, :func:`top_helpers`, :func:`unanswered_count` and
    :func:`unanswered_created_between`: a dozen hand-offs between the event loop
    and the connection's thread became one.
    """
    last_at = row.last_at
    since = last_at if last_at is not None else now - DAY
    before = now - UNANSWERED_AFTER
    windows = [] if last_at is None else crossings(last_at, now)
    rows = await db.fetch_together(
        (UNANSWERED_COUNT, (guild_id,)),
        (NEW_SINCE, (guild_id, since, DIGEST_LISTED)),
        (NEW_SINCE_COUNT, (guild_id, since)),
        (UNANSWERED_BEFORE, (guild_id, before, DIGEST_LISTED)),
        (UNANSWERED_BEFORE_COUNT, (guild_id, before)),
        (SOLVED_BETWEEN, (guild_id, since, now)),
        (TOP_HELPERS, (guild_id, now - 7 * DAY, TOP_HELPERS_LISTED)),
        *(
            (UNANSWERED_CREATED_BETWEEN, (guild_id, after, until))
            for after, until in windows
        ),
    )
    unanswered_now, new, new_total, waiting, waiting_total, solved, helpers = rows[:7]
    unanswered = int(unanswered_now[0][0])
    digest = Digest(
        new=[DigestItem(r["thread_id"], r["title"], r["created_at"]) for r in new],
        unanswered=[
            DigestItem(r["thread_id"], r["title"], r["created_at"]) for r in waiting
        ],
        new_total=int(new_total[0][0]),
        unanswered_total=int(waiting_total[0][0]),
        solved=int(solved[0][0]),
        top_helpers=[(r["helper_id"], r["n"]) for r in helpers],
        since=last_at,
    )
    if last_at is None:
        return DigestNews(unanswered=unanswered), digest
    news = DigestNews(
        new=digest.new_total,
        solved=digest.solved,
        crossed=sum(int(crossed[0][0]) for crossed in rows[7:]),
        unanswered=unanswered,
        last_unanswered=row.last_unanswered,
    )
    return news, digest


@dataclass(frozen=True, slots=True)
class DigestRow:
    """A guild's digest schedule and what its last digest saw."""

    schedule: DigestSchedule
    last_at: int | None
    last_unanswered: int | None


async def digest_row(db: Database, guild_id: int) -> DigestRow:
    row = await db.fetchone(
        "SELECT * FROM triage_digest WHERE guild_id = ?", (guild_id,)
    )
    if row is None:
        return DigestRow(DigestSchedule(timezone=""), None, None)
    hour, minute = (int(part) for part in row["local_time"].split(":"))
    return DigestRow(
        DigestSchedule(
            at=time(hour, minute),
            days=frozenset(int(d) for d in row["days"]),
            timezone=row["timezone"] or "",
        ),
        row["last_at"],
        row["last_unanswered"],
    )


async def set_digest_schedule(
    db: Database, guild_id: int, schedule: DigestSchedule
) -> None:
    await db.execute(
        "INSERT INTO triage_digest (guild_id, local_time, days, timezone) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
        "local_time = excluded.local_time, days = excluded.days, "
        "timezone = excluded.timezone",
        (
            guild_id,
            f"{schedule.at.hour:02d}:{schedule.at.minute:02d}",
            "".join(str(d) for d in sorted(schedule.days)),
            schedule.timezone or None,
        ),
    )


async def record_digest(db: Database, guild_id: int, at: int, unanswered: int) -> None:
    """Remember the digest posted at ``at``: the next one says what changed since."""
    await db.execute(
        "INSERT INTO triage_digest (guild_id, last_at, last_unanswered) "
        "VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
        "last_at = excluded.last_at, last_unanswered = excluded.last_unanswered",
        (guild_id, at, unanswered),
    )


TOP_HELPERS = (
    "SELECT helper_id, count(*) AS n FROM triage_questions WHERE guild_id = ? "
    "AND state = 'solved' AND solved_at >= ? AND helper_id IS NOT NULL "
    "GROUP BY helper_id ORDER BY n DESC, helper_id LIMIT ?"
)


#: Helpers named in the digest.
TOP_HELPERS_LISTED = 5


async def top_helpers(
    db: Database, guild_id: int, since: int, limit: int = TOP_HELPERS_LISTED
) -> list[tuple[int, int]]:
    rows = await db.fetchall(TOP_HELPERS, (guild_id, since, limit))
    return [(r["helper_id"], r["n"]) for r in rows]


_WINDOW = "guild_id = :guild AND created_at >= :since AND state != 'deleted'"
STATS_STATES = (
    "SELECT state, count(*) AS n, "
    "sum(state = 'open' AND first_response_at IS NULL) AS unanswered "
    f"FROM triage_questions WHERE {_WINDOW} GROUP BY state"
)
STATS_TAGS = (
    "SELECT t.tag, count(*) AS n FROM triage_question_tags t "
    "JOIN triage_questions q ON q.thread_id = t.thread_id "
    "WHERE q.guild_id = :guild AND q.created_at >= :since AND q.state != 'deleted' "
    "GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT 10"
)


def _median_sql(value: str, condition: str) -> str:
    # The median (the mean of the two middle values for an even count), in SQL: the
    # values in order, cut to the middle one or two (faster than a window function,
    # which holds every row). With no values, LIMIT 2 OFFSET 0 of nothing: NULL.
    rows = f"FROM triage_questions WHERE {_WINDOW} AND {condition}"
    count = f"(SELECT count(*) {rows})"
    return (
        f"SELECT avg(v) AS median FROM (SELECT {value} AS v {rows} ORDER BY v "
        f"LIMIT 2 - {count} % 2 OFFSET ({count} - 1) / 2)"
    )


STATS_MEDIAN_RESPONSE = _median_sql(
    "first_response_at - created_at", "first_response_at IS NOT NULL"
)
STATS_MEDIAN_SOLVED = _median_sql(
    "solved_at - created_at", "state = 'solved' AND solved_at IS NOT NULL"
)


async def stats(db: Database, guild_id: int, since: int) -> Stats:
    """Counts and median times of the questions posted since ``since``, in SQL."""
    params = {"guild": guild_id, "since": since}
    rows = await db.fetchall(STATS_STATES, params)
    tag_rows = await db.fetchall(STATS_TAGS, params)
    response = await db.fetchval(STATS_MEDIAN_RESPONSE, params)
    solved = await db.fetchval(STATS_MEDIAN_SOLVED, params)
    return Stats(
        by_state={r["state"]: r["n"] for r in rows},
        unanswered=sum(r["unanswered"] for r in rows),
        by_tag=[(r["tag"], r["n"]) for r in tag_rows],
        median_response=None if response is None else float(response),
        median_solved=None if solved is None else float(solved),
    )


async def guilds_with_questions(db: Database) -> list[int]:
    rows = await db.fetchall(
        "SELECT guild_id FROM guild_settings WHERE questions_forum_id IS NOT NULL"
    )
    return [r["guild_id"] for r in rows]


# -- helpers' tag rules -------------------------------------------------------------------
async def tag_rules(db: Database, guild_id: int) -> list[tuple[str, str]]:
    rows = await db.fetchall(
        "SELECT tag, keyword FROM triage_tag_rules WHERE guild_id = ? "
        "ORDER BY tag, keyword",
        (guild_id,),
    )
    return [(r["tag"], r["keyword"]) for r in rows]


async def add_tag_rule(
    db: Database, guild_id: int, tag: str, keyword: str, by_id: int, now: int
) -> bool:
    result = await db.execute(
        "INSERT INTO triage_tag_rules (guild_id, tag, keyword, created_by_id, "
        "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (guild_id, tag, keyword, by_id, now),
    )
    return result.rowcount > 0


async def remove_tag_rule(db: Database, guild_id: int, tag: str, keyword: str) -> bool:
    result = await db.execute(
        "DELETE FROM triage_tag_rules WHERE guild_id = ? AND tag = ? AND keyword = ?",
        (guild_id, tag, keyword),
    )
    return result.rowcount > 0


async def add_escalation(
    db: Database,
    *,
    guild_id: int,
    thread_id: int,
    repo: str,
    url: str,
    by_id: int,
    now: int,
) -> None:
    await db.execute(
        "INSERT INTO triage_escalations (guild_id, thread_id, repo, url, "
        "created_by_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, thread_id, repo, url, by_id, now),
    )


# -- the public pages (bot.pages): solved questions that may be published ---------------
@dataclass(frozen=True, slots=True)
class PublicQuestion:
    """A solved question as the public pages may show it: names only by consent."""

    thread_id: int
    title: str
    body: str
    solution: str
    created_at: int
    solved_at: int
    #: The names their authors agreed to show (``None``: "a member").
    author_name: str | None
    answer_name: str | None


# What may be published: solved, in the server's (public) questions forum, with the
# answer's text kept, and written by people none of whom took their content off the
# pages. The members' choices are read here, in the same query, so a removal shows
# on the next view.
_PUBLIC = (
    "q.guild_id = :guild AND q.forum_id = :forum AND q.state = 'solved' "
    "AND q.solution != '' AND q.answer_author_id IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM page_members AS m WHERE m.guild_id = q.guild_id "
    "AND m.user_id IN (q.author_id, q.answer_author_id) AND m.removed_at IS NOT NULL)"
)
_PUBLIC_COLUMNS = (
    "q.thread_id, q.title, q.body, q.solution, q.created_at, q.solved_at, "
    "(SELECT name FROM page_members AS a WHERE a.guild_id = q.guild_id "
    "AND a.user_id = q.author_id) AS author_name, "
    "(SELECT name FROM page_members AS b WHERE b.guild_id = q.guild_id "
    "AND b.user_id = q.answer_author_id) AS answer_name"
)
# Newest solved first, a page at a time from a (solved_at, thread_id) cursor: the
# solved index is walked backwards, whatever the forum's size.
PUBLIC_LATEST = (
    f"SELECT {_PUBLIC_COLUMNS} FROM triage_questions AS q "
    "INDEXED BY triage_questions_solved "
    f"WHERE {_PUBLIC} AND q.solved_at IS NOT NULL "
    "AND (q.solved_at, q.thread_id) < (:at, :id) "
    "ORDER BY q.solved_at DESC, q.thread_id DESC LIMIT :limit"
)
PUBLIC_ONE = (
    f"SELECT {_PUBLIC_COLUMNS} FROM triage_questions AS q "
    f"WHERE q.thread_id = :thread AND {_PUBLIC}"
)
# Search: every word must be there. Ranked (bm25: title 3, body 1, solution 2) when
# a word is rare enough to bound the matches; otherwise the newest matches first, and
# FTS5 stops after ``limit`` of them.
PUBLIC_SEARCH_RANKED = (
    f"SELECT {_PUBLIC_COLUMNS} FROM triage_fts AS f "
    "JOIN triage_questions AS q ON q.thread_id = f.rowid "
    f"WHERE triage_fts MATCH :match AND f.rank MATCH 'bm25(3.0, 1.0, 2.0)' AND {_PUBLIC} "
    "ORDER BY f.rank LIMIT :limit"
)
PUBLIC_SEARCH_RECENT = (
    f"SELECT {_PUBLIC_COLUMNS} FROM triage_fts AS f "
    "JOIN triage_questions AS q ON q.thread_id = f.rowid "
    f"WHERE triage_fts MATCH :match AND {_PUBLIC} "
    "ORDER BY f.rowid DESC LIMIT :limit"
)


def _public(row: Row) -> PublicQuestion:
    return record(PublicQuestion, row)


async def public_latest(
    db: Database,
    guild_id: int,
    forum_id: int,
    *,
    before: tuple[int, int] | None,
    limit: int,
) -> list[PublicQuestion]:
    """The newest publishable solved questions, older than ``before`` if given."""
    at, ident = before if before is not None else (2**62, 2**62)
    rows = await db.fetchall(
        PUBLIC_LATEST,
        {"guild": guild_id, "forum": forum_id, "at": at, "id": ident, "limit": limit},
    )
    return [_public(row) for row in rows]


async def public_question(
    db: Database, guild_id: int, forum_id: int, thread_id: int
) -> PublicQuestion | None:
    row = await db.fetchone(
        PUBLIC_ONE, {"guild": guild_id, "forum": forum_id, "thread": thread_id}
    )
    return _public(row) if row else None


async def public_search(
    db: Database, guild_id: int, forum_id: int, match: str, *, ranked: bool, limit: int
) -> list[PublicQuestion]:
    """Publishable solved questions holding every word of ``match`` (from fts_all)."""
    rows = await db.fetchall(
        PUBLIC_SEARCH_RANKED if ranked else PUBLIC_SEARCH_RECENT,
        {"guild": guild_id, "forum": forum_id, "match": match, "limit": limit},
    )
    return [_public(row) for row in rows]
