"""What simcord does not model and exactly-once depends on (see /work/shared/TESTING.md).

- **Discord's nonce window.** simcord accepts ``nonce``/``enforce_nonce`` and ignores
  them. :class:`Fidelity` deduplicates as Discord does: a message create repeating a
  nonce (with ``enforce_nonce``) within :data:`NONCE_WINDOW` seconds of the first
  returns the first message; a later one makes a new message, and is recorded in
  :attr:`Fidelity.doubles` (on Discord, a second post).
- **Lost answers.** simcord's ``inject_error`` fails a request before it is applied.
  :meth:`Fidelity.lose_answers` lets Discord apply it and then answers 5xx, as when a
  gateway times out after the write (the "indeterminate" case).
- **A kill.** :func:`snapshot` copies the committed state of the bot's database, as a
  SIGKILL would leave it; :func:`restore` puts it back before the next start.
"""

from __future__ import annotations

import copy
import fnmatch
import re
import shutil
import sqlite3
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import discord
import pytest
from simcord.backend.errors import BackendError
from simcord.http import router
from simcord.types import HttpLogEntry

#: How long Discord deduplicates a nonce here. Discord says "the past few minutes";
#: the bot's margin (bot.outbox.RECONCILE_AFTER) is 2 minutes, so 5 is generous.
NONCE_WINDOW = 300
_CREATE = re.compile(r"^/channels/(\d+)/messages$")


@dataclass(frozen=True)
class Created:
    """A message Discord made from a create request."""

    at: float
    nonce: str | None
    channel_id: int
    message_id: int
    content: str


@dataclass
class _Loss:
    method: str
    path: str
    times: int | None
    status: int


@dataclass
class Fidelity:
    """Discord's behaviour where simcord's differs; see the module docstring."""

    window: float = NONCE_WINDOW
    created: list[Created] = field(default_factory=list)
    #: A nonce repeated after the window: Discord made a second message.
    doubles: list[tuple[Created, Created]] = field(default_factory=list)
    #: Requests Discord applied whose answer was lost.
    lost: list[tuple[float, str, str]] = field(default_factory=list)
    _first: dict[str, tuple[Created, Any]] = field(default_factory=dict)
    _losses: list[_Loss] = field(default_factory=list)
    _original: Any = None

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Fidelity:
        self._original = router.dispatch
        monkeypatch.setattr(router, "dispatch", self._dispatch)
        return self

    def lose_answers(
        self, method: str, path: str, *, times: int | None = 1, status: int = 502
    ) -> None:
        """Apply matching requests, then answer ``status`` (``times=None``: always)."""
        self._losses.append(_Loss(method, path, times, status))

    def _dispatch(self, backend: Any, method: str, path: str, **kwargs: Any) -> Any:
        now = discord.utils.utcnow().timestamp()
        body = kwargs.get("json")
        match = _CREATE.match(path) if method == "POST" else None
        nonce = None
        if match and isinstance(body, dict) and body.get("enforce_nonce"):
            nonce = body.get("nonce")
        if nonce is not None:
            seen = self._first.get(str(nonce))
            if seen is not None and now - seen[0].at <= self.window:
                # Discord: within the window, the first message is the answer.
                backend.http_requests.append(
                    HttpLogEntry(method, path, {}, copy.deepcopy(body), None)
                )
                router._check_faults(backend, method, path)
                return copy.deepcopy(seen[1])
        result = self._original(backend, method, path, **kwargs)
        if match and isinstance(result, dict):
            made = Created(
                now,
                str(nonce) if nonce is not None else None,
                int(match.group(1)),
                int(result["id"]),
                str(result.get("content") or ""),
            )
            self.created.append(made)
            if nonce is not None:
                earlier = self._first.get(str(nonce))
                if earlier is not None:
                    self.doubles.append((earlier[0], made))
                self._first[str(nonce)] = (made, copy.deepcopy(result))
        for loss in list(self._losses):
            if loss.method == method and fnmatch.fnmatch(path, loss.path):
                if loss.times is not None:
                    loss.times -= 1
                    if loss.times <= 0:
                        self._losses.remove(loss)
                self.lost.append((now, method, path))
                raise BackendError(loss.status, 0, "Bad Gateway (answer lost)")
        return result


def snapshot(database: Path, to: Path) -> None:
    """Copy what is committed in ``database`` now (what a SIGKILL would leave)."""
    to.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(to)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def restore(copy_of: Path, database: Path) -> None:
    """Put a :func:`snapshot` back in place of the database (the bot is stopped)."""
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(copy_of, database)
