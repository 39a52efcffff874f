"""Wording of the events job: embeds, replies, reminders, refusals.

Pure: text and embeds from dataclasses, in the current language (the caller picks the
member's or the guild's), no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta

import discord

from bot import dates
from bot import happenings
from bot.clock import discord_timestamp
from bot.i18n import _
from bot.i18n import N_
from bot.i18n import ngettext
from bot.refusals import explains
from bot.safety import balance_bidi
from bot.safety import isolate
from bot.safety import quote
from cogs.events._logic import CheckResult
from cogs.events._logic import CodeOfConduct
from cogs.events._logic import EventDraft
from cogs.events._logic import is_url
from cogs.events._logic import Kind
from cogs.events._logic import Problem
from cogs.events._logic import Rsvp
from cogs.events._queries import Event
from cogs.events._queries import Feedback
from cogs.events._queries import RsvpCounts

_ONE_DAY = timedelta(days=1)


def kind_label(kind: Kind | str) -> str:
    labels = {
        Kind.CONFERENCE: _("Conference"),
        Kind.SPRINT: _("Sprint"),
        Kind.MEETUP: _("Meetup"),
        Kind.ONLINE_TALK: _("Online talk"),
        Kind.OTHER: _("Other"),
    }
    return labels[Kind(kind)]


def rsvp_label(state: Rsvp | str) -> str:
    labels = {
        Rsvp.GOING: _("Going"),
        Rsvp.MAYBE: _("Maybe"),
        Rsvp.NOT_GOING: _("Not going"),
    }
    return labels[Rsvp(state)]


def message_link(event: Event) -> str | None:
    """The announcement's link, once it is posted."""
    if event.channel_id is None or event.message_id is None:
        return None
    return (
        f"https://discord.com/channels/{event.guild_id}/"
        f"{event.channel_id}/{event.message_id}"
    )


def _where(event: Event) -> str:
    return event.location if is_url(event.location) else quote(event.location)


