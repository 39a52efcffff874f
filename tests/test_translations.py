"""The shipped catalogues, end to end: each job answers in the member's language."""

from __future__ import annotations

from pathlib import Path

import pytest
import simcord
from babel.messages.pofile import read_po

from bot import i18n
from bot.devtools.i18n_tools import PLACEHOLDER
from bot.devtools.testing import member_locale
from bot.devtools.testing import post_question
from bot.devtools.testing import World
from bot.i18n import _
from bot.paths import LOCALE_DIR

#: Discord locale -> catalogue.
LOCALES = {"de": "de", "es-ES": "es", "fr": "fr", "pt-BR": "pt_BR"}

#: One command of each job whose reply (content or first embed title) is one message.
COMMANDS = [
    ("admin", "setup show"),
    ("alice", "chat next"),
    ("helper", "triage queue"),
    ("alice", "event list"),
    ("alice", "grant status"),
    ("alice", "mentor status"),
    ("alice", "ext report"),
]


def reply_text(result: simcord.InteractionResult) -> str:
    assert result.response is not None
    if result.response.content:
        return result.response.content
    embed = result.response.embeds[0]
    return embed.title or ""


def test_every_shipped_language_is_complete() -> None:
    assert set(LOCALES.values()) <= set(i18n.available_languages())


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("member", "command"), COMMANDS)
async def test_each_job_answers_in_the_members_language(
    simcord_env: simcord.Env, world: World, member: str, command: str, locale: str
) -> None:
    actor = world.members()[member]
    english = reply_text(await actor.slash(world.general, command))
    with member_locale(actor, locale):
        result = await actor.slash(world.general, command)
    translated = reply_text(result)
    assert result.ephemeral
    assert translated != english
    first_line = english.splitlines()[0]
    if "{" not in first_line and "<" not in first_line:
        with i18n.scope(LOCALES[locale], LOCALES[locale]):
            assert _(first_line) in translated


@pytest.mark.parametrize("language", sorted(set(LOCALES.values())))
def test_plural_forms_for_one_and_two(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale=language)
    plurals = [
        m
        for m in catalog
        if isinstance(m.id, tuple)
        and set(PLACEHOLDER.findall(m.id[0] + m.id[1])) == {"count"}
    ]
    assert plurals, "the bot has plural messages"
    message_id = plurals[0].id
    assert isinstance(message_id, tuple)
    singular, plural = message_id[0], message_id[1]
    with i18n.scope(language, language):
        one = i18n.ngettext(singular, plural, 1)
        two = i18n.ngettext(singular, plural, 2)
    assert "2" in two
    assert one != two


async def test_public_posts_use_the_guild_language_and_replies_the_members(
    simcord_env: simcord.Env, world: World
) -> None:
    first = await post_question(
        world, world.alice, "Flask app factory", "How do I do it?"
    )
    english = first.history()[-1].content
    await world.admin.slash(world.general, "setup language", language="de")
    with member_locale(world.bob, "fr"):
        second = await post_question(
            world, world.bob, "Jinja macro scope", "Why is my variable undefined?"
        )
        reply = await world.bob.slash(world.general, "chat next")
    german = second.history()[-1].content
    assert german != english
    with i18n.scope("de", "de"):
        assert _(english.splitlines()[0]) in german
    with i18n.scope("fr", "fr"):
        assert reply_text(reply) == _("No chat is planned yet.")


def test_fallback_for_a_language_without_a_catalogue(tmp_path: Path) -> None:
    assert i18n.catalogue_for("ja") is None
    assert i18n.resolve("ja", None, "en") == ("en", "en")
