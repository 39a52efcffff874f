"""/chat (every member: what is next, topics, past chats) and /chat-admin (organisers:
series, skips, moves and notes)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot import dates
from bot.clock import now_ts
from bot.clock import utcnow
from bot.guilds import Role
from bot.job import JobCog
from bot.permissions import member_group
from bot.permissions import require_role
from bot.permissions import requires
from bot.permissions import role_group
from bot.refusals import Refused
from bot.replies import defer
from bot.replies import reply
from bot.timezones import language_of
from bot.timezones import Timezone
from bot.timezones import zone_for
from bot.ui import answer
from bot.ui import ask_to_confirm
from bot.ui import hold
from bot.ui import Interaction
from bot.ui import show_page
from cogs.chats import _logic as logic
from cogs.chats import _queries as q
from cogs.chats import _render as render
from cogs.chats._engine import ChatEngine
from cogs.chats._logic import Problem
from cogs.chats._queries import Occurrence
from cogs.chats._queries import Series
from cogs.chats._views import ConfirmDeleteView
from cogs.chats._views import HISTORY
from cogs.chats._views import NotesModal
from cogs.chats._views import PERSISTENT_ITEMS
from cogs.chats._views import SERIES
from cogs.chats._views import time_label
from cogs.chats._views import TOPICS
from cogs.chats._views import when_label
from cogs.chats._views import WhenForm

VoiceOrStage = discord.VoiceChannel | discord.StageChannel

WEEKDAYS = [
    app_commands.Choice(name=name, value=index)
    for index, name in enumerate(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
]
CADENCES = [
    app_commands.Choice(name="weekly", value="weekly"),
    app_commands.Choice(name="fortnightly", value="fortnightly"),
    app_commands.Choice(name="monthly", value="monthly"),
    app_commands.Choice(name="quarterly", value="quarterly"),
]
WEEK_VALUES = ["1", "2", "3", "4", "last"]


def place(channel: VoiceOrStage | None, url: str | None) -> dict[str, object]:
    """Where the chats of a series happen, from the command's options."""
    kind = "stage" if isinstance(channel, discord.StageChannel) else "voice"
    return logic.location(kind, channel.id if channel else None, url)


