"""Contributing: references, newcomer issues, claims, tasks. Pure: no Discord, no I/O.

The rules here decide; ``_engine`` does, ``_render`` words. A refusal is a
:class:`bot.refusals.Refused` carrying a :class:`Problem`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path

from bot.paths import DATA_DIR
from bot.refusals import Refused
from bot.safety import clean_text
from bot.safety import mass_mention
from bot.safety import without_code_and_quotes

PROJECTS_FILE = DATA_DIR / "contribute" / "projects.toml"
#: The organisations whose repositories every server's references reach.
PALLETS_ORGS = ("pallets", "pallets-eco")
#: At most this many references in one message get an answer (the rest are quiet).
MAX_REFERENCES = 5
#: A reference is answered at most once per channel in this long.
REFERENCE_QUIET = timedelta(hours=1)
#: Active claims a member may hold at once (sprint boards included).
MAX_ACTIVE_CLAIMS = 3
DEFAULT_CLAIM_DAYS = 14
MAX_CLAIM_DAYS = 90
#: A member is reminded this long before a claim without a pull request expires
#: (at most half of the claim's time).
REMIND_BEFORE = timedelta(days=2)
TITLE_LIMIT = 100
TASK_TEXT_LIMIT = 1000
LINK_LIMIT = 300
NOTE_LIMIT = 500


class Problem(StrEnum):
    """Why a contribute command is refused (worded by ``_render``)."""

    UNKNOWN_ISSUE = "unknown_issue"
    OUTSIDE_ORGS = "outside_orgs"
    ISSUE_CLOSED = "issue_closed"
    IS_PULL_REQUEST = "is_pull_request"
    TAKEN = "taken"
    ALREADY_YOURS = "already_yours"
    TOO_MANY_CLAIMS = "too_many_claims"
    NOT_YOUR_CLAIM = "not_your_claim"
    GITHUB_DOWN = "github_down"
    UNKNOWN_PROJECT = "unknown_project"
    UNKNOWN_OWNER = "unknown_owner"
    BAD_LABELS = "bad_labels"
    BAD_DAYS = "bad_days"
    TEXT_TOO_LONG = "text_too_long"
    EMPTY_TEXT = "empty_text"
    MASS_MENTION = "mass_mention"
    BAD_LINK = "bad_link"
    UNKNOWN_TASK = "unknown_task"
    TASK_NOT_OPEN = "task_not_open"
    OWN_TASK = "own_task"
    NOT_TASK_MENTOR = "not_task_mentor"
    NOT_YOUR_TASK = "not_your_task"
    NOTHING_SUBMITTED = "nothing_submitted"
    NOTE_NEEDED = "note_needed"
    MENTOR_IS_BOT = "mentor_is_bot"
    NOT_A_SPRINT = "not_a_sprint"
    SPRINT_OVER = "sprint_over"
    NOT_ON_BOARD = "not_on_board"
    ALREADY_ON_BOARD = "already_on_board"
    BOARD_FULL = "board_full"
    NO_RELEASE_ROLE = "no_release_role"
    HELP_TAKEN = "help_taken"
    ALREADY_VOLUNTEERED = "already_volunteered"
    OWN_OFFER = "own_offer"
    OFFER_DECIDED = "offer_decided"


class Kind(StrEnum):
    """What kind of help a newcomer issue asks for."""

    FIRST = "first"
    HELP = "help"
    DOCS = "docs"


class TaskKind(StrEnum):
    """Tasks that are not GitHub issues, Code-In style."""

    DOCS = "docs"
    TRANSLATION = "translation"
    TRIAGE = "triage"
    REVIEW = "review"
    OTHER = "other"


class TaskState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    SUBMITTED = "submitted"
    DONE = "done"
    WITHDRAWN = "withdrawn"


class ClaimState(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    MERGED = "merged"
    CLOSED = "closed"


class PrState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    MERGED = "merged"


# -- the projects ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Project:
    name: str
    repo: str
    pypi: str | None = None
    releases: bool = False
    guide: str | None = None
    setup: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        return self.repo.split("/", 1)[1]

    def steps(self) -> list[str]:
        return [
            step.replace("{repo}", self.repo).replace("{folder}", self.folder)
            for step in self.setup
        ]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """What ``projects.toml`` says: the projects and the default labels by kind."""

    projects: tuple[Project, ...]
    labels: Mapping[Kind, tuple[str, ...]]

    def by_name(self, name: str) -> Project | None:
        wanted = name.strip().lower()
        for project in self.projects:
            if wanted in (project.name, project.repo):
                return project
        return None

    def repo_of(self, short: str) -> str | None:
        project = self.by_name(short)
        return project.repo if project else None

    def project_of_repo(self, repo: str) -> Project | None:
        repo = repo.lower()
        return next((p for p in self.projects if p.repo == repo), None)


def parse_catalogue(text: str) -> Catalogue:
    data = tomllib.loads(text)
    default_steps = tuple(data.get("setup", {}).get("steps", ()))
    projects = tuple(
        Project(
            name=str(entry["name"]).lower(),
            repo=str(entry["repo"]).lower(),
            pypi=entry.get("pypi"),
            releases=bool(entry.get("releases", False)),
            guide=entry.get("guide"),
            setup=tuple(entry.get("setup", default_steps)),
        )
        for entry in data.get("project", [])
    )
    labels = {
        kind: tuple(
            str(label).lower() for label in data.get("labels", {}).get(kind, ())
        )
        for kind in Kind
    }
    return Catalogue(projects, labels)


@cache
def catalogue(path: Path = PROJECTS_FILE) -> Catalogue:
    return parse_catalogue(path.read_text("utf-8"))


# -- references in messages -------------------------------------------------------------
@dataclass(frozen=True, slots=True, order=True)
class IssueRef:
    """An issue or pull request on GitHub: ``owner/name#number``, lower case."""

    repo: str
    number: int

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]

    def __str__(self) -> str:
        return f"{self.repo}#{self.number}"

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repo}/issues/{self.number}"


