"""The public pages over HTTP: off until turned on, languages, caching, limits."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from typing import cast

import aiohttp
import discord
import pytest
import simcord
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.devtools import testing
from bot.devtools.testing import open_event_form
from bot.devtools.testing import World
from bot.pages import server
from bot.pages.server import render_page
from tests.pages.conftest import base_url
from tests.pages.conftest import bot_of
from tests.pages.conftest import get
from tests.pages.conftest import populate
from tests.pages.conftest import publish_event


async def test_pages_are_404_until_an_organiser_turns_them_on(
    simcord_env: simcord.Env, world: World
) -> None:
    home = f"/{world.guild.id}/"
    off = await get(simcord_env, home)
    unknown = await get(simcord_env, "/123456789012345678/")
    too_big = await get(simcord_env, "/99999999999999999999/upcoming")
    assert off.status == unknown.status == too_big.status == 404
    # A server that has not published looks exactly like one the bot is not in.
    assert off.text == unknown.text
    assert (await get(simcord_env, "/")).text.count("<li>") == 0

    result = await world.admin.slash(world.general, "setup pages", enabled=True)
    assert result.response is not None
    assert f"https://community.example.org/{world.guild.id}/" in (
        result.response.content or ""
    )
    on = await get(simcord_env, home)
    assert on.status == 200
    assert on.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Pallets community</h1>" in on.text
    # The one server with pages is where the front door leads.
    front = await get(simcord_env, "/")
    assert front.status == 302 and front.headers["Location"] == home
    assert (await get(simcord_env, f"/{world.guild.id}")).headers["Location"] == home

    await world.admin.slash(world.general, "setup pages", enabled=False)
    assert (await get(simcord_env, home)).status == 404


async def test_setup_pages_needs_a_choice_and_manage_server(
    simcord_env: simcord.Env, world: World
) -> None:
    refused = await world.admin.slash(world.general, "setup pages")
    assert refused.response is not None
    assert "enabled, questions or search_engines" in (refused.response.content or "")
    assert "setup" not in " ".join(world.alice.available_commands(world.general))
    shown = await world.admin.slash(world.general, "setup show")
    assert shown.response is not None
    assert "Public pages: off. Solved questions: off." in (shown.response.content or "")


async def test_upcoming_lists_published_chats_and_events_with_links_and_feed(
    simcord_env: simcord.Env, world: World
) -> None:
    await populate(simcord_env, world)
    page = await get(simcord_env, f"/{world.guild.id}/upcoming")
    assert page.status == 200
    assert "FlaskCon sprint" in page.text and "Flask chat" in page.text
    assert "Community chat" in page.text and "Sprint" in page.text
    # Server-rendered UTC inside <time datetime>, for the script to make local.
    # (Babel puts a narrow no-break space before "PM".)
    assert (
        '<time datetime="2026-03-10T17:00:00Z">Tue Mar 10, 2026, 5:00\u202fPM UTC</time>'
        in page.text
    )
    # Into Discord (the event's announcement), and the calendar to subscribe to.
    assert f"https://discord.com/channels/{world.guild.id}/{world.events.id}/" in (
        page.text
    )
    feed = f"community.example.org/calendar/{world.guild.id}.ics"
    assert f'href="webcal://{feed}"' in page.text
    assert f'href="https://{feed}"' in page.text
    assert '<script src="/static/local-time.js?v=' in page.text


async def test_a_draft_event_stays_off_the_pages(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    shown = await open_event_form(world)
    preview = await testing.submit_event_form(
        world.organiser,
        shown,
        {
            "title": "DRAFT-only sprint",
            "description": "Not yet",
            "start": "2026-03-10 18:00",
            "end": "2026-03-10 21:00",
            "location": "Lyon",
        },
    )
    assert preview.response is not None
    page = await get(simcord_env, f"/{world.guild.id}/upcoming")
    assert "DRAFT-only" not in page.text
    assert "Nothing is planned yet." in page.text


async def test_caching_headers_and_304s(simcord_env: simcord.Env, world: World) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    await world.admin.slash(world.general, "setup calendar", enabled=True)
    path = f"/{world.guild.id}/upcoming"
    first = await get(simcord_env, path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert modified == "Thu, 01 Jan 2026 00:00:00 GMT"
    assert first.headers["Cache-Control"] == "public, no-cache"

    again = await get(simcord_env, path, **{"If-None-Match": etag})
    assert again.status == 304 and again.text == ""
    assert again.headers["ETag"] == etag
    since = await get(simcord_env, path, **{"If-Modified-Since": modified})
    assert since.status == 304
    # If-None-Match wins: a stale tag gets the page even with a fresh date.
    stale = await get(
        simcord_env,
        path,
        **{"If-None-Match": '"stale"', "If-Modified-Since": modified},
    )
    assert stale.status == 200

    # Something new: a new body, a new tag, a later date.
    await simcord_env.advance_time(3600)
    await publish_event(world)
    changed = await get(simcord_env, path, **{"If-None-Match": etag})
    assert changed.status == 200 and "FlaskCon sprint" in changed.text
    assert changed.headers["ETag"] != etag
    assert changed.headers["Last-Modified"] == "Thu, 01 Jan 2026 01:00:00 GMT"

    # The calendar feed answers conditional polls the same way.
    feed = f"/calendar/{world.guild.id}.ics"
    ics = await get(simcord_env, feed)
    assert ics.status == 200 and "FlaskCon sprint" in ics.text
    polled = await get(simcord_env, feed, **{"If-None-Match": ics.headers["ETag"]})
    assert polled.status == 304
    assert ics.headers["Cache-Control"] == "public, max-age=300"

    css = await get(simcord_env, "/static/pages.css")
    assert css.status == 200
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in css.headers["Cache-Control"]
    assert (await get(simcord_env, "/static/../app.py")).status == 404


async def test_the_servers_language_by_default_and_a_switch_to_each_catalogue(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    await world.admin.slash(world.general, "setup language", language="de")
    home = f"/{world.guild.id}/"
    german = await get(simcord_env, home)
    assert '<html lang="de">' in german.text
    assert "Demnächst" in german.text  # "Coming up"
    # Every catalogue in the switch, each named in itself; the server's has no lang=.
    for name in ("English", "Deutsch", "Español", "Français", "Português (Brasil)"):
        assert f">{name}</a>" in german.text
    assert f'href="{home}?lang=pt_BR" lang="pt-BR"' in german.text
    assert f'href="{home}" lang="de"' in german.text

    french = await get(simcord_env, home + "?lang=fr")
    assert '<html lang="fr">' in french.text
    # Links keep the reader's language.
    assert f'href="/{world.guild.id}/upcoming?lang=fr"' in french.text
    # An unknown language is the server's.
    assert '<html lang="de">' in (await get(simcord_env, home + "?lang=xx")).text


async def test_noindex_until_the_organiser_lets_search_engines_in(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    home = f"/{world.guild.id}/"
    hidden = await get(simcord_env, home)
    assert '<meta name="robots" content="noindex">' in hidden.text
    assert hidden.headers["X-Robots-Tag"] == "noindex"
    await world.admin.slash(world.general, "setup pages", search_engines=True)
    shown = await get(simcord_env, home)
    assert "noindex" not in shown.text and "X-Robots-Tag" not in shown.headers
    robots = await get(simcord_env, "/robots.txt")
    assert (
        "Disallow: /metrics" in robots.text and f"/{world.guild.id}" not in robots.text
    )


async def test_every_page_is_locked_down_by_headers(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    page = await get(simcord_env, f"/{world.guild.id}/upcoming")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"


async def test_requests_are_bounded(simcord_env: simcord.Env, world: World) -> None:
    await populate(simcord_env, world)
    url = base_url(simcord_env) + f"/{world.guild.id}/questions"
    async with aiohttp.ClientSession() as session:
        # Only GETs, and no body.
        async with session.post(url, data=b"x" * 10) as response:
            assert response.status == 405
        # A search is read up to 200 characters.
        async with session.get(url, params={"q": "blueprint " + "a" * 5000}) as r:
            text = await r.text()
            assert r.status == 200
            assert 'value="blueprint ' + "a" * 190 + '"' in text
            assert "a" * 200 not in text
        # Oversized header lines are refused before any page runs.
        async with session.get(url, headers={"X-Long": "a" * 9000}) as response:
            assert response.status in (400, 431)
    long_path = await get(simcord_env, f"/{world.guild.id}/" + "a/" * 200)
    assert long_path.status == 404


async def test_a_page_that_takes_too_long_gets_a_503(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the real clock (simcord's stands still while a page waits)."""
    started = asyncio.Event()

    async def stuck(*args: object) -> object:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("never")

    monkeypatch.setattr(server, "render_page", stuck)
    monkeypatch.setattr(server, "RENDER_TIMEOUT", 0.05)
    app = web.Application()
    server.install(app, cast(Any, object()))
    async with TestServer(app) as test_server:
        async with aiohttp.ClientSession() as session:
            async with session.get(test_server.make_url("/123/questions")) as response:
                assert response.status == 503
                assert "taking too long" in await response.text()
    assert started.is_set()


