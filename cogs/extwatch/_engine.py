"""What the extension watch does: keep each server's watch list, fetch, assess, tell.

- **The watch list** of a server is seeded from the shipped file on its first use of
  /ext, which also starts its weekly check; a server that never uses /ext never
  causes a request to PyPI, GitHub or OSV.
- **Fetching** asks PyPI, GitHub and OSV about packages and keeps the answers in
  SQLite. Each source is fetched and stored on its own: a GitHub outage leaves the
  PyPI data fresh and the GitHub data as it was, marked stale with the reason.
  GitHub is asked through the bot's client (``bot.github``), PyPI and OSV through
  ``_client.py``; both keep ETags in SQLite (``bot.http_cache``).
- **Assessing** reads only the cache (``_logic.assess``), so /ext status answers at
  once, without the network.
- **The weekly check** (Monday 06:00 UTC, timed work ``extwatch.weekly``) refreshes
  the list and posts the status changes to the log channel, once (outbox).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

import discord

from bot.clock import now_ts
from bot.clock import to_ts
from bot.clock import utcnow
from bot.db import Database
from bot.github import GitHub
from bot.github import GitHubError
from bot.github import Kind
from bot.guilds import Channel
from bot.http_cache import HttpCache
from bot.refusals import Refused
from bot.scheduler import Job
from bot.settings import Settings
from bot.ui import Interaction
from bot.ui import Page
from bot.ui import page_bounds
from cogs.extwatch import _queries as q
from cogs.extwatch import _render as render
from cogs.extwatch._client import ApiClient
from cogs.extwatch._client import FailureKind
from cogs.extwatch._client import FetchError
from cogs.extwatch._logic import assess
from cogs.extwatch._logic import Assessment
from cogs.extwatch._logic import Change
from cogs.extwatch._logic import github_info
from cogs.extwatch._logic import GithubInfo
from cogs.extwatch._logic import MalformedData
from cogs.extwatch._logic import next_weekly
from cogs.extwatch._logic import normalise_name
from cogs.extwatch._logic import parse_osv
from cogs.extwatch._logic import parse_pypi
from cogs.extwatch._logic import Problem
from cogs.extwatch._logic import shown_name
from cogs.extwatch._logic import Status
from cogs.extwatch._logic import status_change
from cogs.extwatch._logic import STATUS_ORDER
from cogs.extwatch._logic import Thresholds
from cogs.extwatch._logic import to_json
from cogs.extwatch._queries import Cached
from cogs.extwatch._queries import Watched
from cogs.extwatch._watchlist import load_watchlist

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

WEEKLY_KIND = "extwatch.weekly"
#: The report, paged with ``bot.ui.show_page``.
REPORT_PAGES = "extwatch.report"
REPORT_PAGE_SIZE = 10
#: How many packages are fetched at once.
CONCURRENCY = 4

#: A watched extension, assessed from the cache, with the cached data.
Assessed = tuple[Watched, Assessment, Cached]


def weekly_prefix(guild_id: int) -> str:
    """The start of every weekly check's key of a server."""
    return f"extwatch:weekly:{guild_id}:"


def weekly_key(guild_id: int, due: datetime) -> str:
    """The weekly check of a server due at ``due``."""
    return f"{weekly_prefix(guild_id)}{to_ts(due)}"


def changes_key(guild_id: int, due: datetime) -> str:
    """The outbox key of the post telling the changes the check due at ``due`` found."""
    return f"extwatch:changes:{guild_id}:{to_ts(due)}"


