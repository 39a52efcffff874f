"""Wording: statuses, reasons, staleness and refusals in the reader's language.

Pure: no I/O. The caller chooses the language (the member's for replies, the guild's
for the weekly post).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.clock import discord_timestamp
from bot.clock import from_ts
from bot.extensions import Extension
from bot.extensions import Flag
from bot.extensions import Risk
from bot.extensions import risk_text
from bot.i18n import _
from bot.i18n import ngettext
from bot.refusals import explains
from bot.safety import isolate
from cogs.extwatch._logic import Activity
from cogs.extwatch._logic import age_parts
from cogs.extwatch._logic import Assessment
from cogs.extwatch._logic import Caretaker
from cogs.extwatch._logic import CaretakerRole
from cogs.extwatch._logic import Change
from cogs.extwatch._logic import Help
from cogs.extwatch._logic import Hours
from cogs.extwatch._logic import MONTH
from cogs.extwatch._logic import Policy
from cogs.extwatch._logic import Problem
from cogs.extwatch._logic import PypiInfo
from cogs.extwatch._logic import Reason
from cogs.extwatch._logic import ReasonCode
from cogs.extwatch._logic import Roster
from cogs.extwatch._logic import Status
from cogs.extwatch._logic import Step
from cogs.extwatch._logic import STEPS
from cogs.extwatch._queries import Adoption
from cogs.extwatch._queries import Cached
from cogs.extwatch._queries import Watched

COLOURS = {
    Status.HEALTHY: discord.Colour.green(),
    Status.WATCH: discord.Colour.gold(),
    Status.AT_RISK: discord.Colour.red(),
    Status.UNKNOWN: discord.Colour.light_grey(),
}
ICONS = {
    Status.HEALTHY: "🟢",
    Status.WATCH: "🟡",
    Status.AT_RISK: "🔴",
    Status.UNKNOWN: "⚪",
}


@explains(Problem)
def refusal(code: Problem, details: Mapping[str, object]) -> str:
    """The sentence for a refused /ext command."""
    match code:
        case Problem.NOT_WATCHED:
            return _(
                "{name} is not on the watch list. /ext report shows the list.",
                name=details["name"],
            )
        case Problem.EMPTY_LIST:
            return _(
                "The watch list is empty. Organisers add to it with /ext-admin watch-add."
            )
        case Problem.INVALID_NAME:
            return _("{name} is not a valid package name.", name=details["name"])
        case Problem.NOT_GITHUB:
            return _(
                "{repo} is not a GitHub repository: write owner/name or its URL.",
                repo=details["repo"],
            )
        case Problem.ALREADY_WATCHED:
            return _("{name} is already on the watch list.", name=details["name"])
        case Problem.UNKNOWN_EXTENSION:
            return _(
                "I know no extension called {name}. /ext report lists them; "
                "organisers add one with /ext-admin watch-add.",
                name=details["name"],
            )
        case Problem.BAD_GITHUB_USER:
            return _("{name} is not a GitHub user name.", name=details["name"])
        case Problem.BAD_URL:
            return _("{url} is not a link: write it with https://.", url=details["url"])
        case Problem.BAD_TAG:
            return _(
                "A forum tag has 1 to 20 characters; {tag} does not fit.",
                tag=details["tag"],
            )
        case Problem.NOTHING_TO_CHANGE:
            return _("Name at least one thing to change.")
        case Problem.ALREADY_OFFERED:
            return _(
                "You already offered to help with {name}; organisers will answer soon.",
                name=details["name"],
            )
        case Problem.ALREADY_CARETAKER:
            return _("They already look after {name}.", name=details["name"])
        case Problem.NOT_CARETAKER:
            return _("They do not look after this extension.")
        case Problem.OWN_OFFER:
            return _("You cannot decide on your own offer: another organiser will.")
        case Problem.OFFER_DECIDED:
            return _("This offer was already answered.")
        case Problem.NOT_YOURS:
            return _("Only the caretaker this was sent to can answer it.")
        case Problem.ALREADY_FOLLOWING:
            return _("You already follow {name}.", name=details["name"])
        case Problem.NOT_FOLLOWING:
            return _("You do not follow {name}.", name=details["name"])
        case Problem.IN_ORG:
            return _(
                "{name} is already in {org}: adoption is for extensions outside it.",
                name=details["name"],
                org=details["org"],
            )
        case Problem.CASE_OPEN:
            return _("{name} already has an open adoption case.", name=details["name"])
        case Problem.NO_CASE:
            return _(
                "{name} has no open adoption case. Organisers open one with "
                "/ext-admin adoption-open.",
                name=details["name"],
            )
        case Problem.STEP_DONE:
            return _(
                "That step is already recorded: {step}.",
                step=step_label(Step(str(details["step"]))),
            )
        case Problem.STEP_ORDER:
            return _(
                "Record this step first: {step}.",
                step=step_label(Step(str(details["step"]))),
            )


def flask_text(pypi: PypiInfo) -> str:
    """The latest release's Flask requirement, and whether it accepts the current
    major (``/ext status`` and the public pages)."""
    if pypi.flask_spec is None:
        return _("does not require Flask")
    if pypi.accepts_flask is None:
        return _("Flask{spec} (could not tell)", spec=pypi.flask_spec)
    if pypi.accepts_flask:
        return _("Flask{spec}: accepts the current major", spec=pypi.flask_spec)
    return _("Flask{spec}: excludes the current major", spec=pypi.flask_spec)


def status_label(status: Status) -> str:
    labels = {
        Status.HEALTHY: _("healthy"),
        Status.WATCH: _("watch"),
        Status.AT_RISK: _("at risk"),
        Status.UNKNOWN: _("not checked yet"),
    }
    return labels[status]


def reason_text(reason: Reason) -> str:
    v = reason.values
    code = reason.code
    if code in (ReasonCode.NO_RELEASE_RISK, ReasonCode.NO_RELEASE_WATCH):
        return ngettext(
            "no release in {months} month",
            "no release in {months} months",
            int(v["months"]),
            months=v["months"],
        )
    if code is ReasonCode.ARCHIVED:
        return _("the repository is archived")
    if code is ReasonCode.INCOMPATIBLE:
        return _(
            "its Flask requirement ({spec}) excludes Flask {major}",
            spec=v["spec"],
            major=v["major"],
        )
    if code is ReasonCode.VULNERABLE:
        return ngettext(
            "{count} known vulnerability in the latest release: {ids}",
            "{count} known vulnerabilities in the latest release: {ids}",
            int(v["count"]),
            count=v["count"],
            ids=v["ids"],
        )
    if code is ReasonCode.QUIET_REPO:
        return ngettext(
            "no push to the repository in {months} month",
            "no push to the repository in {months} months",
            int(v["months"]),
            months=v["months"],
        )
    if code is ReasonCode.GROWING_BACKLOG:
        return _(
            "open issues and pull requests grew from {before} to {now}",
            before=v["before"],
            now=v["now"],
        )
    return _("not found on PyPI")


def failure_text(kind: str) -> str:
    texts = {
        "timeout": _("timed out"),
        "server": _("server error"),
        "rate_limited": _("rate limited"),
        "malformed": _("unreadable answer"),
        "network": _("network error"),
        "client": _("request refused"),
        "not_found": _("not found"),
        "private": _("no access"),
        "unavailable": _("GitHub unavailable"),
    }
    return texts.get(kind, kind)


def source_label(source: str) -> str:
    labels = {"pypi": "PyPI", "github": "GitHub", "osv": "OSV"}
    return labels.get(source) or _("GitHub activity")


def stale_lines(cache: Cached, now: int) -> list[str]:
    lines = []
    for snap in sorted(cache.stale, key=lambda s: s.source):
        if snap.fetched_at is None:
            lines.append(
                _(
                    "{source}: never fetched ({reason}).",
                    source=source_label(snap.source),
                    reason=failure_text(snap.error or ""),
                )
            )
            continue
        lines.append(
            _(
                "{source}: stale, the last good data is {age} old (last fetch: {reason}).",
                source=source_label(snap.source),
                age=age_text(now - snap.fetched_at),
                reason=failure_text(snap.error or ""),
            )
        )
    return lines


def status_embed(
    item: Watched,
    assessment: Assessment,
    cache: Cached,
    now: int,
    steward: Stewardship | None = None,
) -> discord.Embed:
    evidence = cache.evidence()
    embed = discord.Embed(
        title=f"{ICONS[assessment.status]} {isolate(item.display_name)}: "
        f"{status_label(assessment.status)}",
        colour=COLOURS[assessment.status],
    )
    lines = [f"• {reason_text(r)}" for r in assessment.reasons]
    if assessment.status is Status.HEALTHY:
        lines.append(_("No warning signs."))
    if assessment.status is Status.UNKNOWN:
        lines.append(_("No data yet: an organiser can run /ext-admin refresh."))
    if item.notes:
        lines.append("")
        lines.append(_("Notes: {notes}", notes=item.notes))
    embed.description = "\n".join(lines)
    pypi, github, osv = evidence.pypi, evidence.github, evidence.osv
    if pypi is not None:
        released = (
            discord_timestamp(pypi.released_at, "D")
            if pypi.released_at is not None
            else _("unknown date")
        )
        embed.add_field(
            name=_("Latest release"),
            value=_("{version}, {date}", version=pypi.version, date=released),
        )
        embed.add_field(name=_("Flask requirement"), value=flask_text(pypi))
    if github is not None:
        pushed = (
            discord_timestamp(github.pushed_at, "R")
            if github.pushed_at is not None
            else _("never")
        )
        embed.add_field(
            name=_("Repository"),
            value=_(
                "last push {pushed}; open issues: {issues}; open pull requests: {prs}",
                pushed=pushed,
                issues=github.open_issues,
                prs=github.open_prs,
            ),
            inline=False,
        )
    if osv is not None:
        embed.add_field(
            name=_("Known vulnerabilities"),
            value="\n".join(f"{v.id}: {v.summary}" for v in osv.vulns)
            if osv.vulns
            else _("none known for {version}", version=osv.version),
            inline=False,
        )
    if steward is not None:
        stewardship_fields(embed, steward, now)
    links = [f"[PyPI](https://pypi.org/project/{item.package}/)"] if item.pypi else []
    repo_url = github.html_url if github else None
    if repo_url is None and item.repo:
        repo_url = f"https://github.com/{item.repo}"
    if repo_url:
        links.append(f"[GitHub]({repo_url})")
    if item.docs_url:
        links.append(_("[Documentation]({url})", url=item.docs_url))
    embed.add_field(name=_("Links"), value=" · ".join(links), inline=False)
    stale = stale_lines(cache, now)
    if stale:
        embed.add_field(name=_("Stale data"), value="\n".join(stale), inline=False)
    checked = cache.fetched_at
    if checked is not None:
        embed.set_footer(text=_("Data from"))
        embed.timestamp = from_ts(checked)
    return embed


def age_text(seconds: int) -> str:
    unit, n = age_parts(seconds)
    if unit == "days":
        return ngettext("{count} day", "{count} days", n, count=n)
    if unit == "hours":
        return ngettext("{count} hour", "{count} hours", n, count=n)
    return ngettext("{count} minute", "{count} minutes", n, count=n)


def report_line(
    item: Watched, assessment: Assessment, stale: bool, keepers: int, wanted: int
) -> str:
    reasons = "; ".join(reason_text(r) for r in assessment.reasons)
    line = f"{ICONS[assessment.status]} **{isolate(item.display_name)}**"
    if reasons:
        line += f": {reasons}"
    if wanted and keepers < wanted:
        line += " · ⚠️ " + _(
            "needs caretakers: {have}/{wanted}", have=keepers, wanted=wanted
        )
    elif wanted:
        line += " · " + _("caretakers: {have}/{wanted}", have=keepers, wanted=wanted)
    if stale:
        line += " " + _("(stale data)")
    return line


def changes_post(changes: list[Change]) -> str:
    lines = [
        ngettext(
            "Extension watch: {count} status changed this week.",
            "Extension watch: {count} statuses changed this week.",
            len(changes),
            count=len(changes),
        )
    ]
    for change in changes:
        why = "; ".join(reason_text(r) for r in change.reasons) or _("no warning signs")
        lines.append(
            _(
                "• {package}: {before} → {after} ({why})",
                package=change.package,
                before=status_label(change.before),
                after=status_label(change.after),
                why=why,
            )
        )
    return "\n".join(lines)


def report_embed(
    rows: Sequence[tuple[Watched, Assessment, bool]],
    counts: Counter[Status],
    keepers: Mapping[str, int] | None = None,
    wanted: Mapping[str, int] | None = None,
) -> discord.Embed:
    """One page of the report: ``rows`` (item, assessment, stale) in report order,
    each status group headed with its size over the whole list (``counts``), with
    each extension's caretakers against its policy (``keepers``, ``wanted``)."""
    lines: list[str] = []
    heading: Status | None = None
    for item, assessment, stale in rows:
        if assessment.status is not heading:
            heading = assessment.status
            if lines:
                lines.append("")
            lines.append(f"__{status_label(heading)} ({counts[heading]})__")
        lines.append(
            report_line(
                item,
                assessment,
                stale,
                (keepers or {}).get(item.package, 0),
                (wanted or {}).get(item.package, 0),
            )
        )
    return discord.Embed(title=_("Extension watch"), description="\n".join(lines))


