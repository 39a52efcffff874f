"""Prometheus metrics of one bot: what it did, what failed, how fast it answered.

Each bot owns its :class:`~prometheus_client.CollectorRegistry` (not the process-wide
default one), so two bots in one process (tests, a restart) never share counters.
Counts that other services already keep (the scheduler's ``stats``, the outbox's
``sends``/``retries``) are read at scrape time by a custom collector instead of being
mirrored; values that need the database (pending jobs) are refreshed just before a
scrape by :meth:`Metrics.refresh`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from collections.abc import Iterator
from typing import Any
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import generate_latest
from prometheus_client import Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot.errors import UserError
from bot.refusals import Refused

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

#: Prometheus' text exposition format, as served on ``/metrics``.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Where the interaction's start time is kept between the check and the outcome.
_STARTED = "pallets_metrics_started"

#: Discord wants an interaction answered (or deferred) within 3 seconds.
RESPONSE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)

_REFUSALS = (
    UserError,
    Refused,
    app_commands.CheckFailure,
    app_commands.NoPrivateMessage,
    app_commands.TransformerError,
    discord.Forbidden,
)


def _unwrap(error: BaseException) -> BaseException:
    if isinstance(error, app_commands.CommandInvokeError):
        return error.original
    return error


def outcome_of(error: BaseException) -> str:
    """``refused`` for errors a member caused (bad input, no role), else ``error``."""
    return "refused" if isinstance(_unwrap(error), _REFUSALS) else "error"


class _ServiceCollector(Collector):
    """Reads the scheduler's and the outbox's own counters at scrape time."""

    def __init__(self, bot: PalletsBot) -> None:
        self._bot = bot

    def collect(self) -> Iterator[Metric]:
        stats = self._bot.scheduler.stats
        for name, counter, doc in (
            ("pallets_jobs_fired", stats.fired, "Scheduled jobs that ran, by kind."),
            (
                "pallets_jobs_missed",
                stats.missed,
                "Scheduled jobs missed while the bot was down, by kind.",
            ),
            (
                "pallets_jobs_failed",
                stats.failed,
                "Scheduled jobs that failed for good, by kind.",
            ),
            (
                "pallets_jobs_retried",
                stats.retried,
                "Scheduled job runs put off to retry later, by kind.",
            ),
            (
                "pallets_jobs_dead",
                stats.dead,
                "Scheduled jobs that never finished in their tries and were stopped, "
                "by kind.",
            ),
        ):
            family = CounterMetricFamily(name, doc, labels=["kind"])
            for kind, value in sorted(counter.items()):
                family.add_metric([kind], value)
            yield family
        outbox = self._bot.outbox
        yield CounterMetricFamily(
            "pallets_outbox_sends",
            "Messages the outbox posted (first sends and resends).",
            value=outbox.sends,
        )
        yield CounterMetricFamily(
            "pallets_outbox_retries",
            "Outbox sends that were tried again after a failure or crash.",
            value=outbox.retries,
        )
        yield CounterMetricFamily(
            "pallets_outbox_reconciles",
            "Times the outbox looked on Discord for an earlier try before another.",
            value=outbox.reconciles,
        )
        yield CounterMetricFamily(
            "pallets_outbox_adopted",
            "Earlier tries found on Discord and recorded instead of sent again.",
            value=outbox.adopted,
        )
        yield GaugeMetricFamily(
            "pallets_gateway_latency_seconds",
            "Last gateway heartbeat latency (NaN before the first heartbeat).",
            value=_latency(self._bot),
        )


def _latency(bot: PalletsBot) -> float:
    try:
        return float(bot.latency)
    except (AttributeError, TypeError, ValueError):
        return float("nan")


class Metrics:
    """The bot's counters and histograms, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.commands = Counter(
            "pallets_commands",
            "Slash commands run, by command.",
            ["command"],
            registry=self.registry,
        )
        self.command_failures = Counter(
            "pallets_command_failures",
            "Slash commands that failed, by command and outcome "
            "(refused: the member's input or role; error: a fault on our side).",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.response_time = Histogram(
            "pallets_interaction_response_seconds",
            "Time from a command's check to its outcome.",
            buckets=RESPONSE_BUCKETS,
            registry=self.registry,
        )
        self.http_errors = Counter(
            "pallets_discord_http_errors",
            "Discord REST calls that failed, by HTTP status.",
            ["status"],
            registry=self.registry,
        )
        self.jobs_pending = Gauge(
            "pallets_jobs_pending",
            "Scheduled jobs waiting to run (or running).",
            registry=self.registry,
        )
        self.database_size = Gauge(
            "pallets_database_size_bytes",
            "Size of the database file plus its write-ahead log.",
            registry=self.registry,
        )
        self._bot: PalletsBot | None = None

    # -- wiring -------------------------------------------------------------------------
    def attach(self, bot: PalletsBot) -> None:
        """Read ``bot``'s services at scrape time and count its Discord HTTP errors."""
        if self._bot is None:
            self.registry.register(_ServiceCollector(bot))
        self._bot = bot
        self.wrap_http(bot)

    def wrap_http(self, bot: PalletsBot) -> None:
        """Count failed REST calls by status by wrapping ``bot.http.request`` once."""
        http = bot.http
        original = http.request
        if getattr(original, "_pallets_metrics", False):
            return

        @functools.wraps(original)
        async def request(*args: Any, **kwargs: Any) -> Any:
            try:
                return await original(*args, **kwargs)
            except discord.HTTPException as exc:
                self.http_errors.labels(str(exc.status)).inc()
                raise

        request._pallets_metrics = True  # type: ignore[attr-defined]
        http.request = request  # type: ignore[method-assign]

    # -- commands -----------------------------------------------------------------------
    def command_started(self, interaction: discord.Interaction[Any]) -> None:
        interaction.extras[_STARTED] = time.monotonic()

    def command_finished(
        self,
        interaction: discord.Interaction[Any],
        error: BaseException | None = None,
    ) -> None:
        name = _command_name(interaction)
        if name is None:
            return
        self.commands.labels(name).inc()
        if error is not None:
            self.command_failures.labels(name, outcome_of(error)).inc()
        started = interaction.extras.pop(_STARTED, None)
        if started is not None:
            self.response_time.observe(max(time.monotonic() - started, 0.0))

    # -- scraping -----------------------------------------------------------------------
    async def refresh(self) -> None:
        """Update the values that need I/O; call just before rendering."""
        bot = self._bot
        if bot is None:
            return
        try:
            self.jobs_pending.set(await bot.scheduler.pending_count())
        except Exception:  # the database may be down; health reports that
            log.warning("could not count pending jobs for the metrics", exc_info=True)
        self.database_size.set(database_size(bot.settings.database_path))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _command_name(interaction: discord.Interaction[Any]) -> str | None:
    command = interaction.command
    return command.qualified_name if command is not None else None


def database_size(path: os.PathLike[str] | str) -> int:
    """Bytes on disk of the SQLite file and its ``-wal`` file."""
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(FileNotFoundError):  # no WAL file yet
            total += os.stat(f"{os.fspath(path)}{suffix}").st_size
    return total
