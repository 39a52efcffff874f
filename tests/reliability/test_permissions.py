"""The permission matrix: every slash command and privileged button, run by each role.

The expected outcome of each cell is written down here, from the product's rules
(the job issues and docs/commands.md), not read from the code:

- ``/setup *``: members who can manage the server (admin) only.
- Chats: organisers run series, skips, reschedules and notes; everyone reads, proposes
  and votes; only organisers pin or remove a topic (menus under their /chat topics).
- Triage: helpers (and organisers) close, escalate, see the queue and stats, edit
  tag rules and set when their digest comes; ``/solved`` by the asker or a helper solves, by anyone else it only asks
  the asker; reopening is for the asker or a helper.
- Events: everyone creates (an organiser publishes, a member submits for an
  organiser's approval); the event's organiser or any organiser edits and cancels, and
  adds the recording and slides; everyone reads and RSVPs, and gives feedback on an
  event they went to; organisers and the members who answered see who is going.
- Grants: everyone may ask; reviewers list and review; the history is for the requester
  and reviewers; only the requester answers.
- Mentorship: mentors keep a profile, see the queue, claim and release; organisers see
  stats, set check-ins, match, and look up a member's status; every member asks,
  cancels, sees their own status and ends their own pairing. Check-in and feedback
  buttons are for the pair alone.
- Extension watch: everyone reads, follows, volunteers and sees adoption cases;
  organisers add, remove, refresh and edit extensions, keep the caretaker rosters and
  record adoption steps; only organisers accept or decline an offer of help.
- Contributing: everyone lists, claims and releases issues, works on tasks and asks
  for help at a sprint; mentors and organisers post tasks and keep sprint boards;
  organisers choose labels, allowed owners and claim days. A task's claimant alone
  submits it; its mentor (or an organiser) reviews it; the claimant leaves it or the
  mentor (or an organiser) withdraws it. An offer to volunteer is decided by
  organisers in the log channel; a sprint's call for help is taken by a mentor or an
  organiser; the start-here buttons are everyone's.

Members who can manage the server pass every role check (``bot.permissions``). The
"owner" is the member a thing belongs to: bob asked the question, filed the grant
request and is the mentee of the pairing; "member" (alice) has no part in any of it.

Discord's ``default_permissions`` (set on ``/setup``) only hides a command in the
client, and a server admin can unhide it, so here every command is made visible to
everyone and the bot's own check must refuse.

A refusal ("deny") is: the member was told why, ephemeral; the bot raised
:class:`~bot.errors.NotAllowed` (or a failed check); no database row changed; nothing
was posted, edited or created where others can see it. "allow" is: not refused for
permission (the command may still refuse for the state of things, such as "no pairing
to end"). "ask" (``/solved`` by a stranger) is allowed, changes nothing in the
database, and posts a public question to the asker. "hidden": Discord does not show the
message to that member at all (a private thread), so they cannot click.

One world per role keeps the module near ten seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest
import simcord
from discord import app_commands
from simcord.backend.access import can_access_channel

from bot import PalletsBot
from bot.devtools.testing import create_chat_series
from bot.devtools.testing import open_event_form
from bot.devtools.testing import post_question
from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import submit_event_form
from bot.devtools.testing import World
from bot.errors import NotAllowed
from bot.errors import report as report_error
from bot.permissions import role_groups
from bot.ui import view_of
from cogs.chats._views import PinButton
from cogs.chats._views import RemoveButton
from cogs.contribute._github import BotSource
from cogs.contribute._github import Unreachable
from cogs.contribute._logic import IssueInfo
from cogs.contribute._logic import IssueRef
from cogs.extwatch._engine import ExtWatchEngine
from cogs.extwatch._fetch import RefreshResult
from cogs.triage._views import NeedHelpButton

A, D, ASK, H = "allow", "deny", "ask", "hidden"
ROLES = ("member", "owner", "helper", "mentor", "organiser", "reviewer", "admin")

# fmt: off
#: Every leaf slash command: the outcome for
#:                                 member owner  helper mentor organiser reviewer admin
MATRIX: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "setup channels":             (D,     D,    D,     D,     D,        D,       A),
    "setup roles":                (D,     D,    D,     D,     D,        D,       A),
    "setup language":             (D,     D,    D,     D,     D,        D,       A),
    "setup calendar":             (D,     D,    D,     D,     D,        D,       A),
    "setup show":                 (D,     D,    D,     D,     D,        D,       A),
    "setup timezone":             (D,     D,    D,     D,     D,        D,       A),
    "setup pages":                (D,     D,    D,     D,     D,        D,       A),
    "pages names":                (A,     A,    A,     A,     A,        A,       A),
    "pages remove":               (A,     A,    A,     A,     A,        A,       A),
    "pages restore":              (A,     A,    A,     A,     A,        A,       A),
    "pages mine":                 (A,     A,    A,     A,     A,        A,       A),
    "timezone set":               (A,     A,    A,     A,     A,        A,       A),
    "timezone show":              (A,     A,    A,     A,     A,        A,       A),
    "timezone clear":             (A,     A,    A,     A,     A,        A,       A),
    "upcoming":                   (A,     A,    A,     A,     A,        A,       A),
    "setup start-here":           (D,     D,    D,     D,     D,        D,       A),
    "chat-admin series-create":   (D,     D,    D,     D,     A,        D,       A),
    "chat-admin series-list":     (D,     D,    D,     D,     A,        D,       A),
    "chat-admin series-edit":     (D,     D,    D,     D,     A,        D,       A),
    "chat-admin series-pause":    (D,     D,    D,     D,     A,        D,       A),
    "chat-admin series-resume":   (D,     D,    D,     D,     A,        D,       A),
    "chat-admin series-delete":   (D,     D,    D,     D,     A,        D,       A),
    "chat-admin skip":            (D,     D,    D,     D,     A,        D,       A),
    "chat-admin reschedule":      (D,     D,    D,     D,     A,        D,       A),
    "chat-admin notes":           (D,     D,    D,     D,     A,        D,       A),
    "chat history":               (A,     A,    A,     A,     A,        A,       A),
    "chat next":                  (A,     A,    A,     A,     A,        A,       A),
    "chat propose":               (A,     A,    A,     A,     A,        A,       A),
    "chat topics":                (A,     A,    A,     A,     A,        A,       A),
    "solved":                     (ASK,   A,    A,     ASK,   A,        ASK,     A),
    "triage close":               (D,     D,    A,     D,     A,        D,       A),
    "reopen":                     (D,     A,    A,     D,     A,        D,       A),
    "triage queue":               (D,     D,    A,     D,     A,        D,       A),
    "triage escalate":            (D,     D,    A,     D,     A,        D,       A),
    "triage stats":               (D,     D,    A,     D,     A,        D,       A),
    "triage tag-rule-add":        (D,     D,    A,     D,     A,        D,       A),
    "triage tag-rule-remove":     (D,     D,    A,     D,     A,        D,       A),
    "triage tag-rules":           (D,     D,    A,     D,     A,        D,       A),
    "triage digest":              (D,     D,    A,     D,     A,        D,       A),
    "event create":               (A,     A,    A,     A,     A,        A,       A),
    "event edit":                 (D,     D,    D,     D,     A,        D,       A),
    "event cancel":               (D,     D,    D,     D,     A,        D,       A),
    "event list":                 (A,     A,    A,     A,     A,        A,       A),
    "event info":                 (A,     A,    A,     A,     A,        A,       A),
    "event calendar":             (A,     A,    A,     A,     A,        A,       A),
    "event reminders":            (A,     A,    A,     A,     A,        A,       A),
    "event attendees":            (D,     D,    D,     D,     A,        D,       A),
    "event links":                (D,     D,    D,     D,     A,        D,       A),
    "event feedback":             (A,     A,    A,     A,     A,        A,       A),
    "grant request":              (A,     A,    A,     A,     A,        A,       A),
    "grant status":               (A,     A,    A,     A,     A,        A,       A),
    "grant answer":               (D,     A,    D,     D,     D,        D,       D),
    "grant history":              (D,     A,    D,     D,     D,        A,       A),
    "grant-review list":                 (D,     D,    D,     D,     D,        A,       A),
    "grant-review decide":               (D,     D,    D,     D,     D,        A,       A),
    "mentor-tools profile":             (D,     D,    D,     A,     D,        D,       A),
    "mentor-tools queue":               (D,     D,    D,     A,     D,        D,       A),
    "mentor-tools claim":               (D,     D,    D,     A,     D,        D,       A),
    "mentor-tools release":             (D,     D,    D,     A,     D,        D,       A),
    "mentor end":                 (A,     A,    A,     A,     A,        A,       A),
    "mentor request":             (A,     A,    A,     A,     A,        A,       A),
    "mentor cancel":              (A,     A,    A,     A,     A,        A,       A),
    "mentor status":              (A,     A,    A,     A,     A,        A,       A),
    "mentor-admin stats":         (D,     D,    D,     D,     A,        D,       A),
    "mentor-admin checkins":      (D,     D,    D,     D,     A,        D,       A),
    "mentor-admin match":         (D,     D,    D,     D,     A,        D,       A),
    "mentor-admin status":        (D,     D,    D,     D,     A,        D,       A),
    "ext status":                 (A,     A,    A,     A,     A,        A,       A),
    "ext report":                 (A,     A,    A,     A,     A,        A,       A),
    "ext-admin watch-add":              (D,     D,    D,     D,     A,        D,       A),
    "ext-admin watch-remove":           (D,     D,    D,     D,     A,        D,       A),
    "ext-admin refresh":                (D,     D,    D,     D,     A,        D,       A),
    "contribute issues":          (A,     A,    A,     A,     A,        A,       A),
    "contribute claim":           (A,     A,    A,     A,     A,        A,       A),
    "contribute release":         (A,     A,    A,     A,     A,        A,       A),
    "contribute mine":            (A,     A,    A,     A,     A,        A,       A),
    "contribute thanks":          (A,     A,    A,     A,     A,        A,       A),
    "contribute-admin labels":          (D,     D,    D,     D,     A,        D,       A),
    "contribute-admin allow":           (D,     D,    D,     D,     A,        D,       A),
    "contribute-admin claim-days":      (D,     D,    D,     D,     A,        D,       A),
    "contribute-mentor task post":       (D,     D,    D,     A,     A,        D,       A),
    "contribute task list":       (A,     A,    A,     A,     A,        A,       A),
    "contribute task show":       (A,     A,    A,     A,     A,        A,       A),
    "contribute task claim":      (A,     A,    A,     A,     A,        A,       A),
    "contribute task submit":     (D,     A,    D,     D,     D,        D,       D),
    "contribute task review":     (D,     D,    D,     A,     A,        D,       A),
    "contribute task drop":       (D,     A,    D,     A,     A,        D,       A),
    "contribute-mentor sprint board":    (D,     D,    D,     A,     A,        D,       A),
    "contribute-mentor sprint pick":     (D,     D,    D,     A,     A,        D,       A),
    "contribute-mentor sprint unpick":   (D,     D,    D,     A,     A,        D,       A),
    "contribute sprint claim":    (A,     A,    A,     A,     A,        A,       A),
    "contribute sprint help":     (A,     A,    A,     A,     A,        A,       A),
    "ext-admin edit":                   (D,     D,    D,     D,     A,        D,       A),
    "ext volunteer":              (A,     A,    A,     A,     A,        A,       A),
    "ext-admin caretaker-add":          (D,     D,    D,     D,     A,        D,       A),
    "ext-admin caretaker-remove":       (D,     D,    D,     D,     A,        D,       A),
    "ext follow":                 (A,     A,    A,     A,     A,        A,       A),
    "ext unfollow":               (A,     A,    A,     A,     A,        A,       A),
    "ext adoption":               (A,     A,    A,     A,     A,        A,       A),
    "ext-admin adoption-open":          (D,     D,    D,     D,     A,        D,       A),
    "ext-admin adoption-step":          (D,     D,    D,     D,     A,        D,       A),
}

#: Commands whose permission depends on an option: the outcome for
#:                                 member owner  helper mentor organiser reviewer admin
#: (none now: an organiser looks a member up with /mentor-admin status)
VARIANTS: dict[str, tuple[str, str, str, str, str, str, str]] = {}

#: Buttons on messages other members can see; the outcome for
#:                                 member owner  helper mentor organiser reviewer admin
BUTTONS: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "chats vote":                 (A,     A,    A,     A,     A,        A,       A),
    "events going":               (A,     A,    A,     A,     A,        A,       A),
    "triage mark solved":         (D,     A,    A,     D,     A,        D,       A),
    "triage confirm solved":      (D,     A,    D,     D,     D,        D,       D),
    "triage still need help":     (D,     A,    D,     D,     D,        D,       D),
    "mentorship check-in":        (H,     A,    H,     A,     D,        H,       H),
    "mentorship feedback":        (H,     A,    H,     A,     D,        H,       H),
    "start here contribute":      (A,     A,    A,     A,     A,        A,       A),
    "contribute accept offer":    (H,     H,    H,     H,     A,        H,       A),
    "contribute on it":           (D,     D,    D,     A,     A,        D,       A),
    "events approve":             (H,     H,    H,     H,     A,        H,       A),
    "events decline":             (H,     H,    H,     H,     A,        H,       A),
    "ext accept offer":           (H,     H,    H,     H,     A,        H,       A),
    "chats pin (old post)":       (D,     D,    D,     D,     A,        D,       A),
    "chats remove (old post)":    (D,     D,    D,     D,     A,        D,       A),
}
# fmt: on
# Not in the tables: buttons only ever shown ephemeral to the member who ran the
# command (claim and pages under /mentor-tools queue, the match confirmation, the pin and
# remove menus under an organiser's /chat topics, Publish under an event preview, the
# series delete confirmation, the code of conduct), and those in DMs (an event's links
# and feedback). Nobody else can see them to click; their handlers check the role
# again all the same (test_ephemeral_only_buttons_check_the_role_again). A member's
# event and an offer to look after an extension are approved or declined in the
# organisers' log channel, which only they see ("hidden"); those handlers check the
# organiser role again at the click (also in that test). Topic posts made before
# topics moved to the chat's thread still carry Pin and Remove for everyone to see.

PERMISSION_WORDS = ("Only members with", "manage the server", "Only the ")


async def test_matrix_covers_exactly_the_commands_in_the_tree(
    simcord_env: simcord.Env,
) -> None:
    assert set(MATRIX) == tree_commands(bot_of(simcord_env))


def tree_commands(bot: PalletsBot) -> set[str]:
    return {
        command.qualified_name
        for command in bot.tree.walk_commands()
        if isinstance(command, app_commands.Command)
    }


# -- the scene each role acts in -------------------------------------------------------
@dataclass
class Scene:
    world: World
    question: simcord.ChannelHandle
    grant: str
    event: int
    draft: int
    open_request: int
    pair_thread: simcord.ChannelHandle
    proposal: discord.Message
    announcement: discord.Message
    solve_offer: discord.Message
    confirm: Any
    nudge: discord.Message
    checkin: discord.Message
    feedback: discord.Message
    start_here: discord.Message
    offer: discord.Message
    help_call: discord.Message
    #: bob's events waiting for review, his offer to look after an extension (both in
    #: the log channel), and a topic post from before the thread (Pin and Remove).
    review: discord.Message
    second_review: discord.Message
    ext_offer: discord.Message
    old_topic: discord.Message
    #: A task bob holds (mentored by the mentor), and an open one.
    held_task: int
    open_task: int


SERIES = "Flask chat"
EVENT_FORM = {
    "title": "Flask sprint",
    "description": "Hack on Flask. Step-free venue (accessibility). Contact: olivia",
    "start": "2026-01-10 18:00",
    "end": "2026-01-10 21:00",
    "location": "Lyon",
}


def text_of(result: simcord.InteractionResult) -> str:
    parts: list[str] = []
    for message in [result.response, *result.followups]:
        if message is None:
            continue
        parts.append(message.content or "")
        for embed in message.embeds:
            parts += [embed.title or "", embed.description or ""]
            parts += [f"{f.name}\n{f.value}" for f in embed.fields]
    return "\n".join(parts)


def bot_of(env: simcord.Env) -> PalletsBot:
    assert isinstance(env.bot, PalletsBot)
    return env.bot


async def publish_event(world: World) -> int:
    shown = await open_event_form(world)
    preview = await submit_event_form(world.organiser, shown, EVENT_FORM)
    assert preview.response is not None
    await world.organiser.click(preview.response, label="Publish")
    return await last_id(world, "events")


async def draft_event(world: World) -> int:
    shown = await world.organiser.slash(
        world.general, "event create", kind="meetup", timezone="Europe/Paris"
    )
    await submit_event_form(world.organiser, shown, {**EVENT_FORM, "title": "Draft"})
    return await last_id(world, "events")


async def last_id(world: World, table: str) -> int:
    value = await bot_of(world.env).db.fetchval(f"SELECT max(id) FROM {table}")
    assert value is not None
    return int(value)


def last_with(channel: simcord.ChannelHandle, words: str) -> discord.Message:
    found = [m for m in channel.history() if words in (m.content or "")]
    assert found, f"no message with {words!r} in {channel.name}"
    return found[-1]


async def build_scene(
    env: simcord.Env, world: World, *, show_hidden: bool = True
) -> Scene:
    """The state every cell acts on: one of each thing a command can refer to.

    The asker, requester and mentee is bob; the matrix's plain member is alice, who
    has no part in any of it.
    """
    # /setup and the role groups are hidden by default_permissions; make them visible
    # to everyone, so the bot must refuse.
    if show_hidden:
        for hidden in ("setup", *role_groups(bot_of(env).tree)):
            show_to_everyone(world, hidden)
    org = world.organiser
    # Announced at once (the chat is 8 days away), so topics go in its thread.
    await create_chat_series(world, org, name=SERIES, lead_days=8)
    await world.bob.slash(world.general, "chat propose", title="Blueprints at scale")
    [topics] = world.announcements.threads
    proposal = last_with(topics, "Blueprints at scale")
    event = await publish_event(world)
    draft = await draft_event(world)
    announcement = world.events.last_message
    assert announcement is not None
    # A question by bob, answered by the helper; bob's thanks offers a Solved button,
    # and a stranger's /solved asks bob to confirm.
    question = await post_question(
        world, world.bob, "Flask session lost", "My Flask session is empty."
    )
    await world.helper.send(question, "Set SECRET_KEY before the first request.")
    await world.bob.send(question, "Thanks, that worked!")
    solve_offer = [m for m in question.history() if m.components][-1]
    confirm = (await world.carol.slash(question, "solved")).response
    # The week-old question's nudge, with its asker-only button (as the nudge job
    # posts it, without waiting a week).
    posted = await bot_of(env).fetch_channel(question.id)
    assert isinstance(posted, discord.Thread)
    await posted.send("Is it solved?", view=view_of(NeedHelpButton(question.id)))
    await env.settle()
    nudge = last_with(question, "Is it solved?")
    await world.helper.slash(
        world.general, "triage tag-rule-add", tag="Flask", keyword="seeded"
    )
    shown = await world.bob.slash(world.general, "grant request")
    await world.bob.submit_modal(
        shown,
        {
            "event": "FlaskCon",
            "amount": "1500",
            "currency": "EUR",
            "purpose": "Venue",
            "attendance": "40",
        },
    )
    grant = f"G-{await last_id(world, 'event_grants')}"
    # Mentoring: a pairing of bob with the mentor that had a check-in and ended (its
    # buttons stay in the thread), then a live one, and carol's open request.
    await world.mentor.slash(
        world.general,
        "mentor-tools profile",
        topics="flask",
        timezone="Europe/Paris",
        capacity=3,
    )
    await org.slash(world.general, "mentor-admin checkins", days=1)
    mentee = dict(topics="flask", goal="Ship a PR", timezone="Europe/Paris")
    await world.bob.slash(world.general, "mentor request", **mentee)
    await world.mentor.slash(
        world.general,
        "mentor-tools claim",
        request=await last_id(world, "mentor_requests"),
    )
    (thread,) = world.mentorship.threads
    # Organisers join a pair's thread when they look the member up.
    await org.slash(world.general, "mentor-admin status", member=world.bob)
    # bob submits two events for review (one to approve, one to decline), and offers
    # to look after an extension.
    reviews = []
    for title in ("Bob's meetup", "Bob's sprint"):
        shown = await open_event_form(world, world.bob)
        preview = await submit_event_form(
            world.bob, shown, {**EVENT_FORM, "title": title}
        )
        assert preview.response is not None
        await world.bob.click(preview.response, label="Submit for review")
        reviews.append(last_with(world.log, "submitted an event for review"))
    review, second_review = reviews
    await world.bob.slash(
        world.general, "ext volunteer", name="Flask-Login", help="docs", hours="few"
    )
    ext_offer = last_with(world.log, "offers to help look after")
    # A topic posted before topics moved to the chat's thread, with its old buttons.
    old = await bot_of(env).fetch_channel(world.announcements.id)
    assert isinstance(old, discord.TextChannel)
    proposal_id = await last_id(world, "chat_proposals")
    await old.send(
        "Blueprints at scale (an old topic post)",
        view=view_of(PinButton(proposal_id), RemoveButton(proposal_id)),
    )
    await env.settle()
    old_topic = last_with(world.announcements, "an old topic post")
    await bot_of(env).scheduler.cancel_prefix("extwatch:")
    await env.advance_time(86400 + 60)
    await env.settle()
    checkin = last_with(thread, "Check-in time")
    await world.bob.slash(world.general, "mentor end")
    feedback = last_with(thread, "has ended")
    await world.bob.slash(world.general, "mentor request", **mentee)
    await world.mentor.slash(
        world.general,
        "mentor-tools claim",
        request=await last_id(world, "mentor_requests"),
    )
    pair_thread = [t for t in world.mentorship.threads if t.id != thread.id][0]
    await world.carol.slash(world.general, "mentor request", **mentee)
    open_request = await last_id(world, "mentor_requests")
    # Contributing: the start-here message, bob's offer to help (in the log channel),
    # two tasks (bob holds the first) and bob's call for help at the sprint.
    await world.admin.slash(
        world.general, "setup start-here", channel=world.announcements
    )
    start_here = last_with_buttons(world.announcements)
    volunteer = await world.bob.click(start_here, label="Volunteer")
    assert volunteer.response is not None
    form = await world.bob.click(
        volunteer.response, label="Answer questions as a helper"
    )
    await world.bob.submit_modal(form, {"note": "Evenings"})
    offer = last_with(world.log, "offers to answer questions")
    for title in ("Review the Flask-Mail README", "Triage ten questions"):
        await world.mentor.slash(
            world.general,
            "contribute-mentor task post",
            title=title,
            description="See the task's mentor.",
            kind="review",
        )
    open_task = await last_id(world, "contribute_tasks")
    held_task = open_task - 1
    await world.bob.slash(world.general, "contribute task claim", task=str(held_task))
    await world.bob.slash(
        world.general, "contribute sprint help", event=str(event), note="Tests fail"
    )
    help_call = last_with(world.general, "asks a mentor on duty")
    return Scene(
        world=world,
        question=question,
        grant=grant,
        event=event,
        draft=draft,
        open_request=open_request,
        pair_thread=pair_thread,
        proposal=proposal,
        announcement=announcement,
        solve_offer=solve_offer,
        confirm=confirm,
        nudge=nudge,
        checkin=checkin,
        feedback=feedback,
        start_here=start_here,
        offer=offer,
        help_call=help_call,
        review=review,
        second_review=second_review,
        ext_offer=ext_offer,
        old_topic=old_topic,
        held_task=held_task,
        open_task=open_task,
    )


def last_with_buttons(*channels: simcord.ChannelHandle) -> discord.Message:
    """The start-here message: the last one with its buttons in ``channels``."""
    found = [
        m
        for channel in channels
        for m in channel.history()
        if "pallets:start:contribute" in buttons_of(m)
    ]
    assert found, "no start-here message"
    return max(found, key=lambda m: m.id)


# -- valid options for each command ------------------------------------------------------
Args = Callable[[Scene], tuple[simcord.ChannelHandle, dict[str, Any]]]


def in_general(**options: Any) -> Args:
    return lambda s: (s.world.general, options)


ARGS: dict[str, Args] = {
    "setup channels": lambda s: (
        s.world.general,
        {"announcements": s.world.announcements},
    ),
    "setup roles": lambda s: (s.world.general, {"helper": s.world.helper_role}),
    "setup language": in_general(language="fr"),
    "setup calendar": in_general(enabled=True),
    "setup show": in_general(),
    "setup timezone": in_general(timezone="Europe/Lisbon"),
    "setup pages": in_general(enabled=True, questions=True),
    "pages names": in_general(show=True),
    "pages remove": in_general(),
    "pages restore": in_general(),
    "pages mine": in_general(),
    "timezone set": in_general(timezone="Europe/Paris"),
    "timezone show": in_general(),
    "timezone clear": in_general(),
    "upcoming": in_general(),
    "setup start-here": lambda s: (s.world.general, {"channel": s.world.general}),
    "chat-admin series-create": lambda s: (
        s.world.general,
        {
            "name": "Werkzeug chat",
            "cadence": "quarterly",
            "weekday": 1,
            "week": "last",
            "time": "18:00",
            "timezone": "Europe/Berlin",
            "duration": 45,
            "channel": s.world.voice,
        },
    ),
    "chat-admin series-list": in_general(),
    "chat-admin series-edit": in_general(series=SERIES, duration=90),
    "chat-admin series-pause": in_general(series=SERIES),
    "chat-admin series-resume": in_general(series=SERIES),
    "chat-admin series-delete": in_general(series=SERIES),
    "chat-admin skip": in_general(series=SERIES),
    "chat-admin reschedule": in_general(series=SERIES, date="2026-01-09", time="18:00"),
    "chat-admin notes": in_general(series=SERIES),
    "chat history": in_general(),
    "chat next": in_general(),
    "chat propose": in_general(title="Typing Flask apps"),
    "chat topics": in_general(),
    "solved": lambda s: (s.question, {}),
    "triage close": lambda s: (s.question, {"reason": "off-topic"}),
    "reopen": lambda s: (s.question, {}),
    "triage queue": in_general(),
    "triage escalate": lambda s: (s.question, {"repo": "pallets/flask"}),
    "triage stats": in_general(),
    "triage tag-rule-add": in_general(tag="Flask", keyword="werkzeugish"),
    "triage tag-rule-remove": in_general(tag="Flask", keyword="seeded"),
    "triage tag-rules": in_general(),
    "triage digest": in_general(time="10:00"),
    "event create": in_general(kind="meetup", timezone="Europe/Paris"),
    "event edit": lambda s: (s.world.general, {"event": s.event}),
    "event cancel": lambda s: (s.world.general, {"event": s.draft}),
    "event list": in_general(),
    "event info": lambda s: (s.world.general, {"event": s.event}),
    "event calendar": in_general(),
    "event reminders": in_general(),
    "event attendees": lambda s: (s.world.general, {"event": s.event}),
    "event links": lambda s: (s.world.general, {"event": s.event}),
    "event feedback": lambda s: (s.world.general, {"event": s.event}),
    "grant request": in_general(),
    "grant status": in_general(),
    "grant answer": lambda s: (s.world.general, {"id": s.grant, "answer": "Lyon"}),
    "grant history": lambda s: (s.world.general, {"id": s.grant}),
    "grant-review list": in_general(),
    "grant-review decide": lambda s: (
        s.world.general,
        {"id": s.grant, "decision": "needs-info", "note": "Which venue?"},
    ),
    "mentor-tools profile": in_general(),
    "mentor-tools queue": in_general(),
    "mentor-tools claim": lambda s: (s.world.general, {"request": s.open_request}),
    "mentor-tools release": lambda s: (
        s.world.general,
        {"mentee": s.world.bob, "note": "Moving house"},
    ),
    "mentor end": in_general(),
    "mentor request": in_general(
        topics="flask", goal="Learn testing", timezone="Europe/Paris"
    ),
    "mentor cancel": in_general(),
    "mentor status": in_general(),
    "mentor-admin stats": in_general(),
    "mentor-admin checkins": in_general(days=7),
    "mentor-admin match": in_general(),
    "mentor-admin status": lambda s: (s.world.general, {"member": s.world.bob}),
    "ext status": in_general(name="Flask-Login"),
    "ext report": in_general(),
    "ext-admin watch-add": in_general(name="Flask-Matrix"),
    "ext-admin watch-remove": in_general(name="Flask-Login"),
    "ext-admin refresh": in_general(name="Flask-Login"),
    "contribute issues": in_general(),
    "contribute claim": in_general(issue="pallets/flask#5000"),
    "contribute release": in_general(issue="pallets/flask#5000"),
    "contribute mine": in_general(),
    "contribute thanks": in_general(public=False),
    "contribute-admin labels": in_general(
        project="flask", kind="docs", labels="documentation"
    ),
    "contribute-admin allow": in_general(owner="django", allowed=True),
    "contribute-admin claim-days": in_general(days=7),
    "contribute-mentor task post": in_general(
        title="Translate the tutorial", description="Into German.", kind="translation"
    ),
    "contribute task list": in_general(),
    "contribute task show": lambda s: (s.world.general, {"task": str(s.open_task)}),
    "contribute task claim": lambda s: (s.world.general, {"task": str(s.open_task)}),
    "contribute task submit": lambda s: (
        s.world.general,
        {"task": str(s.held_task), "link": "https://example.org/review"},
    ),
    "contribute task review": lambda s: (
        s.world.general,
        {"task": str(s.held_task), "decision": "accept"},
    ),
    "contribute task drop": lambda s: (s.world.general, {"task": str(s.held_task)}),
    "contribute-mentor sprint board": lambda s: (
        s.world.general,
        {"event": str(s.event)},
    ),
    "contribute-mentor sprint pick": lambda s: (
        s.world.general,
        {"event": str(s.event), "issue": "pallets/flask#5000"},
    ),
    "contribute-mentor sprint unpick": lambda s: (
        s.world.general,
        {"event": str(s.event), "issue": "pallets/flask#5000"},
    ),
    "contribute sprint claim": lambda s: (
        s.world.general,
        {"event": str(s.event), "issue": "pallets/flask#5000"},
    ),
    "contribute sprint help": lambda s: (s.world.general, {"event": str(s.event)}),
    "ext-admin edit": in_general(name="Flask-Login", alternative="Flask-Security-Too"),
    "ext volunteer": in_general(name="Flask-Login", help="docs", hours="few"),
    "ext-admin caretaker-add": lambda s: (
        s.world.general,
        {"name": "Flask-Login", "member": s.world.carol, "role": "triager"},
    ),
    "ext-admin caretaker-remove": lambda s: (
        s.world.general,
        {"name": "Flask-Login", "member": s.world.carol},
    ),
    "ext follow": in_general(name="Flask-Login"),
    "ext unfollow": in_general(name="Flask-Login"),
    "ext adoption": in_general(name="Flask-Login"),
    "ext-admin adoption-open": in_general(name="Flask-Login"),
    "ext-admin adoption-step": in_general(name="Flask-Login", step="contact"),
}

VARIANT_ARGS: dict[str, tuple[str, Args]] = {}

Click = Callable[[Scene], tuple[Any, dict[str, str]]]


def buttons_of(message: Any) -> list[str]:
    """The custom ids of a message's buttons."""
    return [
        button.custom_id or "" for row in message.components for button in row.children
    ]