_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_URL = re.compile(
    rf"https?://(?:www\.)?github\.com/(?P<owner>{_NAME})/(?P<repo>{_NAME})/"
    r"(?:issues|pull)/(?P<number>\d{1,7})\b"
)
_FULL = re.compile(
    rf"(?<![\w/.#-])(?P<owner>{_NAME})/(?P<repo>{_NAME})#(?P<number>\d{{1,7}})\b"
)
_SHORT = re.compile(rf"(?<![\w/.#-])(?P<repo>{_NAME})#(?P<number>\d{{1,7}})\b")
_BARE = re.compile(r"(?<![\w/.#&-])#(?P<number>\d{1,7})\b")


def parse_number(text: str) -> int | None:
    """A task's or sprint's number as typed (``12`` or ``#12``), or None.

    ``\\d`` takes only decimal digits (``int()`` reads them all; ``"²".isdigit()``
    is true but ``int("²")`` fails), and nine of them stay inside SQLite's integers.
    """
    match = re.fullmatch(r"\s*#?(\d{1,9})\s*", text)
    return int(match.group(1)) if match else None


def named_project(text: str, known: Catalogue) -> Project | None:
    """The one project a message names ("contribute to Flask"), or None for none or
    several. ``flask`` inside ``flask-wtf`` is not Flask."""
    lowered = text.lower()
    named = {
        project
        for project in known.projects
        if re.search(rf"(?<![\w-]){re.escape(project.name)}(?![\w-])", lowered)
    }
    return named.pop() if len(named) == 1 else None


def find_references(
    text: str, known: Catalogue, *, limit: int = MAX_REFERENCES
) -> list[IssueRef]:
    """GitHub issue and pull request references in a message, in order, no repeats.

    ``flask#5000`` names a known project by its short name; ``owner/name#5000`` and
    GitHub URLs name any repository (which ones get an answer is :func:`reachable`'s
    call). Code and quotes are not references.
    """
    text = without_code_and_quotes(text)
    found: list[tuple[int, IssueRef]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, ref: IssueRef) -> None:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            return
        taken.append((start, end))
        found.append((start, ref))

    for match in _URL.finditer(text):
        add(match.start(), match.end(), _ref(match["owner"], match["repo"], match))
    for match in _FULL.finditer(text):
        add(match.start(), match.end(), _ref(match["owner"], match["repo"], match))
    for match in _SHORT.finditer(text):
        repo = known.repo_of(match["repo"])
        if repo is not None:
            add(match.start(), match.end(), IssueRef(repo, int(match["number"])))
    out: list[IssueRef] = []
    for _start, ref in sorted(found, key=lambda item: item[0]):
        if ref not in out and ref.number > 0:
            out.append(ref)
    return out[:limit]


def _ref(owner: str, repo: str, match: re.Match[str]) -> IssueRef:
    return IssueRef(f"{owner}/{repo}".lower(), int(match["number"]))


def parse_issue(text: str, known: Catalogue) -> IssueRef | None:
    """One issue a member named in an option: ``owner/name#1``, ``flask#1`` or a URL."""
    refs = find_references(text.strip(), known, limit=1)
    return refs[0] if refs else None