def added(name: str) -> str:
    return _("{name} is now on the watch list.", name=name)


def removed(name: str) -> str:
    return _("{name} is no longer on the watch list.", name=name)


def refresh_summary(checked: int, failed: int, changes: Sequence[Change]) -> str:
    """What /ext-admin refresh did: how many were checked, fetched badly, changed."""
    lines = [
        ngettext(
            "Checked {count} extension.",
            "Checked {count} extensions.",
            checked,
            count=checked,
        )
    ]
    if failed:
        lines.append(
            ngettext(
                "{count} could not be fetched completely; its last good data is kept and marked stale.",
                "{count} could not be fetched completely; their last good data is kept and marked stale.",
                failed,
                count=failed,
            )
        )
    for change in changes:
        lines.append(
            _(
                "• {package}: {before} → {after}",
                package=change.package,
                before=status_label(change.before),
                after=status_label(change.after),
            )
        )
    return "\n".join(lines)


# -- stewardship ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Stewardship:
    """Who looks after an extension and how busy its repository is, for /ext status."""

    caretakers: tuple[Caretaker, ...]
    roster: Roster
    activity: Activity | None
    policy: Policy
    followers: int
    adoption: Adoption | None
    risk: Risk | None


def help_label(help: Help) -> str:
    labels = {
        Help.MAINTAIN: _("maintaining (reviews, merges, releases)"),
        Help.TRIAGE: _("triaging issues"),
        Help.REVIEW: _("reviewing pull requests"),
        Help.DOCS: _("documentation"),
        Help.RELEASE: _("releases and CI"),
    }
    return labels[help]


