"""Timed work that survives restarts, fires once, and catches up once.

Each job is a row in ``jobs`` (what, when, for which guild, payload, state). APScheduler
holds in-memory triggers for the pending rows due within the next hour (at most
:data:`MAX_ARMED` of them), derived from the table at start-up, whenever a row changes,
and by a refill that arms the next window before the current one runs out; rows
further ahead wait in the table alone, so start-up costs the same with ten or ten
thousand pending jobs. When a trigger fires, the row is claimed (``pending`` to
``running``) so a job runs once however many times it is woken.

Work that came due while the bot was down runs once after start-up when it is within
its catch-up window, and is recorded as missed otherwise. The catch-up drains in the
background (ready is not held up) and, like every run, is paced: at most
:data:`WORKERS` jobs at a time and ``jobs_per_second`` starts a second, and the sends
of scheduled work are paced by the outbox (see :mod:`bot.pacing`).

A handler that sends must do so through the outbox: a crash after the send and before
the row is marked done re-runs the handler, and the outbox makes that resend a no-op.

Attempts are counted when a job is claimed and checked there too: a job claimed
:data:`MAX_ATTEMPTS` times that never finished (it stopped the bot each time, say by
exhausting its memory) is set ``dead`` the next time instead of running again, and
organisers are told, like a dead-letter queue. A handler that decides its work is no
longer worth doing raises :class:`Missed`: the job is recorded ``missed`` with the
reason, not ``done``.

After a restore from a backup (see :mod:`bot.backups`), work that came due before
the restore may have run already in the life the backup does not know about: it is
recorded missed at the next start, unless the operator asked to replay it or the job
kind is safe to run twice (``replay_safe``).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
from collections import Counter
from collections import deque
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
from bot.db import DatabaseFull
from bot.db import record
from bot.db import Row
from bot.db import Transaction
from bot.errors import RetryLater
from bot.outbox import GIVE_UP_SQL
from bot.outbox import pending_send_of
from bot.pacing import running_job
from bot.pacing import scheduled_work
from bot.pacing import Window

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
#: How far ahead jobs are armed in APScheduler; later ones wait in the table.
HORIZON_SECONDS = 3600
#: At most this many jobs armed by one refill, however close they are.
MAX_ARMED = 1000
#: Jobs run at the same time; the rest wait their turn (in due order).
WORKERS = 4
#: Job starts a second: with the outbox's pacing, keeps a burst under Discord's limits.
JOBS_PER_SECOND = 10
#: Rows of overdue work read at a time by the catch-up.
CATCH_UP_BATCH = 200
#: Triggers armed (or missed jobs logged) between two turns of the event loop:
#: arming a full window of a thousand at once held it for about 100 ms, and
#: logging ten thousand missed jobs for a quarter of a second.
LOOP_STEP = 100
#: The refill runs at least this often, so nothing depends on one wake-up alone.
MAX_REFILL_SECONDS = 86400
_REFILL_ID = "pallets:refill"

# The reads of start-up and of the window, by state and due time (the index
# jobs_state_due): their cost follows the pending jobs, not every job ever run.
# tests/test_scheduler.py checks their query plans.
RESET_RUNNING_SQL = "UPDATE jobs SET state = 'pending' WHERE state = 'running'"
MISSED_SQL = (
    "UPDATE jobs SET state = 'missed', finished_at = ?1, "
    "last_error = 'missed by ' || (?1 - due_at) || ' s while down' "
    "WHERE state = 'pending' AND due_at <= ?1 AND ?1 - due_at > catch_up_seconds "
    "RETURNING key, kind, guild_id, due_at"
)
WINDOW_SQL = (
    "SELECT id, due_at FROM jobs WHERE state = 'pending' "
    "AND due_at > ? AND due_at <= ? ORDER BY due_at, id LIMIT ?"
)
SAME_SECOND_SQL = (
    "SELECT id, due_at FROM jobs WHERE state = 'pending' AND due_at = ? ORDER BY id"
)
UPCOMING_SQL = "SELECT min(due_at) FROM jobs WHERE state = 'pending' AND due_at > ?"
BACKLOG_SQL = (
    "SELECT id, due_at FROM jobs WHERE state = 'pending' AND due_at <= ? "
    "AND (due_at, id) > (?, ?) ORDER BY due_at, id LIMIT ?"
)
HOT_SQL = (
    RESET_RUNNING_SQL,
    MISSED_SQL,
    WINDOW_SQL,
    SAME_SECOND_SQL,
    UPCOMING_SQL,
    BACKLOG_SQL,
)
BASE_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600


class Missed(Exception):  # noqa: N818 - what the job was, not an error of the bot
    """Raised by a handler whose work will not be done (too late, superseded).

    The job is recorded ``missed`` with the message as its reason, and counted as
    missed, not fired.
    """


class JobDied(Exception):  # noqa: N818 - the job's fate, as organisers read it
    """A job was claimed :data:`MAX_ATTEMPTS` times and never finished: it is dead."""

    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"claimed {attempts} times without finishing; the bot stopped each time"
        )
        self.attempts = attempts


@dataclass(frozen=True, slots=True)
class Job:
    """A job as its handler sees it."""

    id: int
    key: str
    kind: str
    guild_id: int | None
    #: When it was due as scheduled; retries after a failure do not move it.
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    #: True when the job runs after its due time because the bot was down.
    late: bool

    @classmethod
    def from_row(cls, row: Row, *, late: bool) -> Job:
        return record(
            cls,
            row,
            due_at=from_ts(row["planned_at"] or row["due_at"]),
            payload=json.loads(row["payload"]),
            late=late,
        )


Handler = Callable[[Job], Awaitable[None]]
FailureHook = Callable[[Job, BaseException], Awaitable[None]]
#: Called when a job ended (``done``, ``failed``, ``dead`` or ``missed``), with its reason.
FinishHook = Callable[[Job, str, str | None], Awaitable[None]]
RunContext = Callable[[Job], AbstractAsyncContextManager[Any]]


@dataclass(slots=True)
class _Kind:
    handler: Handler
    catch_up: timedelta
    #: Running it again after a restore does no harm (it checks what was done).
    replay_safe: bool = False


@dataclass(slots=True)
class SchedulerStats:
    """Counters for the metrics endpoint and the benchmark."""

    fired: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    retried: Counter[str] = field(default_factory=Counter)
    dead: Counter[str] = field(default_factory=Counter)


def is_transient(error: BaseException) -> bool:
    """Return whether ``error`` is worth retrying later (Discord or network trouble).

    A full disk too: the work was rolled back and can be done once there is room.
    """
    if isinstance(
        error,
        RetryLater
        | asyncio.TimeoutError
        | aiohttp.ClientError
        | discord.RateLimited
        | DatabaseFull,
    ):
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

    def __init__(
        self,
        db: Database,
        *,
        default_catch_up: timedelta,
        jobs_per_second: int = JOBS_PER_SECOND,
        workers: int = WORKERS,
        horizon: timedelta = timedelta(seconds=HORIZON_SECONDS),
        max_armed: int = MAX_ARMED,
    ) -> None:
        self._db = db
        self._default_catch_up = default_catch_up
        self._kinds: dict[str, _Kind] = {}
        self._aps: AsyncIOScheduler | None = None
        self._context: contextvars.Context | None = None
        self._recovered = False
        self._running: set[asyncio.Task[Any]] = set()
        self._horizon = int(horizon.total_seconds())
        #: At most this many triggers armed by one refill (public for the tests).
        self.max_armed = max_armed
        #: Every pending job due at or before this is armed (or already running).
        self._armed_until: int | None = None
        self._refill_at: int | None = None
        self._refill_lock = asyncio.Lock()
        self._workers = workers
        self._active = 0
        #: Jobs woken while every worker was busy, in the order they came due.
        self._waiting: deque[int] = deque()
        #: Where the catch-up has read up to: (recovery time, (due_at, id)).
        self._backlog: tuple[int, tuple[int, int]] | None = None
        self._loading = False
        self._stopped = False
        self._starts = Window(jobs_per_second, 1.0)
        self.stats = SchedulerStats()
        self.on_failure: FailureHook | None = None
        #: Called when a job ended, whatever the outcome (the outbox settles the
        #: sends the job left open).
        self.on_finished: FinishHook | None = None
        #: Called around each run to set up its context (language, logging ids).
        self.run_context: RunContext | None = None

    # -- registration -----------------------------------------------------------------
    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        catch_up: timedelta | None = None,
        replay_safe: bool = False,
    ) -> None:
        """Name a handler for jobs of ``kind``; ``catch_up`` is how late it may run.

        ``replay_safe`` kinds run after a restore even when they came due before it
        (their handler checks what was already done).
        """
        if kind in self._kinds:
            raise ValueError(f"job kind {kind!r} is already registered")
        self._kinds[kind] = _Kind(
            handler, catch_up or self._default_catch_up, replay_safe
        )

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
        self._stopped = True
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        current = asyncio.current_task()
        waited = [task for task in tasks if task is not current]
        if waited:
            await asyncio.gather(*waited, return_exceptions=True)

    @property
    def armed(self) -> int:
        """How many jobs have a trigger in memory (the window, not the whole table)."""
        if self._aps is None:
            return 0
        return sum(1 for job in self._aps.get_jobs() if job.id != _REFILL_ID)

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def catching_up(self) -> bool:
        """Whether jobs are still in hand: the catch-up after start-up, or a burst."""
        return self._backlog is not None or bool(self._waiting) or self._active > 0

    async def recover(self) -> None:
        """Arm the next window; record what was missed; catch up in the background.

        Runs once per process: a gateway reconnect calls it again and it does nothing.
        Returns as soon as the triggers are armed: the overdue work runs afterwards,
        paced, while the bot serves members.
        """
        if self._recovered:
            return
        self._recovered = True
        now = now_ts()
        async with self._db.transaction() as tx:
            # A job "running" when the process died did not finish: run it again (its
            # sends go through the outbox, so a resend is not a second post).
            await tx.execute(RESET_RUNNING_SQL)
            missed = await tx.fetchall(MISSED_SQL, (now,))
            missed += await self._after_restore(tx, now)
        for n, row in enumerate(missed, 1):
            if n % LOOP_STEP == 0:
                await asyncio.sleep(0)
            self.stats.missed[row["kind"]] += 1
            log.warning(
                "job %s (%s) missed by %d s while the bot was down",
                row["key"],
                row["kind"],
                now - row["due_at"],
                extra={"guild_id": row["guild_id"]},
            )
        # The window starts after now: what is due by now is the catch-up's.
        self._armed_until = now
        await self._refill()
        # The rest runs after ready, a batch at a time, by the workers.
        self._backlog = (now, (-1, -1))
        self._fill_workers()

    async def _after_restore(self, tx: Transaction, now: int) -> list[Row]:
        """Record missed what came due before a restore, unless asked to replay it.

        :func:`bot.backups.restore` leaves ``restore.*`` rows in ``meta``; they are
        acted on once, at the first start after the restore.
        """
        marks = {
            row["key"]: row["value"]
            for row in await tx.fetchall(
                "SELECT key, value FROM meta WHERE key LIKE 'restore.%'"
            )
        }
        if "restore.restored_at" not in marks or "restore.applied" in marks:
            return []
        await tx.execute(
            "INSERT INTO meta (key, value) VALUES ('restore.applied', ?)", (str(now),)
        )
        if marks.get("restore.replay") == "1":
            return []
        restored_at = int(marks["restore.restored_at"])
        safe = [kind for kind, spec in self._kinds.items() if spec.replay_safe]
        marks_sql = ", ".join("?" for _ in safe) or "NULL"
        return await tx.fetchall(
            "UPDATE jobs SET state = 'missed', finished_at = ?, last_error = "
            "'due before the database was restored from a backup: it may have run "
            "already, and was not replayed' "
            f"WHERE state = 'pending' AND due_at <= ? AND kind NOT IN ({marks_sql}) "
            "RETURNING key, kind, guild_id, due_at",
            (now, restored_at, *safe),
        )

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
                "created_at, planned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, "
                "planned_at = excluded.planned_at, payload = excluded.payload, "
                "catch_up_seconds = excluded.catch_up_seconds "
                "WHERE jobs.state = 'pending'",
                (
                    key,
                    kind,
                    guild_id,
                    due,
                    int(window.total_seconds()),
                    json.dumps(payload or {}, sort_keys=True),
                    now_ts(),
                    due,
                ),
            )
            row = await tx.fetchone(
                "SELECT id, state, due_at FROM jobs WHERE key = ?", (key,)
            )
        assert row is not None
        if row["state"] == "pending" and self._recovered:
            self._track(row["id"], row["due_at"])
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

    # -- the armed window ----------------------------------------------------------------
    def _track(self, job_id: int, due_at: int) -> None:
        """Keep a pending job's trigger in step with its row after a change."""
        if self._armed_until is None:
            return  # not recovered yet: recover() reads the table
        if due_at <= self._armed_until:
            self._arm(job_id, due_at)
        else:
            # Moved beyond the window (or created there): the refill arms it in time.
            self._disarm(job_id)
            self._plan_refill(due_at - self._horizon // 2)

    async def _refill(self) -> None:
        """Arm the pending jobs of the next window and plan the refill after it."""
        try:
            await self._refill_window()
        except Exception:
            # Try again soon: without a refill, later jobs would never be armed.
            log.exception("could not arm the next window of jobs; retrying in 60 s")
            self._refill_at = None
            self._plan_refill(now_ts() + 60)

    async def _refill_window(self) -> None:
        if self._armed_until is None:
            return
        async with self._refill_lock:
            # From here a change beyond the window plans its own refill; the one
            # planned below only ever moves it earlier.
            self._refill_at = None
            now = now_ts()
            until = now + self._horizon
            lower = self._armed_until
            # Widened before reading, so that a job scheduled while the rows are read
            # arms itself; arming one twice is harmless (the trigger is replaced).
            self._armed_until = max(lower, until)
            rows = await self._db.fetchall(
                WINDOW_SQL, (lower, until, self.max_armed + 1)
            )
            if len(rows) > self.max_armed:
                last = rows[-1]["due_at"]
                if rows[0]["due_at"] == last:
                    # More jobs due in the same second than fit: take them all.
                    rows = await self._db.fetchall(SAME_SECOND_SQL, (last,))
                    reached = last
                else:
                    rows = [row for row in rows if row["due_at"] < last]
                    reached = last - 1
                self._armed_until = reached
                next_refill = reached - min(60, self._horizon // 2)
            else:
                upcoming = await self._db.fetchval(UPCOMING_SQL, (until,))
                next_refill = until - self._horizon // 2
                if upcoming is not None:
                    next_refill = max(next_refill, upcoming - self._horizon)
                next_refill = min(next_refill, now + MAX_REFILL_SECONDS)
            for n, row in enumerate(rows, 1):
                if n % LOOP_STEP == 0:
                    await asyncio.sleep(0)
                # Armed meanwhile (scheduled or moved while the window was read or
                # armed): that trigger is newer than this row.
                if not self._is_armed(row["id"]):
                    self._arm(row["id"], row["due_at"])
            self._plan_refill(max(next_refill, now + 1))

    def _plan_refill(self, at: int) -> None:
        """Make the next refill run at ``at`` at the latest."""
        if self._aps is None or self._context is None:
            return
        if self._refill_at is not None and self._refill_at <= at:
            return
        self._refill_at = at
        self._context.copy().run(
            self._aps.add_job,
            self._refill,
            trigger=DateTrigger(run_date=from_ts(max(at, now_ts()))),
            id=_REFILL_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    # -- running --------------------------------------------------------------------------
    def _arm(self, job_id: int, due_at: int) -> None:
        if self._aps is None or self._context is None:
            return
        self._context.copy().run(
            self._aps.add_job,
            self._run,
            trigger=DateTrigger(run_date=from_ts(due_at)),
            args=[job_id],
            id=str(job_id),
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def _is_armed(self, job_id: int) -> bool:
        return self._aps is not None and self._aps.get_job(str(job_id)) is not None

    def _disarm(self, job_id: int) -> None:
        if self._aps is None:
            return
        job = self._aps.get_job(str(job_id))
        if job is not None:
            job.remove()

    # Workers chain: one that finishes a job takes the next waiting one, so nothing
    # waits on a lock or a future (only on the pace, by sleeping), and at most
    # ``workers`` jobs run at once however many come due together.
    async def _run(self, job_id: int) -> None:
        """Woken by a job's trigger: run it now, or when a worker is free."""
        self._waiting.append(job_id)
        self._fill_workers()

    def _fill_workers(self) -> None:
        while (
            not self._stopped
            and self._active < self._workers
            and (self._waiting or (self._backlog is not None and not self._loading))
        ):
            self._active += 1
            task = asyncio.get_running_loop().create_task(self._work())
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _work(self) -> None:
        try:
            while not self._stopped:
                job_id = await self._next()
                if job_id is None:
                    return
                await self._starts.acquire()
                if self.stopped:
                    return  # shut down while waiting for the pace
                try:
                    with scheduled_work():
                        await self._fire(job_id)
                except Exception:
                    # The row stays pending or running: the next start runs it.
                    log.exception("job %s could not be run", job_id)
        finally:
            self._active -= 1

    async def _next(self) -> int | None:
        if not self._waiting and self._backlog is not None and not self._loading:
            await self._load_backlog()
        return self._waiting.popleft() if self._waiting else None

    async def _load_backlog(self) -> None:
        """Queue the next batch of work that came due while the bot was down."""
        assert self._backlog is not None
        now, cursor = self._backlog
        self._loading = True
        try:
            rows = await self._db.fetchall(BACKLOG_SQL, (now, *cursor, CATCH_UP_BATCH))
        finally:
            self._loading = False
        if len(rows) < CATCH_UP_BATCH:
            self._backlog = None
        else:
            self._backlog = (now, (rows[-1]["due_at"], rows[-1]["id"]))
        self._waiting.extend(row["id"] for row in rows)
        self._fill_workers()

    async def _fire(self, job_id: int) -> None:
        now = utcnow()
        async with self._db.transaction() as tx:
            # Claimed only while still pending and due: a job cancelled or moved
            # while it waited for a worker is left alone.
            row = await tx.fetchone(
                "UPDATE jobs SET state = CASE WHEN attempts >= ?1 THEN 'dead' "
                "ELSE 'running' END, attempts = attempts + (attempts < ?1), "
                "finished_at = CASE WHEN attempts >= ?1 THEN ?3 END "
                "WHERE id = ?2 AND state = 'pending' AND due_at <= ?3 RETURNING *",
                (MAX_ATTEMPTS, job_id, to_ts(now)),
            )
        if row is None:
            return  # already run, cancelled or moved: nothing to do
        if row["state"] == "dead":
            await self._bury(Job.from_row(row, late=True))
            return
        kind = self._kinds.get(row["kind"])
        if kind is None:
            await self._finish(job_id, "failed", f"no handler for kind {row['kind']!r}")
            log.error("job %s has no handler for kind %s", row["key"], row["kind"])
            return
        # "Late" means the bot was down at the due time, not that it woke a second late.
        job = Job.from_row(row, late=(to_ts(now) - row["due_at"]) > 60)
        try:
            with running_job(job.key, row["planned_at"] or row["due_at"]):
                if self.run_context is not None:
                    async with self.run_context(job):
                        await kind.handler(job)
                else:
                    await kind.handler(job)
        except asyncio.CancelledError:
            raise
        except Missed as missed:
            reason = str(missed)[:500] or "skipped by its handler"
            await self._finish(job_id, "missed", reason)
            self.stats.missed[job.kind] += 1
            log.info("job %s missed: %s", job.key, reason)
            await self._finished(job, "missed", reason)
        except Exception as error:
            await self._handle_failure(job, error)
        else:
            await self._finish(job_id, "done")
            self.stats.fired[job.kind] += 1
            await self._finished(job, "done", None)

    async def _bury(self, job: Job) -> None:
        """A job that never finished in MAX_ATTEMPTS claims: stop and tell."""
        error = JobDied(job.attempts)
        await self._db.execute(
            "UPDATE jobs SET last_error = ? WHERE id = ?", (str(error), job.id)
        )
        self.stats.dead[job.kind] += 1
        log.error(
            "job %s is dead: %s", job.key, error, extra={"guild_id": job.guild_id}
        )
        await self._finished(job, "dead", str(error))
        if self.on_failure is not None:
            try:
                await self.on_failure(job, error)
            except Exception:
                log.exception("could not report the death of job %s", job.key)

    async def _finished(self, job: Job, state: str, reason: str | None) -> None:
        if self.on_finished is None:
            return
        try:
            await self.on_finished(job, state, reason)
        except Exception:
            # The job's own state is recorded; its open sends wait for the next
            # start-up, which settles them too.
            log.exception("could not settle the sends of job %s", job.key)

    async def _handle_failure(self, job: Job, error: Exception) -> None:
        if is_transient(error) and job.attempts < MAX_ATTEMPTS:
            delay = backoff(job.attempts)
            if isinstance(error, discord.RateLimited):
                # Discord said how long: no sooner than that.
                delay = max(delay, math.ceil(error.retry_after))
            retry_at = now_ts() + delay
            try:
                await self._db.execute(
                    "UPDATE jobs SET state = 'pending', due_at = ?, last_error = ?, "
                    "planned_at = coalesce(planned_at, due_at) WHERE id = ?",
                    (retry_at, _describe(error), job.id),
                )
            except DatabaseFull:
                # No room for the reason: a same-size update still fits in place.
                await self._db.execute(
                    "UPDATE jobs SET state = 'pending', due_at = ?, "
                    "planned_at = coalesce(planned_at, due_at) WHERE id = ?",
                    (retry_at, job.id),
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
            self._track(job.id, retry_at)
            return
        await self._finish(
            job.id, "failed", _describe(error), send=pending_send_of(error)
        )
        self.stats.failed[job.kind] += 1
        await self._finished(job, "failed", _describe(error))
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

    async def _finish(
        self,
        job_id: int,
        state: str,
        error: str | None = None,
        *,
        send: str | None = None,
    ) -> None:
        """Record how the job ended; a job that gave up marks its pending ``send``
        failed too, in the same transaction, so the outbox says what became of it."""
        finish = (
            "UPDATE jobs SET state = ?, finished_at = ?, "
            "last_error = coalesce(?, last_error) WHERE id = ?"
        )
        if send is None:
            await self._db.execute(finish, (state, now_ts(), error, job_id))
            return
        async with self._db.transaction() as tx:
            await tx.execute(finish, (state, now_ts(), error, job_id))
            await tx.execute(GIVE_UP_SQL, (error, send))


def _describe(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"Discord {error.status} ({error.code}): {error.text or error}"[:500]
    return f"{type(error).__name__}: {error}"[:500]
