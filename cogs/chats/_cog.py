"""/chat: recurring community chats, their topics, reminders and notes."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import timezones
from bot.app import PalletsBot
from bot.calendar import CalendarEntry
from bot.clock import discord_timestamp
from bot.clock import now_ts
from bot.clock import utcnow
from bot.errors import UserError
from bot.guilds import Channel
from bot.guilds import Role
from bot.i18n import _
from bot.i18n import guild_language
from bot.i18n import ngettext
from bot.permissions import requires
from bot.replies import defer
from bot.replies import reply
from bot.safety import join_lines
from bot.safety import MESSAGE_LIMIT
from bot.safety import quote
from bot.ui import Interaction
from cogs.chats import _logic as logic
from cogs.chats import _queries as q
from cogs.chats._engine import agenda_lines
from cogs.chats._engine import ChatEngine
from cogs.chats._engine import notes_thread_name
from cogs.chats._engine import when_text
from cogs.chats._engine import where
from cogs.chats._logic import Cadence
from cogs.chats._logic import ChatInputError
from cogs.chats._logic import Problem
from cogs.chats._queries import Occurrence
from cogs.chats._queries import Series
from cogs.chats._views import ConfirmDeleteView
from cogs.chats._views import DYNAMIC_ITEMS
from cogs.chats._views import NotesModal
from cogs.chats._views import proposal_view

VoiceOrStage = discord.VoiceChannel | discord.StageChannel

WEEKDAYS = [
    app_commands.Choice(name=name, value=index)
    for index, name in enumerate(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
]
CADENCES = [
    app_commands.Choice(name="monthly", value="monthly"),
    app_commands.Choice(name="quarterly", value="quarterly"),
]
WEEK_VALUES = ["1", "2", "3", "4", "last"]


def explain(error: ChatInputError) -> UserError:
    """The member-facing sentence for refused input, in the member's language."""
    p = error.params
    texts = {
        Problem.UNKNOWN_TIMEZONE: lambda: _(
            "{timezone} is not a timezone I know. Pick one from the list, like Europe/Paris.",
            timezone=p.get("timezone"),
        ),
        Problem.BAD_TIME: lambda: _(
            "{time} is not a time. Write it as HH:MM, like 17:30 (and dates as YYYY-MM-DD).",
            time=p.get("time"),
        ),
        Problem.NONEXISTENT_TIME: lambda: _(
            "{time} does not exist on {date} in that timezone (the clocks skip it for daylight saving time). Choose another time.",
            time=p.get("time"),
            date=p.get("date"),
        ),
        Problem.AMBIGUOUS_TIME: lambda: _(
            "{time} happens twice on {date} in that timezone (the clocks go back). Choose another time.",
            time=p.get("time"),
            date=p.get("date"),
        ),
        Problem.BAD_WEEK: lambda: _(
            "The week of the month must be 1, 2, 3, 4 or last, not {week}.",
            week=p.get("week"),
        ),
        Problem.BAD_DURATION: lambda: _(
            "A chat lasts between 1 minute and 12 hours (720 minutes)."
        ),
        Problem.BAD_LEAD: lambda: _(
            "The event opens between 1 and {limit} days ahead.",
            limit=logic.MAX_LEAD_DAYS,
        ),
        Problem.BAD_REMINDERS: lambda: _(
            "Reminders are up to {count} numbers of hours before the start, between 1 and {max}, separated by commas, like 24,1.",
            count=logic.MAX_REMINDERS,
            max=logic.MAX_REMINDER_HOURS,
        ),
        Problem.REMINDER_BEFORE_OPENING: lambda: _(
            "A reminder {hours} hours before would come before the event opens {days} days ahead. Open it earlier or remind later.",
            hours=p.get("hours"),
            days=p.get("days"),
        ),
        Problem.BAD_NAME: lambda: _("Give the series a name."),
        Problem.BAD_LOCATION: lambda: _(
            "Say where the chat happens: a voice or stage channel, or an https:// link, not both."
        ),
        Problem.EMPTY_TITLE: lambda: _("The text cannot be empty."),
        Problem.TOO_LONG: lambda: _(
            "That text is {length} characters long; the limit is {limit}.",
            length=p.get("length"),
            limit=p.get("limit"),
        ),
        Problem.MASS_MENTION: lambda: _(
            "Topics and notes cannot mention @everyone, @here or roles."
        ),
        Problem.PAST_TIME: lambda: _("That time has already passed."),
        Problem.TOO_FAR: lambda: _(
            "That is too far ahead: a chat can move at most {days} days.",
            days=p.get("days"),
        ),
    }
    return UserError(texts[error.problem]())


