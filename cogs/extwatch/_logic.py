"""Extension health: pure rules, no I/O.

The raw answers of PyPI, GitHub and OSV are reduced to small records
(:class:`PypiInfo`, :class:`GithubInfo`, :class:`OsvInfo`); :func:`assess` turns them
into a status with its reasons. Reasons are codes with values, and refusals are
:class:`Problem` codes; ``_render`` words both.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import UTC
from enum import StrEnum
from typing import Any
from typing import TypeVar

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion
from packaging.version import Version

from bot.clock import parse_time
from bot.extensions import Flag
from bot.extensions import normalise_name as normalise_name
from bot.extensions import parse_repo as parse_repo
from bot.extensions import Risk
from bot.extensions import TAG_NAME_LIMIT
from bot.refusals import Refused
from bot.safety import clean_text
from bot.safety import clip

T = TypeVar("T")

DAY = 86400
#: The average month, for "no release in N months".
MONTH = 30.436875 * DAY


class MalformedData(ValueError):
    """An API answered, but not in the shape we know."""


class Problem(StrEnum):
    """Why an /ext command is refused (worded by ``_render``)."""

    NOT_WATCHED = "not_watched"
    EMPTY_LIST = "empty_list"
    INVALID_NAME = "invalid_name"
    NOT_GITHUB = "not_github"
    ALREADY_WATCHED = "already_watched"
    #: ``name``: not an extension the server knows.
    UNKNOWN_EXTENSION = "unknown_extension"
    BAD_GITHUB_USER = "bad_github_user"
    BAD_URL = "bad_url"
    BAD_TAG = "bad_tag"
    NOTHING_TO_CHANGE = "nothing_to_change"
    ALREADY_OFFERED = "already_offered"
    ALREADY_CARETAKER = "already_caretaker"
    NOT_CARETAKER = "not_caretaker"
    OWN_OFFER = "own_offer"
    OFFER_DECIDED = "offer_decided"
    NOT_YOURS = "not_yours"
    ALREADY_FOLLOWING = "already_following"
    NOT_FOLLOWING = "not_following"
    IN_ORG = "in_org"
    CASE_OPEN = "case_open"
    NO_CASE = "no_case"
    STEP_DONE = "step_done"
    #: ``step``: the step that has to come first.
    STEP_ORDER = "step_order"


class Status(StrEnum):
    HEALTHY = "healthy"
    WATCH = "watch"
    AT_RISK = "at_risk"
    #: Nothing fetched yet.
    UNKNOWN = "unknown"


#: Worst first: the order of the report.
STATUS_ORDER = (Status.AT_RISK, Status.WATCH, Status.HEALTHY, Status.UNKNOWN)


class ReasonCode(StrEnum):
    NO_RELEASE_RISK = "no_release_risk"
    ARCHIVED = "archived"
    INCOMPATIBLE = "incompatible"
    VULNERABLE = "vulnerable"
    NO_RELEASE_WATCH = "no_release_watch"
    QUIET_REPO = "quiet_repo"
    GROWING_BACKLOG = "growing_backlog"
    NOT_ON_PYPI = "not_on_pypi"


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    status: Status
    #: Values the wording needs (months, ids, counts), as plain strings/ints.
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Thresholds:
    watch_months: int = 12
    risk_months: int = 24
    flask_major: int = 3
    #: Backlog growth that earns "watch": this share more than the oldest sample
    #: within the window, and at least ``backlog_min_increase`` more items.
    backlog_growth: float = 0.25
    backlog_min_increase: int = 10
    backlog_window_days: int = 182


@dataclass(frozen=True, slots=True)
class PypiInfo:
    name: str
    version: str
    released_at: int | None
    #: The Flask requirement of the latest release ("" when any Flask; None when
    #: the package does not require Flask at all).
    flask_spec: str | None
    #: Whether ``flask_spec`` accepts the current major; None when unreadable.
    accepts_flask: bool | None
    summary: str = ""
    project_url: str = ""
    #: The requirement on each Pallets library it needs (package -> specifier).
    requires: tuple[tuple[str, str], ...] = ()

    def spec_for(self, package: str) -> str | None:
        return dict(self.requires).get(package)


@dataclass(frozen=True, slots=True)
class GithubInfo:
    full_name: str
    pushed_at: int | None
    archived: bool
    #: Open issues without pull requests (GitHub counts both together).
    open_issues: int
    open_prs: int
    html_url: str

    @property
    def backlog(self) -> int:
        return self.open_issues + self.open_prs


@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str
    summary: str


@dataclass(frozen=True, slots=True)
class OsvInfo:
    version: str
    vulns: tuple[Vulnerability, ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    pypi: PypiInfo | None = None
    github: GithubInfo | None = None
    osv: OsvInfo | None = None
    #: (epoch seconds, open issues + PRs), one sample per good GitHub fetch.
    backlog_history: Sequence[tuple[int, int]] = ()
    #: PyPI said the package does not exist.
    missing_on_pypi: bool = False


@dataclass(frozen=True, slots=True)
class Assessment:
    status: Status
    reasons: tuple[Reason, ...]


# -- the rules -------------------------------------------------------------------------
def months_since(then: int, now: int) -> int:
    """Whole months between two epoch times (never negative)."""
    return max(int((now - then) // MONTH), 0)


def assess(evidence: Evidence, limits: Thresholds, now: int) -> Assessment:
    """Apply the health rules; the worst reason sets the status."""
    if (
        evidence.pypi is None
        and evidence.github is None
        and not evidence.missing_on_pypi
    ):
        return Assessment(Status.UNKNOWN, ())
    reasons: list[Reason] = []
    pypi, github, osv = evidence.pypi, evidence.github, evidence.osv
    if evidence.missing_on_pypi:
        reasons.append(Reason(ReasonCode.NOT_ON_PYPI, Status.AT_RISK))
    if pypi is not None and pypi.released_at is not None:
        age = now - pypi.released_at
        months = months_since(pypi.released_at, now)
        if age >= limits.risk_months * MONTH:
            reasons.append(
                Reason(ReasonCode.NO_RELEASE_RISK, Status.AT_RISK, {"months": months})
            )
        elif age >= limits.watch_months * MONTH:
            reasons.append(
                Reason(ReasonCode.NO_RELEASE_WATCH, Status.WATCH, {"months": months})
            )
    if github is not None and github.archived:
        reasons.append(Reason(ReasonCode.ARCHIVED, Status.AT_RISK))
    if pypi is not None and pypi.accepts_flask is False:
        reasons.append(
            Reason(
                ReasonCode.INCOMPATIBLE,
                Status.AT_RISK,
                {"spec": pypi.flask_spec or "", "major": limits.flask_major},
            )
        )
    if osv is not None and osv.vulns and (pypi is None or osv.version == pypi.version):
        reasons.append(
            Reason(
                ReasonCode.VULNERABLE,
                Status.AT_RISK,
                {"ids": ", ".join(v.id for v in osv.vulns), "count": len(osv.vulns)},
            )
        )
    if (
        github is not None
        and not github.archived
        and github.pushed_at is not None
        and now - github.pushed_at >= limits.watch_months * MONTH
    ):
        reasons.append(
            Reason(
                ReasonCode.QUIET_REPO,
                Status.WATCH,
                {"months": months_since(github.pushed_at, now)},
            )
        )
    growth = backlog_growth(evidence.backlog_history, limits, now)
    if github is not None and not github.archived and growth is not None:
        reasons.append(
            Reason(
                ReasonCode.GROWING_BACKLOG,
                Status.WATCH,
                {"before": growth[0], "now": growth[1]},
            )
        )
    if any(r.status is Status.AT_RISK for r in reasons):
        status = Status.AT_RISK
    elif reasons:
        status = Status.WATCH
    else:
        status = Status.HEALTHY
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    reasons.sort(key=lambda r: order[r.status])
    return Assessment(status, tuple(reasons))


def backlog_growth(
    history: Sequence[tuple[int, int]], limits: Thresholds, now: int
) -> tuple[int, int] | None:
    """(then, now) when the backlog grew enough within the window, else None."""
    window = [
        (ts, n)
        for ts, n in sorted(history)
        if now - ts <= limits.backlog_window_days * DAY
    ]
    if len(window) < 2:
        return None
    before, latest = window[0][1], window[-1][1]
    increase = latest - before
    if increase >= limits.backlog_min_increase and latest >= before * (
        1 + limits.backlog_growth
    ):
        return before, latest
    return None


@dataclass(frozen=True, slots=True)
class Change:
    package: str
    before: Status
    after: Status
    reasons: tuple[Reason, ...]


def status_change(
    package: str, reported: Status | None, current: Assessment
) -> Change | None:
    """The change worth telling organisers about, if any.

    The first assessment only sets the baseline, and "unknown" (nothing fetched)
    is never news.
    """
    if reported is None or reported is Status.UNKNOWN:
        return None
    if current.status is Status.UNKNOWN or current.status is reported:
        return None
    return Change(package, reported, current.status, current.reasons)


# -- grouping -----------------------------------------------------------------------------
def group_by_status(
    rows: Iterable[tuple[Status, T]],
) -> list[tuple[Status, list[T]]]:
    """Group rows worst status first, keeping each group's order."""
    groups: dict[Status, list[T]] = {s: [] for s in STATUS_ORDER}
    for status, item in rows:
        groups[status].append(item)
    return [(s, groups[s]) for s in STATUS_ORDER if groups[s]]


