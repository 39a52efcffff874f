"""Extension health on the community's public pages (a section of ``bot.pages``).

- ``extensions``: every watched extension with its status and reasons, latest release,
  Flask requirement, known vulnerabilities, how many caretakers, the alternative
  organisers named, and links; worst first, or by name (``?sort=name``).
- ``extensions/<package>``: one extension, with the names of the caretakers who
  agreed to be named (``/pages names``), and the history of its status.
- ``extensions.atom``: an Atom feed of the changes of status, and of an extension
  starting or ceasing to need caretakers.
- ``extensions.json``: the list's data, for other tools.

Everything is read from the watch's cache and its history (no fetch on a request):
the same assessment ``/ext status`` answers with. Nothing here is private: public
data from PyPI, GitHub and OSV, and what the watch concluded from it.

"Needs caretakers" is judged as ``/ext status`` judges it (the roster against the
extension's policy), with a call to volunteer; the feed lists the alerts followers
and the public channel were told of. The reason is worded without names: in Discord
it names a quiet caretaker, who may not have agreed to be named on the pages.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from bot.clock import from_ts
from bot.clock import now_ts
from bot.extensions import caretakers_text
from bot.extensions import Flag
from bot.i18n import _
from bot.pages import Body
from bot.pages import Html
from bot.pages import PageRequest
from bot.pages import Section
from bot.pages.people import agreed_names
from cogs.extwatch import _history as history
from cogs.extwatch import _queries as q
from cogs.extwatch import _render as render
from cogs.extwatch._logic import assess
from cogs.extwatch._logic import Caretaker
from cogs.extwatch._logic import normalise_name
from cogs.extwatch._logic import Status
from cogs.extwatch._logic import STATUS_ORDER

if TYPE_CHECKING:
    from bot.app import PalletsBot
    from cogs.extwatch._engine import ExtWatchEngine

NAME = "extensions"
FEED = f"{NAME}.atom"
JSON = f"{NAME}.json"
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The feed's length, and how much of one extension's history its page lists.
FEED_ENTRIES = 50
HISTORY_ENTRIES = 50
ATOM = "application/atom+xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


def title() -> str:
    return _("Extensions")


def summary() -> str:
    return _(
        "The health of the Flask extensions the community watches: releases, "
        "Flask compatibility, known vulnerabilities."
    )


def section(engine: ExtWatchEngine) -> Section:
    """The section the engine registers."""

    async def listing(bot: PalletsBot, request: PageRequest) -> Html:
        return await list_page(engine, request)

    async def one(bot: PalletsBot, request: PageRequest) -> Html | None:
        return await extension_page(engine, request)

    async def feed(bot: PalletsBot, request: PageRequest) -> Body:
        return await atom_feed(engine, request)

    async def data(bot: PalletsBot, request: PageRequest) -> Body:
        return await json_data(engine, request)

    return Section(
        name=NAME,
        title=title,
        routes={NAME: listing, f"{NAME}/{{package}}": one, FEED: feed, JSON: data},
        templates=TEMPLATES,
        order=20,
        summary=summary,
    )


# -- what a page shows -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str
    summary: str
    url: str


@dataclass(frozen=True, slots=True)
class Shown:
    """One extension as the pages show it, in the active language."""

    package: str
    name: str
    status: Status
    status_label: str
    reasons: tuple[str, ...]
    version: str
    released: datetime | None
    flask_spec: str | None
    #: True: accepts the current Flask; False: excludes it; None: unknown.
    flask_ok: bool | None
    flask: str
    vulnerabilities: tuple[Vulnerability, ...]
    pypi_url: str
    repo_url: str
    notes: str
    checked: datetime | None
    stale: bool
    #: What to use instead, when organisers named something.
    alternative: str
    docs_url: str
    #: How many caretakers look after it, and the names of those who agreed to be
    #: named on the pages (``/pages names``); only the extension's page names them.
    caretakers: int
    caretaker_names: tuple[str, ...] = ()
    #: Why it needs caretakers (naming nobody), or "" when it has enough.
    needs_caretakers: str = ""
    #: The command that offers help, for the call to volunteer.
    volunteer: str = ""


def _shown(
    item: q.Watched,
    cache: q.Cached,
    engine: ExtWatchEngine,
    now: int,
    people: Sequence[Caretaker],
    names: tuple[str, ...] = (),
) -> Shown:
    evidence = cache.evidence()
    assessment = assess(evidence, engine.thresholds(), now)
    activity = cache.activity()
    need = None
    if assessment.status is not Status.UNKNOWN or activity:  # else: not checked yet
        _state, need = engine.caretaker_state(item, people, activity, now)
    pypi, github, osv = evidence.pypi, evidence.github, evidence.osv
    repo_url = github.html_url if github else ""
    if not repo_url.startswith("https://github.com/"):
        repo_url = f"https://github.com/{item.repo}" if item.repo else ""
    checked = cache.fetched_at
    return Shown(
        package=item.package,
        name=item.display_name,
        status=assessment.status,
        status_label=render.status_label(assessment.status),
        reasons=tuple(render.reason_text(r) for r in assessment.reasons),
        version=pypi.version if pypi else "",
        released=from_ts(pypi.released_at) if pypi and pypi.released_at else None,
        flask_spec=pypi.flask_spec if pypi else None,
        flask_ok=pypi.accepts_flask if pypi else None,
        flask=render.flask_text(pypi) if pypi else "",
        vulnerabilities=tuple(
            Vulnerability(v.id, v.summary, f"https://osv.dev/vulnerability/{v.id}")
            for v in (osv.vulns if osv else ())
        ),
        pypi_url=f"https://pypi.org/project/{item.package}/" if item.pypi else "",
        repo_url=repo_url,
        notes=item.notes,
        checked=from_ts(checked) if checked else None,
        stale=bool(cache.stale),
        alternative=item.alternative or "",
        docs_url=_web(item.docs_url),
        caretakers=len(people),
        caretaker_names=names,
        needs_caretakers=caretakers_text(need.detail, named=False) if need else "",
        volunteer=volunteer_command(item.display_name),
    )


def volunteer_command(name: str) -> str:
    """What a member types in Discord to offer help with ``name``."""
    return f"/ext volunteer name:{name}"


def _web(url: str | None) -> str:
    """``url`` when it is a web address (a link on a page), else nothing."""
    return url if url and url.startswith(("https://", "http://")) else ""


async def shown_all(engine: ExtWatchEngine, guild_id: int) -> list[Shown]:
    """Every watched extension of a server, worst first, then by name."""
    now = now_ts()
    items = await q.watched(engine.db, guild_id)
    caches = await q.cached_many(engine.db, [(i.package, i.repo) for i in items])
    keepers = await q.caretakers_by_package(engine.db, guild_id)
    out = [
        _shown(item, caches[item.package], engine, now, keepers.get(item.package, []))
        for item in items
    ]
    order = {status: index for index, status in enumerate(STATUS_ORDER)}
    out.sort(key=lambda s: (order[s.status], s.name.lower()))
    return out


def counts(shown: Sequence[Shown]) -> list[tuple[str, str, int]]:
    """(status, label, how many) for each status present, worst first; then how
    many need caretakers."""
    found = [
        (status, sum(1 for s in shown if s.status is status)) for status in STATUS_ORDER
    ]
    out = [(status.value, render.status_label(status), n) for status, n in found if n]
    short = sum(1 for s in shown if s.needs_caretakers)
    if short:
        out.append((Flag.NEEDS_CARETAKERS.value, needs_caretakers_label(), short))
    return out


def needs_caretakers_label() -> str:
    return _("needs caretakers")


def enough_caretakers_label() -> str:
    return _("enough caretakers again")


# -- the pages ---------------------------------------------------------------------------
def _alternates(request: PageRequest) -> tuple[tuple[str, str, str], ...]:
    return (
        ("application/atom+xml", request.url(FEED), _("Changes of status (Atom)")),
        ("application/json", request.url(JSON), _("The same data as JSON")),
    )


async def list_page(engine: ExtWatchEngine, request: PageRequest) -> Html:
    shown = await shown_all(engine, request.guild_id)
    by_name = request.query.get("sort") == "name"
    if by_name:
        shown.sort(key=lambda s: (s.name.lower(), s.package))
    return Html(
        f"{NAME}/list.html",
        title(),
        {
            "extensions": shown,
            "counts": counts(shown),
            "by_name": by_name,
            "feed": request.url(FEED),
            "json": request.url(JSON),
        },
        alternates=_alternates(request),
    )


async def extension_page(engine: ExtWatchEngine, request: PageRequest) -> Html | None:
    package = normalise_name(request.params.get("package", ""))
    item = await q.get_watched(engine.db, request.guild_id, package)
    if item is None:
        return None
    cache = await q.cached(engine.db, item.package, item.repo)
    people = await q.caretakers(engine.db, request.guild_id, item.package)
    agreed = await agreed_names(
        engine.db, request.guild_id, [person.user_id for person in people]
    )
    names = tuple(agreed[p.user_id] for p in people if p.user_id in agreed)
    shown = _shown(item, cache, engine, now_ts(), people, names)
    changes = [
        _change(change)
        for change in await history.of_package(
            engine.db, request.guild_id, item.package, HISTORY_ENTRIES
        )
    ]
    changes += map(
        _caretakers_change,
        await q.alert_changes(
            engine.db,
            request.guild_id,
            Flag.NEEDS_CARETAKERS.value,
            HISTORY_ENTRIES,
            item.package,
        ),
    )
    changes.sort(key=lambda change: change.changed, reverse=True)
    return Html(
        f"{NAME}/extension.html",
        item.display_name,
        {
            "extension": shown,
            "history": changes[:HISTORY_ENTRIES],
            "back": request.url(NAME),
            "minimum": engine.policy(item).minimum,
            "invite": _invite(engine, request.guild_id),
        },
        alternates=_alternates(request),
    )


def _invite(engine: ExtWatchEngine, guild_id: int) -> str:
    """The server's public invite, when Discord gives it one (a vanity URL)."""
    guild = engine.bot.get_guild(guild_id)
    return (guild.vanity_url or "") if guild is not None else ""


