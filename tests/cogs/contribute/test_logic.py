"""Pure rules of the contribute job: references, labels, claims, releases, thanks."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.refusals import Refused
from cogs.contribute._logic import catalogue
from cogs.contribute._logic import check_claim
from cogs.contribute._logic import check_link
from cogs.contribute._logic import claim_times
from cogs.contribute._logic import ClaimCheck
from cogs.contribute._logic import find_references
from cogs.contribute._logic import IssueInfo
from cogs.contribute._logic import IssueRef
from cogs.contribute._logic import Kind
from cogs.contribute._logic import kinds_of
from cogs.contribute._logic import label_map
from cogs.contribute._logic import merge_thanks
from cogs.contribute._logic import month_bounds
from cogs.contribute._logic import next_recognition
from cogs.contribute._logic import normalise_version
from cogs.contribute._logic import parse_labels
from cogs.contribute._logic import parse_number
from cogs.contribute._logic import Problem
from cogs.contribute._logic import reachable
from cogs.contribute._logic import referenced_issues
from cogs.contribute._logic import Thanks

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def refs(text: str) -> list[str]:
    return [str(ref) for ref in find_references(text, catalogue())]


def test_every_form_of_reference_is_found_once_in_order() -> None:
    text = (
        "See flask#5000 and pallets/werkzeug#12, also "
        "https://github.com/pallets-eco/flask-wtf/pull/123 and Flask#5000 again."
    )
    assert refs(text) == [
        "pallets/flask#5000",
        "pallets/werkzeug#12",
        "pallets-eco/flask-wtf#123",
    ]


def test_code_and_quotes_are_not_references() -> None:
    text = (
        "> flask#1 was quoted\n"
        "`flask#2` inline\n"
        "```\nflask#3 in a block\n```\n"
        "real: jinja#4\n"
        ">>> flask#5 and everything after"
    )
    assert refs(text) == ["pallets/jinja#4"]


def test_unknown_short_names_and_lookalikes_are_ignored() -> None:
    assert refs("django#123 C#7 issue #12 a/b/c#3 x#") == []
    assert refs("see mygithub.com/pallets/flask/issues/1") == []


def test_references_are_capped_per_message() -> None:
    text = " ".join(f"flask#{n}" for n in range(1, 20))
    assert len(find_references(text, catalogue())) == 5


def test_only_pallets_orgs_unless_allowed() -> None:
    outside = IssueRef("django/django", 1)
    assert reachable(IssueRef("pallets-eco/flask-wtf", 1))
    assert not reachable(outside)
    assert reachable(outside, ["Django"])


def test_a_pull_request_refers_to_issues_in_its_own_repo_by_number() -> None:
    found = referenced_issues(
        "pallets/flask", "Fixes #5000, see pallets/click#7\n`#99`", catalogue()
    )
    assert found == {IssueRef("pallets/flask", 5000), IssueRef("pallets/click", 7)}


@given(st.text(max_size=300))
def test_finding_references_never_fails(text: str) -> None:
    for ref in find_references(text, catalogue()):
        assert ref.number > 0 and "/" in ref.repo


def test_labels_per_repository_override_the_defaults() -> None:
    defaults = catalogue().labels
    assert kinds_of(["Good First Issue", "bug"], label_map(defaults)) == {Kind.FIRST}
    custom = label_map(defaults, {Kind.FIRST: ("beginner",)})
    assert kinds_of(["good first issue"], custom) == set()
    assert kinds_of(["beginner", "docs"], custom) == {Kind.FIRST, Kind.DOCS}


def test_organisers_labels_are_read_strictly() -> None:
    assert parse_labels(" Good First Issue, beginner ,,") == (
        "good first issue",
        "beginner",
    )
    with pytest.raises(Refused):
        parse_labels(",".join(f"l{n}" for n in range(11)))


def issue(state: str = "open", *, pull: bool = False) -> IssueInfo:
    return IssueInfo(
        IssueRef("pallets/flask", 1), "t", state, (), "a", "u", NOW, is_pull=pull
    )


@pytest.mark.parametrize(
    ("check", "problem"),
    [
        (ClaimCheck(issue("closed"), None, 0), Problem.ISSUE_CLOSED),
        (ClaimCheck(issue(pull=True), None, 0), Problem.IS_PULL_REQUEST),
        (ClaimCheck(issue(), 7, 0), Problem.TAKEN),
        (ClaimCheck(issue(), 1, 0), Problem.ALREADY_YOURS),
        (ClaimCheck(issue(), None, 3), Problem.TOO_MANY_CLAIMS),
    ],
)
def test_claims_are_refused_for_a_reason(check: ClaimCheck, problem: Problem) -> None:
    with pytest.raises(Refused) as refused:
        check_claim(1, check)
    assert refused.value.code is problem


def test_a_claim_is_reminded_before_it_lapses() -> None:
    expires, remind = claim_times(NOW, 14)
    assert expires - NOW == timedelta(days=14)
    assert expires - remind == timedelta(days=2)
    expires, remind = claim_times(NOW, 1)
    assert expires - remind == timedelta(hours=12)


def test_links_must_be_web_addresses() -> None:
    assert check_link(" https://gist.github.com/a/1 ") == "https://gist.github.com/a/1"
    for bad in ("gist", "javascript:alert(1)", "https://x", "https://a.b/" + "x" * 300):
        with pytest.raises(Refused):
            check_link(bad)


def test_release_tags_become_versions() -> None:
    assert normalise_version("v3.1.0") == "3.1.0"
    assert normalise_version("flask-3.1.0rc1") == "3.1.0rc1"
    assert normalise_version("2.0") == "2.0"


def test_the_thanks_cover_last_month_and_come_on_the_first() -> None:
    moment = datetime(2026, 3, 1, 15, tzinfo=UTC)
    assert month_bounds(moment) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert next_recognition(moment) == datetime(2026, 4, 1, 15, tzinfo=UTC)
    assert next_recognition(datetime(2026, 12, 5, tzinfo=UTC)) == datetime(
        2027, 1, 1, 15, tzinfo=UTC
    )


def test_thanks_merge_per_member_and_leave_out_the_quiet() -> None:
    merged = merge_thanks(
        [Thanks(1, solved=2), Thanks(1, tasks=1), Thanks(2, merged=1), Thanks(3)],
        quiet=[2],
    )
    assert merged == [Thanks(1, solved=2, tasks=1)]


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), (" #7 ", 7), ("٣", 3), ("²", None), ("#", None), ("1e3", None)],
)
def test_a_task_or_sprint_number_is_read_as_typed(
    text: str, number: int | None
) -> None:
    assert parse_number(text) == number


@given(st.text())
def test_any_typed_number_reads_as_a_small_number_or_none(text: str) -> None:
    number = parse_number(text)
    assert number is None or 0 <= number < 10**9