def reachable(ref: IssueRef, extra_owners: Iterable[str] = ()) -> bool:
    """Whether a server answers references to ``ref``'s repository."""
    allowed = {*PALLETS_ORGS, *(owner.lower() for owner in extra_owners)}
    return ref.owner in allowed


def referenced_issues(pr_repo: str, text: str, known: Catalogue) -> set[IssueRef]:
    """The issues a pull request's title and body refer to (``#12`` is its own repo)."""
    refs = set(find_references(text, known, limit=50))
    for match in _BARE.finditer(without_code_and_quotes(text)):
        refs.add(IssueRef(pr_repo.lower(), int(match["number"])))
    return refs


# -- newcomer issues -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class IssueInfo:
    """What GitHub says of an issue or pull request (trimmed)."""

    ref: IssueRef
    title: str
    state: str  # open | closed | merged
    labels: tuple[str, ...]
    author: str
    url: str
    updated_at: datetime
    is_pull: bool = False
    assignees: tuple[str, ...] = ()
    body: str = ""


def label_map(
    defaults: Mapping[Kind, Sequence[str]],
    overrides: Mapping[Kind, Sequence[str]] | None = None,
) -> dict[Kind, tuple[str, ...]]:
    """The labels of each kind for one repository: its overrides, else the defaults."""
    out = {
        kind: tuple(label.lower() for label in defaults.get(kind, ())) for kind in Kind
    }
    for kind, labels in (overrides or {}).items():
        out[kind] = tuple(label.lower() for label in labels)
    return out


def kinds_of(labels: Iterable[str], wanted: Mapping[Kind, Sequence[str]]) -> set[Kind]:
    have = {label.lower() for label in labels}
    return {kind for kind, names in wanted.items() if have & set(names)}


def search_labels(
    defaults: Mapping[Kind, Sequence[str]],
    overrides: Iterable[Mapping[Kind, Sequence[str]]],
) -> list[str]:
    """Every label that marks a newcomer issue somewhere: one search asks for all."""
    labels = {label.lower() for names in defaults.values() for label in names}
    for override in overrides:
        labels.update(label.lower() for names in override.values() for label in names)
    return sorted(labels)


def pull_request_query(orgs: Iterable[str], since: datetime) -> str:
    """One search for pull requests updated since ``since`` across ``orgs``."""
    owners = " ".join(f"org:{org}" for org in orgs)
    return f"is:pr {owners} updated:>={since.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def parse_labels(text: str) -> tuple[str, ...]:
    """Labels an organiser typed, comma-separated; refused when unreadable."""
    labels = tuple(
        dict.fromkeys(
            clean_text(part).lower() for part in text.split(",") if clean_text(part)
        )
    )
    if len(labels) > 10 or any(len(label) > 50 for label in labels):
        raise Refused(Problem.BAD_LABELS)
    return labels


_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


def parse_owner(text: str) -> str:
    owner = text.strip().lower().removeprefix("https://github.com/").strip("/")
    if not _OWNER.match(owner):
        raise Refused(Problem.UNKNOWN_OWNER, owner=text[:40])
    return owner


# -- claims ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """What a claim is checked against."""

    issue: IssueInfo
    holder_id: int | None
    active_claims: int


def check_claim(member_id: int, check: ClaimCheck) -> None:
    """Refuse a claim on a pull request, a closed issue, a taken one, or too many."""
    if check.issue.is_pull:
        raise Refused(Problem.IS_PULL_REQUEST, ref=str(check.issue.ref))
    if check.issue.state != "open":
        raise Refused(Problem.ISSUE_CLOSED, ref=str(check.issue.ref))
    if check.holder_id == member_id:
        raise Refused(Problem.ALREADY_YOURS, ref=str(check.issue.ref))
    if check.holder_id is not None:
        raise Refused(Problem.TAKEN, ref=str(check.issue.ref), holder=check.holder_id)
    if check.active_claims >= MAX_ACTIVE_CLAIMS:
        raise Refused(Problem.TOO_MANY_CLAIMS, limit=MAX_ACTIVE_CLAIMS)


def claim_times(now: datetime, days: int) -> tuple[datetime, datetime]:
    """When a claim without a pull request expires, and when its holder is reminded."""
    expires = now + timedelta(days=days)
    remind = expires - min(REMIND_BEFORE, (expires - now) / 2)
    return expires, remind


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_CLAIM_DAYS:
        raise Refused(Problem.BAD_DAYS, limit=MAX_CLAIM_DAYS)
    return days


