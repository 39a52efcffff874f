from __future__ import annotations

from datetime import datetime
from datetime import UTC
from typing import Any

import pytest

from bot.extensions import Flag
from bot.refusals import Refused
from cogs.extwatch._logic import accepts_major
from cogs.extwatch._logic import Activity
from cogs.extwatch._logic import age_parts
from cogs.extwatch._logic import assess
from cogs.extwatch._logic import Caretaker
from cogs.extwatch._logic import caretaker_risk
from cogs.extwatch._logic import CaretakerRole
from cogs.extwatch._logic import check_step
from cogs.extwatch._logic import DAY
from cogs.extwatch._logic import Evidence
from cogs.extwatch._logic import excludes
from cogs.extwatch._logic import flask_requirement
from cogs.extwatch._logic import github_from_json
from cogs.extwatch._logic import github_info
from cogs.extwatch._logic import GithubInfo
from cogs.extwatch._logic import group_by_status
from cogs.extwatch._logic import is_feature_release
from cogs.extwatch._logic import MalformedData
from cogs.extwatch._logic import MONTH
from cogs.extwatch._logic import next_weekly
from cogs.extwatch._logic import normalise_name
from cogs.extwatch._logic import osv_from_json
from cogs.extwatch._logic import OsvInfo
from cogs.extwatch._logic import parse_osv
from cogs.extwatch._logic import parse_pypi
from cogs.extwatch._logic import parse_repo
from cogs.extwatch._logic import Policy
from cogs.extwatch._logic import pypi_from_json
from cogs.extwatch._logic import PypiInfo
from cogs.extwatch._logic import ReasonCode
from cogs.extwatch._logic import roster
from cogs.extwatch._logic import Status
from cogs.extwatch._logic import status_change
from cogs.extwatch._logic import Step
from cogs.extwatch._logic import Thresholds
from cogs.extwatch._logic import to_json
from cogs.extwatch._logic import valid_package_name
from cogs.extwatch._logic import Vulnerability

NOW = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
LIMITS = Thresholds(watch_months=12, risk_months=24, flask_major=3)


def pypi(
    months_ago: float = 1, spec: str | None = ">=2.2", accepts: bool | None = True
) -> PypiInfo:
    return PypiInfo(
        name="Flask-X",
        version="1.0",
        released_at=int(NOW - months_ago * MONTH),
        flask_spec=spec,
        accepts_flask=accepts,
    )


def github(
    *, archived: bool = False, pushed_months_ago: float = 0.5, issues: int = 5
) -> GithubInfo:
    return GithubInfo(
        full_name="o/flask-x",
        pushed_at=int(NOW - pushed_months_ago * MONTH),
        archived=archived,
        open_issues=issues,
        open_prs=2,
        html_url="https://github.com/o/flask-x",
    )


def codes(evidence: Evidence, limits: Thresholds = LIMITS) -> set[ReasonCode]:
    return {r.code for r in assess(evidence, limits, NOW).reasons}


# -- status rules ---------------------------------------------------------------------------
def test_recent_release_active_repo_is_healthy() -> None:
    result = assess(Evidence(pypi=pypi(), github=github()), LIMITS, NOW)
    assert result.status is Status.HEALTHY
    assert result.reasons == ()


def test_nothing_fetched_is_unknown() -> None:
    assert assess(Evidence(), LIMITS, NOW).status is Status.UNKNOWN


def test_no_release_for_watch_months_is_watch() -> None:
    result = assess(Evidence(pypi=pypi(months_ago=13)), LIMITS, NOW)
    assert result.status is Status.WATCH
    assert result.reasons[0].code is ReasonCode.NO_RELEASE_WATCH
    assert result.reasons[0].values["months"] == 13


def test_no_release_for_risk_months_is_at_risk() -> None:
    result = assess(Evidence(pypi=pypi(months_ago=25)), LIMITS, NOW)
    assert result.status is Status.AT_RISK
    assert codes(Evidence(pypi=pypi(months_ago=25))) == {ReasonCode.NO_RELEASE_RISK}