class ExtWatchEngine:
    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self.client = ApiClient(HttpCache(bot.db))

    @property
    def db(self) -> Database:
        return self.bot.db

    def register(self) -> None:
        self.bot.scheduler.register(
            WEEKLY_KIND, self.on_weekly, catch_up=timedelta(days=2)
        )
        self.bot.actions.register_pages(REPORT_PAGES, self.report_page)

    def unregister(self) -> None:
        self.bot.scheduler.unregister(WEEKLY_KIND)
        self.bot.actions.unregister(REPORT_PAGES)

    async def close(self) -> None:
        await self.client.close()

    def thresholds(self) -> Thresholds:
        s = self.bot.settings
        return Thresholds(
            watch_months=s.ext_watch_months,
            risk_months=s.ext_risk_months,
            flask_major=s.flask_major_version,
        )

    # -- the watch list -------------------------------------------------------------------
    async def ensure_guild(self, guild_id: int) -> None:
        """On a server's first use: seed its watch list and start the weekly check."""
        if await q.seed(self.db, guild_id, load_watchlist()):
            await self.schedule_weekly(guild_id, utcnow())

    async def watched(self, guild_id: int, name: str) -> Watched:
        """The watched extension a member named, or a refusal."""
        item = await q.get_watched(self.db, guild_id, normalise_name(name.strip()))
        if item is None:
            raise Refused(Problem.NOT_WATCHED, name=shown_name(name))
        return item

    async def add(
        self,
        guild_id: int,
        package: str,
        display_name: str,
        repo: str | None,
        notes: str,
        added_by: int,
    ) -> None:
        """Watch a new extension (checked by the caller: ``_logic.check_new_watch``)."""
        if not await q.add_watched(
            self.db, guild_id, package, display_name, repo, notes, added_by
        ):
            raise Refused(Problem.ALREADY_WATCHED, name=display_name)

    async def remove(self, guild_id: int, name: str) -> Watched:
        """Stop watching the extension a member named; return what was removed."""
        item = await self.watched(guild_id, name)
        await q.remove_watched(self.db, guild_id, item.package)
        return item

    # -- assessing from the cache -----------------------------------------------------------
    async def assessments(self, guild_id: int) -> list[Assessed]:
        """Every watched extension of a server with its assessment and cached data."""
        now = now_ts()
        limits = self.thresholds()
        out = []
        for item in await q.watched(self.db, guild_id):
            cache = await q.cached(self.db, item.package, item.repo)
            out.append((item, assess(cache.evidence(), limits, now), cache))
        return out

    async def status_embed(self, guild_id: int, name: str) -> discord.Embed:
        """An extension's health, reasons, latest release and links, from the cache."""
        item = await self.watched(guild_id, name)
        cache = await q.cached(self.db, item.package, item.repo)
        now = now_ts()
        assessment = assess(cache.evidence(), self.thresholds(), now)
        return render.status_embed(item, assessment, cache, now)

    async def report_page(
        self, interaction: Interaction, number: int, arg: str
    ) -> Page:
        """Page ``number`` of the report: every watched extension, worst first."""
        assert interaction.guild_id is not None
        rows = await self.assessments(interaction.guild_id)
        if not rows:
            raise Refused(Problem.EMPTY_LIST)
        order = {status: i for i, status in enumerate(STATUS_ORDER)}
        rows.sort(key=lambda r: (order[r[1].status], r[0].display_name.lower()))
        counts = Counter(assessment.status for _item, assessment, _cache in rows)
        number, count, offset = page_bounds(number, len(rows), REPORT_PAGE_SIZE)
        shown = [
            (item, assessment, bool(cache.stale))
            for item, assessment, cache in rows[offset : offset + REPORT_PAGE_SIZE]
        ]
        return Page(render.report_embed(shown, counts), number, count)

    # -- fetching -------------------------------------------------------------------------
    async def refresh(self, packages: dict[str, str | None]) -> RefreshResult:
        """Fetch ``packages`` (name -> GitHub repo) into the cache."""
        return await refresh_packages(
            self.db, self.client, self.bot.github, self.bot.settings, packages
        )

    async def refresh_watched(
        self, guild_id: int, items: list[Watched]
    ) -> tuple[RefreshResult, list[Change]]:
        """Fetch ``items`` now; return what happened and how their statuses changed."""
        before = {i.package: a.status for i, a, _c in await self.assessments(guild_id)}
        result = await self.refresh({i.package: i.repo for i in items})
        wanted = {i.package for i in items}
        changes = []
        for item, assessment, _cache in await self.assessments(guild_id):
            change = status_change(
                item.display_name, before.get(item.package), assessment
            )
            if item.package in wanted and change is not None:
                changes.append(change)
        return result, changes

    # -- the weekly check -----------------------------------------------------------------
    async def schedule_weekly(self, guild_id: int, after: datetime) -> None:
        due = next_weekly(after)
        await self.bot.schedule(
            WEEKLY_KIND, weekly_key(guild_id, due), due, guild_id=guild_id
        )

    async def start_weekly_checks(self) -> None:
        """At start-up: make sure every server that uses the watch has its check."""
        for guild_id in await q.seeded_guilds(self.db):
            await self.schedule_weekly(guild_id, utcnow())

    async def on_weekly(self, job: Job) -> None:
        guild_id = job.guild_id
        if guild_id is None:
            return
        # Next week first, so a failure this week never stops the checks.
        await self.schedule_weekly(guild_id, job.due_at)
        items = await q.watched(self.db, guild_id)
        await self.refresh({item.package: item.repo for item in items})
        changes: list[Change] = []
        current: dict[str, Status] = {}
        for item, assessment, _cache in await self.assessments(guild_id):
            current[item.package] = assessment.status
            change = status_change(item.display_name, item.reported_status, assessment)
            if change is not None:
                changes.append(change)
        if changes:
            settings = await self.bot.guild_config.get(guild_id)
            channel_id = settings.channel(Channel.LOG)
            if channel_id is not None:
                await self.bot.outbox.send(
                    changes_key(guild_id, job.due_at),
                    channel_id,
                    guild_id=guild_id,
                    content=render.changes_post(changes),
                )
        await q.set_reported(self.db, guild_id, current)


