from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from hypothesis import given
from hypothesis import strategies as st
from simcord.http import router

from bot import create_bot
from bot import PalletsBot
from bot import Settings
from bot.clock import utcnow
from bot.devtools.testing import post_question
from bot.devtools.testing import World
from bot.outbox import nonce_for
from bot.outbox import NONCE_LENGTH
from bot.scheduler import Job
from tests.reliability._discord import Fidelity
from tests.reliability._discord import restore
from tests.reliability._discord import snapshot


@given(st.text(max_size=500))
def test_nonce_is_stable_and_short_enough_for_discord(key: str) -> None:
    assert nonce_for(key) == nonce_for(key)
    assert 0 < len(nonce_for(key)) <= NONCE_LENGTH


def test_different_keys_get_different_nonces() -> None:
    assert nonce_for("chats:reminder:1:24h") != nonce_for("chats:reminder:1:1h")


async def test_send_with_the_same_key_posts_once(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    first = await simcord_bot.outbox.send(
        "k1", world.general.id, guild_id=world.guild.id, content="hello"
    )
    second = await simcord_bot.outbox.send(
        "k1", world.general.id, guild_id=world.guild.id, content="hello"
    )
    assert first.fresh and not second.fresh
    assert first.message_id == second.message_id
    assert [m.content for m in world.general.history()] == ["hello"]


async def test_a_resend_after_a_crash_reuses_the_nonce(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    # The first attempt reaches Discord but the bot dies before recording it:
    # the row stays pending and the retry carries the same nonce.
    simcord_env.inject_error(
        "POST", f"/channels/{world.general.id}/messages", status=502
    )
    try:
        await simcord_bot.outbox.send(
            "k2", world.general.id, guild_id=world.guild.id, content="hi"
        )
    except Exception:  # noqa: BLE001 - the injected 502
        pass
    await simcord_bot.outbox.send(
        "k2", world.general.id, guild_id=world.guild.id, content="hi"
    )
    posts = [
        entry.json
        for entry in simcord_env.http_requests
        if entry.method == "POST"
        and entry.path == f"/channels/{world.general.id}/messages"
        and isinstance(entry.json, dict)
    ]
    assert len(posts) == 2
    assert {post["nonce"] for post in posts} == {nonce_for("k2")}
    assert all(post["enforce_nonce"] for post in posts)


async def test_closed_dms_are_recorded_not_retried(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    simcord_env.inject_error("POST", "/channels/*/messages", status=403, code=50007)
    delivery = await simcord_bot.outbox.send_dm(
        "dm1", world.alice.id, guild_id=world.guild.id, content="psst"
    )
    assert delivery.failed is not None and not delivery.sent
    again = await simcord_bot.outbox.send_dm(
        "dm1", world.alice.id, guild_id=world.guild.id, content="psst"
    )
    assert again.failed is not None
    status = await simcord_bot.outbox.status("dm1")
    assert status is not None and status.failed


# -- past Discord's nonce window -------------------------------------------------------------
KIND = "test.announce"


def install_announce(bot: PalletsBot) -> None:
    """A job kind that posts its payload's text through the outbox (or DMs it)."""

    async def announce(job: Job) -> None:
        if "user_id" in job.payload:
            await bot.outbox.send_dm(
                f"test:dm:{job.key}",
                job.payload["user_id"],
                guild_id=job.guild_id,
                content=job.payload["text"],
            )
            return
        await bot.outbox.send(
            f"test:announce:{job.key}",
            job.payload["channel_id"],
            guild_id=job.guild_id,
            content=job.payload["text"],
        )

    bot.scheduler.register(KIND, announce, catch_up=timedelta(days=1))


async def restart(env: simcord.Env, settings: Settings) -> PalletsBot:
    old = env.bot
    assert isinstance(old, PalletsBot)
    await env.settle()
    await old.stop_services()
    new = create_bot(settings)
    install_announce(new)
    await env.restart_bot(new)
    await env.settle()
    return new


@pytest.fixture
def discord_fidelity(monkeypatch: pytest.MonkeyPatch) -> Fidelity:
    return Fidelity().install(monkeypatch)


async def test_a_post_discord_kept_but_answered_502_is_not_posted_again_later(
    simcord_env: simcord.Env,
    world: World,
    simcord_bot: PalletsBot,
    discord_fidelity: Fidelity,
) -> None:
    """Discord stores the post but answers 502; the next tries get 503. The tries
    come at +30, +90, +210 and +450 s, the last past Discord's nonce window: the bot
    looks in the channel first, finds its post and records it."""
    install_announce(simcord_bot)
    path = f"/channels/{world.general.id}/messages"
    discord_fidelity.lose_answers("POST", path, times=1, status=502)
    await simcord_bot.schedule(
        KIND,
        "a1",
        utcnow() + timedelta(minutes=1),
        guild_id=world.guild.id,
        payload={"channel_id": world.general.id, "text": "chat at 17:00"},
    )
    await simcord_env.advance_time(61)
    simcord_env.inject_error("POST", path, status=503, times=3)
    await simcord_env.advance_time(3600)
    assert [m.content for m in world.general.history()] == ["chat at 17:00"]
    assert discord_fidelity.doubles == []
    status = await simcord_bot.outbox.status("test:announce:a1")
    assert status is not None and status.sent and status.adopted
    job = await simcord_bot.scheduler.get("a1")
    assert job is not None and job["state"] == "done"


@pytest.mark.parametrize("down_minutes", [0, 1, 40, 24 * 60])
@pytest.mark.parametrize("to", ["channel", "dm"])
async def test_a_crash_after_discord_kept_the_post_never_doubles_it(
    simcord_env: simcord.Env,
    world: World,
    simcord_bot: PalletsBot,
    settings: Settings,
    discord_fidelity: Fidelity,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    down_minutes: int,
    to: str,
) -> None:
    """The bot dies after Discord stored the post and before the commit, and comes
    back after a while (a host reboot): within the nonce window Discord answers the
    resend with the first post; past it, the bot finds its post in the channel."""
    install_announce(simcord_bot)
    target = {"user_id": world.alice.id} if to == "dm" else {}
    await simcord_bot.schedule(
        KIND,
        "a1",
        utcnow() + timedelta(minutes=1),
        guild_id=world.guild.id,
        payload={"channel_id": world.general.id, "text": "chat at 17:00", **target},
    )
    killed = tmp_path / "killed.sqlite3"
    original = discord_fidelity._dispatch

    def dispatch(backend: Any, method: str, path: str, **kwargs: Any) -> Any:
        result = original(backend, method, path, **kwargs)
        if method == "POST" and path.endswith("/messages") and not killed.exists():
            snapshot(settings.database_path, killed)  # Discord has it; the bot not
        return result

    monkeypatch.setattr(router, "dispatch", dispatch)
    await simcord_env.advance_time(61)
    assert killed.exists()
    await simcord_bot.stop_services()
    restore(killed, settings.database_path)
    await simcord_env.advance_time(down_minutes * 60)
    bot = await restart(simcord_env, settings)
    await simcord_env.advance_time(600)
    channel = world.alice.user.dm_channel if to == "dm" else world.general
    assert [m.content for m in channel.history()] == ["chat at 17:00"]
    assert discord_fidelity.doubles == []
    key = f"test:{'dm' if to == 'dm' else 'announce'}:a1"
    status = await bot.outbox.status(key)
    assert status is not None and status.sent


async def test_a_members_send_that_hits_a_502_is_sent_later_not_left_pending(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    """A send a member's action made (the checklist reply to a new question) that
    meets Discord trouble is finished by the outbox, once; never left pending."""
    simcord_env.inject_error("POST", "/channels/*/messages", status=502, times=1)
    thread = await post_question(world, world.alice, "Blueprint import error", "Hi")
    me = simcord_bot.user
    assert me is not None
    assert [m for m in thread.history() if m.author.id == me.id] == []
    await simcord_env.advance_time(120)
    replies = [m for m in thread.history() if m.author.id == me.id]
    assert len(replies) == 1
    pending = await simcord_bot.db.fetchval(
        "SELECT count(*) FROM outbox WHERE state = 'pending'"
    )
    assert pending == 0
    (state,) = await simcord_bot.db.fetchall(
        "SELECT state FROM outbox WHERE key LIKE 'triage:checklist:%'"
    )
    assert state["state"] == "sent"


async def test_a_members_send_that_keeps_failing_ends_failed_with_the_reason(
    simcord_env: simcord.Env, world: World, simcord_bot: PalletsBot
) -> None:
    simcord_env.inject_error("POST", "/channels/*/messages", status=503, times=None)
    await post_question(world, world.alice, "Blueprint import error", "Hi")
    await simcord_env.advance_time(3 * 3600)
    rows = await simcord_bot.db.fetchall(
        "SELECT state, last_error FROM outbox WHERE key LIKE 'triage:checklist:%'"
    )
    assert [(r["state"], "503" in r["last_error"]) for r in rows] == [("failed", True)]


async def test_an_event_whose_answer_was_lost_is_found_not_made_twice(
    simcord_env: simcord.Env,
    world: World,
    simcord_bot: PalletsBot,
    discord_fidelity: Fidelity,
) -> None:
    """Scheduled events have no nonce: a retry after a lost answer looks for the
    event first (by name, start and creator) and records it."""
    start = utcnow() + timedelta(days=3)
    calls = 0

    async def make_event(job: Job) -> None:
        nonlocal calls
        calls += 1
        guild = simcord_bot.get_guild(world.guild.id)
        assert guild is not None
        await simcord_bot.outbox.create_event(
            "test:event:1",
            guild,
            name="Flask sprint",
            start_time=start,
            end_time=start + timedelta(hours=2),
            entity_type=discord.EntityType.external,
            location="Lyon",
            privacy_level=discord.PrivacyLevel.guild_only,
        )

    simcord_bot.scheduler.register("test.event", make_event)
    discord_fidelity.lose_answers(
        "POST", f"/guilds/{world.guild.id}/scheduled-events", times=1
    )
    await simcord_bot.schedule(
        "test.event", "e1", utcnow() + timedelta(minutes=1), guild_id=world.guild.id
    )
    await simcord_env.advance_time(600)
    events = simcord_env.backend.get_guild(world.guild.id).scheduled_events.values()
    assert [e.name for e in events] == ["Flask sprint"]
    assert calls == 2
    status = await simcord_bot.outbox.status("test:event:1")
    assert status is not None and status.adopted
    assert status.message_id == next(iter(events)).id


async def test_a_thread_whose_answer_was_lost_is_found_not_made_twice(
    simcord_env: simcord.Env,
    world: World,
    simcord_bot: PalletsBot,
    discord_fidelity: Fidelity,
) -> None:
    async def make_thread(job: Job) -> None:
        channel = simcord_bot.get_channel(world.mentorship.id)
        assert isinstance(channel, discord.TextChannel)
        await simcord_bot.outbox.create_thread(
            "test:thread:1", channel, name="alice and maya", private=True
        )

    simcord_bot.scheduler.register("test.thread", make_thread)
    discord_fidelity.lose_answers("POST", f"/channels/{world.mentorship.id}/threads")
    await simcord_bot.schedule(
        "test.thread", "t1", utcnow() + timedelta(minutes=1), guild_id=world.guild.id
    )
    await simcord_env.advance_time(600)
    threads = [
        c
        for c in simcord_env.backend.channels.values()
        if c.parent_id == world.mentorship.id
    ]
    assert [t.name for t in threads] == ["alice and maya"]
    status = await simcord_bot.outbox.status("test:thread:1")
    assert status is not None and status.adopted and status.message_id == threads[0].id