def test_release_thresholds_come_from_configuration() -> None:
    strict = Thresholds(watch_months=3, risk_months=6, flask_major=3)
    assert assess(Evidence(pypi=pypi(months_ago=4)), strict, NOW).status is Status.WATCH
    assert (
        assess(Evidence(pypi=pypi(months_ago=7)), strict, NOW).status is Status.AT_RISK
    )


def test_archived_repository_is_at_risk() -> None:
    evidence = Evidence(pypi=pypi(), github=github(archived=True))
    assert assess(evidence, LIMITS, NOW).status is Status.AT_RISK
    assert codes(evidence) == {ReasonCode.ARCHIVED}


def test_requirement_excluding_current_flask_is_at_risk() -> None:
    evidence = Evidence(pypi=pypi(spec="<2", accepts=False))
    result = assess(evidence, LIMITS, NOW)
    assert result.status is Status.AT_RISK
    assert result.reasons[0].values == {"spec": "<2", "major": 3}


def test_unreadable_requirement_raises_no_alarm() -> None:
    assert (
        assess(Evidence(pypi=pypi(spec="===weird", accepts=None)), LIMITS, NOW).status
        is Status.HEALTHY
    )


def test_known_vulnerability_in_latest_release_is_at_risk() -> None:
    osv = OsvInfo("1.0", (Vulnerability("CVE-2024-1681", "log injection"),))
    result = assess(Evidence(pypi=pypi(), osv=osv), LIMITS, NOW)
    assert result.status is Status.AT_RISK
    assert result.reasons[0].values["ids"] == "CVE-2024-1681"


def test_vulnerability_of_an_older_version_does_not_count() -> None:
    osv = OsvInfo("0.9", (Vulnerability("CVE-1", "old"),))
    assert assess(Evidence(pypi=pypi(), osv=osv), LIMITS, NOW).status is Status.HEALTHY


def test_quiet_repository_is_watch() -> None:
    evidence = Evidence(pypi=pypi(), github=github(pushed_months_ago=14))
    assert assess(evidence, LIMITS, NOW).status is Status.WATCH
    assert codes(evidence) == {ReasonCode.QUIET_REPO}


def test_growing_backlog_is_watch() -> None:
    history = [(NOW - 90 * DAY, 40), (NOW - 30 * DAY, 48), (NOW, 60)]
    evidence = Evidence(pypi=pypi(), github=github(), backlog_history=history)
    result = assess(evidence, LIMITS, NOW)
    assert result.status is Status.WATCH
    assert result.reasons[0].values == {"before": 40, "now": 60}


def test_small_or_old_backlog_growth_is_not_a_warning() -> None:
    small = [(NOW - 90 * DAY, 4), (NOW, 9)]  # +125% but only 5 more
    old = [(NOW - 400 * DAY, 10), (NOW - 300 * DAY, 12), (NOW, 40)]
    assert not codes(Evidence(pypi=pypi(), github=github(), backlog_history=small))
    assert not codes(Evidence(pypi=pypi(), github=github(), backlog_history=old))


def test_package_missing_on_pypi_is_at_risk() -> None:
    assert assess(Evidence(missing_on_pypi=True), LIMITS, NOW).status is Status.AT_RISK


def test_reasons_are_worst_first_and_all_kept() -> None:
    evidence = Evidence(
        pypi=pypi(months_ago=13, spec="<3", accepts=False),
        github=github(pushed_months_ago=13),
    )
    result = assess(evidence, LIMITS, NOW)
    assert result.status is Status.AT_RISK
    assert [r.code for r in result.reasons] == [
        ReasonCode.INCOMPATIBLE,
        ReasonCode.NO_RELEASE_WATCH,
        ReasonCode.QUIET_REPO,
    ]


