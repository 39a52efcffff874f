from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _only_triage_cogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load only setup and triage, so these tests do not depend on other jobs' timers.

    The whole-bot tests (every cog loaded together) live outside this folder.
    """
    monkeypatch.setattr("bot.app.cog_names", lambda: ["cogs.setup", "cogs.triage"])
