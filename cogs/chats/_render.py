"""Wording of the chats job: announcements, reminders, replies and refusals.

Pure: text and embeds from the job's dataclasses, in the current language (the
caller picks the member's or the guild's), no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import discord

from bot import dates
from bot import happenings
from bot.clock import discord_timestamp
from bot.i18n import _
from bot.i18n import ngettext
from bot.refusals import explains
from bot.safety import clip
from bot.safety import isolate
from bot.safety import join_lines
from bot.safety import quote
from bot.safety import THREAD_NAME_LIMIT
from cogs.chats import _logic as logic
from cogs.chats._logic import Cadence
from cogs.chats._logic import Problem
from cogs.chats._queries import Occurrence
from cogs.chats._queries import Proposal
from cogs.chats._queries import Series

#: A name a member typed is shown up to this long in a refusal (a series name is
#: at most 80).
NAME_SHOWN = 120


# -- refusals --------------------------------------------------------------------------------
@explains(Problem)
def refusal(code: Problem, details: Mapping[str, object]) -> str:
    p = dict(details)
    if "name" in p:
        # A series name may be what the member typed (one that does not exist):
        # shown as typed, never as Markdown (a link, cut short or not).
        p["name"] = quote(str(p["name"]), limit=NAME_SHOWN)
    texts = {
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
        Problem.NO_WEEK: lambda: _(
            "Say which week of the month the chat is in: 1, 2, 3, 4 or last."
        ),
        Problem.BAD_DURATION: lambda: _(
            "A chat lasts between 1 minute and 12 hours (720 minutes)."
        ),
        Problem.BAD_LEAD: lambda: _(
            "The event opens between 1 and {limit} days ahead.",
            limit=logic.MAX_LEAD_DAYS,
        ),
        Problem.BAD_REMINDERS: lambda: _(
            "Reminders are up to {count} whole hours before the start, at most {max}, separated by commas, like 24h,1h; or none.",
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
        Problem.NO_SERIES: lambda: _(
            "There is no chat series called {name}.", name=p.get("name")
        ),
        Problem.SERIES_EXISTS: lambda: _(
            "A series called {name} already exists.", name=p.get("name")
        ),
        Problem.SERIES_GONE: lambda: _("That series no longer exists."),
        Problem.NOTHING_TO_CHANGE: lambda: _("Nothing to change."),
        Problem.ALREADY_PAUSED: lambda: _(
            "{name} is already paused.", name=p.get("name")
        ),
        Problem.NOT_PAUSED: lambda: _("{name} is not paused.", name=p.get("name")),
        Problem.NOTHING_PLANNED: lambda: _("No chat is planned yet."),
        Problem.NO_CHAT_PLANNED: lambda: _(
            "{name} has no chat planned.", name=p.get("name")
        ),
        Problem.NOT_HELD_YET: lambda: _(
            "No chat of {name} has taken place yet.", name=p.get("name")
        ),
        Problem.CHAT_GONE: lambda: _("That chat no longer exists."),
        Problem.VOTING_CLOSED: lambda: _(
            "This chat is over: voting and sign-ups are closed."
        ),
        Problem.PROPOSALS_LIMIT: lambda: ngettext(
            "You can propose {count} topic per chat.",
            "You can propose {count} topics per chat.",
            logic.PROPOSALS_PER_MEMBER,
        ),
        Problem.TOPIC_REMOVED: lambda: _("This topic was removed."),
        Problem.INTERESTED_ON_DISCORD: lambda: _(
            "You marked Interested on the chat's Discord event: un-mark it there and the list here follows."
        ),
    }
    return texts[code]()


# -- pieces ------------------------------------------------------------------------------------
def where(series: Series) -> str:
    if series.location_kind == "external":
        return series.location_url or ""
    return f"<#{series.channel_id}>"


def when_text(occ: Occurrence) -> str:
    return _(
        "{time} ({relative})",
        time=discord_timestamp(occ.starts_at, "F"),
        relative=discord_timestamp(occ.starts_at, "R"),
    )


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
    templates = {
        Cadence.WEEKLY: lambda: _("every week, on {weekday}, at {time} {timezone}"),
        Cadence.FORTNIGHTLY: lambda: _(
            "every two weeks, on {weekday}, at {time} {timezone}"
        ),
        Cadence.MONTHLY: lambda: _(
            "every month, on the {week} {weekday}, at {time} {timezone}"
        ),
        Cadence.QUARTERLY: lambda: _(
            "every three months, on the {week} {weekday}, at {time} {timezone}"
        ),
    }
    template = templates[series.cadence]()
    return template.format(
        week=ordinals[series.week] if series.week is not None else "",
        weekday=days[series.weekday],
        time=series.local_time,
        timezone=series.timezone,
    )


def topic_lines(
    proposals: list[Proposal], start: int = 0, size: int = logic.AGENDA_SIZE
) -> list[str]:
    """Topics ``start`` to ``start + size`` in agenda order, numbered from 1."""
    by_id = {p.id: p for p in proposals}
    ranked = logic.rank(p.topic for p in proposals)[start : start + size]
    lines = []
    for index, topic in enumerate(ranked, start=start + 1):
        votes = ngettext("{count} vote", "{count} votes", topic.votes)
        marker = _("(pinned) ") if topic.pinned else ""
        lines.append(
            _(
                "{index}. {marker}{title}: {votes}",
                index=index,
                marker=marker,
                title=quote(by_id[topic.id].title),
                votes=votes,
            )
        )
    return lines


def interest_text(count: int) -> str:
    return ngettext("{count} member interested", "{count} members interested", count)


# -- posts -------------------------------------------------------------------------------------
def announcement(
    series: Series,
    occ: Occurrence,
    proposals: list[Proposal],
    interest: int,
    following: Occurrence | None = None,
) -> discord.Embed:
    if occ.status == "skipped":
        title = _("Skipped: {name}", name=isolate(series.name))
        description = _("This chat will not take place. See you at the next one.")
    elif occ.status == "done":
        title = _("Ended: {name}", name=isolate(series.name))
        description = _("This chat has ended; topic voting is closed.")
    else:
        title = series.name
        description = _(
            "Community chat on {when}.\nWhere: {where}",
            when=when_text(occ),
            where=where(series),
        )
    if following is not None and not occ.upcoming:
        description += "\n" + _("Next chat: {when}.", when=when_text(following))
    embed = discord.Embed(title=title, description=description)
    lines = topic_lines(proposals)
    agenda = (
        "\n".join(lines)
        if lines
        else _("No topics yet: press Propose a topic to add one.")
    )
    if occ.notes_thread_id is not None and occ.upcoming:
        agenda += "\n" + _(
            "Each topic is in {thread}: vote there.",
            thread=f"<#{occ.notes_thread_id}>",
        )
    embed.add_field(name=_("Agenda"), value=agenda, inline=False)
    embed.set_footer(text=interest_text(interest))
    return embed


def event_description() -> str:
    """The Discord event's description."""
    return _("Community chat. Propose topics and vote in the announcement.")


