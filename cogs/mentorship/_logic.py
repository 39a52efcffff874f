"""Mentorship rules: parsing, fit between a mentor and a request, cohort matching.

Pure: no discord, no I/O (the topic list's text is read by the caller). A rule that
says no raises :class:`~bot.refusals.Refused` with a :class:`Problem`; ``_render``
words it.
"""

from __future__ import annotations

import functools
import hashlib
import statistics
import tomllib
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.refusals import Refused

MAX_TOPICS = 8
MAX_LANGUAGES = 5
LANGUAGE_LENGTH = 30
GOAL_LENGTH = 1000
NOTE_LENGTH = 500
FEEDBACK_LENGTH = 1000
MAX_CAPACITY = 10
DEFAULT_CHECKIN_DAYS = 14
UNCLAIMED_AFTER = timedelta(days=7)
QUEUE_PAGE_SIZE = 5
#: Waiting requests the weekly digest names (an embed holds 4,096 characters).
DIGEST_LISTED = 10
#: Mentors the weekly digest suggests for each (as ``suggest_mentors``' default).
DIGEST_SUGGESTED = 3
#: Oldest open requests one /mentor-admin match proposes pairs for (one line each).
MATCH_COHORT = 25
#: Half a day: the farthest two UTC offsets can be once the day wraps around.
MAX_TZ_DISTANCE = 12 * 60
#: What the languages option suggests (any other name is accepted too).
COMMON_LANGUAGES = (
    "English",
    "French",
    "German",
    "Spanish",
    "Portuguese",
    "Italian",
    "Dutch",
    "Polish",
    "Russian",
    "Ukrainian",
    "Turkish",
    "Arabic",
    "Hindi",
    "Bengali",
    "Chinese",
    "Japanese",
    "Korean",
    "Indonesian",
    "Vietnamese",
    "Swahili",
)


class Problem(StrEnum):
    """Why the mentorship job says no; ``_render.refusal`` words each one."""

    NOT_IN_SERVER = "not_in_server"
    UNKNOWN_TOPICS = "unknown_topics"  # unknown, known
    NO_TOPIC = "no_topic"
    TOO_MANY_TOPICS = "too_many_topics"  # count
    TOO_MANY_LANGUAGES = "too_many_languages"  # count, length
    GOAL_LENGTH = "goal_length"  # limit
    NOTE_LENGTH = "note_length"  # limit
    FIRST_PROFILE = "first_profile"
    NO_PROFILE_YET = "no_profile_yet"
    NO_PROFILE = "no_profile"
    NO_CHANNEL = "no_channel"
    QUEUE_EMPTY = "queue_empty"
    NO_SUCH_REQUEST = "no_such_request"  # id
    OWN_REQUEST = "own_request"
    TAKEN = "taken"  # id
    PAUSED = "paused"
    AT_CAPACITY = "at_capacity"  # count
    ALREADY_ASKED = "already_asked"
    HAS_MENTOR = "has_mentor"
    NO_OPEN_REQUEST = "no_open_request"
    PAIRING_CLOSED = "pairing_closed"
    NOT_MENTORING = "not_mentoring"  # mentee
    NO_PAIRING = "no_pairing"
    NAME_THE_MENTEE = "name_the_mentee"
    PROPOSAL_DONE = "proposal_done"
    UNKNOWN_CHECKIN = "unknown_checkin"


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class MentorProfile:
    guild_id: int
    user_id: int
    topics: tuple[str, ...]
    languages: tuple[str, ...]
    timezone: str
    capacity: int
    available: bool
    #: Active pairings right now (filled in by the query that loads the profile).
    active: int = 0

    @property
    def free(self) -> int:
        return max(self.capacity - self.active, 0) if self.available else 0


