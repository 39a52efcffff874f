"""Wording of the contribute job: replies, posts, DMs and every refusal.

Pure: no I/O. The caller chooses the language (the member's for replies and DMs, the
guild's for public posts); these functions only word what they are given.
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
from bot.safety import EMBED_FIELD_VALUE_LIMIT
from bot.safety import quote
from cogs.contribute._logic import IssueInfo
from cogs.contribute._logic import Kind
from cogs.contribute._logic import Problem
from cogs.contribute._logic import Project
from cogs.contribute._logic import PrState
from cogs.contribute._logic import TaskKind
from cogs.contribute._logic import TaskState
from cogs.contribute._logic import Thanks
from cogs.contribute._queries import Claim
from cogs.contribute._queries import Task

GITHUB_COLOUR = discord.Colour(0x24292F)

#: A name a member typed is shown up to this long in a refusal.
MEMBER_NAME_SHOWN = 120


def kind_label(kind: Kind | str) -> str:
    labels = {
        Kind.FIRST: _("good first issue"),
        Kind.HELP: _("help wanted"),
        Kind.DOCS: _("docs"),
    }
    return labels[Kind(kind)]


def task_kind_label(kind: TaskKind | str) -> str:
    labels = {
        TaskKind.DOCS: _("write or improve docs"),
        TaskKind.TRANSLATION: _("translation"),
        TaskKind.TRIAGE: _("triage questions or issues"),
        TaskKind.REVIEW: _("review"),
        TaskKind.OTHER: _("other"),
    }
    return labels[TaskKind(kind)]


def task_state_label(state: TaskState | str) -> str:
    labels = {
        TaskState.OPEN: _("open"),
        TaskState.CLAIMED: _("in progress"),
        TaskState.SUBMITTED: _("waiting for review"),
        TaskState.DONE: _("done"),
        TaskState.WITHDRAWN: _("withdrawn"),
    }
    return labels[TaskState(state)]


def state_label(state: str, is_pull: bool = False) -> str:
    if state == "merged":
        return _("merged")
    if state == "closed":
        return _("closed")
    if is_pull:
        return _("open pull request")
    return _("open")


@explains(Problem)
def refusal(code: Problem, details: Mapping[str, object]) -> str:
    """The sentence for a refused contribute command."""
    # A project or owner name may be what the member typed: shown as typed, never
    # as Markdown (a link, cut short or not).
    d = {
        key: quote(str(value), limit=MEMBER_NAME_SHOWN)
        if key in ("name", "owner")
        else value
        for key, value in details.items()
    }
    match code:
        case Problem.UNKNOWN_ISSUE:
            return _(
                "I could not find that issue. Pick one from the list, or write it as "
                "pallets/flask#1234."
            )
        case Problem.OUTSIDE_ORGS:
            return _(
                "{ref} is outside the Pallets organisations; only their issues can be "
                "claimed here.",
                ref=d["ref"],
            )
        case Problem.ISSUE_CLOSED:
            return _("{ref} is closed: pick an open issue.", ref=d["ref"])
        case Problem.IS_PULL_REQUEST:
            return _("{ref} is a pull request, not an issue.", ref=d["ref"])
        case Problem.TAKEN:
            return _(
                "{ref} is already taken by <@{holder}>. Pick another one, or ask them "
                "whether they would like help.",
                ref=d["ref"],
                holder=d["holder"],
            )
        case Problem.ALREADY_YOURS:
            return _("You are already on {ref}.", ref=d["ref"])
        case Problem.TOO_MANY_CLAIMS:
            return ngettext(
                "You are already on {limit} issue: finish or release it first.",
                "You are already on {limit} issues: finish or release one first.",
                int(str(d["limit"])),
                limit=d["limit"],
            )
        case Problem.NOT_YOUR_CLAIM:
            return _("You have not claimed {ref}.", ref=d["ref"])
        case Problem.GITHUB_DOWN:
            return _(
                "Could not reach GitHub just now; nothing was changed. Try again later."
            )
        case Problem.UNKNOWN_PROJECT:
            return _("I do not know the project {name}.", name=d["name"])
        case Problem.UNKNOWN_OWNER:
            return _(
                "{owner} is not a GitHub user or organisation name.", owner=d["owner"]
            )
        case Problem.BAD_LABELS:
            return _(
                "Give at most 10 labels, separated by commas, each at most 50 characters."
            )
        case Problem.BAD_DAYS:
            return _("Give a number of days from 1 to {limit}.", limit=d["limit"])
        case Problem.TEXT_TOO_LONG:
            return _(
                "That text is too long: at most {limit} characters.", limit=d["limit"]
            )
        case Problem.EMPTY_TEXT:
            return _("That text is empty.")
        case Problem.MASS_MENTION:
            return _("Please remove @everyone, @here and role mentions from the text.")
        case Problem.BAD_LINK:
            return _("Give a link that starts with https://.")
        case Problem.UNKNOWN_TASK:
            return _("There is no such task. Pick one from the list.")
        case Problem.TASK_NOT_OPEN:
            return _("Someone is already on this task.")
        case Problem.OWN_TASK:
            return _("You mentor this task, so you cannot claim it.")
        case Problem.NOT_TASK_MENTOR:
            return _("Only the task's mentor or an organiser can review it.")
        case Problem.NOT_YOUR_TASK:
            return _("You are not on this task.")
        case Problem.NOTHING_SUBMITTED:
            return _("Nothing was submitted for this task yet.")
        case Problem.NOTE_NEEDED:
            return _("Say what should change in the note.")
        case Problem.MENTOR_IS_BOT:
            return _("A bot cannot mentor a task.")
        case Problem.NOT_A_SPRINT:
            return _("That is not a published sprint. Pick one from the list.")
        case Problem.SPRINT_OVER:
            return _("That sprint is over.")
        case Problem.NOT_ON_BOARD:
            return _("{ref} is not on this sprint's board.", ref=d["ref"])
        case Problem.ALREADY_ON_BOARD:
            return _("{ref} is already on the board.", ref=d["ref"])
        case Problem.BOARD_FULL:
            return _("The board is full: at most {limit} issues.", limit=d["limit"])
        case Problem.NO_RELEASE_ROLE:
            return _(
                "Release notifications are not set up here yet: an organiser chooses "
                "the role with /setup roles."
            )
        case Problem.HELP_TAKEN:
            return _("Another mentor is already on it.")
        case Problem.ALREADY_VOLUNTEERED:
            return _("Your offer is already waiting for an organiser.")
        case Problem.OWN_OFFER:
            return _("You cannot decide your own offer.")
        case Problem.OFFER_DECIDED:
            return _("This offer was already decided.")


# -- references ----------------------------------------------------------------------------
def reference_line(issue: IssueInfo) -> str:
    labels = ", ".join(issue.labels[:5])
    parts = [state_label(issue.state, issue.is_pull)]
    if labels:
        parts.append(labels)
    parts.append(_("by {author}", author=quote(issue.author)))
    return "**[{ref}]({url})** {title}\n{facts}".format(
        ref=issue.ref,
        url=issue.url,
        title=quote(clip(issue.title, 120)),
        facts=" · ".join(parts),
    )


def references_embed(issues: Sequence[IssueInfo]) -> discord.Embed:
    """One compact reply for every reference in a message."""
    return discord.Embed(
        description="\n".join(reference_line(issue) for issue in issues),
        colour=GITHUB_COLOUR,
    )


def github_unreachable() -> str:
    return _("Could not reach GitHub just now.")


# -- newcomer issues -------------------------------------------------------------------------
def holder_text(issue: IssueInfo, claim: Claim | None) -> str:
    if claim is not None:
        text = _("taken by <@{user}>", user=claim.user_id)
        if claim.pr_url:
            text += " · " + pr_text(claim)
        return text
    if issue.assignees:
        return _("assigned on GitHub to {logins}", logins=", ".join(issue.assignees))
    return _("free to claim")


def pr_text(claim: Claim) -> str:
    number, url = claim.pr_number, claim.pr_url
    match claim.pr_state or PrState.OPEN:
        case PrState.MERGED:
            return _("pull request [#{number}]({url}) merged", number=number, url=url)
        case PrState.CLOSED:
            return _("pull request [#{number}]({url}) closed", number=number, url=url)
        case _open:
            return _("pull request [#{number}]({url}) open", number=number, url=url)


def issues_page(
    rows: Sequence[tuple[IssueInfo, set[Kind], Claim | None]], total: int
) -> discord.Embed:
    """A page of /contribute issues: newest activity first, who is on each."""
    embed = discord.Embed(
        title=ngettext(
            "{count} issue for newcomers",
            "{count} issues for newcomers",
            total,
            count=total,
        ),
        colour=GITHUB_COLOUR,
    )
    lines = []
    for issue, kinds, claim in rows:
        kinds_text = ", ".join(kind_label(k) for k in sorted(kinds)) or ", ".join(
            issue.labels[:3]
        )
        lines.append(
            "**[{ref}]({url})** {title}\n{kinds} · {updated} · {holder}".format(
                ref=issue.ref,
                url=issue.url,
                title=quote(clip(issue.title, 100)),
                kinds=kinds_text,
                updated=_(
                    "active {when}", when=discord_timestamp(issue.updated_at, "R")
                ),
                holder=holder_text(issue, claim),
            )
        )
    embed.description = "\n".join(lines)
    return embed


def no_issues(project: str | None) -> str:
    if project:
        return _(
            "No open issues for newcomers in {project} right now. Try another project, "
            "or ask in the questions forum what needs help.",
            project=project,
        )
    return _(
        "No open issues for newcomers are known right now (the list refreshes every "
        "few minutes). Try again later."
    )


# -- claims ------------------------------------------------------------------------------------
def claimed(claim: Claim) -> str:
    return _(
        '{ref} is yours: {title}. Open a pull request that mentions it ("Fixes '
        '{ref}") before {deadline}, or the claim lapses so someone else can try. '
        "Release it with /contribute release if you stop.",
        ref=claim.ref,
        title=quote(claim.title),
        deadline=discord_timestamp(claim.expires_at, "D"),
    )


def released(claim: Claim) -> str:
    return _("You released {ref}; others can claim it now.", ref=claim.ref)


def my_claims(claims: Sequence[Claim]) -> str:
    if not claims:
        return _("You have no claimed issues. Find one with /contribute issues.")
    lines = [_("Your claimed issues:")]
    for claim in claims:
        extra = (
            pr_text(claim)
            if claim.pr_url
            else _("lapses {when}", when=discord_timestamp(claim.expires_at, "R"))
        )
        lines.append(f"- [{claim.ref}]({claim.ref.url}) {quote(claim.title)} · {extra}")
    return "\n".join(lines)


def claim_reminder(claim: Claim) -> str:
    return _(
        "Your claim on {ref} ({title}) lapses {when} because no pull request mentions "
        'it yet. Still on it? Open a draft pull request that says "Fixes {ref}". '
        "Stuck? Ask in the questions forum, or release it with /contribute release.",
        ref=claim.ref,
        title=quote(claim.title),
        when=discord_timestamp(claim.expires_at, "R"),
    )


def claim_lapsed(claim: Claim) -> str:
    return _(
        "Your claim on {ref} lapsed: no pull request mentioned it in time. You can "
        "claim it again if it is still free.",
        ref=claim.ref,
    )


def pull_linked(claim: Claim) -> str:
    return _(
        "Your pull request for {ref} is in: {url}. A maintainer will review it; the "
        "claim now stays yours while it is open.",
        ref=claim.ref,
        url=claim.pr_url,
    )


def merged_thanks(claim: Claim) -> str:
    return _(
        "Your pull request for {ref} was merged. Thank you for contributing to Pallets!",
        ref=claim.ref,
    )


def shout_out(claim: Claim) -> str:
    return _(
        "<@{user}>'s pull request for {ref} ({title}) was merged. Thank you!",
        user=claim.user_id,
        ref=claim.ref,
        title=quote(claim.title),
    )


def thanks_setting(public: bool) -> str:
    if public:
        return _("Merged pull requests and completed tasks will be thanked in public.")
    return _(
        "You will not be named in public shout-outs or the monthly thanks; you still "
        "get a thank-you by DM."
    )


def labels_saved(repo: str, kind: Kind, labels: Sequence[str]) -> str:
    if not labels:
        return _(
            "{repo} now uses the default labels for {kind}.",
            repo=repo,
            kind=kind_label(kind),
        )
    return _(
        "{repo}: issues labelled {labels} now count as {kind}.",
        repo=repo,
        labels=", ".join(labels),
        kind=kind_label(kind),
    )


def owners_saved(owners: Sequence[str]) -> str:
    if not owners:
        return _("References are answered for pallets and pallets-eco only.")
    return _(
        "References are answered for pallets, pallets-eco and {owners}.",
        owners=", ".join(owners),
    )


def claim_days_saved(days: int) -> str:
    return ngettext(
        "Claims without a pull request now lapse after {days} day.",
        "Claims without a pull request now lapse after {days} days.",
        days,
        days=days,
    )


# -- releases -------------------------------------------------------------------------------------
def release_post(project: Project, version: str, url: str, role_id: int | None) -> str:
    text = _(
        "{project} {version} is out. What changed: {url}",
        project=project.pypi or project.name,
        version=version,
        url=url,
    )
    return f"<@&{role_id}> {text}" if role_id else text


def role_toggled(added: bool) -> str:
    if added:
        return _("You will be pinged for new releases. Click again to stop.")
    return _("You will no longer be pinged for new releases.")


# -- start here -------------------------------------------------------------------------------------
def ask_answer(forum_id: int | None) -> str:
    if forum_id:
        return _(
            "Ask in <#{forum}>: one post per question, with what you tried and the "
            "full error. Helpers answer there.",
            forum=forum_id,
        )
    return _("The questions forum is not set up yet; ask an organiser.")


def contribute_answer(
    issues: Sequence[IssueInfo], projects: Sequence[Project]
) -> discord.Embed:
    embed = discord.Embed(title=_("Contributing to Pallets"), colour=GITHUB_COLOUR)
    lines = [
        _(
            "Start with an issue labelled for newcomers, claim it so nobody else "
            "works on the same one, then open a pull request that mentions it."
        ),
        "",
    ]
    for issue in issues:
        lines.append(f"- [{issue.ref}]({issue.url}) {quote(clip(issue.title, 90))}")
    if not issues:
        lines.append(_("The list is still loading; try /contribute issues shortly."))
    lines += [
        "",
        _(
            "All of them: /contribute issues. Claim one: /contribute claim. Tasks "
            "that are not code (docs, translations, triage): /contribute task list."
        ),
    ]
    embed.description = "\n".join(lines)
    guides = ""
    for project in projects:
        link = f"[{project.name}]({project.guide})" if project.guide else ""
        joined = f"{guides} · {link}" if guides else link
        if link and len(joined) <= EMBED_FIELD_VALUE_LIMIT:
            guides = joined  # whole links only: a clipped one would not be a link
    if guides:
        embed.add_field(name=_("Contributing guides"), value=guides)
    return embed


def mentor_answer() -> str:
    return _(
        "Ask for a mentor with /mentor request: say what you want to learn or build, "
        "and a mentor picks it up. At a sprint, /contribute sprint help calls the "
        "mentor on duty."
    )


def volunteer_prompt() -> str:
    return "\n".join(
        (
            _("How would you like to help? An organiser will look at your offer."),
            _(
                "To look after an extension, offer with /ext volunteer: organisers "
                "see what you can do and add you to its caretakers."
            ),
        )
    )


def volunteer_kind_label(kind: str) -> str:
    assert kind == "helper", kind  # caretakers offer with /ext volunteer
    return _("Answer questions as a helper")


def offer_received() -> str:
    return _("Thank you! An organiser will look at your offer and tell you.")


def offer_notice(user_id: int, kind: str, extension: str, note: str) -> str:
    what = (
        _("to answer questions as a helper")
        if kind == "helper"
        else _("to care for the extension {name}", name=quote(extension or "?"))
    )
    text = _("<@{user}> offers {what}.", user=user_id, what=what)
    if note:
        text += "\n> " + quote(clip(note, 500))
    return text


def offer_decided_notice(user_id: int, approved: bool, organiser_id: int) -> str:
    if approved:
        return _(
            "<@{organiser}> accepted <@{user}>'s offer.",
            organiser=organiser_id,
            user=user_id,
        )
    return _(
        "<@{organiser}> declined <@{user}>'s offer.",
        organiser=organiser_id,
        user=user_id,
    )


def offer_answer_dm(kind: str, extension: str, approved: bool) -> str:
    if approved and kind == "helper":
        return _(
            "Your offer to help answer questions was accepted: welcome to the helpers!"
        )
    if approved:
        return _(
            "Your offer to care for {name} was accepted. Thank you! An organiser "
            "will get in touch about access.",
            name=quote(extension),
        )
    return _(
        "Thank you for offering to help. The organisers cannot take up your offer "
        "right now; you are welcome to ask them why."
    )


# -- tasks -----------------------------------------------------------------------------------------
def task_line(task: Task) -> str:
    return _(
        "**#{id}** {title} · {kind} · mentor <@{mentor}> · {state}",
        id=task.id,
        title=quote(clip(task.title, 80)),
        kind=task_kind_label(task.kind),
        mentor=task.mentor_id,
        state=task_state_label(task.state),
    )


def task_embed(task: Task) -> discord.Embed:
    embed = discord.Embed(
        title=_("Task #{id}: {title}", id=task.id, title=clip(task.title, 200)),
        description=quote(task.description),
    )
    embed.add_field(name=_("Kind"), value=task_kind_label(task.kind))
    embed.add_field(name=_("Mentor"), value=f"<@{task.mentor_id}>")
    embed.add_field(name=_("State"), value=task_state_label(task.state))
    if task.claimant_id:
        embed.add_field(name=_("Taken by"), value=f"<@{task.claimant_id}>")
    if task.link:
        embed.add_field(name=_("Submitted"), value=task.link, inline=False)
    if task.feedback:
        embed.add_field(
            name=_("Mentor's note"), value=quote(task.feedback), inline=False
        )
    return embed


def tasks_page(tasks: Sequence[Task], total: int) -> discord.Embed:
    return discord.Embed(
        title=ngettext("{count} task", "{count} tasks", total, count=total),
        description="\n".join(task_line(task) for task in tasks),
    )


def no_tasks() -> str:
    return _(
        "No open tasks right now. Mentors post them with /contribute-mentor task post."
    )


def task_posted(task: Task) -> str:
    return _(
        "Task #{id} is posted; members find it with /contribute task list.", id=task.id
    )


def task_claimed(task: Task) -> str:
    return _(
        "Task #{id} is yours. When it is done, send the link with /contribute task "
        "submit. Questions? Ask your mentor <@{mentor}>.",
        id=task.id,
        mentor=task.mentor_id,
    )


def task_claimed_dm(task: Task, member_id: int) -> str:
    return _(
        "<@{member}> took your task #{id} ({title}).",
        member=member_id,
        id=task.id,
        title=quote(task.title),
    )


def task_submitted(task: Task) -> str:
    return _(
        "Submitted. <@{mentor}> will review task #{id}.",
        mentor=task.mentor_id,
        id=task.id,
    )


def task_submitted_dm(task: Task) -> str:
    return _(
        "<@{member}> submitted task #{id} ({title}): {link}. Review it with "
        "/contribute task review.",
        member=task.claimant_id,
        id=task.id,
        title=quote(task.title),
        link=task.link,
    )


def task_reviewed(task: Task, accepted: bool) -> str:
    if accepted:
        return _("Task #{id} is done. Thank you for mentoring!", id=task.id)
    return _("Your note went to <@{member}>.", member=task.claimant_id)


def task_review_dm(task: Task, accepted: bool, note: str) -> str:
    if accepted:
        text = _(
            "Your task #{id} ({title}) was accepted. Thank you: it counts toward "
            "this month's thanks.",
            id=task.id,
            title=quote(task.title),
        )
    else:
        text = _(
            "Your mentor asks for changes on task #{id} ({title}). Submit again with "
            "/contribute task submit when ready.",
            id=task.id,
            title=quote(task.title),
        )
    if note:
        text += "\n> " + quote(note)
    return text


def task_dropped(task: Task) -> str:
    return _("You left task #{id}; it is open again.", id=task.id)


def task_withdrawn(task: Task) -> str:
    return _("Task #{id} is withdrawn.", id=task.id)


# -- sprints ---------------------------------------------------------------------------------------
def board_embed(
    title: str,
    starts: object,
    rows: Sequence[tuple[str, str, str, Claim | None]],
    projects: Sequence[Project],
    *,
    mentor_hint: bool = True,
) -> discord.Embed:
    """A sprint's board: each picked issue and who is on it, and the set-up steps."""
    embed = discord.Embed(
        title=_("Sprint board: {title}", title=clip(title, 200)), colour=GITHUB_COLOUR
    )
    lines = []
    for ref, url, issue_title, claim in rows:
        who = (
            f"<@{claim.user_id}>" + (" · " + pr_text(claim) if claim.pr_url else "")
            if claim
            else _("free")
        )
        lines.append(f"**[{ref}]({url})** {quote(clip(issue_title, 80))} · {who}")
    if not lines:
        lines.append(
            _(
                "No issues picked yet: maintainers add them with /contribute-mentor sprint pick."
            )
        )
    lines += [
        "",
        _(
            "Claim one with /contribute sprint claim (one person per issue). Stuck? "
            "/contribute sprint help calls the mentor on duty."
        ),
    ]
    embed.description = "\n".join(lines)
    for project in projects[:5]:
        steps = "\n".join(project.steps())
        if steps:
            embed.add_field(
                name=_("Set up {project}", project=project.name),
                value=f"```sh\n{steps}\n```",
                inline=False,
            )
    del starts, mentor_hint
    return embed


