from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import discord
import pytest
import simcord

from bot.app import PalletsBot
from bot.clock import now_ts
from bot.devtools import testing
from bot.devtools.testing import World
from bot.errors import UserError
from bot.refusals import Refused
from bot.settings import Settings
from cogs.mentorship import _queries as q
from cogs.mentorship._cog import MentorshipCog
from cogs.mentorship._columns import QueueIndex
from cogs.mentorship._engine import MentorshipEngine

DAY = 86400
GOAL = "Send my first pull request to Flask"


def _expected(error: BaseException | None) -> bool:
    """A refusal the member was shown (UserError or Refused), possibly wrapped by
    discord.py."""
    while error is not None:
        if isinstance(error, UserError | Refused):
            return True
        error = error.__cause__ or getattr(error, "original", None)
    return False


@pytest.fixture(autouse=True)
def _refusals_are_not_bot_errors(simcord_env: simcord.Env) -> Iterator[None]:
    """simcord records every exception a command raised, refusals included.

    Refusals are how a command says no (the member sees them ephemeral, and the
    tests assert that), so only the other errors fail the test.
    """
    yield
    unexpected = [e for e in simcord_env.errors if not _expected(e)]
    simcord_env.check_errors = False
    if unexpected:
        raise BaseExceptionGroup("the bot raised unexpected errors", unexpected)


def text_of(result: simcord.InteractionResult) -> str:
    """Everything the member was shown: content, embeds and follow-ups."""
    parts: list[str] = []
    for message in [result.response, *result.followups]:
        if message is None:
            continue
        parts.append(message.content or "")
        for embed in message.embeds:
            parts.append(embed.title or "")
            parts.append(embed.description or "")
            parts.extend(f"{f.name}\n{f.value}" for f in embed.fields)
    return "\n".join(parts)


def shown(result: simcord.InteractionResult) -> Any:
    """The message to click on: the follow-up when the reply was deferred."""
    followups = result.followups
    return followups[-1] if followups else result.response


async def make_profile(
    world: World, mentor: simcord.MemberActor, **options: object
) -> None:
    values: dict[str, object] = {
        "topics": "flask, testing",
        "timezone": "Europe/Paris",
        "languages": "English, French",
        "capacity": 2,
    }
    values.update(options)
    result = await mentor.slash(world.general, "mentor-tools profile", **values)
    assert "Profile saved" in text_of(result), text_of(result)


async def make_request(
    world: World, member: simcord.MemberActor, **options: object
) -> int:
    values: dict[str, object] = {
        "topics": "flask",
        "goal": GOAL,
        "timezone": "Europe/Berlin",
        "languages": "English",
    }
    values.update(options)
    result = await member.slash(world.general, "mentor request", **values)
    content = text_of(result)
    assert result.ephemeral
    assert "is in the queue" in content, content
    return int(content.split("#")[1].split(" ")[0])


async def paired(world: World) -> tuple[int, simcord.ChannelHandle]:
    await make_profile(world, world.mentor)
    request_id = await make_request(world, world.alice)
    result = await world.mentor.slash(
        world.general, "mentor-tools claim", request=request_id
    )
    assert "You are now mentoring" in text_of(result), text_of(result)
    (thread,) = world.mentorship.threads
    return request_id, thread


async def advance(env: simcord.Env, seconds: float) -> None:
    """Move the clock, without the extension watch's weekly upstream fetch.

    That job (another cog's) waits on real sockets, which never settle under
    simcord's virtual clock; it has nothing to do with mentoring.
    """
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    await bot.scheduler.cancel_prefix("extwatch:")
    await env.advance_time(seconds)
    await env.settle()


def thread_members(env: simcord.Env, thread: simcord.ChannelHandle) -> set[int]:
    return set(env.backend.channels[thread.id].thread_members)


async def rows(env: simcord.Env, sql: str) -> list[Any]:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return list(await bot.db.fetchall(sql))


