"""Timed work that survives restarts, fires once, and catches up once.

Each job is a row in ``jobs`` (what, when, for which guild, payload, state). APScheduler
holds one in-memory trigger per pending row, derived from the table at start-up and
whenever a row changes; when it fires, the row is claimed (``pending`` to ``running``)
so a job runs once however many times it is woken. Work that came due while the bot
was down runs once after start-up when it is within its catch-up window, and is
recorded as missed otherwise.

A handler that sends must do so through the outbox: a crash after the send and before
the row is marked done re-runs the handler, and the outbox makes that resend a no-op.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections import Counter
from collections.abc import Awaitable
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import Any

import aiohttp
import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.clock import bind_apscheduler
from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.clock import utcnow
from bot.db import Database
from bot.db import Row
from bot.errors import RetryLater

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BASE_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Job:
    """A job as its handler sees it."""

    id: int
    key: str
    kind: str
    guild_id: int | None
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    #: True when the job runs after its due time because the bot was down.
    late: bool

    @classmethod
    def from_row(cls, row: Row, *, late: bool) -> Job:
        return cls(
            id=row["id"],
            key=row["key"],
            kind=row["kind"],
            guild_id=row["guild_id"],
            due_at=from_ts(row["due_at"]),
            payload=json.loads(row["payload"]),
            attempts=row["attempts"],
            late=late,
        )


Handler = Callable[[Job], Awaitable[None]]
FailureHook = Callable[[Job, BaseException], Awaitable[None]]
RunContext = Callable[[Job], AbstractAsyncContextManager[Any]]


@dataclass(slots=True)
class _Kind:
    handler: Handler
    catch_up: timedelta


@dataclass(slots=True)
class SchedulerStats:
    """Counters for the metrics endpoint and the benchmark."""

    fired: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    retried: Counter[str] = field(default_factory=Counter)


def is_transient(error: BaseException) -> bool:
    """Return whether ``error`` is worth retrying later (Discord or network trouble)."""
    if isinstance(error, RetryLater | asyncio.TimeoutError | aiohttp.ClientError):
        return True
    if isinstance(error, discord.HTTPException):
        return error.status == 429 or error.status >= 500
    return False


def backoff(attempts: int) -> int:
    """Seconds to wait before attempt ``attempts + 1``: exponential, capped."""
    return int(
        min(BASE_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    )


class Scheduler:
    """The bot's one scheduler service."""

    def __init__(self, db: Database, *, default_catch_up: timedelta) -> None:
        self._db = db
        self._default_catch_up = default_catch_up
        self._kinds: dict[str, _Kind] = {}
        self._aps: AsyncIOScheduler | None = None
        self._context: contextvars.Context | None = None
        self._recovered = False
        self._running: set[asyncio.Task[None]] = set()
        self.stats = SchedulerStats()
        self.on_failure: FailureHook | None = None
        #: Called around each run to set up its context (language, logging ids).
        self.run_context: RunContext | None = None

    # -- registration -----------------------------------------------------------------
    def register(
        self, kind: str, handler: Handler, *, catch_up: timedelta | None = None
    ) -> None:
        """Name a handler for jobs of ``kind``; ``catch_up`` is how late it may run."""
        if kind in self._kinds:
            raise ValueError(f"job kind {kind!r} is already registered")
        self._kinds[kind] = _Kind(handler, catch_up or self._default_catch_up)

    def unregister(self, kind: str) -> None:
        self._kinds.pop(kind, None)

    # -- life cycle ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._aps is not None and self._aps.running

    async def start(self) -> None:
        """Start waking up for jobs. Call :meth:`recover` once the bot is ready."""
        bind_apscheduler()
        # Triggers are armed in the scheduler's own context, whoever schedules the
        # job: the wake-ups belong to the bot (and under simcord, to its clock).
        self._context = contextvars.copy_context()
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._aps.start()

    async def shutdown(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None
        for task in list(self._running):
            task.cancel()

    async def recover(self) -> None:
        """Derive triggers from the table; run or mark missed what came due while down.

        Runs once per process: a gateway reconnect calls it again and it does nothing.
        """
        if self._recovered:
            return
        self._recovered = True
        now = now_ts()
        await self._db.execute(
            "UPDATE jobs SET state = 'pending' WHERE state = 'running'"
        )
        rows = await self._db.fetchall(
            "SELECT * FROM jobs WHERE state = 'pending' ORDER BY due_at, id"
        )
        overdue: list[Row] = []
        for row in rows:
            if row["due_at"] <= now:
                overdue.append(row)
            else:
                self._arm(row["id"], row["due_at"])
        for row in overdue:
            lateness = now - row["due_at"]
            if lateness > row["catch_up_seconds"]:
                await self._finish(
                    row["id"], "missed", f"missed by {lateness} s while down"
                )
                self.stats.missed[row["kind"]] += 1
                log.warning(
                    "job %s (%s) missed by %d s while the bot was down",
                    row["key"],
                    row["kind"],
                    lateness,
                    extra={"guild_id": row["guild_id"]},
                )
                continue
            # One at a time: discord.py paces the sends, and none is lost.
            await self._fire(row["id"])

    # -- changing jobs ------------------------------------------------------------------
    async def schedule(
        self,
        kind: str,
        key: str,
        due_at: datetime,
        *,
        guild_id: int | None = None,
        payload: dict[str, Any] | None = None,
        catch_up: timedelta | None = None,
    ) -> int:
        """Create the job ``key``, or move it while it is still pending.

        A job that already ran (or was missed, failed or cancelled) is left alone, so
        scheduling is idempotent: include what makes a job distinct (an occurrence's
        start time, say) in its key.
        """
        if kind not in self._kinds:
            raise ValueError(f"no handler registered for job kind {kind!r}")
        window = catch_up or self._kinds[kind].catch_up
        due = to_ts(due_at)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO jobs (key, kind, guild_id, due_at, catch_up_seconds, payload, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, "
                "payload = excluded.payload, catch_up_seconds = excluded.catch_up_seconds "
                "WHERE jobs.state = 'pending'",
                (
                    key,
                    kind,
                    guild_id,
                    due,
                    int(window.total_seconds()),
                    json.dumps(payload or {}, sort_keys=True),
                    now_ts(),
                ),
            )
            row = await tx.fetchone(
                "SELECT id, state, due_at FROM jobs WHERE key = ?", (key,)
            )
        assert row is not None
        if row["state"] == "pending" and self._recovered:
            self._arm(row["id"], row["due_at"])
        return int(row["id"])

    async def cancel(self, key: str) -> bool:
        """Cancel the pending job ``key``; return whether there was one."""
        return bool(await self.cancel_matching(key, prefix=False))

    async def cancel_prefix(self, prefix: str) -> int:
        """Cancel every pending job whose key starts with ``prefix``."""
        return await self.cancel_matching(prefix, prefix=True)

    async def cancel_matching(self, key: str, *, prefix: bool) -> int:
        if prefix:
            escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where, arg = "key LIKE ? ESCAPE '\\'", escaped + "%"
        else:
            where, arg = "key = ?", key
        async with self._db.transaction() as tx:
            rows = await tx.fetchall(
                f"UPDATE jobs SET state = 'cancelled', finished_at = ? "
                f"WHERE {where} AND state = 'pending' RETURNING id",
                (now_ts(), arg),
            )
        for row in rows:
            self._disarm(row["id"])
        return len(rows)

    async def get(self, key: str) -> Row | None:
        return await self._db.fetchone("SELECT * FROM jobs WHERE key = ?", (key,))

    async def pending_count(self) -> int:
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM jobs WHERE state IN ('pending', 'running')"
            )
        )

    # -- running --------------------------------------------------------------------------
    def _arm(self, job_id: int, due_at: int) -> None:
        if self._aps is None or self._context is None:
            return
        self._context.copy().run(
            self._aps.add_job,
            self._fire,
            trigger=DateTrigger(run_date=from_ts(due_at)),
            args=[job_id],
            id=str(job_id),
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def _disarm(self, job_id: int) -> None:
        if self._aps is None:
            return
        job = self._aps.get_job(str(job_id))
        if job is not None:
            job.remove()

    async def _fire(self, job_id: int) -> None:
        now = utcnow()
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1 "
                "WHERE id = ? AND state = 'pending' AND due_at <= ? RETURNING *",
                (job_id, to_ts(now)),
            )
        if row is None:
            return  # already run, cancelled or moved: nothing to do
        kind = self._kinds.get(row["kind"])
        if kind is None:
            await self._finish(job_id, "failed", f"no handler for kind {row['kind']!r}")
            log.error("job %s has no handler for kind %s", row["key"], row["kind"])
            return
        # "Late" means the bot was down at the due time, not that it woke a second late.
        job = Job.from_row(row, late=(to_ts(now) - row["due_at"]) > 60)
        try:
            if self.run_context is not None:
                async with self.run_context(job):
                    await kind.handler(job)
            else:
                await kind.handler(job)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self._handle_failure(job, error)
        else:
            await self._finish(job_id, "done")
            self.stats.fired[job.kind] += 1

    async def _handle_failure(self, job: Job, error: Exception) -> None:
        if is_transient(error) and job.attempts < MAX_ATTEMPTS:
            delay = backoff(job.attempts)
            retry_at = now_ts() + delay
            await self._db.execute(
                "UPDATE jobs SET state = 'pending', due_at = ?, last_error = ? WHERE id = ?",
                (retry_at, _describe(error), job.id),
            )
            self.stats.retried[job.kind] += 1
            log.warning(
                "job %s failed (%s); retry %d in %d s",
                job.key,
                _describe(error),
                job.attempts,
                delay,
                extra={"guild_id": job.guild_id},
            )
            self._arm(job.id, retry_at)
            return
        await self._finish(job.id, "failed", _describe(error))
        self.stats.failed[job.kind] += 1
        log.error(
            "job %s failed for good: %s",
            job.key,
            _describe(error),
            exc_info=not isinstance(error, discord.HTTPException),
            extra={"guild_id": job.guild_id},
        )
        if self.on_failure is not None:
            try:
                await self.on_failure(job, error)
            except Exception:
                log.exception("could not report the failure of job %s", job.key)

    async def _finish(self, job_id: int, state: str, error: str | None = None) -> None:
        await self._db.execute(
            "UPDATE jobs SET state = ?, finished_at = ?, last_error = coalesce(?, last_error) "
            "WHERE id = ?",
            (state, now_ts(), error, job_id),
        )


def _describe(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"Discord {error.status} ({error.code}): {error.text or error}"[:500]
    return f"{type(error).__name__}: {error}"[:500]
