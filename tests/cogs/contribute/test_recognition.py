"""The monthly thanks: from the bot's own records, opt-out respected, and silent
when there is nobody to thank."""

from __future__ import annotations

from datetime import datetime
from datetime import UTC

import simcord

from bot.clock import now_ts
from bot.clock import to_ts
from bot.clock import utcnow
from bot.devtools.testing import World

DAY = 86400


def posts(world: World) -> list[str]:
    return [m.content for m in world.announcements.history() if m.content]


async def done_task(world: World, member: simcord.MemberActor, n: int) -> None:
    await world.mentor.slash(
        world.general,
        "contribute-mentor task post",
        title=f"Review the README of Flask-Mail ({n})",
        description="Read it as a newcomer would; list what is unclear.",
        kind="review",
    )
    await member.slash(world.general, "contribute task claim", task=str(n))
    await member.slash(
        world.general,
        "contribute task submit",
        task=str(n),
        link="https://example.org/notes",
    )
    await world.mentor.slash(
        world.general, "contribute task review", task=str(n), decision="accept"
    )


async def seed_other_jobs(env: simcord.Env, world: World) -> None:
    """A question solved, a mentee taken and extensions cared for, as those jobs
    record them."""
    db = env.bot.db  # type: ignore[attr-defined]
    at = now_ts() + 4 * DAY
    await db.execute(
        "INSERT INTO triage_questions (thread_id, guild_id, forum_id, author_id, "
        "title, state, created_at, last_asker_at, last_activity_at, solved_at, "
        "helper_id) VALUES (1, ?, ?, ?, 'Blueprint 404', 'solved', ?, ?, ?, ?, ?)",
        (
            world.guild.id,
            world.questions.id,
            world.carol.id,
            at,
            at,
            at,
            at + 60,
            world.helper.id,
        ),
    )
    await db.execute(
        "INSERT INTO mentor_requests (id, guild_id, mentee_id, topics, goal, "
        "timezone, languages, state, created_at) VALUES (1, ?, ?, 'flask', 'learn', "
        "'UTC', 'en', 'claimed', ?)",
        (world.guild.id, world.carol.id, at),
    )
    await db.execute(
        "INSERT INTO mentor_pairings (guild_id, request_id, mentor_id, mentee_id, "
        "claimed_at) VALUES (?, 1, ?, ?, ?)",
        (world.guild.id, world.mentor2.id, world.carol.id, at),
    )
    # Carol takes on two extensions; she stepped down from a third in November.
    for package, since, left in (
        ("flask-mail", at, None),
        ("flask-caching", at + DAY, None),
        ("flask-login", at - 60 * DAY, at - 40 * DAY),
    ):
        await db.execute(
            "INSERT INTO ext_caretakers (guild_id, package, user_id, role, since, "
            "left_at) VALUES (?, ?, ?, 'maintainer', ?, ?)",
            (world.guild.id, package, world.carol.id, since, left),
        )


async def test_monthly_thanks_names_who_helped_and_respects_opt_out(
    simcord_env: simcord.Env, world: World
) -> None:
    await done_task(world, world.alice, 1)
    await done_task(world, world.bob, 2)
    await world.bob.slash(world.general, "contribute thanks", public=False)
    await seed_other_jobs(simcord_env, world)

    # The first of January thanks December, when nothing happened: no post.
    await simcord_env.advance_time(16 * 3600)
    assert posts(world) == []

    february = datetime(2026, 2, 1, 15, 1, tzinfo=UTC)
    await simcord_env.advance_time(to_ts(february) - to_ts(utcnow()))
    (post,) = posts(world)
    assert "January 2026" in post
    assert f"<@{world.alice.id}> completed 1 task" in post
    assert f"<@{world.mentor.id}> mentored 2 people" in post
    assert f"<@{world.helper.id}> solved 1 question" in post
    assert f"<@{world.mentor2.id}> mentored 1 person" in post
    assert f"<@{world.carol.id}> cared for 2 extensions" in post
    assert f"<@{world.bob.id}>" not in post
    # Nobody is pinged by a thank-you.
    sent = [
        e.json
        for e in simcord_env.http_requests
        if e.method == "POST"
        and isinstance(e.json, dict)
        and e.json.get("content") == post
    ]
    assert sent and sent[0]["allowed_mentions"]["parse"] == []


async def test_no_post_when_there_is_nobody_to_thank(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.alice.slash(world.general, "contribute thanks", public=True)
    await world.mentor.slash(
        world.general,
        "contribute-mentor task post",
        title="Triage ten questions",
        description="Tag and answer or route ten open questions.",
        kind="triage",
    )
    march = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    await simcord_env.advance_time(to_ts(march) - to_ts(utcnow()))
    assert posts(world) == []