class ChatsCog(JobCog[ChatEngine], name="Chats"):
    """Recurring community chats: members' /chat, organisers' /chat-admin."""

    chat = member_group("chat", "Run recurring community chats.")
    # Every /chat-admin command is an organiser's: hidden from the other members
    # until an admin shows it to the role (bot.permissions.role_group).
    admin = role_group(
        "chat-admin",
        "Organise the community chats: series, skips, moves and notes",
        Role.ORGANISER,
    )

    engine_type = ChatEngine
    persistent_items = PERSISTENT_ITEMS

    @commands.Cog.listener()
    async def on_pallets_event_interest(
        self, guild_id: int, event_id: int, user_id: int, added: bool
    ) -> None:
        """Discord's own Interested on a chat's event counts as interest."""
        await self.engine.discord_interest(guild_id, event_id, user_id, added)

    # -- helpers ------------------------------------------------------------------------------
    async def _series(self, interaction: Interaction, name: str) -> Series:
        assert interaction.guild_id is not None
        series = await q.series_by_name(self.bot.db, interaction.guild_id, name)
        if series is None:
            raise Refused(Problem.NO_SERIES, name=name)
        return series

    async def _planned(
        self, interaction: Interaction, name: str
    ) -> tuple[Series, Occurrence]:
        """The series called ``name`` and its next chat."""
        series = await self._series(interaction, name)
        occ = await q.upcoming(self.bot.db, series.id)
        if occ is None:
            raise Refused(Problem.NO_CHAT_PLANNED, name=series.name)
        return series, occ

    async def _next_for(self, interaction: Interaction, name: str | None) -> Occurrence:
        assert interaction.guild_id is not None
        if name:
            series = await self._series(interaction, name)
            occ = await q.upcoming(self.bot.db, series.id)
        else:
            occ = await q.next_in_guild(self.bot.db, interaction.guild_id)
        if occ is None:
            raise Refused(Problem.NOTHING_PLANNED)
        return occ

    async def _check_name_free(
        self, interaction: Interaction, name: object, series_id: int | None = None
    ) -> None:
        assert interaction.guild_id is not None
        clash = await q.series_by_name(self.bot.db, interaction.guild_id, str(name))
        if clash is not None and clash.id != series_id:
            raise Refused(Problem.SERIES_EXISTS, name=name)

    # -- organisers: series ---------------------------------------------------------------
    @admin.command(name="series-create")
    @app_commands.describe(
        name="Name of the series, for example Flask chat",
        cadence="How often the chat happens",
        weekday="Day of the week of the chat",
        week="Which week of the month: 1 to 4, or last (monthly and quarterly)",
        time="Local start time, HH:MM",
        timezone="Timezone of the start time (default: yours, or the server's)",
        duration="Length in minutes (at most 720)",
        channel="Voice or stage channel where the chat happens",
        url="Link to an external meeting, instead of a channel",
        lead_days="How many days ahead the Discord event and announcement appear",
        reminders="When to remind before the start, like 24h,1h, or none (default 24h,1h)",
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
        time: str,
        duration: int,
        timezone: Timezone | None = None,
        week: str | None = None,
        channel: VoiceOrStage | None = None,
        url: str | None = None,
        lead_days: int = 7,
        reminders: str = "24h,1h",
    ) -> None:
        """Create a recurring community chat."""
        options = {
            "name": name,
            "cadence": cadence.value,
            "weekday": weekday.value,
            "week": week,
            "zone": await zone_for(interaction, timezone),
            "duration": duration,
            "place": place(channel, url),
            "lead_days": lead_days,
            "reminders": reminders,
        }
        await self._create_typed(interaction, options, time)

    async def _create_typed(
        self, interaction: Interaction, options: dict[str, Any], time: str
    ) -> None:
        """Check the series, show its first chat; create it only once confirmed."""
        values = logic.series_values(time=time, now=utcnow(), **options)
        await self._check_name_free(interaction, values["name"])
        first = logic.first_start(values, utcnow())

        async def confirm(clicked: Interaction) -> None:
            await require_role(clicked, Role.ORGANISER)
            assert clicked.guild_id is not None
            await self._check_name_free(clicked, values["name"])
            series = await q.create_series(
                self.bot.db, clicked.guild_id, created_by=clicked.user.id, **values
            )
            occ = await self.engine.ensure_next(series)
            assert occ is not None
            await answer(clicked, render.created(series, occ))

        async def edit(clicked: Interaction) -> None:
            async def again(inner: Interaction, text: str) -> None:
                await self._create_typed(inner, options, text)

            await clicked.response.send_modal(
                WhenForm(label=time_label(), typed=time, on_submit=again)
            )

        await ask_to_confirm(
            interaction,
            render.first_understood(str(values["timezone"]), first),
            confirm=confirm,
            edit=edit,
        )

    @series_create.autocomplete("week")
    async def _create_week(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=w, value=w) for w in WEEK_VALUES]

    @admin.command(name="series-list")
    @requires(Role.ORGANISER)
    async def series_list(self, interaction: Interaction) -> None:
        """List this server's chat series."""
        await show_page(interaction, SERIES)

    @admin.command(name="series-edit")
    @app_commands.describe(
        series="The series to change",
        name="New name",
        time="New local start time, HH:MM",
        timezone="New timezone: a city, country or zone name",
        duration="New length in minutes",
        channel="New voice or stage channel",
        url="New external meeting link",
        lead_days="New number of days ahead the event appears",
        reminders="New reminders before the start, like 24h,1h, or none",
    )
    @requires(Role.ORGANISER)
    async def series_edit(
        self,
        interaction: Interaction,
        series: str,
        name: str | None = None,
        time: str | None = None,
        timezone: Timezone | None = None,
        duration: int | None = None,
        channel: VoiceOrStage | None = None,
        url: str | None = None,
        lead_days: int | None = None,
        reminders: str | None = None,
    ) -> None:
        """Change a chat series; announced chats keep their time."""
        current = await self._series(interaction, series)
        changes = (name, time, timezone, duration, channel, url, lead_days, reminders)
        if all(value is None for value in changes):
            raise Refused(Problem.NOTHING_TO_CHANGE)
        options = {
            "name": name or current.name,
            "zone": timezone or ZoneInfo(current.timezone),
            "duration": duration if duration is not None else current.duration_minutes,
            "place": place(channel, url)
            if channel is not None or url
            else {
                "location_kind": current.location_kind,
                "channel_id": current.channel_id,
                "location_url": current.location_url,
            },
            "lead_days": lead_days if lead_days is not None else current.lead_days,
            "reminders": reminders
            if reminders is not None
            else logic.format_reminders(current.reminder_hours),
        }
        moves = time is not None or timezone is not None
        await self._edit_typed(
            interaction, current.name, options, time or current.local_time, moves
        )

    async def _edit_typed(
        self,
        interaction: Interaction,
        series: str,
        options: dict[str, Any],
        time: str,
        moves: bool,
    ) -> None:
        """Check the changes; a new time or zone is shown as understood first."""
        current = await self._series(interaction, series)
        values = logic.series_values(
            cadence=current.cadence.value,
            weekday=current.weekday,
            week=None if current.week is None else str(current.week),
            time=time,
            now=utcnow(),
            month_phase=current.month_phase,
            anchor=current.anchor,
            **options,
        )
        if options["name"] != current.name:
            await self._check_name_free(interaction, values["name"], current.id)
        next_start = await self.engine.next_under(current, values) if moves else None
        for fixed in ("cadence", "weekday", "week", "month_phase", "anchor"):
            values.pop(fixed)

        async def confirm(clicked: Interaction) -> None:
            await require_role(clicked, Role.ORGANISER)
            found = await self._series(clicked, series)
            updated = await q.update_series(self.bot.db, found.id, **values)
            occ = await self.engine.replan(updated)
            await answer(clicked, render.saved(updated, occ))

        if next_start is None:
            await confirm(interaction)
            return

        async def edit(clicked: Interaction) -> None:
            async def again(inner: Interaction, text: str) -> None:
                await self._edit_typed(inner, series, options, text, moves)

            await clicked.response.send_modal(
                WhenForm(label=time_label(), typed=time, on_submit=again)
            )

        await ask_to_confirm(
            interaction,
            render.next_understood(str(values["timezone"]), next_start),
            confirm=confirm,
            edit=edit,
        )

    @admin.command(name="series-pause")
    @app_commands.describe(series="The series to pause")
    @requires(Role.ORGANISER)
    async def series_pause(self, interaction: Interaction, series: str) -> None:
        """Stop planning new chats of a series."""
        found = await self._series(interaction, series)
        if found.paused:
            raise Refused(Problem.ALREADY_PAUSED, name=found.name)
        still = await self.engine.pause(found)
        await reply(interaction, render.paused(found, still))

    @admin.command(name="series-resume")
    @app_commands.describe(series="The series to resume")
    @requires(Role.ORGANISER)
    async def series_resume(self, interaction: Interaction, series: str) -> None:
        """Plan chats of a paused series again."""
        found = await self._series(interaction, series)
        if not found.paused:
            raise Refused(Problem.NOT_PAUSED, name=found.name)
        occ = await self.engine.resume(found)
        assert occ is not None
        await reply(interaction, render.resumed(found, occ))

    @admin.command(name="series-delete")
    @app_commands.describe(series="The series to delete")
    @requires(Role.ORGANISER)
    async def series_delete(self, interaction: Interaction, series: str) -> None:
        """Delete a chat series, after you confirm."""
        found = await self._series(interaction, series)

        async def confirm(clicked: Interaction) -> None:
            await require_role(clicked, Role.ORGANISER)
            gone = await q.series_by_id(self.bot.db, found.id)
            if gone is None:
                raise Refused(Problem.SERIES_GONE)
            # Acknowledge first: cancelling the Discord events takes Discord calls.
            await clicked.response.defer()
            await self.engine.delete(gone)
            await clicked.edit_original_response(
                content=render.deleted(gone), view=None
            )

        async def cancel(clicked: Interaction) -> None:
            await clicked.response.edit_message(
                content=render.nothing_deleted(), view=None
            )

        await reply(
            interaction,
            render.delete_question(found),
            view=ConfirmDeleteView(found.id, confirm=confirm, cancel=cancel),
        )

    # -- organisers: one occurrence -----------------------------------------------------------
    @admin.command(name="skip")
    @app_commands.describe(series="The series whose next chat is skipped")
    @requires(Role.ORGANISER)
    async def skip(self, interaction: Interaction, series: str) -> None:
        """Skip the next chat of a series."""
        found, occ = await self._planned(interaction, series)
        await defer(interaction)  # cancelling the event and editing posts is slow
        following = await self.engine.skip(found, occ)
        await reply(interaction, render.skipped(occ, following))

    @admin.command(name="reschedule")
    @app_commands.describe(
        series="The series whose next chat moves",
        date="New date, in the series' timezone: fri, tomorrow 18:00, 2026-03-05...",
        time="New local start time, HH:MM (default: the usual time)",
    )
    @requires(Role.ORGANISER)
    async def reschedule(
        self, interaction: Interaction, series: str, date: str, time: str | None = None
    ) -> None:
        """Move the next chat of a series to another time."""
        await self._reschedule_typed(interaction, series, f"{date} {time or ''}")

    async def _reschedule_typed(
        self, interaction: Interaction, name: str, typed: str
    ) -> None:
        """Read the new time, show it as understood; move only once confirmed."""
        found, _occ = await self._planned(interaction, name)
        start = dates.parse(
            typed,
            ZoneInfo(found.timezone),
            utcnow(),
            language=language_of(interaction),
            default_time=logic.parse_local_time(found.local_time),
        )
        logic.check_future(start, utcnow())

        async def confirm(clicked: Interaction) -> None:
            await require_role(clicked, Role.ORGANISER)
            series, occ = await self._planned(clicked, name)
            logic.check_future(start, utcnow())
            await hold(clicked)  # moving the event and editing posts is slow
            moved = await self.engine.reschedule(series, occ, start)
            await answer(clicked, render.moved(moved))

        async def edit(clicked: Interaction) -> None:
            async def again(inner: Interaction, text: str) -> None:
                await self._reschedule_typed(inner, name, text)

            await clicked.response.send_modal(
                WhenForm(label=when_label(), typed=typed.strip(), on_submit=again)
            )

        await ask_to_confirm(
            interaction,
            render.move_understood(found, start),
            confirm=confirm,
            edit=edit,
        )

    @admin.command(name="notes")
    @app_commands.describe(series="The series whose latest chat the notes are for")
    @requires(Role.ORGANISER)
    async def notes(self, interaction: Interaction, series: str) -> None:
        """Write the notes of the latest chat of a series."""
        found = await self._series(interaction, series)
        occ = await q.latest_started(self.bot.db, found.id, now_ts())
        if occ is None:
            raise Refused(Problem.NOT_HELD_YET, name=found.name)
        await interaction.response.send_modal(
            NotesModal(occ.id, occ.notes, on_submit=self.engine.save_notes)
        )

    # -- everyone --------------------------------------------------------------------------------
    @chat.command(name="history")
    async def history(self, interaction: Interaction) -> None:
        """List past chats with links to their notes."""
        await show_page(interaction, HISTORY)

    @chat.command(name="next")
    async def next(self, interaction: Interaction) -> None:
        """Show the next chat of each series, in your own time."""
        assert interaction.guild_id is not None
        db = self.bot.db
        found = []
        for occ in await q.upcoming_in_guild(db, interaction.guild_id):
            series = await q.series_by_id(db, occ.series_id)
            if series is not None:
                proposals = await q.proposals(db, occ.id)
                found.append(
                    (series, occ, proposals, await q.interest_count(db, occ.id))
                )
        if not found:
            raise Refused(Problem.NOTHING_PLANNED)
        await reply(interaction, embed=render.next_chats(found))

    @chat.command(name="propose")
    @app_commands.describe(
        title="The topic, in a line",
        details="More about it (optional)",
        series="Which series (default: the next chat)",
    )
    async def propose(
        self,
        interaction: Interaction,
        title: str,
        details: str | None = None,
        series: str | None = None,
    ) -> None:
        """Propose a topic for the next chat."""
        occ = await self._next_for(interaction, series)
        await self.engine.propose(interaction, occ, title, details or "")

    @chat.command(name="topics")
    @app_commands.describe(series="Which series (default: the next chat)")
    async def topics(self, interaction: Interaction, series: str | None = None) -> None:
        """Show the topics proposed for the next chat, with their votes."""
        occ = await self._next_for(interaction, series)
        await show_page(interaction, TOPICS, 0, str(occ.id))

    # -- autocomplete --------------------------------------------------------------------------
    @series_edit.autocomplete("series")
    @series_pause.autocomplete("series")
    @series_resume.autocomplete("series")
    @series_delete.autocomplete("series")
    @skip.autocomplete("series")
    @reschedule.autocomplete("series")
    @notes.autocomplete("series")
    @propose.autocomplete("series")
    @topics.autocomplete("series")
    async def _any_series(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        return [
            app_commands.Choice(name=s.name, value=s.name)
            for s in await q.all_series(self.bot.db, interaction.guild_id)
            if current.lower() in s.name.lower()
        ][:25]