# -- refusals --------------------------------------------------------------------------------
@explains(Problem)
def refusal(code: Problem, details: Mapping[str, object]) -> str:
    d = details
    texts = {
        Problem.MASS_MENTION: lambda: _(
            "Please remove @everyone, @here and role mentions from the text."
        ),
        Problem.NO_TITLE: lambda: _("The event needs a title."),
        Problem.TITLE_TOO_LONG: lambda: _(
            "The title is too long: at most {limit} characters.", limit=d["limit"]
        ),
        Problem.DESCRIPTION_TOO_LONG: lambda: _(
            "The description is too long: at most {limit} characters.",
            limit=d["limit"],
        ),
        Problem.NO_LOCATION: lambda: _("Give a location or a link for the event."),
        Problem.LOCATION_TOO_LONG: lambda: _(
            "The location is too long: at most {limit} characters.", limit=d["limit"]
        ),
        Problem.UNKNOWN_KIND: lambda: _("Unknown kind of event."),
        Problem.ENDS_BEFORE_START: lambda: _("The event must end after it starts."),
        Problem.TOO_LONG: lambda: _(
            "An event can last at most {days} days.", days=d["days"]
        ),
        Problem.START_IN_PAST: lambda: _("The start time is in the past."),
        Problem.TOO_FAR_AHEAD: lambda: _(
            "That is too far ahead: announce it nearer the time."
        ),
        Problem.NO_EVENTS_CHANNEL: lambda: _(
            "No events channel is set: a server manager can set one with /setup."
        ),
        Problem.NO_EVENT: lambda: _("There is no event {id}.", id=d["id"]),
        Problem.ALREADY_PUBLISHED: lambda: _("This event is already published."),
        Problem.WAS_CANCELLED: lambda: _("This event was cancelled."),
        Problem.ALREADY_CANCELLED: lambda: _("This event is already cancelled."),
        Problem.START_PASSED: lambda: _(
            "The start time has passed: edit the event before publishing."
        ),
        Problem.RSVPS_CLOSED: lambda: _("This event was cancelled: RSVPs are closed."),
        Problem.NOT_PUBLISHED: lambda: _("This event is not published yet."),
        Problem.OVER: lambda: _("This event is over."),
        Problem.BAD_REMINDERS: lambda: _(
            "I could not read the reminders {text}: write up to {most} times before "
            "the start, like 24h,1h or 30m, or none.",
            text=d["text"],
            most=d["most"],
        ),
        Problem.BAD_CAPACITY: lambda: _(
            "An event has between 1 and {most} places (0 removes the limit).",
            most=d["most"],
        ),
        Problem.INTERESTED_ON_DISCORD: lambda: _(
            "You marked Interested on the event's Discord event, which counts as "
            "going: un-mark it there and your answer here follows."
        ),
        Problem.CANNOT_REPEAT: lambda: _repeat_trouble(d),
        Problem.REPEAT_DST: lambda: _(
            "On {day} the clocks change at that time, so the event would move or "
            "happen twice: pick another start time for a repeating event.",
            day=d["day"],
        ),
        Problem.NOT_OVER: lambda: _("This event is not over yet."),
        Problem.NOT_ATTENDED: lambda: _(
            "Only members who were going can give feedback on this event."
        ),
        Problem.BAD_RATING: lambda: _("Give a rating from 1 to 5."),
        Problem.BAD_LINK: lambda: _(
            "A link starts with https:// and has at most {limit} characters.",
            limit=d["limit"],
        ),
        Problem.NO_LINKS: lambda: _("Give a recording link, a slides link or both."),
        Problem.NOT_PENDING: lambda: _(
            "This event is not waiting for review (another organiser decided)."
        ),
        Problem.ALREADY_SUBMITTED: lambda: _(
            "This event was already sent to the organisers."
        ),
        Problem.NO_REVIEW_CHANNEL: lambda: _(
            "Organisers review members' events in the log channel, and none is set: "
            "ask a server manager to set one with /setup."
        ),
        Problem.NEEDS_APPROVAL: lambda: _(
            "An organiser approves members' events: press Submit for review."
        ),
        Problem.NOT_A_SERIES: lambda: _("This event does not repeat."),
    }
    return texts[code]()


def _repeat_trouble(d: Mapping[str, object]) -> str:
    texts = {
        "day_not_every_month": lambda: _(
            "Not every month has that day: start a monthly event on the 1st to the "
            "28th, or repeat it on a weekday of the month."
        ),
        "no_fifth_weekday": lambda: _(
            "Not every month has a fifth such weekday: choose the last weekday of "
            "the month instead."
        ),
        "not_last_weekday": lambda: _(
            "That date is not the last such weekday of its month."
        ),
        "every": lambda: _(
            "A repeating event repeats every 1 to {most} weeks or months.",
            most=d["most"],
        ),
    }
    return texts[str(d["trouble"])]()


def not_attending() -> str:
    return _(
        "Only the organisers and the members going, maybe going or waiting can see "
        "who is going."
    )


def not_organiser() -> str:
    return _("Only the event's organiser or an organiser can do that.")


# -- replies -----------------------------------------------------------------------------------
def preview_text(checks: list[CheckResult], *, review: bool = False) -> str:
    first = (
        _(
            "Here is the preview, and the organisers' checklist for a good event. "
            "Nothing is posted until an organiser approves it: press Submit for "
            "review when it is ready."
        )
        if review
        else _("Here is the preview. Nothing is posted until you press Publish.")
    )
    return first + "\n" + checklist_text(checks)


def submitted_text() -> str:
    return _(
        "Sent to the organisers. I will tell you when one of them approves or "
        "declines it; /event info shows where it stands."
    )


def review_post(event: Event, checks: list[CheckResult]) -> str:
    """In the log channel: a member's event waits for an organiser."""
    return (
        _(
            "<@{member}> submitted an event for review (event {id}). Approve it to "
            "publish it as it is, or decline it with a reason the member reads.",
            member=event.organiser_id,
            id=event.id,
        )
        + "\n"
        + checklist_text(checks)
    )


