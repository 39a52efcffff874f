"""A small, polite JSON-over-HTTP client for PyPI and OSV.

GitHub has the bot's own client (``bot.github``); this one speaks to the two
services only the extension watch uses.

- every request has a timeout; timeouts, connection errors and 5xx answers are
  retried with exponential backoff (a few attempts, then :class:`FetchError`);
- a 429 waits for ``Retry-After`` when that is short, and otherwise gives up at once
  with the time to come back; ``X-RateLimit-Remaining: 0`` (a convention GitHub
  started and others follow) makes later requests to that host fail fast until
  ``X-RateLimit-Reset``;
- GET answers with an ``ETag`` or ``Last-Modified`` are kept (in SQLite, the core's
  :class:`bot.http_cache.HttpCache`) and asked for again conditionally: a 304 reuses
  the kept body;
- a body that is not JSON is a :class:`FetchError` of kind ``malformed``, never an
  exception from deep inside.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp

from bot.clock import now_ts
from bot.http_cache import Entry
from bot.retry import Backoff
from bot.retry import batch_session
from bot.retry import Sleep

log = logging.getLogger(__name__)

USER_AGENT = "pallets-bot extension watch (+https://github.com/pallets)"


class FailureKind(StrEnum):
    TIMEOUT = "timeout"
    SERVER = "server"
    RATE_LIMITED = "rate_limited"
    MALFORMED = "malformed"
    NOT_FOUND = "not_found"
    CLIENT = "client"
    NETWORK = "network"


class FetchError(Exception):
    """A request failed for good; ``kind`` says how, ``retry_at`` when to try again."""

    def __init__(
        self, kind: FailureKind, detail: str, *, retry_at: int | None = None
    ) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retry_at = retry_at


class EtagStore(Protocol):
    """Where validators and bodies are kept (:class:`bot.http_cache.HttpCache`)."""

    async def load(self, url: str) -> Entry | None: ...

    async def save(self, url: str, entry: Entry) -> None: ...


class MemoryEtags:
    """An :class:`EtagStore` in memory (tests, one-off scripts)."""

    def __init__(self) -> None:
        self.items: dict[str, Entry] = {}

    async def load(self, url: str) -> Entry | None:
        return self.items.get(url)

    async def save(self, url: str, entry: Entry) -> None:
        self.items[url] = entry


@dataclass(frozen=True, slots=True)
class Response:
    data: Any
    link: str | None
    #: True when the server said 304 and the kept body was used.
    cached: bool


class ApiClient:
    """One client for PyPI and OSV; the engine makes it and closes it on unload."""

    def __init__(
        self,
        etags: EtagStore,
        *,
        timeout: float = 10.0,
        attempts: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_retry_after: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], int] = now_ts,
    ) -> None:
        self._etags = etags
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retry = Backoff(attempts, backoff, max_backoff)
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._now = now
        self._session: aiohttp.ClientSession | None = None
        self._users = 0
        #: host -> epoch second when its rate limit resets
        self._blocked_until: dict[str, int] = {}
        self.requests = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[ApiClient]:
        """Use the client for a batch; its connection closes when the last one ends.

        The watch asks in weekly and three-hourly batches: nothing is gained by
        keeping a session open between them, and an open one outlives a bot that
        stops without unloading its cogs.
        """
        self._users += 1
        try:
            yield self
        finally:
            self._users -= 1
            if self._users == 0:
                await self.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = batch_session(
                self._timeout,
                {"User-Agent": USER_AGENT, "Accept": "application/json"},
            )
        return self._session

    # -- public ---------------------------------------------------------------------------
    async def get_json(self, url: str) -> Response:
        """GET ``url`` as JSON, conditionally when an ETag is kept."""
        return await self._request("GET", url, None)

    async def post_json(self, url: str, payload: Mapping[str, Any]) -> Response:
        """POST ``payload`` as JSON and read JSON back (not cached)."""
        return await self._request("POST", url, payload)

    # -- the loop -------------------------------------------------------------------------
    async def _request(
        self, method: str, url: str, payload: Mapping[str, Any] | None
    ) -> Response:
        host = urlsplit(url).netloc
        headers: dict[str, str] = {}
        stored = await self._etags.load(url) if method == "GET" else None
        if stored is not None and stored.etag:
            headers["If-None-Match"] = stored.etag
        if stored is not None and stored.last_modified:
            headers["If-Modified-Since"] = stored.last_modified
        last: FetchError | None = None
        for attempt in range(1, self._retry.attempts + 1):
            blocked = self._blocked_until.get(host)
            if blocked is not None:
                if blocked > self._now():
                    raise FetchError(
                        FailureKind.RATE_LIMITED,
                        f"{host} rate limit exhausted",
                        retry_at=blocked,
                    )
                del self._blocked_until[host]
            try:
                return await self._once(method, url, payload, headers, host, stored)
            except _Retry as retry:
                last = retry.error
                if attempt >= self._retry.attempts:
                    break
                delay = retry.delay
                if delay is None:
                    delay = self._retry.delay(attempt)
                log.info("%s %s failed (%s); retry in %.1f s", method, url, last, delay)
                await self._sleep(delay)
        assert last is not None
        raise last

    async def _once(
        self,
        method: str,
        url: str,
        payload: Mapping[str, Any] | None,
        headers: dict[str, str],
        host: str,
        stored: Entry | None,
    ) -> Response:
        self.requests += 1
        session = self._get_session()
        try:
            async with session.request(
                method, url, json=payload, headers=headers
            ) as answer:
                body = await answer.text()
                status = answer.status
                answer_headers = answer.headers
        except TimeoutError as error:
            raise _Retry(FetchError(FailureKind.TIMEOUT, f"{url} timed out")) from error
        except aiohttp.ClientError as error:
            raise _Retry(
                FetchError(FailureKind.NETWORK, f"{url}: {type(error).__name__}")
            ) from error
        self._note_rate_limit(host, answer_headers)
        link = answer_headers.get("Link")
        if status == 304 and stored is not None:
            return Response(_decode(stored.body, url), stored.link, cached=True)
        if status == 429 or (
            status == 403 and answer_headers.get("X-RateLimit-Remaining") == "0"
        ):
            raise self._rate_limited(url, host, answer_headers)
        if status >= 500:
            raise _Retry(FetchError(FailureKind.SERVER, f"{url} answered {status}"))
        if status == 404:
            raise FetchError(FailureKind.NOT_FOUND, f"{url} answered 404")
        if status >= 400:
            raise FetchError(FailureKind.CLIENT, f"{url} answered {status}")
        data = _decode(body, url)
        etag = answer_headers.get("ETag")
        modified = answer_headers.get("Last-Modified")
        if method == "GET" and (etag or modified):
            await self._etags.save(url, Entry(etag, modified, body, link))
        return Response(data, link, cached=False)

    def _note_rate_limit(self, host: str, headers: Mapping[str, str]) -> None:
        if headers.get("X-RateLimit-Remaining") != "0":
            return
        reset = _int(headers.get("X-RateLimit-Reset"))
        self._blocked_until[host] = reset if reset is not None else self._now() + 60

    def _rate_limited(
        self, url: str, host: str, headers: Mapping[str, str]
    ) -> BaseException:
        wait = _int(headers.get("Retry-After"))
        if wait is not None and wait <= self._max_retry_after:
            return _Retry(
                FetchError(
                    FailureKind.RATE_LIMITED,
                    f"{url} asked to wait {wait} s",
                    retry_at=self._now() + wait,
                ),
                delay=float(wait),
            )
        retry_at = self._blocked_until.get(host)
        if wait is not None:
            retry_at = self._now() + wait
            self._blocked_until[host] = retry_at
        return FetchError(
            FailureKind.RATE_LIMITED, f"{url} is rate limited", retry_at=retry_at
        )


class _Retry(Exception):
    def __init__(self, error: FetchError, *, delay: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.delay = delay


def _decode(body: str, url: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise FetchError(FailureKind.MALFORMED, f"{url} did not answer JSON") from None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None
