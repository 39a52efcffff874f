"""The playground: the guided tour reads as what happens, and the prompt does what a
member can do in Discord. The tour runs once per session (``tour_run``); the prompt
tests set the server up without the tour and type lines at the prompt."""

from __future__ import annotations

import re
from datetime import timedelta

import click
import pytest

from bot import i18n
from bot.devtools.playground import describe_span
from bot.devtools.playground import run_playground
from bot.devtools.playground import span_words
from bot.devtools.playground import tour_steps
from bot.devtools.prompt import HELP
from tests.conftest import TourRun


async def _prompt(*lines: str) -> str:
    """What the playground prints for ``lines`` typed at the prompt (no tour)."""
    out: list[str] = []
    await run_playground(
        interactive=True,
        database=None,
        echo=out.append,
        tour=False,
        lines=list(lines),
    )
    return click.unstyle("\n".join(out))


def _after(text: str, typed: str) -> str:
    """The output of the line ``typed``, up to the next line typed."""
    start = text.index(f"playground> {typed}\n") + len(f"playground> {typed}\n")
    end = text.find("\nplayground> ", start)
    return text[start : end if end != -1 else None]


# -- the tour -------------------------------------------------------------------------
def test_playground_tour_runs_every_step_and_shows_setup(tour_run: TourRun) -> None:
    text = tour_run.text
    assert "== Setting up the server ==" in text
    for command in (
        "setup channels",
        "setup roles",
        "setup language",
        "setup calendar",
    ):
        assert f"admin in #general: /{command} " in text, command
    assert "Channels saved." in text and "Roles saved." in text
    assert "I have no translation for it." in text
    assert "Members can subscribe to https://" in text
    assert "/setup show" in text
    assert "alice does not see it." in text
    assert "== Tour finished ==" in text
    assert "Traceback" not in text


def test_the_tour_prints_no_daily_digest(tour_run: TourRun) -> None:
    """The tour spans about eight weeks of the server's life: the helpers' digest
    comes when something changed, not every morning (it once printed 31)."""
    text = click.unstyle(tour_run.text)
    digests = text.count("[Questions digest]")
    assert 1 <= digests <= 8, digests
    assert "posted only when something changed" in text


def test_the_tour_has_a_chapter_for_each_part_of_contributing(
    tour_run: TourRun,
) -> None:
    text = tour_run.text
    chapters = {
        "Start here": "You will be pinged for new releases.",
        "Tasks that are not code": "Task #1 is done. Thank you for mentoring!",
        "GitHub in Discord": "open · good first issue, docs · by davidism",
        "Issues for newcomers, and claims": "is already taken by @alice",
        "A sprint board": "Set up flask: ```sh",
        "Release announcements": "@Release pings Flask 3.1.1 is out.",
        "Monthly thanks": "@hugo cared for 1 extension",
    }
    for title, shown in chapters.items():
        start = text.index(f"== {title} ==")
        end = text.index("\n== ", start + 1)
        assert shown in text[start:end], title
    claims = text[text.index("== Issues for newcomers, and claims ==") :]
    wish = claims.index("carol writes in #general: Hi! How can I contribute to Flask?")
    assert "[Contributing to Pallets]" in claims[wish : wish + 400]


def test_tour_steps_are_ordered() -> None:
    orders = [order for order, _name, _step in tour_steps()]
    assert orders == sorted(orders)


def test_the_tour_prints_names_not_ids(tour_run: TourRun) -> None:
    text = click.unstyle(tour_run.text)
    assert not re.findall(r"#\d{15,}|<[#@]&?\d+>", text)
    assert "bot sends a DM to alice:" in text
    assert "bot posts in thread 'Mentoring #1':" in text
    assert "Say hello in #Mentoring #1." in text
    assert "hugo writes in thread 'Flask-SQLAlchemy session does not commit'" in text


def test_durations_read_as_words(tour_run: TourRun) -> None:
    text = click.unstyle(tour_run.text)
    assert not re.findall(
        r"\d\.\d+ (?:minutes|hours|days)|\b1 (?:minutes|hours|days)", text
    )
    assert "... 16 hours pass ..." in text
    # Reminders read as their reader sees them on arrival, not a minute later.
    assert "Reminder: Flask chat starts in 1 hour," in text
    assert "59 minutes" not in text
    assert span_words(timedelta(hours=16, seconds=61)) == "16 hours and 1 minute"
    assert span_words(timedelta(days=1, hours=3, minutes=58)) == (
        "1 day, 3 hours and 58 minutes"
    )
    assert describe_span(timedelta(minutes=1)) == "1 minute passes"
    assert describe_span(timedelta(weeks=2)) == "14 days pass"


