"""Triage's work: tagging and answering new posts, solving, timed jobs, button clicks.

Timed work, by kind (each registered on the scheduler by :meth:`TriageEngine.register`):

- ``triage.nudge``: a week after the first answer (and after the asker last spoke),
  one message asks the asker whether the question is solved. Nothing is closed.
- ``triage.archive``: a solved post that stayed quiet for a day is archived.
- ``triage.digest``: the helpers' digest, a chain of one job per guild, at the
  guild's time and days (``/triage digest``); it posts only when something changed
  since the last one (:class:`logic.DigestNews`).

Every job key and outbox key is written by one function below (``nudge_key`` ...);
cancelling a post's jobs uses the matching prefix function.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot import i18n
from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.db import Database
from bot.errors import NotAllowed
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import guild_language
from bot.permissions import has_role
from bot.permissions import require_role
from bot.refusals import explain
from bot.refusals import Refused
from bot.replies import defer
from bot.replies import reply
from bot.safety import clean_text
from bot.safety import EMBED_DESCRIPTION_LIMIT
from bot.safety import mention_only
from bot.scheduler import Job
from bot.start_here import action_name
from bot.start_here import Choice
from bot.start_here import wants_to_contribute
from bot.ui import Interaction
from bot.ui import Page
from bot.ui import page_bounds
from cogs.triage import _logic as logic
from cogs.triage import _pages as pages
from cogs.triage import _queries as q
from cogs.triage import _render as render
from cogs.triage import _search as search
from cogs.triage._logic import Problem
from cogs.triage._views import CONFIRM_SOLVED
from cogs.triage._views import nudge_view
from cogs.triage._views import SOLVE
from cogs.triage._views import STILL_NEED_HELP
from cogs.triage._views import thanks_view

if TYPE_CHECKING:
    from bot.app import PalletsBot

log = logging.getLogger(__name__)

NUDGE = "triage.nudge"
DIGEST = "triage.digest"
ARCHIVE = "triage.archive"
#: The search index's daily upkeep (merging its segments).
INDEX = "triage.index"
#: Pages of the search index one upkeep step writes: a step holds the database's
#: writer for tens of milliseconds, so members' writes wait no longer than that.
INDEX_STEP_PAGES = 200
#: The most steps of one upkeep (a forum of millions of questions needs hundreds).
INDEX_STEPS = 5000
#: When the upkeep runs (UTC): a quiet hour for most of the community.
INDEX_HOUR = 4
#: Segments the index may have before the upkeep merges them. Merging rewrites the
#: whole index (a minute of SQLite's time at a million questions), so it waits
#: until new segments add up: after a merge, weeks of new solved questions make a
#: handful.
INDEX_MOST_SEGMENTS = 8
#: The paged list of /triage queue (see :func:`bot.ui.show_page`).
QUEUE = "triage.queue"
#: The paged list of /triage tag-rules.
RULES = "triage.rules"
#: Keyword rules a page of /triage tag-rules shows.
RULES_PAGE = 20


# -- keys: one function each ------------------------------------------------------------
def nudge_prefix(thread_id: int) -> str:
    """Every nudge job of a post (cancelled when it is solved, closed or deleted)."""
    return f"triage:nudge:{thread_id}:"


def nudge_key(thread_id: int, due: int) -> str:
    """The nudge job due at ``due``: a stale one finds the asker spoke and plans anew."""
    return f"{nudge_prefix(thread_id)}{due}"


def archive_prefix(thread_id: int) -> str:
    return f"triage:archive:{thread_id}:"


def archive_key(thread_id: int, due: int) -> str:
    return f"{archive_prefix(thread_id)}{due}"


def index_key(due: int) -> str:
    """The search index's upkeep due at ``due`` (one for every server)."""
    return f"triage:index:{due}"


def digest_prefix(guild_id: int) -> str:
    return f"triage:digest:{guild_id}:"


def digest_key(guild_id: int, due: int) -> str:
    """The digest job due at ``due``; it is also the key of the digest it posts."""
    return f"{digest_prefix(guild_id)}{due}"


def checklist_key(thread_id: int) -> str:
    """The outbox key of the checklist under a new post (sent once)."""
    return f"triage:checklist:{thread_id}"