def reminder_text(series: Series, occ: Occurrence, *, late: bool) -> str:
    if late:
        return _(
            "Sorry, this reminder is late (the bot was offline): {name} starts {relative}, at {time}. Where: {where}",
            name=isolate(series.name),
            relative=discord_timestamp(occ.starts_at, "R"),
            time=discord_timestamp(occ.starts_at, "t"),
            where=where(series),
        )
    return _(
        "Reminder: {name} starts {relative}, at {time}. Where: {where}",
        name=isolate(series.name),
        relative=discord_timestamp(occ.starts_at, "R"),
        time=discord_timestamp(occ.starts_at, "t"),
        where=where(series),
    )


def proposal_post(
    series: Series, occ: Occurrence, author: str, title: str, details: str
) -> str:
    return _(
        "Topic proposed for {name} on {date} by {author}: **{title}**\n{details}",
        name=isolate(series.name),
        date=discord_timestamp(occ.starts_at, "D"),
        author=author,
        title=quote(title),
        details=quote(details),
    ).strip()


def notes_post(series: Series, occ: Occurrence, notes: str) -> str:
    return _(
        "Notes of {name} ({date}):\n{notes}",
        name=isolate(series.name),
        date=discord_timestamp(occ.starts_at, "D"),
        notes=notes,
    )


def thread_name(series: Series, occ: Occurrence) -> str:
    """The thread on a chat's announcement: its topics, then its notes."""
    return clip(
        _(
            "{name} {date}: topics and notes",
            name=isolate(series.name),
            date=occ.start.strftime("%Y-%m-%d"),
        ),
        THREAD_NAME_LIMIT,
    )


