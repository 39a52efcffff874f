"""What the contribute job asks GitHub and PyPI, behind one narrow interface.

The engine only knows :class:`Source`: an issue by reference, the newcomer issues
and the recently updated pull requests of the Pallets organisations (one search
each), a repository's latest release, a package's latest version on PyPI. :class:`BotSource`
answers it with the bot's shared GitHub client (``bot.github``); tests and the
playground point that client at the fake upstream server. Failures come back as two
outcomes only: ``None`` (missing, or private: nothing to say) or :class:`Unreachable`
(outage, rate limit: "could not reach GitHub"), never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from typing import TYPE_CHECKING

import aiohttp

from bot.clock import from_ts
from bot.github import GitHub
from bot.github import GitHubError
from bot.github import Issue
from bot.github import Kind
from bot.github import USER_AGENT
from cogs.contribute._logic import IssueInfo
from cogs.contribute._logic import IssueRef
from cogs.contribute._logic import pull_request_query

if TYPE_CHECKING:
    from bot.app import PalletsBot

#: Seconds to wait for PyPI (a fallback, asked a few times a day at most).
PYPI_TIMEOUT = 10.0


class Unreachable(Exception):
    """GitHub (or PyPI) could not be asked now: an outage or a spent rate limit."""

    def __init__(self, detail: str, *, retry_at: int | None = None) -> None:
        super().__init__(detail)
        self.retry_at = retry_at


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """A project's latest release, from GitHub or PyPI."""

    version: str
    url: str | None
    source: str  # "github" | "pypi"


class Source(Protocol):
    async def issue(self, ref: IssueRef) -> IssueInfo | None:
        """The issue or pull request, or None when it is missing or private."""

    async def newcomer_issues(
        self, orgs: Sequence[str], labels: Sequence[str], *, limit: int
    ) -> list[IssueInfo]:
        """Open issues with any of ``labels`` across ``orgs``: one search request."""

    async def pulls_since(
        self, orgs: Sequence[str], since: datetime, *, limit: int
    ) -> list[IssueInfo]:
        """Pull requests updated since ``since`` across ``orgs``: one search request."""

    async def latest_release(self, repo: str) -> ReleaseInfo | None:
        """The newest published, non-prerelease GitHub release, if any."""

    async def pypi_release(self, package: str) -> ReleaseInfo | None:
        """The package's current version on PyPI, if it is there."""


class BotSource:
    """:class:`Source` on the bot's shared GitHub client, and PyPI's JSON API."""

    def __init__(self, bot: PalletsBot) -> None:
        self._bot = bot

    @property
    def _github(self) -> GitHub:
        # Read at each call: the playground and tests point the bot at a fake.
        return self._bot.github

    async def issue(self, ref: IssueRef) -> IssueInfo | None:
        try:
            found = await self._github.issue(ref.repo, ref.number)
        except GitHubError as error:
            if error.kind in (Kind.NOT_FOUND, Kind.PRIVATE):
                return None
            raise Unreachable(str(error), retry_at=error.retry_at) from None
        return info(found)

    async def newcomer_issues(
        self, orgs: Sequence[str], labels: Sequence[str], *, limit: int
    ) -> list[IssueInfo]:
        try:
            found = await self._github.issues_with_labels(orgs, labels, limit=limit)
        except GitHubError as error:
            raise Unreachable(str(error), retry_at=error.retry_at) from None
        return [info(issue) for issue in found]

    async def pulls_since(
        self, orgs: Sequence[str], since: datetime, *, limit: int
    ) -> list[IssueInfo]:
        try:
            found = await self._github.search_issues(
                pull_request_query(orgs, since), limit=limit
            )
        except GitHubError as error:
            raise Unreachable(str(error), retry_at=error.retry_at) from None
        return [info(issue) for issue in found if issue.is_pull]

    async def latest_release(self, repo: str) -> ReleaseInfo | None:
        try:
            releases = await self._github.releases(repo, limit=10)
        except GitHubError as error:
            if error.kind in (Kind.NOT_FOUND, Kind.PRIVATE):
                return None
            raise Unreachable(str(error), retry_at=error.retry_at) from None
        for release in releases:
            if not release.draft and not release.prerelease:
                return ReleaseInfo(release.tag, release.html_url or None, "github")
        return None

    async def pypi_release(self, package: str) -> ReleaseInfo | None:
        base = self._bot.settings.pypi_base_url.rstrip("/")
        url = f"{base}/pypi/{package}/json"
        try:
            async with (
                aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=PYPI_TIMEOUT),
                    headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                ) as session,
                session.get(url) as answer,
            ):
                if answer.status == 404:
                    return None
                if answer.status != 200:
                    raise Unreachable(f"PyPI answered {answer.status}")
                data = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise Unreachable(f"PyPI: {type(error).__name__}") from None
        version = (
            data.get("info", {}).get("version") if isinstance(data, dict) else None
        )
        if not isinstance(version, str) or not version:
            return None
        return ReleaseInfo(version, None, "pypi")


def info(issue: Issue) -> IssueInfo:
    """The job's view of the client's issue."""
    return IssueInfo(
        ref=IssueRef(issue.repo.lower(), issue.number),
        title=issue.title,
        state="merged" if issue.merged else issue.state,
        labels=tuple(label.lower() for label in issue.labels),
        author=issue.author or "ghost",
        url=issue.html_url,
        updated_at=from_ts(issue.updated_at or issue.created_at or 0),
        is_pull=issue.is_pull,
        assignees=issue.assignees,
        body=issue.body,
    )
