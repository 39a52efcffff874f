"""Fetching: ask PyPI, GitHub and OSV about packages and keep the answers.

Each source is fetched and stored on its own: a GitHub outage leaves the PyPI data
fresh and the GitHub data as it was, marked stale with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import quote

from bot.clock import now_ts
from bot.db import Database
from bot.settings import Settings
from cogs.extwatch import _queries as q
from cogs.extwatch._client import ApiClient
from cogs.extwatch._client import FailureKind
from cogs.extwatch._client import FetchError
from cogs.extwatch._logic import count_from_link
from cogs.extwatch._logic import GithubInfo
from cogs.extwatch._logic import MalformedData
from cogs.extwatch._logic import parse_github
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

    @property
    def failed_packages(self) -> int:
        return len(self.failures)


async def refresh_packages(
    db: Database,
    client: ApiClient,
    settings: Settings,
    packages: Mapping[str, str | None],
) -> RefreshResult:
    """Fetch every package in ``packages`` (name -> GitHub repo) into the cache."""
    result = RefreshResult()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(package: str, repo: str | None) -> None:
        async with gate:
            failures = await refresh_package(db, client, settings, package, repo)
        result.checked += 1
        if failures:
            result.failures[package] = failures

    await asyncio.gather(*(one(p, r) for p, r in sorted(packages.items())))
    return result


async def refresh_package(
    db: Database, client: ApiClient, settings: Settings, package: str, repo: str | None
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
            github = await _fetch_github(client, settings, repo)
            await q.save_good(db, package, "github", to_json(github), now=now_ts())
            await q.add_backlog_sample(db, repo, github.backlog, now=now_ts())
        except FetchError as error:
            if error.kind is FailureKind.NOT_FOUND:
                await q.save_good(db, package, "github", None, now=now_ts())
            else:
                failures["github"] = await _failed(db, package, "github", error)
        except MalformedData as error:
            failures["github"] = await _failed(db, package, "github", _malformed(error))
    return failures


async def _fetch_github(client: ApiClient, settings: Settings, repo: str) -> GithubInfo:
    base = settings.github_api_url.rstrip("/")
    repo_answer = await client.get_json(f"{base}/repos/{repo}")
    pulls = await client.get_json(f"{base}/repos/{repo}/pulls?state=open&per_page=1")
    if not isinstance(pulls.data, list):
        raise MalformedData("GitHub pulls is not a list")
    open_prs = count_from_link(pulls.link, len(pulls.data))
    return parse_github(repo_answer.data, open_prs)


def _malformed(error: MalformedData) -> FetchError:
    return FetchError(FailureKind.MALFORMED, str(error))


async def _failed(db: Database, package: str, source: str, error: FetchError) -> str:
    log.warning("extension watch: %s %s failed: %s", package, source, error)
    await q.save_failure(db, package, source, error.kind.value, now=now_ts())
    return error.kind.value
