"""The HTTP endpoints, called over real loopback sockets during a simcord run."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import icalendar
import pytest
import simcord
from prometheus_client.parser import text_string_to_metric_families

from bot import calendar
from bot import web
from bot.app import PalletsBot
from bot.calendar import CalendarEntry
from bot.clock import utcnow
from bot.devtools import testing
from bot.devtools.testing import World
from bot.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return testing.test_settings(tmp_path, http_port=0)


def base_url(env: simcord.Env) -> str:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    assert bot.web is not None and bot.web.port
    return f"http://127.0.0.1:{bot.web.port}"


async def get(env: simcord.Env, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(base_url(env) + path) as response:
            return response.status, response.content_type, await response.text()


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


async def set_query_only(bot: PalletsBot, on: bool) -> None:
    writer = bot.db._writer  # noqa: SLF001 - the test stands in for a failing disk
    assert writer is not None
    await writer.execute(f"PRAGMA query_only = {int(on)}")


async def test_health_is_ok_then_names_the_database_when_unwritable(
    simcord_env: simcord.Env, world: World
) -> None:
    status, content_type, body = await get(simcord_env, "/healthz")
    assert status == 200, body
    assert content_type == "application/json"
    assert '"failing": []' in body

    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    # As if the disk went read-only: every write is refused (seen at the next
    # probe: a good result is trusted for DB_PROBE_SECONDS).
    await set_query_only(bot, True)
    await simcord_env.advance_time(web.DB_PROBE_SECONDS)
    status, _, body = await get(simcord_env, "/healthz")
    assert status == 503
    assert '"failing": ["database"]' in body
    assert "readonly" in body

    await set_query_only(bot, False)
    status, _, body = await get(simcord_env, "/healthz")
    assert status == 200, body


async def test_health_names_a_stopped_scheduler(
    simcord_env: simcord.Env, world: World
) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    await bot.scheduler.shutdown()
    status, _, body = await get(simcord_env, "/healthz")
    assert status == 503
    assert '"failing": ["scheduler"]' in body


async def test_metrics_parse_and_count_commands_and_refusals(
    simcord_env: simcord.Env, world: World
) -> None:
    status, content_type, before_text = await get(simcord_env, "/metrics")
    assert status == 200
    assert content_type == "text/plain"
    before = metric_values(before_text)
    runs = ("pallets_commands_total", (("command", "setup show"),))
    refused = (
        "pallets_command_failures_total",
        (("command", "setup channels"), ("outcome", "refused")),
    )
    answered = ("pallets_interaction_response_seconds_count", ())
    assert runs not in before
    assert before[("pallets_database_size_bytes", ())] > 0

    await world.admin.slash(world.general, "setup show")
    await world.admin.slash(world.general, "setup show")
    # No channel named: refused, ephemeral.
    result = await world.admin.slash(world.general, "setup channels")
    assert result.ephemeral

    after = metric_values((await get(simcord_env, "/metrics"))[2])
    assert after[runs] == 2
    assert after[refused] == 1
    assert after[answered] == before[answered] + 3
    # The /setup commands of the world fixture ran too.
    assert after[("pallets_commands_total", (("command", "setup roles"),))] == 1
    assert after[("pallets_commands_total", (("command", "setup channels"),))] == 2


async def test_metrics_count_discord_http_errors_by_status(
    simcord_env: simcord.Env, world: World
) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    simcord_env.inject_error("POST", f"/channels/{world.log.id}/messages", status=403)
    await bot.notices.post(world.guild.id, "hello")
    values = metric_values((await get(simcord_env, "/metrics"))[2])
    assert values[("pallets_discord_http_errors_total", (("status", "403"),))] == 1


async def test_metrics_read_scheduler_and_outbox_counters(
    simcord_env: simcord.Env, world: World
) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    fired: list[str] = []

    async def handler(job: object) -> None:
        fired.append("yes")

    bot.scheduler.register("ops.test", handler)
    # Other jobs' cogs may have work pending of their own: compare, don't count.
    before = metric_values((await get(simcord_env, "/metrics"))[2])
    pending = before[("pallets_jobs_pending", ())]
    sends = before[("pallets_outbox_sends_total", ())]
    await bot.schedule(
        "ops.test", "ops:test:1", utcnow() + timedelta(minutes=5), guild_id=None
    )
    values = metric_values((await get(simcord_env, "/metrics"))[2])
    assert values[("pallets_jobs_pending", ())] == pending + 1
    await bot.outbox.send(
        "ops:test:send", world.general.id, guild_id=world.guild.id, content="hi"
    )

    await simcord_env.advance_time(600)
    values = metric_values((await get(simcord_env, "/metrics"))[2])
    assert fired == ["yes"]
    assert values[("pallets_jobs_pending", ())] <= pending
    assert values[("pallets_jobs_fired_total", (("kind", "ops.test"),))] == 1
    assert values[("pallets_outbox_sends_total", ())] == sends + 1
    assert ("pallets_outbox_retries_total", ()) in values


@pytest.fixture
def test_source(simcord_env: simcord.Env) -> Iterator[dict[int, list[CalendarEntry]]]:
    entries: dict[int, list[CalendarEntry]] = {}

    async def source(bot: PalletsBot, guild_id: int) -> list[CalendarEntry]:
        return list(entries.get(guild_id, []))

    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    bot.calendar_sources.register("ops-test", source)
    try:
        yield entries
    finally:
        bot.calendar_sources.unregister("ops-test")


async def test_calendar_feed_is_404_until_enabled_then_follows_changes(
    simcord_env: simcord.Env,
    world: World,
    test_source: dict[int, list[CalendarEntry]],
) -> None:
    start = utcnow() + timedelta(days=2)
    uid = calendar.make_uid("test", 1, world.guild.id)
    test_source[world.guild.id] = [
        CalendarEntry(uid, "Flask chat", start, start + timedelta(hours=1))
    ]
    path = f"/calendar/{world.guild.id}.ics"
    assert (await get(simcord_env, path))[0] == 404

    result = await world.admin.slash(world.general, "setup calendar", enabled=True)
    assert result.response is not None
    assert path in (result.response.content or "")
    status, content_type, body = await get(simcord_env, path)
    assert status == 200
    assert content_type == "text/calendar"
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert [(str(e["uid"]), str(e["summary"]), str(e["status"])) for e in events] == [
        (uid, "Flask chat", "CONFIRMED")
    ]

    test_source[world.guild.id] = [
        CalendarEntry(
            uid,
            "Flask chat (moved)",
            start + timedelta(hours=3),
            start + timedelta(hours=4),
            cancelled=True,
            sequence=1,
        )
    ]
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    bot.calendar_sources.changed()  # the test's entries are not in the database
    events = icalendar.Calendar.from_ical((await get(simcord_env, path))[2]).walk(
        "VEVENT"
    )
    assert len(events) == 1
    assert str(events[0]["uid"]) == uid
    assert str(events[0]["summary"]) == "Flask chat (moved)"
    assert str(events[0]["status"]) == "CANCELLED"
    assert events[0].decoded("dtstart") == start + timedelta(hours=3)

    await world.admin.slash(world.general, "setup calendar", enabled=False)
    assert (await get(simcord_env, path))[0] == 404


async def test_calendar_feed_is_404_for_unknown_guilds_and_names(
    simcord_env: simcord.Env, world: World
) -> None:
    assert (await get(simcord_env, "/calendar/12345.ics"))[0] == 404
    assert (await get(simcord_env, "/calendar/abc.ics"))[0] == 404
    assert (await get(simcord_env, f"/calendar/{world.guild.id}"))[0] == 404


async def test_setup_calendar_is_hidden_from_plain_members(
    simcord_env: simcord.Env, world: World
) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    with pytest.raises(simcord.SetupError, match="not visible"):
        await world.alice.slash(world.general, "setup calendar", enabled=True)
    assert not (await bot.guild_config.get(world.guild.id)).calendar_enabled


async def test_http_server_stays_off_without_a_port(tmp_path: Path) -> None:
    from bot.app import create_bot

    bot = create_bot(testing.test_settings(tmp_path))
    env = simcord.Env(bot)
    await env.start()
    try:
        assert bot.web is None
    finally:
        await env.shutdown()
        await bot.stop_services()


async def test_health_probes_the_database_once_for_many_checks(
    simcord_env: simcord.Env, world: World
) -> None:
    """A flood of health checks must not queue a write transaction each behind the
    bot's own writes: one probe, then its good result is trusted for a while."""
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot) and bot.web is not None
    for _ in range(30):
        assert (await get(simcord_env, "/healthz"))[0] == 200
    assert bot.web.probe.probes == 1
    await simcord_env.advance_time(web.DB_PROBE_SECONDS + 1)
    assert (await get(simcord_env, "/healthz"))[0] == 200
    assert bot.web.probe.probes == 2