@dataclass(frozen=True, slots=True)
class ShownChange:
    status: str
    status_label: str
    previous_label: str
    reasons: tuple[str, ...]
    changed: datetime


def _change(change: history.StatusChange) -> ShownChange:
    return ShownChange(
        status=change.status.value,
        status_label=render.status_label(change.status),
        previous_label=(
            render.status_label(change.previous) if change.previous else ""
        ),
        reasons=tuple(render.reason_text(r) for r in change.reasons),
        changed=from_ts(change.changed_at),
    )


def _caretakers_change(alert: q.AlertChange) -> ShownChange:
    """Needing caretakers, or having enough again, as a line of the history."""
    if alert.cleared:
        return ShownChange(
            "healthy", enough_caretakers_label(), "", (), from_ts(alert.at)
        )
    return ShownChange(
        Flag.NEEDS_CARETAKERS.value,
        needs_caretakers_label(),
        "",
        (caretakers_text(alert.detail, named=False),),
        from_ts(alert.at),
    )


# -- the feed and the data ---------------------------------------------------------------
def _absolute(engine: ExtWatchEngine, path: str) -> str:
    public = engine.bot.settings.public_url
    return public.rstrip("/") + path if public else path


def _atom_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    package: str
    title: str
    summary: str
    updated: datetime