def hours_label(hours: Hours) -> str:
    labels = {
        Hours.FEW: _("a few hours a month"),
        Hours.WEEKLY: _("a few hours a week"),
        Hours.MORE: _("more than that"),
    }
    return labels[hours]


def role_label(role: CaretakerRole) -> str:
    labels = {
        CaretakerRole.LEAD: _("lead"),
        CaretakerRole.MAINTAINER: _("maintainer"),
        CaretakerRole.TRIAGER: _("triager"),
    }
    return labels[role]


def step_label(step: Step) -> str:
    labels = {
        Step.CONTACT: _("contact the maintainer"),
        Step.ANSWER: _("the maintainer's answer"),
        Step.REPOSITORY: _("repository transferred"),
        Step.PYPI: _("PyPI ownership transferred"),
        Step.CI: _("CI and locked dependencies set up"),
        Step.RELEASE: _("first release by the new caretakers"),
    }
    return labels[step]


def caretaker_line(person: Caretaker, activity: Activity | None, state: Roster) -> str:
    github = f" · GitHub {person.github}" if person.github else ""
    line = _(
        "<@{user}> ({role}{github}), since {date}",
        user=person.user_id,
        role=role_label(person.role),
        github=github,
        date=discord_timestamp(person.since, "D"),
    )
    seen = activity.last_seen().get((person.github or "").lower()) if activity else None
    if seen:
        line += " · " + _("last active {when}", when=discord_timestamp(seen, "R"))
    if person in state.waiting:
        line += " · " + _("asked whether still in")
    elif person in state.inactive:
        line += " · " + _("no answer: counted inactive")
    return line


