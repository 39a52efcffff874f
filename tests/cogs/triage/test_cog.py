from __future__ import annotations

from typing import Any

import discord
import simcord

from bot import PalletsBot
from bot.devtools.testing import post_question
from bot.devtools.testing import restart
from bot.devtools.testing import World
from bot.settings import Settings

DAY = 86_400

SQLA_TITLE = "Flask-SQLAlchemy session does not commit"
SQLA_BODY = (
    "I use flask_sqlalchemy with db.session.add(user) but after the request the row "
    "is not in the database. Using Flask 3.1."
)


def bot_of(env: simcord.Env) -> PalletsBot:
    bot = env.bot
    assert isinstance(bot, PalletsBot)
    return bot


def bot_messages(
    thread: simcord.ChannelHandle, env: simcord.Env
) -> list[discord.Message]:
    me = bot_of(env).user
    assert me is not None
    return [m for m in thread.history() if m.author.id == me.id]


def checklists(
    thread: simcord.ChannelHandle, env: simcord.Env
) -> list[discord.Message]:
    return [m for m in bot_messages(thread, env) if "Thanks for asking" in m.content]


async def question_row(env: simcord.Env, thread_id: int) -> Any:
    return await bot_of(env).db.fetchone(
        "SELECT * FROM triage_questions WHERE thread_id = ?", (thread_id,)
    )


def tag_names(
    env: simcord.Env, world: World, thread: simcord.ChannelHandle
) -> list[str]:
    backend = env.backend
    forum = backend.get_channel(world.questions.id)
    by_id = {int(t["id"]): t["name"] for t in forum.available_tags}
    return [by_id[t] for t in backend.get_channel(thread.id).applied_tags]


