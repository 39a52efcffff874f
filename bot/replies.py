"""Answering an interaction: one helper, safe by default."""

from __future__ import annotations

from typing import Any

import discord

from bot.safety import fit_content
from bot.safety import fit_embed
from bot.safety import NO_MENTIONS

_MISSING: Any = discord.utils.MISSING


async def reply(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
    ephemeral: bool = True,
    allowed_mentions: discord.AllowedMentions = NO_MENTIONS,
) -> None:
    """Respond to ``interaction``, or follow up when it was already acknowledged.

    Ephemeral by default: a public answer is a decision the caller makes. Content and
    embeds are clipped to Discord's limits, and nobody is pinged unless
    ``allowed_mentions`` names them. An ephemeral answer to a member whose DMs the
    bot found closed says so, once (see :mod:`bot.reach`).
    """
    if ephemeral:
        reach = getattr(interaction.client, "reach", None)
        note = await reach.note_for(interaction) if reach is not None else None
        if note:
            content = f"{content}\n\n{note}" if content else note
    all_embeds = [fit_embed(e) for e in ([embed] if embed else []) + (embeds or [])]
    kwargs: dict[str, Any] = {
        "content": fit_content(content),
        "embeds": all_embeds or _MISSING,
        "ephemeral": ephemeral,
        "allowed_mentions": allowed_mentions,
    }
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def defer(
    interaction: discord.Interaction[Any], *, ephemeral: bool = True
) -> None:
    """Acknowledge now, before slow work, so Discord never shows a timeout."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
