"""Clipping to Discord's limits changes only what does not fit."""

from __future__ import annotations

import discord

from bot.safety import EMBED_FIELD_VALUE_LIMIT
from bot.safety import fit_embed


def test_an_embed_that_fits_is_sent_as_built() -> None:
    embed = discord.Embed(title="Upcoming events", description="- one\n- two")
    embed.set_footer(text="Page 1 of 2")
    before = embed.to_dict()
    assert fit_embed(embed).to_dict() == before
    assert "fields" not in fit_embed(embed).to_dict()


def test_long_and_empty_fields_are_fitted() -> None:
    embed = discord.Embed(title="Request #1")
    embed.add_field(name="Goal", value="x" * (EMBED_FIELD_VALUE_LIMIT + 10))
    embed.add_field(name="", value="kept")
    fields = fit_embed(embed).fields
    assert len(fields[0].value or "") == EMBED_FIELD_VALUE_LIMIT
    assert (fields[0].value or "").endswith("…")
    assert fields[1].name == "\u200b" and fields[1].value == "kept"
