"""How the bot's HTTP clients retry: tries, waits between them, and their session.

The GitHub client (:mod:`bot.github`) and the extension watch's PyPI/OSV client
(:mod:`cogs.extwatch._client`) both retry timeouts, network errors and 5xx answers
with the same doubling, capped, jittered wait, and both open sessions without
keep-alive. Each keeps its own loop (what counts as a retry, and how a rate limit
stops it, differ); this is what they share.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

#: Waits between tries (``asyncio.sleep``; the tests pass a recorder).
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """At most ``attempts`` tries, waiting ``base`` seconds after the first failure,
    doubling each time up to ``maximum``, plus up to a tenth more (so that clients
    that failed together do not retry together)."""

    attempts: int
    base: float
    maximum: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "attempts", max(self.attempts, 1))

    def delay(self, failed: int) -> float:
        """Seconds to wait after the ``failed``-th failed try (1 for the first)."""
        delay = min(self.base * 2.0 ** (failed - 1), self.maximum)
        return delay * (1 + random.random() * 0.1)


def batch_session(
    timeout: aiohttp.ClientTimeout, headers: Mapping[str, str] | None = None
) -> aiohttp.ClientSession:
    """A session without keep-alive: the jobs ask in weekly or hourly batches, which
    gain little from it, and idle connections leave timers behind that outlive the
    work."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True),
        timeout=timeout,
        headers=headers,
    )
