"""Everything the mentorship job says: texts and embeds, built from its dataclasses.

Pure: no I/O, no awaits. The caller chooses the language (the member's for replies,
``guild_language()`` for posts in the server). Refusal codes from ``_logic`` become
sentences in :func:`refusal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence

import discord

from bot.clock import discord_timestamp
from bot.i18n import _
from bot.i18n import format_list
from bot.i18n import ngettext
from bot.refusals import explains
from bot.safety import clip
from bot.safety import quote
from bot.safety import THREAD_NAME_LIMIT
from cogs.mentorship._logic import Fit
from cogs.mentorship._logic import MentorProfile
from cogs.mentorship._logic import MentorRequest
from cogs.mentorship._logic import Problem
from cogs.mentorship._logic import Topic
from cogs.mentorship._queries import Pairing
from cogs.mentorship._queries import Stats


# -- refusals -------------------------------------------------------------------------
@explains(Problem)
def refusal(code: Problem, details: Mapping[str, object]) -> str:
    """The sentence for a mentorship refusal, in the current language."""
    match code:
        case Problem.NOT_IN_SERVER:
            return _("This command only works in a server.")
        case Problem.UNKNOWN_TOPICS:
            return _(
                "Unknown topics: {unknown}. Choose from: {known}.",
                unknown=details["unknown"],
                known=details["known"],
            )
        case Problem.NO_TOPIC:
            return _("Name at least one topic.")
        case Problem.TOO_MANY_TOPICS:
            return _("Name at most {count} topics.", count=details["count"])
        case Problem.TOO_MANY_LANGUAGES:
            return _(
                "Name at most {count} languages, each under {length} characters.",
                count=details["count"],
                length=details["length"],
            )
        case Problem.GOAL_LENGTH:
            return _(
                "Describe your goal in 1 to {limit} characters.",
                limit=details["limit"],
            )
        case Problem.NOTE_LENGTH:
            return _("Write a note of 1 to {limit} characters.", limit=details["limit"])
        case Problem.FIRST_PROFILE:
            return _("Your first profile needs at least topics and a timezone.")
        case Problem.NO_PROFILE_YET:
            return _("You have no mentor profile yet: set topics and a timezone first.")
        case Problem.NO_PROFILE:
            return _("Set up your mentor profile first with /mentor-tools profile.")
        case Problem.NO_CHANNEL:
            return _(
                "The mentorship channel is not set up yet: ask an organiser to run /setup channels."
            )
        case Problem.QUEUE_EMPTY:
            return _("No open requests right now. Thank you for checking!")
        case Problem.NO_SUCH_REQUEST:
            return _("There is no request #{id}.", id=details["id"])
        case Problem.OWN_REQUEST:
            return _("You cannot claim your own request.")
        case Problem.TAKEN:
            return _(
                "Sorry, request #{id} was just claimed by another mentor (or closed). "
                "Thank you for offering! /mentor-tools queue shows the others.",
                id=details["id"],
            )
        case Problem.PAUSED:
            return _(
                "Your profile is paused: set available to on with /mentor-tools profile first."
            )
        case Problem.AT_CAPACITY:
            count = details["count"]
            assert isinstance(count, int)
            return ngettext(
                "You are at your capacity of {count} mentee. Raise it with /mentor-tools profile, or end a pairing first.",
                "You are at your capacity of {count} mentees. Raise it with /mentor-tools profile, or end a pairing first.",
                count,
                count=count,
            )
        case Problem.ALREADY_ASKED:
            return _(
                "You already have a mentoring request: see it with /mentor status, or /mentor cancel it first."
            )
        case Problem.HAS_MENTOR:
            return _(
                "Your request already has a mentor: use /mentor end to close the pairing."
            )
        case Problem.NO_OPEN_REQUEST:
            return _("You have no open mentoring request.")
        case Problem.PAIRING_CLOSED:
            return _("That pairing is already closed.")
        case Problem.NOT_MENTORING:
            return _(
                "You are not mentoring <@{mentee}> right now.",
                mentee=details["mentee"],
            )
        case Problem.NO_PAIRING:
            return _("You have no active mentoring pairing to end.")
        case Problem.NAME_THE_MENTEE:
            return _("You mentor several members: name the mentee to end with.")
        case Problem.PROPOSAL_DONE:
            return _("This proposal was already confirmed.")
        case Problem.UNKNOWN_CHECKIN:
            return _("This check-in is unknown.")


def only_the_pair_answers() -> str:
    return _("Only the mentor and mentee of this pairing can answer.")


def only_the_pair_gives_feedback() -> str:
    return _("Only the mentor and mentee of this pairing can give feedback.")


# -- profiles and requests --------------------------------------------------------------
def topic_names(topics: Sequence[Topic], slugs: Sequence[str]) -> str:
    """The topics' display names, translated, as a list ("-" for none)."""
    names = {topic.slug: topic.name for topic in topics}
    return format_list([_(names.get(slug, slug)) for slug in slugs]) or "-"


