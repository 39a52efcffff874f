"""Privacy: mentoring goals and feedback, and grant requests, never reach a third member.

The flows run for real: bob asks for a mentor with a goal, the mentor claims, the pair
answers a check-in and leaves feedback at the end; alice files a grant request that
the reviewers question and approve. Then carol (a plain member) runs every command
that could show any of it, and the test reads everything carol can see: her replies,
every message in every channel and thread she can open (ephemeral ones addressed to
her included), her DMs, and every request in simcord's HTTP log that wrote to such a
channel or answered an interaction she could see. The private texts carry markers
that appear nowhere else. mentor2 (a mentor, not this pair's) gets the same check for
the pair's goal and feedback.
"""

from __future__ import annotations

import json
import re
from typing import Any

import discord
import pytest
import simcord
from simcord import MemberActor
from simcord.backend.access import channel_accessible

from bot import PalletsBot
from bot.devtools.testing import show_to_everyone
from bot.devtools.testing import World
from bot.errors import is_expected

GOAL = "GOAL-7f3a: ship my first Flask pull request"
OPEN_GOAL = "GOAL-c41e: learn how Werkzeug routing works"
FEEDBACK_MENTEE = "FEEDBACK-91c0: the reviews were thorough"
FEEDBACK_MENTOR = "FEEDBACK-2b8d: bob needs more tests"
GRANT_EVENT = "EVENT-5d7e FlaskCon Lyon"
GRANT_PURPOSE = "PURPOSE-a9f2 venue and captioning"
GRANT_AMOUNT = "4321.77"
GRANT_NOTE = "NOTE-0e6b which venue?"
GRANT_ANSWER = "ANSWER-3c1d La Cordee, Lyon"

PAIR_SECRETS = (GOAL, FEEDBACK_MENTEE, FEEDBACK_MENTOR)
SECRETS = (
    *PAIR_SECRETS,
    OPEN_GOAL,
    GRANT_EVENT,
    GRANT_PURPOSE,
    "4,321",
    "4321",
    GRANT_NOTE,
    GRANT_ANSWER,
)
DAY = 86400


def bot_of(env: simcord.Env) -> PalletsBot:
    assert isinstance(env.bot, PalletsBot)
    return env.bot


def text_of(result: simcord.InteractionResult) -> str:
    parts: list[str] = []
    for message in [result.response, *result.followups]:
        if message is None:
            continue
        parts.append(message.content or "")
        parts.append(json.dumps([e.to_dict() for e in message.embeds]))
    if result.modal is not None:
        parts.append(json.dumps(result.modal))
    return "\n".join(parts)


async def advance(env: simcord.Env, seconds: float) -> None:
    await bot_of(env).scheduler.cancel_prefix("extwatch:")
    await env.advance_time(seconds)
    await env.settle()


def last_with(channel: simcord.ChannelHandle, words: str) -> discord.Message:
    found = [m for m in channel.history() if words in (m.content or "")]
    assert found, f"no message with {words!r} in {channel.name}"
    return found[-1]


async def run_flows(env: simcord.Env, world: World) -> simcord.ChannelHandle:
    """Mentoring from request to feedback, and a grant from request to approval."""
    await world.mentor.slash(
        world.general, "mentor-tools profile", topics="flask, werkzeug", timezone="UTC"
    )
    await world.organiser.slash(world.general, "mentor-admin checkins", days=1)
    await world.bob.slash(
        world.general, "mentor request", topics="flask", goal=GOAL, timezone="UTC"
    )
    await world.alice.slash(
        world.general,
        "mentor request",
        topics="werkzeug",
        goal=OPEN_GOAL,
        timezone="UTC",
    )
    claimed = await world.mentor.slash(world.general, "mentor-tools claim", request=1)
    assert "You are now mentoring" in text_of(claimed), text_of(claimed)
    (thread,) = world.mentorship.threads
    assert GOAL in last_with(thread, "Welcome").content
    await world.organiser.slash(world.general, "mentor-admin status", member=world.bob)
    await advance(env, DAY + 60)
    checkin = last_with(thread, "Check-in time")
    await world.bob.click(checkin, label="Need help")
    await world.mentor.click(checkin, label="Going well")

    shown = await world.alice.slash(world.general, "grant request")
    await world.alice.submit_modal(
        shown,
        {
            "event": GRANT_EVENT,
            "amount": GRANT_AMOUNT,
            "currency": "EUR",
            "purpose": GRANT_PURPOSE,
            "attendance": "40",
        },
    )
    await world.reviewer.slash(
        world.general,
        "grant-review decide",
        id="G-1",
        decision="needs-info",
        note=GRANT_NOTE,
    )
    await world.alice.slash(
        world.general, "grant answer", id="G-1", answer=GRANT_ANSWER
    )
    await world.reviewer.slash(
        world.general, "grant-review decide", id="G-1", decision="approve"
    )
    # A week on, the organisers' digest lists alice's open request.
    await advance(env, 11 * DAY)
    return thread