def custom_id(message: Any, prefix: str) -> dict[str, str]:
    """Click by id: labels with counts change as members click."""
    ids = [
        button.custom_id
        for row in message.components
        for button in row.children
        if (button.custom_id or "").startswith(prefix)
    ]
    assert len(ids) == 1, (prefix, message.components)
    return {"custom_id": ids[0]}


CLICKS: dict[str, Click] = {
    "chats vote": lambda s: (s.proposal, custom_id(s.proposal, "pallets:chats:vote:")),
    "events going": lambda s: (
        s.announcement,
        custom_id(s.announcement, f"pallets:events:rsvp:{s.event}:going"),
    ),
    "triage mark solved": lambda s: (s.solve_offer, {"label": "Mark as solved"}),
    "triage confirm solved": lambda s: (s.confirm, {"label": "Yes, it is solved"}),
    "triage still need help": lambda s: (s.nudge, {"label": "Still need help"}),
    "mentorship check-in": lambda s: (s.checkin, {"label": "Need help"}),
    "mentorship feedback": lambda s: (s.feedback, {"label": "Give feedback"}),
    # Found afresh: the admin's /setup start-here cell moves the message.
    "start here contribute": lambda s: (
        last_with_buttons(s.world.general, s.world.announcements),
        {"custom_id": "pallets:start:contribute"},
    ),
    "contribute accept offer": lambda s: (s.offer, {"label": "Accept"}),
    "contribute on it": lambda s: (s.help_call, {"label": "I'm on it"}),
    "events approve": lambda s: (s.review, {"label": "Approve and publish"}),
    "events decline": lambda s: (s.second_review, {"label": "Decline"}),
    "ext accept offer": lambda s: (s.ext_offer, {"label": "Accept"}),
    "chats pin (old post)": lambda s: (s.old_topic, {"label": "Pin"}),
    "chats remove (old post)": lambda s: (s.old_topic, {"label": "Remove"}),
}