# -- requests and the queue ---------------------------------------------------------
async def test_queue_ranks_requests_by_fit_and_hides_goals(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor, topics="flask, testing")
    far = await make_request(world, world.alice, topics="jinja", timezone="Asia/Tokyo")
    near_one_topic = await make_request(
        world, world.bob, topics="flask", timezone="Europe/Berlin"
    )
    best = await make_request(
        world, world.carol, topics="flask, testing", timezone="America/New_York"
    )
    result = await world.mentor.slash(world.general, "mentor-tools queue")
    assert result.ephemeral
    assert result.response is not None
    embed = result.response.embeds[0]
    order = [int(str(f.name).split("#")[1]) for f in embed.fields]
    assert order == [best, near_one_topic, far]
    assert GOAL not in text_of(result)
    labels = [
        c["label"] for row in result.response.components for c in row["components"]
    ]
    assert f"Claim #{best}" in labels


async def test_queue_pages_with_next_button(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor)
    members = [
        world.alice,
        world.bob,
        world.carol,
        world.helper,
        world.reviewer,
        world.admin,
    ]
    for member in members:
        await make_request(world, member)
    result = await world.mentor.slash(world.general, "mentor-tools queue")
    assert result.response is not None
    # the page is told once: in the shared footer, not again in the title
    [embed] = result.response.embeds
    assert embed.footer.text == "Page 1 of 2"
    assert "page" not in (embed.title or "").lower()
    await world.mentor.click(result.response, label="Next")
    page = simcord_env.backend.get_message(
        result.response.channel_id, result.response.id
    )
    assert "Page 2 of 2" in str(page.embeds), page.embeds


async def test_claim_suggests_the_mentors_queue_best_fit_first(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor, topics="testing")
    flask = await make_request(world, world.alice, topics="flask")
    testing_id = await make_request(world, world.bob, topics="testing")
    choices = await world.mentor.autocomplete(
        world.general, "mentor-tools claim", "request", ""
    )
    assert [c["value"] for c in choices] == [testing_id, flask]
    assert choices[0]["name"].startswith(f"#{testing_id} · ")
    assert GOAL not in str(choices)
    typed = await world.mentor.autocomplete(
        world.general, "mentor-tools claim", "request", "fla"
    )
    assert [c["value"] for c in typed] == [flask]
    # nobody without the mentor role (or a profile) is shown anyone's request
    testing.show_to_everyone(world, "mentor-tools")  # hidden; offered nothing too
    assert (
        await world.carol.autocomplete(
            world.general, "mentor-tools claim", "request", ""
        )
        == []
    )
    assert (
        await world.mentor2.autocomplete(
            world.general, "mentor-tools claim", "request", ""
        )
        == []
    )


def labels_of(message: Any) -> list[str]:
    return [c["label"] for row in message.components for c in row["components"]]


