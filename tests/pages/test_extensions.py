"""Extension health on the public pages: the list, one page each, the feed, JSON.

The extension watch checks the fake ecosystem (PyPI, GitHub and OSV on loopback):
Flask-Security is archived and quiet for years (at risk), Flask-Cors's latest
release has a known vulnerability (at risk), Flask-Login has had no release for 16
months (watch), Flask-SQLAlchemy is healthy.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
import simcord

from bot.devtools.fake_upstream import FakeApis
from bot.devtools.fake_upstream import FakeCommit
from bot.devtools.testing import World
from cogs.extwatch import _queries as q
from tests.cogs.extwatch.conftest import add_caretaker
from tests.pages.conftest import bot_of
from tests.pages.conftest import check_extensions
from tests.pages.conftest import get
from tests.pages.conftest import START

# /ext-admin refresh fetches the whole list (about 70 requests) on loopback while simcord
# waits; under a loaded machine that takes more than the default five real seconds.
pytestmark = pytest.mark.simcord(settle_timeout=60)

DAY = 86400
ATOM = "{http://www.w3.org/2005/Atom}"


def cards(html: str) -> list[str]:
    """The extensions' names in the order the list shows them."""
    return re.findall(r'<h2><a href="/\d+/extensions/[^"]+">([^<]+)</a>', html)


