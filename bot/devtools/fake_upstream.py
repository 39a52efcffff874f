"""A fake PyPI, GitHub and OSV on 127.0.0.1, for the tests and the playground.

It answers what the bot asks with responses shaped like the real ones (trimmed):

- PyPI: ``GET /pypi/<name>/json``; OSV: ``POST /v1/query``;
- GitHub: a repository, its open pull requests, an issue or pull request by number,
  an issue's timeline (cross-referenced pull requests), releases, commits with their
  authors since a date, an organisation's repositories, and ``/search/issues``
  (``org:``, ``repo:``, ``is:``, ``state:``, ``label:`` with commas for "any of",
  ``author:``), with ``Link`` pagination (``per_page``/``page``).

It honours ``If-None-Match`` and ``If-Modified-Since`` with 304, sends GitHub's rate
limit headers (``core`` and ``search`` budgets that run out: then a 403 with
``X-RateLimit-Remaining: 0``; a 304 to a request with a token costs nothing, as on
GitHub), answers 404 for a private repository to a client without a token and 403
to one with a token (GitHub's "resource not accessible"), and can be told to
misbehave: ``fake.fail("/pypi/flask-login/json", Fault.SERVER_ERROR, times=2)``.
Times (rate limit resets) come from the bot's clock, so simcord's clock moves them.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
import shlex
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from email.utils import format_datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import web

from bot.clock import now_ts
from bot.github import GitHub
from bot.http_cache import HttpCache
from bot.paths import DATA_DIR

if TYPE_CHECKING:
    from bot.app import PalletsBot


class Fault(StrEnum):
    SERVER_ERROR = "server_error"  # 503
    TIMEOUT = "timeout"  # answers after ``slow_seconds``
    TOO_MANY = "too_many"  # 429 with Retry-After
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    RATE_LIMIT = "rate_limit"  # GitHub's 403 with X-RateLimit-Remaining: 0
    NOT_FOUND = "not_found"  # 404
    FORBIDDEN = "forbidden"  # 403 without a rate limit (a token without access)


def normalise_name(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- the fake world -----------------------------------------------------------------------
@dataclass
class FakePackage:
    name: str
    version: str
    released: datetime
    requires_dist: list[str]
    repo: str | None
    vulns: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeIssue:
    number: int
    title: str
    author: str
    labels: list[str] = field(default_factory=list)
    state: str = "open"
    is_pull: bool = False
    merged: bool = False
    draft: bool = False
    assignees: list[str] = field(default_factory=list)
    created: datetime | None = None
    updated: datetime | None = None
    closed: datetime | None = None
    comments: int = 0
    body: str = ""
    #: Pull requests that mention this issue: ("owner/name", number).
    referenced_by: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class FakeRelease:
    tag: str
    published: datetime
    author: str
    prerelease: bool = False
    draft: bool = False
    name: str = ""


@dataclass
class FakeCommit:
    author_login: str | None
    date: datetime
    message: str = "Update"
    author_name: str = ""
    sha: str = ""


@dataclass
class FakeRepo:
    full_name: str
    pushed: datetime | None = None
    archived: bool = False
    private: bool = False
    fork: bool = False
    description: str = ""
    stars: int = 100
    #: Open issues and pull requests that exist only as counts (no details).
    open_issues: int = 0
    open_prs: int = 0
    issues: dict[int, FakeIssue] = field(default_factory=dict)
    releases: list[FakeRelease] = field(default_factory=list)
    commits: list[FakeCommit] = field(default_factory=list)
    created: datetime | None = None

    @property
    def owner(self) -> str:
        return self.full_name.partition("/")[0]

    @property
    def name(self) -> str:
        return self.full_name.partition("/")[2]

    def add_issue(self, issue: FakeIssue) -> FakeIssue:
        self.issues[issue.number] = issue
        return issue

    def next_number(self) -> int:
        return max(self.issues, default=0) + 1


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    query: str = ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


#: GitHub's budgets per hour without a token.
CORE_LIMIT = 60
SEARCH_LIMIT = 10


class FakeApis:
    """The fake server. ``await fake.start()`` then use :attr:`url` as every base URL."""

    def __init__(self, *, slow_seconds: float = 5.0) -> None:
        self.packages: dict[str, FakePackage] = {}
        self.repos: dict[str, FakeRepo] = {}
        self.faults: dict[str, list[tuple[Fault, int | None]]] = {}
        self.requests: list[Seen] = []
        self.slow_seconds = slow_seconds
        self.retry_after = 1
        #: Requests left per rate-limit resource; None: unlimited (the default, so
        #: a test counts requests only when it means to).
        self.budget: dict[str, int | None] = {"core": None, "search": None}
        self.limits = {"core": CORE_LIMIT, "search": SEARCH_LIMIT}
        #: When the budgets reset (epoch seconds); None: an hour from each answer.
        self.reset_at: int | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        app = web.Application()
        app.router.add_get("/pypi/{name}/json", self._pypi)
        app.router.add_post("/v1/query", self._osv)
        app.router.add_get("/repos/{owner}/{repo}", self._repo)
        app.router.add_get("/repos/{owner}/{repo}/pulls", self._pulls)
        app.router.add_get("/repos/{owner}/{repo}/issues/{number}", self._issue)
        app.router.add_get(
            "/repos/{owner}/{repo}/issues/{number}/timeline", self._timeline
        )
        app.router.add_get("/repos/{owner}/{repo}/releases", self._releases)
        app.router.add_get("/repos/{owner}/{repo}/commits", self._commits)
        app.router.add_get("/orgs/{org}/repos", self._org_repos)
        app.router.add_get("/search/issues", self._search)
        self._app = app

    # -- life cycle ---------------------------------------------------------------------
    async def start(self) -> str:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- arranging ----------------------------------------------------------------------
    def add(self, package: FakePackage) -> FakePackage:
        self.packages[normalise_name(package.name)] = package
        return package

    def add_repo(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.full_name.lower()] = repo
        return repo

    def repo(self, full_name: str) -> FakeRepo:
        """The repository ``owner/name`` (created, empty, when it is new)."""
        found = self.repos.get(full_name.lower())
        if found is None:
            found = self.add_repo(FakeRepo(full_name))
        return found

    def fail(self, path: str, fault: Fault, *, times: int | None = 1) -> None:
        """Make requests to ``path`` misbehave ``times`` times (None: until cleared)."""
        self.faults.setdefault(path, []).append((fault, times))

    def clear_faults(self) -> None:
        self.faults.clear()

    def paths(self, prefix: str = "") -> list[str]:
        return [seen.path for seen in self.requests if seen.path.startswith(prefix)]

    # -- serving --------------------------------------------------------------------------
    def _reset(self) -> int:
        return self.reset_at if self.reset_at is not None else now_ts() + 3600

    async def _fault(self, request: web.Request) -> web.StreamResponse | None:
        queue = self.faults.get(request.path)
        if not queue:
            return None
        fault, times = queue[0]
        if times is not None:
            if times <= 1:
                queue.pop(0)
            else:
                queue[0] = (fault, times - 1)
        if fault is Fault.SERVER_ERROR:
            return web.Response(status=503, text="Service Unavailable")
        if fault is Fault.TIMEOUT:
            await asyncio.sleep(self.slow_seconds)
            return web.json_response({})
        if fault is Fault.TOO_MANY:
            return web.Response(
                status=429,
                text="Too Many Requests",
                headers={"Retry-After": str(self.retry_after)},
            )
        if fault is Fault.MALFORMED:
            return web.Response(
                status=200,
                text="<html>upstream error</html>",
                content_type="application/json",
            )
        if fault is Fault.NOT_FOUND:
            return web.json_response({"message": "Not Found"}, status=404)
        if fault is Fault.FORBIDDEN:
            return web.json_response(
                {"message": "Resource not accessible by personal access token"},
                status=403,
            )
        return web.json_response(
            {"message": "API rate limit exceeded"},
            status=403,
            headers={
                "X-RateLimit-Limit": "60",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(self._reset()),
                "X-RateLimit-Resource": "core",
            },
        )

    def _record(self, request: web.Request, status: int) -> None:
        self.requests.append(
            Seen(
                request.method,
                request.path,
                dict(request.headers),
                status,
                request.query_string,
            )
        )

    def _rate_headers(self, request: web.Request, *, spend: bool) -> dict[str, str]:
        """GitHub's rate-limit headers; ``spend`` takes one request off the budget."""
        resource = "search" if request.path.startswith("/search/") else "core"
        left = self.budget.get(resource)
        if left is not None and spend:
            left = max(left - 1, 0)
            self.budget[resource] = left
        if left is None:
            limit, remaining = 5000, 4999  # as with a token: plenty
        else:
            limit, remaining = self.limits[resource], left
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(self._reset()),
            "X-RateLimit-Resource": resource,
        }

    async def _answer(
        self,
        request: web.Request,
        data: Any,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        modified: datetime | None = None,
    ) -> web.StreamResponse:
        fault = await self._fault(request)
        if fault is not None:
            self._record(request, fault.status)
            return fault
        github = not request.path.startswith(("/pypi/", "/v1/"))
        extra = dict(headers or {})
        if github:
            resource = "search" if request.path.startswith("/search/") else "core"
            if self.budget.get(resource) == 0:
                self._record(request, 403)
                return web.json_response(
                    {"message": "API rate limit exceeded"},
                    status=403,
                    headers=self._rate_headers(request, spend=False),
                )
        body = json.dumps(data, sort_keys=True)
        etag = '"' + hashlib.sha1(body.encode()).hexdigest()[:16] + '"'
        unchanged = (
            request.method == "GET"
            and status == 200
            and _not_modified(request, etag, modified)
        )
        if github:
            # GitHub: a 304 to an authorised request does not count.
            free = unchanged and "Authorization" in request.headers
            extra.update(self._rate_headers(request, spend=not free))
        if unchanged:
            self._record(request, 304)
            return web.Response(status=304, headers={"ETag": etag, **extra})
        self._record(request, status)
        if request.method == "GET" and status == 200:
            extra["ETag"] = etag
            if modified is not None:
                extra["Last-Modified"] = _http_date(modified)
        return web.Response(
            status=status, text=body, content_type="application/json", headers=extra
        )

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, {"message": "Not Found"}, status=404)

    # -- PyPI and OSV ---------------------------------------------------------------------
    async def _pypi(self, request: web.Request) -> web.StreamResponse:
        package = self.packages.get(normalise_name(request.match_info["name"]))
        if package is None:
            return await self._not_found(request)
        upload = _iso(package.released)
        filename = package.name.replace("-", "_").lower()
        files = [
            {
                "filename": f"{filename}-{package.version}-py3-none-any.whl",
                "packagetype": "bdist_wheel",
                "upload_time": upload[:-1],
                "upload_time_iso_8601": upload.replace("Z", ".000000Z"),
                "yanked": False,
            },
            {
                "filename": f"{filename}-{package.version}.tar.gz",
                "packagetype": "sdist",
                "upload_time": upload[:-1],
                "upload_time_iso_8601": upload.replace("Z", ".000000Z"),
                "yanked": False,
            },
        ]
        data = {
            "info": {
                "name": package.name,
                "version": package.version,
                "summary": f"{package.name} for Flask",
                "requires_dist": package.requires_dist or None,
                "requires_python": ">=3.9",
                "project_url": f"https://pypi.org/project/{package.name}/",
                "package_url": f"https://pypi.org/project/{package.name}/",
                "project_urls": {"Source": f"https://github.com/{package.repo}"}
                if package.repo
                else None,
                "yanked": False,
            },
            "last_serial": 123456,
            "urls": files,
            "vulnerabilities": [],
        }
        return await self._answer(request, data)

    async def _osv(self, request: web.Request) -> web.StreamResponse:
        try:
            query = await request.json()
            name = normalise_name(query["package"]["name"])
            version = query["version"]
        except (ValueError, KeyError, TypeError):
            return await self._answer(request, {"message": "bad query"}, status=400)
        package = self.packages.get(name)
        vulns = (
            package.vulns if package is not None and package.version == version else []
        )
        return await self._answer(request, {"vulns": vulns} if vulns else {})

    # -- GitHub ---------------------------------------------------------------------------
    def _visible(self, request: web.Request) -> tuple[FakeRepo | None, int]:
        """The repository in the path, or why not (404, or 403 for a token)."""
        name = f"{request.match_info['owner']}/{request.match_info['repo']}"
        repo = self.repos.get(name.lower())
        if repo is None:
            return None, 404
        if repo.private:
            return None, 403 if "Authorization" in request.headers else 404
        return repo, 200

    async def _refused(self, request: web.Request, status: int) -> web.StreamResponse:
        if status == 403:
            return await self._answer(
                request,
                {"message": "Resource not accessible by personal access token"},
                status=403,
            )
        return await self._not_found(request)

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        pushed = repo.pushed or datetime(2020, 1, 1, tzinfo=UTC)
        open_items = sum(1 for i in repo.issues.values() if i.state == "open")
        return {
            "id": int(hashlib.sha1(repo.full_name.encode()).hexdigest()[:7], 16),
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": {"login": repo.owner, "type": "Organization"},
            "private": repo.private,
            "fork": repo.fork,
            "description": repo.description or None,
            "html_url": f"https://github.com/{repo.full_name}",
            "archived": repo.archived,
            "disabled": False,
            "pushed_at": _iso(pushed),
            "updated_at": _iso(pushed),
            "created_at": _iso(repo.created or pushed),
            "open_issues_count": repo.open_issues + repo.open_prs + open_items,
            "default_branch": "main",
            "stargazers_count": repo.stars,
        }

    def _issue_json(self, repo: FakeRepo, issue: FakeIssue) -> dict[str, Any]:
        created = issue.created or datetime(2025, 1, 1, tzinfo=UTC)
        base = f"{self.url}/repos/{repo.full_name}"
        data: dict[str, Any] = {
            "number": issue.number,
            "title": issue.title,
            "state": issue.state,
            "html_url": f"https://github.com/{repo.full_name}/"
            f"{'pull' if issue.is_pull else 'issues'}/{issue.number}",
            "url": f"{base}/issues/{issue.number}",
            "repository_url": base,
            "user": {"login": issue.author},
            "labels": [{"name": name} for name in issue.labels],
            "assignees": [{"login": login} for login in issue.assignees],
            "comments": issue.comments,
            "created_at": _iso(created),
            "updated_at": _iso(issue.updated or created),
            "closed_at": _iso(issue.closed) if issue.closed else None,
            "body": issue.body,
        }
        if issue.is_pull:
            merged = issue.closed or issue.updated or created
            data["draft"] = issue.draft
            data["pull_request"] = {
                "url": f"{base}/pulls/{issue.number}",
                "html_url": data["html_url"],
                "merged_at": _iso(merged) if issue.merged else None,
            }
        return data

    def _page(
        self, request: web.Request, items: list[Any]
    ) -> tuple[list[Any], dict[str, str]]:
        """One page of ``items`` and its Link header, as GitHub pages."""
        per_page = min(max(_int(request.query.get("per_page"), 30), 1), 100)
        page = max(_int(request.query.get("page"), 1), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        start = (page - 1) * per_page
        links = []

        def link(number: int, rel: str) -> str:
            query = dict(request.query)
            query["page"] = str(number)
            return f'<{self.url}{request.path}?{urlencode(query)}>; rel="{rel}"'

        if page < last:
            links.append(link(page + 1, "next"))
            links.append(link(last, "last"))
        if page > 1:
            links.append(link(1, "first"))
            links.append(link(page - 1, "prev"))
        headers = {"Link": ", ".join(links)} if links else {}
        return items[start : start + per_page], headers

    async def _repo(self, request: web.Request) -> web.StreamResponse:
        repo, status = self._visible(request)
        if repo is None:
            return await self._refused(request, status)
        return await self._answer(request, self._repo_json(repo), modified=repo.pushed)

    async def _pulls(self, request: web.Request) -> web.StreamResponse:
        repo, status = self._visible(request)
        if repo is None:
            return await self._refused(request, status)
        wanted = request.query.get("state", "open")
        pulls = [
            {"number": i.number, "state": i.state, "title": i.title}
            for i in sorted(repo.issues.values(), key=lambda i: -i.number)
            if i.is_pull and (wanted == "all" or i.state == wanted)
        ]
        if wanted in ("open", "all"):
            pulls += [
                {"number": 10000 + n, "state": "open", "title": f"Change {n}"}
                for n in range(repo.open_prs)
            ]
        items, headers = self._page(request, pulls)
        return await self._answer(request, items, headers=headers)

    async def _issue(self, request: web.Request) -> web.StreamResponse:
        repo, status = self._visible(request)
        if repo is None:
            return await self._refused(request, status)
        issue = repo.issues.get(_int(request.match_info["number"], 0))
        if issue is None:
            return await self._not_found(request)
        return await self._answer(request, self._issue_json(repo, issue))

    async def _timeline(self, request: web.Request) -> web.StreamResponse:
        repo, status = self._visible(request)
        if repo is None:
            return await self._refused(request, status)
        issue = repo.issues.get(_int(request.match_info["number"], 0))
        if issue is None:
            return await self._not_found(request)
        events: list[dict[str, Any]] = []
        for label in issue.labels:
            events.append(
                {"event": "labeled", "label": {"name": label}, "actor": {"login": "x"}}
            )
        for source_repo, number in issue.referenced_by:
            other = self.repos.get(source_repo.lower())
            pull = other.issues.get(number) if other is not None else None
            if other is None or pull is None:
                continue
            pull_json = self._issue_json(other, pull)
            pull_json["repository"] = {"full_name": other.full_name}
            events.append(
                {
                    "event": "cross-referenced",
                    "actor": {"login": pull.author},
                    "created_at": pull_json["created_at"],
                    "source": {"type": "issue", "issue": pull_json},
                }
            )
        items, headers = self._page(request, events)
        return await self._answer(request, items, headers=headers)

    async def _releases(self, request: web.Request) -> web.StreamResponse:
        repo, status = self._visible(request)
        if repo is None:
            return await self._refused(request, status)
        releases = [
            {
                "tag_name": r.tag,
                "name": r.name or r.tag,
                "html_url": f"https://github.com/{repo.full_name}/releases/tag/{r.tag}",
                "published_at": None if r.draft else _iso(r.published),
                "created_at": _iso(r.published),
                "author": {"login": r.author},
                "prerelease": r.prerelease,
                "draft": r.draft,
            }
            for r in sorted(repo.releases, key=lambda r: r.published, reverse=True)
        ]
        items, headers = self._page(request, releases)
        return await self._answer(request, items, headers=headers)

    async def _commits(self, request: web.Request) -> web.StreamResponse:
        repo, status = self._visible(request)
        if repo is None:
            return await self._refused(request, status)
        since = request.query.get("since")
        since_at = (
            datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        )
        commits = []
        for index, c in enumerate(
            sorted(repo.commits, key=lambda c: c.date, reverse=True)
        ):
            if since_at is not None and c.date < since_at:
                continue
            sha = (
                c.sha
                or hashlib.sha1(
                    f"{repo.full_name}{index}{_iso(c.date)}".encode()
                ).hexdigest()
            )
            name = c.author_name or c.author_login or "Someone"
            commits.append(
                {
                    "sha": sha,
                    "html_url": f"https://github.com/{repo.full_name}/commit/{sha}",
                    "commit": {
                        "author": {
                            "name": name,
                            "email": f"{name.lower()}@example.com",
                            "date": _iso(c.date),
                        },
                        "message": c.message,
                    },
                    "author": {"login": c.author_login} if c.author_login else None,
                }
            )
        items, headers = self._page(request, commits)
        return await self._answer(request, items, headers=headers)

    async def _org_repos(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        repos = [
            self._repo_json(r)
            for r in sorted(self.repos.values(), key=lambda r: r.full_name.lower())
            if r.owner.lower() == org and not r.private
        ]
        if not repos:
            return await self._not_found(request)
        items, headers = self._page(request, repos)
        return await self._answer(request, items, headers=headers)

    async def _search(self, request: web.Request) -> web.StreamResponse:
        try:
            wanted = parse_query(request.query.get("q", ""))
        except ValueError:
            return await self._answer(
                request, {"message": "Validation Failed"}, status=422
            )
        found = []
        for repo in self.repos.values():
            if repo.private:
                continue
            for issue in repo.issues.values():
                if wanted.matches(repo, issue):
                    found.append((repo, issue))
        found.sort(
            key=lambda pair: (
                pair[1].updated or pair[1].created or datetime(2025, 1, 1, tzinfo=UTC)
            ),
            reverse=True,
        )
        every = [self._issue_json(repo, issue) for repo, issue in found]
        items, headers = self._page(request, every)
        data = {"total_count": len(every), "incomplete_results": False, "items": items}
        return await self._answer(request, data, headers=headers)


@dataclass
class Query:
    """A search query as the fake understands it."""

    orgs: list[str] = field(default_factory=list)
    repos: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    state: str | None = None
    #: Each entry is one label: qualifier, satisfied by any of its labels.
    labels: list[list[str]] = field(default_factory=list)
    author: str | None = None
    #: ``updated:>=2026-01-01T00:00:00Z``: last activity at or after this.
    updated_since: datetime | None = None

    def matches(self, repo: FakeRepo, issue: FakeIssue) -> bool:
        if self.orgs and repo.owner.lower() not in self.orgs:
            return False
        if self.repos and repo.full_name.lower() not in self.repos:
            return False
        if "issue" in self.kinds and issue.is_pull:
            return False
        if "pr" in self.kinds and not issue.is_pull:
            return False
        if self.state is not None and issue.state != self.state:
            return False
        if self.author is not None and issue.author.lower() != self.author:
            return False
        if self.updated_since is not None:
            updated = issue.updated or issue.created or datetime(2025, 1, 1, tzinfo=UTC)
            if updated < self.updated_since:
                return False
        have = {label.lower() for label in issue.labels}
        return all(any(label in have for label in group) for group in self.labels)


def parse_query(text: str) -> Query:
    """``org:pallets is:issue is:open label:"good first issue","help wanted"``."""
    query = Query()
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    for token in lexer:
        key, sep, value = token.partition(":")
        if not sep:
            continue  # free text: the fake does not search words
        key, value = key.lower(), value.lower()
        if key == "org":
            query.orgs.append(value)
        elif key == "repo":
            query.repos.append(value)
        elif key == "is" and value in ("issue", "pr"):
            query.kinds.add(value)
        elif key in ("is", "state") and value in ("open", "closed"):
            query.state = value
        elif key == "label":
            query.labels.append([part for part in value.split(",") if part])
        elif key == "author":
            query.author = value
        elif key == "updated" and value.startswith(">="):
            query.updated_since = datetime.fromisoformat(
                value[2:].upper().replace("Z", "+00:00")
            )
        else:
            raise ValueError(f"unknown qualifier {key}")
    return query


def _not_modified(request: web.Request, etag: str, modified: datetime | None) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return match == etag
    since = request.headers.get("If-Modified-Since")
    if since is not None and modified is not None:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def vulnerability(ident: str, alias: str, summary: str) -> dict[str, Any]:
    """An OSV record, trimmed to the fields that matter."""
    return {
        "id": ident,
        "aliases": [alias],
        "summary": summary,
        "modified": "2025-06-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI"}}],
    }


