"""The bot's one GitHub client (``bot.github``), on gidgethub.

Jobs ask it small typed questions (an issue by number, a repository, an
organisation's repositories, issues by label across organisations, releases, commits
since a date, the pull requests linked to an issue) and get dataclasses back. What
it promises them:

- **One kind of failure.** Anything that goes wrong is a :class:`GitHubError` whose
  :attr:`~GitHubError.kind` says how (:class:`Kind`: not found, private, rate
  limited, unavailable), so a caller words "could not reach GitHub" or keeps its
  stale data with a mark; never a traceback from gidgethub or aiohttp.
- **Conditional requests that survive restarts.** Every GET answer with an ``ETag``
  or ``Last-Modified`` is kept in SQLite (:mod:`bot.http_cache`); the next request
  sends ``If-None-Match``/``If-Modified-Since`` and a 304 reuses the kept body (and,
  with a token, costs no rate limit).
- **Rate limits respected.** When an answer says the limit is spent
  (``X-RateLimit-Remaining: 0``, a 403/429 rate-limit answer, ``Retry-After``),
  every later request for that resource (``core`` or ``search``) fails at once with
  ``rate_limited`` and the time it resets, without asking GitHub.
- **Bounded patience.** Each request has a timeout; timeouts, connection errors
  and 5xx answers are retried a few times with exponential backoff, then reported
  as ``unavailable``.
- **Optional token** (``github_token``) and a configurable ``github_api_url``.

Private repositories: GitHub answers 404 to a client that may not see a repository
(so a private repository usually looks ``not_found``), and 401/403/451 when the token
is refused or lacks access (``private``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import MutableMapping
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp
import gidgethub
import gidgethub.abc
from gidgethub import sansio
from uritemplate import variable

from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import parse_time
from bot.http_cache import Entry
from bot.http_cache import HttpCache
from bot.retry import Backoff
from bot.retry import batch_session
from bot.retry import Sleep

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = "pallets-bot (+https://github.com/pallets)"
API_VERSION = "2022-11-28"

#: gidgethub's cache value: (etag, last_modified, decoded body, next page URL).
CacheValue = tuple[str | None, str | None, Any, str | None]


class Kind(StrEnum):
    """How a GitHub request failed."""

    NOT_FOUND = "not_found"
    #: The token was refused or may not see it (401, 403, 451).
    PRIVATE = "private"
    RATE_LIMITED = "rate_limited"
    #: Timeouts, network errors, 5xx after the retries, answers we cannot read.
    UNAVAILABLE = "unavailable"


class GitHubError(Exception):
    """A GitHub request failed for good; ``retry_at`` is when trying again makes sense."""

    def __init__(
        self,
        kind: Kind,
        detail: str,
        *,
        retry_at: int | None = None,
        cause: str | None = None,
    ) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retry_at = retry_at
        #: Finer than ``kind`` for logs and stale marks: for ``unavailable`` one of
        #: "timeout", "network", "server", "malformed", "client"; else the kind.
        self.cause = cause or kind.value


# -- what the jobs get back ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Repository:
    full_name: str
    html_url: str
    description: str
    archived: bool
    fork: bool
    private: bool
    pushed_at: int | None
    #: Open issues and pull requests together, as GitHub counts them.
    open_issues_count: int
    default_branch: str
    stars: int

    @property
    def owner(self) -> str:
        return self.full_name.partition("/")[0]

    @property
    def name(self) -> str:
        return self.full_name.partition("/")[2]


@dataclass(frozen=True, slots=True)
class Issue:
    """An issue or a pull request (GitHub numbers both in one sequence)."""

    repo: str
    number: int
    title: str
    #: "open" or "closed"
    state: str
    is_pull: bool
    merged: bool
    draft: bool
    author: str | None
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    html_url: str
    created_at: int | None
    updated_at: int | None
    closed_at: int | None
    comments: int
    #: The text (Markdown), "" when there is none: a pull request's "Fixes #12".
    body: str = ""

    @property
    def ref(self) -> str:
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True, slots=True)
class Release:
    repo: str
    tag: str
    name: str
    html_url: str
    published_at: int | None
    author: str | None
    prerelease: bool
    draft: bool


@dataclass(frozen=True, slots=True)
class Commit:
    repo: str
    sha: str
    #: The GitHub account of the author, when GitHub could match the email.
    author_login: str | None
    author_name: str
    authored_at: int | None
    html_url: str


# -- the client ---------------------------------------------------------------------------
class GitHub:
    """The bot's GitHub client; ``close()`` it when the bot stops."""

    def __init__(
        self,
        cache: HttpCache | None,
        *,
        base_url: str = sansio.DOMAIN,
        token: str | None = None,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], int] = now_ts,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token or None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retry = Backoff(attempts, backoff, max_backoff)
        self._sleep = sleep
        self._now = now
        self._cache = _Cache(cache)
        self._session: aiohttp.ClientSession | None = None
        #: resource ("core", "search") -> epoch second its rate limit resets
        self._blocked_until: dict[str, int] = {}
        #: HTTP requests sent (tests and metrics read it).
        self.requests = 0
        self._api = _Api(self)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def blocked_until(self, resource: str = "core") -> int | None:
        """When the rate limit of ``resource`` resets, while it is spent."""
        until = self._blocked_until.get(resource)
        return until if until is not None and until > self._now() else None

    # -- the questions jobs ask ---------------------------------------------------------
    async def repository(self, repo: str) -> Repository:
        """A repository (``owner/name``)."""
        owner, name = split_repo(repo)
        data = await self._get("/repos/{owner}/{name}", {"owner": owner, "name": name})
        return self._parse(parse_repository, data)

    async def open_pull_count(self, repo: str, *, pages: int = 10) -> int:
        """How many pull requests are open (counted up to ``pages`` pages of 100)."""
        owner, name = split_repo(repo)
        items = await self._list(
            "/repos/{owner}/{name}/pulls{?state,per_page}",
            {"owner": owner, "name": name, "state": "open", "per_page": 100},
            limit=pages * 100,
        )
        return len(items)

    async def issue(self, repo: str, number: int) -> Issue:
        """An issue or pull request by number (one request for either)."""
        owner, name = split_repo(repo)
        data = await self._get(
            "/repos/{owner}/{name}/issues/{number}",
            {"owner": owner, "name": name, "number": number},
        )
        return self._parse(lambda d: parse_issue(d, repo), data)

    async def linked_pulls(self, repo: str, number: int) -> list[Issue]:
        """Pull requests that mention issue ``number`` (its cross-references)."""
        owner, name = split_repo(repo)
        events = await self._list(
            "/repos/{owner}/{name}/issues/{number}/timeline{?per_page}",
            {"owner": owner, "name": name, "number": number, "per_page": 100},
            limit=1000,
        )
        return self._parse(parse_linked_pulls, events)

    async def search_issues(
        self, query: str, *, limit: int = 100, sort: str = "updated"
    ) -> list[Issue]:
        """Issues and pull requests matching a search query, newest activity first.

        One request covers every repository the query names (``org:pallets``); the
        search API has its own, smaller rate limit.
        """
        items = await self._list(
            "/search/issues{?q,sort,order,per_page}",
            {"q": query, "sort": sort, "order": "desc", "per_page": min(limit, 100)},
            limit=limit,
        )
        return self._parse(lambda d: [parse_issue(i, None) for i in d], items)

    async def issues_with_labels(
        self,
        orgs: Sequence[str],
        labels: Sequence[str],
        *,
        state: str = "open",
        limit: int = 100,
    ) -> list[Issue]:
        """Issues (not pull requests) with any of ``labels`` across ``orgs``."""
        return await self.search_issues(
            label_query(orgs, labels, state=state), limit=limit
        )

    async def org_repositories(self, org: str) -> list[Repository]:
        """Every public repository of an organisation (all pages)."""
        items = await self._list(
            "/orgs/{org}/repos{?type,per_page}",
            {"org": org, "type": "public", "per_page": 100},
            limit=2000,
        )
        return self._parse(lambda d: [parse_repository(r) for r in d], items)

    async def releases(self, repo: str, *, limit: int = 10) -> list[Release]:
        """The latest releases, newest first."""
        owner, name = split_repo(repo)
        items = await self._list(
            "/repos/{owner}/{name}/releases{?per_page}",
            {"owner": owner, "name": name, "per_page": min(limit, 100)},
            limit=limit,
        )
        return self._parse(lambda d: [parse_release(r, repo) for r in d], items)

    async def commits(self, repo: str, since: int, *, limit: int = 300) -> list[Commit]:
        """Commits on the default branch since ``since`` (epoch seconds), newest first."""
        owner, name = split_repo(repo)
        items = await self._list(
            "/repos/{owner}/{name}/commits{?since,per_page}",
            {
                "owner": owner,
                "name": name,
                "since": iso(since),
                "per_page": min(limit, 100),
            },
            limit=limit,
        )
        return self._parse(lambda d: [parse_commit(c, repo) for c in d], items)

    # -- the plumbing -------------------------------------------------------------------
    async def _get(self, url: str, url_vars: Mapping[str, Any]) -> Any:
        with self._translated(_resource(url)):
            return await self._api.getitem(url, url_vars)

    async def _list(
        self, url: str, url_vars: Mapping[str, Any], *, limit: int
    ) -> list[Any]:
        out: list[Any] = []
        with self._translated(_resource(url)):
            pages = self._api.getiter(url, url_vars)
            async with contextlib.aclosing(pages):
                async for item in pages:
                    out.append(item)
                    if len(out) >= limit:
                        break
        return out

    def _parse(self, parse: Callable[[Any], T], data: Any) -> T:
        try:
            return parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise GitHubError(
                Kind.UNAVAILABLE,
                f"unreadable answer: {type(error).__name__} {error}",
                cause="malformed",
            ) from None

    @contextlib.contextmanager
    def _translated(self, resource: str) -> Iterator[None]:
        """Turn gidgethub's and aiohttp's exceptions into :class:`GitHubError`."""
        try:
            yield
        except GitHubError:
            raise
        except gidgethub.HTTPException as error:
            raise self._http_error(error, resource) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise _unreachable(error, type(error).__name__) from None
        except ValueError as error:  # a body that claims JSON and is not
            raise GitHubError(
                Kind.UNAVAILABLE, f"unreadable answer: {error}", cause="malformed"
            ) from None

    def _http_error(self, error: gidgethub.HTTPException, resource: str) -> GitHubError:
        status = int(error.status_code)
        detail = f"GitHub answered {status}: {error}"
        headers = error.headers or {}
        if isinstance(error, gidgethub.RateLimitExceeded) or _is_rate_limit(
            status, headers
        ):
            return GitHubError(
                Kind.RATE_LIMITED, detail, retry_at=self.blocked_until(resource)
            )
        if status in (404, 410):
            return GitHubError(Kind.NOT_FOUND, detail)
        if status in (401, 403, 451):
            return GitHubError(Kind.PRIVATE, detail)
        return GitHubError(
            Kind.UNAVAILABLE, detail, cause="server" if status >= 500 else "client"
        )

    def _check_blocked(self, url: str) -> None:
        resource = _resource(url)
        until = self.blocked_until(resource)
        if until is not None:
            raise GitHubError(
                Kind.RATE_LIMITED,
                f"GitHub's {resource} rate limit is spent until {from_ts(until)}",
                retry_at=until,
            )

    def _note_rate_limit(
        self, url: str, status: int, headers: Mapping[str, str]
    ) -> None:
        resource = _resource(url)
        now = self._now()
        retry_after = _int(_header(headers, "retry-after"))
        reset = _int(_header(headers, "x-ratelimit-reset"))
        if _header(headers, "x-ratelimit-remaining") == "0":
            self._blocked_until[resource] = reset if reset is not None else now + 60
        if _is_rate_limit(status, headers):
            if retry_after is not None:
                until = now + retry_after
            elif reset is not None:
                until = reset
            else:
                until = now + 60
            self._blocked_until[resource] = max(
                until, self._blocked_until.get(resource, 0)
            )
            log.warning(
                "GitHub rate limit (%s) spent until %s", resource, from_ts(until)
            )

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = batch_session(self._timeout)
        return self._session

    async def _send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One HTTP exchange, retrying timeouts, network errors and 5xx answers."""
        sent = dict(headers)
        sent["x-github-api-version"] = API_VERSION
        attempts = self._retry.attempts
        for attempt in range(1, attempts + 1):
            self._check_blocked(url)
            self.requests += 1
            try:
                async with self._get_session().request(
                    method, url, headers=sent, data=body
                ) as answer:
                    status, answer_headers = answer.status, answer.headers
                    content = await answer.read()
            except (aiohttp.ClientError, TimeoutError) as error:
                if attempt >= attempts:
                    raise _unreachable(
                        error,
                        f"{method} {url}: {type(error).__name__} after {attempt} tries",
                    ) from None
                await self._wait(attempt, method, url, type(error).__name__)
                continue
            self._note_rate_limit(url, status, answer_headers)
            if status >= 500 and attempt < attempts:
                await self._wait(attempt, method, url, str(status))
                continue
            return status, answer_headers, content
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait(self, attempt: int, method: str, url: str, why: str) -> None:
        delay = self._retry.delay(attempt)
        log.info("GitHub %s %s failed (%s); retry in %.1f s", method, url, why, delay)
        await self._sleep(delay)


class _Api(gidgethub.abc.GitHubAPI):
    """gidgethub's request logic over :class:`GitHub`'s session, cache and limits."""

    def __init__(self, owner: GitHub) -> None:
        super().__init__(
            USER_AGENT,
            oauth_token=owner.token,
            cache=owner._cache,
            base_url=owner.base_url,
        )
        self._owner = owner

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        return await self._owner._send(method, url, headers, body)

    async def sleep(self, seconds: float) -> None:
        await self._owner._sleep(seconds)

    async def _make_request(
        self,
        method: str,
        url: str,
        url_vars: Mapping[str, variable.VariableValue] | None,
        data: Any,
        accept: str,
        jwt: str | None = None,
        oauth_token: str | None = None,
        content_type: str = gidgethub.abc.JSON_CONTENT_TYPE,
        extra_headers: dict[str, str] | None = None,
    ) -> tuple[bytes, str | None, int]:
        # gidgethub reads its cache synchronously; the kept answer for this URL is
        # brought in from SQLite first, and what changed is written back after.
        self.base_url = self._owner.base_url
        filled = sansio.format_url(url, url_vars, base_url=self.base_url)
        cache = self._owner._cache
        await cache.load(filled)
        try:
            return await super()._make_request(
                method,
                url,
                url_vars,
                data,
                accept,
                jwt=jwt,
                oauth_token=oauth_token,
                content_type=content_type,
                extra_headers=extra_headers,
            )
        finally:
            await cache.release(filled)


class _Cache(MutableMapping[str, CacheValue]):
    """gidgethub's cache, backed by :class:`~bot.http_cache.HttpCache`.

    Only the answers of requests in flight are held in memory.
    """

    def __init__(self, store: HttpCache | None) -> None:
        self._store = store
        self._items: dict[str, CacheValue] = {}
        self._users: dict[str, int] = {}
        self._dirty: set[str] = set()

    async def load(self, url: str) -> None:
        self._users[url] = self._users.get(url, 0) + 1
        if self._store is None or url in self._items:
            return
        entry = await self._store.load(url)
        if entry is None or url in self._items:
            return
        try:
            data = json.loads(entry.body)
        except ValueError:
            return  # a damaged row: ask afresh
        self._items[url] = (entry.etag, entry.last_modified, data, entry.link)

    async def release(self, url: str) -> None:
        try:
            if url in self._dirty and self._store is not None:
                self._dirty.discard(url)
                etag, modified, data, link = self._items[url]
                await self._store.save(
                    url, Entry(etag, modified, json.dumps(data), link)
                )
        finally:
            left = self._users.get(url, 1) - 1
            if left <= 0:
                self._users.pop(url, None)
                if self._store is not None:
                    self._items.pop(url, None)
            else:
                self._users[url] = left

    def __getitem__(self, url: str) -> CacheValue:
        return self._items[url]

    def __setitem__(self, url: str, value: CacheValue) -> None:
        self._items[url] = value
        self._dirty.add(url)

    def __delitem__(self, url: str) -> None:
        del self._items[url]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


# -- reading GitHub's answers (pure) ------------------------------------------------------
def split_repo(repo: str) -> tuple[str, str]:
    owner, _, name = repo.partition("/")
    if not owner or not name or "/" in name:
        raise ValueError(f"not owner/name: {repo!r}")
    return owner, name


def label_query(orgs: Sequence[str], labels: Sequence[str], *, state: str) -> str:
    """A search query for issues with any of ``labels`` in any of ``orgs``."""
    parts = [f"org:{org}" for org in orgs]
    parts += ["is:issue", f"is:{state}"]
    if labels:
        # Commas inside one label: qualifier mean "any of these".
        parts.append("label:" + ",".join(json.dumps(label) for label in labels))
    return " ".join(parts)


def iso(ts: int) -> str:
    return from_ts(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def _login(user: object) -> str | None:
    if isinstance(user, dict) and isinstance(user.get("login"), str):
        return str(user["login"])
    return None


def parse_repository(data: Mapping[str, Any]) -> Repository:
    full_name = data["full_name"]
    if not isinstance(full_name, str):
        raise TypeError("full_name")
    return Repository(
        full_name=full_name,
        html_url=str(data.get("html_url") or f"https://github.com/{full_name}"),
        description=str(data.get("description") or ""),
        archived=bool(data.get("archived", False)),
        fork=bool(data.get("fork", False)),
        private=bool(data.get("private", False)),
        pushed_at=parse_time(data.get("pushed_at")),
        open_issues_count=int(data.get("open_issues_count") or 0),
        default_branch=str(data.get("default_branch") or "main"),
        stars=int(data.get("stargazers_count") or 0),
    )


def repo_of(data: Mapping[str, Any]) -> str:
    """``owner/name`` of an issue from its ``repository`` or ``repository_url``."""
    repository = data.get("repository")
    if isinstance(repository, dict) and isinstance(repository.get("full_name"), str):
        return str(repository["full_name"])
    path = urlsplit(str(data["repository_url"])).path.rstrip("/").split("/")
    return f"{path[-2]}/{path[-1]}"


def parse_issue(data: Mapping[str, Any], repo: str | None) -> Issue:
    pull = data.get("pull_request")
    number = data["number"]
    if not isinstance(number, int):
        raise TypeError("number")
    return Issue(
        repo=repo or repo_of(data),
        number=number,
        title=str(data.get("title") or ""),
        state=str(data.get("state") or "open"),
        is_pull=isinstance(pull, dict),
        merged=isinstance(pull, dict) and pull.get("merged_at") is not None,
        draft=bool(data.get("draft", False)),
        author=_login(data.get("user")),
        labels=tuple(
            str(label["name"]) if isinstance(label, dict) else str(label)
            for label in data.get("labels") or []
        ),
        assignees=tuple(
            login for login in (_login(a) for a in data.get("assignees") or []) if login
        ),
        html_url=str(data.get("html_url") or ""),
        created_at=parse_time(data.get("created_at")),
        updated_at=parse_time(data.get("updated_at")),
        closed_at=parse_time(data.get("closed_at")),
        comments=int(data.get("comments") or 0),
        body=str(data.get("body") or ""),
    )


def parse_linked_pulls(events: Sequence[Any]) -> list[Issue]:
    """The pull requests among an issue's cross-references, first mention first."""
    seen: set[str] = set()
    out: list[Issue] = []
    for event in events:
        if not isinstance(event, dict) or event.get("event") != "cross-referenced":
            continue
        source = event.get("source")
        issue = source.get("issue") if isinstance(source, dict) else None
        if not isinstance(issue, dict) or "pull_request" not in issue:
            continue
        pull = parse_issue(issue, None)
        if pull.ref not in seen:
            seen.add(pull.ref)
            out.append(pull)
    return out


