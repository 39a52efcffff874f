"""Kept rankings answer exactly as ranking again would, through changes and time."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import UTC
from typing import Any

from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from cogs.mentorship import _logic as logic
from cogs.mentorship._columns import QueueIndex
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest
from cogs.mentorship._rankings import RANKING_LIFE
from cogs.mentorship._rankings import Rankings

# Half an hour before Europe's clocks go forward (01:00 UTC): steps of time cross it.
START = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
START_TS = int(START.timestamp())
TOPICS = ("flask", "jinja", "click", "testing")
# Seen from Paris, UTC and London are as close before 01:00 UTC, not after.
ZONES = ("UTC", "Europe/Paris", "Europe/London", "America/New_York", "Asia/Kolkata")
LANGS = ("english", "french", "español")
SIZE = 3  # small pages, so a few requests make several


def requests(created: st.SearchStrategy[int]) -> st.SearchStrategy[MentorRequest]:
    return st.builds(
        MentorRequest,
        id=st.integers(1, 30),
        guild_id=st.just(1),
        mentee_id=st.integers(1, 12),
        # Few choices: many ties, broken by the wait and then the id.
        topics=st.lists(st.sampled_from(TOPICS[:2]), max_size=1).map(tuple),
        goal=st.just("goal"),
        timezone=st.sampled_from(ZONES),
        languages=st.lists(st.sampled_from(LANGS[:2]), max_size=1).map(tuple),
        state=st.just("open"),
        created_at=created,
    )


# The queue at first: made before the first moment asked, some at the same second.
queue_st = st.lists(
    requests(
        st.one_of(
            st.integers(START_TS - 3 * 86400, START_TS),
            st.sampled_from((START_TS - 86400, START_TS)),
        )
    ),
    max_size=20,
    unique_by=lambda r: r.id,
)
# Requests put later: some made after the moment asked (their wait counts as zero
# until then, so no ranking is kept meanwhile).
put_st = requests(
    st.one_of(
        st.integers(START_TS - 3 * 86400, START_TS + 2 * 3600),
        st.sampled_from((START_TS, START_TS + 1800, START_TS + 3600)),
    )
)
# Two profiles share a user id: the same mentor changing topics or timezone.
MENTORS = (
    MentorProfile(1, 1, ("flask", "testing"), ("english",), "Europe/Paris", 2, True),
    MentorProfile(1, 1, ("jinja",), ("french",), "America/New_York", 2, True),
    MentorProfile(1, 2, ("click",), (), "UTC", 1, True),
    MentorProfile(1, 3, ("flask",), ("español",), "Asia/Kolkata", 1, True),
)
page_st = st.tuples(
    st.integers(0, len(MENTORS) - 1), st.integers(0, 4), st.booleans()
).map(lambda t: ("page", t))
# Seconds: across the DST change, past a request made later, past a page's life.
wait_st = st.sampled_from((1, 59, 1800, 3600, 7200)).map(lambda s: ("wait", s))
# Mostly pages and time passing: a request added makes every ranking anew.
steps_st = st.one_of(
    put_st.map(lambda r: ("put", r)),
    st.integers(1, 30).map(lambda i: ("drop", i)),
    wait_st,
    wait_st,
    page_st,
    page_st,
    page_st,
)


def reference(
    mentor: MentorProfile, live: dict[int, MentorRequest], at: datetime
) -> list[int]:
    return [r.id for r in logic.rank_queue(mentor, live.values(), at)]


def _request(id: int, zone: str, created_at: int) -> MentorRequest:
    return MentorRequest(id, 1, 10 + id, (), "goal", zone, (), "open", created_at)


# Tied but for the wait until Paris moves to summer time, then London is closer.
@example(
    [_request(1, "UTC", START_TS - 100), _request(2, "Europe/London", START_TS - 50)],
    [("page", (0, 0, True)), ("wait", 1800), ("page", (0, 0, True))],
)
# Made after the first moment asked: tied (no wait) then, by their ids; later by
# their creation.
@example(
    [_request(1, "UTC", START_TS - 100)],
    [
        ("put", _request(5, "UTC", START_TS + 600)),
        ("put", _request(4, "UTC", START_TS + 1200)),
        ("page", (2, 0, True)),
        ("wait", 1800),
        ("page", (2, 0, True)),
    ],
)
@settings(max_examples=500, deadline=None)
@given(
    queue_st,
    st.lists(steps_st, min_size=10, max_size=40),
)
def test_pages_are_the_queue_as_ranked_now_or_the_ranking_shown(
    queue: list[MentorRequest], steps: list[tuple[str, Any]]
) -> None:
    index = QueueIndex()
    rankings = Rankings()
    live = {r.id: r for r in queue}
    index.load(
        (r.id, r.mentee_id, r.topics, r.timezone, r.languages, r.created_at)
        for r in queue
    )
    at = START
    left: list[int] = []
    # Per mentor (user id): the full ranking last shown, its profile, its time and
    # how many requests had left the queue then.
    shown: dict[int, tuple[list[int], MentorProfile, datetime, int]] = {}
    for what, value in steps:
        if what == "put":  # a new request, or one changed or handed back
            index.put(value)
            live[value.id] = value
        elif what == "drop":  # claimed or withdrawn (as the engine notes it)
            index.discard(value)
            rankings.left([value])
            left.append(value)
            live.pop(value, None)
        elif what == "wait":
            at += timedelta(seconds=value)
        else:
            which, number, fresh = value
            mentor = MENTORS[which]
            kept = shown.get(mentor.user_id)
            turnable = (
                kept is not None
                and kept[1] == mentor
                and timedelta(0) <= at - kept[2] < RANKING_LIFE
            )
            if fresh or not turnable:
                expected = reference(mentor, live, at)
                shown[mentor.user_id] = (expected, mentor, at, len(left))
            else:
                assert kept is not None
                # The ranking shown, less what left since (a request put again
                # keeps its place; one that left and came back stays out).
                gone = set(left[kept[3] :])
                expected = [i for i in kept[0] if i not in gone]
            got_number, ids, total = rankings.page(
                index, mentor, at, number, SIZE, fresh=fresh
            )
            last = max((len(expected) + SIZE - 1) // SIZE, 1) - 1
            assert got_number == min(number, last)
            assert ids == expected[got_number * SIZE : (got_number + 1) * SIZE]
            assert total == len(expected)
            # Every page of it, turned at once: the whole ranking is the expected.
            turned = []
            for other in range(last + 1):
                page = rankings.page(index, mentor, at, other, SIZE, fresh=False)
                turned.extend(page[1])
            assert turned == expected


def test_a_ranking_is_made_again_only_when_the_queue_would_rank_otherwise() -> None:
    index = QueueIndex()
    calls: list[int] = []
    rank = index.rank

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return rank(*args, **kwargs)

    index.rank = counted  # type: ignore[method-assign]
    rankings = Rankings()
    mentor = MENTORS[0]  # Europe/Paris
    paris = MentorRequest(1, 1, 10, ("flask",), "", "Europe/Paris", (), "open", 0)
    utc = MentorRequest(2, 1, 11, ("flask",), "", "UTC", (), "open", 1)
    index.put(paris)
    index.put(utc)
    at = START - timedelta(hours=2)
    assert rankings.page(index, mentor, at, 0)[1] == [1, 2]
    assert rankings.page(index, mentor, at + timedelta(minutes=1), 0)[1] == [1, 2]
    assert len(calls) == 1
    # Leaving the queue: the kept ranking less the request.
    index.discard(1)
    rankings.left([1])
    assert rankings.page(index, mentor, at, 0)[1] == [2]
    assert len(calls) == 1
    # A request added: ranked again.
    index.put(paris)
    assert rankings.page(index, mentor, at, 0)[1] == [1, 2]
    assert len(calls) == 2
    # Past 01:00 UTC Paris is two hours ahead of UTC, no longer one: ranked again,
    # though the order stays.
    assert rankings.page(index, mentor, START + timedelta(hours=1), 0)[1] == [1, 2]
    assert len(calls) == 3
    # A request made later than the moment asked: ranked again each time (its
    # wait counts as none until it is made).
    later = MentorRequest(3, 1, 12, ("flask",), "", "UTC", (), "open", START_TS + 7200)
    index.put(later)
    rankings.page(index, mentor, START, 0)
    rankings.page(index, mentor, START, 0)
    assert len(calls) == 5
