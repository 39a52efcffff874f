"""Triage's SQL at the scale-sensitive points: the solved-only search index, bounded
search, and the digest and stats computed in SQL."""

from __future__ import annotations

from bot.db import Database
from cogs.triage import _logic as logic
from cogs.triage import _queries as q

GUILD = 10
DAY = logic.DAY


async def ask(db: Database, thread_id: int, title: str, body: str, at: int) -> None:
    await q.insert_question(
        db,
        thread_id=thread_id,
        guild_id=GUILD,
        forum_id=1,
        author_id=thread_id + 1000,
        title=title,
        created_at=at,
    )
    await q.claim_starter(db, thread_id, thread_id, body)


async def solve(db: Database, thread_id: int, solution: str, at: int) -> None:
    assert await q.mark_solved(
        db,
        thread_id,
        by_id=1,
        helper_id=7,
        answer_message_id=None,
        solution=solution,
        now=at,
    )


async def ids(candidates: list[q.Candidate]) -> list[int]:
    return [c.thread_id for c in candidates]


async def test_search_index_holds_solved_questions_only(db: Database) -> None:
    await ask(db, 1, "jinja macro import", "macro not found", 0)
    await ask(db, 2, "jinja macro scope", "macro variable", 0)
    await solve(db, 1, "use with context", DAY)
    match = logic.fts_query(["macro"])
    assert match is not None
    assert await ids(await q.search_solved(db, GUILD, match, exclude=0)) == [1]
    assert await q.term_documents(db, ["macro", "context", "nothing"], 100) == {
        "macro": 1,
        "context": 1,
        "nothing": 0,
    }
    # Reopened: it leaves the index with the text it was indexed with.
    assert await q.reopen(db, 1, 2 * DAY)
    assert await q.search_solved(db, GUILD, match, exclude=0) == []
    await solve(db, 2, "declare it in the macro", 3 * DAY)
    assert await ids(await q.search_solved(db, GUILD, match, exclude=0)) == [2]
    assert await q.mark_deleted(db, 2)
    assert await q.search_solved(db, GUILD, match, exclude=0) == []


async def test_term_documents_stop_counting_at_the_cap(db: Database) -> None:
    for i in range(1, 6):
        await ask(db, i, f"session cookie {i}", "flask session", 0)
        await solve(db, i, "set SECRET_KEY", DAY)
    assert await q.term_documents(db, ["session", "cookie"], 3) == {
        "session": 3,
        "cookie": 3,
    }
    # Every word common: no ranked search; the newest holding all the first words.
    assert (
        logic.selective_terms(["session", "cookie"], {"session": 3, "cookie": 3}, 3)
        == []
    )
    match = logic.fts_all(["session", "cookie"])
    assert match is not None
    found = await q.search_solved_recent(db, GUILD, match, exclude=5, limit=2)
    assert await ids(found) == [4, 3]


def test_selective_terms_take_the_rarest_within_the_budget() -> None:
    terms = ["flask", "macro", "jinja", "caller"]
    counts = {"flask": 900, "macro": 40, "jinja": 300, "caller": 5}
    assert logic.selective_terms(terms, counts, budget=400) == [
        "macro",
        "jinja",
        "caller",
    ]
    assert logic.selective_terms(terms, counts, budget=100) == ["macro", "caller"]
    # A small forum: nothing is left out.
    assert logic.selective_terms(terms, {}, budget=100) == terms


async def test_digest_lists_ten_and_counts_all(db: Database) -> None:
    for i in range(1, 16):
        await ask(db, i, f"question {i}", "", 10 * DAY + i)
    new, total = await q.new_since(db, GUILD, 10 * DAY)
    assert [item.thread_id for item in new] == list(range(1, 11)) and total == 15
    waiting, total = await q.unanswered_before(db, GUILD, 11 * DAY)
    assert len(waiting) == 10 and total == 15
    await q.record_reply(db, 1, 99, 10 * DAY + 100)
    waiting, total = await q.unanswered_before(db, GUILD, 11 * DAY)
    assert waiting[0].thread_id == 2 and total == 14


