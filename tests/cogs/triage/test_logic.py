from __future__ import annotations

import re
import sqlite3
from urllib.parse import parse_qs
from urllib.parse import urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.extensions import Extension
from bot.extensions import Kind
from bot.extensions import load_seed
from bot.refusals import Refused
from cogs.triage import _logic as logic

RULES = logic.load_rules()


def test_shipped_rules_load_and_fit_discord_limits() -> None:
    names = RULES.names()
    assert len(names) == len(set(names))
    # Library tags plus the two state tags must leave room in a forum of 20.
    assert len(names) + 2 <= logic.MAX_FORUM_TAGS
    for repo in RULES.repos():
        assert repo.startswith(("pallets/", "pallets-eco/"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from flask import Flask", ["Flask"]),
        ("flask-sqlalchemy db.session", ["Flask-SQLAlchemy"]),
        ("Flask-Login current_user is anonymous", ["Flask-Login"]),
        ("I click the button and nothing happens", []),
        ("import click\n@click.option('--n')", ["Click"]),
        ("{% extends 'base.html' %}", ["Jinja"]),
        ("my flasky app", []),
    ],
)
def test_match_tags(text: str, expected: list[str]) -> None:
    assert logic.match_tags(RULES, text) == expected


def test_helper_keywords_extend_a_rule() -> None:
    assert logic.match_tags(RULES, "remember_me cookie") == []
    assert logic.match_tags(
        RULES, "remember_me cookie", [("flask-login", "remember_me")]
    ) == ["Flask-Login"]


def test_plan_keeps_people_tags_and_respects_limits() -> None:
    plan = logic.plan_tags(
        available=["A", "B", "C", "D", "E"],
        applied=["A", "B", "C", "D", "E"],
        bot_applied=[],
        add=["Solved"],
    )
    assert plan.applied == ["A", "B", "C", "D", "E"]
    assert plan.create == []
    plan = logic.plan_tags(
        available=["A", "Flask"],
        applied=["A", "Flask"],
        bot_applied=["Flask"],
        add=["Solved"],
        max_post=2,
    )
    assert plan.applied == ["A", "Solved"]
    assert plan.create == ["Solved"]
    full_forum = [f"T{n}" for n in range(20)]
    plan = logic.plan_tags(
        available=full_forum, applied=[], bot_applied=[], add=["New"]
    )
    assert plan.create == [] and plan.applied == []


def test_plan_never_removes_a_person_s_tag() -> None:
    plan = logic.plan_tags(
        available=["Solved", "Flask"],
        applied=["Solved", "Flask"],
        bot_applied=["Flask"],
        add=[],
        remove=["Solved", "Flask"],
    )
    assert plan.applied == ["Solved"]


@given(
    st.lists(st.text(min_size=1, max_size=8), max_size=22, unique_by=str.lower),
    st.lists(st.text(min_size=1, max_size=8), max_size=8),
    st.lists(st.text(min_size=1, max_size=8), max_size=8),
)
def test_plan_limits_hold_for_any_input(
    available: list[str], applied_pick: list[str], add: list[str]
) -> None:
    available = available[:20]
    applied = [a for a in available if a in applied_pick][:5]
    plan = logic.plan_tags(
        available=available, applied=applied, bot_applied=applied[:1], add=add
    )
    assert len(plan.applied) <= logic.MAX_POST_TAGS
    assert len(available) + len(plan.create) <= logic.MAX_FORUM_TAGS
    for person_tag in applied[1:]:
        assert person_tag in plan.applied


@given(st.text(max_size=300))
def test_any_text_makes_a_safe_fts_query(text: str) -> None:
    match = logic.fts_query(logic.search_terms(text))
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5 (a, b)")
    conn.execute("INSERT INTO t VALUES ('flask session', 'commit')")
    if match is not None:
        conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall()


@given(st.lists(st.text(max_size=20), max_size=10))
def test_any_terms_are_quoted(terms: list[str]) -> None:
    match = logic.fts_query(terms)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5 (a)")
    if match is not None:
        conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall()


def test_search_terms_drop_stopwords_and_split_names() -> None:
    assert logic.search_terms("How do I use Flask-SQLAlchemy with db.session?") == [
        "flask",
        "sqlalchemy",
        "db",
        "session",
    ]


def _reference_terms(text: str, limit: int) -> list[str]:
    """search_terms as first written: whole names, split at - _ and ., deduplicated."""
    seen: list[str] = []
    for match in re.finditer(r"[^\W_]+(?:[-_.][^\W_]+)*", text.lower()):
        for part in re.split(r"[-_.]", match.group(0)):
            if len(part) < 2 or part in logic.STOPWORDS or part.isdigit():
                continue
            if part not in seen:
                seen.append(part)
                if len(seen) >= limit:
                    return seen
    return seen


