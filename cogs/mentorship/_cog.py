"""/mentor: mentees ask, mentors claim, pairs get a private thread and check-ins.

The commands only: the workflow (claiming, pair threads, check-ins, the digest,
the buttons) is the engine's, the words are ``_render``'s.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import now_ts
from bot.guilds import Role
from bot.job import JobCog
from bot.permissions import member_group
from bot.permissions import requires
from bot.permissions import role_group
from bot.refusals import Refused
from bot.replies import reply
from bot.safety import clean_text
from bot.safety import clip
from bot.timezones import default_zone
from bot.timezones import Timezone
from bot.timezones import zone_for
from bot.ui import Interaction
from bot.ui import show_page
from bot.ui import view_of
from cogs.mentorship import _logic as logic
from cogs.mentorship import _queries as q
from cogs.mentorship import _render as render
from cogs.mentorship._engine import guild_of
from cogs.mentorship._engine import MentorshipEngine
from cogs.mentorship._engine import QUEUE_PAGES
from cogs.mentorship._logic import Problem
from cogs.mentorship._views import FeedbackButton
from cogs.mentorship._views import MatchConfirmButton
from cogs.mentorship._views import MatchPickSelect


class MentorshipCog(JobCog[MentorshipEngine], name="Mentorship"):
    """Mentoring: members' /mentor, mentors' /mentor-tools, organisers' /mentor-admin."""

    mentor = member_group(
        "mentor", "Mentoring: requests, mentors, private pair threads and check-ins."
    )
    # Hidden from the other members until an admin shows each group to its role
    # (bot.permissions.role_group); every command checks the role itself.
    tools = role_group(
        "mentor-tools",
        "Mentors: your profile, the queue of requests, claiming and handing back",
        Role.MENTOR,
    )
    admin = role_group(
        "mentor-admin",
        "Run the mentoring programme: matches, check-ins and numbers",
        Role.ORGANISER,
    )

    engine_type = MentorshipEngine

    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        await self.engine.ready()

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """Organisers are remembered as they use the bot: see ``thread_members``."""
        await self.engine.saw(interaction)

    # -- options ------------------------------------------------------------------------
    def parse_topics(self, text: str) -> tuple[str, ...]:
        return logic.choose_topics(text, self.engine.topics)

    async def _topics_complete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        options = [t.slug for t in self.engine.topics]
        return [
            app_commands.Choice(name=clip(value, 100), value=clip(value, 100))
            for value in logic.list_choices(current, options)
        ]

    async def _languages_complete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=clip(value, 100), value=clip(value, 100))
            for value in logic.list_choices(current, logic.COMMON_LANGUAGES)
        ]

    # -- mentors ----------------------------------------------------------------------
    @tools.command(name="profile")
    @app_commands.describe(
        topics="Topics you mentor, comma-separated (for example flask, testing)",
        languages="Languages you speak, comma-separated",
        timezone="Your timezone (a new profile starts with the one you set, or the server's)",
        capacity="How many mentees you take at once",
        available="Whether you take new mentees now (off pauses you)",
    )
    @requires(Role.MENTOR)
    async def profile(
        self,
        interaction: Interaction,
        topics: str | None = None,
        languages: str | None = None,
        timezone: Timezone | None = None,
        capacity: app_commands.Range[int, 0, logic.MAX_CAPACITY] | None = None,
        available: bool | None = None,
    ) -> None:
        """Show or change your mentor profile."""
        guild_id = guild_of(interaction)
        current = await q.profile(self.bot.db, guild_id, interaction.user.id)
        changing = any(
            v is not None for v in (topics, languages, timezone, capacity, available)
        )
        if changing:
            if timezone is None and current is None:
                found = await default_zone(self.bot, guild_id, interaction.user.id)
                timezone = found[0] if found is not None else None
            current = logic.updated_profile(
                current,
                guild_id=guild_id,
                user_id=interaction.user.id,
                topics=self.parse_topics(topics) if topics is not None else None,
                languages=(
                    logic.parse_languages(languages) if languages is not None else None
                ),
                timezone=timezone.key if timezone is not None else None,
                capacity=capacity,
                available=available,
            )
            await q.save_profile(self.bot.db, current, now_ts())
        if current is None:
            raise Refused(Problem.NO_PROFILE_YET)
        await reply(
            interaction, render.profile(self.engine.topics, current, saved=changing)
        )

    profile.autocomplete("topics")(_topics_complete)
    profile.autocomplete("languages")(_languages_complete)

    @tools.command(name="queue")
    @app_commands.describe(page="Which page of the queue to show")
    @requires(Role.MENTOR)
    async def queue(
        self, interaction: Interaction, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        """List open requests, best fit for you first."""
        await show_page(interaction, QUEUE_PAGES, page - 1)

    @tools.command(name="claim")
    @app_commands.describe(request="The request number shown in /mentor-tools queue")
    @requires(Role.MENTOR)
    async def claim(
        self, interaction: Interaction, request: app_commands.Range[int, 1]
    ) -> None:
        """Take on a mentee's open request."""
        await self.engine.claim(interaction, request)

    @claim.autocomplete("request")
    async def _claim_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return [
            app_commands.Choice(
                name=render.request_choice(self.engine.topics, r), value=r.id
            )
            for r in await self.engine.claim_choices(interaction, current)
        ]

    @tools.command(name="release")
    @app_commands.describe(
        mentee="The mentee to hand back to the queue",
        note="A short note for the next mentor",
    )
    @requires(Role.MENTOR)
    async def release(
        self, interaction: Interaction, mentee: discord.Member, note: str
    ) -> None:
        """Hand a mentee back to the queue, with a note for the next mentor."""
        guild_id = guild_of(interaction)
        note = logic.check_note(clean_text(note))
        pairing = await self.engine.pairing_as_mentor(
            guild_id, interaction.user.id, mentee.id
        )
        await self.engine.close(pairing, state="released", note=note)
        # Answer before the Discord call, so the interaction never times out.
        await reply(interaction, render.released(mentee.id))
        await self.engine.post_released(pairing)

    @mentor.command(name="end")
    @app_commands.describe(
        mentee="Mentors: which mentee (leave empty if you have one, or you are the mentee)"
    )
    async def end(
        self, interaction: Interaction, mentee: discord.Member | None = None
    ) -> None:
        """Close a mentoring pairing and ask both sides for feedback."""
        pairing = await self.engine.pairing_to_end(
            guild_of(interaction),
            interaction.user.id,
            mentee.id if mentee is not None else None,
        )
        await self.engine.close(pairing, state="ended", note=None)
        # Answer before the Discord call, so the interaction never times out.
        await reply(
            interaction, render.ended(), view=view_of(FeedbackButton(pairing.id))
        )
        await self.engine.post_ended(pairing)

    # -- mentees ----------------------------------------------------------------------
    @mentor.command(name="request")
    @app_commands.describe(
        topics="What you want help with, comma-separated (for example flask, first-contribution)",
        goal="What you would like to achieve (only your mentor and organisers see it)",
        timezone="Your timezone (default: the one you set, or the server's)",
        languages="Languages you are comfortable in, comma-separated",
    )
    async def request(
        self,
        interaction: Interaction,
        topics: str,
        goal: str,
        timezone: Timezone | None = None,
        languages: str | None = None,
    ) -> None:
        """Ask for a mentor."""
        guild_id = guild_of(interaction)
        zone = await zone_for(interaction, timezone)
        slugs = self.parse_topics(topics)
        spoken = logic.parse_languages(languages) if languages is not None else ()
        cleaned = logic.check_goal(clean_text(goal))
        request_id = await q.create_request(
            self.bot.db,
            guild_id=guild_id,
            mentee_id=interaction.user.id,
            topics=slugs,
            goal=cleaned,
            timezone=zone.key,
            languages=spoken,
            now=now_ts(),
        )
        if request_id is None:
            raise Refused(Problem.ALREADY_ASKED)
        await self.engine.ensure_digest(guild_id)
        await reply(interaction, render.request_queued(request_id))

    request.autocomplete("topics")(_topics_complete)
    request.autocomplete("languages")(_languages_complete)

    @mentor.command(name="cancel")
    async def cancel(self, interaction: Interaction) -> None:
        """Withdraw your open mentoring request."""
        guild_id = guild_of(interaction)
        user_id = interaction.user.id
        if not await q.cancel_request(self.bot.db, guild_id, user_id, now_ts()):
            live = await q.live_request(self.bot.db, guild_id, user_id)
            if live is not None and live.state == "claimed":
                raise Refused(Problem.HAS_MENTOR)
            raise Refused(Problem.NO_OPEN_REQUEST)
        await reply(interaction, render.request_withdrawn())

    @mentor.command(name="status")
    async def status(self, interaction: Interaction) -> None:
        """Show your mentoring request and pairings."""
        await self._status(interaction, interaction.user.id)

    async def _status(self, interaction: Interaction, target: int) -> None:
        guild_id = guild_of(interaction)
        live = await q.live_request(self.bot.db, guild_id, target)
        pairings = await q.active_pairings_of(self.bot.db, guild_id, target)
        await reply(
            interaction, render.status(self.engine.topics, target, live, pairings)
        )
        # After the answer: adding to threads is a Discord call per pairing.
        if target != interaction.user.id:
            await self.engine.let_organiser_in(interaction.user, pairings)

    # -- organisers -------------------------------------------------------------------
    @admin.command(name="status")
    @app_commands.describe(member="Whose request and pairings to show")
    @requires(Role.ORGANISER)
    async def member_status(
        self, interaction: Interaction, member: discord.Member
    ) -> None:
        """Show a member's mentoring request and pairings, and join their thread."""
        await self._status(interaction, member.id)

    @admin.command(name="stats")
    @requires(Role.ORGANISER)
    async def stats(self, interaction: Interaction) -> None:
        """Show mentoring numbers for organisers."""
        numbers = await q.stats(self.bot.db, guild_of(interaction))
        median = logic.median_seconds(numbers.waits)
        await reply(interaction, render.stats(numbers, median))

    @admin.command(name="checkins")
    @app_commands.describe(days="Days between check-in prompts for new pairings")
    @requires(Role.ORGANISER)
    async def checkins(
        self, interaction: Interaction, days: app_commands.Range[int, 1, 90]
    ) -> None:
        """Set how often pairs get a check-in prompt."""
        await q.set_checkin_days(self.bot.db, guild_of(interaction), days)
        await reply(interaction, render.checkins_every(days))

    @admin.command(name="match")
    @requires(Role.ORGANISER)
    async def match(self, interaction: Interaction) -> None:
        """Propose the best assignment of open requests to available mentors."""
        proposed = await self.engine.propose_match(
            guild_of(interaction), interaction.user.id
        )
        if proposed is None:
            await reply(interaction, render.no_pairs_to_propose())
            return
        await reply(
            interaction,
            render.confirm_first(),
            embed=render.proposal_embed(proposed.pairs, proposed.left),
            view=view_of(
                MatchConfirmButton(proposed.id),
                MatchPickSelect(proposed.id, render.pair_options(proposed.pairs)),
            ),
        )