async def test_the_server_binds_to_loopback_unless_configured(
    simcord_env: simcord.Env, world: World
) -> None:
    web = bot_of(simcord_env).web
    assert web is not None and web._runner is not None
    assert {address[0] for address in web._runner.addresses} == {"127.0.0.1"}


async def test_render_page_is_the_benchmarks_entry_point(
    simcord_env: simcord.Env, world: World
) -> None:
    await populate(simcord_env, world)
    bot = bot_of(simcord_env)
    for path in ("", "upcoming", "questions", "questions?q=blueprint"):
        page, _, query = path.partition("?")
        rendered = await render_page(
            bot, world.guild.id, page, dict([query.split("=")]) if query else {}
        )
        assert rendered.status == 200, path
        assert rendered.body.startswith(b"<!doctype html>")
    missing = await render_page(bot, world.guild.id, "nothing-here", {})
    assert missing.status == 404


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
async def test_operations_endpoints_are_unchanged(
    simcord_env: simcord.Env, world: World, path: str
) -> None:
    assert (await get(simcord_env, path)).status == 200


async def test_pages_and_the_feed_render_once_until_their_data_changes(
    simcord_env: simcord.Env, world: World
) -> None:
    data = await populate(simcord_env, world)
    kept = bot_of(simcord_env).pages.rendered
    paths = [
        f"/{world.guild.id}/upcoming",
        f"/{world.guild.id}/questions/{data.question_id}",
        f"/calendar/{world.guild.id}.ics",
    ]
    first = [await get(simcord_env, path) for path in paths]
    renders = kept.renders
    again = [await get(simcord_env, path) for path in paths]
    assert kept.renders == renders  # all three served as they were kept
    assert [a.text for a in again] == [f.text for f in first]
    assert [a.headers["ETag"] for a in again] == [f.headers["ETag"] for f in first]

    # A member's removal is a database write: the next view renders again.
    await world.alice.slash(world.general, "pages remove")
    assert (await get(simcord_env, paths[1])).status == 404
    await world.alice.slash(world.general, "pages restore")
    assert (await get(simcord_env, paths[1])).status == 200
    # The forum turning private writes nothing to the database, and shows at once.
    guild = bot_of(simcord_env).get_guild(world.guild.id)
    assert guild is not None
    forum = guild.get_channel(world.questions.id)
    assert isinstance(forum, discord.ForumChannel)
    await forum.set_permissions(guild.default_role, view_channel=False)
    await simcord_env.settle()
    assert (await get(simcord_env, paths[1])).status == 404