# -- changes --------------------------------------------------------------------------------
def test_first_assessment_is_a_baseline_not_a_change() -> None:
    current = assess(Evidence(pypi=pypi(months_ago=30)), LIMITS, NOW)
    assert status_change("Flask-X", None, current) is None


def test_a_different_status_is_a_change_with_reasons() -> None:
    current = assess(Evidence(pypi=pypi(), github=github(archived=True)), LIMITS, NOW)
    change = status_change("Flask-X", Status.HEALTHY, current)
    assert change is not None
    assert (change.before, change.after) == (Status.HEALTHY, Status.AT_RISK)
    assert change.reasons[0].code is ReasonCode.ARCHIVED


def test_same_status_or_unknown_is_no_change() -> None:
    healthy = assess(Evidence(pypi=pypi()), LIMITS, NOW)
    assert status_change("Flask-X", Status.HEALTHY, healthy) is None
    assert (
        status_change("Flask-X", Status.HEALTHY, assess(Evidence(), LIMITS, NOW))
        is None
    )


# -- Flask requirement ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        (["Flask>=2.2.5", "sqlalchemy>=2"], ">=2.2.5"),
        (["flask (>=0.9)"], ">=0.9"),
        (["Flask<4,>=3.0.0"], "<4,>=3.0.0"),
        (["Flask[async]>=2.0"], ">=2.0"),
        (["Flask"], ""),
        (['Flask>=2; python_version >= "3.8"'], ">=2"),
        (['flask>=1; extra == "flask"'], None),
        (["Werkzeug>=1"], None),
        ([], None),
    ],
)
def test_flask_requirement(requires: list[str], expected: str | None) -> None:
    assert flask_requirement(requires) == expected


@pytest.mark.parametrize(
    ("spec", "major", "expected"),
    [
        ("", 3, True),
        (">=2.2.5", 3, True),
        ("<3", 3, False),
        ("<3.0", 3, False),
        ("<=3.0", 3, True),
        (">=2,<3", 3, False),
        ("<4,>=3.0.0", 3, True),
        (">=4", 3, False),
        ("==2.*", 3, False),
        ("==3.*", 3, True),
        ("!=3.*", 3, False),
        ("!=3.0.1", 3, True),
        ("~=2.0", 3, False),
        ("~=2.0", 2, True),
        ("~=3.1.2", 3, True),
        (">3", 3, True),
        ("==3.0.0", 3, True),
        (">=2.0rc1", 3, True),
        ("===3.0", 3, True),
        (">3.0.1,<3.0.2", 3, False),
        (">=3.0.1,!=3.0.1", 3, True),
        ("nonsense", 3, None),
        ("~=3", 3, None),
    ],
)
def test_accepts_major(spec: str, major: int, expected: bool | None) -> None:
    assert accepts_major(spec, major) is expected


# -- parsing API answers -----------------------------------------------------------------------
def pypi_answer(**info: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Flask-Login",
        "version": "0.6.3",
        "requires_dist": ["Flask>=1.0.4", "Werkzeug>=1.0.1"],
        "project_url": "https://pypi.org/project/Flask-Login/",
        "summary": "User authentication and session management for Flask.",
    }
    base.update(info)
    return {
        "info": base,
        "urls": [
            {
                "upload_time": "2023-10-30T14:53:21",
                "upload_time_iso_8601": "2023-10-30T14:53:21.151286Z",
            },
            {
                "upload_time": "2023-10-30T14:53:19",
                "upload_time_iso_8601": "2023-10-30T14:53:19.000000Z",
            },
        ],
    }


def test_parse_pypi_reads_version_date_and_flask_requirement() -> None:
    info = parse_pypi(pypi_answer(), 3)
    assert info.version == "0.6.3"
    assert info.released_at == int(
        datetime(2023, 10, 30, 14, 53, 19, tzinfo=UTC).timestamp()
    )
    assert info.flask_spec == ">=1.0.4"
    assert info.accepts_flask is True
    assert pypi_from_json(to_json(info)) == info