async def test_the_list_shows_each_extensions_health_worst_first_or_by_name(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    root = f"/{world.guild.id}/"
    before = await get(simcord_env, root + "extensions")
    assert before.status == 200
    assert "No extension has been checked yet." in before.text
    assert fake.requests == []  # a page never fetches

    await check_extensions(world)
    page = await get(simcord_env, root + "extensions")
    assert page.status == 200
    names = cards(page.text)
    assert len(names) == len(await q.watched(bot_of(simcord_env).db, world.guild.id))
    # Worst first: the two at risk, then Flask-Login (watch), then the healthy ones.
    assert names[:3] == ["Flask-Cors", "Flask-Security", "Flask-Login"]
    assert '<span class="status status-at_risk">at risk</span> 2' in page.text
    assert "the repository is archived" in page.text
    assert "no release in 78 months" in page.text
    assert "1 known vulnerability</span>" in page.text
    assert "no release in 16 months" in page.text
    assert "Latest release: 3.1.1" in page.text
    assert "Flask&gt;=2.2.5: accepts the current major" in page.text
    # The feed and the data are announced and linked.
    assert f'href="{root}extensions.atom"' in page.text
    assert f'type="application/json" href="{root}extensions.json"' in page.text
    # On the front page and in the navigation.
    home = await get(simcord_env, root)
    assert f'<a href="{root}extensions">Extensions</a>' in home.text

    by_name = cards((await get(simcord_env, root + "extensions?sort=name")).text)
    assert by_name == sorted(names, key=str.lower)
    assert by_name != names

    french = await get(simcord_env, root + "extensions?lang=fr")
    assert "Flask-Cors" in french.text and ">at risk<" not in french.text


async def test_each_extension_has_a_page_with_its_history(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    await check_extensions(world)  # Thursday 1 January: the first statuses
    root = f"/{world.guild.id}/extensions/"

    cors = await get(simcord_env, root + "flask-cors")
    assert cors.status == 200
    assert "<h1>Flask-Cors" in cors.text
    assert "CVE-2024-1681" in cors.text
    assert 'href="https://osv.dev/vulnerability/' in cors.text
    assert 'href="https://github.com/corydolphin/flask-cors"' in cors.text
    assert 'href="https://pypi.org/project/flask-cors/"' in cors.text
    # Any spelling of the name leads to the page.
    assert (await get(simcord_env, root + "Flask_Cors")).status == 200

    sqlalchemy = await get(simcord_env, root + "flask-sqlalchemy")
    # Healthy, though short of caretakers (a pallets-eco extension nobody looks after).
    assert (
        '<h1>Flask-SQLAlchemy <span class="status status-healthy">healthy</span> '
        '<span class="status status-needs_caretakers">'
    ) in sqlalchemy.text
    assert re.search(
        r"Jan 1, 2026</time>:\s*<span class=\"status status-healthy\">",
        (sqlalchemy.text),
    )

    # The repository is archived; the weekly checks (5 and 12 January) see it.
    fake.repo("pallets-eco/flask-sqlalchemy").archived = True
    await simcord_env.advance_time(11 * DAY + 7 * 3600)
    after = await get(simcord_env, root + "flask-sqlalchemy")
    assert '<h1>Flask-SQLAlchemy <span class="status status-at_risk">' in after.text
    history = after.text.split('id="history-heading"')[1]
    assert history.index("healthy → ") < history.index("Jan 1, 2026")
    assert "(the repository is archived)" in history
    assert history.count("<li>") == 2  # the first status, and the one change

    # Not watched (or no such package): the same 404 as any unknown page.
    assert (await get(simcord_env, root + "flask-nothing")).status == 404
    await world.organiser.slash(
        world.general, "ext-admin watch-remove", name="Flask-Cors"
    )
    assert (await get(simcord_env, root + "flask-cors")).status == 404


async def test_the_atom_feed_lists_changes_of_status(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    await check_extensions(world)
    feed_path = f"/{world.guild.id}/extensions.atom"
    first = await get(simcord_env, feed_path)
    assert first.status == 200
    assert first.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert ET.fromstring(first.text).findall(f"{ATOM}entry") == []  # no change yet

    fake.repo("pallets-eco/flask-sqlalchemy").archived = True
    await check_extensions(world)
    answer = await get(simcord_env, feed_path)
    feed = ET.fromstring(answer.text)
    assert feed.findtext(f"{ATOM}title") == "Extension health: Pallets"
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Flask-SQLAlchemy: healthy → at risk"
    assert entry.findtext(f"{ATOM}summary") == "the repository is archived"
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == (
        f"https://community.example.org/{world.guild.id}/extensions/flask-sqlalchemy"
    )
    assert entry.findtext(f"{ATOM}updated") == feed.findtext(f"{ATOM}updated")
    # Feed readers poll cheaply: the same feed is a 304.
    again = await get(
        simcord_env, feed_path, **{"If-None-Match": answer.headers["ETag"]}
    )
    assert again.status == 304


async def test_the_json_endpoint_has_the_same_data(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    await check_extensions(world)
    answer = await get(simcord_env, f"/{world.guild.id}/extensions.json")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(answer.text)
    by_package = {item["package"]: item for item in data["extensions"]}
    assert len(by_package) == len(
        await q.watched(bot_of(simcord_env).db, world.guild.id)
    )
    cors = by_package["flask-cors"]
    assert cors["status"] == "at_risk"
    assert [v["id"] for v in cors["vulnerabilities"]] == ["CVE-2024-1681"]
    assert cors["page"] == (
        f"https://community.example.org/{world.guild.id}/extensions/flask-cors"
    )
    login = by_package["flask-login"]
    assert login["status"] == "watch"
    assert login["reasons"] == ["no release in 16 months"]
    assert login["latest_release"]["version"] == "0.6.3"
    assert login["accepts_current_flask"] is True
    assert by_package["flask-sqlalchemy"]["flask_requirement"] == ">=2.2.5"
    # The status texts follow the language asked for.
    german = json.loads(
        (await get(simcord_env, f"/{world.guild.id}/extensions.json?lang=de")).text
    )
    assert german["language"] == "de"
    assert {item["status"] for item in german["extensions"]} == {
        item["status"] for item in data["extensions"]
    }


async def test_the_list_reads_the_cache_in_bulk_as_status_reads_it_one_by_one(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await check_extensions(world)
    fake.repo("pallets-eco/flask-sqlalchemy").open_issues += 40
    await simcord_env.advance_time(3600)
    await check_extensions(world)  # a second backlog sample
    db = bot_of(simcord_env).db
    items = await q.watched(db, world.guild.id)
    bulk = await q.cached_many(db, [(item.package, item.repo) for item in items])
    assert len(bulk) == len(items) > 24
    for item in items:
        assert bulk[item.package] == await q.cached(db, item.package, item.repo)
    assert len(bulk["flask-sqlalchemy"].backlog) == 2


async def test_caretakers_are_counted_and_named_only_with_their_consent(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    await check_extensions(world)
    for member in (world.helper, world.mentor):
        await add_caretaker(world, member)
    await world.helper.slash(world.general, "pages names", show=True)
    await world.organiser.slash(
        world.general,
        "ext-admin edit",
        name="Flask-Security",
        alternative="Flask-Security-Too",
        docs="https://flask-security.readthedocs.io/",
    )
    root = f"/{world.guild.id}/extensions"

    mail = await get(simcord_env, root + "/flask-mail")
    caretakers = re.search(r"<dt>Caretakers</dt>\s*<dd>\s*(.*?)\s*</dd>", mail.text)
    assert caretakers is not None, mail.text
    # The helper agreed to be named.
    assert (
        caretakers.group(1) == "2 caretakers: hugo (it should have at least 2 active)"
    )
    assert "maya" not in mail.text  # the mentor did not agree to be named
    listing = await get(simcord_env, root)
    mail_card = listing.text.split(">Flask-Mail</a>")[1].split("</article>")[0]
    assert "2 caretakers" in mail_card and "hugo" not in mail_card
    assert "Consider instead: Flask-Security-Too" in listing.text
    security = await get(simcord_env, root + "/flask-security")
    assert 'href="https://flask-security.readthedocs.io/">Documentation</a>' in (
        security.text
    )
    data = json.loads((await get(simcord_env, root + ".json")).text)
    by_package = {item["package"]: item for item in data["extensions"]}
    assert by_package["flask-mail"]["caretakers"] == 2
    assert by_package["flask-security"]["alternative"] == "Flask-Security-Too"
    assert "hugo" not in json.dumps(data) and str(world.helper.id) not in json.dumps(
        data
    )

    # Taking one's content off the pages also takes the name off.
    await world.helper.slash(world.general, "pages remove")
    mail = await get(simcord_env, root + "/flask-mail")
    assert "2 caretakers" in mail.text and "hugo" not in mail.text


async def test_an_extension_short_of_caretakers_asks_for_help_and_names_nobody(
    simcord_env: simcord.Env, world: World, fake: FakeApis
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    await check_extensions(world)  # the first check: Flask-Mail has nobody
    await simcord_env.advance_time(3600)
    root = f"/{world.guild.id}/extensions"
    feed_path = f"/{world.guild.id}/extensions.atom"

    def mail_card(html: str) -> str:
        return html.split(">Flask-Mail</a>")[1].split("</article>")[0]

    def feed_titles(xml: str) -> list[str]:
        entries = ET.fromstring(xml).findall(f"{ATOM}entry")
        return [entry.findtext(f"{ATOM}title") or "" for entry in entries]

    listing = await get(simcord_env, root)
    card = mail_card(listing.text)
    assert '<span class="status status-needs_caretakers">needs caretakers</span>' in (
        card
    )
    assert "it needs caretakers: 0 active of the 2 it should have" in card
    assert f'href="{root}/flask-mail#volunteer">Can you help look after it?' in card
    assert (
        '<li><span class="status status-needs_caretakers">needs caretakers</span> '
        in (listing.text)
    )  # counted with the statuses
    # The first check is a baseline: the feed tells no change yet.
    assert feed_titles((await get(simcord_env, feed_path)).text) == []

    # Two caretakers: enough. Then one steps down, and the other one (who did not
    # agree to be named) goes quiet.
    for member, handle in ((world.helper, "davidism"), (world.mentor, "ghost")):
        await add_caretaker(world, member, github=handle)
    page = await get(simcord_env, root + "/flask-mail")
    assert "needs caretakers" not in page.text and 'id="volunteer"' not in page.text
    assert "(it should have at least 2 active)" in page.text
    assert feed_titles((await get(simcord_env, feed_path)).text) == [
        "Flask-Mail has enough caretakers again"
    ]
    await world.organiser.slash(
        world.general,
        "ext-admin caretaker-remove",
        name="Flask-Mail",
        member=world.helper,
    )
    page = await get(simcord_env, root + "/flask-mail")
    assert '<span class="status status-needs_caretakers">needs caretakers</span>' in (
        page.text
    )
    assert "it needs caretakers: 1 active of the 2 it should have" in page.text
    volunteer = page.text.split('id="volunteer"')[1].split("</section>")[0]
    assert "<code>/ext volunteer name:Flask-Mail</code>" in volunteer
    assert "Join the Discord server" not in volunteer  # no invite known
    feed = (await get(simcord_env, feed_path)).text
    assert feed_titles(feed)[0] == "Flask-Mail needs caretakers"
    assert "/ext volunteer name:Flask-Mail" in feed

    # Half a year on: "ghost" never answered whether they are still in.
    await add_caretaker(world, world.bob, role="triager")
    db = bot_of(simcord_env).db
    await db.execute("UPDATE ext_caretakers SET since = since - 200 * 86400")
    fake.repo("pallets-eco/flask-mail").commits = [FakeCommit("someone", START, "Fix")]
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Mail")
    await db.execute("UPDATE ext_caretakers SET asked_at = asked_at - 15 * 86400")
    await world.organiser.slash(
        world.general, "ext-admin caretaker-remove", name="Flask-Mail", member=world.bob
    )
    await world.organiser.slash(world.general, "ext-admin refresh", name="Flask-Mail")
    alerts = await q.open_alerts(db, world.guild.id, "flask-mail")
    assert [a.detail.get("who") for a in alerts] == ["ghost"]  # /ext status names them

    page = await get(simcord_env, root + "/flask-mail")
    data = (await get(simcord_env, root + ".json")).text
    feed = (await get(simcord_env, feed_path)).text
    reason = "it needs caretakers: a caretaker had no activity on the repository"
    assert reason in page.text
    mail = {item["package"]: item for item in json.loads(data)["extensions"]}[
        "flask-mail"
    ]
    assert mail["needs_caretakers"] is True
    assert mail["needs_caretakers_reason"].startswith(reason)
    assert mail["volunteer"] == "/ext volunteer name:Flask-Mail"
    history = page.text.split('id="history-heading"')[1]
    lines = [
        " ".join(re.sub(r"<[^>]+>", "", line).split()).split(": ", 1)[1]
        for line in re.findall(r"<li>(.*?)</li>", history, re.S)
    ]
    assert lines == [  # newest first, with the status recorded an hour before
        f"needs caretakers ({reason} for 6 months)",
        "enough caretakers again",
        "needs caretakers (it needs caretakers: 1 active of the 2 it should have)",
        "enough caretakers again",
        "healthy",
    ]
    for text in (page.text, data, feed, (await get(simcord_env, root)).text):
        assert "ghost" not in text and "maya" not in text
        assert str(world.mentor.id) not in text

    # In the reader's language, and with the server's invite when Discord has one.
    guild = bot_of(simcord_env).get_guild(world.guild.id)
    assert guild is not None
    guild.vanity_url_code = "pallets"  # simcord's gateway never sends one
    page = await get(simcord_env, root + "/flask-mail")  # kept since the last read
    assert 'href="https://discord.gg/pallets"' in page.text
    french = await get(simcord_env, root + "/flask-mail?lang=fr")
    assert ">needs caretakers<" not in french.text
    assert "<code>/ext volunteer name:Flask-Mail</code>" in french.text
    assert 'href="https://discord.gg/pallets"' in french.text