@dataclass(frozen=True, slots=True)
class PullRequest:
    """A pull request and the issues it refers to."""

    ref: IssueRef
    url: str
    state: PrState
    author: str
    fixes: frozenset[IssueRef] = field(default_factory=frozenset)


# -- tasks -------------------------------------------------------------------------------------
def check_text(text: str, *, limit: int, required: bool = True) -> str:
    cleaned = clean_text(text)
    if required and not cleaned:
        raise Refused(Problem.EMPTY_TEXT)
    if len(cleaned) > limit:
        raise Refused(Problem.TEXT_TOO_LONG, limit=limit)
    if mass_mention(cleaned):
        raise Refused(Problem.MASS_MENTION)
    return cleaned


_LINK = re.compile(r"^https?://[^\s<>]+\.[^\s<>]+$")


def check_link(text: str) -> str:
    link = clean_text(text)
    if len(link) > LINK_LIMIT or not _LINK.match(link):
        raise Refused(Problem.BAD_LINK)
    return link


def check_task_claim(member_id: int, state: TaskState, mentor_id: int) -> None:
    if state is not TaskState.OPEN:
        raise Refused(Problem.TASK_NOT_OPEN)
    if member_id == mentor_id:
        raise Refused(Problem.OWN_TASK)


def check_submission(state: TaskState) -> None:
    """The claimant hands in (the engine checks who): only a task in hand."""
    if state not in (TaskState.CLAIMED, TaskState.SUBMITTED):
        raise Refused(Problem.NOT_YOUR_TASK)


def check_review(state: TaskState, accept: bool, note: str) -> None:
    """The mentor (or an organiser: the engine checks who) decides a submission."""
    if state is not TaskState.SUBMITTED:
        raise Refused(Problem.NOTHING_SUBMITTED)
    if not accept and not note:
        raise Refused(Problem.NOTE_NEEDED)


# -- releases --------------------------------------------------------------------------------
def normalise_version(tag: str) -> str:
    """``v3.1.0`` and ``3.1.0`` are one release; ``flask-3.1.0`` too."""
    tag = tag.strip()
    match = re.search(r"\d+(?:\.\d+)*(?:[a-z]+\d*)?(?:\.post\d+)?(?:\.dev\d+)?$", tag)
    return match.group(0) if match else tag


def changelog_url(project: Project, version: str, release_url: str | None) -> str:
    """Where a release's changes are told: the GitHub release, else the PyPI page."""
    if release_url:
        return release_url
    return f"https://pypi.org/project/{project.pypi or project.name}/{version}/"


# -- recognition -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Thanks:
    """What one member did in a month, from the bot's own records."""

    user_id: int
    solved: int = 0
    first_prs: int = 0
    merged: int = 0
    mentored: int = 0
    tasks: int = 0
    caretaking: int = 0

    @property
    def anything(self) -> bool:
        return any(
            (
                self.solved,
                self.first_prs,
                self.merged,
                self.mentored,
                self.tasks,
                self.caretaking,
            )
        )


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The month before the one ``moment`` is in: [start, end) in UTC."""
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    previous = (first - timedelta(days=1)).replace(day=1)
    return previous, first


def next_recognition(after: datetime) -> datetime:
    """The first of the next month at 15:00 UTC: the monthly thank-you post."""
    first = after.replace(day=1, hour=15, minute=0, second=0, microsecond=0)
    if first > after:
        return first
    month = first.month % 12 + 1
    year = first.year + (1 if month == 1 else 0)
    return first.replace(year=year, month=month)


def merge_thanks(rows: Iterable[Thanks], quiet: Iterable[int]) -> list[Thanks]:
    """One line per member, members who opted out left out, most active first."""
    skip = set(quiet)
    merged: dict[int, Thanks] = {}
    for row in rows:
        if row.user_id in skip:
            continue
        have = merged.get(row.user_id, Thanks(row.user_id))
        merged[row.user_id] = Thanks(
            row.user_id,
            solved=have.solved + row.solved,
            first_prs=have.first_prs + row.first_prs,
            merged=have.merged + row.merged,
            mentored=have.mentored + row.mentored,
            tasks=have.tasks + row.tasks,
            caretaking=have.caretaking + row.caretaking,
        )
    people = [thanks for thanks in merged.values() if thanks.anything]
    return sorted(
        people,
        key=lambda t: (
            -(t.solved + t.merged + t.mentored + t.tasks + t.caretaking),
            t.user_id,
        ),
    )