def test_parse_pypi_without_requirements_or_files() -> None:
    answer = pypi_answer(requires_dist=None)
    answer["urls"] = []
    info = parse_pypi(answer, 3)
    assert info.flask_spec is None and info.accepts_flask is None
    assert info.released_at is None


@pytest.mark.parametrize(
    "answer",
    [
        [],
        {"info": None},
        {"info": {"name": "x"}},
        {"info": {"name": "x", "version": "1", "requires_dist": "Flask"}},
    ],
)
def test_parse_pypi_rejects_unexpected_shapes(answer: object) -> None:
    with pytest.raises(MalformedData):
        parse_pypi(answer, 3)


def test_github_info_subtracts_pull_requests_from_issues() -> None:
    info = github_info(
        full_name="maxcountryman/flask-login",
        html_url="https://github.com/maxcountryman/flask-login",
        archived=False,
        pushed_at=1764583200,
        open_items=75,
        open_prs=15,
    )
    assert (info.open_issues, info.open_prs, info.backlog) == (60, 15, 75)
    assert github_from_json(to_json(info)) == info


def test_parse_osv_prefers_cve_alias_and_handles_empty_answer() -> None:
    assert parse_osv({}, "1.0").vulns == ()
    info = parse_osv(
        {
            "vulns": [
                {"id": "GHSA-1", "aliases": ["CVE-2024-1"], "summary": "bad\nmore"}
            ]
        },
        "1.0",
    )
    assert info.vulns == (Vulnerability("CVE-2024-1", "bad"),)
    assert osv_from_json(to_json(info)) == info
    with pytest.raises(MalformedData):
        parse_osv({"vulns": "nope"}, "1.0")


# -- names, pages, time --------------------------------------------------------------------------
def test_names_and_repositories() -> None:
    assert normalise_name("Flask_SQLAlchemy") == "flask-sqlalchemy"
    assert valid_package_name("Flask-Login")
    assert not valid_package_name("flask login")
    assert not valid_package_name("-flask")
    assert parse_repo("pallets-eco/flask-wtf") == "pallets-eco/flask-wtf"
    assert (
        parse_repo("https://github.com/pallets-eco/flask-wtf.git")
        == "pallets-eco/flask-wtf"
    )
    assert parse_repo("https://gitlab.com/x/y") is None
    assert parse_repo("just-a-name") is None
    assert parse_repo("a/../b") is None


def test_group_by_status_puts_worst_first() -> None:
    groups = group_by_status(
        [(Status.HEALTHY, "a"), (Status.AT_RISK, "b"), (Status.HEALTHY, "c")]
    )
    assert groups == [(Status.AT_RISK, ["b"]), (Status.HEALTHY, ["a", "c"])]


def test_next_weekly_is_the_next_monday_morning() -> None:
    thursday = datetime(2026, 1, 1, tzinfo=UTC)
    monday = next_weekly(thursday)
    assert monday == datetime(2026, 1, 5, 6, tzinfo=UTC)
    assert next_weekly(monday) == datetime(2026, 1, 12, 6, tzinfo=UTC)
    assert next_weekly(datetime(2026, 1, 5, 5, 59, tzinfo=UTC)) == monday


def test_age_parts() -> None:
    assert age_parts(30) == ("minutes", 1)
    assert age_parts(3 * 3600 + 5) == ("hours", 3)
    assert age_parts(3 * DAY) == ("days", 3)


# -- stewardship ---------------------------------------------------------------------------

NOW = 1_800_000_000
POLICY = Policy(minimum=2, inactive_months=6, answer_days=14)


def keeper(
    ident: int,
    github: str | None,
    *,
    since_days: int = 400,
    asked_days: int | None = None,
    confirmed_days: int | None = None,
) -> Caretaker:
    return Caretaker(
        id=ident,
        guild_id=1,
        package="flask-mail",
        user_id=100 + ident,
        github=github,
        role=CaretakerRole.MAINTAINER,
        since=NOW - since_days * DAY,
        confirmed_at=None if confirmed_days is None else NOW - confirmed_days * DAY,
        asked_at=None if asked_days is None else NOW - asked_days * DAY,
    )