def test_every_command_has_valid_options() -> None:
    assert set(ARGS) == set(MATRIX)
    assert set(CLICKS) == set(BUTTONS)


# -- judging one cell ----------------------------------------------------------------------
async def snapshot(bot: PalletsBot) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the search index's shadow tables and the
    organisers seen using the bot aside)."""
    tables = await bot.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'triage_fts%'"
        # Who was seen using the bot as an organiser: bookkeeping, not a change.
        " AND name != 'seen_organisers'"
    )
    out = {}
    for row in tables:
        name = row["name"]
        rows = await bot.db.fetchall(f"SELECT * FROM {name}")
        out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def public_writes(env: simcord.Env, start: int, *, ephemeral: bool) -> list[str]:
    """Requests since ``start`` that others could see: posts, edits, threads, events."""
    out = []
    for entry in env.http_requests[start:]:
        if entry.method == "GET":
            continue
        body = entry.json if isinstance(entry.json, dict) else {}
        if entry.path.startswith("/interactions/"):
            kind = body.get("type")
            flags = (body.get("data") or {}).get("flags") or 0
            if kind == 7 or (kind in (4, 5) and not flags & 64):
                out.append(f"{entry.method} {entry.path} {body}")
        elif entry.path.startswith("/webhooks/"):
            if not ephemeral:
                out.append(f"{entry.method} {entry.path} {body}")
        else:
            out.append(f"{entry.method} {entry.path} {body}")
    return out


def refused(errors: tuple[BaseException, ...]) -> bool:
    for error in errors:
        while error is not None:
            if isinstance(error, NotAllowed | app_commands.CheckFailure):
                return True
            error = error.__cause__ or getattr(error, "original", None)  # type: ignore[assignment]
    return False


async def judge(
    env: simcord.Env,
    name: str,
    expected: str,
    act: Callable[[], Any],
) -> str | None:
    """Run one cell; return what was wrong with it, or ``None``."""
    bot = bot_of(env)
    # Only refusals and "ask" must leave the database as it was.
    watch = expected in (D, ASK)
    before = await snapshot(bot) if watch else {}
    start, errors_at = len(env.http_requests), env.error_cursor
    reported_at = len(REPORTED)
    try:
        result = await act()
    except simcord.SetupError:
        return None if expected == H else f"{name}: expected {expected}, was hidden"
    await env.settle()
    if expected == H:
        return f"{name}: expected hidden, but the member could click"
    text = text_of(result)
    was_refused = refused((*env.errors_since(errors_at), *REPORTED[reported_at:]))
    after = await snapshot(bot) if watch else {}
    changed = [t for t, rows in after.items() if before[t] != rows]
    public = public_writes(env, start, ephemeral=result.ephemeral)
    if expected == D:
        problems = []
        if not was_refused:
            problems.append(f"not refused for permission ({text[:120]!r})")
        if not (result.ephemeral and text.strip()):
            problems.append("no ephemeral refusal in words")
        if changed:
            problems.append(f"changed {changed}")
        if public:
            problems.append(f"posted {public[:2]}")
        return f"{name}: deny: {'; '.join(problems)}" if problems else None
    if was_refused or any(word in text for word in PERMISSION_WORDS[:2]):
        return f"{name}: expected {expected}, refused: {text[:160]!r}"
    if expected == ASK:
        if changed:
            return f"{name}: ask changed {changed}"
        if not public:
            return f"{name}: ask posted nothing for the asker"
    return None


# -- the matrix, one world per role ------------------------------------------------------
REPORTED: list[BaseException] = []


@pytest.fixture(autouse=True)
def _record_button_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Buttons and forms report their errors themselves (``bot.ui``); see them too."""

    async def report(interaction: Any, error: BaseException) -> None:
        REPORTED.append(error)
        await report_error(interaction, error)

    REPORTED.clear()
    monkeypatch.setattr("bot.ui.report", report)


