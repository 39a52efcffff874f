"""The action registry, the paginator's arithmetic and the timezone option."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import UserError
from bot.timezones import TimezoneTransformer
from bot.ui import Actions
from bot.ui import Page
from bot.ui import page_bounds
from bot.ui import page_view
from bot.ui import PageButton


async def test_an_action_runs_its_handler_with_the_parsed_arguments() -> None:
    actions = Actions()
    seen: list[tuple[Any, ...]] = []

    async def solve(interaction: Any, thread_id: int) -> None:
        seen.append((interaction, thread_id))

    actions.register("triage.solve", solve)
    await actions.run("triage.solve", "the interaction", 42)  # type: ignore[arg-type]
    assert seen == [("the interaction", 42)]
    with pytest.raises(ValueError):
        actions.register("triage.solve", solve)


async def test_an_unknown_or_unloaded_action_is_a_refusal_in_words() -> None:
    actions = Actions()

    async def handler(interaction: Any) -> None:
        raise AssertionError("unreachable")

    actions.register("jobs.gone", handler)
    actions.unregister("jobs.gone")
    with pytest.raises(UserError):
        await actions.run("jobs.gone", None)  # type: ignore[arg-type]
    with pytest.raises(UserError):
        await actions.page("nothing", None, 0, "")  # type: ignore[arg-type]


@given(st.integers(-5, 50), st.integers(0, 500), st.integers(1, 25))
def test_page_bounds_always_land_on_a_real_page(
    number: int, total: int, size: int
) -> None:
    page, count, offset = page_bounds(number, total, size)
    assert count >= 1
    assert 0 <= page < count
    assert offset == page * size
    assert offset < max(total, 1)


def test_a_single_page_has_no_buttons_and_the_ends_are_disabled() -> None:
    assert page_view("x.list", Page(discord.Embed(), 0, 1)) is None
    view = page_view("x.list", Page(discord.Embed(), 0, 3), "Flask")
    assert view is not None
    previous, following = view.children
    assert isinstance(previous, PageButton) and isinstance(following, PageButton)
    assert previous.item.disabled and not following.item.disabled
    assert following.custom_id == "pallets:page:x.list:1:n:Flask"
    assert len(following.custom_id) <= 100


def test_a_pages_own_buttons_come_first_and_stay_on_a_single_page() -> None:
    own = discord.ui.Button[Any](label="Claim #1", custom_id="x:claim:1")
    single = page_view("x.list", Page(discord.Embed(), 0, 1, items=(own,)))
    assert single is not None and single.children == [own]
    paged = page_view("x.list", Page(discord.Embed(), 1, 3, items=(own,)))
    assert paged is not None
    first, previous, following = paged.children
    assert first is own
    assert isinstance(previous, PageButton) and isinstance(following, PageButton)


async def test_the_timezone_option_gives_a_zone_or_refuses_in_words() -> None:
    option = TimezoneTransformer()
    assert await option.transform(None, "europe/paris") == ZoneInfo("Europe/Paris")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="Mars"):
        await option.transform(None, "Mars/Olympus")  # type: ignore[arg-type]
    choices = await option.autocomplete(None, "paris")  # type: ignore[arg-type]
    assert [choice.value for choice in choices] == ["Europe/Paris"]