async def _feed_entries(
    engine: ExtWatchEngine, guild_id: int, names: dict[str, str]
) -> list[_Entry]:
    """Changes of status and of needing caretakers, newest first."""
    entries = []
    for change in await history.changes(engine.db, guild_id, FEED_ENTRIES):
        name = names.get(change.package, change.package)
        shown = _change(change)
        title = _(
            "{name}: {before} → {after}",
            name=name,
            before=shown.previous_label,
            after=shown.status_label,
        )
        text = "; ".join(shown.reasons) or _("No warning signs.")
        entries.append(
            _Entry(str(change.id), change.package, title, text, shown.changed)
        )
    flag = Flag.NEEDS_CARETAKERS.value
    for alert in await q.alert_changes(engine.db, guild_id, flag, FEED_ENTRIES):
        name = names.get(alert.package, alert.package)
        if alert.cleared:
            title = _("{name} has enough caretakers again", name=name)
            text = _("Thanks to everyone who looks after it.")
        else:
            title = _("{name} needs caretakers", name=name)
            text = (
                caretakers_text(alert.detail, named=False)
                + "\n"
                + _(
                    "Can you help look after it? Offer with /ext volunteer name:{name}.",
                    name=name,
                )
            )
        key = f"caretakers:{alert.alert_id}:{'cleared' if alert.cleared else 'raised'}"
        entries.append(_Entry(key, alert.package, title, text, from_ts(alert.at)))
    entries.sort(key=lambda entry: entry.updated, reverse=True)
    return entries[:FEED_ENTRIES]


