"""The similar-question search: which solved questions look like a new one.

The checklist under a new question suggests up to
:data:`~cogs.triage._logic.MAX_SUGGESTIONS` of them. The ranking rules are pure
(:mod:`cogs.triage._logic`), the SQL is in :mod:`cogs.triage._queries`; this module
puts them together, so the bot and the benchmark run the same search.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.db import Database
from cogs.triage import _logic as logic
from cogs.triage import _queries as q

#: Common search words remembered at most (a few hundred kB).
COMMON_TERMS_KEPT = 20_000


class TermCounts:
    """How many solved questions hold each word, up to the search budget.

    A word that is in too many solved questions stays so, so it is counted once per
    process and remembered; the memory is bounded by forgetting every word when more
    than ``kept`` are remembered. Whoever runs searches keeps one of these (the
    engine keeps the bot's).
    """

    def __init__(self, kept: int = COMMON_TERMS_KEPT) -> None:
        self.kept = kept
        self._common: set[str] = set()

    def __len__(self) -> int:
        return len(self._common)

    async def documents(self, db: Database, terms: Sequence[str]) -> dict[str, int]:
        """Solved questions per term, counted up to :data:`SEARCH_POSTINGS`."""
        cap = logic.SEARCH_POSTINGS
        known = {t: cap for t in terms if t in self._common}
        counted = await q.term_documents(db, [t for t in terms if t not in known], cap)
        if len(self._common) > self.kept:
            self._common.clear()
        self._common.update(t for t, n in counted.items() if n >= cap)
        return known | counted


async def similar(
    db: Database, guild_id: int, text: str, *, exclude: int, counts: TermCounts
) -> list[int]:
    """Thread ids of the solved questions of ``guild_id`` close to ``text``, best first.

    :param exclude: the question being asked (never suggested to itself).
    :param counts: the word counts to reuse between searches.
    """
    terms = logic.search_terms(text)
    if not terms:
        return []
    chosen = logic.selective_terms(terms, await counts.documents(db, terms))
    match = logic.fts_query(chosen)
    if match is not None:
        candidates = await q.search_solved(db, guild_id, match, exclude=exclude)
    else:
        # Only common words: the newest solved questions holding the first few.
        match = logic.fts_all(terms[: logic.COMMON_WORDS_MATCHED])
        if match is None:
            return []
        candidates = await q.search_solved_recent(db, guild_id, match, exclude=exclude)
    close: list[int] = []
    for c in candidates:
        if logic.is_close(terms, f"{c.title}\n{c.body}\n{c.solution}"):
            close.append(c.thread_id)
            if len(close) == logic.MAX_SUGGESTIONS:
                break
    return close