def activity_text(activity: Activity, months: int, now: int) -> str:
    since = now - int(months * MONTH)
    commits = [c for c in activity.commits if c[1] >= since]
    people = len({who.lower() for who, _when in commits})
    text = _(
        "{commits} by {people} in {months} months",
        commits=ngettext(
            "{count} commit", "{count} commits", len(commits), count=len(commits)
        ),
        people=ngettext("{count} person", "{count} people", people, count=people),
        months=months,
    )
    if activity.releases:
        who, tag, when = activity.releases[0]
        text += "; " + _(
            "last release {tag} {when} by {who}",
            tag=tag,
            when=discord_timestamp(when, "R"),
            who=who,
        )
    return text


def stewardship_fields(embed: discord.Embed, steward: Stewardship, now: int) -> None:
    """The caretakers next to the repository's activity."""
    state = steward.roster
    lines = [
        caretaker_line(p, steward.activity, state) for p in steward.caretakers
    ] or [_("nobody yet: /ext volunteer to offer help")]
    if steward.policy.minimum:
        active = len(state.active) + len(state.waiting) + len(state.to_ask)
        lines.append(
            _(
                "{active} active of the {wanted} it should have",
                active=active,
                wanted=steward.policy.minimum,
            )
        )
    embed.add_field(name=_("Caretakers"), value="\n".join(lines), inline=False)
    if steward.activity is not None:
        embed.add_field(
            name=_("Recent activity"),
            value=activity_text(steward.activity, steward.policy.inactive_months, now),
            inline=False,
        )
    if steward.risk is not None:
        embed.add_field(
            name=_("Needs caretakers"),
            value=risk_text(steward.risk, named=True),
            inline=False,
        )
    if steward.adoption is not None and steward.adoption.state == "open":
        embed.add_field(
            name=_("Adoption"),
            value=_("a case is open: /ext adoption shows its steps"),
            inline=False,
        )
    if steward.followers:
        embed.add_field(
            name=_("Followers"),
            value=ngettext(
                "{count} member follows it",
                "{count} members follow it",
                steward.followers,
                count=steward.followers,
            ),
        )


