"""The slash-command sync at start-up, done only when Discord's copy is out of date.

Syncing translates every name, description and option into every Discord locale
(thousands of lookups, every catalogue compiled) and replaces the application's
commands on Discord: a fifth to a third of a start. A restart of the same code finds
Discord already holding the same commands, so the bot remembers (in ``meta``) a
fingerprint of what it last synced: the untranslated payload, the catalogues'
bytes, discord.py's version and the application's id. The sync is skipped when the
fingerprint is unchanged *and* Discord still lists a command of each name (one
cheap read): a restore onto another application, or commands removed by hand, is
synced again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

import discord

from bot import i18n
from bot.paths import LOCALE_DIR

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

#: Where the fingerprint of the last sync is kept.
META_KEY = "commands.synced"


def fingerprint(bot: PalletsBot) -> str:
    """What decides the payload ``tree.sync()`` would send, hashed."""
    tree = bot.tree
    digest = hashlib.sha256()
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    digest.update(
        json.dumps(
            {
                "application": bot.application_id,
                "discord.py": discord.__version__,
                "commands": payload,
            },
            sort_keys=True,
            default=str,
        ).encode()
    )
    for language in i18n.available_languages():
        path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        if path.is_file():
            digest.update(language.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


async def sync_if_changed(bot: PalletsBot) -> bool:
    """Sync the command tree unless Discord has it already; return whether it synced."""
    current = fingerprint(bot)
    stored = await bot.db.fetchval("SELECT value FROM meta WHERE key = ?", (META_KEY,))
    if stored == current:
        wanted = {command.name for command in bot.tree.get_commands()}
        registered = {command.name for command in await bot.tree.fetch_commands()}
        if registered == wanted:
            log.info("slash commands unchanged since the last sync: not synced")
            return False
    await bot.tree.sync()
    await bot.db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (META_KEY, current),
    )
    return True
