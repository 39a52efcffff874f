"""Extensions: one source of truth per extension, for every job that needs one.

Each server has one registry (``bot.flask_extensions``; ``bot.extensions`` is
discord.py's list of loaded modules) of the Flask extensions it cares
about, and of the Pallets libraries that have a forum tag: the PyPI package, its
GitHub repository, its documentation, its forum tag and the words that mean it, and
what the extension watch last found wrong with it (:class:`Risk`). The extension
watch keeps it (its list, the organisation listing, organisers' edits); question
triage reads it (the tags it applies, where a question escalates to, the note under
a question about an extension at risk). Neither job imports the other: this module
is the seam.

A server's registry is filled once from the shipped files,
``data/extwatch/watchlist.toml`` (the extensions) and ``data/triage/tags.toml`` (the
tag rules, libraries included); after that the database is the truth, and an edit
applies at once, without a restart.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.clock import now_ts
from bot.db import Database
from bot.db import Row
from bot.i18n import _
from bot.i18n import ngettext
from bot.paths import DATA_DIR

WATCHLIST_FILE = DATA_DIR / "extwatch" / "watchlist.toml"
TAGS_FILE = DATA_DIR / "triage" / "tags.toml"

#: Discord's limit on a forum tag's name.
TAG_NAME_LIMIT = 20
#: Where a question may escalate to: the Pallets organisations only.
ESCALATION_REPO = re.compile(r"^pallets(-eco)?/[a-z0-9][a-z0-9._-]*$")
#: Positions: extensions first (specific), libraries after (what they build on).
LIBRARY_POSITION = 1000


class Kind(StrEnum):
    EXTENSION = "extension"
    #: A Pallets library (Flask, Jinja...): a forum tag, not watched.
    LIBRARY = "library"


class Flag(StrEnum):
    """Something wrong with an extension that people should hear about."""

    VULNERABLE = "vulnerable"
    ARCHIVED = "archived"
    INCOMPATIBLE = "incompatible"
    ABANDONED = "abandoned"
    NEEDS_CARETAKERS = "needs_caretakers"


#: What puts the people who use an extension at risk: a question about it gets a note.
USER_RISKS = frozenset(
    {Flag.VULNERABLE, Flag.ARCHIVED, Flag.INCOMPATIBLE, Flag.ABANDONED}
)
#: What followers and the public channel hear about.
FOLLOWED = frozenset(
    {Flag.VULNERABLE, Flag.ARCHIVED, Flag.INCOMPATIBLE, Flag.NEEDS_CARETAKERS}
)


@dataclass(frozen=True, slots=True)
class Risk:
    flag: Flag
    #: What the wording needs (ids, a requirement, a reason code...).
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"flag": self.flag.value, **self.detail}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Risk:
        detail = {k: v for k, v in data.items() if k != "flag"}
        return cls(Flag(data["flag"]), detail)


@dataclass(frozen=True, slots=True)
class Extension:
    guild_id: int
    package: str
    display_name: str
    repo: str | None
    docs_url: str | None
    tag: str | None
    keywords: tuple[str, ...]
    patterns: tuple[str, ...]
    kind: Kind
    pypi: bool
    watched: bool
    notes: str
    alternative: str | None
    min_caretakers: int | None
    risks: tuple[Risk, ...]
    position: int
    source: str
    added_by: int | None
    added_at: int

    @classmethod
    def from_row(cls, row: Row) -> Extension:
        return cls(
            guild_id=row["guild_id"],
            package=row["package"],
            display_name=row["display_name"],
            repo=row["repo"],
            docs_url=row["docs_url"],
            tag=row["tag"],
            keywords=tuple(json.loads(row["keywords"])),
            patterns=tuple(json.loads(row["patterns"])),
            kind=Kind(row["kind"]),
            pypi=bool(row["pypi"]),
            watched=bool(row["watched"]),
            notes=row["notes"],
            alternative=row["alternative"],
            min_caretakers=row["min_caretakers"],
            risks=tuple(Risk.from_json(r) for r in json.loads(row["risks"])),
            position=row["position"],
            source=row["source"],
            added_by=row["added_by"],
            added_at=row["added_at"],
        )

    @property
    def names(self) -> frozenset[str]:
        """The words that name this extension itself (not what it builds on)."""
        return frozenset(
            {
                self.package,
                self.package.replace("-", "_"),
                self.display_name.lower(),
            }
        )

    @property
    def escalation_repo(self) -> str | None:
        """The repository a question about it escalates to (Pallets orgs only)."""
        if self.repo and ESCALATION_REPO.match(self.repo):
            return self.repo
        return None

    def in_org(self, org: str) -> bool:
        return bool(self.repo) and str(self.repo).lower().startswith(org.lower() + "/")

    def user_risks(self) -> tuple[Risk, ...]:
        return tuple(r for r in self.risks if r.flag in USER_RISKS)


# -- names ------------------------------------------------------------------------------
_REPO = re.compile(
    r"^(?:https?://(?:www\.)?github\.com/)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
    r"([A-Za-z0-9._-]{1,100}?)(?:\.git)?/?$"
)


def normalise_name(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_repo(text: str) -> str | None:
    """``owner/name`` from ``owner/name`` or a github.com URL; None when not one."""
    match = _REPO.match(text.strip())
    if match is None or match.group(2) in {".", ".."}:
        return None
    return f"{match.group(1)}/{match.group(2)}"


def derive_tag(display_name: str) -> str:
    """A forum tag for an extension: its name, without "Flask-" when that is too long."""
    name = display_name.strip()
    if len(name) > TAG_NAME_LIMIT and name.lower().startswith("flask-"):
        name = name[len("flask-") :]
    return name[:TAG_NAME_LIMIT]


def default_keywords(package: str, display_name: str) -> tuple[str, ...]:
    """The words that mean an extension: its name as installed and as imported."""
    words = [package, package.replace("-", "_"), display_name.lower()]
    return tuple(dict.fromkeys(words))


# -- what the risks say -------------------------------------------------------------------
def risk_text(risk: Risk, *, named: bool = False) -> str:
    """A risk in words, in the current language (for notes and alerts).

    A caretaker who went quiet is named only with ``named`` (the roster of
    ``/ext status``, which lists each caretaker's activity anyway): public posts,
    followers' messages and notes under questions say how many, not who."""
    detail = risk.detail
    match risk.flag:
        case Flag.VULNERABLE:
            count = int(detail.get("count", 1))
            return ngettext(
                "a known vulnerability in its latest release ({ids})",
                "known vulnerabilities in its latest release ({ids})",
                count,
                ids=detail.get("ids", ""),
            )
        case Flag.ARCHIVED:
            return _("its repository is archived: nobody maintains it")
        case Flag.INCOMPATIBLE:
            return _(
                "its Flask requirement ({spec}) excludes Flask {major}",
                spec=detail.get("spec", ""),
                major=detail.get("major", ""),
            )
        case Flag.ABANDONED:
            months = int(detail.get("months", 0))
            return ngettext(
                "no release in {months} month",
                "no release in {months} months",
                months,
                months=months,
            )
        case Flag.NEEDS_CARETAKERS:
            return caretakers_text(detail, named=named)


def caretakers_text(detail: Mapping[str, Any], *, named: bool = True) -> str:
    """Why an extension needs caretakers. ``named=False`` (the public pages) leaves
    out who went quiet: a caretaker is named there only with their consent."""
    why = detail.get("why")
    if why == "inactive" and not named:
        quiet = len([who for who in str(detail.get("who", "")).split(",") if who])
        return ngettext(
            "it needs caretakers: a caretaker had no activity on the repository for "
            "{months} months",
            "it needs caretakers: {count} caretakers had no activity on the "
            "repository for {months} months",
            max(quiet, 1),
            months=detail.get("months", 6),
        )
    if why == "inactive":
        return _(
            "it needs caretakers: {who} had no activity on the repository for "
            "{months} months",
            who=detail.get("who", ""),
            months=detail.get("months", 6),
        )
    if why == "one_person":
        return _(
            "it needs caretakers: its recent commits and releases all come from "
            "one person"
        )
    have = int(detail.get("have", 0))
    return ngettext(
        "it needs caretakers: {have} active of the {wanted} it should have",
        "it needs caretakers: {have} active of the {wanted} it should have",
        have,
        have=have,
        wanted=detail.get("wanted", 2),
    )


# -- the shipped seed -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Seed:
    """An entry of the shipped files, merged."""

    package: str
    display_name: str
    kind: Kind
    repo: str | None = None
    docs_url: str | None = None
    tag: str | None = None
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    notes: str = ""
    alternative: str | None = None
    pypi: bool = True
    position: int = 0


def load_seed(watchlist: Path = WATCHLIST_FILE, tags: Path = TAGS_FILE) -> list[Seed]:
    """The shipped extensions and tag rules as one list, in tag-rule order."""
    with watchlist.open("rb") as handle:
        packages = tomllib.load(handle).get("package", [])
    with tags.open("rb") as handle:
        rules = tomllib.load(handle).get("tag", [])
    extensions: dict[str, Seed] = {}
    for entry in packages:
        package = normalise_name(entry["name"])
        repo = parse_repo(entry["repo"]) if entry.get("repo") else None
        if entry.get("repo") and repo is None:
            raise ValueError(f"{watchlist}: {entry['name']}: bad repo {entry['repo']}")
        extensions[package] = Seed(
            package=package,
            display_name=entry["name"],
            kind=Kind.EXTENSION,
            repo=repo,
            docs_url=entry.get("docs"),
            tag=entry.get("tag"),
            keywords=tuple(k.lower() for k in entry.get("keywords", [])),
            notes=entry.get("notes", ""),
            alternative=entry.get("alternative"),
            pypi=bool(entry.get("pypi", True)),
        )
    ruled: list[Seed] = []
    libraries: list[Seed] = []
    for rule in rules:
        name = str(rule["name"])
        package = normalise_name(rule.get("package", name))
        keywords = tuple(str(k).lower() for k in rule.get("keywords", []))
        patterns = tuple(str(p) for p in rule.get("patterns", []))
        known = extensions.pop(package, None)
        if known is not None:
            ruled.append(
                replace(
                    known,
                    tag=known.tag or name,
                    keywords=tuple(dict.fromkeys(keywords + known.keywords)),
                    patterns=patterns,
                    repo=known.repo or rule.get("repo"),
                )
            )
        else:
            libraries.append(
                Seed(
                    package=package,
                    display_name=name,
                    kind=Kind.LIBRARY,
                    repo=rule.get("repo"),
                    tag=name,
                    keywords=keywords,
                    patterns=patterns,
                )
            )
    rest = [
        replace(
            seed,
            tag=seed.tag or (derive_tag(seed.display_name) if seed.pypi else None),
            keywords=seed.keywords or default_keywords(seed.package, seed.display_name),
        )
        for seed in extensions.values()
    ]
    ordered = [replace(seed, position=index) for index, seed in enumerate(ruled + rest)]
    ordered += [
        replace(seed, position=LIBRARY_POSITION + index)
        for index, seed in enumerate(libraries)
    ]
    return ordered


# -- the registry -----------------------------------------------------------------------
_EDITABLE = {
    "display_name",
    "repo",
    "docs_url",
    "tag",
    "keywords",
    "notes",
    "alternative",
    "min_caretakers",
    "watched",
    "pypi",
}


class Extensions:
    """Each server's registry of extensions (``bot.flask_extensions``), cached in memory."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: dict[int, list[Extension]] = {}
        #: Servers whose registry is known to be filled (it stays so).
        self._seeded: set[int] = set()

    def forget(self, guild_id: int) -> None:
        self._cache.pop(guild_id, None)

    async def ensure(self, guild_id: int, seed: Iterable[Seed] | None = None) -> bool:
        """Fill a server's registry from the shipped files once; return whether it did.

        /ext autocomplete calls this on every keystroke: once a server is known to be
        filled it is a set lookup (after a restart, one read), not a write transaction
        and a read of the shipped files.
        """
        if guild_id in self._seeded:
            return False
        if await self._db.fetchone(
            "SELECT 1 FROM extensions_seeded WHERE guild_id = ?", (guild_id,)
        ):
            self._seeded.add(guild_id)
            return False
        entries = list(load_seed() if seed is None else seed)
        now = now_ts()
        async with self._db.transaction() as tx:
            done = await tx.execute(
                "INSERT INTO extensions_seeded (guild_id, seeded_at) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO NOTHING",
                (guild_id, now),
            )
            if done.rowcount == 0:
                self._seeded.add(guild_id)
                return False
            await tx.executemany(
                "INSERT INTO extensions (guild_id, package, display_name, repo, "
                "docs_url, tag, keywords, patterns, kind, pypi, watched, notes, "
                "alternative, position, source, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'seed', ?) "
                "ON CONFLICT (guild_id, package) DO UPDATE SET "
                "tag = coalesce(extensions.tag, excluded.tag), "
                "keywords = CASE WHEN extensions.keywords = '[]' "
                "THEN excluded.keywords ELSE extensions.keywords END, "
                "patterns = CASE WHEN extensions.patterns = '[]' "
                "THEN excluded.patterns ELSE extensions.patterns END, "
                "docs_url = coalesce(extensions.docs_url, excluded.docs_url), "
                "alternative = coalesce(extensions.alternative, excluded.alternative), "
                "kind = excluded.kind, pypi = excluded.pypi, "
                "position = excluded.position",
                [
                    (
                        guild_id,
                        s.package,
                        s.display_name,
                        s.repo,
                        s.docs_url,
                        s.tag,
                        json.dumps(list(s.keywords)),
                        json.dumps(list(s.patterns)),
                        s.kind.value,
                        int(s.pypi),
                        int(s.kind is Kind.EXTENSION),
                        s.notes,
                        s.alternative,
                        s.position,
                        now,
                    )
                    for s in entries
                ],
            )
            # Extensions organisers added before the registry existed get a tag too.
            rows = await tx.fetchall(
                "SELECT package, display_name FROM extensions WHERE guild_id = ? "
                "AND tag IS NULL AND keywords = '[]' AND kind = 'extension'",
                (guild_id,),
            )
            top = len(entries)
            for offset, row in enumerate(rows):
                await tx.execute(
                    "UPDATE extensions SET tag = ?, keywords = ?, position = ? "
                    "WHERE guild_id = ? AND package = ?",
                    (
                        derive_tag(row["display_name"]),
                        json.dumps(
                            list(default_keywords(row["package"], row["display_name"]))
                        ),
                        top + offset,
                        guild_id,
                        row["package"],
                    ),
                )
        self.forget(guild_id)
        self._seeded.add(guild_id)
        return True

    async def all(self, guild_id: int) -> list[Extension]:
        """Every entry of a server, in tag-rule order."""
        cached = self._cache.get(guild_id)
        if cached is None:
            await self.ensure(guild_id)
            rows = await self._db.fetchall(
                "SELECT * FROM extensions WHERE guild_id = ? "
                "ORDER BY position, display_name COLLATE NOCASE",
                (guild_id,),
            )
            cached = [Extension.from_row(row) for row in rows]
            self._cache[guild_id] = cached
        return cached

    async def find(self, guild_id: int, name: str) -> Extension | None:
        """The entry a member named: its package, its name, or its forum tag."""
        wanted = name.strip()
        package = normalise_name(wanted)
        lowered = wanted.lower()
        entries = await self.all(guild_id)
        for entry in entries:
            if entry.package == package:
                return entry
        for entry in entries:
            if entry.display_name.lower() == lowered or (
                entry.tag is not None and entry.tag.lower() == lowered
            ):
                return entry
        return None

    async def by_repo(self, guild_id: int, repo: str) -> Extension | None:
        wanted = repo.lower()
        for entry in await self.all(guild_id):
            if entry.repo is not None and entry.repo.lower() == wanted:
                return entry
        return None

    async def tagged(self, guild_id: int) -> list[Extension]:
        """The entries with a forum tag, in rule order (specific first)."""
        return [e for e in await self.all(guild_id) if e.tag]

    async def add(
        self,
        guild_id: int,
        *,
        package: str,
        display_name: str,
        repo: str | None,
        source: str,
        added_by: int | None = None,
        notes: str = "",
        docs_url: str | None = None,
        pypi: bool = True,
    ) -> Extension | None:
        """Add an extension with its forum tag; None when the server has it already."""
        entries = await self.all(guild_id)
        position = 1 + max(
            (e.position for e in entries if e.kind is Kind.EXTENSION), default=-1
        )
        result = await self._db.execute(
            "INSERT INTO extensions (guild_id, package, display_name, repo, docs_url, "
            "tag, keywords, kind, pypi, watched, notes, position, source, added_by, "
            "added_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'extension', ?, 1, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id, package) DO NOTHING",
            (
                guild_id,
                package,
                display_name,
                repo,
                docs_url,
                derive_tag(display_name),
                json.dumps(list(default_keywords(package, display_name))),
                int(pypi),
                notes,
                min(position, LIBRARY_POSITION - 1),
                source,
                added_by,
                now_ts(),
            ),
        )
        self.forget(guild_id)
        if result.rowcount == 0:
            return None
        return await self.find(guild_id, package)

    async def update(self, guild_id: int, package: str, **changes: Any) -> Extension:
        """Change an entry's fields (``keywords`` a sequence, flags as bools)."""
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        values = {
            name: json.dumps(list(value))
            if name == "keywords"
            else int(value)
            if isinstance(value, bool)
            else value
            for name, value in changes.items()
        }
        if values:
            assignments = ", ".join(f"{name} = ?" for name in values)
            await self._db.execute(
                f"UPDATE extensions SET {assignments} WHERE guild_id = ? AND package = ?",
                (*values.values(), guild_id, package),
            )
        self.forget(guild_id)
        found = await self.find(guild_id, package)
        if found is None:
            raise LookupError(package)
        return found

    async def set_risks(
        self, guild_id: int, risks: Mapping[str, Iterable[Risk]]
    ) -> None:
        """Publish what the watch found wrong with each package (package -> risks)."""
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE extensions SET risks = ? WHERE guild_id = ? AND package = ?",
                [
                    (json.dumps([r.to_json() for r in found]), guild_id, package)
                    for package, found in risks.items()
                ],
            )
        self.forget(guild_id)