async def test_new_question_gets_tags_and_one_checklist(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    assert set(tag_names(simcord_env, world, thread)) >= {"Flask-SQLAlchemy", "Flask"}
    assert len(checklists(thread, simcord_env)) == 1
    row = await question_row(simcord_env, thread.id)
    assert row["author_id"] == world.alice.id
    assert row["title"] == SQLA_TITLE
    assert "db.session.add" in row["body"]
    # Another message from the asker is not a new starter.
    await world.alice.send(thread, "Here is more code: db.session.commit()")
    assert len(checklists(thread, simcord_env)) == 1


async def test_posts_outside_the_forum_are_ignored(
    simcord_env: simcord.Env, world: World
) -> None:
    before = len(simcord_env.http_requests)
    await world.alice.send(world.general, "thanks, flask-sqlalchemy rocks")
    posts = [e for e in simcord_env.http_requests[before:] if e.method == "POST"]
    assert posts == []
    assert (
        await bot_of(simcord_env).db.fetchval("SELECT count(*) FROM triage_questions")
        == 0
    )


async def solve_first_question(env: simcord.Env, world: World) -> simcord.ChannelHandle:
    first = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    answer = await world.helper.send(
        first, "You never call db.session.commit(); add it after db.session.add()."
    )
    result = await world.alice.slash(first, "solved", helper=world.helper)
    assert result.response is not None and not result.ephemeral
    assert "Marked as solved" in result.response.content
    row = await question_row(env, first.id)
    assert row["state"] == "solved"
    assert row["helper_id"] == world.helper.id
    assert row["answer_message_id"] == answer.id
    assert "commit" in row["solution"]
    return first


async def test_similar_solved_question_is_suggested(
    simcord_env: simcord.Env, world: World
) -> None:
    first = await solve_first_question(simcord_env, world)
    assert "Solved" in tag_names(simcord_env, world, first)
    second = await post_question(
        world,
        world.bob,
        "db.session.add does not save my user",
        "With flask_sqlalchemy the user row is missing after the request.",
    )
    [checklist] = checklists(second, simcord_env)
    assert f"<#{first.id}>" in checklist.content
    unrelated = await post_question(
        world, world.carol, "Jinja macro with default arguments", "{% macro x(a=1) %}"
    )
    [checklist] = checklists(unrelated, simcord_env)
    assert f"<#{first.id}>" not in checklist.content
    assert "look similar" not in checklist.content


async def test_fts_syntax_in_a_title_cannot_break_the_search(
    simcord_env: simcord.Env, world: World
) -> None:
    await solve_first_question(simcord_env, world)
    thread = await post_question(
        world,
        world.bob,
        'NEAR("db" session) OR title:* AND "unterminated ^col -x',
        'db.session" OR 1=1; -- ) ( * : ^ {title solution}: commit',
    )
    assert len(checklists(thread, simcord_env)) == 1


async def test_stranger_solved_only_asks_the_asker(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.helper.send(thread, "Call db.session.commit().")
    result = await world.bob.slash(thread, "solved", helper=world.helper)
    assert result.response is not None and not result.ephemeral
    assert f"<@{world.alice.id}>" in result.response.content
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "open"
    assert "Solved" not in tag_names(simcord_env, world, thread)
    request = next(
        e
        for e in reversed(simcord_env.http_requests)
        if isinstance(e.json, dict) and "thinks your question is solved" in str(e.json)
    )
    assert request.json is not None
    mentions = request.json.get("allowed_mentions") or request.json["data"].get(
        "allowed_mentions"
    )
    assert mentions["users"] == [str(world.alice.id)] or mentions["users"] == [
        world.alice.id
    ]
    # Only the asker can confirm.
    refused = await world.bob.click(result.response, label="Yes, it is solved")
    assert refused.ephemeral
    assert (await question_row(simcord_env, thread.id))["state"] == "open"
    confirmed = await world.alice.click(result.response, label="Yes, it is solved")
    assert not confirmed.ephemeral
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "solved"
    assert row["helper_id"] == world.helper.id
    assert "Solved" in tag_names(simcord_env, world, thread)


async def test_thank_you_offers_the_button_once(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.helper.send(thread, "Call db.session.commit().")
    await world.alice.send(thread, "Thanks, that worked!")
    await world.alice.send(thread, "danke nochmal")
    offers = [m for m in bot_messages(thread, simcord_env) if m.components]
    assert len(offers) == 1
    assert (await question_row(simcord_env, thread.id))["state"] == "open"
    result = await world.alice.click(offers[0], label="Mark as solved")
    assert not result.ephemeral
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "solved"
    assert row["helper_id"] == world.helper.id


async def test_thanks_in_advance_offers_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.alice.send(thread, "Any idea? Thanks in advance")
    assert [m for m in bot_messages(thread, simcord_env) if m.components] == []


async def test_restart_does_not_repeat_the_checklist(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await restart(simcord_env, settings)
    await world.alice.send(
        thread, "Still stuck, here is my model: class User(db.Model)"
    )
    await world.helper.send(thread, "Show the view please.")
    assert len(checklists(thread, simcord_env)) == 1


async def test_a_week_of_quiet_posts_exactly_one_nudge_and_closes_nothing(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.helper.send(thread, "Did you call db.session.commit()?")
    for _ in range(8):
        await simcord_env.advance_time(DAY)
        await simcord_env.settle()
    nudges = [m for m in bot_messages(thread, simcord_env) if "a week" in m.content]
    assert len(nudges) == 1
    assert f"<@{world.alice.id}>" in nudges[0].content
    await simcord_env.advance_time(14 * DAY)
    await simcord_env.settle()
    nudges = [m for m in bot_messages(thread, simcord_env) if "a week" in m.content]
    assert len(nudges) == 1
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "open"
    metadata = simcord_env.backend.get_channel(thread.id).thread_metadata
    assert metadata is not None
    assert not metadata.archived
    assert not metadata.locked
    # The buttons work: still need help puts it back in the queue.
    result = await world.alice.click(nudges[0], label="Still need help")
    assert not result.ephemeral
    queue = await world.helper.slash(world.general, "triage queue")
    assert queue.response is not None
    assert f"<#{thread.id}>" in str(queue.response.embeds[0].description)


async def test_queue_lists_unanswered_oldest_first_and_filters_by_tag(
    simcord_env: simcord.Env, world: World
) -> None:
    old = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await simcord_env.advance_time(3600)
    jinja = await post_question(
        world, world.bob, "Jinja include path", "TemplateNotFound with jinja2"
    )
    answered = await post_question(
        world, world.carol, "Werkzeug reloader", "The werkzeug reloader loops"
    )
    await world.helper.send(answered, "Set use_reloader=False.")
    result = await world.helper.slash(world.general, "triage queue")
    assert result.ephemeral and result.response is not None
    text = str(result.response.embeds[0].description)
    assert text.index(f"<#{old.id}>") < text.index(f"<#{jinja.id}>")
    assert f"<#{answered.id}>" not in text
    filtered = await world.helper.slash(world.general, "triage queue", tag="Jinja")
    assert filtered.response is not None
    text = str(filtered.response.embeds[0].description)
    assert f"<#{jinja.id}>" in text and f"<#{old.id}>" not in text


async def test_queue_pages_with_buttons(simcord_env: simcord.Env, world: World) -> None:
    threads = []
    for n in range(10):
        threads.append(
            await post_question(world, world.alice, f"Question number {n}", "flask")
        )
        await simcord_env.advance_time(60)
    result = await world.helper.slash(world.general, "triage queue")
    assert result.response is not None
    first_page = str(result.response.embeds[0].description)
    assert f"<#{threads[0].id}>" in first_page
    assert f"<#{threads[9].id}>" not in first_page
    second = await world.helper.click(result.response, label="Next")
    message = second.response or second.updated_message  # type: ignore[attr-defined]
    assert message is not None
    assert f"<#{threads[9].id}>" in str(message.embeds[0].description)


def queue_text(message: Any) -> tuple[str, str]:
    """The listed questions and the footer of a /triage queue page."""
    (embed,) = message.embeds
    return str(embed.description), str(embed.footer.text)


async def test_queue_turns_to_page_two_and_back(
    simcord_env: simcord.Env, world: World
) -> None:
    threads = []
    for n in range(10):
        threads.append(
            await post_question(world, world.alice, f"Question number {n}", "flask")
        )
        await simcord_env.advance_time(60)
    result = await world.helper.slash(world.general, "triage queue")
    assert result.ephemeral and result.response is not None
    listed, footer = queue_text(result.response)
    assert footer == "Page 1 of 2, 10 questions, oldest first"
    turned = await world.helper.click(result.response, label="Next")
    assert turned.response is not None
    listed, footer = queue_text(turned.response)
    assert f"<#{threads[9].id}>" in listed and f"<#{threads[0].id}>" not in listed
    assert footer == "Page 2 of 2, 10 questions, oldest first"
    back = await world.helper.click(turned.response, label="Previous")
    assert back.response is not None
    listed, footer = queue_text(back.response)
    assert f"<#{threads[0].id}>" in listed and f"<#{threads[9].id}>" not in listed
    assert footer == "Page 1 of 2, 10 questions, oldest first"


async def test_a_one_page_queue_has_no_buttons(
    simcord_env: simcord.Env, world: World
) -> None:
    await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    result = await world.helper.slash(world.general, "triage queue")
    assert result.response is not None
    assert result.response.components == []


async def test_queue_next_works_after_a_restart_and_keeps_the_tag(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    other = await post_question(world, world.bob, SQLA_TITLE, SQLA_BODY)
    threads = []
    for n in range(9):
        await simcord_env.advance_time(60)
        threads.append(
            await post_question(world, world.alice, f"Jinja macro {n}", "jinja2")
        )
    result = await world.helper.slash(world.general, "triage queue", tag="Jinja")
    assert result.response is not None
    listed, _footer = queue_text(result.response)
    assert f"<#{other.id}>" not in listed
    await restart(simcord_env, settings)
    turned = await world.helper.click(result.response, label="Next")
    assert turned.response is not None
    listed, footer = queue_text(turned.response)
    assert f"<#{threads[8].id}>" in listed and f"<#{threads[7].id}>" not in listed
    assert footer == "Page 2 of 2, 9 questions, oldest first"


async def test_plain_member_cannot_use_helper_tools(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    # Discord hides /triage from bob; an admin who shows it to everyone by mistake
    # still leaves the bot's own role check in the way.
    assert "triage queue" not in world.bob.available_commands(world.general)
    triage = simcord_env.backend.commands[None][("triage", 1)]
    world.guild.set_command_permissions(int(triage["id"]), {world.bob: True})
    for command, options in [
        ("triage close", {"reason": "off-topic"}),
        ("triage queue", {}),
        ("triage escalate", {}),
        ("triage stats", {}),
        ("triage tag-rule-add", {"tag": "Flask", "keyword": "quokka"}),
    ]:
        result = await world.bob.slash(thread, command, **options)
        assert result.ephemeral, command
        assert result.response is not None
        assert "helper" in result.response.content
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "open"
    assert (
        await bot_of(simcord_env).db.fetchval("SELECT count(*) FROM triage_tag_rules")
        == 0
    )


async def test_close_needs_the_link_its_reason_needs(
    simcord_env: simcord.Env, world: World
) -> None:
    earlier = await post_question(world, world.bob, SQLA_TITLE, SQLA_BODY)
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    before = len(simcord_env.http_requests)
    for options in [
        {"reason": "duplicate"},
        {"reason": "duplicate", "link": "https://example.com/x"},
        {"reason": "duplicate", "link": f"<#{thread.id}>"},
        {"reason": "moved-to-github"},
        {"reason": "moved-to-github", "link": "https://gitlab.com/a/b/issues/1"},
    ]:
        result = await world.helper.slash(thread, "triage close", **options)
        assert result.ephemeral, options
    assert (await question_row(simcord_env, thread.id))["state"] == "open"
    edits = [
        e
        for e in simcord_env.http_requests[before:]
        if e.method == "PATCH" and e.path == f"/channels/{thread.id}"
    ]
    assert edits == []
    result = await world.helper.slash(
        thread, "triage close", reason="duplicate", link=f"<#{earlier.id}>"
    )
    assert result.response is not None and not result.ephemeral
    assert "duplicate" in result.response.content
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "closed" and row["close_reason"] == "duplicate"
    assert "Closed" in tag_names(simcord_env, world, thread)
    metadata = simcord_env.backend.get_channel(thread.id).thread_metadata
    assert metadata is not None and metadata.archived
    # The asker can reopen it.
    reopened = await world.alice.slash(thread, "reopen")
    assert reopened.response is not None and not reopened.ephemeral
    assert (await question_row(simcord_env, thread.id))["state"] == "open"
    assert "Closed" not in tag_names(simcord_env, world, thread)


async def test_close_moved_to_github(simcord_env: simcord.Env, world: World) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    result = await world.helper.slash(
        thread,
        "triage close",
        reason="moved-to-github",
        link="https://github.com/pallets/flask/issues/5000",
        note="Thanks for the report",
    )
    assert result.response is not None
    assert "https://github.com/pallets/flask/issues/5000" in result.response.content
    assert (await question_row(simcord_env, thread.id))["state"] == "closed"


async def test_escalate_builds_an_encoded_github_link(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(
        world, world.alice, "Werkzeug & routing: 100% broken?", "werkzeug #1 <bug>"
    )
    result = await world.helper.slash(thread, "triage escalate")
    assert result.ephemeral and result.response is not None
    description = str(result.response.embeds[0].description)
    assert "https://github.com/pallets/werkzeug/issues/new?title=" in description
    assert "Werkzeug%20%26%20routing%3A%20100%25%20broken%3F" in description
    row = await bot_of(simcord_env).db.fetchone("SELECT * FROM triage_escalations")
    assert row is not None and row["repo"] == "pallets/werkzeug"
    chosen = await world.helper.slash(
        thread, "triage escalate", repo="pallets-eco/flask-sqlalchemy"
    )
    assert chosen.response is not None
    assert "pallets-eco/flask-sqlalchemy" in str(chosen.response.embeds[0].description)


async def test_people_tags_are_kept(simcord_env: simcord.Env, world: World) -> None:
    backend = simcord_env.backend
    backend.edit_channel(
        world.questions.id,
        {
            "available_tags": [
                {
                    "id": "900",
                    "name": "Beginner",
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                }
            ]
        },
    )
    await simcord_env.settle()
    raw = backend.create_thread(
        world.questions.id,
        SQLA_TITLE,
        world.alice.id,
        type=discord.ChannelType.public_thread.value,
        applied_tags=[900],
    )
    thread = simcord.ChannelHandle(simcord_env, world.guild, raw)
    await simcord_env.settle()
    await world.alice.send(thread, SQLA_BODY)
    names = tag_names(simcord_env, world, thread)
    assert names[0] == "Beginner"
    assert "Flask-SQLAlchemy" in names
    assert len(names) <= 5
    await world.alice.slash(thread, "solved")
    names = tag_names(simcord_env, world, thread)
    assert "Beginner" in names and "Solved" in names


async def test_huge_bodies_are_truncated(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, "Big traceback", "x " * 995)
    row = await question_row(simcord_env, thread.id)
    assert len(row["body"]) <= 1500
    assert len(checklists(thread, simcord_env)) == 1


async def test_deleted_thread_is_forgotten(
    simcord_env: simcord.Env, world: World
) -> None:
    first = await solve_first_question(simcord_env, world)
    simcord_env.backend.delete_channel(first.id)
    await simcord_env.settle()
    row = await question_row(simcord_env, first.id)
    assert row["state"] == "deleted"
    second = await post_question(world, world.bob, SQLA_TITLE, SQLA_BODY)
    [checklist] = checklists(second, simcord_env)
    assert f"<#{first.id}>" not in checklist.content


async def test_solved_post_is_archived_after_a_quiet_day(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await solve_first_question(simcord_env, world)
    await simcord_env.advance_time(12 * 3600)
    await world.alice.send(thread, "One more detail for later readers.")
    await simcord_env.advance_time(13 * 3600)
    metadata = simcord_env.backend.get_channel(thread.id).thread_metadata
    assert metadata is not None and not metadata.archived
    await simcord_env.advance_time(12 * 3600)
    await simcord_env.settle()
    metadata = simcord_env.backend.get_channel(thread.id).thread_metadata
    assert metadata is not None and metadata.archived
    assert (await question_row(simcord_env, thread.id))["state"] == "solved"


async def test_daily_digest_lists_new_unanswered_solved_and_helpers(
    simcord_env: simcord.Env, world: World
) -> None:
    solved = await solve_first_question(simcord_env, world)
    waiting = await post_question(
        world, world.bob, "Click option parsing", "import click; @click.option"
    )
    await simcord_env.advance_time(DAY + 10 * 3600)
    await simcord_env.settle()
    digests = [m for m in world.helpers.history() if m.embeds]
    assert len(digests) == 2
    first, second = (d.embeds[0] for d in digests)
    first_fields = {f.name: f.value for f in first.fields}
    assert f"<#{waiting.id}>" in str(first_fields["2 new questions"])
    assert f"<@{world.helper.id}>" in str(first_fields["Top helpers this week"])
    second_fields = {f.name: f.value for f in second.fields}
    assert f"<#{waiting.id}>" in str(second_fields["1 unanswered for more than a day"])
    assert f"<#{solved.id}>" not in str(
        second_fields["1 unanswered for more than a day"]
    )
    # the first digest counts the day's solved question; the second, none since
    assert first_fields["Solved in the last day"] == "1"
    assert second_fields["Solved since the last digest"] == "0"


def digests(world: World) -> list[discord.Message]:
    return [m for m in world.helpers.history() if m.embeds]


async def test_digest_posts_only_when_something_changed(
    simcord_env: simcord.Env, world: World
) -> None:
    waiting = await post_question(world, world.bob, "Click option parsing", "click")
    # A month with one question nobody answers: news on the first day, then only
    # when it has waited 1, 3, 7, 14 and 30 days: six digests, not thirty-one.
    await simcord_env.advance_time(31 * DAY)
    await simcord_env.settle()
    posted = digests(world)
    days = [(m.created_at.day, m.created_at.hour) for m in posted]
    assert days == [(1, 9), (2, 9), (4, 9), (8, 9), (15, 9), (31, 9)]
    for message in posted:
        fields = {f.name: str(f.value) for f in message.embeds[0].fields}
        listed = "\n".join(fields.values())
        # each question is listed with its age (a Discord timestamp, relative)
        assert f"<#{waiting.id}>, asked <t:" in listed and ":R>" in listed
    assert "What changed since the last digest" in str(posted[-1].embeds[0].description)
    # an answer is news once; then nothing changes and nothing is posted
    await world.helper.send(waiting, "Use click.Choice for that.")
    await simcord_env.advance_time(5 * DAY)
    await simcord_env.settle()
    assert len(digests(world)) == 7
    last = {f.name: str(f.value) for f in digests(world)[-1].embeds[0].fields}
    assert f"<#{waiting.id}>" not in "\n".join(last.values())


async def test_digest_time_and_days_are_set_per_server(
    simcord_env: simcord.Env, world: World
) -> None:
    await post_question(world, world.bob, "Click option parsing", "click")
    shown = await world.helper.slash(world.general, "triage digest")
    assert "09:00 (UTC), every day" in str(shown.response.content)  # type: ignore[union-attr]
    # without a timezone of its own, the digest follows the server's
    await world.admin.slash(world.general, "setup timezone", timezone="Asia/Tokyo")
    shown = await world.helper.slash(world.general, "triage digest")
    assert "09:00 (Asia/Tokyo), every day" in str(shown.response.content)  # type: ignore[union-attr]
    bad_time = await world.helper.slash(world.general, "triage digest", time="25:00")
    assert "HH:MM" in str(bad_time.response.content)  # type: ignore[union-attr]
    bad_days = await world.helper.slash(world.general, "triage digest", days="someday")
    assert "do not understand the days" in str(bad_days.response.content)  # type: ignore[union-attr]
    assert "triage digest" not in world.alice.available_commands(world.general)
    assert (
        await bot_of(simcord_env).db.fetchval("SELECT count(*) FROM triage_digest") == 0
    )
    choices = await world.helper.autocomplete(
        world.general, "triage digest", "days", "mon, wed"
    )
    assert choices[0] == {"name": "Monday and Wednesday", "value": "mon,wed"}
    saved = await world.helper.slash(
        world.general,
        "triage digest",
        time="18:30",
        days="mon,wed",
        timezone="Europe/Paris",
    )
    content = str(saved.response.content)  # type: ignore[union-attr]
    assert "18:30 (Europe/Paris), Monday and Wednesday" in content
    # 18:30 in Paris is 17:30 UTC; the first Monday is 2026-01-05
    monday = 1767634200
    assert f"<t:{monday}:F>" in content
    pending = await bot_of(simcord_env).db.fetchall(
        "SELECT due_at FROM jobs WHERE kind = 'triage.digest' AND state = 'pending'"
    )
    assert [row["due_at"] for row in pending] == [monday]
    await simcord_env.advance_time(monday - simcord_env.now().timestamp() - 60)
    await simcord_env.settle()
    assert digests(world) == []
    await simcord_env.advance_time(120)
    await simcord_env.settle()
    [digest] = digests(world)
    assert (digest.created_at.weekday(), digest.created_at.hour) == (0, 17)


async def test_stats_counts_states_and_times(
    simcord_env: simcord.Env, world: World
) -> None:
    await solve_first_question(simcord_env, world)
    await post_question(world, world.bob, "Jinja include", "jinja2 include")
    result = await world.helper.slash(world.general, "triage stats", days=7)
    assert result.ephemeral and result.response is not None
    embed = result.response.embeds[0]
    fields = {f.name: str(f.value) for f in embed.fields}
    assert "Open: 1" in fields["By state"]
    assert "Solved: 1" in fields["By state"]
    assert "Jinja: 1" in fields["By tag"]


async def test_helper_keyword_rule_tags_new_questions(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await world.helper.slash(
        world.general, "triage tag-rule-add", tag="flask-login", keyword="remember_me"
    )
    assert result.response is not None and result.ephemeral
    bad = await world.helper.slash(
        world.general, "triage tag-rule-add", tag="NoSuchLib", keyword="x y"
    )
    assert bad.ephemeral
    thread = await post_question(
        world, world.alice, "Cookie lifetime", "remember_me=True"
    )
    assert "Flask-Login" in tag_names(simcord_env, world, thread)
    listed = await world.helper.slash(world.general, "triage tag-rules")
    assert listed.response is not None
    assert "remember" in str(listed.response.embeds[0].description)
    keywords = await world.helper.autocomplete(
        world.general, "triage tag-rule-remove", "keyword", "rem"
    )
    assert [c["value"] for c in keywords] == ["remember_me"]
    tags = await world.helper.autocomplete(
        world.general, "triage tag-rule-add", "tag", "login"
    )
    assert [c["value"] for c in tags] == ["Flask-Login"]
    removed = await world.helper.slash(
        world.general,
        "triage tag-rule-remove",
        tag="Flask-Login",
        keyword="remember_me",
    )
    assert removed.response is not None and "removed" in removed.response.content


async def test_tag_rules_page_and_the_pages_check_the_role_again(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    for n in range(25):
        await world.helper.slash(
            world.general, "triage tag-rule-add", tag="Flask", keyword=f"word{n:02d}"
        )
    listed = await world.helper.slash(world.general, "triage tag-rules")
    assert listed.response is not None
    [first] = listed.response.embeds
    assert first.title == "25 keyword rules helpers added"
    assert first.footer.text == "Page 1 of 2"
    assert "word00" in str(first.description) and "word24" not in str(first.description)
    await restart(simcord_env, settings)
    turned = await world.helper.click(listed.response, label="Next")
    assert turned.response is not None
    assert "word24" in str(turned.response.embeds[0].description)
    await world.admin.slash(world.general, "setup roles", helper=world.mentor_role)
    refused = await world.helper.click(listed.response, label="Previous")
    assert refused.response is not None and not refused.response.embeds
    assert "helper" in str(refused.response.content)


async def test_solved_outside_a_question_is_refused(
    simcord_env: simcord.Env, world: World
) -> None:
    result = await world.alice.slash(world.general, "solved")
    assert result.ephemeral
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    bad = await world.alice.slash(thread, "solved", answer="not a link")
    assert bad.ephemeral
    assert (await question_row(simcord_env, thread.id))["state"] == "open"


async def test_deleted_starter_drops_the_stored_text(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    starter = next(m for m in thread.history() if m.author.id == world.alice.id)
    await world.alice.delete(starter)
    row = await question_row(simcord_env, thread.id)
    assert row["body"] == ""
    assert row["state"] == "open"


async def test_buttons_work_after_a_restart(
    simcord_env: simcord.Env, world: World, settings: Settings
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.helper.send(thread, "Call db.session.commit().")
    await world.alice.send(thread, "merci, ça marche")
    [offer] = [m for m in bot_messages(thread, simcord_env) if m.components]
    await restart(simcord_env, settings)
    result = await world.alice.click(offer, label="Mark as solved")
    assert not result.ephemeral
    assert (await question_row(simcord_env, thread.id))["state"] == "solved"
    await world.alice.send(thread, "thanks again")
    assert len([m for m in bot_messages(thread, simcord_env) if m.components]) == 1


async def test_helper_solves_with_an_answer_link_and_the_author_is_thanked(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    answer = await world.bob.send(thread, "Add db.session.commit() at the end.")
    await world.carol.send(thread, "+1, same problem here")
    link = f"https://discord.com/channels/{world.guild.id}/{thread.id}/{answer.id}"
    result = await world.helper.slash(thread, "solved", answer=link)
    assert result.response is not None and not result.ephemeral
    assert f"<@{world.bob.id}>" in result.response.content
    row = await question_row(simcord_env, thread.id)
    assert row["state"] == "solved"
    assert row["helper_id"] == world.bob.id
    assert row["solved_by_id"] == world.helper.id
    assert row["solution"] == "Add db.session.commit() at the end."
    again = await world.alice.slash(thread, "solved")
    assert again.ephemeral


async def test_solved_suggests_the_replies_that_could_be_the_answer(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    answer = await world.bob.send(thread, "Add db.session.commit() at the end.")
    await world.alice.send(thread, "Where exactly?")  # the asker's own: not offered
    other = await world.carol.send(thread, "+1, same problem here")
    choices = await world.helper.autocomplete(thread, "solved", "answer", "")
    assert [c["value"] for c in choices] == [str(other.id), str(answer.id)]
    assert choices[1]["name"] == "bob: Add db.session.commit() at the end."
    typed = await world.helper.autocomplete(thread, "solved", "answer", "commit")
    assert [c["value"] for c in typed] == [str(answer.id)]
    by_helper = await world.helper.autocomplete(
        thread, "solved", "answer", "", helper=world.carol
    )
    assert [c["value"] for c in by_helper] == [str(other.id)]
    # the suggestion is what /solved takes: the bare id of the message
    result = await world.helper.slash(thread, "solved", answer=str(answer.id))
    assert f"<@{world.bob.id}>" in (result.response.content if result.response else "")
    row = await question_row(simcord_env, thread.id)
    assert row["solution"] == "Add db.session.commit() at the end."
    outside = await world.helper.autocomplete(world.general, "solved", "answer", "")
    assert outside == []


async def test_forum_tags_are_created_once_and_stay_within_20(
    simcord_env: simcord.Env, world: World
) -> None:
    await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await post_question(world, world.bob, SQLA_TITLE, SQLA_BODY)
    forum = simcord_env.backend.get_channel(world.questions.id)
    names = [t["name"] for t in forum.available_tags]
    assert len(names) == len(set(names))
    assert len(names) <= 20


async def test_nudge_waits_a_week_from_the_asker_s_last_message(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    await world.helper.send(thread, "Did you call db.session.commit()?")
    await simcord_env.advance_time(3 * DAY)
    await world.alice.send(thread, "Trying it now")
    await simcord_env.advance_time(5 * DAY)
    await simcord_env.settle()
    assert [m for m in bot_messages(thread, simcord_env) if "a week" in m.content] == []
    await simcord_env.advance_time(3 * DAY)
    await simcord_env.settle()
    nudges = [m for m in bot_messages(thread, simcord_env) if "a week" in m.content]
    assert len(nudges) == 1
    # Solved from the nudge: nothing more is scheduled for it.
    await world.alice.click(nudges[0], label="Solved")
    assert (await question_row(simcord_env, thread.id))["state"] == "solved"


async def test_no_nudge_when_solved_or_never_answered(
    simcord_env: simcord.Env, world: World
) -> None:
    unanswered = await post_question(world, world.alice, "Jinja loop", "jinja2 loop")
    solved = await solve_first_question(simcord_env, world)
    await simcord_env.advance_time(10 * DAY)
    await simcord_env.settle()
    for thread in (unanswered, solved):
        assert [
            m for m in bot_messages(thread, simcord_env) if "a week" in m.content
        ] == []
    assert (await question_row(simcord_env, unanswered.id))["state"] == "open"


async def test_refusals_say_why_in_words(
    simcord_env: simcord.Env, world: World
) -> None:
    thread = await post_question(world, world.alice, SQLA_TITLE, SQLA_BODY)
    same = await world.helper.slash(
        thread, "triage close", reason="duplicate", link=f"<#{thread.id}>"
    )
    assert same.ephemeral and same.response is not None
    assert same.response.content == "A post cannot be a duplicate of itself."
    outside = await world.alice.slash(world.general, "solved")
    assert outside.response is not None
    assert outside.response.content == "Use this inside a post in the questions forum."
    stranger = await world.bob.slash(thread, "reopen")
    assert stranger.response is not None
    assert stranger.response.content == (
        "Only the person who asked or a helper can reopen this."
    )


async def test_triage_is_hidden_from_members_until_the_server_grants_it(
    simcord_env: simcord.Env, world: World
) -> None:
    def sees(member: Any) -> set[str]:
        return set(member.available_commands(world.general))

    triage = simcord_env.backend.commands[None][("triage", 1)]
    # as Discord ships it: only members who can manage the server see /triage
    world.guild.set_command_permissions(int(triage["id"]), {})
    assert not {c for c in sees(world.alice) if c.startswith("triage")}
    assert {"solved", "reopen"} <= sees(world.alice)
    assert not {c for c in sees(world.helper) if c.startswith("triage")}
    assert "triage queue" in sees(world.admin)
    # helpers are a role, not a Discord permission: the admin shows it to the role
    world.guild.set_command_permissions(int(triage["id"]), {world.helper_role: True})
    assert "triage queue" in sees(world.helper)
    assert not {c for c in sees(world.alice) if c.startswith("triage")}


async def test_search_index_upkeep_runs_daily_and_keeps_suggesting(
    simcord_env: simcord.Env, world: World
) -> None:
    bot = bot_of(simcord_env)
    first = await solve_first_question(simcord_env, world)
    await post_question(world, world.bob, "Jinja macro", "jinja macro import")
    planned = await bot.db.fetchall(
        "SELECT key, due_at FROM jobs WHERE kind = 'triage.index' AND state = 'pending'"
    )
    assert [row["due_at"] % 86_400 for row in planned] == [4 * 3600]
    segments = await bot.db.fetchval("SELECT count(DISTINCT segid) FROM triage_fts_idx")
    await simcord_env.advance_time(planned[0]["due_at"] - simcord_env.now().timestamp())
    await simcord_env.settle()
    assert (
        await bot.db.fetchval(
            "SELECT state FROM jobs WHERE key = ?", (planned[0]["key"],)
        )
        == "done"
    )
    assert (
        await bot.db.fetchval("SELECT count(DISTINCT segid) FROM triage_fts_idx")
        <= segments
    )
    tomorrow = await bot.db.fetchval(
        "SELECT due_at FROM jobs WHERE kind = 'triage.index' AND state = 'pending'"
    )
    assert tomorrow == planned[0]["due_at"] + 86_400
    second = await post_question(world, world.carol, SQLA_TITLE, SQLA_BODY)
    [checklist] = checklists(second, simcord_env)
    assert f"<#{first.id}>" in checklist.content