def org_new_notice(name: str, repo: str, org: str) -> str:
    return _(
        "New in {org}: {repo}. {name} is now on the watch list and has a forum tag; "
        "check its details with /ext status, and fix them with /ext-admin edit.",
        org=org,
        repo=repo,
        name=name,
    )


def alert_post(entry: Extension, risk: Risk) -> str:
    """The public post when a risk appears."""
    lines = [
        _(
            "⚠️ {name}: {reason}.",
            name=entry.display_name,
            reason=risk_text(risk),
        )
    ]
    if risk.flag is Flag.NEEDS_CARETAKERS:
        lines.append(
            _(
                "Can you help look after it? Offer with /ext volunteer name:{name}.",
                name=entry.display_name,
            )
        )
    elif entry.alternative:
        lines.append(
            _("Consider {alternative} instead.", alternative=entry.alternative)
        )
    lines.append(
        _(
            "Follow it with /ext follow name:{name} to hear about such changes.",
            name=entry.display_name,
        )
    )
    return "\n".join(lines)


def alert_dm(entry: Extension, risk: Risk) -> str:
    """The DM a follower gets when a risk appears."""
    text = _(
        "An extension you follow changed: {name}: {reason}.",
        name=entry.display_name,
        reason=risk_text(risk),
    )
    if risk.flag is not Flag.NEEDS_CARETAKERS and entry.alternative:
        text += "\n" + _(
            "Consider {alternative} instead.", alternative=entry.alternative
        )
    return (
        text
        + "\n"
        + _(
            "Stop these messages with /ext unfollow name:{name}.",
            name=entry.display_name,
        )
    )


def alert_mention(name: str) -> str:
    """Under the public post, for followers whose DMs are closed."""
    return _("An extension you follow changed: {name}, above.", name=name)


def still_in_question(name: str, person: Caretaker) -> str:
    return _(
        "Hello! You look after {name}, and GitHub shows no activity from you on its "
        "repository for months. Are you still in? Either answer is fine: stepping "
        "down lets us find someone to help.",
        name=name,
    )


def still_in_unreachable(name: str, person: Caretaker) -> str:
    return _(
        "I could not ask <@{user}> by direct message whether they still look after "
        "{name} (no GitHub activity for months). Could an organiser ask them?",
        user=person.user_id,
        name=name,
    )


def still_in_answered(name: str, still_in: bool) -> str:
    if still_in:
        return _("Thank you! You stay a caretaker of {name}.", name=name)
    return _(
        "Thank you for looking after {name}. You are no longer on its roster.",
        name=name,
    )


