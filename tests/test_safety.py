"""bot.safety: clipping to Discord's limits changes only what does not fit, and a
member's text cannot change the bot's words around it."""

from __future__ import annotations

import unicodedata

import discord
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.safety import balance_bidi
from bot.safety import EMBED_FIELD_VALUE_LIMIT
from bot.safety import fit_embed
from bot.safety import FSI
from bot.safety import isolate
from bot.safety import mass_mention
from bot.safety import PDI
from bot.safety import quote


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


CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def depth_never_negative_and_ends_at_zero(text: str) -> bool:
    embeddings: list[str] = []
    for ch in text:
        if ch in "\u202a\u202b\u202d\u202e\u2066\u2067\u2068":
            embeddings.append(ch)
        elif ch in "\u202c\u2069":
            if not embeddings:
                return False
            embeddings.pop()
    return not embeddings


@given(st.text(alphabet=st.sampled_from([*CONTROLS, "a", "ש", "1", " "])))
def test_balanced_text_opens_and_closes_every_span(text: str) -> None:
    assert depth_never_negative_and_ends_at_zero(balance_bidi(text))


def test_an_override_in_a_topic_cannot_flip_the_vote_count_after_it() -> None:
    topic = quote("Blueprints \u202e")
    line = f"1. {topic} (3 votes)"
    # The member's part is isolated, its override closed inside the isolate.
    member = line[len("1. ") : line.index(" (3 votes)")]
    assert member.startswith(FSI) and member.endswith(PDI)
    assert depth_never_negative_and_ends_at_zero(member)
    assert line.endswith(" (3 votes)")


def test_left_to_right_text_is_left_as_typed() -> None:
    assert isolate("Flask blueprints") == "Flask blueprints"
    assert quote("**bold**") == "\\*\\*bold\\*\\*"


def test_right_to_left_text_is_isolated() -> None:
    assert isolate("שלום") == f"{FSI}שלום{PDI}"
    assert isolate("مرحبا") == f"{FSI}مرحبا{PDI}"


@given(st.text())
def test_isolated_text_keeps_every_visible_character(text: str) -> None:
    kept = [ch for ch in isolate(text) if ch not in CONTROLS]
    assert kept == [ch for ch in text if ch not in CONTROLS]
    assert all(unicodedata.category(ch) for ch in kept)


@pytest.mark.parametrize(
    ("text", "mass"),
    [
        ("ping @everyone now", True),
        ("@HERE", True),
        ("for <@&123456> only", True),
        ("mail me at someone@everyones.example", False),
        ("thanks <@123456>", False),
    ],
)
def test_mass_mention_is_everyone_here_or_a_role(text: str, mass: bool) -> None:
    assert mass_mention(text) is mass


@given(
    st.lists(
        st.sampled_from(["[click](https://example.com)", "[", "](", "x", "\\", "…"]),
        max_size=12,
    ).map("".join),
    st.integers(1, 200),
)
def test_quoted_text_makes_no_link(text: str, limit: int) -> None:
    """Masked links in a member's text are shown as typed, whole or cut: Discord's
    escape of Markdown leaves every link after the first one working."""
    assert "](" not in quote(text)
    assert "](" not in quote(text, limit=limit)