_WORDY = st.lists(
    st.sampled_from([*"abcxyzAZ019-_. \n()'\"éßİ", "flask", "the", "db.session"]),
    max_size=120,
).map("".join)


@given(_WORDY, st.integers(min_value=1, max_value=40))
def test_search_terms_find_the_same_words_as_the_first_version(
    text: str, limit: int
) -> None:
    assert logic.search_terms(text, limit) == _reference_terms(text, limit)
    assert logic.word_set(text) == set(_reference_terms(text, 10**6))


def test_search_terms_keep_the_first_of_repeats_in_a_long_post() -> None:
    words = [f"name{i}" for i in range(3000)]
    text = " ".join(words + words)
    assert logic.search_terms(text, 10_000) == words
    assert logic.word_set(text) == set(words)


def test_closeness_needs_shared_words() -> None:
    terms = logic.search_terms("flask sqlalchemy session commit missing")
    assert logic.is_close(terms, "Flask-SQLAlchemy session does not commit")
    assert not logic.is_close(terms, "Jinja macro default arguments")
    assert not logic.is_close([], "anything")


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "Thank you so much",
        "that worked",
        "ok it works now, ty",
        "Danke!",
        "merci beaucoup",
        "¡Gracias!",
        "muito obrigado",
        "obrigada",
    ],
)
def test_thanks_is_recognised(text: str) -> None:
    assert logic.is_thanks(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks in advance",
        "that didn't work",
        "it does not work, thanks",
        "I think the thankful handler",
        "Show the traceback",
    ],
)
def test_not_a_thank_you(text: str) -> None:
    assert not logic.is_thanks(text)


def test_close_links() -> None:
    dup = logic.CloseReason.DUPLICATE
    check = logic.check_close_link
    assert check(dup, None, guild_id=1, thread_id=5)[1] is logic.LinkProblem.MISSING
    assert check(dup, "<#5>", guild_id=1, thread_id=5)[1] is logic.LinkProblem.SAME_POST
    assert check(dup, "<#6>", guild_id=1, thread_id=5) == (
        "https://discord.com/channels/1/6",
        None,
    )
    assert check(dup, "https://discord.com/channels/2/6", guild_id=1, thread_id=5)[
        1
    ] is (logic.LinkProblem.NOT_DISCORD)
    gh = logic.CloseReason.MOVED_TO_GITHUB
    good = "https://github.com/pallets/flask/issues/1"
    assert check(gh, good, guild_id=1, thread_id=5) == (good, None)
    assert check(gh, "javascript:alert(1)", guild_id=1, thread_id=5)[1] is (
        logic.LinkProblem.NOT_GITHUB
    )
    other = logic.CloseReason.OTHER
    assert check(other, None, guild_id=1, thread_id=5) == (None, None)
    assert (
        check(other, "no link", guild_id=1, thread_id=5)[1]
        is logic.LinkProblem.NOT_A_LINK
    )


def test_message_refs() -> None:
    link = "https://discord.com/channels/1/55/123456789012345678"
    assert logic.parse_message_ref(link, 55) == 123456789012345678
    assert logic.parse_message_ref(link, 56) is None
    assert logic.parse_message_ref("123456789012345678", 55) == 123456789012345678
    assert logic.parse_message_ref("hello", 55) is None


@given(st.text(max_size=200), st.text(max_size=3000))
def test_new_issue_url_round_trips(title: str, body: str) -> None:
    url = logic.new_issue_url("pallets/flask", title, body)
    assert len(url) <= logic.GITHUB_URL_LIMIT
    parsed = urlparse(url)
    assert parsed.netloc == "github.com" and parsed.path == "/pallets/flask/issues/new"
    query = parse_qs(parsed.query, keep_blank_values=True)
    assert set(query) <= {"title", "body"}
    if title.strip("\r\n\t "):
        assert query["title"] == [title]


def test_new_issue_url_refuses_other_repositories() -> None:
    with pytest.raises(ValueError):
        logic.new_issue_url("evil/repo", "t", "b")
    with pytest.raises(ValueError):
        logic.new_issue_url("pallets/flask/../../evil", "t", "b")


def test_next_digest_and_median() -> None:
    assert logic.next_digest_ts(0) == 9 * 3600
    assert logic.next_digest_ts(9 * 3600) == logic.DAY + 9 * 3600
    assert logic.median([]) is None
    assert logic.median([1, 3, 100]) == 3