def thanks_key(thread_id: int) -> str:
    """The outbox key of the Solved button offered after the asker's thank-you."""
    return f"triage:thanks:{thread_id}"


def risk_note_key(thread_id: int) -> str:
    """The outbox key of the note about an extension at risk under a post (once)."""
    return f"triage:risk-note:{thread_id}"


def nudge_message_key(thread_id: int) -> str:
    """The outbox key of the nudge message (one per post, ever)."""
    return f"triage:nudge:{thread_id}"


@contextlib.contextmanager
def _language(language: str) -> Iterator[None]:
    with i18n.scope(language, language):
        yield


def not_allowed(code: Problem) -> NotAllowed:
    """A permission refusal, worded like the others but counted as a denial."""
    return NotAllowed(explain(Refused(code)))


class TriageEngine:
    """The questions forum's side effects, timed jobs and button actions."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        #: The shipped rules: the state tags (Solved, Closed). The library tags and
        #: escalation targets come from the server's extension registry (rules()).
        self.rules = logic.load_rules()
        #: One retag at a time, so two posts cannot both create a missing forum tag.
        self._tag_lock = asyncio.Lock()
        #: The similar-question search's memory of common words.
        self.term_counts = search.TermCounts()

    @property
    def db(self) -> Database:
        return self.bot.db

    def register(self) -> None:
        self.bot.scheduler.register(NUDGE, self.on_nudge, catch_up=timedelta(days=3))
        self.bot.scheduler.register(
            DIGEST, self.on_digest, catch_up=timedelta(hours=12)
        )
        self.bot.scheduler.register(
            ARCHIVE, self.on_archive, catch_up=timedelta(days=30)
        )
        self.bot.scheduler.register(INDEX, self.on_index, catch_up=timedelta(days=1))
        self.bot.actions.register(SOLVE, self.solve_from_button)
        self.bot.actions.register(CONFIRM_SOLVED, self.confirm_solved)
        self.bot.actions.register(STILL_NEED_HELP, self.still_need_help)
        self.bot.actions.register_pages(QUEUE, self.queue_page)
        self.bot.actions.register_pages(RULES, self.rules_page)
        self.bot.pages.register(pages.section(self.term_counts))

    def unregister(self) -> None:
        for kind in (NUDGE, DIGEST, ARCHIVE, INDEX):
            self.bot.scheduler.unregister(kind)
        self.bot.actions.unregister(
            SOLVE, CONFIRM_SOLVED, STILL_NEED_HELP, QUEUE, RULES
        )
        self.bot.pages.unregister(pages.NAME)

    # -- reading --------------------------------------------------------------------------
    async def tag_rules(self, guild_id: int) -> logic.TagRules:
        """The server's tag rules, from its extension registry (edits apply at once)."""
        return logic.rules_from(
            await self.bot.flask_extensions.tagged(guild_id), self.rules
        )

    async def forum_id(self, guild_id: int) -> int | None:
        return (await self.bot.guild_config.get(guild_id)).channel(Channel.QUESTIONS)

    async def question_here(self, interaction: Interaction) -> q.Question:
        """The question whose thread the interaction is in, or a clear refusal."""
        channel_id = interaction.channel_id or 0
        question = await q.get_question(self.db, channel_id)
        if question is None or question.guild_id != interaction.guild_id:
            raise Refused(Problem.NOT_A_QUESTION)
        if question.state == "deleted":
            raise Refused(Problem.DELETED)
        return question

    async def _question(self, thread_id: int) -> q.Question:
        """The question a button is about, or a refusal when the post is gone."""
        question = await q.get_question(self.db, thread_id)
        if question is None or question.state == "deleted":
            raise Refused(Problem.DELETED)
        return question

    async def is_helper(self, interaction: Interaction) -> bool:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_config.get(interaction.guild_id)
        return has_role(interaction.user, settings, Role.HELPER, Role.ORGANISER)

    async def asker_or_helper(
        self, interaction: Interaction, question: q.Question
    ) -> bool:
        return interaction.user.id == question.author_id or await self.is_helper(
            interaction
        )

    async def thread(self, thread_id: int) -> discord.Thread | None:
        """The post's thread; None (and the question marked deleted) when it is gone."""
        channel = self.bot.get_channel(thread_id)
        if isinstance(channel, discord.Thread):
            return channel
        try:
            fetched = await self.bot.fetch_channel(thread_id)
        except discord.NotFound:
            await q.mark_deleted(self.db, thread_id)
            return None
        return fetched if isinstance(fetched, discord.Thread) else None

    async def _forum(self, thread: discord.Thread) -> discord.ForumChannel | None:
        parent = thread.parent
        if isinstance(parent, discord.ForumChannel):
            return parent
        fetched = await self.bot.fetch_channel(thread.parent_id)
        return fetched if isinstance(fetched, discord.ForumChannel) else None

    async def similar(self, guild_id: int, text: str, exclude: int) -> list[int]:
        """Solved questions close to ``text`` (see :mod:`cogs.triage._search`)."""
        return await search.similar(
            self.db, guild_id, text, exclude=exclude, counts=self.term_counts
        )

    # -- tags -----------------------------------------------------------------------------
    async def _retag(
        self,
        question: q.Question,
        thread: discord.Thread,
        *,
        add: list[str],
        remove: Sequence[str] = (),
        archived: bool | None = None,
    ) -> list[str]:
        """Apply ``add`` and drop the bot's own ``remove``; return the post's tag names.

        Tags a person set are never removed; missing forum tags are created while the
        forum has room. ``archived`` goes in the same edit (one request).
        """
        forum = await self._forum(thread)
        if forum is None:
            return []
        bot_ids = set(question.bot_tag_ids)

        def planned(forum: discord.ForumChannel) -> tuple[list[int], logic.TagPlan]:
            by_id = {tag.id: tag for tag in forum.available_tags}
            applied_ids = [tid for tid in thread._applied_tags if tid in by_id]
            return applied_ids, logic.plan_tags(
                available=[tag.name for tag in forum.available_tags],
                applied=[by_id[tid].name for tid in applied_ids],
                bot_applied=[by_id[tid].name for tid in applied_ids if tid in bot_ids],
                add=add,
                remove=remove,
            )

        applied_ids, plan = planned(forum)
        if plan.create:
            # The cached forum may lag behind a tag created a moment ago: re-read it
            # before creating, so a tag is never created twice.
            fetched = await self.bot.fetch_channel(forum.id)
            if isinstance(fetched, discord.ForumChannel):
                forum = fetched
                applied_ids, plan = planned(forum)
        if plan.create:
            forum = await forum.edit(
                available_tags=[
                    *forum.available_tags,
                    *(discord.ForumTag(name=name) for name in plan.create),
                ]
            )
        by_name = {tag.name.lower(): tag for tag in forum.available_tags}
        new_tags = [by_name[n.lower()] for n in plan.applied if n.lower() in by_name]
        person_ids = {tid for tid in applied_ids if tid not in bot_ids}
        changes: dict[str, object] = {}
        if [t.id for t in new_tags] != applied_ids:
            changes["applied_tags"] = new_tags
        if archived is not None:
            changes["archived"] = archived
        if changes:
            await thread.edit(**changes)  # type: ignore[arg-type]
        await q.set_bot_tags(
            self.db,
            question.thread_id,
            [t.id for t in new_tags if t.id not in person_ids],
        )
        return [t.name for t in new_tags]

    async def retag(
        self,
        question: q.Question,
        thread: discord.Thread,
        *,
        add: list[str],
        remove: Sequence[str] = (),
        archived: bool | None = None,
    ) -> list[str]:
        """:meth:`_retag`, telling organisers instead of failing the member's action.

        One retag at a time, so two posts arriving together cannot both create the
        same missing forum tag.
        """
        try:
            async with self._tag_lock:
                fresh = await q.get_question(self.db, question.thread_id)
                return await self._retag(
                    fresh or question, thread, add=add, remove=remove, archived=archived
                )
        except discord.HTTPException as error:
            log.warning("could not tag question %s: %s", thread.id, error)
            if isinstance(error, discord.NotFound):
                return []  # the post was deleted meanwhile: nothing to fix
            text = render.tags_failed_notice(
                thread.mention,
                error.status,
                forbidden=isinstance(error, discord.Forbidden),
            )
            await self.bot.notices.post_once(
                question.guild_id, f"tags:{error.status}", text
            )
            return []

    # -- new posts and messages -------------------------------------------------------------
    async def record(self, thread: discord.Thread) -> q.Question | None:
        """The question a member's new post in the questions forum is (None: not one)."""
        if thread.guild is None or thread.parent_id != await self.forum_id(
            thread.guild.id
        ):
            return None
        if self.bot.user is not None and thread.owner_id == self.bot.user.id:
            return None
        created = to_ts(thread.created_at) if thread.created_at else now_ts()
        if await q.insert_question(
            self.db,
            thread_id=thread.id,
            guild_id=thread.guild.id,
            forum_id=thread.parent_id,
            author_id=thread.owner_id,
            title=logic.clip_text(clean_text(thread.name), logic.MAX_TITLE),
            created_at=created,
        ):
            await self.ensure_digest(thread.guild.id)
        return await q.get_question(self.db, thread.id)

    async def handle(self, question: q.Question, message: discord.Message) -> None:
        """A member's message in a question's thread: the asker's, or an answer."""
        if question.state == "deleted":
            return
        language = await self.bot.guild_language(question.guild_id)
        with _language(language):
            if message.author.id == question.author_id:
                await self._asker_message(question, message)
            else:
                await self._reply(question, message)

    async def _asker_message(
        self, question: q.Question, message: discord.Message
    ) -> None:
        body = logic.clip_text(clean_text(message.content), logic.MAX_BODY)
        if question.starter_message_id is None and await q.claim_starter(
            self.db, question.thread_id, message.id, body
        ):
            thread = (
                message.channel
                if isinstance(message.channel, discord.Thread)
                else await self.thread(question.thread_id)
            )
            if thread is not None:
                await self._on_starter(question, thread, body)
            return
        # The nudge job moves itself when the asker spoke since it was planned.
        await q.record_asker_message(self.db, question.thread_id, now_ts())
        if (
            question.state == "open"
            and logic.is_thanks(message.content)
            and await q.claim_thanks_offer(self.db, question.thread_id)
        ):
            await self.bot.outbox.send(
                thanks_key(question.thread_id),
                question.thread_id,
                guild_id=question.guild_id,
                content=render.thanks_offer(),
                view=thanks_view(question.thread_id),
            )

    async def _on_starter(
        self, question: q.Question, thread: discord.Thread, body: str
    ) -> None:
        text = f"{question.title}\n{body}"
        extra = await q.tag_rules(self.db, question.guild_id)
        rules = await self.tag_rules(question.guild_id)
        wanted = logic.match_tags(rules, text, extra)
        names = await self.retag(question, thread, add=wanted)
        library = {name.lower() for name in wanted}
        await q.set_library_tags(
            self.db, question.thread_id, [n for n in names if n.lower() in library]
        )
        if (
            wants_to_contribute(text)
            and action_name(Choice.CONTRIBUTE) in self.bot.actions
        ):
            # Someone who wants to contribute gets the way in from the contributing
            # job (newcomer issues, guides), not a checklist for reporting a bug.
            return
        suggestions = await self.similar(question.guild_id, text, question.thread_id)
        try:
            await self.bot.outbox.send(
                checklist_key(question.thread_id),
                question.thread_id,
                guild_id=question.guild_id,
                content=render.checklist_text(suggestions),
            )
        except (discord.Forbidden, discord.NotFound) as error:
            # The outbox recorded it as failed: it is not retried, organisers hear.
            await self.bot.notices.post_once(
                question.guild_id,
                f"reply:{error.status}",
                render.reply_failed_notice(thread.mention, error.status),
            )
            return
        await self._risk_note(question, names)

    async def _risk_note(self, question: q.Question, tags: Sequence[str]) -> None:
        """One short note under a question whose tags name an extension at risk."""
        wanted = {tag.lower() for tag in tags}
        risky = [
            entry
            for entry in await self.bot.flask_extensions.tagged(question.guild_id)
            if entry.tag and entry.tag.lower() in wanted and entry.user_risks()
        ]
        if not risky:
            return
        try:
            await self.bot.outbox.send(
                risk_note_key(question.thread_id),
                question.thread_id,
                guild_id=question.guild_id,
                content=render.risk_note(risky),
            )
        except (discord.Forbidden, discord.NotFound):
            log.warning("could not add the risk note to %s", question.thread_id)

    async def _reply(self, question: q.Question, message: discord.Message) -> None:
        first = await q.record_reply(
            self.db, question.thread_id, message.author.id, now_ts()
        )
        if first and question.state == "open":
            await self.schedule_nudge(question.thread_id, question.guild_id)

    async def thread_deleted(self, thread_id: int) -> None:
        if await q.mark_deleted(self.db, thread_id):
            await self.bot.scheduler.cancel_prefix(nudge_prefix(thread_id))
            await self.bot.scheduler.cancel_prefix(archive_prefix(thread_id))

    async def message_deleted(self, thread_id: int, message_id: int) -> None:
        await q.forget_message(self.db, thread_id, message_id)

    # -- solving ---------------------------------------------------------------------------
    async def answer_message(
        self, question: q.Question, answer_id: int
    ) -> discord.Message:
        """The message ``answer_id`` in the post, or a refusal."""
        thread = await self.thread(question.thread_id)
        if thread is None:
            raise Refused(Problem.DELETED)
        try:
            return await thread.fetch_message(answer_id)
        except discord.NotFound:
            raise Refused(Problem.ANSWER_NOT_FOUND) from None

    async def _find_answer(
        self, question: q.Question, helper_id: int | None
    ) -> discord.Message | None:
        """The latest message by ``helper_id`` (or by anyone but the asker)."""
        thread = await self.thread(question.thread_id)
        if thread is None:
            return None
        async for message in thread.history(limit=50):
            if message.author.bot or message.author.id == question.author_id:
                continue
            if helper_id is None or message.author.id == helper_id:
                return message
        return None

    async def answer_choices(
        self, interaction: Interaction, current: str
    ) -> list[tuple[int, str]]:
        """What ``/solved answer:`` suggests in a question's thread: the latest replies
        by others than the asker (by the helper chosen, when one is), newest first,
        as (message id, label)."""
        question = await q.get_question(self.db, interaction.channel_id or 0)
        if question is None or question.guild_id != interaction.guild_id:
            return []
        thread = await self.thread(question.thread_id)
        if thread is None:
            return []
        helper_id = getattr(getattr(interaction.namespace, "helper", None), "id", None)
        needle = current.strip().lower()
        found: list[tuple[int, str]] = []
        async for message in thread.history(limit=50):
            if message.author.bot or message.author.id == question.author_id:
                continue
            if helper_id is not None and message.author.id != helper_id:
                continue
            label = render.answer_choice(message.author.display_name, message.content)
            if needle and needle not in label.lower() and needle not in str(message.id):
                continue
            found.append((message.id, label))
            if len(found) == 25:
                break
        return found

    async def solve(
        self,
        interaction: Interaction,
        question: q.Question,
        *,
        helper_id: int | None,
        answer_id: int | None,
    ) -> None:
        """Mark solved, thank who helped (publicly), tag it, plan the archive."""
        # Public, like the answer: finding the answer message is a Discord call.
        await defer(interaction, ephemeral=False)
        answer = (
            await self.answer_message(question, answer_id)
            if answer_id is not None
            else await self._find_answer(question, helper_id)
        )
        # Credit who was named, else who wrote the answer, else the last to reply.
        credit = helper_id
        if (
            credit is None
            and answer is not None
            and not answer.author.bot
            and answer.author.id != question.author_id
        ):
            credit = answer.author.id
        credit = credit or question.last_helper_id
        solution = (
            logic.clip_text(clean_text(answer.content), logic.MAX_SOLUTION)
            if answer
            else ""
        )
        now = now_ts()
        if not await q.mark_solved(
            self.db,
            question.thread_id,
            by_id=interaction.user.id,
            helper_id=credit,
            answer_message_id=answer.id if answer else None,
            solution=solution,
            answer_author_id=answer.author.id if answer else None,
            now=now,
        ):
            raise Refused(Problem.NOT_OPEN)
        await self.bot.scheduler.cancel_prefix(nudge_prefix(question.thread_id))
        with guild_language():
            text = render.solved_text(interaction.user.mention, credit)
        mentions = mention_only(discord.Object(credit)) if credit else None
        if mentions is not None:
            await reply(interaction, text, ephemeral=False, allowed_mentions=mentions)
        else:
            await reply(interaction, text, ephemeral=False)
        thread = await self.thread(question.thread_id)
        if thread is not None:
            await self.retag(
                question, thread, add=[self.rules.solved], remove=[self.rules.closed]
            )
        await self.bot.schedule(
            ARCHIVE,
            archive_key(question.thread_id, now),
            from_ts(now + logic.ARCHIVE_SOLVED_AFTER),
            guild_id=question.guild_id,
            payload={"thread_id": question.thread_id},
        )

    async def solve_from_button(self, interaction: Interaction, thread_id: int) -> None:
        """The "Mark as solved" button: the asker's, or a helper's."""
        question = await self._question(thread_id)
        if not await self.asker_or_helper(interaction, question):
            raise not_allowed(Problem.ONLY_ASKER_SOLVES)
        if question.state != "open":
            raise Refused(Problem.NOT_OPEN)
        await self.solve(interaction, question, helper_id=None, answer_id=None)

    async def confirm_solved(
        self,
        interaction: Interaction,
        thread_id: int,
        helper_id: int | None,
        answer_id: int | None,
    ) -> None:
        """The asker confirms a /solved somebody else proposed."""
        question = await self._question(thread_id)
        if interaction.user.id != question.author_id:
            raise not_allowed(Problem.ONLY_ASKER_CONFIRMS)
        if question.state != "open":
            raise Refused(Problem.NOT_OPEN)
        await self.solve(
            interaction, question, helper_id=helper_id, answer_id=answer_id
        )

    async def still_need_help(self, interaction: Interaction, thread_id: int) -> None:
        """The asker answers the nudge: back in the helpers' queue."""
        question = await self._question(thread_id)
        if interaction.user.id != question.author_id:
            raise not_allowed(Problem.ONLY_ASKER_ANSWERS)
        if not await q.set_needs_help(self.db, thread_id, now_ts()):
            raise Refused(Problem.NOT_OPEN)
        with guild_language():
            text = render.still_needs_help_text(interaction.user.mention)
        await reply(interaction, text, ephemeral=False)

    # -- closing and reopening ------------------------------------------------------------
    async def close(
        self,
        question: q.Question,
        *,
        by_id: int,
        reason: logic.CloseReason,
        link: str | None,
        note: str | None,
    ) -> bool:
        """Record the close and drop the post's timed work; False if already closed."""
        if not await q.mark_closed(
            self.db,
            question.thread_id,
            by_id=by_id,
            reason=reason.value,
            link=link,
            note=note,
            now=now_ts(),
        ):
            return False
        await self.bot.scheduler.cancel_prefix(nudge_prefix(question.thread_id))
        await self.bot.scheduler.cancel_prefix(archive_prefix(question.thread_id))
        return True

    async def tidy_closed(self, question: q.Question) -> None:
        """Tag a closed post Closed and archive it (after the reply: it can be slow)."""
        thread = await self.thread(question.thread_id)
        if thread is not None:
            await self.retag(
                question,
                thread,
                add=[self.rules.closed],
                remove=[self.rules.solved],
                archived=True,
            )

    async def reopen(self, question: q.Question) -> bool:
        """Open a solved or closed question again; False when it was open."""
        if not await q.reopen(self.db, question.thread_id, now_ts()):
            return False
        await self.bot.scheduler.cancel_prefix(archive_prefix(question.thread_id))
        return True

    async def tidy_reopened(self, question: q.Question) -> None:
        """Drop the state tags of a reopened post and unarchive it."""
        thread = await self.thread(question.thread_id)
        if thread is not None:
            await self.retag(
                question,
                thread,
                add=[],
                remove=[self.rules.solved, self.rules.closed],
                archived=False if thread.archived else None,
            )

    # -- helpers' tools -------------------------------------------------------------------
    async def escalate(self, question: q.Question, repo: str, by_id: int) -> str:
        """Build the prefilled GitHub issue link for ``question`` and record it."""
        link = logic.thread_url(question.guild_id, question.thread_id)
        body = render.issue_body(
            link, logic.quote_block(question.body or question.title, 1500)
        )
        # The link goes in an embed description: a longer one would be clipped
        # mid-URL and show as raw text, so the body gives way.
        words = render.issue_link_words("")
        url = logic.new_issue_url(
            repo,
            question.title,
            body,
            limit=min(logic.GITHUB_URL_LIMIT, EMBED_DESCRIPTION_LIMIT - len(words)),
        )
        await q.add_escalation(
            self.db,
            guild_id=question.guild_id,
            thread_id=question.thread_id,
            repo=repo,
            url=url,
            by_id=by_id,
            now=now_ts(),
        )
        return url

    async def queue_page(self, interaction: Interaction, number: int, arg: str) -> Page:
        """Page ``number`` of /triage queue; ``arg`` is the tag filter ("" for none).

        The loader of the ``triage.queue`` list: its Previous/Next buttons outlive a
        restart, so a click is checked like the command.
        """
        await require_role(interaction, Role.HELPER, Role.ORGANISER)
        assert interaction.guild_id is not None
        tag = arg or None
        size = logic.QUEUE_PAGE_SIZE
        items, total = await q.queue(
            self.db, interaction.guild_id, tag, offset=number * size, limit=size
        )
        page, count, offset = page_bounds(number, total, size)
        if page != number:  # the queue shrank since the buttons were drawn
            items, total = await q.queue(
                self.db, interaction.guild_id, tag, offset=offset, limit=size
            )
        return Page(render.queue_embed(items, tag, page, total), page, count)

    async def rules_page(self, interaction: Interaction, number: int, arg: str) -> Page:
        """Page ``number`` of /triage tag-rules (checked like the command)."""
        await require_role(interaction, Role.HELPER, Role.ORGANISER)
        assert interaction.guild_id is not None
        rules = await q.tag_rules(self.db, interaction.guild_id)
        page, count, offset = page_bounds(number, len(rules), RULES_PAGE)
        shown = rules[offset : offset + RULES_PAGE]
        return Page(render.rules_embed(shown, len(rules)), page, count)

    # -- timed work ------------------------------------------------------------------------
    async def schedule_nudge(self, thread_id: int, guild_id: int) -> None:
        question = await q.get_question(self.db, thread_id)
        if question is None or question.first_response_at is None:
            return
        # Keys carry the due time; a stale job finds the asker spoke and plans anew.
        due = (
            max(question.last_asker_at, question.first_response_at) + logic.NUDGE_AFTER
        )
        await self.bot.schedule(
            NUDGE,
            nudge_key(thread_id, due),
            from_ts(due),
            guild_id=guild_id,
            payload={"thread_id": thread_id},
        )

    async def on_nudge(self, job: Job) -> None:
        """A week since the first answer and the asker's last word: ask, once."""
        thread_id = int(job.payload["thread_id"])
        question = await q.get_question(self.db, thread_id)
        if question is None or question.state != "open":
            return
        assert question.first_response_at is not None
        due = (
            max(question.last_asker_at, question.first_response_at) + logic.NUDGE_AFTER
        )
        if due > now_ts():
            await self.schedule_nudge(thread_id, question.guild_id)
            return
        try:
            await self.bot.outbox.send(
                nudge_message_key(thread_id),
                thread_id,
                guild_id=question.guild_id,
                content=render.nudge_text(question.author_id),
                view=nudge_view(thread_id),
                allowed_mentions=mention_only(discord.Object(question.author_id)),
            )
        except discord.NotFound:
            await q.mark_deleted(self.db, thread_id)

    async def on_archive(self, job: Job) -> None:
        """Archive a solved post that stayed quiet for a day (a person decided it)."""
        thread_id = int(job.payload["thread_id"])
        question = await q.get_question(self.db, thread_id)
        if question is None or question.state != "solved":
            return
        due = (
            max(question.last_activity_at, question.solved_at or 0)
            + logic.ARCHIVE_SOLVED_AFTER
        )
        if due > now_ts():
            await self.bot.schedule(
                ARCHIVE,
                archive_key(thread_id, due),
                from_ts(due),
                guild_id=question.guild_id,
                payload={"thread_id": thread_id},
            )
            return
        thread = await self.thread(thread_id)
        if thread is None or thread.archived:
            return
        try:
            await thread.edit(archived=True)
        except discord.NotFound:
            await q.mark_deleted(self.db, thread_id)  # deleted meanwhile
        except discord.Forbidden:
            # Archiving is tidying up: organisers hear (once), nothing is lost.
            await self.bot.notices.post_once(
                question.guild_id,
                "archive:403",
                render.archive_failed_notice(thread.mention),
            )

    async def digest_schedule(self, guild_id: int) -> logic.DigestSchedule:
        """When the guild's digest comes; with no timezone of its own, in the
        server's (``/setup timezone``), else UTC."""
        schedule = (await q.digest_row(self.db, guild_id)).schedule
        if schedule.timezone:
            return schedule
        server = (await self.bot.guild_config.get(guild_id)).timezone
        return replace(schedule, timezone=server or "UTC")

    async def ensure_digest(self, guild_id: int) -> None:
        """Plan the guild's next digest, at its own time and days."""
        schedule = await self.digest_schedule(guild_id)
        due = logic.next_digest_ts(now_ts(), schedule)
        await self.bot.schedule(
            DIGEST, digest_key(guild_id, due), from_ts(due), guild_id=guild_id
        )

    # -- the search index's upkeep -------------------------------------------------------
    async def ensure_index_upkeep(self) -> None:
        """Plan the search index's next upkeep (daily, at :data:`INDEX_HOUR` UTC)."""
        due = logic.next_hour_ts(now_ts(), INDEX_HOUR)
        await self.bot.schedule(INDEX, index_key(due), from_ts(due), guild_id=None)

    async def on_index(self, job: Job) -> None:
        """Merge the search index's segments, then plan tomorrow's upkeep."""
        due = logic.next_hour_ts(to_ts(job.due_at), INDEX_HOUR)
        await self.bot.schedule(INDEX, index_key(due), from_ts(due), guild_id=None)
        await self.tidy_index()

    async def tidy_index(self, *, most: int = INDEX_MOST_SEGMENTS) -> int:
        """Merge the search index into one segment, a step at a time, when it has
        more than ``most``; return the steps.

        SQLite's full-text index grows by segments, one per write, merged a few at a
        time; a word is looked up in every segment, and at a million questions a
        search spends more time seeking in twenty or thirty segments than ranking.
        Each step is its own short write, with a yield between steps.
        """
        if int(await self.db.fetchval(q.INDEX_SEGMENTS)) <= most:
            return 0
        steps = 0
        while steps < INDEX_STEPS and await q.merge_index(self.db, INDEX_STEP_PAGES):
            steps += 1
            await asyncio.sleep(0)
        return steps

    async def ensure_digests(self) -> None:
        """Every guild with a questions forum has its next digest planned."""
        for guild_id in await q.guilds_with_questions(self.db):
            await self.ensure_digest(guild_id)

    async def set_digest_schedule(
        self, guild_id: int, schedule: logic.DigestSchedule
    ) -> int:
        """Save when the digest comes; the planned one moves. Return the next time."""
        await q.set_digest_schedule(self.db, guild_id, schedule)
        await self.bot.scheduler.cancel_prefix(digest_prefix(guild_id))
        await self.ensure_digest(guild_id)
        return logic.next_digest_ts(now_ts(), await self.digest_schedule(guild_id))

    async def on_digest(self, job: Job) -> None:
        """The helpers' digest, when something changed; the next one is planned
        whatever happens."""
        assert job.guild_id is not None
        guild_id = job.guild_id
        now = to_ts(job.due_at)
        try:
            settings = await self.bot.guild_config.get(guild_id)
            channel_id = settings.channel(Channel.HELPERS)
            if channel_id is None or settings.channel(Channel.QUESTIONS) is None:
                return
            row = await q.digest_row(self.db, guild_id)
            news, digest = await q.digest_reads(self.db, guild_id, now, row)
            if digest.empty if row.last_at is None else not news.anything:
                # Nothing changed since the last digest: a copy of it helps nobody.
                log.info("no digest for guild %s: nothing changed", guild_id)
                return
            await self.bot.outbox.send(
                job.key,
                channel_id,
                guild_id=guild_id,
                embed=render.digest_embed(digest),
            )
            await q.record_digest(self.db, guild_id, now, news.unanswered)
        finally:
            schedule = await self.digest_schedule(guild_id)
            next_due = logic.next_digest_ts(max(now, now_ts()), schedule)
            await self.bot.schedule(
                DIGEST,
                digest_key(guild_id, next_due),
                from_ts(next_due),
                guild_id=guild_id,
            )
