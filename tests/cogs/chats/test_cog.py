from __future__ import annotations

from typing import Any

import simcord

from bot.testing import World

DAY = 24 * 3600
HOUR = 3600


async def create_series(world: World, **overrides: Any) -> Any:
    options: dict[str, Any] = {
        "name": "Flask chat",
        "cadence": "monthly",
        "weekday": 3,  # Thursday
        "week": "2",
        "time": "17:00",
        "timezone": "Europe/Paris",
        "duration": 60,
        "channel": world.voice,
    }
    options.update(overrides)
    return await world.organiser.slash(world.general, "chat series-create", **options)


async def test_organiser_creates_a_series(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await create_series(world)
    assert result.response is not None
    print(result.response.content)
    assert result.ephemeral
    assert "Created the series Flask chat" in result.response.content
