"""Fetching into the cache: PyPI, OSV and GitHub, each source stored on its own.

A GitHub outage leaves the PyPI data fresh and the GitHub data as it was, marked
stale with the reason. GitHub is asked through the bot's client (``bot.github``);
PyPI and OSV through ``_client.py``; both keep ETags in SQLite (``bot.http_cache``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import quote

from bot.clock import now_ts
from bot.db import Database
from bot.github import GitHub
from bot.github import GitHubError
from bot.github import Kind
from bot.settings import Settings
from cogs.extwatch import _queries as q
from cogs.extwatch._client import ApiClient
from cogs.extwatch._client import FailureKind
from cogs.extwatch._client import FetchError
from cogs.extwatch._logic import Activity
from cogs.extwatch._logic import activity_to_json
from cogs.extwatch._logic import github_info
from cogs.extwatch._logic import GithubInfo
from cogs.extwatch._logic import MalformedData
from cogs.extwatch._logic import MONTH
from cogs.extwatch._logic import parse_osv
from cogs.extwatch._logic import parse_pypi
from cogs.extwatch._logic import to_json

log = logging.getLogger(__name__)

#: How many packages are fetched at once.
CONCURRENCY = 4


@dataclass(slots=True)
class RefreshResult:
    checked: int = 0
    #: package -> source -> failure kind
    failures: dict[str, dict[str, str]] = field(default_factory=dict)
    #: When GitHub's rate limit resets, if it ran out during the refresh.
    retry_at: int | None = None

    @property
    def failed_packages(self) -> int:
        return len(self.failures)


async def refresh_packages(
    db: Database,
    client: ApiClient,
    github: GitHub,
    settings: Settings,
    packages: Mapping[str, str | None],
    *,
    activity: Collection[str] = (),
    no_pypi: Collection[str] = (),
) -> RefreshResult:
    """Fetch every package in ``packages`` (name -> GitHub repo) into the cache.

    ``activity``: packages whose recent commits and releases are fetched too (their
    caretakers are checked); ``no_pypi``: repositories not published on PyPI.
    """
    result = RefreshResult()
    gate = asyncio.Semaphore(CONCURRENCY)
    since = now_ts() - int(settings.ext_inactive_months * MONTH)

    async def one(package: str, repo: str | None) -> None:
        async with gate:
            failures = await refresh_package(
                db,
                client,
                github,
                settings,
                package,
                repo,
                activity_since=since if package in activity else None,
                pypi=package not in no_pypi,
                result=result,
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
    *,
    activity_since: int | None = None,
    pypi: bool = True,
    result: RefreshResult | None = None,
) -> dict[str, str]:
    """Fetch one package; return the failed sources with the kind of failure."""
    failures: dict[str, str] = {}
    if pypi:
        await _fetch_pypi_and_osv(db, client, settings, package, failures)
    if repo:
        await _fetch_github_into(db, github, package, repo, failures, result)
    if repo and activity_since is not None:
        try:
            activity = await fetch_activity(github, repo, activity_since)
            data = activity_to_json(activity)
            await q.save_good(db, package, "activity", data, now=now_ts())
        except GitHubError as error:
            failures["activity"] = await _github_failed(
                db, package, "activity", error, result
            )
    return failures


async def _fetch_pypi_and_osv(
    db: Database,
    client: ApiClient,
    settings: Settings,
    package: str,
    failures: dict[str, str],
) -> None:
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


async def _fetch_github_into(
    db: Database,
    github: GitHub,
    package: str,
    repo: str,
    failures: dict[str, str],
    result: RefreshResult | None,
) -> None:
    try:
        info = await _fetch_github(github, repo)
        await q.save_good(db, package, "github", to_json(info), now=now_ts())
        await q.add_backlog_sample(db, repo, info.backlog, now=now_ts())
    except GitHubError as error:
        if error.kind is Kind.NOT_FOUND:
            await q.save_good(db, package, "github", None, now=now_ts())
        else:
            failures["github"] = await _github_failed(
                db, package, "github", error, result
            )


async def fetch_activity(github: GitHub, repo: str, since: int) -> Activity:
    """Who committed since ``since`` and who made the latest releases."""
    commits = await github.commits(repo, since)
    releases = await github.releases(repo, limit=20)
    return Activity(
        commits=tuple(
            (c.author_login or c.author_name, c.authored_at)
            for c in commits
            if c.authored_at is not None and (c.author_login or c.author_name)
        ),
        releases=tuple(
            (r.author, r.tag, r.published_at)
            for r in releases
            if r.author and r.published_at is not None and not r.draft
        ),
    )


async def _github_failed(
    db: Database,
    package: str,
    source: str,
    error: GitHubError,
    result: RefreshResult | None,
) -> str:
    log.warning("extension watch: %s %s failed: %s", package, source, error)
    await q.save_failure(db, package, source, error.cause, now=now_ts())
    if result is not None and error.retry_at is not None:
        result.retry_at = max(result.retry_at or 0, error.retry_at)
    return error.cause


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


async def pypi_project(
    client: ApiClient, settings: Settings, name: str
) -> tuple[str, str] | None:
    """(display name, latest version) of a PyPI project; None when there is none.

    Other failures raise :class:`FetchError` (the caller decides what unknown means).
    """
    base = settings.pypi_base_url.rstrip("/")
    try:
        answer = await client.get_json(f"{base}/pypi/{quote(name)}/json")
    except FetchError as error:
        if error.kind is FailureKind.NOT_FOUND:
            return None
        raise
    try:
        info = parse_pypi(answer.data, settings.flask_major_version)
    except MalformedData as error:
        raise _malformed(error) from None
    return info.name, info.version