def test_a_staged_upstream_failure_is_told_in_the_story_not_on_stderr(
    tour_run: TourRun,
) -> None:
    assert tour_run.stderr == ""
    assert "bot logs (warning): extension watch: flask-login github failed" in (
        click.unstyle(tour_run.text)
    )


def test_the_tour_has_a_member_whose_discord_speaks_french(tour_run: TourRun) -> None:
    text = click.unstyle(tour_run.text)
    with i18n.scope("fr", "fr"):
        title = i18n._("Next community chats")
        refusal = i18n._(
            "Unknown timezone {name}: pick one from the list, such as Europe/Paris.",
            name="Atlantide",
        )
    assert "chloe (fr) in #general: /chat next" in text
    assert f"[{title}]" in text
    assert refusal in text


def test_narration_announces_what_the_next_step_shows(tour_run: TourRun) -> None:
    """ "A day before it starts, a reminder DM" is followed by that DM, after one
    step of time, not by "7 hours pass" and then the next day's post."""
    lines = [click.unstyle(line) for line in tour_run.lines]
    start = next(i for i, line in enumerate(lines) if "a reminder DM goes" in line)
    block = []
    for line in lines[start + 1 :]:
        if line.startswith("   ") and not line.startswith(
            ("   bot", "   ...", "     ")
        ):
            break  # the next narration
        block.append(line)
    advances = [line for line in block if line.startswith("   ...")]
    assert len(advances) == 1, block
    shown = "\n".join(block)
    assert "bot sends a DM to alice:" in shown
    assert "Reminder: Flask sprint starts in 1 day" in shown
    assert "DM to bob" not in shown  # he turned them off


# -- the prompt -----------------------------------------------------------------------
def test_help_shows_an_example_of_everything() -> None:
    for example in (
        "alice /chat next",
        "bob in ",
        "alice click Interested",
        "olivia fill summary:",
        'carol asks "',
        "hugo says ",
        "bob locale de",
        "advance 2w",
        "members | channels",
    ):
        assert example in HELP, example


async def test_the_tours_members_are_known_by_name() -> None:
    text = await _prompt("members", "hugo /triage queue", "rita /grant-review list")
    listed = _after(text, "members")
    for name in (
        "olivia (organiser)",
        "hugo (helper)",
        "maya (mentor)",
        "rita",
        "chloe",
    ):
        assert name in listed, name
    assert "hugo in #general: /triage queue" in text
    assert "rita in #general: /grant-review list" in text
    assert "?" not in _after(text, "hugo /triage queue").split("\n")[0]


async def test_text_options_stay_text_and_numbers_become_numbers() -> None:
    typed = (
        'olivia /chat-admin series-create name:"Tea chat" cadence:monthly weekday:Friday '
        'week:1 time:18:00 timezone:Europe/Paris duration:60 channel:"Flask chats"'
    )
    text = await _prompt(typed, "olivia click Confirm")
    out = _after(text, typed)
    assert "This is what I understood" in out, out
    assert "expects" not in out
    assert "Created the series Tea chat" in _after(text, "olivia click Confirm")


async def test_advance_takes_weeks_and_refuses_going_back() -> None:
    text = await _prompt("advance 2w", "advance -1d", "advance soon", "advance 1d12h")
    assert "... 14 days pass ..." in _after(text, "advance 2w")
    back = _after(text, "advance -1d")
    assert "time only moves forward" in back
    assert "pass" not in back.replace("time only moves forward", "")
    assert "is not an amount of time" in _after(text, "advance soon")
    assert "... 1 day and 12 hours pass ..." in _after(text, "advance 1d12h")


async def test_a_misspelt_command_gets_a_suggestion_not_an_exception_name() -> None:
    text = await _prompt(
        "alice /chat nxt",
        "alise /chat next",
        "alice /chat propose titel:x",
        "alice /chat",
    )
    assert "there is no /chat nxt; did you mean /chat next or" in text
    assert "no member 'alise'; did you mean alice?" in text
    assert (
        "/chat propose has no option 'titel'; it takes: title, details, series" in text
    )
    assert "/chat needs one of: /chat history, /chat next" in text
    assert "Error" not in text and "SetupError" not in text