def describe_request(
    topics: Sequence[Topic], request: MentorRequest, *, goal: bool
) -> str:
    """A request's topics, timezone, languages, wait and note (and goal if asked)."""
    lines = [
        _("Topics: {topics}", topics=topic_names(topics, request.topics)),
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


def profile(topics: Sequence[Topic], mentor: MentorProfile, *, saved: bool) -> str:
    state = _("available") if mentor.available else _("paused")
    return "\n".join(
        [
            _("Profile saved.") if saved else _("Your mentor profile:"),
            _("Topics: {topics}", topics=topic_names(topics, mentor.topics)),
            _(
                "Timezone: {timezone}; languages: {languages}",
                timezone=mentor.timezone,
                languages=", ".join(mentor.languages) or "-",
            ),
            _(
                "Mentees: {active} of {capacity}; {state}",
                active=mentor.active,
                capacity=mentor.capacity,
                state=state,
            ),
        ]
    )


def request_queued(request_id: int) -> str:
    return _(
        "Your request #{id} is in the queue. Mentors see your topics, timezone and languages; only your mentor and organisers see your goal. I will add you to a private thread when a mentor claims it.",
        id=request_id,
    )


def request_withdrawn() -> str:
    return _("Your request was withdrawn.")


def status(
    topics: Sequence[Topic],
    user_id: int,
    live: MentorRequest | None,
    pairings: Sequence[Pairing],
) -> str:
    """What /mentor status shows about ``user_id``: their request and pairings."""
    lines: list[str] = []
    if live is not None:
        state = _("waiting for a mentor") if live.state == "open" else _("claimed")
        lines.append(_("Request #{id}: {state}", id=live.id, state=state))
        lines.append(describe_request(topics, live, goal=True))
    for pairing in pairings:
        if pairing.mentee_id == user_id:
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
            _("No mentoring request or pairing. Ask for a mentor with /mentor request.")
        )
    return "\n".join(lines)


# -- the queue ------------------------------------------------------------------------
def queue_embed(
    topics: Sequence[Topic], shown: Sequence[MentorRequest]
) -> discord.Embed:
    """One page of a mentor's ranked queue; goals are never shown."""
    # The page is told once, in the paginator's footer ("Page 1 of 3").
    embed = discord.Embed(title=_("Open requests, best fit for you first"))
    for request in shown:
        embed.add_field(
            name=_("Request #{id}", id=request.id),
            value=_("From <@{mentee}>", mentee=request.mentee_id)
            + "\n"
            + describe_request(topics, request, goal=False),
            inline=False,
        )
    return embed


# -- claiming and the pair's space -----------------------------------------------------
def now_mentoring(pairing: Pairing, thread_id: int) -> str:
    return _(
        "You are now mentoring <@{mentee}>. Say hello in <#{thread}>.",
        mentee=pairing.mentee_id,
        thread=thread_id,
    )


def cannot_open_threads(channel_id: int) -> str:
    """For the organisers: why a claim failed in the mentorship channel."""
    return _(
        "A mentor could not take on a request: I cannot open private threads in {channel}. Give my role Create Private Threads and Send Messages in Threads there.",
        channel=f"<#{channel_id}>",
    )


