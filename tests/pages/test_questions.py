"""Solved questions on the public pages: consent, removal at once, search, forum."""

from __future__ import annotations

import discord
import simcord
from simcord import ChannelHandle
from simcord.backend.models import Overwrite
from simcord.enums import ChannelType
from simcord.enums import OverwriteType

from bot.devtools.testing import World
from cogs.triage import _queries as triage_queries
from tests.pages.conftest import ANSWER
from tests.pages.conftest import ask_and_solve
from tests.pages.conftest import bot_of
from tests.pages.conftest import get
from tests.pages.conftest import populate
from tests.pages.conftest import QUESTION


async def test_solved_questions_stay_off_until_the_organiser_turns_them_on(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True)
    thread_id = await ask_and_solve(world, world.alice, world.helper, *QUESTION, ANSWER)
    home = await get(simcord_env, f"/{world.guild.id}/")
    assert "Solved questions" not in home.text
    assert (await get(simcord_env, f"/{world.guild.id}/questions")).status == 404
    assert (
        await get(simcord_env, f"/{world.guild.id}/questions/{thread_id}")
    ).status == 404
    await world.admin.slash(world.general, "setup pages", questions=True)
    listing = await get(simcord_env, f"/{world.guild.id}/questions")
    assert listing.status == 200 and QUESTION[0] in listing.text


async def test_the_question_and_its_answer_with_names_only_by_consent(
    simcord_env: simcord.Env, world: World
) -> None:
    data = await populate(simcord_env, world)
    page = await get(simcord_env, f"/{world.guild.id}/questions/{data.question_id}")
    assert page.status == 200
    assert f"<h1>{QUESTION[0]}</h1>" in page.text
    # The code block as code; the answer; alice agreed to her name, hugo did not.
    assert "<pre><code>app.register_blueprint(bp, url_prefix=&#39;/api&#39;)" in (
        page.text
    )
    assert ANSWER in page.text
    assert "Asked by alice" in page.text
    assert "Answered by a member" in page.text and "hugo" not in page.text
    assert (
        f'href="https://discord.com/channels/{world.guild.id}/{data.question_id}"'
        in page.text
    )

    listing = await get(simcord_env, f"/{world.guild.id}/questions")
    assert "Asked by a member, answered by a member" in listing.text  # bob's
    assert "Asked by alice, answered by a member" in listing.text
    # carol took her content off the pages.
    assert "Werkzeug reloader" not in listing.text
    gone = f"/{world.guild.id}/questions/{data.removed_question_id}"
    assert (await get(simcord_env, gone)).status == 404

    # hugo agrees: his name shows on every answer he wrote, on the next view.
    await world.helper.slash(world.general, "pages names", show=True)
    assert (
        "Answered by hugo"
        in (
            await get(simcord_env, f"/{world.guild.id}/questions/{data.question_id}")
        ).text
    )
    await world.helper.slash(world.general, "pages names", show=False)
    assert "hugo" not in (await get(simcord_env, f"/{world.guild.id}/questions")).text


async def test_a_member_removes_their_content_and_it_is_gone_at_once(
    simcord_env: simcord.Env, world: World
) -> None:
    data = await populate(simcord_env, world)
    path = f"/{world.guild.id}/questions/{data.question_id}"
    before = await get(simcord_env, path)
    assert before.status == 200
    removed = await world.alice.slash(world.general, "pages remove")
    assert removed.response is not None and removed.ephemeral
    assert "off the public pages now" in (removed.response.content or "")
    # Gone on the next request, even for a client holding the old page's tag.
    after = await get(simcord_env, path, **{"If-None-Match": before.headers["ETag"]})
    assert after.status == 404
    listing = await get(simcord_env, f"/{world.guild.id}/questions")
    assert QUESTION[0] not in listing.text and "Jinja loop index" in listing.text
    mine = await world.alice.slash(world.general, "pages mine")
    assert mine.response is not None
    assert "Your name on the public pages: alice." in (mine.response.content or "")
    assert "off the public pages." in (mine.response.content or "")

    again = await world.alice.slash(world.general, "pages remove")
    assert again.response is not None
    assert "already off" in (again.response.content or "")
    await world.alice.slash(world.general, "pages restore")
    assert (await get(simcord_env, path)).status == 200

    # The one who answered can take their answers off too: the question goes with it.
    await world.helper.slash(world.general, "pages remove")
    listing = await get(simcord_env, f"/{world.guild.id}/questions")
    assert "No solved questions yet." in listing.text