async def end_with_feedback(world: World, thread: simcord.ChannelHandle) -> None:
    ended = await world.bob.slash(world.general, "mentor end")
    assert ended.response is not None
    form = await world.bob.click(ended.response, label="Give feedback")
    await world.bob.submit_modal(form, {"feedback": FEEDBACK_MENTEE})
    form = await world.mentor.click(
        last_with(thread, "has ended"), label="Give feedback"
    )
    await world.mentor.submit_modal(form, {"feedback": FEEDBACK_MENTOR})


def message_text(message: Any) -> str:
    return json.dumps(
        {"content": message.content, "embeds": message.embeds, "c": message.components},
        default=str,
    )


def everything_seen_by(env: simcord.Env, member: MemberActor) -> list[str]:
    """Every text ``member`` could read: messages, DMs and the bot's writes."""
    backend = env.backend
    dm = backend.dm_channels.get(member.id)

    def readable(channel_id: int) -> bool:
        return channel_id == dm or channel_accessible(
            backend, channel_id, member.id, history=True
        )

    out = []
    for channel_id, messages in backend.messages.items():
        if readable(channel_id):
            out += [
                message_text(m) for m in messages.values() if m.visible_to(member.id)
            ]
    for entry in env.http_requests:
        if entry.method == "GET" or entry.json is None:
            continue
        body = json.dumps(entry.json, default=str)
        if found := re.match(r"/channels/(\d+)/", entry.path):
            if readable(int(found[1])):
                out.append(body)
        elif found := re.match(
            r"/(?:interactions/\d+|webhooks/\d+)/([^/]+)", entry.path
        ):
            record = backend.interactions[backend.interaction_tokens[found[1]]]
            if record.user_id == member.id or (
                not record.ephemeral and readable(record.channel_id)
            ):
                out.append(body)
    return out


def leaks(texts: list[str], secrets: tuple[str, ...]) -> list[str]:
    return [f"{s!r} in {t[:200]}" for t in texts for s in secrets if s in t]


@pytest.fixture(autouse=True)
def _refusals_are_expected(simcord_env: simcord.Env) -> Any:
    """Carol's refusals are the point; only other errors fail the test."""
    yield
    # Errors a test acknowledged (it caused them on purpose) are left out.
    seen = simcord_env.errors_since(simcord_env._errors_acknowledged)  # noqa: SLF001
    unexpected = [e for e in seen if not is_expected(e)]
    simcord_env.check_errors = False
    assert not unexpected


CAROL_READS: list[tuple[str, dict[str, Any]]] = [
    ("mentor status", {}),
    ("mentor-tools queue", {}),
    ("mentor-admin stats", {}),
    ("mentor-admin match", {}),
    ("mentor-tools profile", {}),
    ("mentor end", {}),
    ("grant status", {}),
    ("grant-review list", {}),
    ("grant-review list", {"show": "approved"}),
    ("grant history", {"id": "G-1"}),
    ("grant answer", {"id": "G-1", "answer": "me too"}),
    ("event list", {}),
    ("chat history", {}),
]


async def carol_reads(world: World) -> list[str]:
    # Hidden from members; the bot refuses too.
    for hidden in ("mentor-admin", "mentor-tools", "grant-review"):
        show_to_everyone(world, hidden)
    replies = []
    for name, options in CAROL_READS:
        result = await world.carol.slash(world.general, name, **options)
        replies.append(text_of(result))
    for member in (world.bob, world.alice, world.mentor):
        result = await world.carol.slash(
            world.general, "mentor-admin status", member=member
        )
        replies.append(text_of(result))
    return replies


@pytest.mark.parametrize("log_channel", ["private", "public"])
async def test_a_third_member_never_sees_goals_feedback_or_grant_requests(
    simcord_env: simcord.Env, world: World, log_channel: str
) -> None:
    """Also when a server made a log channel every member can read."""
    if log_channel == "public":
        await world.admin.slash(world.general, "setup channels", log=world.general)
    thread = await run_flows(simcord_env, world)
    before_end = await carol_reads(world)
    await end_with_feedback(world, thread)
    after_end = await carol_reads(world)
    assert leaks(before_end + after_end, SECRETS) == []
    seen = everything_seen_by(simcord_env, world.carol)
    found = leaks(seen, SECRETS)
    assert not found, "\n".join(found)
    # Nor who asked for help at a check-in (an answer of the pair's).
    assert not [t for t in seen if "answered the check-in" in t]
    if log_channel == "public":
        notices = [
            m.content
            for m in world.general.history(viewer=world.organiser)
            if "was not posted here" in m.content
        ]
        # The grant request, its answer, the need-help answer and both feedbacks.
        assert len(notices) == 5, notices
    # The pair's thread is private and carol is not in it.
    assert simcord_env.backend.channels[thread.id].type == 12
    assert not channel_accessible(simcord_env.backend, thread.id, world.carol.id)


