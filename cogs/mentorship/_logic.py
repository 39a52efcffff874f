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
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

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


class MentorPool:
    """Available mentors in columns, to suggest mentors for many requests quickly.

    Suggests exactly as :func:`suggest_mentors` (its reference): the weekly digest
    scores every available mentor for each listed request, which at 10,000 mentors
    is a tenth of a second of pure Python per request; here it is a few vector
    operations. Mentors are added in slices (:meth:`add`), so building the pool
    never holds the event loop for long.
    """

    def __init__(self) -> None:
        self._topics = _Codes()
        self._languages = _Codes()
        self._zones: dict[str, int] = {}
        self._mentors: list[MentorProfile] = []
        self._rows: list[
            tuple[int, int, int, int, int, tuple[int, ...], tuple[int, ...]]
        ] = []
        self._built = 0
        self._user = np.zeros(0, dtype=np.int64)
        self._free = np.zeros(0, dtype=bool)
        self._zone = np.zeros(0, dtype=np.int32)
        self._topic_mask = np.zeros(0, dtype=np.uint64)
        self._language_mask = np.zeros(0, dtype=np.uint64)
        self._topic_high = np.zeros((0, 0), dtype=np.int32)
        self._language_high = np.zeros((0, 0), dtype=np.int32)

    def __len__(self) -> int:
        return len(self._mentors)

    def add(self, mentors: Iterable[MentorProfile]) -> None:
        for mentor in mentors:
            topic_mask, topic_high = self._topics.encode(tuple(mentor.topics))
            language_mask, language_high = self._languages.encode(
                tuple(mentor.languages)
            )
            zone = self._zones.setdefault(mentor.timezone, len(self._zones))
            self._mentors.append(mentor)
            self._rows.append(
                (
                    mentor.user_id,
                    mentor.free > 0,
                    zone,
                    topic_mask,
                    language_mask,
                    topic_high,
                    language_high,
                )
            )

    def _build(self) -> None:
        if self._built == len(self._rows):
            return
        users, free, zones, topics, languages, topic_high, language_high = (
            zip(*self._rows, strict=True) if self._rows else ((),) * 7
        )
        self._user = np.array(users, dtype=np.int64)
        self._free = np.array(free, dtype=bool)
        self._zone = np.array(zones, dtype=np.int32)
        self._topic_mask = np.array(topics, dtype=np.uint64)
        self._language_mask = np.array(languages, dtype=np.uint64)
        self._topic_high = _matrix(list(topic_high))
        self._language_high = _matrix(list(language_high))
        self._built = len(self._rows)

    def suggest(
        self, request: MentorRequest, at: datetime, limit: int = 3
    ) -> list[MentorProfile]:
        """Available mentors with room and a shared topic, best fit first."""
        self._build()
        if not self._mentors:
            return []
        overlap = _held(
            self._topic_mask, self._topic_high, self._topics.known(request.topics)
        )
        chosen = np.flatnonzero(
            (overlap > 0) & self._free & (self._user != request.mentee_id)
        )
        if chosen.size == 0:
            return []
        shared = _held(
            self._language_mask[chosen],
            self._language_high[chosen],
            self._languages.known(request.languages),
        )
        closeness = np.array(
            [
                MAX_TZ_DISTANCE - timezone_distance(zone, request.timezone, at)
                for zone in self._zones
            ],
            dtype=np.int64,
        )[self._zone[chosen]]
        # As Fit orders (the request's wait is the same for every mentor), then the
        # smaller user id first.
        key = (overlap[chosen] << _OVERLAP_SHIFT) | (closeness << _CLOSENESS_SHIFT)
        key |= shared > 0
        order = np.lexsort((self._user[chosen], -key))[:limit]
        return [self._mentors[i] for i in chosen[order].tolist()]


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
    # A mentor can take at most every request, so more slots than that change nothing.
    slot_owner = [
        i for i, m in enumerate(mentors) for _ in range(min(m.free, len(requests)))
    ]
    # One fit per request and mentor, shared by the mentor's slots.
    per_mentor = np.zeros((len(requests), len(mentors)), dtype=np.int64)
    for r, request in enumerate(requests):
        for owner, mentor in enumerate(mentors):
            if mentor.user_id == request.mentee_id or mentor.free <= 0:
                continue
            pair_fit = fit(mentor, request, at)
            if pair_fit.overlap > 0:
                per_mentor[r, owner] = pair_fit.score
    weights = per_mentor[:, slot_owner].reshape(len(requests), len(slot_owner))
    return weights, slot_owner


