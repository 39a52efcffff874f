from __future__ import annotations

import simcord

from bot.devtools.testing import World


async def test_setup_show_lists_channels(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await world.admin.slash(world.general, "setup show")
    assert result.ephemeral
    assert result.response is not None
    assert f"<#{world.announcements.id}>" in result.response.content