def parse_release(data: Mapping[str, Any], repo: str) -> Release:
    return Release(
        repo=repo,
        tag=str(data["tag_name"]),
        name=str(data.get("name") or data["tag_name"]),
        html_url=str(data.get("html_url") or ""),
        published_at=parse_time(data.get("published_at") or data.get("created_at")),
        author=_login(data.get("author")),
        prerelease=bool(data.get("prerelease", False)),
        draft=bool(data.get("draft", False)),
    )


def parse_commit(data: Mapping[str, Any], repo: str) -> Commit:
    commit = data["commit"]
    author = commit.get("author") or {}
    return Commit(
        repo=repo,
        sha=str(data["sha"]),
        author_login=_login(data.get("author")),
        author_name=str(author.get("name") or ""),
        authored_at=parse_time(author.get("date")),
        html_url=str(data.get("html_url") or ""),
    )


def _unreachable(error: BaseException, detail: str) -> GitHubError:
    cause = "timeout" if isinstance(error, TimeoutError) else "network"
    return GitHubError(Kind.UNAVAILABLE, detail, cause=cause)


def _resource(url: str) -> str:
    return "search" if "/search/" in urlsplit(url).path else "core"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    return value


def _is_rate_limit(status: int, headers: Mapping[str, str]) -> bool:
    if status == 429:
        return True
    if status != 403:
        return False
    return (
        _header(headers, "x-ratelimit-remaining") == "0"
        or _header(headers, "retry-after") is not None
    )


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None
