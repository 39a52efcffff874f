"""Mentorship's rankings in columns: the queue index and cohort matching.

Pure, like :mod:`cogs.mentorship._logic`, whose ``rank_queue`` and ``fit`` are the
references these agree with, but on numpy: importing numpy takes a tenth of a
second, so the engine imports this module once the bot is ready (off the event
loop), not while it starts.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from cogs.mentorship._logic import fit
from cogs.mentorship._logic import MAX_TZ_DISTANCE
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest
from cogs.mentorship._logic import PROFILE_SEPARATOR
from cogs.mentorship._logic import QueueRow
from cogs.mentorship._logic import QueueSlice
from cogs.mentorship._logic import timezone_distance

#: Values with codes below this are bits of one integer; the rest (a community with
#: more than 63 languages, say) are listed beside it.
_MASK_BITS = 63
#: The parts of a request's rank that depend on the mentor, packed in one integer:
#: topic overlap above timezone closeness (0 to 720, 10 bits) above a shared language.
_OVERLAP_SHIFT = 11
_CLOSENESS_SHIFT = 1
#: The longest wait a rank tells apart (68 years): longer ones tie.
_WAIT_CAP = 2**31 - 1
#: Versions of every queue index: a request added anywhere takes the next one.
_VERSIONS = itertools.count(1)


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

    A ranking can be kept and used again while :meth:`moment` stays the same: only
    removals happened since, which leave the others' order as it was.
    """

    def __init__(self) -> None:
        #: The last change of the queue this index reflects (kept by the caller).
        self.seq = 0
        #: Changes with every request added (new, or put again), never on removals.
        self.version = next(_VERSIONS)
        # The first and last creation time of any request ever added.
        self._earliest = 2**63 - 1
        self._latest = -(2**63)
        self._profiles = _Profiles()
        #: Profile codes by the text SQL gives (see :meth:`load_slice`).
        self._texts: dict[str, int] = {}
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
        self._added(request.created_at, request.created_at)

    def _added(self, earliest: int, latest: int) -> None:
        self.version = next(_VERSIONS)
        self._earliest = min(self._earliest, earliest)
        self._latest = max(self._latest, latest)

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
        start = len(self._staged)
        self._stage(rows)
        if len(self._staged) > start:
            created = [row[2] for row in self._staged[start:]]
            self._added(min(created), max(created))

    def load_slice(self, requests: QueueSlice) -> None:
        """Add requests that are not in the index yet, as SQL gives a slice of them
        (the first load): no Python object per request, so a load of 500,000
        neither holds the loop nor sets off the garbage collector's full passes."""
        if not requests.ids:
            return
        self._place_staged()
        code = self._profile_code
        self._place(
            requests.ids,
            requests.mentees,
            requests.created,
            [code(text) for text in requests.profiles],
        )
        self._added(min(requests.created), max(requests.created))

    def _profile_code(self, text: str) -> int:
        """The profile of a request's ``topics\x1ftimezone\x1flanguages`` as stored
        (JSON escapes control characters, and a timezone's name has none)."""
        code = self._texts.get(text)
        if code is None:
            topics, timezone, languages = text.split(PROFILE_SEPARATOR)
            code = self._texts[text] = self._profiles.code(
                tuple(json.loads(topics)), timezone, tuple(json.loads(languages))
            )
        return code

    def _stage(self, rows: Iterable[QueueRow]) -> None:
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
        ids, mentees, created, profiles = zip(*staged, strict=True)
        self._place(ids, mentees, created, profiles)

    def _place(
        self,
        ids: Sequence[int],
        mentees: Sequence[int],
        created: Sequence[int],
        profiles: Sequence[int],
    ) -> None:
        start, end = self._size, self._size + len(ids)
        self._reserve(end)
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
        """Move buffered requests into the columns; drop removed rows when many.
        (After a load: forget the profiles' texts, which only a load reads.)"""
        self._texts.clear()
        if self._pending:
            pending, self._pending = self._pending, {}
            self.discard_many(list(pending))
            self._stage(
                (r.id, r.mentee_id, r.topics, r.timezone, r.languages, r.created_at)
                for r in pending.values()
            )
        self._place_staged()
        if self._size > 1024 and self._alive * 2 < self._size:
            keep = np.flatnonzero(self._profile[: self._size])
            for name in ("_ids", "_mentees", "_created", "_profile"):
                setattr(self, name, getattr(self, name)[keep])
            self._size = keep.size

    def _closeness(self, mentor: MentorProfile, at: datetime) -> list[int]:
        """Per timezone of the requests, how close it is to the mentor's at ``at``."""
        return [
            MAX_TZ_DISTANCE - timezone_distance(mentor.timezone, zone, at)
            for zone in self._profiles.zones
        ]

    def moment(self, mentor: MentorProfile, at: datetime) -> Hashable | None:
        """What ranking for ``mentor`` at ``at`` depends on besides the mentor's
        topics, languages and user id: two rankings at equal moments are the same
        (less the requests removed between them). None when the waits at ``at``
        might not order as the creation times do (a request made after ``at``).

        The rank's parts are the topic overlap and shared languages (fixed while no
        request is added), the timezones' closeness (which moves with daylight
        saving time), and the wait, which orders requests as their creation times
        do once they are all made: the same at any later moment.
        """
        now = int(at.timestamp())
        if now < self._latest or now - self._earliest >= _WAIT_CAP:
            return None
        return self.version, tuple(self._closeness(mentor, at))

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
        closeness = np.array(self._closeness(mentor, at), dtype=np.int64)
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
        waiting = np.clip(int(at.timestamp()) - created[rows], 0, _WAIT_CAP)
        key = (score[profile[rows]] << 31) | waiting
        found = ids[rows]
        if wanted < rows.size:
            edge = np.partition(key, rows.size - wanted)[rows.size - wanted]
            near = key >= edge
            key, found = key[near], found[near]
        order = np.lexsort((found, -key))[:wanted]
        result: np.ndarray = found[order]
        return result, total


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