def removed_post() -> str:
    return _("A topic proposal was removed by an organiser.")


# -- what organisers are told in the log channel ---------------------------------------------
def no_announcements_channel(series: Series) -> str:
    return _(
        "The chat {name} could not be announced: no announcements channel is set.",
        name=isolate(series.name),
    )


def event_trouble_text(
    series: Series, trouble: happenings.Trouble, error: discord.HTTPException | None
) -> str:
    """Why the chat has no Discord event."""
    if trouble is happenings.Trouble.FORBIDDEN:
        return _(
            "No Discord event was created for the chat {name}: I lack the Manage Events permission.",
            name=isolate(series.name),
        )
    if trouble is happenings.Trouble.FULL:
        return _(
            "No Discord event was created for the chat {name}: the server already has {limit} active events, Discord's limit. The announcement still goes out.",
            name=isolate(series.name),
            limit=happenings.ACTIVE_EVENTS_LIMIT,
        )
    if trouble is happenings.Trouble.NO_CHANNEL:
        return _(
            "No Discord event was created for the chat {name}: its channel was deleted. Edit the series to choose another.",
            name=isolate(series.name),
        )
    return _(
        "No Discord event was created for the chat {name}: Discord said {status}. The announcement still goes out.",
        name=isolate(series.name),
        status=str(error.status if error is not None else ""),
    )


# -- replies to organisers -----------------------------------------------------------------
def created(series: Series, occ: Occurrence) -> str:
    return _(
        "Created the series {name}: {rule}. The next chat is on {when}; its event and announcement appear {days} days before.",
        name=isolate(series.name),
        rule=rule_text(series),
        when=when_text(occ),
        days=series.lead_days,
    )


def series_page(
    found: list[tuple[Series, Occurrence | None]], total: int
) -> discord.Embed:
    """A page of /chat-admin series-list."""
    return discord.Embed(
        title=ngettext("{count} chat series", "{count} chat series", total),
        description=series_list(found),
    )


def series_list(found: list[tuple[Series, Occurrence | None]]) -> str:
    lines = []
    for series, occ in found:
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
    return join_lines(lines) if lines else _("No series yet.")


def saved(series: Series, still: Occurrence | None) -> str:
    text = _(
        "Saved the series {name}: {rule}.",
        name=isolate(series.name),
        rule=rule_text(series),
    )
    if still is not None and still.status == "open":
        text = _(
            "{saved} The chat already announced for {when} keeps its time; use /chat-admin reschedule to move it.",
            saved=text,
            when=when_text(still),
        )
    return text


def paused(series: Series, still: Occurrence | None) -> str:
    if still is None:
        return _("{name} is paused.", name=isolate(series.name))
    return _(
        "{name} is paused. The chat already announced for {when} still takes place; skip it with /chat-admin skip.",
        name=isolate(series.name),
        when=when_text(still),
    )


def resumed(series: Series, occ: Occurrence) -> str:
    return _(
        "{name} is back. Next chat: {when}.",
        name=isolate(series.name),
        when=when_text(occ),
    )


def delete_question(series: Series) -> str:
    return _(
        "Delete {name}? Its planned chats, Discord events, topics and notes go too.",
        name=isolate(series.name),
    )


def deleted(series: Series) -> str:
    return _("The series {name} is deleted.", name=isolate(series.name))


def nothing_deleted() -> str:
    return _("Nothing was deleted.")


def skipped(occ: Occurrence, following: Occurrence | None) -> str:
    if following is None:
        return _("Skipped the chat of {when}.", when=when_text(occ))
    return _(
        "Skipped the chat of {when}. The next one is on {next}.",
        when=when_text(occ),
        next=when_text(following),
    )


def move_understood(series: Series, start: datetime) -> str:
    """Where the next chat would move, for the organiser to confirm."""
    return dates.understood([(_("New start"), start)], series.timezone)


def first_understood(zone: str, start: datetime) -> str:
    """The first chat of a new series, for the organiser to confirm."""
    return dates.understood([(_("First chat"), start)], zone)


def next_understood(zone: str, start: datetime) -> str:
    """The next chat at a series' new time, for the organiser to confirm."""
    return dates.understood([(_("Next chat"), start)], zone)


