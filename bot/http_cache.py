"""The cache behind conditional requests, in SQLite so it survives restarts.

Each GET answer that came with a validator (``ETag`` or ``Last-Modified``) is kept
with its body; the next request for the same URL sends ``If-None-Match`` /
``If-Modified-Since``, and a 304 reuses the kept body. GitHub does not count an
authorised request answered 304 against the rate limit, and a weekly check of an
unchanged repository costs no data. The GitHub client (:mod:`bot.github`) and the
extension watch's PyPI/OSV client share this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import now_ts
from bot.db import Database


@dataclass(frozen=True, slots=True)
class Entry:
    etag: str | None
    last_modified: str | None
    #: The answer's body as text (JSON).
    body: str
    #: The Link header of the answer (or, for the GitHub client, the next page).
    link: str | None


class HttpCache:
    """Load and save :class:`Entry` rows by URL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, url: str) -> Entry | None:
        row = await self._db.fetchone(
            "SELECT etag, last_modified, body, link FROM http_cache WHERE url = ?",
            (url,),
        )
        if row is None:
            return None
        return Entry(row["etag"], row["last_modified"], row["body"], row["link"])

    async def save(self, url: str, entry: Entry) -> None:
        await self._db.execute(
            "INSERT INTO http_cache (url, etag, last_modified, body, link, stored_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
            "etag = excluded.etag, last_modified = excluded.last_modified, "
            "body = excluded.body, link = excluded.link, stored_at = excluded.stored_at",
            (url, entry.etag, entry.last_modified, entry.body, entry.link, now_ts()),
        )