async def test_another_mentor_never_sees_the_pairs_goal_or_feedback(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await run_flows(simcord_env, world)
    mentor2 = world.mentor2
    await mentor2.slash(
        world.general, "mentor-tools profile", topics="flask", timezone="UTC"
    )
    replies = [text_of(await mentor2.slash(world.general, "mentor-tools queue"))]
    await end_with_feedback(world, thread)
    show_to_everyone(world, "mentor-admin")  # hidden from mentors; the bot refuses too
    for member in (world.bob, world.mentor):
        result = await mentor2.slash(
            world.general, "mentor-admin status", member=member
        )
        replies.append(text_of(result))
    # mentor2 sees the open request in the queue, but not its goal.
    assert "Request #2" in replies[0]
    assert leaks(replies, (*PAIR_SECRETS, OPEN_GOAL)) == []
    seen = everything_seen_by(simcord_env, mentor2)
    assert leaks(seen, (*PAIR_SECRETS, OPEN_GOAL)) == []
    assert not channel_accessible(simcord_env.backend, thread.id, mentor2.id)
    with pytest.raises(simcord.SetupError):
        await mentor2.click(last_with(thread, "has ended"), label="Give feedback")


async def test_the_pair_and_organisers_do_see_them(
    simcord_env: simcord.Env, world: World
) -> None:
    """The checks above are not passing because nothing was shown at all."""
    thread = await run_flows(simcord_env, world)
    await end_with_feedback(world, thread)
    for member in (world.bob, world.mentor, world.organiser):
        assert leaks(everything_seen_by(simcord_env, member), (GOAL,)), member
    status = await world.organiser.slash(
        world.general, "mentor-admin status", member=world.alice
    )
    assert OPEN_GOAL in text_of(status)
    listed = await world.reviewer.slash(
        world.general, "grant-review list", show="approved"
    )
    assert GRANT_EVENT in text_of(listed) and GRANT_PURPOSE[:20] in text_of(listed)
    organiser_sees = everything_seen_by(simcord_env, world.organiser)
    assert leaks(organiser_sees, (FEEDBACK_MENTEE, FEEDBACK_MENTOR))
    # The weekly digest ran (and listed alice's open request without its goal).
    digests = [t for t in organiser_sees if "unclaimed requests" in t]
    assert digests and f"<@{world.alice.id}>" in digests[0]


async def test_setup_warns_when_every_member_can_read_the_log_channel(
    simcord_env: simcord.Env, world: World
) -> None:
    shown = await world.admin.slash(world.general, "setup show")
    assert "Every member can read the log channel" not in text_of(shown)
    public = await world.admin.slash(world.general, "setup channels", log=world.general)
    assert public.ephemeral
    assert "Every member can read the log channel" in text_of(public)
    shown = await world.admin.slash(world.general, "setup show")
    assert "Every member can read the log channel" in text_of(shown)


async def test_an_unexpected_error_in_a_form_logs_no_form_values(
    simcord_env: simcord.Env,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The log of an unexpected error names the form and its fields, never what the
    member typed: a grant's purpose or mentoring feedback is private."""
    import cogs.grants._queries as grants_queries

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(grants_queries, "create", broken)
    shown = await world.alice.slash(world.general, "grant request")
    assert shown.modal is not None
    with caplog.at_level("ERROR", logger="bot.errors"):
        result = await world.alice.submit_modal(
            shown,
            {
                "event": GRANT_EVENT,
                "amount": GRANT_AMOUNT,
                "currency": "EUR",
                "purpose": GRANT_PURPOSE,
                "attendance": "40",
            },
        )
    assert result.response is not None and "error" in (result.response.content or "")
    (record,) = [r for r in caplog.records if r.name == "bot.errors"]
    logged = record.getMessage()
    assert "purpose" in logged  # the field is named...
    for secret in (GRANT_EVENT, GRANT_PURPOSE, GRANT_AMOUNT):
        assert secret not in logged  # ...what was typed is not
    # The error itself is the point here.
    assert [type(e).__name__ for e in simcord_env.errors] == ["RuntimeError"]
    simcord_env._errors_acknowledged = len(simcord_env.errors)  # noqa: SLF001