def test_the_digest_keeps_its_local_time_across_daylight_saving() -> None:
    paris = logic.DigestSchedule(
        at=logic.parse_digest_time("9:00"),
        days=frozenset({0}),
        timezone="Europe/Paris",
    )
    # Mondays: 2026-03-23 (CET, UTC+1) and 2026-03-30 (CEST, UTC+2)
    before = logic.next_digest_ts(1774051200, paris)  # Sat 2026-03-21 00:00 UTC
    after = logic.next_digest_ts(before, paris)
    assert before == 1774252800  # 08:00 UTC
    assert after == 1774854000  # 07:00 UTC


@pytest.mark.parametrize("text", ["", "25:00", "9", "09:60", "noon"])
def test_a_digest_time_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(Refused) as refused:
        logic.parse_digest_time(text)
    assert refused.value.code is logic.Problem.BAD_DIGEST_TIME


def test_digest_days_read_names_keys_and_presets() -> None:
    names = {"mon": 0, "monday": 0, "wed": 2, "mittwoch": 2, "fri": 4}
    assert logic.parse_digest_days("Monday, mittwoch", names) == {0, 2}
    assert logic.parse_digest_days("weekdays", names) == set(range(5))
    assert logic.days_key(logic.parse_digest_days("fri mon", names)) == "mon,fri"
    for text in ("", "someday", "mon, funday"):
        with pytest.raises(Refused):
            logic.parse_digest_days(text, names)


def test_news_is_anything_that_changed_since_the_last_digest() -> None:
    assert not logic.DigestNews(unanswered=3, last_unanswered=3).anything
    assert logic.DigestNews(unanswered=2, last_unanswered=3).anything
    assert logic.DigestNews(new=1, unanswered=3, last_unanswered=3).anything
    assert logic.DigestNews(crossed=1, unanswered=3, last_unanswered=3).anything
    # a question asked at c turns 3 days old at c + 3 days: in (since, now] or not
    since, now = 10 * logic.DAY, 11 * logic.DAY
    windows = dict(zip(logic.AGE_THRESHOLDS, logic.crossings(since, now), strict=True))
    after, until = windows[3]
    assert after < 7 * logic.DAY + 1 <= until
    assert not after < 7 * logic.DAY <= until


def _registry_rules() -> logic.TagRules:
    entries = [
        Extension(
            guild_id=1,
            package=s.package,
            display_name=s.display_name,
            repo=s.repo,
            docs_url=None,
            tag=s.tag,
            keywords=s.keywords,
            patterns=s.patterns,
            kind=s.kind,
            pypi=s.pypi,
            watched=s.kind is Kind.EXTENSION,
            notes="",
            alternative=None,
            min_caretakers=None,
            risks=(),
            position=s.position,
            source="seed",
            added_by=None,
            added_at=0,
        )
        for s in load_seed()
    ]
    return logic.rules_from(entries, RULES)


@pytest.mark.parametrize(
    ("text", "wanted", "not_wanted"),
    [
        (
            "Flask-SQLAlchemy-Lite: db.session differs per request",
            "SQLAlchemy-Lite",
            "Flask-SQLAlchemy",
        ),
        (
            "flask_alembic makes an empty alembic revision",
            "Flask-Alembic",
            "Flask-Migrate",
        ),
        ("flask db upgrade fails with alembic", "Flask-Migrate", "Flask-Alembic"),
        ("db.session.add does not commit", "Flask-SQLAlchemy", "SQLAlchemy-Lite"),
        ("from flask_mail import Mail", "Flask-Mail", None),
    ],
)
def test_a_named_extension_wins_over_one_only_hinted_at(
    text: str, wanted: str, not_wanted: str | None
) -> None:
    found = logic.match_tags(_registry_rules(), text)
    assert wanted in found
    if not_wanted is not None:
        assert not_wanted not in found


def test_registry_rules_escalate_to_pallets_repositories_only() -> None:
    rules = _registry_rules()
    assert "pallets-eco/flask-mail" in rules.repos()
    assert "pallets/flask" in rules.repos()
    assert "maxcountryman/flask-login" not in rules.repos()
    assert logic.guess_repo(rules, ["Flask-Mail", "Flask"]) == "pallets-eco/flask-mail"


@given(_WORDY, _WORDY)
def test_coverage_counts_the_significant_words_shared(query: str, text: str) -> None:
    terms = logic.search_terms(query)
    present = logic.word_set(text)
    shared = sum(1 for term in terms if term in present)
    expected = (shared / len(terms), shared) if terms else (0.0, 0)
    assert logic.coverage(terms, text) == expected