async def test_queue_pages_turn_after_a_restart_and_keep_their_claim_buttons(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await make_profile(world, world.mentor)
    members = [
        world.alice,
        world.bob,
        world.carol,
        world.helper,
        world.reviewer,
        world.admin,
    ]
    ids = [await make_request(world, member) for member in members]
    result = await world.mentor.slash(world.general, "mentor-tools queue")
    assert result.response is not None
    channel_id, message_id = result.response.channel_id, result.response.id
    await testing.restart(simcord_env, settings)
    # The new bot has never seen this message: its buttons still turn the page.
    await world.mentor.click(result.response, label="Next")
    page = simcord_env.backend.get_message(channel_id, message_id)
    assert "Page 2 of 2" in str(page.embeds), page.embeds
    # Equal fit: the longest wait first, so the newest request is alone on page 2.
    assert f"Claim #{ids[-1]}" in labels_of(page)
    assert f"Claim #{ids[0]}" not in labels_of(page)
    await world.mentor.click(result.response, label="Previous")
    page = simcord_env.backend.get_message(channel_id, message_id)
    assert "Page 1 of 2" in str(page.embeds), page.embeds
    assert f"Claim #{ids[0]}" in labels_of(page)
    claimed = await world.mentor.click(result.response, label=f"Claim #{ids[0]}")
    assert "You are now mentoring" in text_of(claimed)


def engine_of(env: simcord.Env) -> MentorshipEngine:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    cog = bot.get_cog(MentorshipCog.__cog_name__)
    assert isinstance(cog, MentorshipCog)
    return cog.engine


SEVEN = ("alice", "bob", "carol", "helper", "reviewer", "admin", "organiser")


@pytest.fixture
def ranked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per ranking of a queue index (a page served from a kept ranking
    adds none)."""
    calls: list[int] = []
    original = QueueIndex.rank

    def counted(self: QueueIndex, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QueueIndex, "rank", counted)
    return calls


async def test_queue_pages_turn_the_ranking_shown_without_ranking_again(
    simcord_env: simcord.Env, world: World, ranked: list[int]
) -> None:
    await make_profile(world, world.mentor)
    ids = [await make_request(world, getattr(world, name)) for name in SEVEN]
    result = await world.mentor.slash(world.general, "mentor-tools queue")
    assert result.response is not None and len(ranked) == 1
    # Another mentor takes the first request meanwhile: it leaves the pages.
    await make_profile(world, world.mentor2)
    taken = await world.mentor2.slash(
        world.general, "mentor-tools claim", request=ids[0]
    )
    assert "You are now mentoring" in text_of(taken)
    ranked.clear()
    channel_id, message_id = result.response.channel_id, result.response.id
    await world.mentor.click(result.response, label="Next")
    page = simcord_env.backend.get_message(channel_id, message_id)
    assert "Page 2 of 2" in str(page.embeds), page.embeds
    assert labels_of(page)[:1] == [f"Claim #{ids[6]}"]
    await world.mentor.click(result.response, label="Previous")
    back = simcord_env.backend.get_message(channel_id, message_id)
    assert "Page 1 of 2" in str(back.embeds), back.embeds
    assert [f"Claim #{i}" for i in ids[1:6]] == labels_of(back)[:5]
    assert ranked == []


def queue_order(result: simcord.InteractionResult) -> list[int]:
    """The request ids a /mentor-tools queue page shows, in order."""
    message = shown(result)
    assert message is not None, text_of(result)
    return [int(str(f.name).split("#")[1]) for f in message.embeds[0].fields]


async def test_queue_is_answered_again_from_its_kept_ranking_until_the_queue_changes(
    simcord_env: simcord.Env, world: World, ranked: list[int]
) -> None:

    async def queue() -> list[int]:
        return queue_order(
            await world.mentor.slash(world.general, "mentor-tools queue")
        )

    await make_profile(world, world.mentor, topics="flask, testing")
    await make_profile(world, world.mentor2, topics="jinja")
    alice = await make_request(world, world.alice, topics="flask")
    bob = await make_request(world, world.bob, topics="testing")
    # Equal fit: the longer wait first.
    assert await queue() == [alice, bob]
    # Asked again, nothing changed: the same answer, not ranked again.
    ranked.clear()
    assert await queue() == [alice, bob]
    assert ranked == []
    # The mentor's topics change: ranked anew for them.
    await make_profile(world, world.mentor, topics="testing, jinja")
    assert await queue() == [bob, alice]
    assert ranked == [1]
    # A new request that fits better comes first.
    carol = await make_request(world, world.carol, topics="jinja, testing")
    assert await queue() == [carol, bob, alice]
    # Another mentor claims it: it leaves the mentor's queue.
    claim = await world.mentor2.slash(
        world.general, "mentor-tools claim", request=carol
    )
    assert "You are now mentoring" in text_of(claim)
    assert await queue() == [bob, alice]
    # Handed back: in the queue again, in its place.
    released = await world.mentor2.slash(
        world.general, "mentor-tools release", mentee=world.carol, note="Back you go"
    )
    assert "back in the queue" in text_of(released)
    assert await queue() == [carol, bob, alice]
    # A member withdraws: gone from the queue too.
    cancel = await world.bob.slash(world.general, "mentor cancel")
    assert "withdrawn" in text_of(cancel)
    ranked.clear()
    assert await queue() == [carol, alice]
    # Leaving the queue needs no new ranking: the kept one, less bob's request.
    assert ranked == []


async def test_queue_answers_in_time_while_its_index_loads(
    simcord_env: simcord.Env, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_profile(world, world.mentor)
    for member in SEVEN[:6]:
        await make_request(world, getattr(world, member))
    engine = engine_of(simcord_env)
    first = await world.mentor.slash(world.general, "mentor-tools queue")
    assert first.response is not None
    # As after a restart at a big community's size: the index is not loaded yet,
    # and loading takes seconds. The interaction is acknowledged before it loads.
    timeline: list[str] = []
    load = engine._synced_queue

    async def loading(guild_id: int, *args: Any) -> QueueIndex:
        if guild_id not in engine._queues:
            timeline.append("load")
        return await load(guild_id, *args)

    original_defer = discord.InteractionResponse.defer

    async def deferred(self: discord.InteractionResponse[Any], **kwargs: Any) -> Any:
        timeline.append("acknowledge")
        return await original_defer(self, **kwargs)

    monkeypatch.setattr(discord.InteractionResponse, "defer", deferred)
    monkeypatch.setattr(engine, "_synced_queue", loading)
    engine._queues.clear()
    result = await world.mentor.slash(world.general, "mentor-tools queue")
    assert result.response is not None
    assert [e.footer.text for e in result.response.embeds] == ["Page 1 of 2"]
    # A click while the index reloads: acknowledged, then the same message turns.
    engine._queues.clear()
    await world.mentor.click(first.response, label="Next")
    page = simcord_env.backend.get_message(first.response.channel_id, first.response.id)
    assert "Page 2 of 2" in str(page.embeds), page.embeds
    assert timeline == ["acknowledge", "load", "acknowledge", "load"]


async def test_second_open_request_is_refused(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_request(world, world.alice)
    result = await world.alice.slash(
        world.general, "mentor request", topics="click", goal="Another", timezone="UTC"
    )
    assert result.ephemeral
    assert "already have a mentoring request" in text_of(result)
    assert len(await rows(simcord_env, "SELECT * FROM mentor_requests")) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Unknown timezone"),
        ({"topics": " , "}, "at least one topic"),
        ({"topics": "cobol"}, "Unknown topics"),
        ({"goal": "x" * 1001}, "1 to 1000 characters"),
        ({"languages": ",".join(f"lang{i}" for i in range(6))}, "at most 5 languages"),
    ],
)
async def test_bad_request_input_gets_a_clear_error_and_changes_nothing(
    simcord_env: simcord.Env, world: World, options: dict[str, str], message: str
) -> None:
    values = {"topics": "flask", "goal": GOAL, "timezone": "UTC"} | options
    result = await world.alice.slash(world.general, "mentor request", **values)
    assert result.ephemeral
    assert message in text_of(result)
    assert await rows(simcord_env, "SELECT * FROM mentor_requests") == []


async def test_cancel_and_status(simcord_env: simcord.Env, world: World) -> None:
    request_id = await make_request(world, world.alice)
    status = await world.alice.slash(world.general, "mentor status")
    assert f"Request #{request_id}: waiting for a mentor" in text_of(status)
    assert GOAL in text_of(status)
    cancel = await world.alice.slash(world.general, "mentor cancel")
    assert "withdrawn" in text_of(cancel)
    again = await world.alice.slash(world.general, "mentor cancel")
    assert "no open mentoring request" in text_of(again)
    await make_request(world, world.alice)  # a new one is allowed after cancelling


async def test_timezone_autocomplete_suggests_zoneinfo_names(
    simcord_env: simcord.Env, world: World
) -> None:
    choices = await world.alice.autocomplete(
        world.general,
        "mentor request",
        "timezone",
        "europe/par",
        topics="flask",
        goal="g",
    )
    names = [choice["value"] for choice in choices]
    assert "Europe/Paris" in names


# -- mentors ------------------------------------------------------------------------
async def test_member_without_mentor_role_cannot_set_a_profile_or_claim(
    simcord_env: simcord.Env, world: World
) -> None:
    request_id = await make_request(world, world.bob)
    testing.show_to_everyone(world, "mentor-tools")  # hidden; the bot refuses too
    result = await world.alice.slash(
        world.general, "mentor-tools profile", topics="flask", timezone="UTC"
    )
    assert result.ephemeral
    assert "mentor role" in text_of(result)
    claim = await world.alice.slash(
        world.general, "mentor-tools claim", request=request_id
    )
    assert "mentor role" in text_of(claim)
    assert await rows(simcord_env, "SELECT * FROM mentor_profiles") == []
    assert await rows(simcord_env, "SELECT * FROM mentor_pairings") == []


async def test_mentor_cannot_claim_own_request(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor)
    own = await make_request(world, world.mentor)
    result = await world.mentor.slash(world.general, "mentor-tools claim", request=own)
    assert "your own request" in text_of(result)
    assert await rows(simcord_env, "SELECT * FROM mentor_pairings") == []


async def test_claiming_over_capacity_is_refused(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor, capacity=1)
    first = await make_request(world, world.alice)
    second = await make_request(world, world.bob)
    await world.mentor.slash(world.general, "mentor-tools claim", request=first)
    result = await world.mentor.slash(
        world.general, "mentor-tools claim", request=second
    )
    assert "capacity of 1 mentee" in text_of(result)
    states = await rows(
        simcord_env, "SELECT id, state FROM mentor_requests ORDER BY id"
    )
    assert [(r["id"], r["state"]) for r in states] == [
        (first, "claimed"),
        (second, "open"),
    ]


async def test_claim_opens_private_thread_with_the_pair_and_the_goal(
    simcord_env: simcord.Env, world: World
) -> None:
    start = len(simcord_env.http_requests)
    request_id, thread = await paired(world)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    assert simcord_env.backend.channels[thread.id].type == 12  # private thread
    members = thread_members(simcord_env, thread)
    assert {world.mentor.id, world.alice.id} <= members
    assert world.carol.id not in members and world.bob.id not in members
    welcome = thread.history(viewer=world.alice)[0]
    assert GOAL in welcome.content
    assert thread.history(viewer=world.mentor)
    # The request left the queue.
    queue = await world.mentor.slash(world.general, "mentor-tools queue")
    assert "No open requests" in text_of(queue)
    # The welcome pings exactly the pair.
    sends: list[Any] = [
        e.json
        for e in simcord_env.http_requests[start:]
        if e.method == "POST" and e.path == f"/channels/{thread.id}/messages"
    ]
    assert sends[0]["allowed_mentions"]["parse"] == []
    assert set(map(int, sends[0]["allowed_mentions"]["users"])) == {
        world.mentor.id,
        world.alice.id,
    }
    assert request_id


async def test_two_mentors_racing_for_one_request_make_exactly_one_pairing(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor)
    await make_profile(world, world.mentor2)
    request_id = await make_request(world, world.alice)
    bot = simcord_env.bot
    assert isinstance(bot, PalletsBot)
    # simcord runs one slash command at a time, so the race is run where it is
    # decided: two claims at the same moment on the same request.
    now = now_ts()
    wins = await asyncio.gather(
        q.claim(bot.db, world.guild.id, request_id, world.mentor.id, now),
        q.claim(bot.db, world.guild.id, request_id, world.mentor2.id, now),
    )
    assert sum(w is not None for w in wins) == 1
    pairings = await rows(simcord_env, "SELECT * FROM mentor_pairings")
    assert len(pairings) == 1
    loser = world.mentor2 if wins[0] is not None else world.mentor
    result = await loser.slash(world.general, "mentor-tools claim", request=request_id)
    assert result.ephemeral
    assert "just claimed by another mentor" in text_of(result)
    assert len(await rows(simcord_env, "SELECT * FROM mentor_pairings")) == 1
    states = await rows(simcord_env, "SELECT state FROM mentor_requests")
    assert [r["state"] for r in states] == ["claimed"]


async def test_two_mentors_clicking_claim_make_one_pairing(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor)
    await make_profile(world, world.mentor2)
    request_id = await make_request(world, world.alice)
    first = await world.mentor.slash(world.general, "mentor-tools queue")
    second = await world.mentor2.slash(world.general, "mentor-tools queue")
    won = await world.mentor.click(shown(first), label=f"Claim #{request_id}")
    lost = await world.mentor2.click(shown(second), label=f"Claim #{request_id}")
    assert "You are now mentoring" in text_of(won)
    assert "just claimed by another mentor" in text_of(lost)
    assert lost.ephemeral
    assert len(world.mentorship.threads) == 1


# -- privacy --------------------------------------------------------------------------
async def test_goal_stays_private_from_a_third_member(
    simcord_env: simcord.Env, world: World
) -> None:
    _request_id, thread = await paired(world)
    with pytest.raises(simcord.SetupError):
        thread.history(viewer=world.carol)
    testing.show_to_everyone(world, "mentor-admin")  # hidden; the bot refuses too
    status = await world.carol.slash(
        world.general, "mentor-admin status", member=world.alice
    )
    assert GOAL not in text_of(status)
    assert "organiser role" in text_of(status)
    stats = await world.carol.slash(world.general, "mentor-admin stats")
    assert "organiser role" in text_of(stats)
    organiser_view = await world.organiser.slash(
        world.general, "mentor-admin status", member=world.alice
    )
    assert GOAL in text_of(organiser_view)
    assert organiser_view.ephemeral
    # Looking a member up lets the organiser into the pair's private thread.
    assert world.organiser.id in thread_members(simcord_env, thread)
    assert thread.history(viewer=world.organiser)
    assert world.carol.id not in thread_members(simcord_env, thread)
    started = [
        m for m in world.log.history() if "pairing #1 started" in (m.content or "")
    ]
    assert len(started) == 1
    assert GOAL not in started[0].content
    for message in world.general.history():
        assert GOAL not in (message.content or "") or message.flags.ephemeral


# -- over time ------------------------------------------------------------------------
def checkins_in(thread: simcord.ChannelHandle) -> list[Any]:
    return [m for m in thread.history() if "Check-in time" in (m.content or "")]


async def test_checkin_arrives_after_14_days_once_across_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    _request_id, thread = await paired(world)
    await advance(simcord_env, 13 * DAY)
    assert checkins_in(thread) == []
    await testing.restart(simcord_env, settings)
    await advance(simcord_env, 1 * DAY + 60)
    assert len(checkins_in(thread)) == 1
    await testing.restart(simcord_env, settings)
    await advance(simcord_env, 60)
    assert len(checkins_in(thread)) == 1


async def test_need_help_alerts_organisers_in_the_log(
    simcord_env: simcord.Env, world: World
) -> None:
    _request_id, thread = await paired(world)
    await advance(simcord_env, 14 * DAY + 60)
    (checkin,) = checkins_in(thread)
    with pytest.raises(simcord.SetupError):
        await world.carol.click(checkin, label="Need help")
    result = await world.alice.click(checkin, label="Need help")
    assert result.ephemeral
    assert "organisers were told" in text_of(result)
    again = await world.alice.click(checkin, label="Need help")
    assert again.ephemeral
    alerts = [m for m in world.log.history() if "needs help" in (m.content or "")]
    assert len(alerts) == 1
    assert GOAL not in alerts[0].content
    well = await world.mentor.click(checkin, label="Going well")
    assert "Glad" in text_of(well)


async def test_checkin_interval_is_configurable(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await world.organiser.slash(world.general, "mentor-admin checkins", days=3)
    assert "every 3 days" in text_of(result)
    _request_id, thread = await paired(world)
    await advance(simcord_env, 3 * DAY + 60)
    assert len(checkins_in(thread)) == 1
    # A shorter interval set later counts from the last check-in: no burst.
    await world.organiser.slash(world.general, "mentor-admin checkins", days=1)
    await advance(simcord_env, 3 * DAY + 60)
    assert len(checkins_in(thread)) == 2
    await advance(simcord_env, 1 * DAY)
    assert len(checkins_in(thread)) == 3
    testing.show_to_everyone(world, "mentor-admin")  # hidden; the bot refuses too
    refused = await world.alice.slash(world.general, "mentor-admin checkins", days=1)
    assert "organiser role" in text_of(refused)


async def test_release_puts_the_request_back_with_the_note(
    simcord_env: simcord.Env, world: World
) -> None:
    request_id, thread = await paired(world)
    result = await world.mentor.slash(
        world.general,
        "mentor-tools release",
        mentee=world.alice,
        note="Needs a Jinja expert",
    )
    assert "back in the queue" in text_of(result)
    await make_profile(world, world.mentor2)
    queue = await world.mentor2.slash(world.general, "mentor-tools queue")
    assert f"Request #{request_id}" in text_of(queue)
    assert "Needs a Jinja expert" in text_of(queue)
    # No check-in for a released pairing.
    await advance(simcord_env, 15 * DAY)
    assert checkins_in(thread) == []
    # Someone else can now claim it.
    claim = await world.mentor2.slash(
        world.general, "mentor-tools claim", request=request_id
    )
    assert "You are now mentoring" in text_of(claim)


async def test_end_closes_the_pairing_and_asks_both_for_feedback(
    simcord_env: simcord.Env, world: World
) -> None:
    _request_id, thread = await paired(world)
    result = await world.alice.slash(world.general, "mentor end")
    assert "has ended" in text_of(result)
    ended = thread.last_message
    assert ended is not None and "has ended" in ended.content
    form = await world.mentor.click(ended, label="Give feedback")
    assert form.modal is not None
    done = await world.mentor.submit_modal(
        form, {"feedback": "Alice was great to work with"}
    )
    assert "Thank you for your feedback" in text_of(done)
    with pytest.raises(simcord.SetupError):
        await world.carol.click(ended, label="Give feedback")
    logged = [m for m in world.log.history() if "Alice was great" in (m.content or "")]
    assert len(logged) == 1
    stats = await world.organiser.slash(world.general, "mentor-admin stats")
    assert "Completed pairings: 1" in text_of(stats)
    assert "Active pairs: 0" in text_of(stats)
    assert "Median wait to be claimed" in text_of(stats)
    # The member may ask again now.
    await make_request(world, world.alice)


# -- organisers -----------------------------------------------------------------------
async def test_match_proposes_and_creates_pairs_only_on_confirm(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor, topics="flask, jinja", capacity=1)
    await make_profile(world, world.mentor2, topics="flask", capacity=1)
    await make_request(world, world.alice, topics="flask, jinja")
    await make_request(world, world.bob, topics="jinja")
    testing.show_to_everyone(world, "mentor-admin")  # hidden; the bot refuses too
    refused = await world.alice.slash(world.general, "mentor-admin match")
    assert "organiser role" in text_of(refused)
    proposal = await world.organiser.slash(world.general, "mentor-admin match")
    text = text_of(proposal)
    assert "Proposed pairs" in text
    assert f"<@{world.bob.id}> with <@{world.mentor.id}>" in text
    assert f"<@{world.alice.id}> with <@{world.mentor2.id}>" in text
    assert await rows(simcord_env, "SELECT * FROM mentor_pairings") == []
    confirm = await world.organiser.click(shown(proposal), label="Confirm all")
    assert "2 pairs created" in text_of(confirm)
    assert len(world.mentorship.threads) == 2
    twice = await world.organiser.click(shown(proposal), label="Confirm all")
    assert "already confirmed" in text_of(twice)
    assert len(await rows(simcord_env, "SELECT * FROM mentor_pairings")) == 2


async def test_match_makes_only_the_pairs_the_organiser_chooses(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await make_profile(world, world.mentor, topics="flask, jinja", capacity=1)
    await make_profile(world, world.mentor2, topics="flask", capacity=1)
    alice = await make_request(world, world.alice, topics="flask, jinja")
    bob = await make_request(world, world.bob, topics="jinja")
    proposal = await world.organiser.slash(world.general, "mentor-admin match")
    message = shown(proposal)
    [select] = [
        c for row in message.components for c in row["components"] if c["type"] == 3
    ]
    options = {o["value"]: o for o in select["options"]}
    assert set(options) == {str(alice), str(bob)}
    assert options[str(bob)]["label"] == f"Request #{bob}"
    await testing.restart(simcord_env, settings)  # the list outlives a restart
    picked = await world.organiser.select(message, [str(bob)])
    assert "1 pair created" in text_of(picked)
    pairs = await rows(simcord_env, "SELECT mentee_id, mentor_id FROM mentor_pairings")
    assert [tuple(p) for p in pairs] == [(world.bob.id, world.mentor.id)]
    again = await world.organiser.select(message, [str(bob)])
    assert "already confirmed" in text_of(again)
    # the rest is confirmed later, and only once
    rest = await world.organiser.click(message, label="Confirm all")
    assert "1 pair created" in text_of(rest)
    done = await world.organiser.click(message, label="Confirm all")
    assert "already confirmed" in text_of(done)
    assert len(await rows(simcord_env, "SELECT * FROM mentor_pairings")) == 2


async def test_a_match_choice_checks_the_organiser_role_again(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor, topics="jinja", capacity=1)
    bob = await make_request(world, world.bob, topics="jinja")
    proposal = await world.organiser.slash(world.general, "mentor-admin match")
    await world.admin.slash(world.general, "setup roles", organiser=world.helper_role)
    refused = await world.organiser.select(shown(proposal), [str(bob)])
    assert "organiser role" in text_of(refused)
    assert await rows(simcord_env, "SELECT * FROM mentor_pairings") == []


async def test_weekly_digest_lists_week_old_requests_with_suggestions(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    await make_profile(world, world.mentor, topics="flask")
    await make_request(world, world.alice, topics="flask")
    # 2026-01-01 is a Thursday; the digest of Monday 12 January sees an 11-day wait.
    await advance(simcord_env, 11 * DAY + 10 * 3600)
    digests = [m for m in world.log.history() if m.embeds]
    assert len(digests) == 1
    body = digests[0].embeds[0].description or ""
    assert f"<@{world.alice.id}>" in body
    assert f"suggested: <@{world.mentor.id}>" in body
    assert GOAL not in body
    await testing.restart(simcord_env, settings)
    await advance(simcord_env, 3600)
    assert len([m for m in world.log.history() if m.embeds]) == 1


async def test_mentoring_digest_is_posted_only_when_the_waiting_list_changed(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor, topics="flask")
    await make_request(world, world.alice, topics="flask")
    # Mondays 12 Jan (waited 11 days), 19 Jan (18: past two weeks), 26 Jan (25),
    # 2 Feb (32: past four weeks), 9 Feb (39): the same request at the same stage
    # is not news, so weeks 3 and 5 post nothing.
    await advance(simcord_env, 39 * DAY + 10 * 3600)
    posted = [m for m in world.log.history() if m.embeds]
    assert [m.created_at.day for m in posted] == [12, 19, 2]
    # a new request past a week is news again
    await make_request(world, world.bob, topics="flask")
    await advance(simcord_env, 14 * DAY)
    posted = [m for m in world.log.history() if m.embeds]
    assert len(posted) == 4
    assert f"<@{world.bob.id}>" in (posted[-1].embeds[0].description or "")


async def test_release_needs_a_note_within_limits_and_changes_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    request_id, _thread = await paired(world)
    result = await world.mentor.slash(
        world.general, "mentor-tools release", mentee=world.alice, note="x" * 501
    )
    assert result.ephemeral
    assert "1 to 500 characters" in text_of(result)
    other = await world.mentor2.slash(
        world.general, "mentor-tools release", mentee=world.alice, note="Not mine"
    )
    assert "not mentoring" in text_of(other)
    states = await rows(simcord_env, "SELECT state FROM mentor_pairings")
    assert [r["state"] for r in states] == ["active"]
    assert request_id


async def test_no_checkin_after_the_pairing_ended(
    simcord_env: simcord.Env, world: World
) -> None:
    _request_id, thread = await paired(world)
    outsider = await world.carol.slash(world.general, "mentor end")
    assert "no active mentoring pairing" in text_of(outsider)
    await world.mentor.slash(world.general, "mentor end", mentee=world.alice)
    await advance(simcord_env, 30 * DAY)
    assert checkins_in(thread) == []


async def test_mentor_admin_is_hidden_from_members_until_the_server_grants_it(
    simcord_env: simcord.Env, world: World
) -> None:
    def sees(member: simcord.MemberActor) -> set[str]:
        return set(member.available_commands(world.general))

    admin = simcord_env.backend.commands[None][("mentor-admin", 1)]
    world.guild.set_command_permissions(int(admin["id"]), {})
    assert not {c for c in sees(world.alice) if c.startswith("mentor-admin")}
    assert not {c for c in sees(world.mentor) if c.startswith("mentor-admin")}
    assert {"mentor request", "mentor status", "mentor-tools queue"} <= sees(
        world.mentor
    )
    assert "mentor-admin match" in sees(world.admin)
    world.guild.set_command_permissions(int(admin["id"]), {world.organiser_role: True})
    assert "mentor-admin stats" in sees(world.organiser)
    assert not {c for c in sees(world.alice) if c.startswith("mentor-admin")}


async def test_organisers_the_bot_has_seen_join_a_new_pairs_thread(
    simcord_env: simcord.Env, world: World
) -> None:
    """Without the members intent an organiser role lists no members, so organisers
    were never added to a new pair's private thread. The bot now remembers the
    organisers it has seen use it, checks each still holds the role, and adds them."""
    await world.organiser.slash(world.general, "mentor-admin stats")
    _request_id, thread = await paired(world)
    members = thread_members(simcord_env, thread)
    assert world.organiser.id in members
    assert {world.mentor.id, world.alice.id} <= members
    assert world.carol.id not in members


async def test_an_organiser_who_lost_the_role_is_not_added_to_a_new_thread(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.organiser.slash(world.general, "mentor-admin stats")
    simcord_env.backend.remove_member_role(
        world.guild.id, world.organiser.id, world.organiser_role.id
    )
    _request_id, thread = await paired(world)
    assert world.organiser.id not in thread_members(simcord_env, thread)
