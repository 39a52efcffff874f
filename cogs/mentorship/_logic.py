"""Mentorship rules: parsing, fit between a mentor and a request, cohort matching.

Pure: no discord, no I/O (the topic list's text is read by the caller).
"""

from __future__ import annotations

import statistics
import tomllib
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from zoneinfo import ZoneInfo

import numpy as np

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
#: Half a day: the farthest two UTC offsets can be once the day wraps around.
MAX_TZ_DISTANCE = 12 * 60


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


def parse_languages(text: str) -> tuple[str, ...]:
    """Return the languages named in ``text``; raise ValueError when too many/long."""
    items = split_list(text)
    if len(items) > MAX_LANGUAGES or any(len(i) > LANGUAGE_LENGTH for i in items):
        raise ValueError("too many or too long languages")
    return tuple(items)


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
def utc_offset_minutes(timezone: str, at: datetime) -> int:
    """The UTC offset of ``timezone`` at the moment ``at``, in minutes."""
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


def timezone_distance(a: str, b: str, at: datetime) -> int:
    """Minutes between two timezones' UTC offsets now, wrapping at 24 hours."""
    diff = abs(utc_offset_minutes(a, at) - utc_offset_minutes(b, at)) % (24 * 60)
    return min(diff, 24 * 60 - diff)


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
    limit: int = 3,
) -> list[MentorProfile]:
    """Available mentors with room and a shared topic, best fit first."""
    fits = [
        (fit(m, request, at), -m.user_id, m)
        for m in mentors
        if m.free > 0 and m.user_id != request.mentee_id
    ]
    fits = [entry for entry in fits if entry[0].overlap > 0]
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


# -- cohort matching ---------------------------------------------------------------------
def assignment_weights(
    requests: Sequence[MentorRequest],
    mentors: Sequence[MentorProfile],
    at: datetime,
) -> tuple[np.ndarray, list[int]]:
    """Weights (requests x capacity slots) and the mentor index of each slot.

    A pair that cannot be made (no shared topic, or a mentor's own request) weighs 0.
    """
    slot_owner = [i for i, m in enumerate(mentors) for _ in range(m.free)]
    weights = np.zeros((len(requests), len(slot_owner)), dtype=np.int64)
    for r, request in enumerate(requests):
        for s, owner in enumerate(slot_owner):
            mentor = mentors[owner]
            if mentor.user_id == request.mentee_id:
                continue
            pair_fit = fit(mentor, request, at)
            if pair_fit.overlap > 0:
                weights[r, s] = pair_fit.score
    return weights, slot_owner


def propose_assignment(
    requests: Sequence[MentorRequest],
    mentors: Sequence[MentorProfile],
    at: datetime,
) -> list[tuple[MentorRequest, MentorProfile]]:
    """Assign open requests to mentors maximising the total fit within capacities.

    Each mentor is expanded into one column per free slot and the rectangular
    problem is solved exactly (Hungarian method via SciPy). Every allowed pair
    weighs more than 0, so dropping the zero-weight pairs of the full assignment
    leaves a maximum-weight matching: leaving a request unmatched is always allowed.
    """
    # Imported here: scipy.optimize takes about a second to import, which would
    # otherwise be paid at every start-up before the bot is ready.
    from scipy.optimize import linear_sum_assignment

    weights, slot_owner = assignment_weights(requests, mentors, at)
    if weights.size == 0:
        return []
    rows, cols = linear_sum_assignment(weights, maximize=True)
    pairs = [
        (requests[int(r)], mentors[slot_owner[int(c)]])
        for r, c in zip(rows, cols, strict=True)
        if weights[r, c] > 0
    ]
    return sorted(pairs, key=lambda pair: pair[0].id)


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


def median_seconds(values: Sequence[int]) -> int | None:
    return int(statistics.median(values)) if values else None


def unclaimed(requests: Iterable[MentorRequest], now_ts: int) -> list[MentorRequest]:
    """Open requests waiting for longer than :data:`UNCLAIMED_AFTER`, oldest first."""
    cutoff = now_ts - int(UNCLAIMED_AFTER.total_seconds())
    return sorted(
        (r for r in requests if r.state == "open" and r.created_at <= cutoff),
        key=lambda r: (r.created_at, r.id),
    )