def thread_name(pairing_id: int) -> str:
    return clip(_("Mentoring #{id}", id=pairing_id), THREAD_NAME_LIMIT)


def welcome(topics: Sequence[Topic], pairing: Pairing, request: MentorRequest) -> str:
    return "\n".join(
        [
            _(
                "Welcome <@{mentee}> and <@{mentor}>! This private thread is your mentoring space; organisers can look in too.",
                mentee=pairing.mentee_id,
                mentor=pairing.mentor_id,
            ),
            _("Topics: {topics}", topics=topic_names(topics, request.topics)),
            _("Goal: {goal}", goal=quote(request.goal)),
            _(
                "I will check in here every so often. When you are done, use /mentor end.",
            ),
        ]
    )


def pairing_started(pairing: Pairing, thread_id: int) -> str:
    """For the log channel: a pair was made (never its goal)."""
    return _(
        "Mentoring pairing #{id} started: <@{mentee}> with <@{mentor}> in <#{thread}>. "
        "/mentor-admin status adds you to the thread.",
        id=pairing.id,
        mentee=pairing.mentee_id,
        mentor=pairing.mentor_id,
        thread=thread_id,
    )


# -- releasing and ending -----------------------------------------------------------------
def released(mentee_id: int) -> str:
    return _("<@{mentee}>'s request is back in the queue.", mentee=mentee_id)


def released_in_thread(pairing: Pairing) -> str:
    return _(
        "<@{mentor}> handed this mentoring back to the queue; another mentor can pick it up. Thank you both!",
        mentor=pairing.mentor_id,
    )


def ended() -> str:
    return _("The pairing has ended. Would you leave a short feedback?")


def ended_in_thread(pairing: Pairing) -> str:
    return _(
        "This mentoring pairing has ended. Thank you <@{mentee}> and <@{mentor}>! If you like, leave a short feedback for the organisers (only they see it).",
        mentee=pairing.mentee_id,
        mentor=pairing.mentor_id,
    )


def no_feedback() -> str:
    return _("No feedback given; that is fine. Thank you!")


def feedback_thanks() -> str:
    return _("Thank you for your feedback! Only organisers see it.")


def feedback_note(pairing_id: int, user_id: int, body: str) -> str:
    """For the organisers' private log."""
    return _(
        "Mentoring feedback on pairing #{id} from <@{user}>: {text}",
        id=pairing_id,
        user=user_id,
        text=quote(body),
    )


# -- check-ins --------------------------------------------------------------------------
def checkins_every(days: int) -> str:
    return ngettext(
        "Pairs will get a check-in every {count} day.",
        "Pairs will get a check-in every {count} days.",
        days,
        count=days,
    )


def checkin_prompt(pairing: Pairing) -> str:
    return _(
        "Check-in time, <@{mentee}> and <@{mentor}>: how is the mentoring going?",
        mentee=pairing.mentee_id,
        mentor=pairing.mentor_id,
    )


def told_the_organisers() -> str:
    return _("Thanks for saying so: the organisers were told and will reach out.")


def glad_to_hear() -> str:
    return _("Glad to hear it. Thank you!")


def needs_help(pairing: Pairing, user_id: int) -> str:
    """For the organisers' private log: who asked for help (never the goal)."""
    return _(
        "A mentoring pair needs help: <@{user}> answered the check-in in <#{thread}> (pairing #{id}).",
        user=user_id,
        thread=pairing.thread_id,
        id=pairing.id,
    )