def shortlist_mentors(
    requests: Sequence[MentorRequest],
    mentors: Sequence[MentorProfile],
    at: datetime,
) -> list[MentorProfile]:
    """The mentors an optimal assignment of ``requests`` can need: for each request,
    its ``len(requests)`` best-fitting mentors with room.

    Exchange argument: if an optimal assignment gives request r a mentor outside r's
    list, the other requests fill at most ``len(requests) - 1`` slots, so a mentor of
    r's list still has room and fits r at least as well; moving r there loses
    nothing. So matching against the shortlist reaches the same total fit, while a
    guild with thousands of mentors costs ``len(requests)`` rankings, not a matrix.
    """
    room = [m for m in mentors if m.free > 0]
    n = len(requests)
    if len(room) <= n:
        return room
    # The mentors as rows of a queue index, each request as the one looking: the
    # index orders them by fit exactly (the wait is the same for all and drops out).
    index = QueueIndex()
    for i, mentor in enumerate(room):
        index.put(
            MentorRequest(
                id=i,
                guild_id=mentor.guild_id,
                mentee_id=mentor.user_id,
                topics=mentor.topics,
                goal="",
                timezone=mentor.timezone,
                languages=mentor.languages,
                state="open",
                created_at=0,
            )
        )
    keep: set[int] = set()
    for request in requests:
        seeker = MentorProfile(
            guild_id=request.guild_id,
            user_id=request.mentee_id,
            topics=request.topics,
            languages=request.languages,
            timezone=request.timezone,
            capacity=0,
            available=False,
        )
        best, _total = index.rank(seeker, at, n)
        keep.update(int(i) for i in best)
    return [room[i] for i in sorted(keep)]


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

    mentors = shortlist_mentors(requests, mentors, at)
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


# -- the queue, ranked in columns ----------------------------------------------------------
#: A request as the queue index loads it: id, mentee, topics, timezone, languages
#: and creation time (the goal is not ranked, so it is not read).
QueueRow = tuple[int, int, tuple[str, ...], str, tuple[str, ...], int]

#: Values with codes below this are bits of one integer; the rest (a community with
#: more than 63 languages, say) are listed beside it.
_MASK_BITS = 63
#: The parts of a request's rank that depend on the mentor, packed in one integer:
#: topic overlap above timezone closeness (0 to 720, 10 bits) above a shared language.
_OVERLAP_SHIFT = 11
_CLOSENESS_SHIFT = 1


class _Codes:
    """Integer codes for topics (or languages), and a set of them as a bit mask."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self._sets: dict[tuple[str, ...], tuple[int, tuple[int, ...]]] = {}

    def encode(self, values: tuple[str, ...]) -> tuple[int, tuple[int, ...]]:
        """The mask of the low codes of ``values`` and their high codes, sorted."""
        found = self._sets.get(values)
        if found is not None:
            return found
        mask, high = 0, set()
        for value in values:
            code = self.codes.setdefault(value, len(self.codes))
            if code < _MASK_BITS:
                mask |= 1 << code
            else:
                high.add(code)
        found = self._sets[values] = (mask, tuple(sorted(high)))
        return found

    def known(self, values: Iterable[str]) -> tuple[int, list[int]]:
        """The mask and high codes of the ``values`` some request holds."""
        mask, high = 0, []
        for value in set(values):
            code = self.codes.get(value)
            if code is None:
                continue
            if code < _MASK_BITS:
                mask |= 1 << code
            else:
                high.append(code)
        return mask, high


class _Profiles:
    """The distinct (topics, languages, timezone) of the requests: their "profiles".

    What a mentor's ranking needs of a request besides its wait depends only on
    these, and a queue of 500,000 requests holds far fewer distinct ones, so the
    mentor-dependent part is computed once per profile. Code 0 stands for a removed
    request.
    """

    def __init__(self) -> None:
        self.topics = _Codes()
        self.languages = _Codes()
        self.zones: dict[str, int] = {}
        self._codes: dict[tuple[Any, ...], int] = {}
        # One entry per profile, code 0 (removed) included.
        self._topic_masks: list[int] = [0]
        self._language_masks: list[int] = [0]
        self._zone_codes: list[int] = [0]
        self._topic_high: list[tuple[int, ...]] = [()]
        self._language_high: list[tuple[int, ...]] = [()]
        self._built = 0
        self.topic_mask = np.zeros(0, dtype=np.uint64)
        self.language_mask = np.zeros(0, dtype=np.uint64)
        self.zone = np.zeros(0, dtype=np.int32)
        self.topic_high = np.zeros((0, 0), dtype=np.int32)
        self.language_high = np.zeros((0, 0), dtype=np.int32)

    def __len__(self) -> int:
        return len(self._zone_codes)

    def code(
        self, topics: tuple[str, ...], timezone: str, languages: tuple[str, ...]
    ) -> int:
        topic_mask, topic_high = self.topics.encode(topics)
        language_mask, language_high = self.languages.encode(languages)
        zone = self.zones.setdefault(timezone, len(self.zones))
        key = (topic_mask, topic_high, language_mask, language_high, zone)
        code = self._codes.get(key)
        if code is None:
            code = self._codes[key] = len(self._zone_codes)
            self._topic_masks.append(topic_mask)
            self._language_masks.append(language_mask)
            self._zone_codes.append(zone)
            self._topic_high.append(topic_high)
            self._language_high.append(language_high)
        return code

    def build(self) -> None:
        """Bring the profiles' columns up to date (after new profiles appeared)."""
        if self._built == len(self._zone_codes):
            return
        self.topic_mask = np.array(self._topic_masks, dtype=np.uint64)
        self.language_mask = np.array(self._language_masks, dtype=np.uint64)
        self.zone = np.array(self._zone_codes, dtype=np.int32)
        self.topic_high = _matrix(self._topic_high)
        self.language_high = _matrix(self._language_high)
        self._built = len(self._zone_codes)