def picked(ref: str) -> str:
    return _("{ref} is on the board.", ref=ref)


def unpicked(ref: str) -> str:
    return _("{ref} is off the board.", ref=ref)


def help_call(user_id: int, note: str) -> str:
    text = _("<@{user}> asks a mentor on duty for help.", user=user_id)
    if note:
        text += "\n> " + quote(clip(note, 500))
    return text


def help_called() -> str:
    return _("The mentors on duty were told; one will come to you here.")


def help_call_dm(user_id: int, channel_id: int, title: str) -> str:
    return _(
        "<@{user}> asks for help at the sprint {title}, in <#{channel}>.",
        user=user_id,
        title=quote(title),
        channel=channel_id,
    )


def help_answered(mentor_id: int) -> str:
    return _("<@{mentor}> is on it.", mentor=mentor_id)


def sprint_wrap(
    title: str, merged: Sequence[Claim], contributors: Sequence[int]
) -> str:
    lines = [_("The sprint {title} is over. Thank you all!", title=quote(title))]
    if merged:
        lines.append(_("Merged:"))
        lines += [
            f"- [{c.ref}]({c.pr_url or c.ref.url}) {quote(c.title)} (<@{c.user_id}>)"
            for c in merged
        ]
    else:
        lines.append(
            _(
                "Nothing is merged yet; reviews take time, and every pull request counts."
            )
        )
    if contributors:
        lines.append(
            _(
                "Thanks to {people}.",
                people=format_list([f"<@{user}>" for user in contributors]),
            )
        )
    return "\n".join(lines)