def review_decided(event: Event, reviewer: int, *, approved: bool) -> str:
    if approved:
        return _(
            "Approved by <@{reviewer}>: event {id} is published.",
            reviewer=reviewer,
            id=event.id,
        )
    return _(
        "Declined by <@{reviewer}>: {reason}",
        reviewer=reviewer,
        reason=quote(event.review_reason or ""),
    )


def approved_dm(event: Event, link: str) -> str:
    return _(
        "Good news: an organiser approved your event {title}, and it is published: "
        "{link}",
        title=event.title,
        link=link,
    )


def declined_dm(event: Event) -> str:
    return _(
        "An organiser did not approve your event {title}. Their reason: {reason}\n"
        "You can change it with /event edit {id} and submit it again.",
        title=event.title,
        reason=event.review_reason or "",
        id=event.id,
    )


def declined_mention(event: Event) -> str:
    return _(
        "An organiser reviewed your event {title}: /event info {id} shows their "
        "answer.",
        title=quote(event.title),
        id=event.id,
    )


def review_state_text(event: Event) -> str | None:
    """Where a member's submission stands, for /event info."""
    if event.review == "pending":
        return _("Waiting for an organiser's approval.")
    if event.review == "declined":
        return _(
            "Declined by an organiser: {reason}\nChange it with /event edit and "
            "submit it again.",
            reason=quote(event.review_reason or ""),
        )
    return None


def repeats_text(upcoming: Sequence[datetime]) -> str:
    """The next dates of a new repeating event, to confirm with its times."""
    return _(
        "Repeats: {dates}, and so on.",
        dates=", ".join(discord_timestamp(moment, "D") for moment in upcoming),
    )


# -- after the event -----------------------------------------------------------------------------
def next_date_text(following: Event) -> str:
    text = _(
        "Next date: {start} ({relative})",
        start=discord_timestamp(following.starts_at, "F"),
        relative=discord_timestamp(following.starts_at, "R"),
    )
    link = message_link(following)
    return f"{text}\n{link}" if link else text


def ask_links_dm(event: Event) -> str:
    return _(
        "{title} has ended: thank you for organising it! If there is a recording "
        "or slides, add their links with the button below (or /event links {id}): "
        "they go on the announcement, and the members who went are told.",
        title=event.title,
        id=event.id,
    )


def ask_links_mention(event: Event) -> str:
    return _(
        "{title} has ended: add the recording or slides link with /event links {id}.",
        title=quote(event.title),
        id=event.id,
    )


def feedback_dm(event: Event, following: Event | None) -> str:
    text = _(
        "Thank you for coming to {title}! How was it? Press Give feedback: two "
        "questions, for the organisers only.",
        title=event.title,
    )
    if following is not None:
        text += "\n" + next_date_text(following)
    return text


def feedback_mention(event: Event) -> str:
    return _(
        "Thank you for coming to {title}! Tell the organisers how it was with "
        "/event feedback {id}.",
        title=quote(event.title),
        id=event.id,
    )


def links_dm(event: Event) -> str:
    """To members who went: the recording or slides are there."""
    text = _("The links from {title}:", title=event.title)
    return text + "\n" + _links(event)


def _links(event: Event) -> str:
    lines = []
    if event.recording_url:
        lines.append(_("Recording: {link}", link=event.recording_url))
    if event.slides_url:
        lines.append(_("Slides: {link}", link=event.slides_url))
    return "\n".join(lines)


def links_saved(event: Event) -> str:
    return _("Saved: the links are on the announcement of {title}.", title=event.title)


def feedback_thanks() -> str:
    return _("Thank you! The organisers will read it.")


def feedback_summary(feedback: Sequence[Feedback]) -> str:
    """For the event's organisers, in /event info."""
    if not feedback:
        return _("No feedback yet.")
    average = sum(f.rating for f in feedback) / len(feedback)
    text = ngettext(
        "{count} member gave feedback, {average} of 5 on average.",
        "{count} members gave feedback, {average} of 5 on average.",
        len(feedback),
        count=len(feedback),
        average=f"{average:.1f}",
    )
    comments = [
        f"- {f.rating}/5 <@{f.user_id}>: {quote(f.comment)}"
        for f in feedback
        if f.comment
    ]
    return "\n".join([text, *comments[:10]])