async def test_stats_counts_and_medians_in_sql(db: Database) -> None:
    for i, (response, solved) in enumerate([(60, 600), (120, None), (600, 3000)], 1):
        await ask(db, i, f"q{i}", "", 0)
        await q.record_reply(db, i, 99, response)
        if solved is not None:
            await solve(db, i, "answer", solved)
    await ask(db, 4, "q4", "", 0)  # unanswered
    stats = await q.stats(db, GUILD, 0)
    assert stats.by_state == {"open": 2, "solved": 2}
    assert stats.unanswered == 1
    assert stats.median_response == 120.0  # of 60, 120, 600
    assert stats.median_solved == 1800.0  # mean of the middle two of 600, 3000
    empty = await q.stats(db, GUILD, 10 * DAY)
    assert empty.median_response is None and empty.by_state == {}


async def test_index_upkeep_merges_segments_and_finds_the_same(db: Database) -> None:
    for n in range(1, 13):  # each solved question is its own write: its own segment
        await ask(db, n, f"jinja macro {n} import", f"macro {n} not found", 0)
        await solve(db, n, "import the macro with context", DAY)
    match = logic.fts_query(["macro", "import"])
    assert match is not None
    before = await ids(await q.search_solved(db, GUILD, match, exclude=0))
    assert await db.fetchval(q.INDEX_SEGMENTS) > 1
    steps = 0
    while await q.merge_index(db, 10):
        steps += 1
    assert steps >= 1
    assert await db.fetchval(q.INDEX_SEGMENTS) == 1
    assert await ids(await q.search_solved(db, GUILD, match, exclude=0)) == before
    assert not await q.merge_index(db, 10)


def test_index_upkeep_runs_daily_at_its_hour() -> None:
    assert logic.next_hour_ts(0, 4) == 4 * 3600
    assert logic.next_hour_ts(4 * 3600, 4) == DAY + 4 * 3600
    assert logic.next_hour_ts(DAY + 5 * 3600, 4) == 2 * DAY + 4 * 3600


async def test_digest_reads_in_one_trip_what_each_query_reads(db: Database) -> None:
    # Questions around every age threshold, some answered, some solved by helpers:
    # one trip gives what the dozen separate reads gave.
    now = 60 * DAY
    last = now - 2 * DAY
    for i in range(1, 41):
        created = now - i * DAY // 2 - 7
        await ask(db, i, f"question {i}", "", created)
        if i % 3 == 0:
            await q.record_reply(db, i, 99, created + 60)
        if i % 4 == 0:
            await solve(db, i, "pin it", min(created + DAY, now - 1))
    row = q.DigestRow(logic.DigestSchedule(timezone=""), last, 17)
    news, digest = await q.digest_reads(db, GUILD, now, row)
    new, new_total = await q.new_since(db, GUILD, last)
    waiting, waiting_total = await q.unanswered_before(
        db, GUILD, now - logic.UNANSWERED_AFTER
    )
    solved = await q.solved_between(db, GUILD, last, now)
    crossed = 0
    for after, until in logic.crossings(last, now):
        crossed += await q.unanswered_created_between(db, GUILD, after, until)
    assert crossed > 0 and new_total > 0 and solved > 0 and waiting_total > 10
    assert digest == logic.Digest(
        new=new,
        unanswered=waiting,
        new_total=new_total,
        unanswered_total=waiting_total,
        solved=solved,
        top_helpers=await q.top_helpers(db, GUILD, now - 7 * DAY),
        since=last,
    )
    assert news == logic.DigestNews(
        new=new_total,
        solved=solved,
        crossed=crossed,
        unanswered=await q.unanswered_count(db, GUILD),
        last_unanswered=17,
    )
    # The first digest: the last day, and no news to compare with.
    first = q.DigestRow(logic.DigestSchedule(timezone=""), None, None)
    news, digest = await q.digest_reads(db, GUILD, now, first)
    assert digest.since is None
    assert digest.new_total == (await q.new_since(db, GUILD, now - DAY))[1]
    assert news == logic.DigestNews(unanswered=await q.unanswered_count(db, GUILD))
