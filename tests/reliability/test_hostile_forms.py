"""Hostile values in the chat-admin notes form and at the mentoring check-in.

The wide run (``test_hostile_input.py``) reaches these only by chance. Here each is
opened the way a member does. Neither has a button that opens a form: the notes
form opens from ``/chat-admin notes`` (an organiser, after a chat took place), and the
mentoring check-in is answered with its two buttons, "Going well" and "Need help",
in the pair's private thread (no text field: the pairs' hostile goals, given at
request time, are the text it meets, and the members click in several languages).
Values come from the shared hostile alphabet (``_hostile.py``): a dozen chosen
notes and a few drawn ones, derandomized (``PALLETS_HOSTILE_EXAMPLES`` draws more).
Each interaction is judged like the wide run: no unexpected error, a refusal private
and in words with every table unchanged, accepted notes stored as the member gave
them (only meaningless invisible characters, controls and surrounding whitespace
dropped) and posted whole, no request that could ping, no Discord limit broken.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from functools import partial

import pytest
import simcord
from hypothesis import example
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import settings
from hypothesis import strategies as st

from bot import errors as bot_errors
from bot.app import PalletsBot
from bot.devtools.testing import create_chat_series
from bot.devtools.testing import set_member_locale
from bot.devtools.testing import World
from bot.errors import is_expected
from cogs.chats._logic import NOTES_LIMIT
from tests.reliability._hostile import changed_tables
from tests.reliability._hostile import fit
from tests.reliability._hostile import FRAGMENTS
from tests.reliability._hostile import hostile_text
from tests.reliability._hostile import request_problems
from tests.reliability._hostile import snapshot

EXAMPLES = int(os.environ.get("PALLETS_HOSTILE_EXAMPLES", "6"))
HOUR = 3600
DAY = 24 * HOUR
#: The second Thursday of January 2026 at 17:00 Paris has ended by then.
AFTER_THE_FIRST_CHAT = 7 * DAY + 17 * HOUR + 60
#: Characters that carry no meaning and may be dropped from stored text.
MEANINGLESS = "\u200b\u2060\ufeff"

HOSTILE = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def ids(world: World) -> dict[str, int]:
    return {
        "role": world.organiser_role.id,
        "user": world.alice.id,
        "channel": world.general.id,
    }


def with_ids(text: str, world: World) -> str:
    for name, value in ids(world).items():
        text = text.replace("{" + name + "}", str(value))
    return text


def as_stored(text: str) -> str:
    """What a member's accepted text must be stored as: the same, save for
    meaningless invisible characters, controls and surrounding whitespace."""
    kept = "".join(
        ch for ch in text if ch not in MEANINGLESS and (ch >= " " or ch in "\n\t")
    )
    # Joiners (emoji sequences, Persian spelling) stay, except around the text.
    return re.sub(r"^[\s\u200c\u200d]+|[\s\u200c\u200d]+$", "", kept)


@pytest.fixture
def reported(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BaseException]]:
    """Every error the bot reports to a member (forms and buttons included)."""
    seen: list[BaseException] = []
    original = bot_errors.message_for

    def message_for(error: BaseException) -> tuple[str, bool]:
        seen.append(error)
        return original(error)

    monkeypatch.setattr(bot_errors, "message_for", message_for)
    yield seen


def answers(result: simcord.InteractionResult) -> list[tuple[str, bool]]:
    out = []
    for message in [result.response, *result.followups]:
        if message is not None:
            out.append(((message.content or "").strip(), message.ephemeral))
    return out


async def judge(
    env: simcord.Env,
    reported: list[BaseException],
    what: str,
    act: Callable[[], Awaitable[simcord.InteractionResult]],
) -> tuple[simcord.InteractionResult, bool]:
    """Run one interaction; return it and whether it was a refusal."""
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    before = await snapshot(bot)
    http_at, errors_at, reported_at = (
        len(env.http_requests),
        env.error_cursor,
        len(reported),
    )
    result = await act()
    await env.settle()
    errors = [*env.errors_since(errors_at)]
    errors += [e for e in reported[reported_at:] if e not in errors]
    unexpected = [e for e in errors if not is_expected(e)]
    if unexpected:
        raise AssertionError(f"{what}: unexpected error") from unexpected[0]
    problems = []
    if not result.acknowledged:
        problems.append("never answered")
    if errors:
        said = answers(result)
        if not said or not all(words and private for words, private in said):
            problems.append(f"refusal not private or without words: {said}")
        changed = changed_tables(before, await snapshot(bot))
        if changed:
            problems.append(f"refusal changed {changed}")
    for entry in env.http_requests[http_at:]:
        for problem in request_problems(entry.method, entry.path, entry.json):
            problems.append(f"{entry.method} {entry.path}: {problem}")
    assert not problems, f"{what}:\n  " + "\n  ".join(problems)
    return result, bool(errors)


# -- the chat-admin notes form ---------------------------------------------------------------
@pytest.fixture
async def chat_took_place(simcord_env: simcord.Env, world: World) -> int:
    """A Flask chat that has taken place; return its occurrence id."""
    await create_chat_series(world)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    await bot.scheduler.cancel_prefix("extwatch:")
    await simcord_env.advance_time(AFTER_THE_FIRST_CHAT)
    await simcord_env.settle()
    occurrence = await bot.db.fetchval(
        "SELECT max(id) FROM chat_occurrences WHERE starts_at <= ?",
        (int(simcord_env.now().timestamp()),),
    )
    assert occurrence is not None
    return int(occurrence)


NOTES = (
    "👩\u200d👩\u200d👧\u200d👦 came, and می\u200cخواهم in Persian",
    "\u2067\u05e9\u05dc\u05d5\u05dd\u2069 \u202eevil\u202c مرحبا بالعالم",
    "```py\nprint('x')\n```\n**bold** ||spoiler|| # Heading\n> quote",
    "<@{user}> asked about NEAR( and '; DROP TABLE x; --",
    "@everyone the notes",
    "<@&{role}> read this",
    "@\u200beveryone sneaky",
    "\u200b\u2060\ufeff",
    "   \t  ",
    "\x00\x07\x08\x1b[31m bells \r\n",
    "a" * NOTES_LIMIT,
    "line\n" * 700,
)


@HOSTILE
@given(text=hostile_text({}) | st.sampled_from(FRAGMENTS))
@example(text=NOTES[0])
@example(text=NOTES[1])
@example(text=NOTES[2])
@example(text=NOTES[3])
@example(text=NOTES[4])
@example(text=NOTES[5])
@example(text=NOTES[6])
@example(text=NOTES[7])
@example(text=NOTES[8])
@example(text=NOTES[9])
@example(text=NOTES[10])
@example(text=NOTES[11])
async def test_hostile_chat_notes_are_refused_or_stored_as_given(
    simcord_env: simcord.Env,
    world: World,
    chat_took_place: int,
    reported: list[BaseException],
    text: str,
) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    # The Discord client sends at least one character, at most the field's limit.
    text = fit(with_ids(text, world), min_length=1, max_length=NOTES_LIMIT)
    before = await bot.db.fetchval(
        "SELECT notes FROM chat_occurrences WHERE id = ?", (chat_took_place,)
    )
    shown, refused = await judge(
        simcord_env,
        reported,
        "/chat-admin notes",
        lambda: world.organiser.slash(
            world.general, "chat-admin notes", series="Flask chat"
        ),
    )
    assert not refused and shown.modal is not None
    posted_at = {t.id: len(t.history()) for t in world.announcements.threads}
    result, refused = await judge(
        simcord_env,
        reported,
        f"notes form {text[:80]!r}",
        lambda: world.organiser.submit_modal(shown, {"summary": text}),
    )
    stored = await bot.db.fetchval(
        "SELECT notes FROM chat_occurrences WHERE id = ?", (chat_took_place,)
    )
    if refused:
        assert stored == before
        return
    assert stored == as_stored(text), (text[:80], str(stored)[:80])
    # Posted whole (in parts when long): nothing clipped or changed on the way.
    posted = "\n".join(
        m.content or ""
        for t in world.announcements.threads
        for m in t.history()[posted_at.get(t.id, 0) :]
    )
    header, _, notes = posted.partition("\n")
    assert header.startswith("Notes of Flask chat")
    assert "".join(notes.split()) == "".join(stored.split())


# -- the mentoring check-in -------------------------------------------------------------
GOALS = (
    "@everyone <@&{role}> ship a PR",
    "```\n\u202eevil\u202c\n```",
    "👩\u200d👩\u200d👧\u200d👦 " + "x" * 400,
)
LOCALES = ("en-US", "fr", "ja")


async def test_checkin_buttons_under_hostile_goals_and_locales(
    simcord_env: simcord.Env, world: World, reported: list[BaseException]
) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    await world.mentor.slash(
        world.general,
        "mentor-tools profile",
        topics="flask",
        timezone="UTC",
        capacity=5,
    )
    mentees = (world.alice, world.bob, world.carol)
    for mentee, goal in zip(mentees, GOALS, strict=True):
        result, refused = await judge(
            simcord_env,
            reported,
            f"{mentee.name} requests with goal {goal[:40]!r}",
            partial(
                mentee.slash,
                world.general,
                "mentor request",
                topics="flask",
                goal=with_ids(goal, world)[:400],
                timezone="Europe/Paris",
            ),
        )
        request_id = await bot.db.fetchval(
            "SELECT max(id) FROM mentor_requests WHERE mentee_id = ?", (mentee.id,)
        )
        if refused or request_id is None:
            continue
        await judge(
            simcord_env,
            reported,
            f"mentor claims #{request_id}",
            partial(
                world.mentor.slash,
                world.general,
                "mentor-tools claim",
                request=request_id,
            ),
        )
    await bot.scheduler.cancel_prefix("extwatch:")
    await simcord_env.advance_time(14 * DAY + 60)
    await simcord_env.settle()
    checkins = [
        message
        for thread in world.mentorship.threads
        for message in thread.history()
        if any(
            str(getattr(child, "custom_id", "")).startswith(
                "pallets:mentorship:checkin:"
            )
            for row in message.components
            for child in getattr(row, "children", ())
        )
    ]
    assert checkins, "no check-in was posted"
    clicks = 0
    for n, checkin in enumerate(checkins):
        pairing = await bot.db.fetchone(
            "SELECT mentee_id, mentor_id FROM mentor_pairings WHERE thread_id = ?",
            (checkin.channel.id,),
        )
        assert pairing is not None
        members = {m.id: m for m in world.members().values()}
        # Only the pair sees their private thread (test_permissions proves it).
        for who in (pairing["mentee_id"], pairing["mentor_id"]):
            member = members[who]
            set_member_locale(member, LOCALES[(n + clicks) % len(LOCALES)])
            for label in ("Need help", "Need help", "Going well"):
                result, refused = await judge(
                    simcord_env,
                    reported,
                    f"{member.name} clicks {label!r}",
                    partial(member.click, checkin, label=label),
                )
                clicks += 1
                assert result.ephemeral and not refused
    assert clicks == 2 * 3 * len(checkins)
    alerts = [m for m in world.log.history() if "needs help" in (m.content or "")]
    # Once per member who needs help, however often they press it.
    assert len(alerts) == 2 * len(checkins)
    goals = await bot.db.fetchall("SELECT goal FROM mentor_requests")
    for alert in alerts:
        assert not any(row["goal"] in alert.content for row in goals)


async def test_a_right_to_left_override_in_a_topic_cannot_fake_the_agenda(
    simcord_env: simcord.Env, world: World
) -> None:
    """A topic ending in an unbalanced right-to-left override was put in the agenda
    as typed: the override ran on over the vote count after it (": 0 votes" shown
    reversed, or another number made to look like it). The member's text is now
    isolated, and every agenda line closes what it opens."""
    from bot.safety import balance_bidi
    from bot.safety import FSI
    from bot.safety import PDI
    from tests.cogs.chats.test_cog import announcement
    from tests.cogs.chats.test_cog import create_series

    await create_series(world, week="1")  # the chat is on 01-01: opened at once
    await simcord_env.settle()
    await world.alice.slash(world.general, "chat propose", title="Blueprints \u202e01")
    await world.bob.slash(world.general, "chat propose", title="\u2067Async views")
    embed = announcement(world).embeds[0]
    (agenda,) = [f.value or "" for f in embed.fields if f.name == "Agenda"]
    lines = [line for line in agenda.splitlines() if line[:1].isdigit()]
    assert len(lines) == 2, agenda
    for line in lines:
        assert balance_bidi(line) == line, repr(line)  # nothing left open
        member = line[line.index(FSI) : line.rindex(PDI) + 1]
        assert balance_bidi(member) == member, repr(line)
        assert line.endswith(": 0 votes"), repr(line)
