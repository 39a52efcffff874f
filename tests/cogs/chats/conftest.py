from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _only_chats_and_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load only the cogs these tests are about.

    Other jobs' timed work (a weekly network refresh, say) fires when these tests
    advance the clock by days, and would make them depend on work they do not test.
    """
    monkeypatch.setattr("bot.app.cog_names", lambda: ["cogs.chats", "cogs.setup"])
