"""The columnar queue ranks exactly as the reference rank_queue, through any changes."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from datetime import UTC

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from cogs.mentorship import _columns as columns
from cogs.mentorship import _logic as logic
from cogs.mentorship._columns import QueueIndex
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest

NOW = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # around a DST change in Europe
NOW_TS = int(NOW.timestamp())
TOPICS = ("flask", "jinja", "click", "testing", "async")
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")
LANGS = ("english", "french", 'odd "quote\\', "español")

requests_st = st.builds(
    MentorRequest,
    id=st.integers(1, 40),
    guild_id=st.just(1),
    mentee_id=st.integers(1, 8),
    topics=st.lists(st.sampled_from(TOPICS), max_size=4).map(tuple),
    goal=st.just("goal"),
    timezone=st.sampled_from(ZONES),
    languages=st.lists(st.sampled_from(LANGS), max_size=3).map(tuple),
    state=st.just("open"),
    # Some in the future: their wait counts as zero, ties go to the id.
    created_at=st.integers(NOW_TS - 40 * 86400, NOW_TS + 3600),
)
mentor_st = st.builds(
    MentorProfile,
    guild_id=st.just(1),
    user_id=st.integers(1, 8),
    topics=st.lists(st.sampled_from(TOPICS), max_size=5).map(tuple),
    languages=st.lists(st.sampled_from(LANGS), max_size=3).map(tuple),
    timezone=st.sampled_from(ZONES),
    capacity=st.just(3),
    available=st.just(True),
)
# A change: put a request (open) or discard an id.
change_st = st.one_of(
    requests_st.map(lambda r: ("put", r)), st.integers(1, 40).map(lambda i: ("drop", i))
)


@settings(max_examples=150, deadline=None)
@given(st.lists(change_st, max_size=60), st.lists(mentor_st, min_size=1, max_size=3))
def test_queue_index_ranks_as_rank_queue(
    changes: list[tuple[str, object]], mentors: list[MentorProfile]
) -> None:
    index = QueueIndex()
    live: dict[int, MentorRequest] = {}
    for number, (what, value) in enumerate(changes):
        if what == "put":
            assert isinstance(value, MentorRequest)
            index.put(value)
            live[value.id] = value
        else:
            assert isinstance(value, int)
            index.discard(value)
            live.pop(value, None)
        if number % 7 == 0:  # rank midway too, so flushing and masking interleave
            midway = [r.id for r in logic.rank_queue(mentors[0], live.values(), NOW)]
            ranked, total = index.rank(mentors[0], NOW)
            assert list(ranked) == midway
            assert total == len(midway)
    assert len(index) == len(live)
    for mentor in mentors:
        expected = [r.id for r in logic.rank_queue(mentor, live.values(), NOW)]
        assert list(index.rank(mentor, NOW)[0]) == expected
        for stop in (1, 3, 5, 10):
            ranked, total = index.rank(mentor, NOW, stop)
            assert list(ranked) == expected[:stop] and total == len(expected)


def _optimum(requests: list[MentorRequest], mentors: list[MentorProfile]) -> int:
    """The best total fit, from the full matrix (no shortlist)."""
    weights, _owners = columns.assignment_weights(requests, mentors, NOW)
    if weights.size == 0:
        return 0
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return int(weights[rows, cols].sum())


@settings(max_examples=150, deadline=None)
@given(
    st.lists(requests_st, min_size=1, max_size=4, unique_by=lambda r: r.id),
    st.lists(
        st.tuples(mentor_st, st.integers(0, 2)),
        max_size=12,
        unique_by=lambda m: m[0].user_id,
    ),
)
def test_shortlisted_matching_reaches_the_optimum(
    requests: list[MentorRequest], drafts: list[tuple[MentorProfile, int]]
) -> None:
    mentors = [
        MentorProfile(
            guild_id=1,
            user_id=m.user_id,
            topics=m.topics,
            languages=m.languages,
            timezone=m.timezone,
            capacity=capacity,
            available=True,
        )
        for m, capacity in drafts
    ]
    pairs = columns.propose_assignment(requests, mentors, NOW)
    assert logic.total_score(pairs, NOW) == _optimum(requests, mentors)
    taken = Counter(m.user_id for _r, m in pairs)
    assert all(taken[m.user_id] <= m.free for m in mentors)


# Many distinct values: past the 63 that fit a bit mask, codes are listed beside it.
MANY = tuple(f"value{i}" for i in range(80))
many_requests_st = st.builds(
    MentorRequest,
    id=st.integers(1, 60),
    guild_id=st.just(1),
    mentee_id=st.integers(1, 8),
    topics=st.lists(st.sampled_from(MANY[55:]), max_size=4).map(tuple),
    goal=st.just("goal"),
    timezone=st.sampled_from(ZONES),
    languages=st.lists(st.sampled_from(MANY[55:]), max_size=3).map(tuple),
    state=st.just("open"),
    created_at=st.integers(NOW_TS - 40 * 86400, NOW_TS + 3600),
)
many_mentor_st = st.builds(
    MentorProfile,
    guild_id=st.just(1),
    user_id=st.integers(1, 8),
    topics=st.lists(st.sampled_from(MANY[55:]), max_size=6).map(tuple),
    languages=st.lists(st.sampled_from(MANY[55:]), max_size=4).map(tuple),
    timezone=st.sampled_from(ZONES),
    capacity=st.just(3),
    available=st.just(True),
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(many_requests_st, max_size=50, unique_by=lambda r: r.id),
    st.lists(st.integers(1, 60), max_size=20),
    st.lists(many_requests_st, max_size=10),
    many_mentor_st,
)
def test_loaded_index_ranks_as_rank_queue_with_many_distinct_values(
    loaded: list[MentorRequest],
    dropped: list[int],
    changed: list[MentorRequest],
    mentor: MentorProfile,
) -> None:
    # Values first seen in this order, so the later ones get codes past the masks.
    index = QueueIndex()
    first = MentorRequest(1000, 1, 99, MANY, "", "UTC", MANY, "open", NOW_TS)
    index.put(first)
    live = {first.id: first}
    index.flush()
    index.load(
        (r.id, r.mentee_id, r.topics, r.timezone, r.languages, r.created_at)
        for r in loaded
    )
    live.update({r.id: r for r in loaded})
    index.flush()
    index.discard_many(dropped)
    for request_id in dropped:
        live.pop(request_id, None)
    for request in changed:
        index.put(request)
        live[request.id] = request
    expected = [r.id for r in logic.rank_queue(mentor, live.values(), NOW)]
    assert list(index.rank(mentor, NOW)[0]) == expected
    for stop in (1, 5):
        ranked, total = index.rank(mentor, NOW, stop)
        assert list(ranked) == expected[:stop] and total == len(expected)
    assert len(index) == len(live)