def moved(occ: Occurrence) -> str:
    return _(
        "Moved the chat to {when}. The Discord event, the announcement and the reminders follow.",
        when=when_text(occ),
    )


def notes_saved() -> str:
    return _("Notes saved and posted.")


# -- replies to members ------------------------------------------------------------------------
def proposed(occ: Occurrence, thread_id: int | None) -> str:
    if thread_id is None:
        return _(
            "Your topic is on the agenda of the chat on {when}. Members can upvote it "
            "in the chat's thread once the chat is announced.",
            when=when_text(occ),
        )
    return _(
        "Your topic is proposed for the chat on {when}. Members can upvote it in "
        "{thread}.",
        when=when_text(occ),
        thread=f"<#{thread_id}>",
    )


def interest_changed(interested: bool, *, reminded: bool = True) -> str:
    if interested and reminded:
        return _("You are interested: I will remind you by DM before the chat starts.")
    if interested:
        return _("You are interested.")
    return _("You are no longer marked as interested.")


def vote_changed(counted: bool) -> str:
    if counted:
        return _("Your vote for this topic counts.")
    return _("Your vote for this topic is withdrawn.")


def pin_changed(pinned: bool) -> str:
    if pinned:
        return _("Pinned: this topic stays at the top of the agenda.")
    return _("Unpinned: this topic is ranked by votes again.")


def topic_removed() -> str:
    return _("Topic removed from the agenda.")


def pins_changed(pinned: int, unpinned: int) -> str:
    """After an organiser's choice in the pin menu under /chat topics."""
    parts = []
    if pinned:
        parts.append(
            ngettext(
                "Pinned {count} topic: it stays at the top of the agenda.",
                "Pinned {count} topics: they stay at the top of the agenda.",
                pinned,
            )
        )
    if unpinned:
        parts.append(
            ngettext(
                "Unpinned {count} topic: it is ranked by votes again.",
                "Unpinned {count} topics: they are ranked by votes again.",
                unpinned,
            )
        )
    return "\n".join(parts)


def topics_removed(count: int) -> str:
    return ngettext(
        "Removed {count} topic from the agenda.",
        "Removed {count} topics from the agenda.",
        count,
    )


def next_chats(
    found: list[tuple[Series, Occurrence, list[Proposal], int]],
) -> discord.Embed:
    embed = discord.Embed(title=_("Next community chats"))
    for series, occ, proposals, interest in found:
        agenda = topic_lines(proposals)
        embed.add_field(
            name=isolate(series.name),
            value=_(
                "{when}\nWhere: {where}\n{interest}\n{agenda}",
                when=when_text(occ),
                where=where(series),
                interest=interest_text(interest),
                agenda="\n".join(agenda) if agenda else _("No topics yet."),
            ),
            inline=False,
        )
    return embed


def topics_page(
    occ: Occurrence | None, proposals: list[Proposal], start: int
) -> discord.Embed:
    """A page of /chat topics: the topics in agenda order, with their votes."""
    if occ is None or not proposals:
        return discord.Embed(
            description=_("No topics yet: propose one with /chat propose.")
        )
    lines = topic_lines(proposals, start, logic.TOPICS_PAGE)
    return discord.Embed(
        description=_(
            "Topics for the chat on {when}:\n{lines}",
            when=when_text(occ),
            lines="\n".join(lines),
        )
    )


def history_page(past: list[tuple[str, Occurrence]]) -> discord.Embed:
    """A page of /chat history: past chats with where their notes are."""
    if not past:
        return discord.Embed(description=_("No chat has taken place yet."))
    lines = []
    for name, occ in past:
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
    return discord.Embed(description="\n".join(lines))


# -- the community calendar and the public pages -----------------------------------------
def calendar_category() -> str:
    """What a chat is, in the calendar file and on the public pages."""
    return _("Community chat")


def discord_link(guild_id: int, occ: Occurrence) -> str:
    """Where a chat is in Discord: its Discord event, else its announcement."""
    if occ.event_id is not None:
        return f"https://discord.com/events/{guild_id}/{occ.event_id}"
    if occ.announcement_channel_id and occ.announcement_message_id:
        return (
            f"https://discord.com/channels/{guild_id}/"
            f"{occ.announcement_channel_id}/{occ.announcement_message_id}"
        )
    return ""
