"""PyPI, GitHub and OSV for the bench: the tests' fake, in a process of its own.

Its answers cost the bot's process nothing but the sockets, as the real services'
do; in the bot's own loop (as in the tests) its work would show as the bot's lag.
``python -m bench.upstream`` prints its URL, then serves until its input closes.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime
from datetime import UTC

from bot.devtools.fake_upstream import ecosystem
from bot.devtools.fake_upstream import FakeApis

#: simcord's clock starts here; the fake ecosystem's dates are relative to it.
START = datetime(2026, 1, 1, tzinfo=UTC)


class Upstream:
    """The fake services in a child process (a context manager)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Upstream:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.upstream"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            raise RuntimeError("the fake upstream did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(10)


async def serve() -> None:
    fake = FakeApis(slow_seconds=1.0)
    await fake.start()
    ecosystem(START).install(fake)
    print(fake.url, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await fake.stop()


if __name__ == "__main__":
    asyncio.run(serve())