@pytest.fixture(autouse=True)
def _no_upstream_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    """/ext-admin refresh and watch-add check PyPI and GitHub, /contribute claim asks GitHub
    for the issue; the matrix is about who may."""

    async def refresh(self: ExtWatchEngine, packages: dict[str, str | None]) -> Any:
        return RefreshResult(checked=len(packages))

    monkeypatch.setattr(ExtWatchEngine, "refresh", refresh)

    # /contribute claim and the sprint's pick and claim ask GitHub for the issue;
    # here GitHub is simply out of reach, at once (no retries against a closed port).
    async def issue(self: BotSource, ref: IssueRef) -> IssueInfo | None:
        raise Unreachable("not in the permission matrix")

    monkeypatch.setattr(BotSource, "issue", issue)


ACTORS = {
    "member": "alice",
    "owner": "bob",
    "helper": "helper",
    "mentor": "mentor",
    "organiser": "organiser",
    "reviewer": "reviewer",
    "admin": "admin",
}


@pytest.mark.parametrize("role", ROLES)
async def test_permission_matrix(
    simcord_env: simcord.Env, world: World, role: str
) -> None:
    scene = await build_scene(simcord_env, world)
    actor = world.members()[ACTORS[role]]
    column = ROLES.index(role)
    problems: list[str | None] = []
    for name, row in MATRIX.items():
        channel, options = ARGS[name](scene)

        async def run(
            channel: simcord.ChannelHandle = channel,
            name: str = name,
            options: dict[str, Any] = options,
        ) -> simcord.InteractionResult:
            return await actor.slash(channel, name, **options)

        problems.append(await judge(simcord_env, name, row[column], run))
    for variant, row in VARIANTS.items():
        command, args = VARIANT_ARGS[variant]
        channel, options = args(scene)

        async def run_variant(
            channel: simcord.ChannelHandle = channel,
            command: str = command,
            options: dict[str, Any] = options,
        ) -> simcord.InteractionResult:
            return await actor.slash(channel, command, **options)

        problems.append(await judge(simcord_env, variant, row[column], run_variant))
    for button, row in BUTTONS.items():
        message, target = CLICKS[button](scene)

        async def click(message: Any = message, target: Any = target) -> Any:
            return await actor.click(message, **target)

        problems.append(await judge(simcord_env, button, row[column], click))
    found = [p for p in problems if p is not None]
    assert not found, "\n".join(found)


