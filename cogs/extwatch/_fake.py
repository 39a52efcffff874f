"""A fake PyPI + GitHub + OSV on 127.0.0.1, for the tests and the playground.

It answers the three endpoints the extension watch uses with responses shaped like
the real ones (trimmed), honours ``If-None-Match`` with 304, and can be told to
misbehave: ``fake.fail("/pypi/flask-login/json", Fault.SERVER_ERROR, times=2)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import UTC
from enum import StrEnum
from typing import Any

from aiohttp import web

from cogs.extwatch._logic import normalise_name


class Fault(StrEnum):
    SERVER_ERROR = "server_error"  # 503
    TIMEOUT = "timeout"  # answers after ``slow_seconds``
    TOO_MANY = "too_many"  # 429 with Retry-After
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    RATE_LIMIT = "rate_limit"  # GitHub's 403 with X-RateLimit-Remaining: 0


@dataclass
class FakePackage:
    name: str
    version: str
    released: datetime
    requires_dist: list[str]
    repo: str | None
    pushed: datetime | None = None
    archived: bool = False
    open_issues: int = 10
    open_prs: int = 3
    vulns: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    status: int


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeApis:
    """The fake server. ``await fake.start()`` then use :attr:`url` as every base URL."""

    def __init__(self, *, slow_seconds: float = 5.0) -> None:
        self.packages: dict[str, FakePackage] = {}
        self.faults: dict[str, list[tuple[Fault, int | None]]] = {}
        self.requests: list[Seen] = []
        self.slow_seconds = slow_seconds
        self.retry_after = 1
        self._runner: web.AppRunner | None = None
        self.url = ""
        app = web.Application()
        app.router.add_get("/pypi/{name}/json", self._pypi)
        app.router.add_get("/repos/{owner}/{repo}", self._repo)
        app.router.add_get("/repos/{owner}/{repo}/pulls", self._pulls)
        app.router.add_post("/v1/query", self._osv)
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

    def fail(self, path: str, fault: Fault, *, times: int | None = 1) -> None:
        """Make requests to ``path`` misbehave ``times`` times (None: until cleared)."""
        self.faults.setdefault(path, []).append((fault, times))

    def clear_faults(self) -> None:
        self.faults.clear()

    def paths(self, prefix: str = "") -> list[str]:
        return [seen.path for seen in self.requests if seen.path.startswith(prefix)]

    # -- serving --------------------------------------------------------------------------
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
        return web.json_response(
            {"message": "API rate limit exceeded"},
            status=403,
            headers={
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(datetime.now(UTC).timestamp()) + 3600),
            },
        )

    def _record(self, request: web.Request, status: int) -> None:
        self.requests.append(
            Seen(request.method, request.path, dict(request.headers), status)
        )

    async def _answer(
        self,
        request: web.Request,
        data: Any,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        fault = await self._fault(request)
        if fault is not None:
            self._record(request, fault.status)
            return fault
        body = json.dumps(data, sort_keys=True)
        etag = '"' + hashlib.sha1(body.encode()).hexdigest()[:16] + '"'
        extra = dict(headers or {})
        if request.path.startswith("/repos/"):
            extra.setdefault("X-RateLimit-Remaining", "4999")
        if (
            request.method == "GET"
            and status == 200
            and request.headers.get("If-None-Match") == etag
        ):
            self._record(request, 304)
            return web.Response(status=304, headers={"ETag": etag, **extra})
        self._record(request, status)
        if request.method == "GET" and status == 200:
            extra["ETag"] = etag
        return web.Response(
            status=status, text=body, content_type="application/json", headers=extra
        )

    async def _pypi(self, request: web.Request) -> web.StreamResponse:
        package = self.packages.get(normalise_name(request.match_info["name"]))
        if package is None:
            return await self._answer(request, {"message": "Not Found"}, status=404)
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

    def _by_repo(self, request: web.Request) -> FakePackage | None:
        wanted = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        for package in self.packages.values():
            if package.repo and package.repo.lower() == wanted:
                return package
        return None

    async def _repo(self, request: web.Request) -> web.StreamResponse:
        package = self._by_repo(request)
        if package is None or package.repo is None:
            return await self._answer(request, {"message": "Not Found"}, status=404)
        pushed = package.pushed or package.released
        data = {
            "id": abs(hash(package.repo)) % 10**8,
            "full_name": package.repo,
            "html_url": f"https://github.com/{package.repo}",
            "archived": package.archived,
            "disabled": False,
            "pushed_at": _iso(pushed),
            "updated_at": _iso(pushed),
            "open_issues_count": package.open_issues + package.open_prs,
            "default_branch": "main",
            "stargazers_count": 1234,
        }
        return await self._answer(request, data)

    async def _pulls(self, request: web.Request) -> web.StreamResponse:
        package = self._by_repo(request)
        if package is None or package.repo is None:
            return await self._answer(request, {"message": "Not Found"}, status=404)
        count = package.open_prs
        items = [{"number": 1, "state": "open"}] if count else []
        headers = {}
        if count > 1:
            base = f"{self.url}/repositories/1/pulls?state=open&per_page=1"
            headers["Link"] = (
                f'<{base}&page=2>; rel="next", <{base}&page={count}>; rel="last"'
            )
        return await self._answer(request, items, headers=headers)

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


def vulnerability(ident: str, alias: str, summary: str) -> dict[str, Any]:
    """An OSV record, trimmed to the fields that matter."""
    return {
        "id": ident,
        "aliases": [alias],
        "summary": summary,
        "modified": "2025-06-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI"}}],
    }


def ecosystem(now: datetime) -> list[FakePackage]:
    """The shipped watch list as a plausible ecosystem relative to ``now``.

    Most packages are healthy; a few show each warning sign: Flask-Login has had no
    release for 16 months (watch), Flask-Security is archived and quiet for years
    (at risk), Flask-Cors's latest release has a known vulnerability (at risk).
    Flask-Old (not on the list) only accepts Flask < 2.
    """
    from datetime import timedelta

    from cogs.extwatch._watchlist import load_watchlist

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    special = [
        FakePackage(
            "Flask-SQLAlchemy",
            "3.1.1",
            ago(40),
            ["flask>=2.2.5", "sqlalchemy>=2.0.16"],
            "pallets-eco/flask-sqlalchemy",
            pushed=ago(3),
            open_issues=12,
            open_prs=4,
        ),
        FakePackage(
            "Flask-Login",
            "0.6.3",
            ago(500),
            ["Flask>=1.0.4", "Werkzeug>=1.0.1"],
            "maxcountryman/flask-login",
            pushed=ago(20),
            open_issues=60,
            open_prs=15,
        ),
        FakePackage(
            "Flask-Security",
            "3.0.0",
            ago(2400),
            ["Flask>=0.11", "Flask-Login>=0.3.0", "Flask-Mail>=0.7.3"],
            "mattupstate/flask-security",
            pushed=ago(2000),
            archived=True,
            open_issues=400,
            open_prs=80,
        ),
        FakePackage(
            "Flask-Cors",
            "4.0.0",
            ago(100),
            ["Flask>=0.9"],
            "corydolphin/flask-cors",
            pushed=ago(10),
            open_issues=20,
            open_prs=5,
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
            pushed=ago(150),
        ),
    ]
    known = {normalise_name(p.name) for p in special}
    generic = [
        FakePackage(
            display,
            "2.0.0",
            ago(60 + 7 * index),
            ["Flask>=2.3"],
            repo,
            pushed=ago(7),
            open_issues=15,
            open_prs=4,
        )
        for index, (package, display, repo, _notes) in enumerate(load_watchlist())
        if package not in known
    ]
    return special + generic
