"""The hot queries' plans, checked with EXPLAIN QUERY PLAN on a migrated database.

Every statement here is imported from the module that runs it, so the plan checked is
the plan of the SQL the bot sends. A hot query must not read a whole big table (a
``SCAN`` of it, or a full scan of an index that does not cover the query), and must not
sort in a temporary b-tree when an index could give the order; a case that sorts a
result known to be small says so, and why, in ``sorts``.

The database is empty and has no ``ANALYZE`` statistics: that is how a fresh install
plans, and a plan that is good only with statistics would be bad until they exist.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.db import load_migrations
from cogs.chats import _queries as chats
from cogs.events import _queries as events
from cogs.grants import _queries as grants
from cogs.mentorship import _queries as mentorship
from cogs.triage import _queries as triage

#: Tables that grow with the community's history (the benchmark's 10x seed holds
#: 10^5 to 10^6 rows in each). The others hold a row per guild, series or setting.
BIG_TABLES = frozenset(
    {
        "triage_questions",
        "triage_question_tags",
        "triage_fts",
        "events",
        "event_rsvps",
        "event_grants",
        "event_grant_audit",
        "chat_occurrences",
        "chat_proposals",
        "chat_votes",
        "chat_interest",
        "mentor_requests",
        "mentor_profiles",
        "mentor_pairings",
        "jobs",
        "outbox",
        "mentor_queue_changes",
    }
)


@dataclass(frozen=True)
class Case:
    name: str
    sql: str
    #: An index the plan must use (None: any plan without a full scan).
    uses: str | None = None
    #: Why a temporary b-tree for ORDER BY is acceptable (None: it is not).
    sorts: str | None = None
    #: Why reading every row of the guild (an index searched by guild_id alone) is
    #: acceptable (None: it is not; the bot serves one big guild, so that is a scan).
    whole_guild: str | None = None


def alike(queries: dict[str, str], **expected: str) -> list[Case]:
    """Cases for queries (name -> SQL) that read the same index for the same reasons:
    a list and its count, the two halves of a digest."""
    return [Case(name, sql, **expected) for name, sql in queries.items()]


CASES = [
    # -- triage: the message listener, the search, the helpers' tools, the digest
    Case("triage search: term counts", triage.TERM_DOCUMENTS),
    Case(
        "triage search: ranked solved questions",
        triage.SEARCH_SOLVED,
        sorts="re-orders the <= 20 rows FTS5 already ranked and cut",
    ),
    Case("triage search: only common words", triage.SEARCH_SOLVED_RECENT),
    Case(
        "triage queue: count",
        triage.QUEUE_COUNT,
        uses="triage_questions_queue",
        whole_guild="the partial index holds only the queue, nothing else",
    ),
    Case(
        "triage queue: page",
        triage.QUEUE_PAGE,
        uses="triage_questions_queue",
        whole_guild="the partial index holds only the queue, in order: LIMIT stops it",
    ),
    *alike(
        {
            "triage digest: new": triage.NEW_SINCE,
            "triage digest: new count": triage.NEW_SINCE_COUNT,
        },
        uses="triage_questions_created",
    ),
    *alike(
        {
            "triage digest: unanswered": triage.UNANSWERED_BEFORE,
            "triage digest: unanswered count": triage.UNANSWERED_BEFORE_COUNT,
            "triage digest: unanswered crossing an age": (
                triage.UNANSWERED_CREATED_BETWEEN
            ),
        },
        uses="triage_questions_unanswered",
    ),
    Case(
        "triage digest: all unanswered, counted",
        triage.UNANSWERED_COUNT,
        uses="triage_questions_unanswered",
        whole_guild="the partial index holds only the unanswered, nothing else",
    ),
    Case(
        "triage digest: solved since the last",
        triage.SOLVED_BETWEEN,
        uses="triage_questions_solved",
    ),
    Case(
        "triage digest: top helpers",
        triage.TOP_HELPERS,
        uses="triage_questions_solved",
        sorts="orders the week's helpers (one row per helper) by their count",
    ),
    Case("triage stats: states", triage.STATS_STATES, uses="triage_questions_created"),
    Case(
        "triage stats: tags",
        triage.STATS_TAGS,
        uses="triage_questions_created",
        sorts="orders the per-tag counts (one row per library tag)",
    ),
    *alike(
        {
            "triage stats: median response": triage.STATS_MEDIAN_RESPONSE,
            "triage stats: median solved": triage.STATS_MEDIAN_SOLVED,
        },
        uses="triage_questions_created",
        sorts="a median needs the window's values in order; counted in SQL, not loaded",
    ),
    # -- events: the announcement's counts, the reminder, /event list, autocomplete
    Case("events: RSVP counts", events.RSVP_COUNTS, uses="event_rsvps_state"),
    Case("events: going members", events.GOING_MEMBERS),
    Case("events: going members opted in", events.GOING_MEMBERS_OPTED_IN),
    Case("events: count upcoming", events.COUNT_UPCOMING, uses="events_ending"),
    *alike(
        {
            "events: upcoming page": events.UPCOMING,
            "events: autocomplete": events.EVENTS_FOR_AUTOCOMPLETE,
        },
        uses="events_ending",
        sorts="orders the events that have not ended yet: a few dozen",
    ),
    # -- chats: the topic tally, upcoming chats, history
    Case("chats: proposals with votes", chats.PROPOSALS),
    *alike(
        {
            "chats: upcoming in guild": chats.UPCOMING_IN_GUILD,
            "chats: next in guild": chats.NEXT_IN_GUILD,
        },
        uses="chat_occurrences_upcoming",
        sorts="orders the planned or open occurrences: one per series",
    ),
    Case("chats: history", chats.HISTORY, uses="chat_occurrences_started"),
    Case(
        "chats: history count",
        chats.HISTORY_COUNT,
        uses="chat_occurrences_upcoming",  # covers (guild, status, start)
    ),
    # -- mentorship
    Case("mentorship: profile", mentorship.PROFILE),
    Case("mentorship: open requests", mentorship.OPEN_REQUESTS),
    Case("mentorship queue: change bounds", mentorship.QUEUE_CHANGE_BOUNDS),
    Case(
        "mentorship queue: profile and change bounds",
        mentorship.PROFILE_WITH_QUEUE_BOUNDS,
    ),
    Case("mentorship queue: changes", mentorship.QUEUE_CHANGES),
    Case("mentorship queue: load", mentorship.QUEUE_LOAD),
    Case("mentorship queue: re-read", mentorship.QUEUE_REREAD),
    Case("mentorship queue: page", mentorship.REQUESTS_BY_ID),
    Case("mentorship: digest's unclaimed", mentorship.UNCLAIMED),
    Case(
        "mentorship: digest's mentors' timezones",
        mentorship.MENTOR_TIMEZONES,
        whole_guild="the digest scores every available mentor (one row per profile)",
        sorts="DISTINCT of a few dozen timezones",
    ),
    Case(
        "mentorship: digest's suggested mentors",
        mentorship.SUGGESTED_MENTORS,
        whole_guild="the digest scores every available mentor, in SQLite",
        sorts="keeps the best few of the guild's mentors (LIMIT)",
    ),
    Case("mentorship: digest's unclaimed count", mentorship.UNCLAIMED_COUNT),
    Case("mentorship: digest's fingerprint, a slice", mentorship.WAITING_STAGES),
    Case("mentorship: stats counts", mentorship.STATS_COUNTS),
    Case(
        "mentorship: stats waits",
        mentorship.STATS_WAITS,
        whole_guild="the stats cover the guild's whole history (a covering index)",
    ),
    # -- grants
    Case(
        "grants: open list",
        grants.by_states_sql(2),
        sorts="merges the pending and needs-info requests, which reviewers keep few",
    ),
    Case("grants: one state", grants.by_states_sql(1), uses="event_grants_state"),
    Case("grants: open count", grants.count_by_states_sql(2)),
    Case(
        "grants: one state count",
        grants.count_by_states_sql(1),
        uses="event_grants_state",
    ),
    Case("grants: mine", grants.OF_REQUESTER, uses="event_grants_requester"),
    Case(
        "grants: mine, counted",
        grants.COUNT_OF_REQUESTER,
        uses="event_grants_requester",
    ),
]


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path: Path = tmp_path_factory.mktemp("plans") / "bot.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for migration in load_migrations():
        db.executescript(migration.sql)
    yield db
    db.close()


def _params(sql: str) -> dict[str, object] | tuple[object, ...]:
    named = re.findall(r"(?<![:\w]):([a-z_]\w*)", sql)
    if named:
        return {name: "x" if name in ("match", "terms") else 1 for name in named}
    return (1,) * sql.count("?")


def _aliases(sql: str) -> dict[str, str]:
    """alias or name -> table, from the FROM and JOIN clauses."""
    out = {}
    for table, alias in re.findall(
        r"(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(?!WHERE|JOIN|ON|INDEXED|ORDER|GROUP|LIMIT|LEFT)(\w+))?",
        sql,
        flags=re.IGNORECASE,
    ):
        out[table] = table
        if alias:
            out[alias] = table
    return out


def problems(case: Case, plan: list[str]) -> list[str]:
    aliases = _aliases(case.sql)
    found = []
    for detail in plan:
        scan = re.match(r"SCAN (\w+)(.*)", detail)
        if scan is not None:
            table = aliases.get(scan.group(1), scan.group(1))
            rest = scan.group(2)
            # FTS5's idxStr names its constraints: M is a MATCH, = a rowid lookup.
            virtual = re.search(r"VIRTUAL TABLE INDEX \d+:(\S*)", rest)
            full_fts = virtual is not None and not set("M=") & set(virtual.group(1))
            indexed = "COVERING INDEX" in rest or (virtual is not None and not full_fts)
            if table in BIG_TABLES and not indexed:
                found.append(f"reads all of {table}: {detail}")
        search = re.match(r"SEARCH (\w+) USING .*\((guild_id=\?)\)$", detail)
        if search is not None and case.whole_guild is None:
            table = aliases.get(search.group(1), search.group(1))
            if table in BIG_TABLES:
                found.append(f"reads all of the guild's {table}: {detail}")
        if "TEMP B-TREE FOR" in detail and "ORDER BY" in detail and case.sorts is None:
            found.append(f"sorts instead of reading an index in order: {detail}")
    if case.uses is not None and not any(case.uses in d for d in plan):
        found.append(f"does not use the index {case.uses}")
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hot_query_plan(conn: sqlite3.Connection, case: Case) -> None:
    rows = conn.execute("EXPLAIN QUERY PLAN " + case.sql, _params(case.sql)).fetchall()
    plan = [row[3] for row in rows]
    found = problems(case, plan)
    assert not found, (
        f"{case.name}: "
        + "; ".join(found)
        + "\nplan:\n  "
        + "\n  ".join(plan)
        + f"\nsql:\n  {case.sql}"
    )


def test_the_checker_catches_a_full_scan_and_a_sort(conn: sqlite3.Connection) -> None:
    case = Case(
        "bad", "SELECT * FROM triage_questions WHERE title = ? ORDER BY last_asker_at"
    )
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + case.sql, (1,))]
    found = problems(case, plan)
    assert any("reads all of triage_questions" in p for p in found), plan
    assert any("sorts instead" in p for p in found), plan