async def test_hidden_means_hidden(simcord_env: simcord.Env, world: World) -> None:
    """The "hidden" cells hold because the pair's thread is private, not by chance."""
    scene = await build_scene(simcord_env, world)
    for role, name in ACTORS.items():
        member = world.members()[name]
        sees = can_access_channel(simcord_env, scene.checkin.channel.id, member)
        assert sees == (BUTTONS["mentorship check-in"][ROLES.index(role)] != H), role


# -- what a plain member is shown ---------------------------------------------------------------
#: What a plain member may still be refused by a command Discord shows them: someone
#: else's thing (bob's question and grant request, the organiser's event, bob's task),
#: never a role they lack.
SOMEONE_ELSES = {
    "reopen",
    "event edit",
    "event cancel",
    "event attendees",
    "event links",
    "grant answer",
    "grant history",
    "contribute task submit",
    "contribute task review",
    "contribute task drop",
}
#: The words of a refusal for a role (``bot.permissions``).
ROLE_WORDS = ("Only members with", "manage the server")


async def test_a_plain_member_is_shown_no_command_a_role_check_refuses(
    simcord_env: simcord.Env, world: World
) -> None:
    """Walk the synced command tree as Discord shows it to alice, who holds no role
    (the role groups shown to their roles only, as /setup roles asks): every command
    she sees works for her, or refuses her over someone else's thing."""
    scene = await build_scene(simcord_env, world, show_hidden=False)
    alice = world.alice
    shown = set(alice.available_commands(world.general))
    hidden = {"setup", *role_groups(bot_of(simcord_env).tree)}
    assert shown and shown <= set(MATRIX)
    assert not {name.split()[0] for name in shown} & hidden
    assert {name for name in MATRIX if name.split()[0] not in hidden} == shown
    for_a_role, not_hers = [], set()
    for name in sorted(shown):
        channel, options = ARGS[name](scene)
        errors_at, reported_at = simcord_env.error_cursor, len(REPORTED)
        result = await alice.slash(channel, name, **options)
        await simcord_env.settle()
        text = text_of(result)
        if any(words in text for words in ROLE_WORDS):
            for_a_role.append(f"{name}: {text[:120]!r}")
        elif refused((*simcord_env.errors_since(errors_at), *REPORTED[reported_at:])):
            not_hers.add(name)
    assert not for_a_role, "\n".join(for_a_role)
    assert not_hers == SOMEONE_ELSES
    # For the record (README): 51 commands shown, 10 of them about others' things.
    assert (len(shown), len(not_hers)) == (51, 10)