def published_text(link: str) -> str:
    return _("Published: {link}", link=link)


def rsvp_text(state: Rsvp, event: Event) -> str:
    messages = {
        Rsvp.GOING: lambda: _(
            "You are going to {title}. See you there!", title=isolate(event.title)
        ),
        Rsvp.MAYBE: lambda: _("You might go to {title}.", title=isolate(event.title)),
        Rsvp.NOT_GOING: lambda: _(
            "You are not going to {title}.", title=isolate(event.title)
        ),
    }
    return messages[state]()


def updated_text(event: Event, *, going_told: bool) -> str:
    text = _("Event {id} is updated.", id=event.id)
    if going_told:
        text += "\n" + _("Members who are going will be told of the new time.")
    return text


def cancelled_text(event: Event, *, series_stopped: bool = False) -> str:
    text = _("Event {id} is cancelled.", id=event.id)
    if series_stopped:
        text += "\n" + _("It was the last date: the event no longer repeats.")
    elif event.series_id is not None:
        text += "\n" + _("The event still repeats: the next date comes after it.")
    return text


def info_text(
    event: Event, mine: Rsvp | None, position: int | None = None
) -> str | None:
    text = _("Your answer: {answer}", answer=rsvp_label(mine)) if mine else None
    if position is not None:
        text = _("You are number {position} on the waitlist.", position=position)
    link = message_link(event)
    if link:
        text = f"{text}\n{link}" if text else link
    return text


def times_understood(draft: EventDraft) -> str:
    """The start and end as the bot read them, for the organiser to confirm."""
    return dates.understood(
        [(_("Start"), draft.starts_at), (_("End"), draft.ends_at)], draft.timezone
    )


def calendar_name(server: str) -> str:
    return _("{server} community", server=server)


def calendar_text(count: int, feed: str | None) -> str:
    """/event calendar: how many entries are coming, and the feed to subscribe to."""
    text = ngettext(
        "{count} upcoming chat or event. Import the file into your calendar app; "
        "importing it again updates it.",
        "{count} upcoming chats and events. Import the file into your calendar app; "
        "importing it again updates them.",
        count,
    )
    if feed:
        text += "\n" + _(
            "To stay up to date, subscribe to {url} in your calendar app.", url=feed
        )
    return text


def reminders_text(opted_out: bool) -> str:
    if opted_out:
        return _("You will no longer get a DM the day before events you go to.")
    return _("You will get a DM the day before events you go to.")


def list_embed(
    events: list[Event], total: int, number: int, count: int
) -> discord.Embed:
    """Page ``number`` (from 0) of ``count`` of /event list, with its footer."""
    if not events:
        return discord.Embed(
            title=_("Upcoming events"), description=_("No upcoming events.")
        )
    lines = [
        _(
            "**{id}** · {title} · {kind} · {start} ({relative})",
            id=e.id,
            title=quote(e.title),
            kind=kind_label(e.kind),
            start=discord_timestamp(e.starts_at, "f"),
            relative=discord_timestamp(e.starts_at, "R"),
        )
        for e in events
    ]
    embed = discord.Embed(title=_("Upcoming events"), description="\n".join(lines))
    embed.set_footer(
        text=_(
            "Page {page} of {pages}. {total}",
            page=number + 1,
            pages=count,
            total=ngettext("{count} upcoming event", "{count} upcoming events", total),
        )
    )
    return embed


def code_of_conduct_text(coc: CodeOfConduct) -> str:
    return _(
        "Before you publish events, please read and accept the code of conduct "
        "(version {version}).\n{text}\nFull policy: <{url}>",
        version=coc.version,
        text=coc.text.strip(),
        url=coc.url,
    )