# -- names ------------------------------------------------------------------------------
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_GITHUB_USER = re.compile(r"^@?([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))$")


def valid_package_name(name: str) -> bool:
    return len(name) <= 100 and _NAME.match(name) is not None


def github_user(text: str | None) -> str | None:
    """A GitHub handle from ``octocat`` or ``@octocat``; a refusal when not one."""
    if text is None or not text.strip():
        return None
    match = _GITHUB_USER.match(text.strip())
    if match is None:
        raise Refused(Problem.BAD_GITHUB_USER, name=shown_name(text))
    return match.group(1)


def shown_name(text: str) -> str:
    """A name a member typed, safe to quote back in a refusal."""
    return clip(clean_text(text), 100)


def check_new_watch(name: str, repo: str | None) -> tuple[str, str | None]:
    """The package (normalised) and repository to watch, or a refusal."""
    if not valid_package_name(name):
        raise Refused(Problem.INVALID_NAME, name=shown_name(name))
    parsed_repo = parse_repo(repo) if repo else None
    if repo and parsed_repo is None:
        raise Refused(Problem.NOT_GITHUB, repo=shown_name(repo))
    return normalise_name(name), parsed_repo


# -- PyPI -------------------------------------------------------------------------------
#: The Pallets libraries whose releases the watch follows (PyPI names).
CORE_PACKAGES = ("flask", "werkzeug", "jinja2")