# -- recognition -----------------------------------------------------------------------------------
def thanks_line(thanks: Thanks) -> str:
    parts = []
    if thanks.solved:
        parts.append(
            ngettext(
                "solved {n} question",
                "solved {n} questions",
                thanks.solved,
                n=thanks.solved,
            )
        )
    if thanks.first_prs:
        parts.append(_("merged their first pull request"))
    extra_merged = thanks.merged - thanks.first_prs
    if extra_merged > 0:
        parts.append(
            ngettext(
                "merged {n} pull request",
                "merged {n} pull requests",
                extra_merged,
                n=extra_merged,
            )
        )
    if thanks.mentored:
        parts.append(
            ngettext(
                "mentored {n} person",
                "mentored {n} people",
                thanks.mentored,
                n=thanks.mentored,
            )
        )
    if thanks.tasks:
        parts.append(
            ngettext(
                "completed {n} task",
                "completed {n} tasks",
                thanks.tasks,
                n=thanks.tasks,
            )
        )
    if thanks.caretaking:
        parts.append(
            ngettext(
                "cared for {n} extension",
                "cared for {n} extensions",
                thanks.caretaking,
                n=thanks.caretaking,
            )
        )
    return _("<@{user}> {what}", user=thanks.user_id, what=format_list(parts))


def recognition_post(month: str, people: Sequence[Thanks]) -> str:
    lines = [_("Thank you, everyone who helped in {month}:", month=month)]
    lines += ["- " + thanks_line(thanks) for thanks in people]
    lines.append(_("Don't want to be named here? /contribute thanks public:False."))
    return "\n".join(lines)