# -- what organisers are told in the log channel ---------------------------------------------
def event_trouble_text(
    event: Event, trouble: happenings.Trouble, error: discord.HTTPException | None
) -> str:
    """Why the event has no Discord event."""
    if trouble is happenings.Trouble.FORBIDDEN:
        return _(
            "I could not create the Discord event for {title} (I need the "
            "Manage Events permission). The announcement is posted.",
            title=isolate(event.title),
        )
    if trouble is happenings.Trouble.FULL:
        return _(
            "I could not create the Discord event for {title}: the server already "
            "has {limit} active events, Discord's limit. The announcement is posted.",
            title=isolate(event.title),
            limit=happenings.ACTIVE_EVENTS_LIMIT,
        )
    # An outage: editing the event (/event edit) creates it then.
    return _(
        "I could not create the Discord event for {title}: Discord "
        "had a problem ({status}). The announcement is posted; "
        "/event edit tries the Discord event again.",
        title=isolate(event.title),
        status=str(error.status if error is not None else ""),
    )


# -- reminders and notices to members -----------------------------------------------------------
def reminder_dm(event: Event) -> str:
    text = _(
        "Reminder: {title} starts {relative} ({start}).\nWhere: {where}",
        title=isolate(event.title),
        relative=discord_timestamp(event.starts_at, "R"),
        start=discord_timestamp(event.starts_at, "F"),
        where=isolate(event.location),
    )
    link = message_link(event)
    if link:
        text += "\n" + link
    return text + "\n" + _("Turn these DMs off with /event reminders.")


def reminder_post(event: Event) -> str:
    text = _(
        "Starting {relative}: **{title}** ({kind}). Where: {where}",
        relative=discord_timestamp(event.starts_at, "R"),
        title=quote(event.title),
        kind=kind_label(event.kind),
        where=_where(event),
    )
    link = message_link(event)
    return f"{text}\n{link}" if link else text


def change_notice(event: Event, change: str) -> str:
    """The DM to members going, when the event is cancelled or moved."""
    if change == "cancelled":
        text = _(
            "{title}, which you were going to, is cancelled.",
            title=isolate(event.title),
        )
    else:
        text = _(
            "{title}, which you are going to, has a new time: {start} to {end}.",
            title=isolate(event.title),
            start=discord_timestamp(event.starts_at, "F"),
            end=discord_timestamp(event.ends_at, "F"),
        )
    link = message_link(event)
    return f"{text}\n{link}" if link else text


def attendance_text(event: Event, counts: RsvpCounts) -> str:
    if event.capacity is None:
        return _(
            "Going: {going} · Maybe: {maybe} · Not going: {not_going}",
            going=counts.going,
            maybe=counts.maybe,
            not_going=counts.not_going,
        )
    return _(
        "Going: {going} of {capacity} places · Maybe: {maybe} · Not going: "
        "{not_going} · Waitlist: {waiting}",
        going=counts.going,
        capacity=event.capacity,
        maybe=counts.maybe,
        not_going=counts.not_going,
        waiting=counts.waiting,
    )


# -- the waitlist and who is going ----------------------------------------------------------
def waiting_text(event: Event, position: int) -> str:
    """The reply to Going when the event is full."""
    return _(
        "{title} is full: you are number {position} on the waitlist. If a place "
        "frees up it is yours, and I will tell you.",
        title=event.title,
        position=position,
    )


def waiting_dm(event: Event, position: int) -> str:
    """A member whose Discord Interested came when the event was full."""
    text = _(
        "You marked Interested on {title}, which is full: you are number "
        "{position} on the waitlist. If a place frees up it is yours, and I will "
        "tell you.",
        title=event.title,
        position=position,
    )
    link = message_link(event)
    return f"{text}\n{link}" if link else text


def promoted_dm(event: Event) -> str:
    text = _(
        "A place freed up at {title} ({start}): it is yours, you are going. If "
        "you cannot come after all, answer Not going so the next in line gets it.",
        title=event.title,
        start=discord_timestamp(event.starts_at, "F"),
    )
    link = message_link(event)
    return f"{text}\n{link}" if link else text


def promoted_mention(event: Event) -> str:
    """Said in the events channel to a member whose DMs are closed (public)."""
    return _(
        "A place freed up at {title}: it is yours, you are going.",
        title=quote(event.title),
    )


