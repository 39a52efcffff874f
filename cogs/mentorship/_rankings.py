"""The rankings mentors were shown, kept to turn their pages and to answer again.

Pure (no discord, no I/O, no numpy): the engine keeps one :class:`Rankings` per
guild beside its queue index (:class:`~cogs.mentorship._columns.QueueIndex`) and
asks it for a page of request ids.

A ranking is made once and then reused: Previous/Next turn the ranking the mentor
was shown, less the requests that left the queue since; a new /mentor-tools queue
reuses it when nothing it depends on changed (the mentor's topics, languages and
timezone, the requests added to the queue, the UTC offsets: see
:meth:`QueueIndex.moment <cogs.mentorship._columns.QueueIndex.moment>`), so it is
exactly what ranking again would give.
"""

from __future__ import annotations

from collections.abc import Hashable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import page_count
from cogs.mentorship._logic import QUEUE_PAGE_SIZE

#: Pages of a mentor's ranking computed at once, for Previous/Next.
RANKED_KEPT = 10
#: Mentors whose last ranking is kept (per guild).
RANKINGS_KEPT = 256
#: How long Previous/Next turn the ranking shown (an ephemeral reply's life).
RANKING_LIFE = timedelta(minutes=15)
#: Departures from a guild's queue remembered for turning pages.
DEPARTURES_KEPT = 10_000


class Ranker(Protocol):
    """What a ranking is made from (:class:`~cogs.mentorship._columns.QueueIndex`)."""

    def rank(
        self, mentor: MentorProfile, at: datetime, stop: int | None = None
    ) -> tuple[Iterable[int], int]: ...

    def moment(self, mentor: MentorProfile, at: datetime) -> Hashable | None: ...


@dataclass(slots=True)
class Departures:
    """The requests that left a guild's queue (claimed, cancelled), in order.

    A kept ranking is shown less what left since; this answers that without a pass
    over the queue. Forgotten past :data:`DEPARTURES_KEPT` or when the index is
    reloaded (a new epoch): rankings from before are then made anew.
    """

    epoch: int = 0
    ids: list[int] = field(default_factory=list)

    def mark(self) -> tuple[int, int]:
        return self.epoch, len(self.ids)

    def note(self, ids: list[int]) -> None:
        self.ids.extend(ids)
        if len(self.ids) > DEPARTURES_KEPT:
            self.reset()

    def reset(self) -> None:
        self.ids = []
        self.epoch += 1

    def since(self, mark: tuple[int, int]) -> set[int] | None:
        epoch, start = mark
        return set(self.ids[start:]) if epoch == self.epoch else None


@dataclass(slots=True)
class Ranked:
    """The first ``ids`` of a mentor's queue as ranked at ``at``, of ``total``."""

    mentor: MentorProfile
    at: datetime
    ids: list[int]
    total: int
    #: Where the guild's departures stood when it was ranked.
    mark: tuple[int, int]
    #: The queue's moment it was ranked at (None: never the same as another's).
    moment: Hashable | None

    def same_mentor(self, mentor: MentorProfile) -> bool:
        """Whether ``mentor`` ranks as the profile it was made for."""
        was, now = self.mentor, mentor
        return (was.user_id, was.topics, was.languages, was.timezone) == (
            now.user_id,
            now.topics,
            now.languages,
            now.timezone,
        )

    def turnable(self, mentor: MentorProfile, at: datetime) -> bool:
        """Still the ranking for this profile, and recent enough to turn."""
        return self.same_mentor(mentor) and timedelta(0) <= at - self.at < RANKING_LIFE

    def current(self, mentor: MentorProfile, moment: Hashable | None) -> bool:
        """Whether ranking ``mentor`` again at ``moment`` would give the same."""
        return moment is not None and moment == self.moment and self.same_mentor(mentor)

    @property
    def complete(self) -> bool:
        """Whether every request of the queue was ranked."""
        return len(self.ids) >= self.total

    def live(self, departures: Departures) -> tuple[list[int], int] | None:
        """The ids still open, and the total less those that left (None: the
        departures since are not known any more, rank anew)."""
        gone = departures.since(self.mark)
        if gone is None:
            return None
        if not gone:
            return self.ids, self.total
        live = [i for i in self.ids if i not in gone]
        return live, self.total - (len(self.ids) - len(live))


@dataclass(slots=True)
class Rankings:
    """One guild's kept rankings (the last of each mentor) and its departures."""

    departures: Departures = field(default_factory=Departures)
    _ranked: dict[int, Ranked] = field(default_factory=dict)

    def left(self, ids: list[int]) -> None:
        """Requests left the queue (claimed, cancelled): kept rankings drop them."""
        self.departures.note(ids)

    def reloaded(self) -> None:
        """The index was loaded anew: no kept ranking can be turned any more."""
        self.departures.reset()

    def page(
        self,
        index: Ranker,
        mentor: MentorProfile,
        at: datetime,
        number: int,
        size: int = QUEUE_PAGE_SIZE,
        *,
        fresh: bool = True,
    ) -> tuple[int, list[int], int]:
        """Page ``number`` (0-based, clamped) of ``mentor``'s queue: the page number,
        its request ids, and how many requests the queue holds.

        :param fresh: the queue as ranked at ``at`` (a new /mentor-tools queue), from
            the kept ranking when it would rank the same. Otherwise the kept ranking
            is turned (Previous/Next) while :data:`RANKING_LIFE` lasts, less the
            requests that left since, even when the queue would now rank otherwise.
        """
        ranked = self._ranked.get(mentor.user_id)
        if ranked is not None:
            if fresh:
                if ranked.current(mentor, index.moment(mentor, at)):
                    ranked.at, ranked.mentor = at, mentor  # as ranked now
                else:
                    ranked = None
            elif not ranked.turnable(mentor, at):
                ranked = None
        number = max(number, 0)
        while True:
            if ranked is None:
                ranked = self._rank(index, mentor, at, (number + 1) * size)
            turned = ranked.live(self.departures)
            if turned is None:  # too long ago to know what left since
                ranked = None
                continue
            live, total = turned
            number = min(number, page_count(total, size) - 1)  # past the end
            need = (number + 1) * size
            if len(live) >= min(need, total) or ranked.complete:
                break
            # Beyond what was ranked (or requests left the queue): rank further.
            ranked = self._rank(index, mentor, at, need + len(ranked.ids))
        return number, live[number * size : (number + 1) * size], total

    def _rank(
        self, index: Ranker, mentor: MentorProfile, at: datetime, need: int
    ) -> Ranked:
        """Rank the first ``need`` (at least a few pages) and keep them."""
        ids, total = index.rank(mentor, at, max(need, RANKED_KEPT * QUEUE_PAGE_SIZE))
        # Taken after ranking: the index takes in what was put since as it ranks.
        moment = index.moment(mentor, at)
        mark = self.departures.mark()
        ranked = Ranked(mentor, at, [int(i) for i in ids], total, mark, moment)
        self._ranked.pop(mentor.user_id, None)
        self._ranked[mentor.user_id] = ranked
        while len(self._ranked) > RANKINGS_KEPT:
            del self._ranked[next(iter(self._ranked))]
        return ranked
