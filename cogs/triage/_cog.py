"""Question triage: tag new forum posts, answer with a checklist, track them to solved.

The commands and listeners: they parse, call :class:`TriageEngine`, and reply.
"""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import now_ts
from bot.guilds import Role
from bot.i18n import guild_language
from bot.job import JobCog
from bot.permissions import requires
from bot.permissions import role_group
from bot.refusals import Refused
from bot.replies import defer
from bot.replies import reply
from bot.safety import clean_text
from bot.safety import mention_only
from bot.timezones import Timezone
from bot.ui import Interaction
from bot.ui import show_page
from cogs.triage import _logic as logic
from cogs.triage import _queries as q
from cogs.triage import _render as render
from cogs.triage._engine import not_allowed
from cogs.triage._engine import QUEUE
from cogs.triage._engine import RULES
from cogs.triage._engine import TriageEngine
from cogs.triage._logic import Problem
from cogs.triage._views import confirm_view
from cogs.triage._views import PERSISTENT_ITEMS

CloseReasonOption = Literal[
    "duplicate", "moved-to-github", "off-topic", "not-reproducible", "wontfix", "other"
]


class TriageCog(JobCog[TriageEngine], name="Triage"):
    """The questions forum: tags, checklist, solved state, queue and digest."""

    # Every /triage command is a helper's (or an organiser's): hidden from the other
    # members until an admin shows it to those roles (bot.permissions.role_group).
    triage = role_group(
        "triage",
        "Triage questions in the questions forum",
        Role.HELPER,
        Role.ORGANISER,
    )

    engine_type = TriageEngine
    persistent_items = PERSISTENT_ITEMS

    # -- the forum ----------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        await self.engine.ensure_digests()
        await self.engine.ensure_index_upkeep()

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        question = await self.engine.record(thread)
        # On Discord the starter (id == thread id) can arrive before the thread;
        # it was cached but not handled then, so handle it now.
        starter = thread.starter_message
        if question is not None and starter is not None and not starter.author.bot:
            await self.engine.handle(question, starter)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or message.author.bot:
            return
        question = await q.get_question(self.bot.db, message.channel.id)
        if question is None:
            if not isinstance(message.channel, discord.Thread):
                return  # not a thread the bot knows: THREAD_CREATE will follow
            question = await self.engine.record(message.channel)
            if question is None:
                return
        await self.engine.handle(question, message)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.engine.thread_deleted(payload.thread_id)

    @commands.Cog.listener()
    async def on_raw_message_delete(
        self, payload: discord.RawMessageDeleteEvent
    ) -> None:
        await self.engine.message_deleted(payload.channel_id, payload.message_id)

    # -- solving ------------------------------------------------------------------------
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
        question = await self.engine.question_here(interaction)
        if question.state != "open":
            raise Refused(Problem.NOT_OPEN)
        if helper is not None and (helper.bot or helper.id == question.author_id):
            raise Refused(Problem.BAD_HELPER)
        answer_id = None
        if answer is not None:
            answer_id = logic.parse_message_ref(answer, question.thread_id)
            if answer_id is None:
                raise Refused(Problem.BAD_ANSWER)
        helper_id = helper.id if helper else None
        if await self.engine.asker_or_helper(interaction, question):
            await self.engine.solve(
                interaction, question, helper_id=helper_id, answer_id=answer_id
            )
            return
        # Anyone else only asks the asker, who confirms with a button.
        if answer_id is not None:
            await self.engine.answer_message(question, answer_id)  # refuse a bad id now
        with guild_language():
            text = render.ask_asker_text(question.author_id, interaction.user.mention)
            view = confirm_view(question.thread_id, helper_id, answer_id)
        await reply(
            interaction,
            text,
            view=view,
            ephemeral=False,
            allowed_mentions=mention_only(discord.Object(question.author_id)),
        )

    @solved.autocomplete("answer")
    async def _answer_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=label, value=str(message_id))
            for message_id, label in await self.engine.answer_choices(
                interaction, current
            )
        ]

    # -- closing and reopening -----------------------------------------------------------
    @triage.command(name="close")
    @requires(Role.HELPER, Role.ORGANISER)
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
        question = await self.engine.question_here(interaction)
        if question.state == "closed":
            raise Refused(Problem.ALREADY_CLOSED)
        why = logic.CloseReason(reason)
        link = logic.close_link(
            why, link, guild_id=question.guild_id, thread_id=question.thread_id
        )
        note = clean_text(note) if note else None
        if not await self.engine.close(
            question, by_id=interaction.user.id, reason=why, link=link, note=note
        ):
            raise Refused(Problem.ALREADY_CLOSED)
        with guild_language():
            text = render.closed_text(interaction.user.mention, why, link, note)
        await reply(interaction, text, ephemeral=False)
        await self.engine.tidy_closed(question)

    @app_commands.command(name="reopen")
    @app_commands.guild_only()
    async def reopen(self, interaction: Interaction) -> None:
        """Reopen this solved or closed question."""
        question = await self.engine.question_here(interaction)
        if not await self.engine.asker_or_helper(interaction, question):
            raise not_allowed(Problem.ONLY_ASKER_OR_HELPER_REOPENS)
        if question.state == "open" or not await self.engine.reopen(question):
            raise Refused(Problem.ALREADY_OPEN)
        with guild_language():
            text = render.reopened_text(interaction.user.mention)
        await reply(interaction, text, ephemeral=False)
        await self.engine.tidy_reopened(question)

    # -- helpers' tools -----------------------------------------------------------------
    @triage.command(name="queue")
    @requires(Role.HELPER, Role.ORGANISER)
    @app_commands.describe(tag="Only questions with this library tag")
    async def queue(self, interaction: Interaction, tag: str | None = None) -> None:
        """List unanswered questions, oldest first."""
        tag = tag.strip() if tag else ""
        if tag:
            # Filtering by tag reads every unanswered question's tags: at a big
            # forum's size that can take longer than a member should wait unanswered.
            await defer(interaction)
        # Previous/Next only when there is another page: two dead buttons help nobody.
        await show_page(interaction, QUEUE, 0, tag)

    @queue.autocomplete("tag")
    async def _tag_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._tags(interaction, current)

    async def _tags(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        rules = await self.engine.tag_rules(interaction.guild_id)
        names = [n for n in rules.names() if current.lower() in n.lower()]
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]

    @triage.command(name="escalate")
    @requires(Role.HELPER, Role.ORGANISER)
    @app_commands.describe(
        repo="The GitHub repository (guessed from the tags if left out)"
    )
    async def escalate(self, interaction: Interaction, repo: str | None = None) -> None:
        """Build a prefilled GitHub issue for this question."""
        question = await self.engine.question_here(interaction)
        tags = await q.question_tags(self.bot.db, question.thread_id)
        rules = await self.engine.tag_rules(question.guild_id)
        repo = repo.strip().lower() if repo else logic.guess_repo(rules, tags)
        if repo is None:
            raise Refused(Problem.NO_REPO)
        if not logic.ALLOWED_REPO.match(repo) or repo not in rules.repos():
            raise Refused(Problem.REPO_NOT_ALLOWED)
        url = await self.engine.escalate(question, repo, interaction.user.id)
        await reply(interaction, embed=render.escalation_embed(repo, url))

    @escalate.autocomplete("repo")
    async def _repo_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        rules = await self.engine.tag_rules(interaction.guild_id)
        repos = sorted({r for r in rules.repos() if current.lower() in r.lower()})
        return [app_commands.Choice(name=r, value=r) for r in repos[:25]]

    @triage.command(name="stats")
    @requires(Role.HELPER, Role.ORGANISER)
    @app_commands.describe(days="How many days back to count (1 to 365)")
    async def stats(
        self, interaction: Interaction, days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        """Show question counts and response times."""
        assert interaction.guild_id is not None
        # A year of a busy forum is a few hundred thousand rows to count: answer first.
        await defer(interaction)
        since = now_ts() - days * logic.DAY
        result = await q.stats(self.bot.db, interaction.guild_id, since)
        await reply(interaction, embed=render.stats_embed(result, days))

    @triage.command(name="digest")
    @requires(Role.HELPER, Role.ORGANISER)
    @app_commands.describe(
        time="Local time the digest is checked, HH:MM (default 09:00)",
        days="Days of the week it is checked, for example mon, wed, fri",
        timezone="The timezone of that time (default: the server's, else UTC)",
    )
    async def digest(
        self,
        interaction: Interaction,
        time: str | None = None,
        days: str | None = None,
        timezone: Timezone | None = None,
    ) -> None:
        """Show or set when the helpers' digest comes."""
        assert interaction.guild_id is not None
        current = await self.engine.digest_schedule(interaction.guild_id)
        stored = (await q.digest_row(self.bot.db, interaction.guild_id)).schedule
        if time is None and days is None and timezone is None:
            next_at = logic.next_digest_ts(now_ts(), current)
            await reply(interaction, render.digest_schedule_text(current, next_at))
            return
        schedule = logic.DigestSchedule(
            at=logic.parse_digest_time(time) if time is not None else current.at,
            days=(
                logic.parse_digest_days(days, render.day_names())
                if days is not None
                else current.days
            ),
            # Left out, a timezone never chosen stays "the server's".
            timezone=timezone.key if timezone is not None else stored.timezone,
        )
        next_at = await self.engine.set_digest_schedule(interaction.guild_id, schedule)
        shown = await self.engine.digest_schedule(interaction.guild_id)
        await reply(
            interaction, render.digest_schedule_text(shown, next_at, saved=True)
        )

    @digest.autocomplete("days")
    async def _days_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=value)
            for name, value in render.day_choices(current)
        ]

    @triage.command(name="tag-rule-add")
    @requires(Role.HELPER, Role.ORGANISER)
    @app_commands.describe(
        tag="The library tag", keyword="A word that means this library"
    )
    async def tag_rule_add(
        self, interaction: Interaction, tag: str, keyword: str
    ) -> None:
        """Tag questions containing a keyword with a library tag."""
        assert interaction.guild_id is not None
        rules = await self.engine.tag_rules(interaction.guild_id)
        rule = rules.find(tag)
        if rule is None:
            raise Refused(Problem.UNKNOWN_TAG, tags=", ".join(rules.names()))
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
    @requires(Role.HELPER, Role.ORGANISER)
    @app_commands.describe(tag="The library tag", keyword="The keyword to forget")
    async def tag_rule_remove(
        self, interaction: Interaction, tag: str, keyword: str
    ) -> None:
        """Remove a keyword rule a helper added."""
        assert interaction.guild_id is not None
        rule = (await self.engine.tag_rules(interaction.guild_id)).find(tag)
        if rule is None or not await q.remove_tag_rule(
            self.bot.db, interaction.guild_id, rule.name, keyword.strip().lower()
        ):
            raise Refused(Problem.NO_SUCH_RULE)
        await reply(interaction, render.rule_removed_text())

    @triage.command(name="tag-rules")
    @requires(Role.HELPER, Role.ORGANISER)
    async def tag_rules(self, interaction: Interaction) -> None:
        """List the keyword rules helpers added."""
        assert interaction.guild_id is not None
        if not await q.tag_rules(self.bot.db, interaction.guild_id):
            await reply(interaction, render.no_rules_text())
            return
        await show_page(interaction, RULES)

    @tag_rule_add.autocomplete("tag")
    @tag_rule_remove.autocomplete("tag")
    async def _rule_tag_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._tags(interaction, current)

    @tag_rule_remove.autocomplete("keyword")
    async def _rule_keyword_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The keywords helpers added (for the tag chosen, when one is)."""
        assert interaction.guild_id is not None
        tag = str(getattr(interaction.namespace, "tag", "") or "").lower()
        rules = await q.tag_rules(self.bot.db, interaction.guild_id)
        return [
            app_commands.Choice(name=f"{name}: {keyword}"[:100], value=keyword)
            for name, keyword in rules
            if (not tag or name.lower() == tag) and current.lower() in keyword
        ][:25]