def flask_requirement(requires_dist: Iterable[str]) -> str | None:
    """The specifier of the unconditional Flask requirement ("" for any), or None."""
    return core_requirements(requires_dist).get("flask")


def core_requirements(requires_dist: Iterable[str]) -> dict[str, str]:
    """The unconditional requirement on each of :data:`CORE_PACKAGES` ("" for any)."""
    found: dict[str, str] = {}
    for line in requires_dist:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        name = canonicalize_name(requirement.name)
        if name not in CORE_PACKAGES or name in found:
            continue
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue  # an optional feature, not what installing the package needs
        found[name] = str(requirement.specifier)
    return found


@functools.lru_cache(maxsize=1024)
def accepts_major(spec: str, major: int) -> bool | None:
    """Whether some final release ``major.x.y`` satisfies the specifier ``spec``.

    ``None`` when the specifier cannot be read ("cannot tell", never a false alarm).
    The releases tried are a grid of ``major.minor.patch`` plus every version the
    specifier names in that major and the release after it, so boundaries such as
    ``>3.0.1`` or ``!=3.1.0`` are decided right.

    Remembered: the refresh asks it for every package, mostly with the same few
    specifiers, and the grid alone is 450 versions (tens of milliseconds of the
    event loop each time when it was built afresh).
    """
    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    # A list, not a set: "3.0" equals "3.0.0", but "===3.0" compares the spelling.
    candidates = list(_release_grid(major))
    for clause in specifier:
        try:
            named = Version(clause.version.removesuffix(".*"))
        except InvalidVersion:
            continue
        if named.major == major:
            release = named.release + (0,) * (3 - len(named.release))
            candidates.append(named)
            candidates.append(
                Version(".".join(map(str, (*release[:-1], release[-1] + 1))))
            )
    return any(specifier.contains(version, prereleases=False) for version in candidates)


@functools.cache
def _release_grid(major: int) -> tuple[Version, ...]:
    """``major.minor.patch`` for 30 minors and 15 patches (versions are immutable)."""
    return tuple(
        Version(f"{major}.{minor}.{patch}")
        for minor in range(30)
        for patch in range(15)
    )


