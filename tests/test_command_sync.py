"""The command sync at start-up: done when Discord's copy may differ, skipped on a
plain restart of the same code."""

from __future__ import annotations

import re

import simcord

from bot import create_bot
from bot import PalletsBot
from bot import Settings
from bot.command_sync import META_KEY
from bot.devtools.testing import restart


def _syncs(env: simcord.Env) -> int:
    return sum(
        1
        for entry in env.http_requests
        if entry.method == "PUT"
        and re.fullmatch(r"/applications/\d+/commands", entry.path)
    )


async def _answers(env: simcord.Env) -> None:
    guild = env.create_guild("Pallets")
    channel = guild.create_text_channel("general")
    member = guild.add_member(env.create_user("alice"))
    result = await member.slash(channel, "event list")
    assert result.response is not None


async def test_restart_of_the_same_code_does_not_sync_again(
    simcord_env: simcord.Env, settings: Settings
) -> None:
    assert _syncs(simcord_env) == 1
    await restart(simcord_env, settings)
    assert _syncs(simcord_env) == 1
    # Discord kept the commands: members still use them.
    await _answers(simcord_env)


async def test_changed_commands_are_synced_at_the_next_start(
    simcord_env: simcord.Env, settings: Settings
) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    # What the previous code synced differs from this code's tree (a command added,
    # a description or a translation changed: each changes the fingerprint).
    await bot.db.execute(
        "UPDATE meta SET value = 'older code' WHERE key = ?", (META_KEY,)
    )
    await restart(simcord_env, settings)
    assert _syncs(simcord_env) == 2
    await restart(simcord_env, settings)
    assert _syncs(simcord_env) == 2


async def test_discord_without_the_commands_gets_them_again(
    simcord_env: simcord.Env, settings: Settings
) -> None:
    """The same database, but a Discord that does not list the commands (another
    application, or commands deleted by hand): the bot syncs."""
    await simcord_env.shutdown()
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    await bot.stop_services()
    fresh = simcord.Env(create_bot(settings))
    await fresh.start()
    try:
        assert _syncs(fresh) == 1
        await _answers(fresh)
    finally:
        new = fresh.bot
        await fresh.shutdown()
        assert isinstance(new, PalletsBot)
        await new.stop_services()
