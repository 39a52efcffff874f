"""Triage's words: the checklist, the queue, the digest, stats, notices and refusals.

Pure: every function builds text or an embed from its arguments, under ``_()``, in
whatever language is active (the caller chooses the member's or the guild's).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord
from babel import Locale

from bot.clock import discord_timestamp
from bot.clock import from_ts
from bot.extensions import Extension
from bot.extensions import risk_text
from bot.i18n import _
from bot.i18n import babel_locale
from bot.i18n import format_list
from bot.i18n import format_number
from bot.i18n import ngettext
from bot.refusals import explains
from bot.refusals import Refused
from bot.safety import clip
from bot.safety import quote
from cogs.triage import _logic as logic
from cogs.triage._logic import ALL_DAYS
from cogs.triage._logic import Block
from cogs.triage._logic import CloseReason
from cogs.triage._logic import DAY_KEYS
from cogs.triage._logic import DAY_PRESETS
from cogs.triage._logic import days_key
from cogs.triage._logic import Digest
from cogs.triage._logic import DIGEST_LISTED
from cogs.triage._logic import DigestSchedule
from cogs.triage._logic import LinkProblem
from cogs.triage._logic import parse_digest_days
from cogs.triage._logic import Problem
from cogs.triage._logic import QUEUE_PAGE_SIZE
from cogs.triage._queries import PublicQuestion
from cogs.triage._queries import QueueItem
from cogs.triage._queries import Stats


def thread_link(thread_id: int) -> str:
    return f"<#{thread_id}>"


# -- refusals ---------------------------------------------------------------------------
@explains(Problem)
def refusal(code: Problem, details: Mapping[str, object]) -> str:
    if code is Problem.UNKNOWN_TAG:
        return _("Unknown tag. Known tags: {tags}", tags=str(details["tags"]))
    if code is Problem.BAD_DIGEST_TIME:
        return _(
            "{time} is not a time of day: write it as HH:MM, for example 09:00.",
            time=quote(str(details["time"])),
        )
    if code is Problem.BAD_DIGEST_DAYS:
        return _(
            "I do not understand the days {days}: choose from the list, or write "
            "day names separated by commas, for example mon, wed, fri.",
            days=quote(str(details["days"])),
        )
    sentences = {
        Problem.NOT_A_QUESTION: _("Use this inside a post in the questions forum."),
        Problem.DELETED: _("This post was deleted."),
        Problem.NOT_OPEN: _("This question is not open."),
        Problem.ALREADY_OPEN: _("This question is already open."),
        Problem.ALREADY_CLOSED: _("This question is already closed."),
        Problem.BAD_HELPER: _("Name the member who helped, not the asker or a bot."),
        Problem.BAD_ANSWER: _(
            "The answer must be a link to a message in this post, or its id."
        ),
        Problem.ANSWER_NOT_FOUND: _("I cannot find that message in this post."),
        Problem.NO_REPO: _("Choose the repository: the tags do not name one."),
        Problem.REPO_NOT_ALLOWED: _(
            "Only pallets and pallets-eco repositories are supported."
        ),
        Problem.BAD_KEYWORD: _(
            "A keyword is 2 to 40 letters, digits, spaces, dots or dashes."
        ),
        Problem.RULE_EXISTS: _("That rule already exists."),
        Problem.NO_SUCH_RULE: _("There is no such rule. /triage tag-rules lists them."),
        Problem.ONLY_ASKER_SOLVES: _(
            "Only the person who asked can mark this as solved."
        ),
        Problem.ONLY_ASKER_CONFIRMS: _("Only the person who asked can confirm this."),
        Problem.ONLY_ASKER_ANSWERS: _("Only the person who asked can answer this."),
        Problem.ONLY_ASKER_OR_HELPER_REOPENS: _(
            "Only the person who asked or a helper can reopen this."
        ),
    }
    return sentences[code]


@explains(LinkProblem)
def link_refusal(problem: LinkProblem, details: Mapping[str, object]) -> str:
    messages = {
        LinkProblem.MISSING: _(
            "This reason needs a link: the earlier post for a duplicate, the GitHub "
            "issue for a move."
        ),
        LinkProblem.NOT_DISCORD: _(
            "For a duplicate, link the earlier post in this server."
        ),
        LinkProblem.NOT_GITHUB: _(
            "For a move, link the GitHub issue, pull request or discussion."
        ),
        LinkProblem.NOT_A_LINK: _("The link must start with https://."),
        LinkProblem.SAME_POST: _("A post cannot be a duplicate of itself."),
    }
    return messages[problem]


# -- in the question's thread -----------------------------------------------------------
def checklist_text(suggestions: Sequence[int]) -> str:
    lines = [
        _("Thanks for asking! Helpers can answer faster when a question has:"),
        _("- the versions of Python, Flask and the libraries involved (`pip list`)"),
        _("- a minimal example that shows the problem"),
        _("- the full traceback, in a code block (between ``` lines)"),
        _("When your question is answered, run /solved here so others can find it."),
    ]
    if suggestions:
        lines.append("")
        lines.append(_("These solved questions look similar:"))
        lines.extend(f"- {thread_link(thread_id)}" for thread_id in suggestions)
    return "\n".join(lines)


def thanks_offer() -> str:
    return _(
        "Glad that helped! If your question is answered, you can mark "
        "it as solved so others find the answer later."
    )


def nudge_text(asker_id: int) -> str:
    return _(
        "<@{asker}>, it has been a week: is your question solved? "
        "Let us know with a button, no pressure.",
        asker=asker_id,
    )


def ask_asker_text(asker_id: int, member: str) -> str:
    return _(
        "<@{asker}>, {member} thinks your question is solved. "
        "If it is, please confirm with the button.",
        asker=asker_id,
        member=member,
    )


def solved_text(member: str, helper_id: int | None) -> str:
    if helper_id is not None:
        return _(
            "Marked as solved by {member}. Thank you <@{helper}> for helping!",
            member=member,
            helper=helper_id,
        )
    return _(
        "Marked as solved by {member}. Thanks to everyone who helped!",
        member=member,
    )


def still_needs_help_text(member: str) -> str:
    return _(
        "{member} still needs help with this question; it is back in the "
        "helpers' queue.",
        member=member,
    )


def reason_label(reason: CloseReason) -> str:
    labels = {
        CloseReason.DUPLICATE: _("a duplicate of an earlier question"),
        CloseReason.MOVED_TO_GITHUB: _("moved to a GitHub issue"),
        CloseReason.OFF_TOPIC: _("off-topic for this forum"),
        CloseReason.NOT_REPRODUCIBLE: _("the problem could not be reproduced"),
        CloseReason.WONTFIX: _("this will not be changed"),
        CloseReason.OTHER: _("another reason"),
    }
    return labels[reason]


def closed_text(
    member: str, reason: CloseReason, link: str | None, note: str | None
) -> str:
    lines = [
        _(
            "{member} closed this question: {reason}.",
            member=member,
            reason=reason_label(reason),
        )
    ]
    if link:
        lines.append(_("See {link}", link=link))
    if note:
        lines.append(_("Note: {note}", note=quote(note)))
    lines.append(_("If this is wrong, run /reopen."))
    return "\n".join(lines)


def reopened_text(member: str) -> str:
    return _("{member} reopened this question.", member=member)


# -- helpers' tools ---------------------------------------------------------------------
def issue_link_words(url: str) -> str:
    return _("[Open the prefilled issue form]({url})", url=url)


def issue_body(link: str, question: str) -> str:
    """The prefilled GitHub issue's body.

    GitHub issues are written in English for the maintainers, so this text is not
    translated.
    """
    return (
        f"Reported from the Pallets Discord: {link}\n\n"
        f"{question}\n\n"
        "<!-- Add the versions, a minimal example and the full traceback. -->\n"
    )


def escalation_embed(repo: str, url: str) -> discord.Embed:
    return discord.Embed(
        title=_("New issue for {repo}", repo=repo), description=issue_link_words(url)
    )


def rule_added_text(keyword: str, tag: str) -> str:
    return _(
        "New questions mentioning {keyword} get the {tag} tag.",
        keyword=quote(keyword),
        tag=tag,
    )


def rule_removed_text() -> str:
    return _("Rule removed.")


def no_rules_text() -> str:
    return _("No rules yet; only the shipped ones apply.")


def rules_embed(rules: Sequence[tuple[str, str]], total: int) -> discord.Embed:
    """A page of the keyword rules helpers added."""
    return discord.Embed(
        title=ngettext(
            "{count} keyword rule helpers added",
            "{count} keyword rules helpers added",
            total,
        ),
        description="\n".join(
            f"- {quote(tag)}: {quote(keyword)}" for tag, keyword in rules
        ),
    )


def queue_embed(
    items: Sequence[QueueItem], tag: str | None, page: int, total: int
) -> discord.Embed:
    if tag:
        title = _("Unanswered questions tagged {tag}", tag=quote(tag))
    else:
        title = _("Unanswered questions")
    embed = discord.Embed(title=title)
    if not items:
        embed.description = _("Nothing waiting. Well done!")
        return embed
    lines = []
    for item in items:
        line = _(
            "{thread}, asked {when}",
            thread=thread_link(item.thread_id),
            when=discord_timestamp(item.created_at, "R"),
        )
        if item.needs_help:
            line += " " + _("(still needs help)")
        lines.append("- " + line)
    embed.description = "\n".join(lines)
    pages = max((total + QUEUE_PAGE_SIZE - 1) // QUEUE_PAGE_SIZE, 1)
    embed.set_footer(
        text=_(
            "Page {page} of {pages}, {count} questions, oldest first",
            page=format_number(page + 1),
            pages=format_number(pages),
            count=format_number(total),
        )
    )
    return embed


def digest_embed(digest: Digest) -> discord.Embed:
    embed = discord.Embed(title=_("Questions digest"))
    if digest.since is not None:
        embed.description = _(
            "What changed since the last digest ({when}).",
            when=discord_timestamp(digest.since, "f"),
        )

    def listing(items: Sequence[Any], total: int) -> str:
        shown = [
            "- "
            + _(
                "{thread}, asked {when}",
                thread=thread_link(i.thread_id),
                when=discord_timestamp(i.created_at, "R"),
            )
            for i in items[:DIGEST_LISTED]
        ]
        if total > len(shown):
            more = total - len(shown)
            shown.append(ngettext("and {count} more", "and {count} more", more))
        return "\n".join(shown) or _("None")

    embed.add_field(
        name=ngettext(
            "{count} new question", "{count} new questions", digest.new_total
        ),
        value=listing(digest.new, digest.new_total),
        inline=False,
    )
    embed.add_field(
        name=ngettext(
            "{count} unanswered for more than a day",
            "{count} unanswered for more than a day",
            digest.unanswered_total,
        ),
        value=listing(digest.unanswered, digest.unanswered_total),
        inline=False,
    )
    embed.add_field(
        name=_("Solved since the last digest")
        if digest.since is not None
        else _("Solved in the last day"),
        value=format_number(digest.solved),
        inline=False,
    )
    helpers = "\n".join(
        "- "
        + ngettext(
            "<@{user}>: {count} question",
            "<@{user}>: {count} questions",
            n,
            user=user_id,
        )
        for user_id, n in digest.top_helpers
    )
    embed.add_field(
        name=_("Top helpers this week"), value=helpers or _("None"), inline=False
    )
    return embed


# -- the digest's schedule ------------------------------------------------------------------
def day_names() -> dict[str, int]:
    """Every name a day goes by, lower case: ``mon``, English names, and the active
    language's (what a member may type for the digest's days)."""
    names: dict[str, int] = {key: index for index, key in enumerate(DAY_KEYS)}
    for locale in (Locale("en"), babel_locale()):
        for width in ("wide", "abbreviated"):
            for index, name in locale.days["format"][width].items():
                names.setdefault(name.lower().rstrip("."), index)
    return names


def describe_days(days: frozenset[int]) -> str:
    """The days of the week, in the active language."""
    if days == ALL_DAYS:
        return _("every day")
    wide = babel_locale().days["format"]["wide"]
    return format_list([wide[day] for day in sorted(days)])


def day_choices(current: str) -> list[tuple[str, str]]:
    """What the days option suggests, as (shown, value): what was typed first when
    it reads as days, then every day, weekdays, weekends and each day alone."""
    typed = current.strip().lower()

    def choice(days: frozenset[int]) -> tuple[str, str]:
        return describe_days(days)[:100], days_key(days)

    choices: list[tuple[str, str]] = []
    if typed:
        try:
            choices.append(choice(parse_digest_days(typed, day_names())))
        except Refused:
            pass
    presets = [DAY_PRESETS["daily"], DAY_PRESETS["weekdays"], DAY_PRESETS["weekends"]]
    for days in presets + [frozenset({day}) for day in range(7)]:
        shown = choice(days)
        if shown not in choices and (not typed or typed in shown[0].lower()):
            choices.append(shown)
    return choices[:25]


def digest_schedule_text(
    schedule: DigestSchedule, next_at: int, *, saved: bool = False
) -> str:
    text = _(
        "The helpers' digest is checked at {time} ({timezone}), {days}, and posted "
        "only when something changed since the last one: a new question, one "
        "answered or solved, or one unanswered for 1, 3, 7, 14 or 30 days. Next "
        "check: {when}.",
        time=f"{schedule.at.hour:02d}:{schedule.at.minute:02d}",
        timezone=schedule.timezone,
        days=describe_days(schedule.days),
        when=discord_timestamp(next_at, "F"),
    )
    return (_("Saved.") + " " + text) if saved else text


def duration(seconds: float | None) -> str:
    if seconds is None:
        return _("no data")
    minutes = int(seconds // 60)
    if minutes < 60:
        return ngettext("{count} minute", "{count} minutes", minutes)
    hours = minutes // 60
    if hours < 48:
        return ngettext("{count} hour", "{count} hours", hours)
    return ngettext("{count} day", "{count} days", hours // 24)


def stats_embed(stats: Stats, days: int) -> discord.Embed:
    embed = discord.Embed(
        title=ngettext(
            "Questions of the last {count} day",
            "Questions of the last {count} days",
            days,
        )
    )
    states = [
        (_("Open"), stats.by_state.get("open", 0)),
        (_("of which unanswered"), stats.unanswered),
        (_("Solved"), stats.by_state.get("solved", 0)),
        (_("Closed"), stats.by_state.get("closed", 0)),
    ]
    embed.add_field(
        name=_("By state"),
        value="\n".join(f"{label}: {format_number(n)}" for label, n in states),
        inline=True,
    )
    embed.add_field(
        name=_("By tag"),
        value="\n".join(f"{quote(tag)}: {format_number(n)}" for tag, n in stats.by_tag)
        or _("None"),
        inline=True,
    )
    embed.add_field(
        name=_("Median time"),
        value="\n".join(
            [
                _("to a first response: {time}", time=duration(stats.median_response)),
                _("to solved: {time}", time=duration(stats.median_solved)),
            ]
        ),
        inline=False,
    )
    return embed


# -- notices to organisers --------------------------------------------------------------
def tags_failed_notice(thread: str, status: int, *, forbidden: bool) -> str:
    if forbidden:
        return _(
            "I could not change the tags of the question {thread} "
            "(Discord said {status}). Check my permissions in the forum.",
            thread=thread,
            status=str(status),
        )
    # A Discord outage is nobody's permission problem.
    return _(
        "I could not change the tags of the question {thread}: Discord "
        "had a problem ({status}). Set them by hand if they matter.",
        thread=thread,
        status=str(status),
    )


def reply_failed_notice(thread: str, status: int) -> str:
    return _(
        "I could not reply to the question {thread} (Discord said "
        "{status}). Check my permissions in the forum.",
        thread=thread,
        status=str(status),
    )


def archive_failed_notice(thread: str) -> str:
    return _(
        "I could not archive the solved question {thread}: give my role "
        "Manage Threads in the questions forum.",
        thread=thread,
    )


def risk_note(entries: Sequence[Extension]) -> str:
    """The note under a question about extensions at risk: why, and what instead."""
    lines = []
    for entry in entries:
        reasons = "; ".join(risk_text(risk) for risk in entry.user_risks())
        if entry.alternative:
            lines.append(
                _(
                    "Heads-up: {name} is at risk ({reasons}). Consider {alternative} "
                    "instead.",
                    name=entry.display_name,
                    reasons=reasons,
                    alternative=entry.alternative,
                )
            )
        else:
            lines.append(
                _(
                    "Heads-up: {name} is at risk ({reasons}).",
                    name=entry.display_name,
                    reasons=reasons,
                )
            )
    return "\n".join(lines)


def answer_choice(author: str, content: str) -> str:
    """A reply as ``/solved answer:`` suggests it: who wrote it and how it starts."""
    text = " ".join(content.split()) or "…"
    return clip(f"{author}: {text}", 100)


# -- the public pages ------------------------------------------------------------------------
def pages_title() -> str:
    return _("Solved questions")


def pages_summary() -> str:
    return _(
        "Questions from the questions forum and the answers that solved them, "
        "searchable."
    )


def a_member() -> str:
    """Who wrote something, for a member who did not agree to show a name."""
    return _("a member")


@dataclass(frozen=True, slots=True)
class ShownQuestion:
    """A solved question as a page shows it."""

    thread_id: int
    title: str
    asked_by: str
    answered_by: str
    asked: datetime
    solved: datetime
    excerpt: str
    question: list[Block]
    answer: list[Block]
    discord_url: str


def shown_question(question: PublicQuestion, guild_id: int) -> ShownQuestion:
    """Names only for those who agreed; mentions and ids never."""
    words = {"member": a_member(), "role": _("a role"), "channel": _("a channel")}
    return ShownQuestion(
        thread_id=question.thread_id,
        title=question.title,
        asked_by=question.author_name or a_member(),
        answered_by=question.answer_name or a_member(),
        asked=from_ts(question.created_at),
        solved=from_ts(question.solved_at),
        excerpt=logic.excerpt(question.body),
        question=logic.public_blocks(question.body, **words),
        answer=logic.public_blocks(question.solution, **words),
        discord_url=logic.thread_url(guild_id, question.thread_id),
    )
