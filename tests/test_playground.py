from __future__ import annotations

from bot.devtools.playground import run_playground
from bot.devtools.playground import tour_steps


async def test_playground_tour_runs_every_step_and_shows_setup() -> None:
    lines: list[str] = []
    await run_playground(interactive=False, database=None, echo=lines.append)
    text = "\n".join(lines)
    assert "== Setting up the server ==" in text
    assert "Channels saved." not in text  # configured silently by the tour's setup step
    assert "/setup show" in text
    assert "alice does not see it." in text
    assert "== Tour finished ==" in text
    assert "Traceback" not in text


def test_tour_steps_are_ordered() -> None:
    orders = [order for order, _name, _step in tour_steps()]
    assert orders == sorted(orders)