async def atom_feed(engine: ExtWatchEngine, request: PageRequest) -> Body:
    """The latest changes of status, newest first (Atom 1.0)."""
    names = {
        item.package: item.display_name
        for item in await q.watched(engine.db, request.guild_id)
    }
    entries = await _feed_entries(engine, request.guild_id, names)
    feed_id = f"urn:pallets-bot:{request.guild_id}:extensions"
    updated = entries[0].updated if entries else from_ts(0)
    feed_title = _("Extension health: {server}", server=request.guild_name)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="'
        f'{request.language.replace("_", "-")}">',
        f"<title>{escape(feed_title)}</title>",
        f"<id>{feed_id}</id>",
        f"<updated>{_atom_time(updated)}</updated>",
        f'<link rel="self" href="{escape(_absolute(engine, request.url(FEED)))}"/>',
        f'<link rel="alternate" type="text/html" '
        f'href="{escape(_absolute(engine, request.url(NAME)))}"/>',
        "<author><name>pallets-bot</name></author>",
    ]
    for entry in entries:
        link = _absolute(engine, request.url(f"{NAME}/{entry.package}"))
        lines += [
            "<entry>",
            f"<title>{escape(entry.title)}</title>",
            f"<id>{feed_id}:{entry.key}</id>",
            f"<updated>{_atom_time(entry.updated)}</updated>",
            f'<link rel="alternate" type="text/html" href="{escape(link)}"/>',
            f"<summary>{escape(entry.summary)}</summary>",
            "</entry>",
        ]
    lines.append("</feed>")
    return Body(("\n".join(lines) + "\n").encode("utf-8"), ATOM)


def _iso(moment: datetime | None) -> str | None:
    return _atom_time(moment) if moment is not None else None


async def json_data(engine: ExtWatchEngine, request: PageRequest) -> Body:
    """The list's data: what each extension's page shows, minus the history."""
    shown = await shown_all(engine, request.guild_id)
    data: dict[str, Any] = {
        "server": request.guild_name,
        "language": request.language,
        "feed": _absolute(engine, request.url(FEED)),
        "extensions": [
            {
                "package": s.package,
                "name": s.name,
                "page": _absolute(engine, request.url(f"{NAME}/{s.package}")),
                "status": s.status.value,
                "status_text": s.status_label,
                "reasons": list(s.reasons),
                "latest_release": (
                    {"version": s.version, "released_at": _iso(s.released)}
                    if s.version
                    else None
                ),
                "flask_requirement": s.flask_spec,
                "accepts_current_flask": s.flask_ok,
                "vulnerabilities": [
                    {"id": v.id, "summary": v.summary, "url": v.url}
                    for v in s.vulnerabilities
                ],
                "pypi": s.pypi_url,
                "repository": s.repo_url or None,
                "checked_at": _iso(s.checked),
                "caretakers": s.caretakers,
                "needs_caretakers": bool(s.needs_caretakers),
                "needs_caretakers_reason": s.needs_caretakers or None,
                "volunteer": s.volunteer if s.needs_caretakers else None,
                "alternative": s.alternative or None,
                "documentation": s.docs_url or None,
                "stale": s.stale,
            }
            for s in shown
        ],
    }
    body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    return Body((body + "\n").encode("utf-8"), JSON_TYPE)