# -- buttons shown only to the member who ran the command -----------------------------------
def _shown(result: simcord.InteractionResult) -> Any:
    return result.followups[-1] if result.followups else result.response


def _text(result: simcord.InteractionResult) -> str:
    return "\n".join(
        (m.content or "") for m in [result.response, *result.followups] if m
    )


async def _count(env: simcord.Env, sql: str) -> int:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return int(await bot.db.fetchval(sql))


async def test_ephemeral_only_buttons_check_the_role_again(
    simcord_env: simcord.Env, world: World
) -> None:
    """Claim under /mentor-tools queue, Confirm under /mentor match, Publish under an event
    preview and the series delete confirmation are shown only to the member who ran
    the command, who had the role then. Lose the role, click: refused in words,
    privately, and nothing changes."""
    from tests.cogs.chats.test_cog import create_series
    from tests.cogs.events.test_cog import FORM
    from tests.cogs.mentorship.test_cog import make_profile
    from tests.cogs.mentorship.test_cog import make_request

    backend = simcord_env.backend
    guild_id = world.guild.id

    def lose(member: simcord.MemberActor, role: simcord.RoleHandle) -> None:
        backend.remove_member_role(guild_id, member.id, role.id)

    def refused(result: simcord.InteractionResult) -> None:
        assert result.ephemeral, _text(result)
        assert any(word in _text(result) for word in PERMISSION_WORDS), _text(result)

    # Set everything up while the roles are held.
    await make_profile(world, world.mentor)
    await make_profile(world, world.mentor2, capacity=1)
    request_id = await make_request(world, world.alice)
    await make_request(world, world.bob, topics="flask")
    queue = await world.mentor.slash(world.general, "mentor-tools queue")
    match = await world.organiser.slash(world.general, "mentor-admin match")
    await create_series(world)
    delete = await world.organiser.slash(
        world.general, "chat-admin series-delete", series="Flask chat"
    )
    form = await open_event_form(world)
    preview = await submit_event_form(world.organiser, form, FORM)
    assert preview.response is not None

    lose(world.mentor, world.mentor_role)
    lose(world.organiser, world.organiser_role)
    await simcord_env.settle()
    pairs = "SELECT count(*) FROM mentor_pairings"
    refused(await world.mentor.click(_shown(queue), label=f"Claim #{request_id}"))
    refused(await world.organiser.click(_shown(match), label="Confirm all"))
    assert await _count(simcord_env, pairs) == 0
    refused(await world.organiser.click(_shown(delete), label="Delete the series"))
    assert await _count(simcord_env, "SELECT count(*) FROM chat_series") == 1
    refused(await world.organiser.click(_shown(preview), label="Publish"))
    published = "SELECT count(*) FROM events WHERE state = 'published'"
    assert await _count(simcord_env, published) == 0
    assert world.events.last_message is None