async def test_search_needs_every_word_and_takes_any_text(
    simcord_env: simcord.Env, world: World
) -> None:
    await populate(simcord_env, world)
    base = f"/{world.guild.id}/questions?q="
    found = await get(simcord_env, base + "blueprint 404")
    assert QUESTION[0] in found.text and "Jinja loop index" not in found.text
    assert "1 question matches “blueprint 404”." in found.text
    assert "Jinja loop index" in (await get(simcord_env, base + "loop index")).text
    none = await get(simcord_env, base + "blueprint loop")
    assert "No solved question has all of these words." in none.text
    # carol's removed question is not found either.
    reloader = await get(simcord_env, base + "reloader")
    assert "No solved question has all of these words." in reloader.text
    for hostile in ('"NEAR(', "*", "title:x", "%00", "<script>alert(1)</script>"):
        answer = await get(simcord_env, base + hostile)
        assert answer.status == 200, hostile
        assert "<script>alert" not in answer.text


async def test_only_a_forum_everyone_can_read_is_published(
    simcord_env: simcord.Env, world: World
) -> None:
    data = await populate(simcord_env, world)
    guild = world.guild
    # Only the admins (and so not @everyone) can read this forum.
    view = discord.Permissions(view_channel=True).value
    forum = simcord_env.backend.create_channel(
        guild.id,
        "staff-questions",
        type=ChannelType.FORUM,
        overwrites=[
            Overwrite(target_id=guild.id, type=OverwriteType.ROLE, allow=0, deny=view),
            Overwrite(
                target_id=world.admin_role.id,
                type=OverwriteType.ROLE,
                allow=view,
                deny=0,
            ),
        ],
    )
    private = ChannelHandle(simcord_env, guild, forum)
    result = await world.admin.slash(world.general, "setup channels", questions=private)
    assert result.response is not None
    listing = await get(simcord_env, f"/{guild.id}/questions")
    assert "the questions forum is not one every member can read" in listing.text
    assert QUESTION[0] not in listing.text
    assert (
        await get(simcord_env, f"/{guild.id}/questions/{data.question_id}")
    ).status == 404
    warned = await world.admin.slash(world.general, "setup pages", questions=True)
    assert warned.response is not None
    assert "not readable by everyone" in (warned.response.content or "")


async def test_the_list_pages_back_through_older_questions(
    simcord_env: simcord.Env, world: World
) -> None:
    await world.admin.slash(world.general, "setup pages", enabled=True, questions=True)
    db = bot_of(simcord_env).db
    for number in range(1, 26):
        await triage_queries.insert_question(
            db,
            thread_id=1000 + number,
            guild_id=world.guild.id,
            forum_id=world.questions.id,
            author_id=world.bob.id,
            title=f"Question number {number}",
            created_at=number,
        )
        await triage_queries.mark_solved(
            db,
            1000 + number,
            by_id=world.bob.id,
            helper_id=world.helper.id,
            answer_message_id=5000 + number,
            solution="An answer",
            now=100 + number,
            answer_author_id=world.helper.id,
        )
    first = await get(simcord_env, f"/{world.guild.id}/questions")
    assert "Question number 25" in first.text and "Question number 6<" in first.text
    assert "Question number 5<" not in first.text
    older = f"/{world.guild.id}/questions?before=106-1006"
    assert f'href="{older}" rel="next"' in first.text
    second = await get(simcord_env, older)
    assert "Question number 5<" in second.text and "Question number 1<" in second.text
    assert "Question number 6<" not in second.text
    assert 'rel="next"' not in second.text and "Newest questions" in second.text
    junk = await get(simcord_env, f"/{world.guild.id}/questions?before=x-1")
    assert "Question number 25" in junk.text
