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

from cogs.contribute._logic import IssueInfo
from cogs.contribute._logic import IssueRef


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
