"""Event-loop lag: how late the loop runs a wake-up that was due.

A thread posts a wake-up to the event loop every millisecond, as a socket becoming
readable does (a gateway message, a member's click), and the loop notes how late it
ran it: from the moment it was due to the moment its callback ran. Anything that
holds the loop (a long synchronous step) or the GIL (a worker thread doing Python
work) shows as lag. The next wake-up is due a millisecond after the last one ran, so
one long stall is one large sample, not a run of them.

The wake-ups bypass simcord's tracking of the loop (its clock is virtual; this one
must be real), so they are invisible to the bot and to settling.
"""

from __future__ import annotations

import asyncio
import threading
import time

INTERVAL = 0.001
#: The lag measured with the bot idle: the floor under the other lag figures.
IDLE = "idle (the floor)"


class LagTicker:
    """Samples event-loop lag (milliseconds) while running."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = INTERVAL):
        self.loop = loop
        self.interval = interval
        self.samples: list[float] = []
        self._running = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LagTicker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._running = True
        self._thread = threading.Thread(
            target=self._run, name="lag-ticker", daemon=True
        )
        self._thread.start()

    def stop(self) -> list[float]:
        self._running = False
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return self.samples

    def running(self) -> bool:
        return self._running

    def _tick(self, due: float, ran: threading.Event) -> None:
        self.samples.append((time.perf_counter() - due) * 1000)
        ran.set()

    def _run(self) -> None:
        # simcord replaces the loop's scheduling methods with tracked ones; the base
        # class's own call_soon_threadsafe wakes the loop like a ready socket does.
        post = asyncio.BaseEventLoop.call_soon_threadsafe
        due = time.perf_counter() + self.interval
        while self._running:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            ran = threading.Event()
            try:
                post(self.loop, self._tick, due, ran)  # type: ignore[arg-type]
            except RuntimeError:  # the loop closed
                return
            while not ran.wait(0.05) and self.running():
                pass
            if not ran.is_set():
                return
            due = max(due + self.interval, time.perf_counter() + self.interval)