def _custom_ids(message: Any) -> list[str]:
    return [
        str(child.custom_id)
        for row in message.components
        for child in getattr(row, "children", ())
        if getattr(child, "custom_id", None)
    ]


async def _forged_click(
    actor: simcord.MemberActor,
    channel: simcord.ChannelHandle,
    stored: Any,
    custom_id: str,
) -> simcord.InteractionResult:
    """A click on ``stored`` as if it carried a button ``custom_id`` (discord.py
    dispatches a button only when the message shows it; Discord checks that too,
    so this is what a forged or replayed interaction would look like)."""
    from simcord.actors import _dispatch_actor_interaction
    from simcord.backend import serializers
    from simcord.enums import InteractionType

    message = dict(serializers.message_payload(simcord_env_of(actor).backend, stored))
    button = {"type": 2, "style": 1, "label": "x", "custom_id": custom_id}
    message["components"] = [{"type": 1, "components": [button]}]
    return await _dispatch_actor_interaction(
        actor,
        InteractionType.MESSAGE_COMPONENT,
        channel,
        {"custom_id": custom_id, "component_type": 2},
        extra={"message": message},
        source_message_id=stored.id,
    )


def simcord_env_of(actor: simcord.MemberActor) -> simcord.Env:
    return actor._env


async def test_a_button_of_another_server_is_refused(
    simcord_env: simcord.Env, world: World
) -> None:
    """The button handlers looked rows up by the id in the custom_id alone. A click
    in one server forged to name another server's chat, topic or event is refused
    (the row's guild must be the interaction's), and changes nothing; the buttons
    still work in their own server."""
    from tests.cogs.chats.test_cog import announcement
    from tests.cogs.chats.test_cog import create_series
    from tests.cogs.events.test_cog import publish_event

    await create_series(world, week="1")  # the chat is on 01-01: announced at once
    await simcord_env.settle()
    await world.alice.slash(world.general, "chat propose", title="Blueprints")
    chat = announcement(world)
    _event_id, event = await publish_event(simcord_env, world)
    forged = [
        *_custom_ids(chat),
        *_custom_ids(world.announcements.last_message or chat),
        *_custom_ids(event),
    ]
    assert any(":interest:" in c for c in forged), forged
    assert any(":rsvp:" in c for c in forged), forged

    other = simcord_env.create_guild("Elsewhere")
    channel = other.create_text_channel("general")
    mallory = other.add_member(simcord_env.create_user("mallory"))
    posted = await mallory.send(channel, "hello")
    stored = simcord_env.backend.get_message(channel.id, posted.id)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    before = await snapshot(bot)
    for custom_id in forged:
        result = await _forged_click(mallory, channel, stored, custom_id)
        assert result.ephemeral, (custom_id, _text(result))
        assert "no longer works here" in _text(result), (custom_id, _text(result))
    assert await snapshot(bot) == before
    assert not simcord_env.errors

    going = await world.bob.click(event, label="Going (0)")
    assert "You are going" in _text(going), _text(going)


async def test_every_button_names_the_table_of_what_it_acts_on(
    simcord_env: simcord.Env,
) -> None:
    """So the check above covers a button added later."""
    from bot.ui import DynamicButton
    from bot.ui import DynamicSelect

    def walk(cls: type[Any]) -> list[type[Any]]:
        return [c for sub in cls.__subclasses__() for c in (sub, *walk(sub))]

    buttons = [*walk(DynamicButton), *walk(DynamicSelect)]
    assert len(buttons) >= 14, buttons
    for button in buttons:
        assert "owner" in vars(button), button