def attendees_embed(
    event: Event,
    counts: RsvpCounts,
    entries: list[tuple[str, int, int]],
) -> discord.Embed:
    """A page of who is going: ``entries`` are (``going``/``maybe``/``waiting``,
    member, place in that list from 1) in list order. Mentions in an embed show
    members' names and ping nobody."""
    headings = {
        "going": _("Going: {count}", count=counts.going)
        if event.capacity is None
        else _(
            "Going: {count} of {capacity}",
            count=counts.going,
            capacity=event.capacity,
        ),
        "maybe": _("Maybe: {count}", count=counts.maybe),
        "waiting": _("Waitlist: {count}", count=counts.waiting),
    }
    lines: list[str] = []
    shown: str | None = None
    for kind, user_id, place in entries:
        if kind != shown:
            lines.append(f"**{headings[kind]}**")
            shown = kind
        lines.append(f"{place}. <@{user_id}>" if kind == "waiting" else f"<@{user_id}>")
    if not lines:
        lines.append(_("Nobody has answered yet."))
    return discord.Embed(
        title=_("Who is going: {title}", title=quote(event.title)),
        description="\n".join(lines),
    )


# -- embeds -------------------------------------------------------------------------------------
def event_embed(
    event: Event,
    counts: RsvpCounts | None,
    coc: CodeOfConduct | None,
    *,
    following: Event | None = None,
) -> discord.Embed:
    """The announcement (and preview and info) of an event."""
    title = quote(event.title)
    if event.cancelled:
        title = _("Cancelled: {title}", title=title)
    embed = discord.Embed(
        title=title,
        description=balance_bidi(event.description) or None,
        colour=discord.Colour.dark_grey() if event.cancelled else discord.Colour.blue(),
    )
    embed.add_field(name=_("Kind"), value=kind_label(event.kind))
    embed.add_field(
        name=_("When"),
        value=_(
            "{start} to {end} ({relative})\nOrganiser's timezone: {timezone}",
            start=discord_timestamp(event.starts_at, "F"),
            end=discord_timestamp(event.ends_at, "t")
            if event.ends_at - event.starts_at < _ONE_DAY
            else discord_timestamp(event.ends_at, "F"),
            relative=discord_timestamp(event.starts_at, "R"),
            timezone=event.timezone,
        ),
        inline=False,
    )
    embed.add_field(name=_("Where"), value=_where(event), inline=False)
    embed.add_field(name=_("Organiser"), value=f"<@{event.organiser_id}>")
    if counts is not None and not event.cancelled:
        embed.add_field(name=_("Attendance"), value=attendance_text(event, counts))
    links = _links(event)
    if links:
        embed.add_field(name=_("Recording and slides"), value=links, inline=False)
    if following is not None:
        embed.add_field(
            name=_("Repeats"), value=next_date_text(following), inline=False
        )
    if coc is not None:
        embed.add_field(
            name=_("Code of conduct"),
            value=_("This event follows the [code of conduct]({url}).", url=coc.url),
            inline=False,
        )
    embed.set_footer(text=_("Event {id}", id=event.id))
    return embed


#: The checklist's labels and hints live in data/events/checklist.toml; they are
#: listed here so the catalogue tooling extracts them for translators.
_CHECKLIST_MESSAGES = (
    N_("Clear time and timezone"),
    N_("A location or a link"),
    N_("An accessibility note"),
    N_("Say how accessible the venue or stream is (step-free access, captions, ...)."),
    N_("A contact person"),
    N_('Name someone attendees can reach, e.g. "Contact: @name".'),
    N_("Code of conduct link"),
)


def checklist_text(results: list[CheckResult]) -> str:
    lines = [_("Quality checklist:")]
    for result in results:
        mark = "✅" if result.ok else "⬜"
        line = f"{mark} {_(result.item.label)}"
        if not result.ok and result.item.hint:
            line += f" — {_(result.item.hint)}"
        lines.append(line)
    return "\n".join(lines)
