"""End to end: a member's own timezone and the server's, found from names in the
member's language, and used wherever a command needs a zone and none is given."""

from __future__ import annotations

from typing import Any

import simcord

from bot.app import PalletsBot
from bot.devtools.testing import create_chat_series
from bot.devtools.testing import member_locale
from bot.devtools.testing import World


def text(result: Any) -> str:
    assert result.response is not None, result
    return str(result.response.content)


def bot_of(env: simcord.Env) -> PalletsBot:
    assert isinstance(env.bot, PalletsBot)
    return env.bot


async def own_zone(env: simcord.Env, world: World, member: Any) -> str | None:
    value = await bot_of(env).db.fetchval(
        "SELECT timezone FROM member_timezones WHERE guild_id = ? AND user_id = ?",
        (world.guild.id, member.id),
    )
    return None if value is None else str(value)


async def test_a_member_finds_their_zone_by_a_city_in_their_language_and_sets_it(
    simcord_env: simcord.Env, world: World
) -> None:
    with member_locale(world.alice, "de"):
        choices = await world.alice.autocomplete(
            world.general, "timezone set", "timezone", "Münch"
        )
        assert choices[0]["value"] == "Europe/Berlin"
        assert choices[0]["name"].startswith("München · Berlin, Deutschland")
        brazil = await world.alice.autocomplete(
            world.general, "timezone set", "timezone", "Brasilien"
        )
        assert "America/Sao_Paulo" in {choice["value"] for choice in brazil}
        saved = await world.alice.slash(
            world.general, "timezone set", timezone="Europe/Berlin"
        )
        assert "Berlin, Deutschland" in text(saved) and saved.ephemeral
    assert await own_zone(simcord_env, world, world.alice) == "Europe/Berlin"

    # Typed without picking from the list: a name of one zone is enough...
    typed = await world.alice.slash(world.general, "timezone set", timezone="Paris")
    assert "(Europe/Paris)" in text(typed)
    shown = await world.alice.slash(world.general, "timezone show")
    assert text(shown).startswith("Your timezone: Paris, France")
    # ... a name of several is refused in words, and nothing changes.
    refused = await world.alice.slash(world.general, "timezone set", timezone="Brazil")
    assert "Brazil could be several timezones" in text(refused)
    assert await own_zone(simcord_env, world, world.alice) == "Europe/Paris"

    cleared = await world.alice.slash(world.general, "timezone clear")
    assert "forgotten" in text(cleared)
    assert await own_zone(simcord_env, world, world.alice) is None
    nothing = await world.alice.slash(world.general, "timezone show")
    assert "neither has the server" in text(nothing)
    simcord_env.check_errors = False  # the refusal above is reported, as designed


async def test_the_members_zone_then_the_servers_is_the_default_of_every_command(
    simcord_env: simcord.Env, world: World
) -> None:
    db = bot_of(simcord_env).db
    asked = await world.alice.slash(
        world.general, "mentor request", topics="flask", goal="Learn routing"
    )
    assert "Which timezone?" in text(asked)
    assert await db.fetchval("SELECT count(*) FROM mentor_requests") == 0

    await world.admin.slash(world.general, "setup timezone", timezone="Lisbon")
    shown = await world.admin.slash(world.general, "setup show")
    assert "Timezone: Europe/Lisbon" in text(shown)
    await world.alice.slash(
        world.general, "mentor request", topics="flask", goal="Learn routing"
    )
    assert await db.fetchval("SELECT timezone FROM mentor_requests") == "Europe/Lisbon"
    server = await world.bob.slash(world.general, "timezone show")
    assert "use the server's: Lisbon, Portugal" in text(server)

    await world.organiser.slash(
        world.general, "timezone set", timezone="America/New_York"
    )
    created = await create_chat_series(world, timezone=None)
    assert "America/New_York" in text(created)
    assert await db.fetchval("SELECT timezone FROM chat_series") == "America/New_York"
    form = await world.organiser.slash(world.general, "event create", kind="sprint")
    if form.modal is None:
        assert form.response is not None
        form = await world.organiser.click(
            form.response, label="I accept the code of conduct"
        )
    assert form.modal is not None and "America/New_York" in str(form.modal)
    simcord_env.check_errors = False  # the first request was refused, as designed