@dataclass(frozen=True, slots=True)
class MentorRequest:
    id: int
    guild_id: int
    mentee_id: int
    topics: tuple[str, ...]
    goal: str
    timezone: str
    languages: tuple[str, ...]
    state: str
    created_at: int
    release_note: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class Fit:
    """How well a mentor suits a request; larger is better, compared in field order."""

    overlap: int
    #: Negated distance in minutes between UTC offsets, so nearer sorts larger.
    closeness: int
    shared_language: bool
    waiting: int

    @property
    def score(self) -> int:
        """One integer that orders pairs exactly as the fields do (lexicographic).

        Each tier's largest value stays below one unit of the tier above it:
        waiting days are capped at 49, a shared language is worth 50, one minute of
        timezone distance 100, one shared topic 100,000 (> 720 minutes * 100 + 99).
        """
        waiting_days = min(self.waiting // 86400, 49)
        return (
            self.overlap * 100_000
            + (MAX_TZ_DISTANCE + self.closeness) * 100
            + (50 if self.shared_language else 0)
            + waiting_days
        )


# -- parsing ----------------------------------------------------------------------------
def load_topics(text: str) -> tuple[Topic, ...]:
    """Parse the topic list (TOML with ``[[topic]]`` tables of ``slug`` and ``name``)."""
    data = tomllib.loads(text)
    topics = tuple(
        Topic(str(item["slug"]).strip().lower(), str(item["name"]).strip())
        for item in data.get("topic", [])
    )
    slugs = [topic.slug for topic in topics]
    if len(set(slugs)) != len(slugs):
        raise ValueError("topic slugs must be unique")
    return topics


def split_list(text: str) -> list[str]:
    """Split a comma-separated option into lowercase items, without repeats."""
    seen: list[str] = []
    for raw in text.replace(";", ",").split(","):
        item = " ".join(raw.split()).lower()
        if item and item not in seen:
            seen.append(item)
    return seen


def parse_topics(
    text: str, known: Sequence[Topic]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (known topic slugs, unknown items) named in ``text``.

    Each item may be a slug or a display name, in any case.
    """
    by_key: dict[str, str] = {}
    for topic in known:
        by_key[topic.slug] = topic.slug
        by_key[topic.name.lower()] = topic.slug
    found: list[str] = []
    unknown: list[str] = []
    for item in split_list(text):
        slug = by_key.get(item) or by_key.get(item.replace(" ", "-"))
        if slug is None:
            unknown.append(item)
        elif slug not in found:
            found.append(slug)
    return tuple(found), tuple(unknown)


def choose_topics(text: str, known: Sequence[Topic]) -> tuple[str, ...]:
    """The topic slugs ``text`` names: at least one, at most :data:`MAX_TOPICS`."""
    found, unknown = parse_topics(text, known)
    if unknown:
        raise Refused(
            Problem.UNKNOWN_TOPICS,
            unknown=", ".join(unknown),
            known=", ".join(t.slug for t in known),
        )
    if not found:
        raise Refused(Problem.NO_TOPIC)
    if len(found) > MAX_TOPICS:
        raise Refused(Problem.TOO_MANY_TOPICS, count=MAX_TOPICS)
    return found


def parse_languages(text: str) -> tuple[str, ...]:
    """Return the languages named in ``text``; refuse when too many or too long.

    (:class:`~bot.refusals.Refused` is a ValueError.)
    """
    items = split_list(text)
    if len(items) > MAX_LANGUAGES or any(len(i) > LANGUAGE_LENGTH for i in items):
        raise Refused(
            Problem.TOO_MANY_LANGUAGES, count=MAX_LANGUAGES, length=LANGUAGE_LENGTH
        )
    return tuple(items)


def check_goal(goal: str) -> str:
    """A cleaned goal of 1 to :data:`GOAL_LENGTH` characters, or a refusal."""
    if not goal or len(goal) > GOAL_LENGTH:
        raise Refused(Problem.GOAL_LENGTH, limit=GOAL_LENGTH)
    return goal


def check_note(note: str) -> str:
    """A cleaned release note of 1 to :data:`NOTE_LENGTH` characters, or a refusal."""
    if not note or len(note) > NOTE_LENGTH:
        raise Refused(Problem.NOTE_LENGTH, limit=NOTE_LENGTH)
    return note


def updated_profile(
    current: MentorProfile | None,
    *,
    guild_id: int,
    user_id: int,
    topics: tuple[str, ...] | None,
    languages: tuple[str, ...] | None,
    timezone: str | None,
    capacity: int | None,
    available: bool | None,
) -> MentorProfile:
    """``current`` with the options given (None: unchanged); a first needs topics
    and a timezone."""
    if current is None and (topics is None or timezone is None):
        raise Refused(Problem.FIRST_PROFILE)
    return MentorProfile(
        guild_id=guild_id,
        user_id=user_id,
        topics=topics or (current.topics if current else ()),
        languages=(
            languages
            if languages is not None
            else (current.languages if current else ())
        ),
        timezone=timezone or (current.timezone if current else "UTC"),
        capacity=(
            capacity if capacity is not None else (current.capacity if current else 1)
        ),
        available=(
            available
            if available is not None
            else (current.available if current else True)
        ),
        active=current.active if current else 0,
    )


def claim_refusal(
    request_id: int,
    request: MentorRequest | None,
    profile: MentorProfile | None,
    user_id: int,
) -> Refused:
    """Why ``user_id`` did not win the claim of request ``request_id``."""
    if request is None:
        return Refused(Problem.NO_SUCH_REQUEST, id=request_id)
    if request.mentee_id == user_id:
        return Refused(Problem.OWN_REQUEST)
    if request.state != "open":
        return Refused(Problem.TAKEN, id=request_id)
    if profile is None:
        return Refused(Problem.NO_PROFILE)
    if not profile.available:
        return Refused(Problem.PAUSED)
    return Refused(Problem.AT_CAPACITY, count=profile.capacity)


def list_choices(current: str, options: Iterable[str], limit: int = 25) -> list[str]:
    """Complete the last item of a comma-separated list, keeping the earlier items."""
    head, _sep, last = current.rpartition(",")
    prefix = (head + ", ") if head.strip() else ""
    chosen = set(split_list(head))
    needle = last.strip().lower()
    out = []
    for option in options:
        if option.lower() in chosen:
            continue
        if option.lower().startswith(needle) or needle in option.lower():
            out.append(prefix + option)
    return out[:limit]


# -- fit and ranking -------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def utc_offset_minutes(timezone: str, at: datetime) -> int:
    """The UTC offset of ``timezone`` at the moment ``at``, in minutes.

    Cached: ranking compares thousands of profiles at one moment, and a community
    uses a few dozen timezones (a full-size digest spent seconds here, uncached).
    """
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


def timezone_distance(a: str, b: str, at: datetime) -> int:
    """Minutes between two timezones' UTC offsets now, wrapping at 24 hours."""
    diff = abs(utc_offset_minutes(a, at) - utc_offset_minutes(b, at)) % (24 * 60)
    return min(diff, 24 * 60 - diff)


def closeness_by_zone(
    zones: Iterable[str], timezone: str, at: datetime
) -> dict[str, int]:
    """How close each of ``zones`` is to ``timezone`` at ``at``: ``MAX_TZ_DISTANCE``
    less their distance (as :class:`Fit` orders, larger is nearer)."""
    return {
        zone: MAX_TZ_DISTANCE - timezone_distance(zone, timezone, at) for zone in zones
    }


def fit(mentor: MentorProfile, request: MentorRequest, at: datetime) -> Fit:
    return Fit(
        overlap=len(set(mentor.topics) & set(request.topics)),
        closeness=-timezone_distance(mentor.timezone, request.timezone, at),
        shared_language=bool(set(mentor.languages) & set(request.languages)),
        waiting=max(int(at.timestamp()) - request.created_at, 0),
    )


def rank_queue(
    mentor: MentorProfile, requests: Iterable[MentorRequest], at: datetime
) -> list[MentorRequest]:
    """Open requests best first for ``mentor``; their own request is left out.

    Topic overlap first, then timezone closeness, then a shared language, then the
    longest wait; the request id breaks remaining ties (older first).
    """
    candidates = [r for r in requests if r.mentee_id != mentor.user_id]
    return sorted(candidates, key=lambda r: (fit(mentor, r, at), -r.id), reverse=True)


def suggest_mentors(
    request: MentorRequest,
    mentors: Iterable[MentorProfile],
    at: datetime,
    limit: int = DIGEST_SUGGESTED,
) -> list[MentorProfile]:
    """Available mentors with room and a shared topic, best fit first."""
    wanted = set(request.topics)
    # Only mentors sharing a topic are scored: the full fit is the costly part.
    fits = [
        (fit(m, request, at), -m.user_id, m)
        for m in mentors
        if m.free > 0
        and m.user_id != request.mentee_id
        and wanted.intersection(m.topics)
    ]
    fits.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    return [entry[2] for entry in fits[:limit]]


def page_count(total: int, size: int = QUEUE_PAGE_SIZE) -> int:
    return max((total + size - 1) // size, 1)


def page(
    items: Sequence[MentorRequest], number: int, size: int = QUEUE_PAGE_SIZE
) -> tuple[int, list[MentorRequest]]:
    """Clamp ``number`` (0-based) to the pages there are and return that page."""
    number = min(max(number, 0), page_count(len(items), size) - 1)
    return number, list(items[number * size : (number + 1) * size])


def total_score(
    pairs: Iterable[tuple[MentorRequest, MentorProfile]], at: datetime
) -> int:
    return sum(fit(m, r, at).score for r, m in pairs)


# -- time and numbers -----------------------------------------------------------------
def next_digest_at(now: datetime) -> datetime:
    """The next Monday 09:00 UTC strictly after ``now``."""
    now = now.astimezone(UTC)
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    while monday <= now:
        monday += timedelta(days=7)
    return monday


#: A request still waiting after each of these ages is news again (days).
WAIT_THRESHOLDS = (7, 14, 28, 56)


def wait_stage(waited_days: int) -> int:
    """How many of :data:`WAIT_THRESHOLDS` a wait of this many days has passed."""
    return sum(waited_days >= days for days in WAIT_THRESHOLDS)


def digest_fingerprint(waiting: Iterable[tuple[int, int]], now_ts: int) -> str:
    """What a digest of these ``(request id, created_at)`` would say, in short.

    Two digests with the same fingerprint list the same requests at the same stage
    of waiting: the second would be a copy. A request claimed, withdrawn or new, or
    one that has now waited 2, 4 or 8 weeks, changes it. (The digest computes the
    same from SQL's text, :func:`fingerprint_of`; this is its reference.)
    """
    return fingerprint_of(
        f"{request_id}:{wait_stage((now_ts - created_at) // 86_400)};"
        for request_id, created_at in sorted(waiting)
    )


def fingerprint_of(parts: Iterable[str]) -> str:
    """The fingerprint of ``id:stage;`` entries in id order, however they are cut."""
    digest = hashlib.blake2b(digest_size=8)
    for part in parts:
        digest.update(part.encode())
    return digest.hexdigest()


def median_seconds(values: Sequence[int]) -> int | None:
    return int(statistics.median(values)) if values else None


def unclaimed(requests: Iterable[MentorRequest], now_ts: int) -> list[MentorRequest]:
    """Open requests waiting for longer than :data:`UNCLAIMED_AFTER`, oldest first."""
    cutoff = now_ts - int(UNCLAIMED_AFTER.total_seconds())
    return sorted(
        (r for r in requests if r.state == "open" and r.created_at <= cutoff),
        key=lambda r: (r.created_at, r.id),
    )


#: A request as the queue index takes it: id, mentee, topics, timezone, languages
#: and creation time (the goal is not ranked, so it is not read).
QueueRow = tuple[int, int, tuple[str, ...], str, tuple[str, ...], int]
#: What joins a request's topics, timezone and languages (as stored) in its profile.
PROFILE_SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class QueueSlice:
    """Open requests as the queue index loads them from SQL, column by column."""

    ids: list[int]
    mentees: list[int]
    created: list[int]
    #: Each request's topics, timezone and languages as stored (JSON lists, the
    #: timezone's name), joined by :data:`PROFILE_SEPARATOR`.
    profiles: list[str]
