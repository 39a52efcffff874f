"""/mentor: mentees ask, mentors claim, pairs get a private thread and check-ins."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PalletsBot
from bot.clock import discord_timestamp
from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import utcnow
from bot.errors import NotAllowed
from bot.errors import UserError
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import _
from bot.i18n import format_list
from bot.i18n import guild_language
from bot.i18n import ngettext
from bot.paths import DATA_DIR
from bot.permissions import require_role
from bot.permissions import requires
from bot.replies import defer
from bot.replies import reply
from bot.safety import clean_text
from bot.safety import clip
from bot.safety import mention_only
from bot.safety import quote
from bot.safety import THREAD_NAME_LIMIT
from bot.scheduler import Job
from bot.timezones import Timezone
from bot.ui import Interaction
from cogs.mentorship import _logic as logic
from cogs.mentorship import _queries as q
from cogs.mentorship._engine import MentorshipEngine
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest
from cogs.mentorship._queries import Pairing
from cogs.mentorship._views import CheckinButton
from cogs.mentorship._views import ClaimButton
from cogs.mentorship._views import FeedbackButton
from cogs.mentorship._views import FeedbackModal
from cogs.mentorship._views import MatchConfirmButton
from cogs.mentorship._views import persistent_items
from cogs.mentorship._views import QueuePageButton
from cogs.mentorship._views import view_of

log = logging.getLogger(__name__)


TOPICS_FILE = DATA_DIR / "mentorship" / "topics.toml"
CHECKIN_KIND = "mentorship.checkin"
DIGEST_KIND = "mentorship.digest"
COMMON_LANGUAGES = (
    "English",
    "French",
    "German",
    "Spanish",
    "Portuguese",
    "Italian",
    "Dutch",
    "Polish",
    "Russian",
    "Ukrainian",
    "Turkish",
    "Arabic",
    "Hindi",
    "Bengali",
    "Chinese",
    "Japanese",
    "Korean",
    "Indonesian",
    "Vietnamese",
    "Swahili",
)


def checkin_key(pairing_id: int, seq: int) -> str:
    return f"mentorship:checkin:{pairing_id}:{seq}"


@app_commands.guild_only()
class MentorshipCog(commands.GroupCog, group_name="mentor"):
    """Mentoring: requests, mentors, private pair threads and check-ins."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self.engine = MentorshipEngine(bot)
        self.topics = logic.load_topics(TOPICS_FILE.read_text("utf-8"))

    async def cog_load(self) -> None:
        self.bot.scheduler.register(
            CHECKIN_KIND, self.run_checkin, catch_up=timedelta(days=3)
        )
        self.bot.scheduler.register(
            DIGEST_KIND, self.run_digest, catch_up=timedelta(days=1)
        )
        self.bot.add_dynamic_items(*persistent_items())

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister(CHECKIN_KIND)
        self.bot.scheduler.unregister(DIGEST_KIND)
        self.bot.remove_dynamic_items(*persistent_items())

    # -- shared helpers -------------------------------------------------------------
    def topic_names(self, slugs: tuple[str, ...]) -> str:
        names = {topic.slug: topic.name for topic in self.topics}
        return format_list([_(names.get(slug, slug)) for slug in slugs]) or "-"

    def parse_topics(self, text: str) -> tuple[str, ...]:
        found, unknown = logic.parse_topics(text, self.topics)
        if unknown:
            raise UserError(
                _(
                    "Unknown topics: {unknown}. Choose from: {known}.",
                    unknown=", ".join(unknown),
                    known=", ".join(t.slug for t in self.topics),
                )
            )
        if not found:
            raise UserError(_("Name at least one topic."))
        if len(found) > logic.MAX_TOPICS:
            raise UserError(_("Name at most {count} topics.", count=logic.MAX_TOPICS))
        return found

    @staticmethod
    def parse_languages(text: str | None) -> tuple[str, ...]:
        if text is None:
            return ()
        try:
            return logic.parse_languages(text)
        except ValueError:
            raise UserError(
                _(
                    "Name at most {count} languages, each under {length} characters.",
                    count=logic.MAX_LANGUAGES,
                    length=logic.LANGUAGE_LENGTH,
                )
            ) from None

    @staticmethod
    def guild_id(interaction: Interaction) -> int:
        if interaction.guild_id is None:
            raise UserError(_("This command only works in a server."))
        return interaction.guild_id

    def describe_request(self, request: MentorRequest, *, goal: bool) -> str:
        lines = [
            _("Topics: {topics}", topics=self.topic_names(request.topics)),
            _(
                "Timezone: {timezone}; languages: {languages}",
                timezone=request.timezone,
                languages=", ".join(request.languages) or "-",
            ),
            _(
                "Waiting since {when}",
                when=discord_timestamp(request.created_at, "R"),
            ),
        ]
        if request.release_note:
            lines.append(
                _(
                    "Note from a previous mentor: {note}",
                    note=quote(request.release_note),
                )
            )
        if goal:
            lines.append(_("Goal: {goal}", goal=quote(request.goal)))
        return "\n".join(lines)

    # -- autocomplete -----------------------------------------------------------------
    async def _topics_complete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        options = [t.slug for t in self.topics]
        return [
            app_commands.Choice(name=clip(value, 100), value=clip(value, 100))
            for value in logic.list_choices(current, options)
        ]

    async def _languages_complete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=clip(value, 100), value=clip(value, 100))
            for value in logic.list_choices(current, COMMON_LANGUAGES)
        ]

    # -- mentors ----------------------------------------------------------------------
    @app_commands.command(name="profile")
    @app_commands.describe(
        topics="Topics you mentor, comma-separated (for example flask, testing)",
        languages="Languages you speak, comma-separated",
        timezone="Your timezone, for example Europe/Paris",
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
        guild_id = self.guild_id(interaction)
        current = await q.profile(self.bot.db, guild_id, interaction.user.id)
        changing = any(
            v is not None for v in (topics, languages, timezone, capacity, available)
        )
        if changing:
            new_topics = self.parse_topics(topics) if topics is not None else None
            new_zone = timezone.key if timezone is not None else None
            new_languages = (
                self.parse_languages(languages) if languages is not None else None
            )
            if current is None and (new_topics is None or new_zone is None):
                raise UserError(
                    _("Your first profile needs at least topics and a timezone.")
                )
            current = MentorProfile(
                guild_id=guild_id,
                user_id=interaction.user.id,
                topics=new_topics or (current.topics if current else ()),
                languages=(
                    new_languages
                    if new_languages is not None
                    else (current.languages if current else ())
                ),
                timezone=new_zone or (current.timezone if current else "UTC"),
                capacity=(
                    capacity
                    if capacity is not None
                    else (current.capacity if current else 1)
                ),
                available=(
                    available
                    if available is not None
                    else (current.available if current else True)
                ),
                active=current.active if current else 0,
            )
            await q.save_profile(self.bot.db, current, now_ts())
        if current is None:
            raise UserError(
                _("You have no mentor profile yet: set topics and a timezone first.")
            )
        state = _("available") if current.available else _("paused")
        text = "\n".join(
            [
                _("Profile saved.") if changing else _("Your mentor profile:"),
                _("Topics: {topics}", topics=self.topic_names(current.topics)),
                _(
                    "Timezone: {timezone}; languages: {languages}",
                    timezone=current.timezone,
                    languages=", ".join(current.languages) or "-",
                ),
                _(
                    "Mentees: {active} of {capacity}; {state}",
                    active=current.active,
                    capacity=current.capacity,
                    state=state,
                ),
            ]
        )
        await reply(interaction, text)

    profile.autocomplete("topics")(_topics_complete)
    profile.autocomplete("languages")(_languages_complete)

    @app_commands.command(name="queue")
    @app_commands.describe(page="Which page of the queue to show")
    @requires(Role.MENTOR)
    async def queue(
        self, interaction: Interaction, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        """List open requests, best fit for you first."""
        await self.show_queue(interaction, page - 1, edit=False)

    async def show_queue(
        self, interaction: Interaction, page: int, *, edit: bool
    ) -> None:
        await require_role(interaction, Role.MENTOR)
        guild_id = self.guild_id(interaction)
        mentor = await q.profile(self.bot.db, guild_id, interaction.user.id)
        if mentor is None:
            raise UserError(_("Set up your mentor profile first with /mentor profile."))
        number, shown, total = await self.engine.queue_page(mentor, utcnow(), page)
        if not total:
            await reply(
                interaction, _("No open requests right now. Thank you for checking!")
            )
            return
        pages = logic.page_count(total)
        embed = discord.Embed(
            title=_(
                "Open requests (page {page} of {pages})", page=number + 1, pages=pages
            )
        )
        for request in shown:
            embed.add_field(
                name=_("Request #{id}", id=request.id),
                value=_("From <@{mentee}>", mentee=request.mentee_id)
                + "\n"
                + self.describe_request(request, goal=False),
                inline=False,
            )
        view = view_of(
            *(ClaimButton(r.id) for r in shown),
            QueuePageButton(max(number - 1, 0), "prev", disabled=number == 0),
            QueuePageButton(number + 1, "next", disabled=number + 1 >= pages),
        )
        if edit:
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            await reply(interaction, embed=embed, view=view)

    @app_commands.command(name="claim")
    @app_commands.describe(request="The request number shown in /mentor queue")
    @requires(Role.MENTOR)
    async def claim(
        self, interaction: Interaction, request: app_commands.Range[int, 1]
    ) -> None:
        """Take on a mentee's open request."""
        await self.claim_request(interaction, request)

    async def claim_request(self, interaction: Interaction, request_id: int) -> None:
        await require_role(interaction, Role.MENTOR)
        guild_id = self.guild_id(interaction)
        channel = await self.mentorship_channel(guild_id)
        await defer(interaction)
        pairing = await q.claim(
            self.bot.db, guild_id, request_id, interaction.user.id, now_ts()
        )
        if pairing is None:
            raise UserError(
                await self.why_not_claimed(guild_id, request_id, interaction.user.id)
            )
        request = await q.request(self.bot.db, guild_id, request_id)
        assert request is not None
        try:
            thread_id = await self.open_pair_space(channel, pairing, request)
        except discord.HTTPException as error:
            await q.undo_claim(self.bot.db, pairing, now_ts())
            if isinstance(error, discord.Forbidden):
                # The mentor is told by the error reply; organisers can fix it.
                with guild_language():
                    text = _(
                        "A mentor could not take on a request: I cannot open private threads in {channel}. Give my role Create Private Threads and Send Messages in Threads there.",
                        channel=channel.mention,
                    )
                await self.bot.notices.post(guild_id, text)
            raise
        await reply(
            interaction,
            _(
                "You are now mentoring <@{mentee}>. Say hello in <#{thread}>.",
                mentee=pairing.mentee_id,
                thread=thread_id,
            ),
        )

    async def mentorship_channel(self, guild_id: int) -> discord.TextChannel:
        settings = await self.bot.guild_config.get(guild_id)
        channel_id = settings.channel(Channel.MENTORSHIP)
        guild = self.bot.get_guild(guild_id)
        channel = guild.get_channel(channel_id) if guild and channel_id else None
        if not isinstance(channel, discord.TextChannel):
            raise UserError(
                _(
                    "The mentorship channel is not set up yet: ask an organiser to run /setup channels."
                )
            )
        return channel

    async def why_not_claimed(
        self, guild_id: int, request_id: int, user_id: int
    ) -> str:
        request = await q.request(self.bot.db, guild_id, request_id)
        if request is None:
            return _("There is no request #{id}.", id=request_id)
        if request.mentee_id == user_id:
            return _("You cannot claim your own request.")
        if request.state != "open":
            return _(
                "Sorry, request #{id} was just claimed by another mentor (or closed). "
                "Thank you for offering! /mentor queue shows the others.",
                id=request_id,
            )
        profile = await q.profile(self.bot.db, guild_id, user_id)
        if profile is None:
            return _("Set up your mentor profile first with /mentor profile.")
        if not profile.available:
            return _(
                "Your profile is paused: set available to on with /mentor profile first."
            )
        return ngettext(
            "You are at your capacity of {count} mentee. Raise it with /mentor profile, or end a pairing first.",
            "You are at your capacity of {count} mentees. Raise it with /mentor profile, or end a pairing first.",
            profile.capacity,
            count=profile.capacity,
        )

    async def open_pair_space(
        self, channel: discord.TextChannel, pairing: Pairing, request: MentorRequest
    ) -> int:
        """Create the pair's private thread once, welcome both, schedule check-ins."""
        current = await q.pairing(self.bot.db, pairing.id)
        thread_id = current.thread_id if current else None
        if thread_id is None:
            with guild_language():
                name = clip(_("Mentoring #{id}", id=pairing.id), THREAD_NAME_LIMIT)
            thread = await channel.create_thread(
                name=name,
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=10080,
            )
            await q.set_thread(self.bot.db, pairing.id, thread.id)
            thread_id = thread.id
            for user_id in await self.thread_members(channel.guild, pairing):
                await thread.add_user(discord.Object(user_id))
        with guild_language():
            welcome = "\n".join(
                [
                    _(
                        "Welcome <@{mentee}> and <@{mentor}>! This private thread is your mentoring space; organisers can look in too.",
                        mentee=pairing.mentee_id,
                        mentor=pairing.mentor_id,
                    ),
                    _("Topics: {topics}", topics=self.topic_names(request.topics)),
                    _("Goal: {goal}", goal=quote(request.goal)),
                    _(
                        "I will check in here every so often. When you are done, use /mentor end.",
                    ),
                ]
            )
        await self.bot.outbox.send(
            f"mentorship:welcome:{pairing.id}",
            thread_id,
            guild_id=pairing.guild_id,
            content=welcome,
            allowed_mentions=mention_only(
                discord.Object(pairing.mentee_id), discord.Object(pairing.mentor_id)
            ),
        )
        settings = await self.bot.guild_config.get(pairing.guild_id)
        log_channel = settings.channel(Channel.LOG)
        if log_channel is not None:
            with guild_language():
                note = _(
                    "Mentoring pairing #{id} started: <@{mentee}> with <@{mentor}> in <#{thread}>. "
                    "/mentor status adds you to the thread.",
                    id=pairing.id,
                    mentee=pairing.mentee_id,
                    mentor=pairing.mentor_id,
                    thread=thread_id,
                )
            await self.bot.outbox.send(
                f"mentorship:started:{pairing.id}",
                log_channel,
                guild_id=pairing.guild_id,
                content=note,
            )
        await self.schedule_checkin(pairing, 1)
        await self.ensure_digest(pairing.guild_id)
        return thread_id

    async def thread_members(self, guild: discord.Guild, pairing: Pairing) -> list[int]:
        """The pair, plus the organisers the bot knows of (Manage Threads sees it anyway)."""
        ids = [pairing.mentor_id, pairing.mentee_id]
        role_id = (await self.bot.guild_config.get(guild.id)).role(Role.ORGANISER)
        role = guild.get_role(role_id) if role_id else None
        for member in role.members if role else []:
            if member.id not in ids and not member.bot:
                ids.append(member.id)
        return ids

    async def schedule_checkin(
        self, pairing: Pairing, seq: int, after: datetime | None = None
    ) -> None:
        """Schedule check-in ``seq`` one interval after ``after`` (the claim at first).

        Counting from the previous check-in, not from the claim, means a shorter
        interval set later, or a late run after downtime, never fires a burst of
        overdue check-ins.
        """
        days = await q.checkin_days(self.bot.db, pairing.guild_id)
        start = after or from_ts(pairing.claimed_at)
        await self.bot.schedule(
            CHECKIN_KIND,
            checkin_key(pairing.id, seq),
            start + timedelta(days=days),
            guild_id=pairing.guild_id,
            payload={"pairing": pairing.id, "seq": seq},
        )

    @app_commands.command(name="release")
    @app_commands.describe(
        mentee="The mentee to hand back to the queue",
        note="A short note for the next mentor",
    )
    @requires(Role.MENTOR)
    async def release(
        self, interaction: Interaction, mentee: discord.Member, note: str
    ) -> None:
        """Hand a mentee back to the queue, with a note for the next mentor."""
        guild_id = self.guild_id(interaction)
        note = clean_text(note)
        if not note or len(note) > logic.NOTE_LENGTH:
            raise UserError(
                _("Write a note of 1 to {limit} characters.", limit=logic.NOTE_LENGTH)
            )
        pairing = await self.pairing_as_mentor(guild_id, interaction.user.id, mentee.id)
        if not await q.close_pairing(
            self.bot.db, pairing, state="released", note=note, now=now_ts()
        ):
            raise UserError(_("That pairing is already closed."))
        await self.bot.scheduler.cancel_prefix(f"mentorship:checkin:{pairing.id}:")
        # Answer before the Discord call, so the interaction never times out.
        await reply(
            interaction,
            _("<@{mentee}>'s request is back in the queue.", mentee=mentee.id),
        )
        if pairing.thread_id is not None:
            with guild_language():
                text = _(
                    "<@{mentor}> handed this mentoring back to the queue; another mentor can pick it up. Thank you both!",
                    mentor=pairing.mentor_id,
                )
            await self.bot.outbox.send(
                f"mentorship:released:{pairing.id}",
                pairing.thread_id,
                guild_id=guild_id,
                content=text,
            )

    async def pairing_as_mentor(
        self, guild_id: int, mentor_id: int, mentee_id: int
    ) -> Pairing:
        for pairing in await q.active_pairings_of(self.bot.db, guild_id, mentor_id):
            if pairing.mentor_id == mentor_id and pairing.mentee_id == mentee_id:
                return pairing
        raise UserError(
            _("You are not mentoring <@{mentee}> right now.", mentee=mentee_id)
        )

    @app_commands.command(name="end")
    @app_commands.describe(
        mentee="Mentors: which mentee (leave empty if you have one, or you are the mentee)"
    )
    async def end(
        self, interaction: Interaction, mentee: discord.Member | None = None
    ) -> None:
        """Close a mentoring pairing and ask both sides for feedback."""
        guild_id = self.guild_id(interaction)
        user_id = interaction.user.id
        pairings = await q.active_pairings_of(self.bot.db, guild_id, user_id)
        if mentee is not None:
            pairings = [
                p
                for p in pairings
                if p.mentor_id == user_id and p.mentee_id == mentee.id
            ]
        if not pairings:
            raise UserError(_("You have no active mentoring pairing to end."))
        if len(pairings) > 1:
            raise UserError(
                _("You mentor several members: name the mentee to end with.")
            )
        pairing = pairings[0]
        if not await q.close_pairing(
            self.bot.db, pairing, state="ended", note=None, now=now_ts()
        ):
            raise UserError(_("That pairing is already closed."))
        await self.bot.scheduler.cancel_prefix(f"mentorship:checkin:{pairing.id}:")
        # Answer before the Discord call, so the interaction never times out.
        await reply(
            interaction,
            _("The pairing has ended. Would you leave a short feedback?"),
            view=view_of(FeedbackButton(pairing.id)),
        )
        if pairing.thread_id is not None:
            with guild_language():
                text = _(
                    "This mentoring pairing has ended. Thank you <@{mentee}> and <@{mentor}>! If you like, leave a short feedback for the organisers (only they see it).",
                    mentee=pairing.mentee_id,
                    mentor=pairing.mentor_id,
                )
            await self.bot.outbox.send(
                f"mentorship:ended:{pairing.id}",
                pairing.thread_id,
                guild_id=guild_id,
                content=text,
                view=view_of(FeedbackButton(pairing.id)),
                allowed_mentions=mention_only(
                    discord.Object(pairing.mentee_id), discord.Object(pairing.mentor_id)
                ),
            )

    async def open_feedback(self, interaction: Interaction, pairing_id: int) -> None:
        pairing = await q.pairing(self.bot.db, pairing_id)
        if pairing is None or not pairing.involves(interaction.user.id):
            raise NotAllowed(
                _("Only the mentor and mentee of this pairing can give feedback.")
            )
        await interaction.response.send_modal(FeedbackModal(pairing_id))

    async def save_feedback(
        self, interaction: Interaction, pairing_id: int, text: str
    ) -> None:
        pairing = await q.pairing(self.bot.db, pairing_id)
        if pairing is None or not pairing.involves(interaction.user.id):
            raise NotAllowed(
                _("Only the mentor and mentee of this pairing can give feedback.")
            )
        body = clean_text(text)
        if not body:
            await reply(interaction, _("No feedback given; that is fine. Thank you!"))
            return
        await q.save_feedback(
            self.bot.db, pairing_id, interaction.user.id, body, now_ts()
        )
        with guild_language():
            note = _(
                "Mentoring feedback on pairing #{id} from <@{user}>: {text}",
                id=pairing_id,
                user=interaction.user.id,
                text=quote(body),
            )
        # Answer first: the log post is a Discord call.
        await reply(
            interaction, _("Thank you for your feedback! Only organisers see it.")
        )
        await self.bot.notices.post(pairing.guild_id, note, private=True)

    # -- mentees ----------------------------------------------------------------------
    @app_commands.command(name="request")
    @app_commands.describe(
        topics="What you want help with, comma-separated (for example flask, first-contribution)",
        goal="What you would like to achieve (only your mentor and organisers see it)",
        timezone="Your timezone, for example America/New_York",
        languages="Languages you are comfortable in, comma-separated",
    )
    async def request(
        self,
        interaction: Interaction,
        topics: str,
        goal: str,
        timezone: Timezone,
        languages: str | None = None,
    ) -> None:
        """Ask for a mentor."""
        guild_id = self.guild_id(interaction)
        slugs = self.parse_topics(topics)
        spoken = self.parse_languages(languages)
        cleaned = clean_text(goal)
        if not cleaned or len(cleaned) > logic.GOAL_LENGTH:
            raise UserError(
                _(
                    "Describe your goal in 1 to {limit} characters.",
                    limit=logic.GOAL_LENGTH,
                )
            )
        request_id = await q.create_request(
            self.bot.db,
            guild_id=guild_id,
            mentee_id=interaction.user.id,
            topics=slugs,
            goal=cleaned,
            timezone=timezone.key,
            languages=spoken,
            now=now_ts(),
        )
        if request_id is None:
            raise UserError(
                _(
                    "You already have a mentoring request: see it with /mentor status, or /mentor cancel it first."
                )
            )
        await self.ensure_digest(guild_id)
        await reply(
            interaction,
            _(
                "Your request #{id} is in the queue. Mentors see your topics, timezone and languages; only your mentor and organisers see your goal. I will add you to a private thread when a mentor claims it.",
                id=request_id,
            ),
        )

    request.autocomplete("topics")(_topics_complete)
    request.autocomplete("languages")(_languages_complete)

    @app_commands.command(name="cancel")
    async def cancel(self, interaction: Interaction) -> None:
        """Withdraw your open mentoring request."""
        guild_id = self.guild_id(interaction)
        if not await q.cancel_request(
            self.bot.db, guild_id, interaction.user.id, now_ts()
        ):
            live = await q.live_request(self.bot.db, guild_id, interaction.user.id)
            if live is not None and live.state == "claimed":
                raise UserError(
                    _(
                        "Your request already has a mentor: use /mentor end to close the pairing."
                    )
                )
            raise UserError(_("You have no open mentoring request."))
        await reply(interaction, _("Your request was withdrawn."))

    @app_commands.command(name="status")
    @app_commands.describe(member="Organisers: whose request to show")
    async def status(
        self, interaction: Interaction, member: discord.Member | None = None
    ) -> None:
        """Show your mentoring request and pairings."""
        guild_id = self.guild_id(interaction)
        target = interaction.user.id
        organiser_look = member is not None and member.id != target
        if member is not None and organiser_look:
            await require_role(interaction, Role.ORGANISER)
            target = member.id
        lines: list[str] = []
        live = await q.live_request(self.bot.db, guild_id, target)
        if live is not None:
            state = _("waiting for a mentor") if live.state == "open" else _("claimed")
            lines.append(_("Request #{id}: {state}", id=live.id, state=state))
            lines.append(self.describe_request(live, goal=True))
        pairings = await q.active_pairings_of(self.bot.db, guild_id, target)
        for pairing in pairings:
            if pairing.mentee_id == target:
                lines.append(
                    _(
                        "Mentored by <@{mentor}> in <#{thread}>",
                        mentor=pairing.mentor_id,
                        thread=pairing.thread_id,
                    )
                )
            else:
                lines.append(
                    _(
                        "Mentoring <@{mentee}> in <#{thread}>",
                        mentee=pairing.mentee_id,
                        thread=pairing.thread_id,
                    )
                )
        if not lines:
            lines.append(
                _(
                    "No mentoring request or pairing. Ask for a mentor with /mentor request."
                )
            )
        await reply(interaction, "\n".join(lines))
        # After the answer: adding to threads is a Discord call per pairing.
        if organiser_look:
            await self.let_organiser_in(interaction, pairings)

    async def let_organiser_in(
        self, interaction: Interaction, pairings: list[Pairing]
    ) -> None:
        """Add an organiser who looks a member up to that member's pair threads.

        The bot cannot list an organiser role's members without the members intent,
        so organisers join a private thread when they look, rather than at creation.
        """
        for pairing in pairings:
            if pairing.thread_id is None:
                continue
            thread = self.bot.get_channel(pairing.thread_id)
            if not isinstance(thread, discord.Thread):
                thread = await self.bot.fetch_channel(pairing.thread_id)
            if isinstance(thread, discord.Thread):
                await thread.add_user(interaction.user)

    # -- organisers -------------------------------------------------------------------
    @app_commands.command(name="stats")
    @requires(Role.ORGANISER)
    async def stats(self, interaction: Interaction) -> None:
        """Show mentoring numbers for organisers."""
        stats = await q.stats(self.bot.db, self.guild_id(interaction))
        median = logic.median_seconds(stats.waits)
        text = "\n".join(
            [
                _("Open requests: {count}", count=stats.open_requests),
                _("Active pairs: {count}", count=stats.active_pairs),
                _("Completed pairings: {count}", count=stats.completed),
                _(
                    "Median wait to be claimed: {wait}",
                    wait=_format_duration(median) if median is not None else "-",
                ),
            ]
        )
        await reply(interaction, text)

    @app_commands.command(name="checkins")
    @app_commands.describe(days="Days between check-in prompts for new pairings")
    @requires(Role.ORGANISER)
    async def checkins(
        self, interaction: Interaction, days: app_commands.Range[int, 1, 90]
    ) -> None:
        """Set how often pairs get a check-in prompt."""
        await q.set_checkin_days(self.bot.db, self.guild_id(interaction), days)
        await reply(
            interaction,
            ngettext(
                "Pairs will get a check-in every {count} day.",
                "Pairs will get a check-in every {count} days.",
                days,
                count=days,
            ),
        )

    @app_commands.command(name="match")
    @requires(Role.ORGANISER)
    async def match(self, interaction: Interaction) -> None:
        """Propose the best assignment of open requests to available mentors."""
        guild_id = self.guild_id(interaction)
        # The oldest requests first, a cohort at a time: one line per pair fits an
        # embed, and the assignment stays small however long the queue.
        requests, waiting = await q.unclaimed(
            self.bot.db, guild_id, now_ts(), logic.MATCH_COHORT
        )
        mentors = await q.available_mentors(self.bot.db, guild_id)
        at = utcnow()
        pairs = logic.propose_assignment(requests, mentors, at)
        if not pairs:
            await reply(
                interaction,
                _(
                    "No pairs to propose: no open request shares a topic with a mentor who has room."
                ),
            )
            return
        proposal_id = await q.save_proposal(
            self.bot.db,
            guild_id,
            interaction.user.id,
            [(r.id, m.user_id) for r, m in pairs],
            now_ts(),
        )
        lines = []
        for request, mentor in pairs:
            fit = logic.fit(mentor, request, at)
            lines.append(
                ngettext(
                    "#{id} <@{mentee}> with <@{mentor}>: {count} shared topic, {hours} h apart",
                    "#{id} <@{mentee}> with <@{mentor}>: {count} shared topics, {hours} h apart",
                    fit.overlap,
                    id=request.id,
                    mentee=request.mentee_id,
                    mentor=mentor.user_id,
                    count=fit.overlap,
                    hours=round(-fit.closeness / 60, 1),
                )
            )
        left = waiting - len(pairs)
        embed = discord.Embed(
            title=_("Proposed pairs"),
            description="\n".join(lines),
        )
        if left:
            embed.set_footer(
                text=ngettext(
                    "{count} request stays in the queue.",
                    "{count} requests stay in the queue.",
                    left,
                    count=left,
                )
            )
        await reply(
            interaction,
            _("Nothing is created until you confirm."),
            embed=embed,
            view=view_of(MatchConfirmButton(proposal_id)),
        )

    async def confirm_match(self, interaction: Interaction, proposal_id: int) -> None:
        await require_role(interaction, Role.ORGANISER)
        guild_id = self.guild_id(interaction)
        channel = await self.mentorship_channel(guild_id)
        await defer(interaction)
        proposal = await q.take_proposal(self.bot.db, guild_id, proposal_id)
        if proposal is None:
            raise UserError(_("This proposal was already confirmed."))
        made, skipped = 0, 0
        trouble: discord.HTTPException | None = None
        for request_id, mentor_id in proposal.pairs:
            pairing = await q.claim(
                self.bot.db, guild_id, request_id, mentor_id, now_ts()
            )
            request = await q.request(self.bot.db, guild_id, request_id)
            if pairing is None or request is None:
                skipped += 1
                continue
            try:
                await self.open_pair_space(channel, pairing, request)
            except discord.HTTPException as error:
                await q.undo_claim(self.bot.db, pairing, now_ts())
                # The next thread would fail the same way: stop, say why.
                trouble = error
                break
            made += 1
        text = ngettext(
            "{count} pair created.", "{count} pairs created.", made, count=made
        )
        if skipped:
            text += " " + ngettext(
                "{count} pair was skipped: its request or mentor changed meanwhile.",
                "{count} pairs were skipped: their requests or mentors changed meanwhile.",
                skipped,
                count=skipped,
            )
        if trouble is not None:
            text += " " + _(
                "Then Discord refused to open a private thread in {channel} (error "
                "{status}); the other requests stay in the queue. Check that my role "
                "has Create Private Threads there, then run /mentor match again.",
                channel=channel.mention,
                status=trouble.status,
            )
        await reply(interaction, text)

    # -- check-ins ----------------------------------------------------------------------
    async def run_checkin(self, job: Job) -> None:
        pairing_id = int(job.payload["pairing"])
        seq = int(job.payload["seq"])
        pairing = await q.pairing(self.bot.db, pairing_id)
        if pairing is None or pairing.state != "active" or pairing.thread_id is None:
            return
        await q.record_checkin(self.bot.db, pairing_id, seq, now_ts())
        # The next one first: Discord trouble with this one must not end the pair's
        # check-ins (a retry only moves it by the retry's delay).
        await self.schedule_checkin(pairing, seq + 1, max(job.due_at, utcnow()))
        text = _(
            "Check-in time, <@{mentee}> and <@{mentor}>: how is the mentoring going?",
            mentee=pairing.mentee_id,
            mentor=pairing.mentor_id,
        )
        try:
            await self.bot.outbox.send(
                checkin_key(pairing_id, seq),
                pairing.thread_id,
                guild_id=pairing.guild_id,
                content=text,
                view=view_of(
                    CheckinButton(pairing_id, seq, "well"),
                    CheckinButton(pairing_id, seq, "help"),
                ),
                allowed_mentions=mention_only(
                    discord.Object(pairing.mentee_id), discord.Object(pairing.mentor_id)
                ),
            )
        except discord.NotFound:
            # The pair's thread is gone: no more check-ins there (organisers hear).
            await self.bot.scheduler.cancel(checkin_key(pairing_id, seq + 1))
            raise

    async def answer_checkin(
        self, interaction: Interaction, pairing_id: int, seq: int, answer: str
    ) -> None:
        pairing = await q.pairing(self.bot.db, pairing_id)
        if pairing is None or not pairing.involves(interaction.user.id):
            raise NotAllowed(
                _("Only the mentor and mentee of this pairing can answer.")
            )
        value = "going_well" if answer == "well" else "need_help"
        changed = await q.answer_checkin(
            self.bot.db, pairing_id, seq, value, interaction.user.id, now_ts()
        )
        if changed is None:
            raise UserError(_("This check-in is unknown."))
        if value == "need_help":
            # Answer first: the log post is a Discord call.
            await reply(
                interaction,
                _("Thanks for saying so: the organisers were told and will reach out."),
            )
            if changed:
                with guild_language():
                    alert = _(
                        "A mentoring pair needs help: <@{user}> answered the check-in in <#{thread}> (pairing #{id}).",
                        user=interaction.user.id,
                        thread=pairing.thread_id,
                        id=pairing_id,
                    )
                await self.bot.notices.post(pairing.guild_id, alert, private=True)
        else:
            await reply(interaction, _("Glad to hear it. Thank you!"))

    # -- weekly digest --------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_pallets_ready(self) -> None:
        for guild in self.bot.guilds:
            await self.ensure_digest(guild.id)
        for guild in self.bot.guilds:
            await self.engine.warm_queue(guild.id)

    async def ensure_digest(self, guild_id: int) -> None:
        due = logic.next_digest_at(utcnow())
        await self.bot.schedule(
            DIGEST_KIND,
            f"mentorship:digest:{guild_id}:{int(due.timestamp())}",
            due,
            guild_id=guild_id,
        )

    async def run_digest(self, job: Job) -> None:
        guild_id = job.guild_id
        assert guild_id is not None
        await self.ensure_digest(guild_id)
        settings = await self.bot.guild_config.get(guild_id)
        log_channel = settings.channel(Channel.LOG)
        cutoff = now_ts() - int(logic.UNCLAIMED_AFTER.total_seconds())
        waiting, total = await q.unclaimed(
            self.bot.db, guild_id, cutoff, logic.DIGEST_LISTED
        )
        if log_channel is None or not waiting:
            return
        mentors = await q.available_mentors(self.bot.db, guild_id)
        at = utcnow()
        lines = [
            ngettext(
                "{count} mentoring request has waited over a week:",
                "{count} mentoring requests have waited over a week:",
                total,
                count=total,
            )
        ]
        # Scoring every mentor for each listed request is pure Python that takes
        # half a second at a big community's size: off the event loop, so members'
        # commands are not held up by the weekly digest.
        suggestions = await asyncio.to_thread(
            lambda: [logic.suggest_mentors(r, mentors, at) for r in waiting]
        )
        for request, suggested in zip(waiting, suggestions, strict=True):
            names = ", ".join(f"<@{m.user_id}>" for m in suggested) or _(
                "nobody with room"
            )
            lines.append(
                _(
                    "#{id} <@{mentee}> since {when}, topics {topics}; suggested: {mentors}",
                    id=request.id,
                    mentee=request.mentee_id,
                    when=discord_timestamp(request.created_at, "D"),
                    topics=self.topic_names(request.topics),
                    mentors=names,
                )
            )
        if total > len(waiting):
            more = total - len(waiting)
            lines.append(ngettext("and {count} more", "and {count} more", more))
        await self.bot.outbox.send(
            job.key,
            log_channel,
            guild_id=guild_id,
            embed=discord.Embed(
                title=_("Mentoring: unclaimed requests"), description="\n".join(lines)
            ),
        )


def _format_duration(seconds: int) -> str:
    if seconds >= 2 * 86400:
        days = seconds // 86400
        return ngettext("{count} day", "{count} days", days, count=days)
    if seconds >= 3600:
        hours = seconds // 3600
        return ngettext("{count} hour", "{count} hours", hours, count=hours)
    minutes = max(seconds // 60, 0)
    return ngettext("{count} minute", "{count} minutes", minutes, count=minutes)