# -- organisers ---------------------------------------------------------------------------
def format_duration(seconds: int) -> str:
    if seconds >= 2 * 86400:
        days = seconds // 86400
        return ngettext("{count} day", "{count} days", days, count=days)
    if seconds >= 3600:
        hours = seconds // 3600
        return ngettext("{count} hour", "{count} hours", hours, count=hours)
    minutes = max(seconds // 60, 0)
    return ngettext("{count} minute", "{count} minutes", minutes, count=minutes)


def stats(numbers: Stats, median: int | None) -> str:
    return "\n".join(
        [
            _("Open requests: {count}", count=numbers.open_requests),
            _("Active pairs: {count}", count=numbers.active_pairs),
            _("Completed pairings: {count}", count=numbers.completed),
            _(
                "Median wait to be claimed: {wait}",
                wait=format_duration(median) if median is not None else "-",
            ),
        ]
    )


def no_pairs_to_propose() -> str:
    return _(
        "No pairs to propose: no open request shares a topic with a mentor who has room."
    )


def confirm_first() -> str:
    return _(
        "Nothing is created until you confirm: all the pairs, or only those you "
        "choose in the list."
    )


def pair_options(
    pairs: Sequence[tuple[MentorRequest, MentorProfile, Fit]],
) -> list[tuple[int, str, str]]:
    """Each proposed pair as the list to choose from offers it: (request id, label,
    description); the embed above names the mentee and the mentor."""
    return [
        (
            request.id,
            _("Request #{id}", id=request.id),
            ngettext(
                "{count} shared topic, {hours} h apart",
                "{count} shared topics, {hours} h apart",
                fit.overlap,
                count=fit.overlap,
                hours=round(-fit.closeness / 60, 1),
            ),
        )
        for request, _mentor, fit in pairs
    ]


def proposal_embed(
    pairs: Sequence[tuple[MentorRequest, MentorProfile, Fit]], left: int
) -> discord.Embed:
    """The proposed pairs, one line each; ``left`` requests stay in the queue."""
    lines = [
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
        for request, mentor, fit in pairs
    ]
    embed = discord.Embed(title=_("Proposed pairs"), description="\n".join(lines))
    if left:
        embed.set_footer(
            text=ngettext(
                "{count} request stays in the queue.",
                "{count} requests stay in the queue.",
                left,
                count=left,
            )
        )
    return embed


def match_result(
    made: int, skipped: int, channel_id: int, refused_status: int | None
) -> str:
    """What confirming a proposal did; ``refused_status`` when Discord said no."""
    text = ngettext("{count} pair created.", "{count} pairs created.", made, count=made)
    if skipped:
        text += " " + ngettext(
            "{count} pair was skipped: its request or mentor changed meanwhile.",
            "{count} pairs were skipped: their requests or mentors changed meanwhile.",
            skipped,
            count=skipped,
        )
    if refused_status is not None:
        text += " " + _(
            "Then Discord refused to open a private thread in {channel} (error "
            "{status}); the other requests stay in the queue. Check that my role "
            "has Create Private Threads there, then run /mentor-admin match again.",
            channel=f"<#{channel_id}>",
            status=refused_status,
        )
    return text


def digest_embed(
    topics: Sequence[Topic],
    waiting: Sequence[MentorRequest],
    suggestions: Sequence[Sequence[MentorProfile]],
    total: int,
) -> discord.Embed:
    """The weekly list of requests waiting over a week, with mentors to ask."""
    lines = [
        ngettext(
            "{count} mentoring request has waited over a week:",
            "{count} mentoring requests have waited over a week:",
            total,
            count=total,
        )
    ]
    for request, suggested in zip(waiting, suggestions, strict=True):
        names = ", ".join(f"<@{m.user_id}>" for m in suggested) or _("nobody with room")
        lines.append(
            _(
                "#{id} <@{mentee}> since {when}, topics {topics}; suggested: {mentors}",
                id=request.id,
                mentee=request.mentee_id,
                when=discord_timestamp(request.created_at, "D"),
                topics=topic_names(topics, request.topics),
                mentors=names,
            )
        )
    if total > len(waiting):
        more = total - len(waiting)
        lines.append(ngettext("and {count} more", "and {count} more", more))
    return discord.Embed(
        title=_("Mentoring: unclaimed requests"), description="\n".join(lines)
    )


def request_choice(topics: Sequence[Topic], request: MentorRequest) -> str:
    """A request as /mentor-tools claim suggests it (no goal: only the pair sees that)."""
    return clip(
        _(
            "#{id} · {topics} · {timezone}",
            id=request.id,
            topics=topic_names(topics, request.topics),
            timezone=request.timezone,
        ),
        100,
    )
