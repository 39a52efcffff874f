"""Wording: statuses, reasons, staleness and refusals in the reader's language.

Pure: no I/O. The caller chooses the language (the member's for replies, the guild's
for the weekly post).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from collections.abc import Sequence

import discord

from bot.clock import discord_timestamp
from bot.clock import from_ts
from bot.i18n import _
from bot.i18n import ngettext
from bot.refusals import explains
from cogs.extwatch._logic import age_parts
from cogs.extwatch._logic import Assessment
from cogs.extwatch._logic import Change
from cogs.extwatch._logic import Problem
from cogs.extwatch._logic import Reason
from cogs.extwatch._logic import ReasonCode
from cogs.extwatch._logic import Status
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
                "The watch list is empty. Organisers add to it with /ext watch-add."
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
    }
    return texts.get(kind, kind)


def source_label(source: str) -> str:
    return {"pypi": "PyPI", "github": "GitHub", "osv": "OSV"}.get(source, source)


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
    item: Watched, assessment: Assessment, cache: Cached, now: int
) -> discord.Embed:
    evidence = cache.evidence()
    embed = discord.Embed(
        title=f"{ICONS[assessment.status]} {item.display_name}: "
        f"{status_label(assessment.status)}",
        colour=COLOURS[assessment.status],
    )
    lines = [f"• {reason_text(r)}" for r in assessment.reasons]
    if assessment.status is Status.HEALTHY:
        lines.append(_("No warning signs."))
    if assessment.status is Status.UNKNOWN:
        lines.append(_("No data yet: an organiser can run /ext refresh."))
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
        if pypi.flask_spec is None:
            flask = _("does not require Flask")
        elif pypi.accepts_flask is None:
            flask = _("Flask{spec} (could not tell)", spec=pypi.flask_spec)
        elif pypi.accepts_flask:
            flask = _("Flask{spec}: accepts the current major", spec=pypi.flask_spec)
        else:
            flask = _("Flask{spec}: excludes the current major", spec=pypi.flask_spec)
        embed.add_field(name=_("Flask requirement"), value=flask)
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
    links = [f"[PyPI](https://pypi.org/project/{item.package}/)"]
    repo_url = github.html_url if github else None
    if repo_url is None and item.repo:
        repo_url = f"https://github.com/{item.repo}"
    if repo_url:
        links.append(f"[GitHub]({repo_url})")
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


def report_line(item: Watched, assessment: Assessment, stale: bool) -> str:
    reasons = "; ".join(reason_text(r) for r in assessment.reasons)
    line = f"{ICONS[assessment.status]} **{item.display_name}**"
    if reasons:
        line += f": {reasons}"
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
    rows: Sequence[tuple[Watched, Assessment, bool]], counts: Counter[Status]
) -> discord.Embed:
    """One page of the report: ``rows`` (item, assessment, stale) in report order,
    each status group headed with its size over the whole list (``counts``)."""
    lines: list[str] = []
    heading: Status | None = None
    for item, assessment, stale in rows:
        if assessment.status is not heading:
            heading = assessment.status
            if lines:
                lines.append("")
            lines.append(f"__{status_label(heading)} ({counts[heading]})__")
        lines.append(report_line(item, assessment, stale))
    return discord.Embed(title=_("Extension watch"), description="\n".join(lines))


def added(name: str) -> str:
    return _("{name} is now on the watch list.", name=name)


def removed(name: str) -> str:
    return _("{name} is no longer on the watch list.", name=name)


def refresh_summary(checked: int, failed: int, changes: Sequence[Change]) -> str:
    """What /ext refresh did: how many were checked, fetched badly, changed."""
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