async def test_health_never_names_where_the_database_lives(
    simcord_env: simcord.Env, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.db import DatabaseReadOnly

    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)

    async def refuse() -> None:
        raise DatabaseReadOnly(
            f"{bot.db.path}: write failed: the database and its directory must be "
            f"writable ({bot.db.path.parent} is not)"
        )

    monkeypatch.setattr(bot.db, "check_writable", refuse)
    status, _, body = await get(simcord_env, "/healthz")
    assert status == 503 and "DatabaseReadOnly" in body
    assert str(bot.db.path.parent) not in body
    assert bot.db.path.name not in body


async def test_calendar_ids_the_bot_does_not_know_cost_nothing(
    simcord_env: simcord.Env, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown ids (a scan, or a 20-digit number beyond SQLite's integers) answer
    404 from memory: no database read, nothing added to any cache."""
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    cached = len(bot.guild_config._cache)  # noqa: SLF001 - the cache must not grow
    reads = 0
    original = bot.db.fetchone

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(bot.db, "fetchone", counting)
    for name in ("99999999999999999999", "18446744073709551615", "0", "1"):
        assert (await get(simcord_env, f"/calendar/{name}.ics"))[0] == 404, name
    for guild_id in range(10**17, 10**17 + 200):
        assert (await get(simcord_env, f"/calendar/{guild_id}.ics"))[0] == 404
    assert reads == 0
    assert len(bot.guild_config._cache) == cached  # noqa: SLF001


async def test_a_client_that_never_finishes_its_headers_is_cut_off(
    simcord_env: simcord.Env, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow client (one header line, then silence) is disconnected after the
    header timeout instead of holding a connection for an hour."""
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    monkeypatch.setattr(web, "HEADER_TIMEOUT", 0.3)  # real seconds: keep it short
    server = web.WebServer(bot)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        await writer.drain()
        try:
            # The server's timer falls back to real time when nothing advances
            # the simulated clock.
            closed = await asyncio.wait_for(reader.read(), 5)
        finally:
            writer.close()
            await writer.wait_closed()
        assert closed == b""  # the server hung up without an answer
    finally:
        await server.stop()
