"""Question triage: tag new forum posts, answer with a checklist, track them to solved."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import i18n
from bot.app import PalletsBot
from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.errors import NotAllowed
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import _
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
from bot.ui import Interaction
from cogs.triage import _logic as logic
from cogs.triage import _queries as q
from cogs.triage import _render as render
from cogs.triage import _search as search
from cogs.triage._logic import Problem
from cogs.triage._views import buttons
from cogs.triage._views import ConfirmSolvedButton
from cogs.triage._views import NeedHelpButton
from cogs.triage._views import PERSISTENT_ITEMS
from cogs.triage._views import QueueView
from cogs.triage._views import SolveButton

log = logging.getLogger(__name__)


NUDGE = "triage.nudge"
DIGEST = "triage.digest"
ARCHIVE = "triage.archive"

REPO_CHOICES = [
    app_commands.Choice(name=repo, value=repo)
    for repo in sorted(set(logic.load_rules().repos()))
][:25]

CloseReasonOption = Literal[
    "duplicate", "moved-to-github", "off-topic", "not-reproducible", "wontfix", "other"
]


@contextlib.contextmanager
def _language(language: str) -> Iterator[None]:
    with i18n.scope(language, language):
        yield


class TriageCog(commands.Cog, name="Triage"):
    """The questions forum: tags, checklist, solved state, queue and digest."""

    triage = app_commands.Group(
        name="triage",
        description="Triage questions in the questions forum",
        guild_only=True,
    )

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self.rules = logic.load_rules()
        #: When organisers were last told of each (guild, kind of trouble).
        self._tag_lock = asyncio.Lock()
        self._term_counts = search.TermCounts()

    async def cog_load(self) -> None:
        self.bot.scheduler.register(NUDGE, self._nudge_job, catch_up=timedelta(days=3))
        self.bot.scheduler.register(
            DIGEST, self._digest_job, catch_up=timedelta(hours=12)
        )
        self.bot.scheduler.register(
            ARCHIVE, self._archive_job, catch_up=timedelta(days=30)
        )
        self.bot.add_dynamic_items(*PERSISTENT_ITEMS)

    async def cog_unload(self) -> None:
        for kind in (NUDGE, DIGEST, ARCHIVE):
            self.bot.scheduler.unregister(kind)
        self.bot.remove_dynamic_items(*PERSISTENT_ITEMS)

    # -- helpers ------------------------------------------------------------------------
    async def _forum_id(self, guild_id: int) -> int | None:
        return (await self.bot.guild_config.get(guild_id)).channel(Channel.QUESTIONS)

    async def _question_here(self, interaction: Interaction) -> q.Question:
        """The question whose thread the interaction is in, or a clear refusal."""
        channel_id = interaction.channel_id or 0
        question = await q.get_question(self.bot.db, channel_id)
        if question is None or question.guild_id != interaction.guild_id:
            raise Refused(Problem.NOT_A_QUESTION)
        if question.state == "deleted":
            raise Refused(Problem.DELETED)
        return question

    async def _is_helper(
        self, member: discord.Member | discord.User, guild_id: int
    ) -> bool:
        settings = await self.bot.guild_config.get(guild_id)
        return has_role(member, settings, Role.HELPER, Role.ORGANISER)

    async def _thread(self, thread_id: int) -> discord.Thread | None:
        channel = self.bot.get_channel(thread_id)
        if isinstance(channel, discord.Thread):
            return channel
        try:
            fetched = await self.bot.fetch_channel(thread_id)
        except discord.NotFound:
            await q.mark_deleted(self.bot.db, thread_id)
            return None
        return fetched if isinstance(fetched, discord.Thread) else None

    async def _forum(self, thread: discord.Thread) -> discord.ForumChannel | None:
        parent = thread.parent
        if isinstance(parent, discord.ForumChannel):
            return parent
        fetched = await self.bot.fetch_channel(thread.parent_id)
        return fetched if isinstance(fetched, discord.ForumChannel) else None

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
            self.bot.db,
            question.thread_id,
            [t.id for t in new_tags if t.id not in person_ids],
        )
        return [t.name for t in new_tags]

    async def _safe_retag(
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
                fresh = await q.get_question(self.bot.db, question.thread_id)
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

    # -- new posts ------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        for guild_id in await q.guilds_with_questions(self.bot.db):
            await self._ensure_digest(guild_id)

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        question = await self._record(thread)
        # On Discord the starter (id == thread id) can arrive before the thread;
        # it was cached but not handled then, so handle it now.
        starter = thread.starter_message
        if question is not None and starter is not None and not starter.author.bot:
            await self._handle(question, starter)

    async def _record(self, thread: discord.Thread) -> q.Question | None:
        if thread.guild is None or thread.parent_id != await self._forum_id(
            thread.guild.id
        ):
            return None
        if self.bot.user is not None and thread.owner_id == self.bot.user.id:
            return None
        created = to_ts(thread.created_at) if thread.created_at else now_ts()
        if await q.insert_question(
            self.bot.db,
            thread_id=thread.id,
            guild_id=thread.guild.id,
            forum_id=thread.parent_id,
            author_id=thread.owner_id,
            title=logic.clip_text(clean_text(thread.name), logic.MAX_TITLE),
            created_at=created,
        ):
            await self._ensure_digest(thread.guild.id)
        return await q.get_question(self.bot.db, thread.id)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or message.author.bot:
            return
        question = await q.get_question(self.bot.db, message.channel.id)
        if question is None:
            if not isinstance(message.channel, discord.Thread):
                return  # not a thread the bot knows: THREAD_CREATE will follow
            question = await self._record(message.channel)
            if question is None:
                return
        await self._handle(question, message)

    async def _handle(self, question: q.Question, message: discord.Message) -> None:
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
            self.bot.db, question.thread_id, message.id, body
        ):
            thread = (
                message.channel
                if isinstance(message.channel, discord.Thread)
                else await self._thread(question.thread_id)
            )
            if thread is not None:
                await self._on_starter(question, thread, body)
            return
        # The nudge job moves itself when the asker spoke since it was planned.
        await q.record_asker_message(self.bot.db, question.thread_id, now_ts())
        if (
            question.state == "open"
            and logic.is_thanks(message.content)
            and await q.claim_thanks_offer(self.bot.db, question.thread_id)
        ):
            await self.bot.outbox.send(
                f"triage:thanks:{question.thread_id}",
                question.thread_id,
                guild_id=question.guild_id,
                content=render.thanks_offer(),
                view=buttons(SolveButton(question.thread_id)),
            )

    async def _on_starter(
        self, question: q.Question, thread: discord.Thread, body: str
    ) -> None:
        text = f"{question.title}\n{body}"
        extra = await q.tag_rules(self.bot.db, question.guild_id)
        wanted = logic.match_tags(self.rules, text, extra)
        names = await self._safe_retag(question, thread, add=wanted)
        library = {name.lower() for name in wanted}
        await q.set_library_tags(
            self.bot.db, question.thread_id, [n for n in names if n.lower() in library]
        )
        suggestions = await self._similar(question.guild_id, text, question.thread_id)
        try:
            await self.bot.outbox.send(
                f"triage:checklist:{question.thread_id}",
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

    async def _similar(self, guild_id: int, text: str, exclude: int) -> list[int]:
        return await search.similar(
            self.bot.db, guild_id, text, exclude=exclude, counts=self._term_counts
        )

    async def _reply(self, question: q.Question, message: discord.Message) -> None:
        now = now_ts()
        first = await q.record_reply(
            self.bot.db, question.thread_id, message.author.id, now
        )
        if first and question.state == "open":
            await self._schedule_nudge(question.thread_id, question.guild_id)

    # -- deletions --------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        if await q.mark_deleted(self.bot.db, payload.thread_id):
            await self.bot.scheduler.cancel_prefix(f"triage:nudge:{payload.thread_id}:")
            await self.bot.scheduler.cancel_prefix(
                f"triage:archive:{payload.thread_id}:"
            )

    @commands.Cog.listener()
    async def on_raw_message_delete(
        self, payload: discord.RawMessageDeleteEvent
    ) -> None:
        await q.forget_message(self.bot.db, payload.channel_id, payload.message_id)

    # -- solving ------------------------------------------------------------------------------
    @app_commands.command(name="solved")
    @app_commands.guild_only()
    @app_commands.describe(
        helper="Who helped (they get the credit and a thank-you)",
        answer="Link or id of the message that answered the question",
    )
    async def solved(
        self,
        interaction: Interaction,
        helper: discord.Member | None = None,
        answer: str | None = None,
    ) -> None:
        """Mark this question as solved."""
        question = await self._question_here(interaction)
        if question.state != "open":
            raise Refused(Problem.NOT_OPEN)
        if helper is not None and (helper.bot or helper.id == question.author_id):
            raise Refused(Problem.BAD_HELPER)
        answer_id = None
        if answer is not None:
            answer_id = logic.parse_message_ref(answer, question.thread_id)
            if answer_id is None:
                raise Refused(Problem.BAD_ANSWER)
        assert interaction.guild_id is not None
        allowed = interaction.user.id == question.author_id or await self._is_helper(
            interaction.user, interaction.guild_id
        )
        if not allowed:
            await self._ask_asker(interaction, question, helper, answer_id)
            return
        await self._solve(
            interaction,
            question,
            helper_id=helper.id if helper else None,
            answer_id=answer_id,
        )

    async def _ask_asker(
        self,
        interaction: Interaction,
        question: q.Question,
        helper: discord.Member | None,
        answer_id: int | None,
    ) -> None:
        if answer_id is not None:
            await self._answer_message(question, answer_id)  # refuse a bad id now
        asker = discord.Object(question.author_id)
        with guild_language():
            text = render.ask_asker_text(question.author_id, interaction.user.mention)
            view = buttons(
                ConfirmSolvedButton(
                    question.thread_id, helper.id if helper else 0, answer_id or 0
                )
            )
        await reply(
            interaction,
            text,
            view=view,
            ephemeral=False,
            allowed_mentions=mention_only(asker),
        )

    async def solve_from_button(self, interaction: Interaction, thread_id: int) -> None:
        question = await q.get_question(self.bot.db, thread_id)
        if question is None or question.state == "deleted":
            raise Refused(Problem.DELETED)
        assert interaction.guild_id is not None
        if interaction.user.id != question.author_id and not await self._is_helper(
            interaction.user, interaction.guild_id
        ):
            raise not_allowed(Problem.ONLY_ASKER_SOLVES)
        if question.state != "open":
            raise Refused(Problem.NOT_OPEN)
        await self._solve(interaction, question, helper_id=None, answer_id=None)

    async def confirm_solved(
        self,
        interaction: Interaction,
        thread_id: int,
        *,
        helper_id: int | None,
        answer_id: int | None,
    ) -> None:
        question = await q.get_question(self.bot.db, thread_id)
        if question is None or question.state == "deleted":
            raise Refused(Problem.DELETED)
        if interaction.user.id != question.author_id:
            raise not_allowed(Problem.ONLY_ASKER_CONFIRMS)
        if question.state != "open":
            raise Refused(Problem.NOT_OPEN)
        await self._solve(
            interaction, question, helper_id=helper_id, answer_id=answer_id
        )

    async def still_need_help(self, interaction: Interaction, thread_id: int) -> None:
        question = await q.get_question(self.bot.db, thread_id)
        if question is None or question.state == "deleted":
            raise Refused(Problem.DELETED)
        if interaction.user.id != question.author_id:
            raise not_allowed(Problem.ONLY_ASKER_ANSWERS)
        if not await q.set_needs_help(self.bot.db, thread_id, now_ts()):
            raise Refused(Problem.NOT_OPEN)
        with guild_language():
            text = render.still_needs_help_text(interaction.user.mention)
        await reply(interaction, text, ephemeral=False)

    async def _answer_message(
        self, question: q.Question, answer_id: int
    ) -> discord.Message:
        thread = await self._thread(question.thread_id)
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
        thread = await self._thread(question.thread_id)
        if thread is None:
            return None
        async for message in thread.history(limit=50):
            if message.author.bot or message.author.id == question.author_id:
                continue
            if helper_id is None or message.author.id == helper_id:
                return message
        return None

    async def _solve(
        self,
        interaction: Interaction,
        question: q.Question,
        *,
        helper_id: int | None,
        answer_id: int | None,
    ) -> None:
        # Public, like the answer: finding the answer message is a Discord call.
        await defer(interaction, ephemeral=False)
        answer = (
            await self._answer_message(question, answer_id)
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
            self.bot.db,
            question.thread_id,
            by_id=interaction.user.id,
            helper_id=credit,
            answer_message_id=answer.id if answer else None,
            solution=solution,
            now=now,
        ):
            raise Refused(Problem.NOT_OPEN)
        await self.bot.scheduler.cancel_prefix(f"triage:nudge:{question.thread_id}:")
        with guild_language():
            text = render.solved_text(interaction.user.mention, credit)
        mentions = mention_only(discord.Object(credit)) if credit else None
        if mentions is not None:
            await reply(interaction, text, ephemeral=False, allowed_mentions=mentions)
        else:
            await reply(interaction, text, ephemeral=False)
        thread = await self._thread(question.thread_id)
        if thread is not None:
            await self._safe_retag(
                question, thread, add=[self.rules.solved], remove=[self.rules.closed]
            )
        await self.bot.schedule(
            ARCHIVE,
            f"triage:archive:{question.thread_id}:{now}",
            from_ts(now + logic.ARCHIVE_SOLVED_AFTER),
            guild_id=question.guild_id,
            payload={"thread_id": question.thread_id},
        )

    # -- closing and reopening -------------------------------------------------------------
    @triage.command(name="close")
    @app_commands.describe(
        reason="Why the question is closed",
        link="The earlier post (duplicate) or the GitHub issue (moved to GitHub)",
        note="A short note for the asker",
    )
    async def close(
        self,
        interaction: Interaction,
        reason: CloseReasonOption,
        link: str | None = None,
        note: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        """Close this question with a reason, then archive it."""
        await require_role(interaction, Role.HELPER, Role.ORGANISER)
        question = await self._question_here(interaction)
        if question.state == "closed":
            raise Refused(Problem.ALREADY_CLOSED)
        assert interaction.guild_id is not None
        why = logic.CloseReason(reason)
        link = logic.close_link(
            why, link, guild_id=interaction.guild_id, thread_id=question.thread_id
        )
        note = clean_text(note) if note else None
        if not await q.mark_closed(
            self.bot.db,
            question.thread_id,
            by_id=interaction.user.id,
            reason=why.value,
            link=link,
            note=note,
            now=now_ts(),
        ):
            raise Refused(Problem.ALREADY_CLOSED)
        await self.bot.scheduler.cancel_prefix(f"triage:nudge:{question.thread_id}:")
        await self.bot.scheduler.cancel_prefix(f"triage:archive:{question.thread_id}:")
        with guild_language():
            text = render.closed_text(interaction.user.mention, why, link, note)
        await reply(interaction, text, ephemeral=False)
        thread = await self._thread(question.thread_id)
        if thread is not None:
            await self._safe_retag(
                question,
                thread,
                add=[self.rules.closed],
                remove=[self.rules.solved],
                archived=True,
            )

    @triage.command(name="reopen")
    async def reopen(self, interaction: Interaction) -> None:
        """Reopen this solved or closed question."""
        question = await self._question_here(interaction)
        assert interaction.guild_id is not None
        if interaction.user.id != question.author_id and not await self._is_helper(
            interaction.user, interaction.guild_id
        ):
            raise not_allowed(Problem.ONLY_ASKER_OR_HELPER_REOPENS)
        if question.state == "open":
            raise Refused(Problem.ALREADY_OPEN)
        if not await q.reopen(self.bot.db, question.thread_id, now_ts()):
            raise Refused(Problem.ALREADY_OPEN)
        await self.bot.scheduler.cancel_prefix(f"triage:archive:{question.thread_id}:")
        with guild_language():
            text = render.reopened_text(interaction.user.mention)
        await reply(interaction, text, ephemeral=False)
        thread = await self._thread(question.thread_id)
        if thread is not None:
            await self._safe_retag(
                question,
                thread,
                add=[],
                remove=[self.rules.solved, self.rules.closed],
                archived=False if thread.archived else None,
            )

    # -- helpers' tools ----------------------------------------------------------------------
    @triage.command(name="queue")
    @app_commands.describe(tag="Only questions with this library tag")
    async def queue(self, interaction: Interaction, tag: str | None = None) -> None:
        """List unanswered questions, oldest first."""
        await require_role(interaction, Role.HELPER, Role.ORGANISER)
        assert interaction.guild_id is not None
        tag = tag.strip() if tag else None
        if tag:
            # Filtering by tag reads every unanswered question's tags: at a big
            # forum's size that can take longer than a member should wait unanswered.
            await defer(interaction)
        items, total = await self.queue_page(interaction.guild_id, tag, 0)
        # Previous/Next only when there is another page: two dead buttons help nobody.
        view = None
        if total > logic.QUEUE_PAGE_SIZE:
            view = QueueView(interaction.guild_id, tag, 0, total)
        await reply(
            interaction, embed=render.queue_embed(items, tag, 0, total), view=view
        )

    @queue.autocomplete("tag")
    async def _tag_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = [n for n in self.rules.names() if current.lower() in n.lower()]
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]

    async def queue_page(
        self, guild_id: int, tag: str | None, page: int
    ) -> tuple[list[q.QueueItem], int]:
        return await q.queue(
            self.bot.db,
            guild_id,
            tag,
            offset=page * logic.QUEUE_PAGE_SIZE,
            limit=logic.QUEUE_PAGE_SIZE,
        )

    @triage.command(name="escalate")
    @app_commands.describe(
        repo="The GitHub repository (guessed from the tags if left out)"
    )
    @app_commands.choices(repo=REPO_CHOICES)
    async def escalate(self, interaction: Interaction, repo: str | None = None) -> None:
        """Build a prefilled GitHub issue for this question."""
        await require_role(interaction, Role.HELPER, Role.ORGANISER)
        question = await self._question_here(interaction)
        tags = await q.question_tags(self.bot.db, question.thread_id)
        repo = repo or logic.guess_repo(self.rules, tags)
        if repo is None:
            raise Refused(Problem.NO_REPO)
        if not logic.ALLOWED_REPO.match(repo):
            raise Refused(Problem.REPO_NOT_ALLOWED)
        assert interaction.guild_id is not None
        link = logic.thread_url(interaction.guild_id, question.thread_id)
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
            self.bot.db,
            guild_id=interaction.guild_id,
            thread_id=question.thread_id,
            repo=repo,
            url=url,
            by_id=interaction.user.id,
            now=now_ts(),
        )
        await reply(interaction, embed=render.escalation_embed(repo, url))

    @triage.command(name="stats")
    @app_commands.describe(days="How many days back to count (1 to 365)")
    async def stats(
        self, interaction: Interaction, days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        """Show question counts and response times."""
        await require_role(interaction, Role.HELPER, Role.ORGANISER)
        assert interaction.guild_id is not None
        # A year of a busy forum is a few hundred thousand rows to count: answer first.
        await defer(interaction)
        since = now_ts() - days * logic.DAY
        result = await q.stats(self.bot.db, interaction.guild_id, since)
        await reply(interaction, embed=render.stats_embed(result, days))

    @triage.command(name="tag-rule-add")
    @app_commands.describe(
        tag="The library tag", keyword="A word that means this library"
    )
    async def tag_rule_add(
        self, interaction: Interaction, tag: str, keyword: str
    ) -> None:
        """Tag questions containing a keyword with a library tag."""
        await require_role(interaction, Role.HELPER, Role.ORGANISER)
        rule = self.rules.find(tag)
        if rule is None:
            raise Refused(Problem.UNKNOWN_TAG, tags=", ".join(self.rules.names()))
        keyword = keyword.strip().lower()
        if not logic.valid_keyword(keyword):
            raise Refused(Problem.BAD_KEYWORD)
        assert interaction.guild_id is not None
        if not await q.add_tag_rule(
            self.bot.db,
            interaction.guild_id,
            rule.name,
            keyword,
            interaction.user.id,
            now_ts(),
        ):
            raise Refused(Problem.RULE_EXISTS)
        await reply(interaction, render.rule_added_text(keyword, rule.name))

    @triage.command(name="tag-rule-remove")
    @app_commands.describe(tag="The library tag", keyword="The keyword to forget")
    async def tag_rule_remove(
        self, interaction: Interaction, tag: str, keyword: str
    ) -> None:
        """Remove a keyword rule a helper added."""
        await require_role(interaction, Role.HELPER, Role.ORGANISER)
        rule = self.rules.find(tag)
        assert interaction.guild_id is not None
        if rule is None or not await q.remove_tag_rule(
            self.bot.db, interaction.guild_id, rule.name, keyword.strip().lower()
        ):
            raise Refused(Problem.NO_SUCH_RULE)
        await reply(interaction, render.rule_removed_text())

    @triage.command(name="tag-rules")
    async def tag_rules(self, interaction: Interaction) -> None:
        """List the keyword rules helpers added."""
        await require_role(interaction, Role.HELPER, Role.ORGANISER)
        assert interaction.guild_id is not None
        rules = await q.tag_rules(self.bot.db, interaction.guild_id)
        await reply(interaction, render.rules_text(rules))

    # -- timed work ------------------------------------------------------------------------
    async def _schedule_nudge(self, thread_id: int, guild_id: int) -> None:
        question = await q.get_question(self.bot.db, thread_id)
        if question is None or question.first_response_at is None:
            return
        # Keys carry the due time; a stale job finds the asker spoke and plans anew.
        due = (
            max(question.last_asker_at, question.first_response_at) + logic.NUDGE_AFTER
        )
        await self.bot.schedule(
            NUDGE,
            f"triage:nudge:{thread_id}:{due}",
            from_ts(due),
            guild_id=guild_id,
            payload={"thread_id": thread_id},
        )

    async def _nudge_job(self, job: Job) -> None:
        thread_id = int(job.payload["thread_id"])
        question = await q.get_question(self.bot.db, thread_id)
        if question is None or question.state != "open":
            return
        assert question.first_response_at is not None
        due = (
            max(question.last_asker_at, question.first_response_at) + logic.NUDGE_AFTER
        )
        if due > now_ts():
            await self._schedule_nudge(thread_id, question.guild_id)
            return
        try:
            await self.bot.outbox.send(
                f"triage:nudge:{thread_id}",
                thread_id,
                guild_id=question.guild_id,
                content=render.nudge_text(question.author_id),
                view=buttons(
                    SolveButton(thread_id, _("Solved")), NeedHelpButton(thread_id)
                ),
                allowed_mentions=mention_only(discord.Object(question.author_id)),
            )
        except discord.NotFound:
            await q.mark_deleted(self.bot.db, thread_id)

    async def _archive_job(self, job: Job) -> None:
        """Archive a solved post that stayed quiet for a day (a person decided it)."""
        thread_id = int(job.payload["thread_id"])
        question = await q.get_question(self.bot.db, thread_id)
        if question is None or question.state != "solved":
            return
        due = (
            max(question.last_activity_at, question.solved_at or 0)
            + logic.ARCHIVE_SOLVED_AFTER
        )
        if due > now_ts():
            await self.bot.schedule(
                ARCHIVE,
                f"triage:archive:{thread_id}:{due}",
                from_ts(due),
                guild_id=question.guild_id,
                payload={"thread_id": thread_id},
            )
            return
        thread = await self._thread(thread_id)
        if thread is None or thread.archived:
            return
        try:
            await thread.edit(archived=True)
        except discord.NotFound:
            await q.mark_deleted(self.bot.db, thread_id)  # deleted meanwhile
        except discord.Forbidden:
            # Archiving is tidying up: organisers hear (once), nothing is lost.
            await self.bot.notices.post_once(
                question.guild_id,
                "archive:403",
                render.archive_failed_notice(thread.mention),
            )

    async def _ensure_digest(self, guild_id: int) -> None:
        due = logic.next_digest_ts(now_ts())
        await self.bot.schedule(
            DIGEST, f"triage:digest:{guild_id}:{due}", from_ts(due), guild_id=guild_id
        )

    async def _digest_job(self, job: Job) -> None:
        assert job.guild_id is not None
        guild_id = job.guild_id
        now = to_ts(job.due_at)
        try:
            settings = await self.bot.guild_config.get(guild_id)
            channel_id = settings.channel(Channel.HELPERS)
            if channel_id is None or settings.channel(Channel.QUESTIONS) is None:
                return
            day_start = now - now % logic.DAY
            new, new_total = await q.new_since(self.bot.db, guild_id, now - logic.DAY)
            unanswered, unanswered_total = await q.unanswered_before(
                self.bot.db, guild_id, now - logic.UNANSWERED_AFTER
            )
            digest = logic.Digest(
                new=new,
                unanswered=unanswered,
                new_total=new_total,
                unanswered_total=unanswered_total,
                solved_yesterday=await q.solved_between(
                    self.bot.db, guild_id, day_start - logic.DAY, day_start
                ),
                top_helpers=await q.top_helpers(
                    self.bot.db, guild_id, now - 7 * logic.DAY
                ),
            )
            if not digest.empty:
                await self.bot.outbox.send(
                    job.key,
                    channel_id,
                    guild_id=guild_id,
                    embed=render.digest_embed(digest),
                )
        finally:
            next_due = logic.next_digest_ts(max(now, now_ts()))
            await self.bot.schedule(
                DIGEST,
                f"triage:digest:{guild_id}:{next_due}",
                from_ts(next_due),
                guild_id=guild_id,
            )


def not_allowed(code: Problem) -> NotAllowed:
    """A permission refusal, worded like the others but counted as a denial."""
    return NotAllowed(explain(Refused(code)))