def rule_text(series: Series) -> str:
    ordinals = {
        1: _("first"),
        2: _("second"),
        3: _("third"),
        4: _("fourth"),
        -1: _("last"),
    }
    days = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    template = (
        _("every month, on the {week} {weekday}, at {time} {timezone}")
        if series.cadence is Cadence.MONTHLY
        else _("every three months, on the {week} {weekday}, at {time} {timezone}")
    )
    return template.format(
        week=ordinals[series.week],
        weekday=days[series.weekday],
        time=series.local_time,
        timezone=series.timezone,
    )


@app_commands.guild_only()
class ChatsCog(commands.GroupCog, group_name="chat"):
    """Run recurring community chats."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
        self.engine = ChatEngine(bot)

    async def cog_load(self) -> None:
        self.engine.register()
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.calendar_sources.register("chats", self._calendar)

    async def cog_unload(self) -> None:
        self.engine.unregister()
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.calendar_sources.unregister("chats")

    async def _calendar(self, bot: PalletsBot, guild_id: int) -> list[CalendarEntry]:
        return await self.engine.calendar_entries(guild_id)

    # -- helpers ------------------------------------------------------------------------------
    async def _series(self, interaction: Interaction, name: str) -> Series:
        assert interaction.guild_id is not None
        series = await q.series_by_name(self.bot.db, interaction.guild_id, name)
        if series is None:
            raise UserError(_("There is no chat series called {name}.", name=name))
        return series

    async def _series_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        return [
            app_commands.Choice(name=s.name, value=s.name)
            for s in await q.all_series(self.bot.db, interaction.guild_id)
            if current.lower() in s.name.lower()
        ][:25]

    async def _timezone_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=n, value=n) for n in timezones.choices(current)
        ]

    async def _week_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=w, value=w) for w in WEEK_VALUES]

    async def _next_for(self, interaction: Interaction, name: str | None) -> Occurrence:
        assert interaction.guild_id is not None
        if name:
            series = await self._series(interaction, name)
            occ = await q.upcoming(self.bot.db, series.id)
        else:
            found = await q.upcoming_in_guild(self.bot.db, interaction.guild_id)
            occ = found[0] if found else None
        if occ is None:
            raise UserError(_("No chat is planned yet."))
        return occ

    # -- organisers: series ---------------------------------------------------------------
    @app_commands.command(name="series-create")
    @app_commands.describe(
        name="Name of the series, for example Flask chat",
        cadence="How often the chat happens",
        weekday="Day of the week of the chat",
        week="Which week of the month: 1 to 4, or last",
        time="Local start time, HH:MM",
        timezone="IANA timezone of the start time, for example Europe/Paris",
        duration="Length in minutes (at most 720)",
        channel="Voice or stage channel where the chat happens",
        url="Link to an external meeting, instead of a channel",
        lead_days="How many days ahead the Discord event and announcement appear",
        reminders="Hours before the start to remind, comma separated (default 24,1)",
    )
    @app_commands.choices(cadence=CADENCES)
    @app_commands.choices(weekday=WEEKDAYS)
    @requires(Role.ORGANISER)
    async def series_create(
        self,
        interaction: Interaction,
        name: str,
        cadence: app_commands.Choice[str],
        weekday: app_commands.Choice[int],
        week: str,
        time: str,
        timezone: str,
        duration: int,
        channel: VoiceOrStage | None = None,
        url: str | None = None,
        lead_days: int = 7,
        reminders: str = "24,1",
    ) -> None:
        """Create a recurring community chat."""
        assert interaction.guild_id is not None
        try:
            values = self._validate_series(
                name,
                cadence.value,
                weekday.value,
                week,
                time,
                timezone,
                duration,
                self._location(channel, url),
                lead_days,
                reminders,
            )
        except ChatInputError as error:
            raise explain(error) from None
        if await q.series_by_name(
            self.bot.db, interaction.guild_id, str(values["name"])
        ):
            raise UserError(
                _("A series called {name} already exists.", name=values["name"])
            )
        series = await q.create_series(
            self.bot.db, interaction.guild_id, created_by=interaction.user.id, **values
        )
        occ = await self.engine.ensure_next(series)
        assert occ is not None
        await reply(
            interaction,
            _(
                "Created the series {name}: {rule}. The next chat is on {when}; its event and announcement appear {days} days before.",
                name=series.name,
                rule=rule_text(series),
                when=when_text(occ),
                days=series.lead_days,
            ),
        )

    def _validate_series(
        self,
        name: str,
        cadence: str,
        weekday: int,
        week: str,
        time: str,
        timezone: str,
        duration: int,
        location: dict[str, object],
        lead_days: int,
        reminders: str,
    ) -> dict[str, object]:
        clean_name = logic.check_name(name)
        tz = logic.zone(timezone)
        at = logic.parse_local_time(time)
        week_number = logic.parse_week(week)
        logic.check_duration(duration)
        hours = logic.parse_reminders(reminders)
        logic.check_lead(lead_days, hours)
        rec = logic.Recurrence(
            Cadence(cadence),
            weekday,
            week_number,
            at,
            tz.key,
            logic.phase_for(Cadence(cadence), utcnow(), tz),
        )
        logic.check_recurrence(rec, utcnow())
        return {
            "name": clean_name,
            "cadence": cadence,
            "weekday": weekday,
            "week": week_number,
            "local_time": logic.format_time(at),
            "timezone": tz.key,
            "month_phase": rec.month_phase,
            "duration_minutes": duration,
            "lead_days": lead_days,
            "reminder_hours": logic.format_reminders(hours),
            **location,
        }

    @staticmethod
    def _location(channel: VoiceOrStage | None, url: str | None) -> dict[str, object]:
        if (channel is None) == (not url):
            raise ChatInputError(Problem.BAD_LOCATION)
        if channel is not None:
            kind = "stage" if isinstance(channel, discord.StageChannel) else "voice"
            return {
                "location_kind": kind,
                "channel_id": channel.id,
                "location_url": None,
            }
        assert url is not None
        cleaned = url.strip()
        if not cleaned.startswith("https://") or len(cleaned) > 100 or " " in cleaned:
            raise ChatInputError(Problem.BAD_LOCATION)
        return {
            "location_kind": "external",
            "channel_id": None,
            "location_url": cleaned,
        }

    @series_create.autocomplete("timezone")
    async def _create_timezone(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._timezone_choices(interaction, current)

    @series_create.autocomplete("week")
    async def _create_week(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._week_choices(interaction, current)

    @app_commands.command(name="series-list")
    @requires(Role.ORGANISER)
    async def series_list(self, interaction: Interaction) -> None:
        """List this server's chat series."""
        assert interaction.guild_id is not None
        lines = []
        for series in await q.all_series(self.bot.db, interaction.guild_id):
            occ = await q.upcoming(self.bot.db, series.id)
            state = (
                _("paused")
                if series.paused
                else when_text(occ)
                if occ
                else _("nothing planned")
            )
            lines.append(
                _(
                    "**{name}**: {rule}; {where}. Next: {state}",
                    name=quote(series.name),
                    rule=rule_text(series),
                    where=where(series),
                    state=state,
                )
            )
        await reply(interaction, join_lines(lines) if lines else _("No series yet."))

    @app_commands.command(name="series-edit")
    @app_commands.describe(
        series="The series to change",
        name="New name",
        time="New local start time, HH:MM",
        timezone="New IANA timezone",
        duration="New length in minutes",
        channel="New voice or stage channel",
        url="New external meeting link",
        lead_days="New number of days ahead the event appears",
        reminders="New reminder hours before the start, comma separated",
    )
    @requires(Role.ORGANISER)
    async def series_edit(
        self,
        interaction: Interaction,
        series: str,
        name: str | None = None,
        time: str | None = None,
        timezone: str | None = None,
        duration: int | None = None,
        channel: VoiceOrStage | None = None,
        url: str | None = None,
        lead_days: int | None = None,
        reminders: str | None = None,
    ) -> None:
        """Change a chat series; announced chats keep their time."""
        assert interaction.guild_id is not None
        current = await self._series(interaction, series)
        changes = (name, time, timezone, duration, channel, url, lead_days, reminders)
        if all(value is None for value in changes):
            raise UserError(_("Nothing to change."))
        try:
            location: dict[str, object] = (
                self._location(channel, url)
                if channel is not None or url
                else {
                    "location_kind": current.location_kind,
                    "channel_id": current.channel_id,
                    "location_url": current.location_url,
                }
            )
            values = self._validate_series(
                name or current.name,
                current.cadence.value,
                current.weekday,
                str(current.week),
                time or current.local_time,
                timezone or current.timezone,
                duration if duration is not None else current.duration_minutes,
                location,
                lead_days if lead_days is not None else current.lead_days,
                reminders
                if reminders is not None
                else logic.format_reminders(current.reminder_hours),
            )
        except ChatInputError as error:
            raise explain(error) from None
        for fixed in ("cadence", "weekday", "week", "month_phase"):
            values.pop(fixed)
        if name:
            clash = await q.series_by_name(
                self.bot.db, interaction.guild_id, str(values["name"])
            )
            if clash is not None and clash.id != current.id:
                raise UserError(
                    _("A series called {name} already exists.", name=values["name"])
                )
        updated = await q.update_series(self.bot.db, current.id, **values)
        occ = await self.engine.replan(updated)
        text = _(
            "Saved the series {name}: {rule}.",
            name=updated.name,
            rule=rule_text(updated),
        )
        if occ is not None and occ.status == "open":
            text = _(
                "{saved} The chat already announced for {when} keeps its time; use /chat reschedule to move it.",
                saved=text,
                when=when_text(occ),
            )
        await reply(interaction, text)

    @app_commands.command(name="series-pause")
    @app_commands.describe(series="The series to pause")
    @requires(Role.ORGANISER)
    async def series_pause(self, interaction: Interaction, series: str) -> None:
        """Stop planning new chats of a series."""
        found = await self._series(interaction, series)
        if found.paused:
            raise UserError(_("{name} is already paused.", name=found.name))
        still = await self.engine.pause(found)
        text = _("{name} is paused.", name=found.name)
        if still is not None:
            text = _(
                "{name} is paused. The chat already announced for {when} still takes place; skip it with /chat skip.",
                name=found.name,
                when=when_text(still),
            )
        await reply(interaction, text)

    @app_commands.command(name="series-resume")
    @app_commands.describe(series="The series to resume")
    @requires(Role.ORGANISER)
    async def series_resume(self, interaction: Interaction, series: str) -> None:
        """Plan chats of a paused series again."""
        found = await self._series(interaction, series)
        if not found.paused:
            raise UserError(_("{name} is not paused.", name=found.name))
        occ = await self.engine.resume(found)
        assert occ is not None
        await reply(
            interaction,
            _(
                "{name} is back. Next chat: {when}.",
                name=found.name,
                when=when_text(occ),
            ),
        )

    @app_commands.command(name="series-delete")
    @app_commands.describe(series="The series to delete")
    @requires(Role.ORGANISER)
    async def series_delete(self, interaction: Interaction, series: str) -> None:
        """Delete a chat series, after you confirm."""
        found = await self._series(interaction, series)
        await reply(
            interaction,
            _(
                "Delete {name}? Its planned chats, Discord events, topics and notes go too.",
                name=found.name,
            ),
            view=ConfirmDeleteView(found.id, interaction.user.id),
        )

    # -- organisers: one occurrence -----------------------------------------------------------
    @app_commands.command(name="skip")
    @app_commands.describe(series="The series whose next chat is skipped")
    @requires(Role.ORGANISER)
    async def skip(self, interaction: Interaction, series: str) -> None:
        """Skip the next chat of a series."""
        found = await self._series(interaction, series)
        occ = await q.upcoming(self.bot.db, found.id)
        if occ is None:
            raise UserError(_("{name} has no chat planned.", name=found.name))
        await defer(interaction)  # cancelling the event and editing posts is slow
        following = await self.engine.skip(found, occ)
        text = _("Skipped the chat of {when}.", when=when_text(occ))
        if following is not None:
            text = _(
                "Skipped the chat of {when}. The next one is on {next}.",
                when=when_text(occ),
                next=when_text(following),
            )
        await reply(interaction, text)

    @app_commands.command(name="reschedule")
    @app_commands.describe(
        series="The series whose next chat moves",
        date="New date in the series' timezone, YYYY-MM-DD",
        time="New local start time, HH:MM (default: the usual time)",
    )
    @requires(Role.ORGANISER)
    async def reschedule(
        self, interaction: Interaction, series: str, date: str, time: str | None = None
    ) -> None:
        """Move the next chat of a series to another time."""
        found = await self._series(interaction, series)
        occ = await q.upcoming(self.bot.db, found.id)
        if occ is None:
            raise UserError(_("{name} has no chat planned.", name=found.name))
        try:
            start = logic.parse_local_datetime(
                date, time or found.local_time, logic.zone(found.timezone)
            )
            logic.check_future(start, utcnow())
        except ChatInputError as error:
            raise explain(error) from None
        await defer(interaction)  # moving the event and editing posts is slow
        moved = await self.engine.reschedule(found, occ, start)
        await reply(
            interaction,
            _(
                "Moved the chat to {when}. The Discord event, the announcement and the reminders follow.",
                when=when_text(moved),
            ),
        )

    @app_commands.command(name="notes")
    @app_commands.describe(series="The series whose latest chat the notes are for")
    @requires(Role.ORGANISER)
    async def notes(self, interaction: Interaction, series: str) -> None:
        """Write the notes of the latest chat of a series."""
        found = await self._series(interaction, series)
        occ = await q.latest_started(self.bot.db, found.id, now_ts())
        if occ is None:
            raise UserError(
                _("No chat of {name} has taken place yet.", name=found.name)
            )
        await interaction.response.send_modal(NotesModal(occ.id, occ.notes))

    async def save_notes(
        self, interaction: Interaction, occurrence_id: int, text: str
    ) -> None:
        try:
            cleaned = logic.check_text(text, logic.NOTES_LIMIT, required=True)
        except ChatInputError as error:
            raise explain(error) from None
        occ = await q.occurrence(self.bot.db, occurrence_id)
        series = await q.series_by_id(self.bot.db, occ.series_id) if occ else None
        if occ is None or series is None:
            raise UserError(_("That chat no longer exists."))
        await defer(interaction)  # opening a thread and posting is slow
        occ = await q.save_notes(self.bot.db, occ.id, cleaned, interaction.user.id)
        target = await self._notes_target(series, occ)
        if target is not None:
            with guild_language():
                content = _(
                    "Notes of {name} ({date}):\n{notes}",
                    name=series.name,
                    date=discord_timestamp(occ.starts_at, "D"),
                    notes=cleaned,
                )
            # Notes may be longer than a message: posted in parts, never clipped.
            key = f"chats:occ:{occ.id}:notes:{occ.notes_revision}"
            for n, part in enumerate(logic.split_message(content, MESSAGE_LIMIT)):
                await self.bot.outbox.send(
                    f"{key}:{n + 1}" if n else key,
                    target,
                    guild_id=occ.guild_id,
                    content=part,
                )
        await reply(interaction, _("Notes saved and posted."))

    async def _notes_target(self, series: Series, occ: Occurrence) -> int | None:
        """The thread on the announcement, opened once; else the channel itself."""
        if occ.notes_thread_id is not None:
            return occ.notes_thread_id
        if occ.announcement_message_id is None or occ.announcement_channel_id is None:
            settings = await self.bot.guild_config.get(occ.guild_id)
            return settings.channel(Channel.ANNOUNCEMENTS)
        message = self.bot.get_partial_messageable(
            occ.announcement_channel_id, guild_id=occ.guild_id
        ).get_partial_message(occ.announcement_message_id)
        with guild_language():
            name = notes_thread_name(series, occ)
        try:
            thread_id = (await message.create_thread(name=name)).id
        except discord.HTTPException as error:
            if error.status != 400:
                raise
            # opened before a crash, before its id was recorded: a thread started
            # from a message has that message's id
            thread_id = message.id
        await q.set_notes_thread(self.bot.db, occ.id, thread_id)
        return thread_id

    # -- everyone --------------------------------------------------------------------------------
    @app_commands.command(name="history")
    async def history(self, interaction: Interaction) -> None:
        """List past chats with links to their notes."""
        assert interaction.guild_id is not None
        lines = []
        for name, occ in await q.history(self.bot.db, interaction.guild_id, now_ts()):
            notes = (
                _("notes: {thread}", thread=f"<#{occ.notes_thread_id}>")
                if occ.notes_thread_id
                else _("notes saved")
                if occ.notes
                else _("no notes yet")
            )
            lines.append(
                _(
                    "{date}: **{name}**, {notes}",
                    date=discord_timestamp(occ.starts_at, "D"),
                    name=quote(name),
                    notes=notes,
                )
            )
        await reply(
            interaction,
            join_lines(lines) if lines else _("No chat has taken place yet."),
        )

    @app_commands.command(name="next")
    async def next(self, interaction: Interaction) -> None:
        """Show the next chat of each series, in your own time."""
        assert interaction.guild_id is not None
        embed = discord.Embed(title=_("Next community chats"))
        for occ in await q.upcoming_in_guild(self.bot.db, interaction.guild_id):
            series = await q.series_by_id(self.bot.db, occ.series_id)
            if series is None:
                continue
            agenda = agenda_lines(await q.proposals(self.bot.db, occ.id))
            interest = await q.interest_count(self.bot.db, occ.id)
            embed.add_field(
                name=series.name,
                value=_(
                    "{when}\nWhere: {where}\n{interest}\n{agenda}",
                    when=when_text(occ),
                    where=where(series),
                    interest=ngettext(
                        "{count} member interested",
                        "{count} members interested",
                        interest,
                    ),
                    agenda="\n".join(agenda) if agenda else _("No topics yet."),
                ),
                inline=False,
            )
        if not embed.fields:
            raise UserError(_("No chat is planned yet."))
        await reply(interaction, embed=embed)

    @app_commands.command(name="propose")
    @app_commands.describe(
        title="The topic, in a line",
        details="More about it (optional)",
        series="Which series (default: the next chat)",
    )
    async def propose_command(
        self,
        interaction: Interaction,
        title: str,
        details: str | None = None,
        series: str | None = None,
    ) -> None:
        """Propose a topic for the next chat."""
        occ = await self._next_for(interaction, series)
        await self.propose(interaction, occ, title, details or "")

    async def propose(
        self, interaction: Interaction, occ: Occurrence, title: str, details: str
    ) -> None:
        try:
            clean_title = logic.check_text(title, logic.TITLE_LIMIT, required=True)
            clean_details = logic.check_text(details, logic.DETAILS_LIMIT)
        except ChatInputError as error:
            raise explain(error) from None
        if occ.voting_closed:
            raise UserError(_("This chat is over: voting and sign-ups are closed."))
        mine = await q.count_proposals_by(self.bot.db, occ.id, interaction.user.id)
        if mine >= logic.PROPOSALS_PER_MEMBER:
            raise UserError(
                ngettext(
                    "You can propose {count} topic per chat.",
                    "You can propose {count} topics per chat.",
                    logic.PROPOSALS_PER_MEMBER,
                )
            )
        series = await q.series_by_id(self.bot.db, occ.series_id)
        assert series is not None
        await defer(interaction)  # posting the topic is a Discord call
        proposal_id = await q.add_proposal(
            self.bot.db, occ, interaction.user.id, clean_title, clean_details
        )
        proposal = await q.proposal(self.bot.db, proposal_id)
        assert proposal is not None
        settings = await self.bot.guild_config.get(occ.guild_id)
        channel_id = settings.channel(Channel.ANNOUNCEMENTS)
        if channel_id is not None:
            with guild_language():
                content = _(
                    "Topic proposed for {name} on {date} by {author}: **{title}**\n{details}",
                    name=series.name,
                    date=discord_timestamp(occ.starts_at, "D"),
                    author=interaction.user.mention,
                    title=quote(clean_title),
                    details=quote(clean_details),
                ).strip()
                view = proposal_view(proposal)
            delivery = await self.bot.outbox.send(
                f"chats:proposal:{proposal.id}",
                channel_id,
                guild_id=occ.guild_id,
                content=content,
                view=view,
            )
            if delivery.message_id is not None and delivery.channel_id is not None:
                await q.set_proposal_message(
                    self.bot.db, proposal.id, delivery.channel_id, delivery.message_id
                )
        await reply(
            interaction,
            _(
                "Your topic is proposed for the chat on {when}. Members can upvote it.",
                when=when_text(occ),
            ),
        )
        await self.engine.refresh_announcement(occ.id)

    @app_commands.command(name="topics")
    @app_commands.describe(series="Which series (default: the next chat)")
    async def topics(self, interaction: Interaction, series: str | None = None) -> None:
        """Show the topics proposed for the next chat, with their votes."""
        occ = await self._next_for(interaction, series)
        proposals = await q.proposals(self.bot.db, occ.id)
        if not proposals:
            raise UserError(_("No topics yet: propose one with /chat propose."))
        lines = agenda_lines(proposals, size=len(proposals))
        await reply(
            interaction,
            _(
                "Topics for the chat on {when}:\n{lines}",
                when=when_text(occ),
                lines="\n".join(lines),
            ),
        )

    # -- autocomplete --------------------------------------------------------------------------
    @series_edit.autocomplete("series")
    @series_pause.autocomplete("series")
    @series_resume.autocomplete("series")
    @series_delete.autocomplete("series")
    @skip.autocomplete("series")
    @reschedule.autocomplete("series")
    @notes.autocomplete("series")
    @propose_command.autocomplete("series")
    @topics.autocomplete("series")
    async def _any_series(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._series_choices(interaction, current)

    @series_edit.autocomplete("timezone")
    async def _edit_timezone(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._timezone_choices(interaction, current)