def _matrix(rows: list[tuple[int, ...]]) -> np.ndarray:
    """Rows of codes, padded with -1 (no columns when every row is empty)."""
    out = np.full((len(rows), max(map(len, rows), default=0)), -1, dtype=np.int32)
    for i, codes in enumerate(rows):
        if codes:
            out[i, : len(codes)] = codes
    return out


def _held(
    masks: np.ndarray, high: np.ndarray, wanted: tuple[int, list[int]]
) -> np.ndarray:
    """Per profile, how many of the wanted values (distinct) it holds."""
    mask, high_codes = wanted
    count: np.ndarray = np.bitwise_count(masks & np.uint64(mask)).astype(np.int64)
    for code in high_codes:
        if high.shape[1]:
            count += (high == code).any(axis=1)
    return count


class QueueIndex:
    """One guild's open requests in numpy columns, to rank a mentor's queue quickly.

    Ranks exactly as :func:`rank_queue` (its reference). A request's rank for a
    mentor is its fit (topic overlap, timezone closeness, a shared language, its
    wait) and then its id. All but the wait depend only on the request's topics,
    languages and timezone, of which a queue holds few distinct combinations, so
    those are scored once per combination (see :class:`_Profiles`); the best
    combinations, counted, say which requests can make the first ``stop``, and only
    those are sorted exactly. Ranking 500,000 open requests takes milliseconds.

    A big queue is loaded with :meth:`load` (rows straight from SQL, in slices the
    caller yields between); later changes come with :meth:`put` and :meth:`discard`.
    New requests wait in a small buffer until the next ranking; removed ones keep
    their row (as profile 0) until they are a large share of the rows.
    """

    def __init__(self) -> None:
        #: The last change of the queue this index reflects (kept by the caller).
        self.seq = 0
        self._profiles = _Profiles()
        #: Requests put since the last ranking (they replace any row of theirs).
        self._pending: dict[int, MentorRequest] = {}
        self._staged: list[
            tuple[int, int, int, int]
        ] = []  # id, mentee, created, profile
        # The columns have room to grow (doubling), so adding a slice of requests
        # costs that slice, not a copy of the whole queue; rows past _size are
        # unused. There is no id -> row dict: at 500,000 requests growing one stalls
        # the event loop, and a vector search finds a batch of ids as fast.
        self._size = 0
        self._ids = np.zeros(0, dtype=np.int64)
        self._mentees = np.zeros(0, dtype=np.int64)
        self._created = np.zeros(0, dtype=np.int64)
        self._profile = np.zeros(0, dtype=np.int32)  # 0: removed
        #: Requests in the index per profile (none for profile 0).
        self._counts = np.zeros(1, dtype=np.int64)
        self._alive = 0

    def __len__(self) -> int:
        self.flush()
        return self._alive

    def put(self, request: MentorRequest) -> None:
        """Add an open request (replacing an earlier version of it)."""
        self._pending[request.id] = request

    def discard(self, request_id: int) -> None:
        """Forget a request that is no longer open (unknown ids are ignored)."""
        self.discard_many([request_id])

    def discard_many(self, request_ids: Sequence[int]) -> None:
        """Forget requests that are no longer open (unknown ids are ignored)."""
        for request_id in request_ids:
            self._pending.pop(request_id, None)
        self._place_staged()
        if not request_ids or not self._size:
            return
        n = self._size
        rows = np.flatnonzero(
            np.isin(self._ids[:n], np.asarray(request_ids, dtype=np.int64))
        )
        rows = rows[self._profile[rows] != 0]
        np.subtract.at(self._counts, self._profile[rows], 1)
        self._profile[rows] = 0
        self._alive -= rows.size

    def load(self, rows: Iterable[QueueRow]) -> None:
        """Add requests that are not in the index yet (the first load, in slices:
        call :meth:`flush` after each, so no step takes long)."""
        code = self._profiles.code
        self._staged.extend(
            (request_id, mentee_id, created_at, code(topics, timezone, languages))
            for request_id, mentee_id, topics, timezone, languages, created_at in rows
        )

    def _reserve(self, size: int) -> None:
        capacity = self._ids.size
        if size <= capacity:
            return
        capacity = max(size, 2 * capacity, 1024)
        for name in ("_ids", "_mentees", "_created", "_profile"):
            old: np.ndarray = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: self._size] = old[: self._size]
            setattr(self, name, new)

    def _place_staged(self) -> None:
        if not self._staged:
            return
        staged, self._staged = self._staged, []
        start, end = self._size, self._size + len(staged)
        self._reserve(end)
        ids, mentees, created, profiles = zip(*staged, strict=True)
        self._ids[start:end] = ids
        self._mentees[start:end] = mentees
        self._created[start:end] = created
        self._profile[start:end] = profiles
        self._size = end
        self._alive += len(ids)
        if len(self._profiles) > self._counts.size:
            grown = max(len(self._profiles), 2 * self._counts.size)
            self._counts = np.pad(self._counts, (0, grown - self._counts.size))
        np.add.at(self._counts, self._profile[start:end], 1)

    def flush(self) -> None:
        """Move buffered requests into the columns; drop removed rows when many."""
        if self._pending:
            pending, self._pending = self._pending, {}
            self.discard_many(list(pending))
            self.load(
                (r.id, r.mentee_id, r.topics, r.timezone, r.languages, r.created_at)
                for r in pending.values()
            )
        self._place_staged()
        if self._size > 1024 and self._alive * 2 < self._size:
            keep = np.flatnonzero(self._profile[: self._size])
            for name in ("_ids", "_mentees", "_created", "_profile"):
                setattr(self, name, getattr(self, name)[keep])
            self._size = keep.size

    def _scores(self, mentor: MentorProfile, at: datetime) -> np.ndarray:
        """Per profile, the mentor-dependent part of the rank (-1 for profile 0)."""
        profiles = self._profiles
        profiles.build()
        overlap = _held(
            profiles.topic_mask,
            profiles.topic_high,
            profiles.topics.known(mentor.topics),
        )
        shared = _held(
            profiles.language_mask,
            profiles.language_high,
            profiles.languages.known(mentor.languages),
        )
        closeness = np.array(
            [
                MAX_TZ_DISTANCE - timezone_distance(mentor.timezone, zone, at)
                for zone in profiles.zones
            ],
            dtype=np.int64,
        )
        score = overlap << _OVERLAP_SHIFT
        if closeness.size:
            score |= closeness[profiles.zone] << _CLOSENESS_SHIFT
        score |= shared > 0
        score[0] = -1
        return score

    def rank(
        self, mentor: MentorProfile, at: datetime, stop: int | None = None
    ) -> tuple[np.ndarray, int]:
        """Request ids best first for ``mentor`` (the first ``stop`` of them, or all),
        their own request left out, and how many there are in all."""
        self.flush()
        n = self._size
        ids, mentees = self._ids[:n], self._mentees[:n]
        created, profile = self._created[:n], self._profile[:n]
        own = np.flatnonzero(mentees == mentor.user_id)
        own = own[profile[own] != 0]
        total = self._alive - own.size
        if total <= 0:
            return np.zeros(0, dtype=np.int64), 0
        score = self._scores(mentor, at)
        wanted = stop if stop is not None and stop < total else total
        # How many requests score each value: the best values that hold ``wanted``
        # requests are the only ones that can be shown.
        per_profile = self._counts[: score.size].copy()
        np.subtract.at(per_profile, profile[own], 1)
        per_score = np.bincount(score[1:], weights=per_profile[1:])
        from_best = np.cumsum(per_score[::-1])
        cut = per_score.size - 1 - int(np.searchsorted(from_best, wanted))
        rows = np.flatnonzero((score >= cut)[profile])
        rows = rows[mentees[rows] != mentor.user_id]
        # Then exactly as Fit orders: the score, the wait (68 years at most), the id.
        waiting = np.clip(int(at.timestamp()) - created[rows], 0, 2**31 - 1)
        key = (score[profile[rows]] << 31) | waiting
        found = ids[rows]
        if wanted < rows.size:
            edge = np.partition(key, rows.size - wanted)[rows.size - wanted]
            near = key >= edge
            key, found = key[near], found[near]
        order = np.lexsort((found, -key))[:wanted]
        result: np.ndarray = found[order]
        return result, total