def _dict(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedData(f"{what} is not an object")
    return value


def parse_pypi(data: object, flask_major: int) -> PypiInfo:
    """Reduce ``/pypi/<name>/json`` to what the rules need."""
    body = _dict(data, "PyPI answer")
    info = _dict(body.get("info"), "PyPI info")
    version = info.get("version")
    name = info.get("name")
    if not isinstance(version, str) or not isinstance(name, str):
        raise MalformedData("PyPI info has no name or version")
    requires = info.get("requires_dist") or []
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise MalformedData("PyPI requires_dist is not a list of strings")
    uploads: list[int] = []
    files = body.get("urls")
    if not isinstance(files, list):
        releases = body.get("releases")
        files = releases.get(version) if isinstance(releases, dict) else None
    for entry in files if isinstance(files, list) else []:
        if isinstance(entry, dict):
            ts = parse_time(entry.get("upload_time_iso_8601")) or parse_time(
                f"{entry.get('upload_time')}Z" if entry.get("upload_time") else None
            )
            if ts is not None:
                uploads.append(ts)
    specs = core_requirements(requires)
    spec = specs.get("flask")
    accepts = None if spec is None else accepts_major(spec, flask_major)
    if spec is None:
        accepts = None
    project_url = info.get("project_url") or info.get("package_url") or ""
    summary = info.get("summary") or ""
    return PypiInfo(
        name=name,
        version=version,
        released_at=min(uploads) if uploads else None,
        flask_spec=spec,
        accepts_flask=accepts,
        summary=summary if isinstance(summary, str) else "",
        project_url=project_url if isinstance(project_url, str) else "",
        requires=tuple(sorted(specs.items())),
    )


def github_info(
    *,
    full_name: str,
    pushed_at: int | None,
    archived: bool,
    open_items: int,
    open_prs: int,
    html_url: str,
) -> GithubInfo:
    """The record the rules need from a repository and its open pull request count.

    GitHub counts open issues and pull requests together (``open_items``).
    """
    return GithubInfo(
        full_name=full_name,
        pushed_at=pushed_at,
        archived=archived,
        open_issues=max(open_items - open_prs, 0),
        open_prs=open_prs,
        html_url=html_url,
    )


def parse_osv(data: object, version: str) -> OsvInfo:
    """Reduce an OSV ``/v1/query`` answer (``{}`` when nothing is known)."""
    body = _dict(data, "OSV answer")
    vulns = body.get("vulns", [])
    if not isinstance(vulns, list):
        raise MalformedData("OSV vulns is not a list")
    found = []
    for item in vulns:
        entry = _dict(item, "OSV vulnerability")
        ident = entry.get("id")
        if not isinstance(ident, str):
            raise MalformedData("OSV vulnerability without id")
        aliases = entry.get("aliases")
        cve = next(
            (a for a in aliases or [] if isinstance(a, str) and a.startswith("CVE-")),
            None,
        )
        summary = entry.get("summary") or entry.get("details") or ""
        found.append(
            Vulnerability(
                id=cve or ident,
                summary=summary.splitlines()[0][:200]
                if isinstance(summary, str) and summary
                else "",
            )
        )
    return OsvInfo(version=version, vulns=tuple(found))


# -- serialising records for the cache ---------------------------------------------------
def to_json(record: PypiInfo | GithubInfo | OsvInfo) -> dict[str, Any]:
    if isinstance(record, OsvInfo):
        return {
            "version": record.version,
            "vulns": [{"id": v.id, "summary": v.summary} for v in record.vulns],
        }
    return {name: getattr(record, name) for name in record.__slots__}


def pypi_from_json(data: Mapping[str, Any]) -> PypiInfo:
    values = dict(data)
    values["requires"] = tuple(tuple(pair) for pair in values.get("requires", ()))
    return PypiInfo(**values)


def github_from_json(data: Mapping[str, Any]) -> GithubInfo:
    return GithubInfo(**data)


def osv_from_json(data: Mapping[str, Any]) -> OsvInfo:
    return OsvInfo(
        version=data["version"],
        vulns=tuple(Vulnerability(v["id"], v["summary"]) for v in data["vulns"]),
    )


def age_parts(seconds: int) -> tuple[str, int]:
    """An age as (unit, count) in the largest unit that fits: minutes, hours, days."""
    seconds = max(seconds, 0)
    if seconds >= DAY:
        return "days", seconds // DAY
    if seconds >= 3600:
        return "hours", seconds // 3600
    return "minutes", max(math.ceil(seconds / 60), 1)


# -- scheduling --------------------------------------------------------------------------
#: The weekly check: Mondays at 06:00 UTC.
WEEKLY_WEEKDAY = 0
WEEKLY_HOUR = 6


def next_weekly(after: datetime) -> datetime:
    """The first weekly slot strictly after ``after`` (an aware datetime)."""
    from datetime import timedelta

    if after.tzinfo is None:
        raise ValueError("naive datetime")
    start = after.astimezone(UTC).replace(
        hour=WEEKLY_HOUR, minute=0, second=0, microsecond=0
    )
    days = (WEEKLY_WEEKDAY - start.weekday()) % 7
    slot = start + timedelta(days=days)
    if slot <= after:
        slot += timedelta(days=7)
    return slot


# -- stewardship ------------------------------------------------------------------------
class Help(StrEnum):
    """What kind of help a volunteer offers."""

    MAINTAIN = "maintain"
    TRIAGE = "triage"
    REVIEW = "review"
    DOCS = "docs"
    RELEASE = "release"


class Hours(StrEnum):
    """How much time a volunteer offers."""

    FEW = "few"  # a few hours a month
    WEEKLY = "weekly"  # a few hours a week
    MORE = "more"  # more than that


class CaretakerRole(StrEnum):
    LEAD = "lead"
    MAINTAINER = "maintainer"
    TRIAGER = "triager"


def role_for(help: Help) -> CaretakerRole:
    """The role an accepted offer starts with."""
    if help in (Help.MAINTAIN, Help.RELEASE):
        return CaretakerRole.MAINTAINER
    return CaretakerRole.TRIAGER


@dataclass(frozen=True, slots=True)
class Caretaker:
    id: int
    guild_id: int
    package: str
    user_id: int
    github: str | None
    role: CaretakerRole
    since: int
    confirmed_at: int | None
    asked_at: int | None


@dataclass(frozen=True, slots=True)
class Activity:
    """Who committed and released lately on a repository."""

    #: (author login or name, epoch seconds), newest first.
    commits: tuple[tuple[str, int], ...] = ()
    #: (author login, tag, epoch seconds), newest first.
    releases: tuple[tuple[str, str, int], ...] = ()

    def last_seen(self) -> dict[str, int]:
        """Each author's latest commit or release (logins lowercased)."""
        seen: dict[str, int] = {}
        for who, when in self.commits:
            seen[who.lower()] = max(seen.get(who.lower(), 0), when)
        for who, _tag, when in self.releases:
            seen[who.lower()] = max(seen.get(who.lower(), 0), when)
        return seen

    def authors(self, since: int) -> set[str]:
        found = {who.lower() for who, when in self.commits if when >= since}
        found |= {who.lower() for who, _tag, when in self.releases if when >= since}
        return found


def activity_to_json(activity: Activity) -> dict[str, Any]:
    return {
        "commits": [list(c) for c in activity.commits],
        "releases": [list(r) for r in activity.releases],
    }


def activity_from_json(data: Mapping[str, Any]) -> Activity:
    return Activity(
        commits=tuple((str(w), int(t)) for w, t in data.get("commits", [])),
        releases=tuple(
            (str(w), str(tag), int(t)) for w, tag, t in data.get("releases", [])
        ),
    )


@dataclass(frozen=True, slots=True)
class Policy:
    """How many active caretakers an extension should have, and what "active" is."""

    minimum: int
    inactive_months: int = 6
    #: Days a caretaker has to answer "are you still in?" before counting as gone.
    answer_days: int = 14


@dataclass(frozen=True, slots=True)
class Roster:
    """The caretakers of an extension, sorted by what their activity says."""

    active: tuple[Caretaker, ...]
    #: Asked whether they are still in, no answer yet (still counted active).
    waiting: tuple[Caretaker, ...]
    #: No activity, asked, no answer in time.
    inactive: tuple[Caretaker, ...]
    #: To ask now (counted active until they answer or the time runs out).
    to_ask: tuple[Caretaker, ...]


def roster(
    caretakers: Sequence[Caretaker],
    activity: Activity | None,
    policy: Policy,
    now: int,
) -> Roster:
    """Who is active: new, confirmed, or seen on GitHub within the months."""
    window = policy.inactive_months * MONTH
    seen = activity.last_seen() if activity is not None else {}
    active, waiting, inactive, to_ask = [], [], [], []
    for person in caretakers:
        recent = [person.since, person.confirmed_at or 0]
        if person.github:
            recent.append(seen.get(person.github.lower(), 0))
        if activity is None or now - max(recent) < window:
            active.append(person)
        elif person.asked_at is not None and now - person.asked_at < window:
            if now - person.asked_at < policy.answer_days * DAY:
                waiting.append(person)
            else:
                inactive.append(person)
        else:
            to_ask.append(person)
    return Roster(tuple(active), tuple(waiting), tuple(inactive), tuple(to_ask))


def caretaker_risk(
    state: Roster, activity: Activity | None, policy: Policy, now: int
) -> Risk | None:
    """ "Needs caretakers", and why, when the policy asks for some."""
    if policy.minimum <= 0:
        return None
    if state.inactive:
        who = ", ".join(p.github or str(p.user_id) for p in state.inactive)
        return Risk(
            Flag.NEEDS_CARETAKERS,
            {"why": "inactive", "who": who, "months": policy.inactive_months},
        )
    have = len(state.active) + len(state.waiting) + len(state.to_ask)
    if have < policy.minimum:
        return Risk(
            Flag.NEEDS_CARETAKERS,
            {"why": "short", "have": have, "wanted": policy.minimum},
        )
    if activity is not None:
        since = now - int(policy.inactive_months * MONTH)
        recent = [c for c in activity.commits if c[1] >= since]
        if len(recent) >= 2 and len(activity.authors(since)) == 1:
            return Risk(Flag.NEEDS_CARETAKERS, {"why": "one_person"})
    return None


def health_risks(assessment: Assessment) -> list[Risk]:
    """The risks members hear about, from the health assessment's reasons."""
    risks: list[Risk] = []
    for reason in assessment.reasons:
        values = dict(reason.values)
        if reason.code is ReasonCode.VULNERABLE:
            risks.append(Risk(Flag.VULNERABLE, values))
        elif reason.code is ReasonCode.ARCHIVED:
            risks.append(Risk(Flag.ARCHIVED))
        elif reason.code is ReasonCode.INCOMPATIBLE:
            risks.append(Risk(Flag.INCOMPATIBLE, values))
        elif reason.code is ReasonCode.NO_RELEASE_RISK:
            risks.append(Risk(Flag.ABANDONED, values))
    return risks


# -- adoption ------------------------------------------------------------------------------
class Step(StrEnum):
    """What an adoption takes, in order."""

    CONTACT = "contact"
    ANSWER = "answer"
    REPOSITORY = "repository"
    PYPI = "pypi"
    CI = "ci"
    RELEASE = "release"


STEPS = tuple(Step)


def check_step(done: Iterable[Step], step: Step) -> None:
    """Refuse a step already recorded, or one whose earlier steps are missing."""
    finished = set(done)
    if step in finished:
        raise Refused(Problem.STEP_DONE, step=step.value)
    for earlier in STEPS[: STEPS.index(step)]:
        if earlier not in finished:
            raise Refused(Problem.STEP_ORDER, step=earlier.value)


# -- what organisers edit ----------------------------------------------------------------
_URL = re.compile(r"^https://[^\s/$.?#][^\s]*$")


def check_url(text: str) -> str:
    url = text.strip()
    if len(url) > 300 or not _URL.match(url):
        raise Refused(Problem.BAD_URL, url=shown_name(url))
    return url


def check_tag(text: str) -> str:
    tag = clean_text(text).strip()
    if not 1 <= len(tag) <= TAG_NAME_LIMIT:
        raise Refused(Problem.BAD_TAG, tag=shown_name(text))
    return tag


def parse_keywords(text: str) -> tuple[str, ...]:
    """Comma-separated keywords, lowercased, each 2 to 40 characters."""
    words = [clean_text(w).strip().lower() for w in text.split(",")]
    kept = tuple(dict.fromkeys(w[:40] for w in words if len(w) >= 2))
    return kept[:20]


# -- Flask, Werkzeug and Jinja releases ----------------------------------------------------
def is_feature_release(before: str, after: str) -> bool:
    """Whether ``after`` is a new major or minor final release compared to ``before``."""
    try:
        old, new = Version(before), Version(after)
    except InvalidVersion:
        return False
    if new.is_prerelease or new.is_devrelease:
        return False
    return (new.major, new.minor) > (old.major, old.minor)


def excludes(spec: str | None, version: str) -> bool:
    """Whether a declared requirement ``spec`` leaves ``version`` out."""
    if spec is None or spec == "":
        return False
    try:
        return not SpecifierSet(spec).contains(Version(version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False