# -- a plausible ecosystem ----------------------------------------------------------------
WATCHLIST_FILE = DATA_DIR / "extwatch" / "watchlist.toml"


def shipped_watchlist() -> list[tuple[str, str | None]]:
    """(name, repo) of each extension in the shipped watch list."""
    with WATCHLIST_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    return [(entry["name"], entry.get("repo")) for entry in data.get("package", [])]


@dataclass
class Ecosystem:
    packages: list[FakePackage]
    repos: list[FakeRepo]

    def install(self, fake: FakeApis) -> None:
        for package in self.packages:
            fake.add(package)
        for repo in self.repos:
            fake.add_repo(repo)


def ecosystem(now: datetime) -> Ecosystem:
    """The shipped watch list as a plausible ecosystem relative to ``now``.

    Most packages are healthy; a few show each warning sign: Flask-Login has had no
    release for 16 months (watch), Flask-Security is archived and quiet for years
    (at risk), Flask-Cors's latest release has a known vulnerability (at risk).
    Flask-Old (not on the list) only accepts Flask < 2. Every repository has a few
    commits by two people over the last months, and a release.
    """

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    packages = [
        FakePackage(
            "Flask-SQLAlchemy",
            "3.1.1",
            ago(40),
            ["flask>=2.2.5", "sqlalchemy>=2.0.16"],
            "pallets-eco/flask-sqlalchemy",
        ),
        FakePackage(
            "Flask-Login",
            "0.6.3",
            ago(500),
            ["Flask>=1.0.4", "Werkzeug>=1.0.1"],
            "maxcountryman/flask-login",
        ),
        FakePackage(
            "Flask-Security",
            "3.0.0",
            ago(2400),
            ["Flask>=0.11", "Flask-Login>=0.3.0", "Flask-Mail>=0.7.3"],
            "mattupstate/flask-security",
        ),
        FakePackage(
            "Flask-Cors",
            "4.0.0",
            ago(100),
            ["Flask>=0.9"],
            "corydolphin/flask-cors",
            vulns=[
                vulnerability(
                    "GHSA-84pr-m4jr-85g5",
                    "CVE-2024-1681",
                    "flask-cors vulnerable to log injection when the log level is debug",
                )
            ],
        ),
        FakePackage(
            "Flask-Old",
            "1.0.0",
            ago(200),
            ["Flask<2", 'pytest; extra == "tests"'],
            "example/flask-old",
        ),
    ]
    repos = [
        FakeRepo(
            "pallets-eco/flask-sqlalchemy", pushed=ago(3), open_issues=12, open_prs=4
        ),
        FakeRepo(
            "maxcountryman/flask-login", pushed=ago(20), open_issues=60, open_prs=15
        ),
        FakeRepo(
            "mattupstate/flask-security",
            pushed=ago(2000),
            archived=True,
            open_issues=400,
            open_prs=80,
        ),
        FakeRepo("corydolphin/flask-cors", pushed=ago(10), open_issues=20, open_prs=5),
        FakeRepo("example/flask-old", pushed=ago(150)),
    ]
    # Flask, Werkzeug and Jinja themselves (not on the watch list): the watch
    # follows their releases. Flask-Classful excludes the next Flask minor.
    packages += [
        FakePackage(
            "Flask",
            "3.1.1",
            ago(200),
            ["Werkzeug>=3.1", "Jinja2>=3.1.2"],
            "pallets/flask",
        ),
        FakePackage(
            "Werkzeug", "3.1.3", ago(180), ["MarkupSafe>=2.1.1"], "pallets/werkzeug"
        ),
        FakePackage("Jinja2", "3.1.6", ago(150), ["MarkupSafe>=2.0"], "pallets/jinja"),
        FakePackage(
            "Flask-Classful",
            "0.16.0",
            ago(50),
            ["Flask>=2.0,<3.2"],
            "pallets-eco/flask-classful",
        ),
    ]
    known = {normalise_name(p.name) for p in packages}
    repo_names = {r.full_name.lower() for r in repos}
    for index, (display, repo_name) in enumerate(shipped_watchlist()):
        if normalise_name(display) in known:
            continue
        packages.append(
            FakePackage(
                display, "2.0.0", ago(30 + 3 * (index % 20)), ["Flask>=2.3"], repo_name
            )
        )
    for package in packages:
        if package.repo and package.repo.lower() not in repo_names:
            repo_names.add(package.repo.lower())
            repos.append(
                FakeRepo(package.repo, pushed=ago(7), open_issues=15, open_prs=4)
            )
    people = itertools.cycle(["davidism", "ThiefMaster", "pgjones", "greyli"])
    for repo in repos:
        if repo.archived:
            continue
        first, second = next(people), next(people)
        repo.commits = [
            FakeCommit(first, ago(10), "Fix a bug"),
            FakeCommit(second, ago(40), "Update the docs"),
            FakeCommit(first, ago(90), "Release"),
        ]
        repo.releases = [FakeRelease("2.0.0", ago(60), first)]
    return Ecosystem(packages, repos)