async def test_click_a_button_by_its_label_and_fill_a_form_by_field_names() -> None:
    text = await _prompt(
        'olivia /chat-admin series-create name:"Flask chat" cadence:monthly weekday:3 '
        'week:2 time:17:00 timezone:Europe/Paris duration:60 channel:"Flask chats"',
        "olivia click Confirm",
        "advance 17h",
        "alice click Interested",
        "bob click interested in #announcements",
        "carol click Publish",
        "alice /grant request",
        'alice fill event:"Lyon Flask meetup" amount:300 currency:EUR '
        'purpose:"Room hire" attendance:35',
        "bob fill summary:x",
    )
    assert "alice clicks [Interested]" in text
    assert "You are interested" in _after(text, "alice click Interested")
    assert "bob clicks [Interested]" in text
    assert "no message that carol can see has a [Publish] button" in text
    form = _after(text, "alice /grant request")
    assert "bot shows a form: 'Event grant request' (fields: event, amount" in form
    filled = _after(
        text, next(line for line in text.splitlines() if "alice fill" in line)[12:]
    )
    assert "Your request for €300.00 for Lyon Flask meetup is in." in filled
    assert "no form is open for bob" in text


async def test_post_in_the_forum_reply_in_a_thread_and_run_a_command_there() -> None:
    text = await _prompt(
        'carol asks "Jinja loop index" How do I get the index in a for loop?',
        'hugo says "Jinja loop index" Use loop.index.',
        'carol in "jinja loop" /solved',
        "channels",
    )
    assert "carol asks in #questions: 'Jinja loop index'" in text
    assert "bot posts in thread 'Jinja loop index':" in text
    assert "hugo writes in thread 'Jinja loop index': Use loop.index." in text
    assert "carol in thread 'Jinja loop index': /solved" in text
    assert "Marked as solved" in text
    assert "threads: 'Jinja loop index'" in _after(text, "channels")


async def test_set_a_members_locale() -> None:
    text = await _prompt("bob locale fr", "bob /chat next", "bob locale xx", "members")
    assert "bob's Discord is now in fr." in text
    assert "bob (fr) in #general: /chat next" in text
    with i18n.scope("fr", "fr"):
        assert i18n._("No chat is planned yet.") in _after(text, "bob /chat next")
    assert "'xx' is not a Discord language" in text
    assert "bob (Discord in fr)" in _after(text, "members")


@pytest.mark.parametrize("line", ["help", "quit"])
async def test_help_and_quit(line: str) -> None:
    text = await _prompt(line, "alice /chat next")
    if line == "help":
        assert text.count("<member> click <label>") == 2
    else:
        assert "alice in #general" not in text


# -- the public pages -----------------------------------------------------------------
async def _prompt_on_any_port(*lines: str, web: bool = False) -> str:
    out: list[str] = []
    await run_playground(
        interactive=True,
        database=None,
        echo=out.append,
        tour=False,
        lines=list(lines),
        web=web,
        web_port=0,
    )
    return click.unstyle("\n".join(out))


async def test_web_serves_the_public_pages_and_says_how_to_turn_them_on() -> None:
    text = await _prompt_on_any_port(
        "web", "admin /setup pages enabled:true questions:true", "web"
    )
    first = _after(text, "web")
    assert re.search(r"The public pages are at http://127\.0\.0\.1:\d+/\d+/ ", first)
    assert "front page 404" in first and "admin /setup pages enabled:true" in first
    last = text[text.rindex("playground> web") :]
    assert "Right now: front page 200, upcoming 200, solved questions 200." in last


async def test_playground_web_serves_from_the_start() -> None:
    text = await _prompt_on_any_port("web", web=True)
    assert re.search(r"The public pages: http://127\.0\.0\.1:\d+/\d+/", text)


def test_the_tour_turns_the_pages_on_and_shows_consent(tour_run: TourRun) -> None:
    text = tour_run.text
    assert "admin in #general: /setup pages enabled:True questions:True" in text
    assert "== The public pages: who is named, and taking content off ==" in text
    assert "Your questions and answers are back on the public pages." in text
