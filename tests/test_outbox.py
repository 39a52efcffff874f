from __future__ import annotations

import simcord
from hypothesis import given
from hypothesis import strategies as st

from bot import PalletsBot
from bot.devtools.testing import World
from bot.outbox import nonce_for
from bot.outbox import NONCE_LENGTH


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