def offer_post(
    entry: Extension, user_id: int, help: Help, hours: Hours, github: str | None
) -> str:
    lines = [
        _(
            "<@{user}> offers to help look after {name}: {help}, {hours}.",
            user=user_id,
            name=entry.display_name,
            help=help_label(help),
            hours=hours_label(hours),
        )
    ]
    if github:
        lines.append(_("GitHub: {github}", github=github))
    return "\n".join(lines)


def offer_recorded(name: str) -> str:
    return _(
        "Thank you! Organisers will look at your offer to help with {name}; I will "
        "tell you their answer by direct message.",
        name=name,
    )


def offer_decided(name: str, user_id: int, accepted: bool, by_id: int) -> str:
    if accepted:
        return _(
            "<@{user}> now helps look after {name} (accepted by <@{by}>).",
            user=user_id,
            name=name,
            by=by_id,
        )
    return _(
        "<@{user}>'s offer to help with {name} was declined by <@{by}>.",
        user=user_id,
        name=name,
        by=by_id,
    )


def offer_answer(name: str, accepted: bool) -> str:
    if accepted:
        return _(
            "Good news: your offer to help look after {name} was accepted. Welcome "
            "aboard! /ext status name:{name} shows the other caretakers.",
            name=name,
        )
    return _(
        "Thank you for offering to help with {name}. Organisers cannot take it up "
        "this time; other extensions may need you: /ext report.",
        name=name,
    )


def edited(entry: Extension) -> str:
    lines = [_("Saved. {name} now reads:", name=entry.display_name)]
    lines.append(_("Repository: {value}", value=entry.repo or "-"))
    lines.append(_("Documentation: {value}", value=entry.docs_url or "-"))
    lines.append(_("Forum tag: {value}", value=entry.tag or "-"))
    lines.append(_("Keywords: {value}", value=", ".join(entry.keywords) or "-"))
    lines.append(_("Alternative: {value}", value=entry.alternative or "-"))
    if entry.min_caretakers is not None:
        lines.append(_("Caretakers wanted: {value}", value=entry.min_caretakers))
    return "\n".join(lines)


def caretaker_added(name: str, user_id: int, role: CaretakerRole) -> str:
    return _(
        "<@{user}> now looks after {name} as {role}.",
        user=user_id,
        name=name,
        role=role_label(role),
    )


def caretaker_removed(name: str, user_id: int) -> str:
    return _("<@{user}> no longer looks after {name}.", user=user_id, name=name)


def followed(name: str) -> str:
    return _(
        "You follow {name}: I will tell you by direct message when it gets a known "
        "vulnerability, is archived, excludes the current Flask or needs caretakers.",
        name=name,
    )


def unfollowed(name: str) -> str:
    return _("You no longer follow {name}.", name=name)


def adoption_opened(name: str) -> str:
    return _(
        "Adoption case opened for {name}. Record each step with /ext-admin adoption-step; "
        "/ext adoption shows where it stands.",
        name=name,
    )


def adoption_embed(entry: Extension, case: Adoption) -> discord.Embed:
    done = {s.step: s for s in case.steps}
    lines = []
    for step in STEPS:
        record = done.get(step)
        if record is None:
            lines.append(f"⬜ {step_label(step)}")
            continue
        line = "✅ " + _(
            "{step}: <@{user}>, {date}",
            step=step_label(step),
            user=record.done_by,
            date=discord_timestamp(record.done_at, "D"),
        )
        if record.note:
            line += f" · {record.note}"
        lines.append(line)
    if case.state == "done":
        status = _("done")
    else:
        status = _("open since {date}", date=discord_timestamp(case.opened_at, "D"))
    embed = discord.Embed(
        title=_("Adoption of {name}: {status}", name=entry.display_name, status=status),
        description="\n".join(lines),
    )
    embed.set_footer(text=_("Opened by an organiser; each step says who and when."))
    return embed


def release_post(
    display: str, version: str, excluded: Sequence[tuple[str, str]]
) -> str:
    lines = [
        ngettext(
            "{package} {version} is out. {count} watched extension declares a "
            "requirement that excludes it:",
            "{package} {version} is out. {count} watched extensions declare a "
            "requirement that excludes it:",
            len(excluded),
            package=display,
            version=version,
            count=len(excluded),
        )
    ]
    lines += [f"• {name} ({display}{spec})" for name, spec in excluded]
    return "\n".join(lines)
