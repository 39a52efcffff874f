from __future__ import annotations

import gc

import simcord

from bot.app import PalletsBot
from bot.devtools.testing import World


async def test_setup_show_lists_channels(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await world.admin.slash(world.general, "setup show")
    assert result.ephemeral
    assert result.response is not None
    assert f"<#{world.announcements.id}>" in result.response.content


async def test_start_up_objects_are_kept_from_the_collector_while_running(
    simcord_env: simcord.Env, world: World
) -> None:
    # A full collection walks every object the collector sees: what start-up built
    # is set aside while the bot runs, so a collection during the bot's work is
    # short, and given back when it stops, so nothing leaks across restarts.
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    assert gc.get_freeze_count() > 10_000
    result = await world.admin.slash(world.general, "setup show")
    assert result.response is not None
    await simcord_env.shutdown()
    await bot.stop_services()
    assert gc.get_freeze_count() == 0