ACTIVE = Activity(commits=(("davidism", NOW - 10 * DAY), ("pgjones", NOW - 20 * DAY)))


def test_a_caretaker_seen_on_github_new_or_confirmed_is_active() -> None:
    people = [
        keeper(1, "davidism"),
        keeper(2, None, since_days=30),
        keeper(3, "quiet", confirmed_days=20),
    ]
    state = roster(people, ACTIVE, POLICY, NOW)
    assert [p.id for p in state.active] == [1, 2, 3]
    assert caretaker_risk(state, ACTIVE, POLICY, NOW) is None


def test_a_quiet_caretaker_is_asked_then_waited_for_then_inactive() -> None:
    ask = roster([keeper(1, "davidism"), keeper(2, "ghost")], ACTIVE, POLICY, NOW)
    assert [p.id for p in ask.to_ask] == [2]
    assert caretaker_risk(ask, ACTIVE, POLICY, NOW) is None  # ask first
    waiting = roster(
        [keeper(1, "davidism"), keeper(2, "ghost", asked_days=5)], ACTIVE, POLICY, NOW
    )
    assert [p.id for p in waiting.waiting] == [2]
    assert caretaker_risk(waiting, ACTIVE, POLICY, NOW) is None
    gone = roster(
        [keeper(1, "davidism"), keeper(2, "ghost", asked_days=15)], ACTIVE, POLICY, NOW
    )
    risk = caretaker_risk(gone, ACTIVE, POLICY, NOW)
    assert risk is not None and risk.flag is Flag.NEEDS_CARETAKERS
    assert dict(risk.detail) == {"why": "inactive", "who": "ghost", "months": 6}


def test_a_short_roster_or_one_author_needs_caretakers() -> None:
    short = roster([keeper(1, "davidism")], ACTIVE, POLICY, NOW)
    risk = caretaker_risk(short, ACTIVE, POLICY, NOW)
    assert risk is not None and dict(risk.detail) == {
        "why": "short",
        "have": 1,
        "wanted": 2,
    }
    solo = Activity(
        commits=(("solo", NOW - DAY), ("solo", NOW - 2 * DAY)),
        releases=(("solo", "1.0", NOW - DAY),),
    )
    people = [keeper(1, "solo"), keeper(2, None, since_days=10)]
    risk = caretaker_risk(roster(people, solo, POLICY, NOW), solo, POLICY, NOW)
    assert risk is not None and dict(risk.detail) == {"why": "one_person"}
    none = Policy(minimum=0)
    assert caretaker_risk(roster([], None, none, NOW), None, none, NOW) is None


def test_adoption_steps_go_in_order() -> None:
    check_step([], Step.CONTACT)
    check_step([Step.CONTACT], Step.ANSWER)
    with pytest.raises(Refused) as early:
        check_step([Step.CONTACT], Step.PYPI)
    assert early.value.details == {"step": "answer"}
    with pytest.raises(Refused) as twice:
        check_step([Step.CONTACT], Step.CONTACT)
    assert twice.value.code.value == "step_done"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("3.1.1", "3.2.0", True),
        ("3.1.1", "4.0.0", True),
        ("3.1.1", "3.1.2", False),
        ("3.1.1", "3.2.0rc1", False),
        ("3.2.0", "3.1.9", False),
        ("3.1", "not a version", False),
    ],
)
def test_feature_releases(before: str, after: str, expected: bool) -> None:
    assert is_feature_release(before, after) is expected


def test_a_declared_requirement_excludes_a_version_or_not() -> None:
    assert excludes(">=2.0,<3.2", "3.2.0")
    assert not excludes(">=2.0,<3.2", "3.1.5")
    assert not excludes("", "3.2.0")
    assert not excludes(None, "3.2.0")
    assert not excludes("garbage", "3.2.0")