# -- fetching into the cache -------------------------------------------------------------
@dataclass(slots=True)
class RefreshResult:
    checked: int = 0
    #: package -> source -> failure kind
    failures: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def failed_packages(self) -> int:
        return len(self.failures)


async def refresh_packages(
    db: Database,
    client: ApiClient,
    github: GitHub,
    settings: Settings,
    packages: Mapping[str, str | None],
) -> RefreshResult:
    """Fetch every package in ``packages`` (name -> GitHub repo) into the cache."""
    result = RefreshResult()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(package: str, repo: str | None) -> None:
        async with gate:
            failures = await refresh_package(
                db, client, github, settings, package, repo
            )
        result.checked += 1
        if failures:
            result.failures[package] = failures

    await asyncio.gather(*(one(p, r) for p, r in sorted(packages.items())))
    return result


async def refresh_package(
    db: Database,
    client: ApiClient,
    github: GitHub,
    settings: Settings,
    package: str,
    repo: str | None,
) -> dict[str, str]:
    """Fetch one package; return the failed sources with the kind of failure."""
    failures: dict[str, str] = {}
    base = settings.pypi_base_url.rstrip("/")
    version: str | None = None
    try:
        answer = await client.get_json(f"{base}/pypi/{quote(package)}/json")
        pypi = parse_pypi(answer.data, settings.flask_major_version)
        version = pypi.version
        await q.save_good(db, package, "pypi", to_json(pypi), now=now_ts())
    except FetchError as error:
        if error.kind is FailureKind.NOT_FOUND:
            await q.save_good(db, package, "pypi", None, now=now_ts())
        else:
            failures["pypi"] = await _failed(db, package, "pypi", error)
    except MalformedData as error:
        failures["pypi"] = await _failed(db, package, "pypi", _malformed(error))
    if version is None:
        # OSV needs the latest version: fall back to the last one known.
        snapshot = (await q.cached(db, package, None)).snapshots.get("pypi")
        if snapshot is not None and snapshot.data is not None:
            version = snapshot.data.get("version")
    if version is not None:
        try:
            osv_base = settings.osv_api_url.rstrip("/")
            answer = await client.post_json(
                f"{osv_base}/v1/query",
                {"package": {"name": package, "ecosystem": "PyPI"}, "version": version},
            )
            osv = parse_osv(answer.data, version)
            await q.save_good(db, package, "osv", to_json(osv), now=now_ts())
        except FetchError as error:
            failures["osv"] = await _failed(db, package, "osv", error)
        except MalformedData as error:
            failures["osv"] = await _failed(db, package, "osv", _malformed(error))
    if repo:
        try:
            info = await _fetch_github(github, repo)
            await q.save_good(db, package, "github", to_json(info), now=now_ts())
            await q.add_backlog_sample(db, repo, info.backlog, now=now_ts())
        except GitHubError as error:
            if error.kind is Kind.NOT_FOUND:
                await q.save_good(db, package, "github", None, now=now_ts())
            else:
                log.warning("extension watch: %s github failed: %s", package, error)
                await q.save_failure(db, package, "github", error.cause, now=now_ts())
                failures["github"] = error.cause
    return failures


async def _fetch_github(github: GitHub, repo: str) -> GithubInfo:
    repository = await github.repository(repo)
    open_prs = await github.open_pull_count(repo)
    return github_info(
        full_name=repository.full_name,
        pushed_at=repository.pushed_at,
        archived=repository.archived,
        open_items=repository.open_issues_count,
        open_prs=open_prs,
        html_url=repository.html_url,
    )


def _malformed(error: MalformedData) -> FetchError:
    return FetchError(FailureKind.MALFORMED, str(error))


async def _failed(db: Database, package: str, source: str, error: FetchError) -> str:
    log.warning("extension watch: %s %s failed: %s", package, source, error)
    await q.save_failure(db, package, source, error.kind.value, now=now_ts())
    return error.kind.value