def org_repos(org: str, names: Iterable[str], now: datetime) -> list[FakeRepo]:
    """Plain repositories of ``org``, pushed a week ago (an organisation listing)."""
    return [FakeRepo(f"{org}/{name}", pushed=now - timedelta(days=7)) for name in names]


def pallets_world(fake: FakeApis, now: datetime) -> FakeApis:
    """What the contributing job's tests and tour see of GitHub, relative to ``now``.

    Newcomer issues in pallets/flask and pallets-eco/flask-wtf (labelled good first
    issue, docs, help wanted), a closed one, an open pull request, a private
    repository, one outside the Pallets organisations, Flask's 3.1.0 release, and
    click on PyPI without GitHub releases.
    """

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    flask = fake.repo("pallets/flask")
    flask.add_issue(
        FakeIssue(
            5000,
            "Document the application factory's config loading",
            "davidism",
            labels=["good first issue", "docs"],
            updated=ago(1),
        )
    )
    flask.add_issue(
        FakeIssue(
            5001,
            "Explain blueprint url_prefix",
            "pgjones",
            labels=["docs"],
            updated=ago(3),
        )
    )
    flask.add_issue(
        FakeIssue(
            4999,
            "Old typo",
            "davidism",
            labels=["good first issue"],
            state="closed",
            updated=ago(30),
        )
    )
    flask.add_issue(
        FakeIssue(
            5002, "Fix typo in the quickstart", "newcomer", is_pull=True, updated=ago(2)
        )
    )
    flask.releases.append(FakeRelease("3.1.0", ago(60), "davidism"))
    fake.repo("pallets-eco/flask-wtf").add_issue(
        FakeIssue(
            123,
            "CSRF token docs are unclear",
            "azmeuk",
            labels=["help wanted"],
            updated=ago(2),
        )
    )
    secret = fake.add_repo(FakeRepo("pallets/secret", private=True))
    secret.add_issue(FakeIssue(1, "Private", "davidism"))
    fake.repo("django/django").add_issue(
        FakeIssue(1, "Outside the Pallets orgs", "someone")
    )
    fake.add(FakePackage("click", "8.1.8", ago(90), [], "pallets/click"))
    return fake


async def use_fake(bot: PalletsBot, fake: FakeApis) -> None:
    """Point a running bot's upstream URLs and its GitHub client at ``fake``."""
    bot.settings = bot.settings.model_copy(
        update={
            "pypi_base_url": fake.url,
            "github_api_url": fake.url,
            "osv_api_url": fake.url,
        }
    )
    await bot.github.close()
    bot.github = GitHub(HttpCache(bot.db), base_url=fake.url)
