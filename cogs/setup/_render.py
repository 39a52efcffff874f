"""Wording of /setup: confirmations, the summary of a guild's set-up, refusals.

Pure: no I/O; the caller passes what it read.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.guilds import Channel
from bot.guilds import GuildSettings
from bot.guilds import Role
from bot.i18n import _
from bot.i18n import format_list
from bot.permissions import role_label
from bot.refusals import explains
from cogs.setup._logic import Problem


@explains(Problem)
def refusal(code: Problem, details: Mapping[str, object]) -> str:
    """The sentence for a refused /setup command."""
    match code:
        case Problem.NO_CHANNEL:
            return _("Name at least one channel to set.")
        case Problem.NO_ROLE:
            return _("Name at least one role to set.")
        case Problem.EVERYONE_ROLE:
            return _("@everyone cannot be one of the bot's roles.")
        case Problem.NO_PAGES_CHOICE:
            return _("Say what to change: enabled, questions or search_engines.")
        case Problem.UNKNOWN_LANGUAGE:
            return _(
                "I have no translation for {language}. Available: {available}.",
                language=details["language"],
                available=details["available"],
            )


def channels_saved(settings: GuildSettings, log_readable_by_everyone: bool) -> str:
    return (
        _("Channels saved.")
        + "\n"
        + describe(settings)
        + log_note(log_readable_by_everyone)
    )


def roles_saved(
    settings: GuildSettings, groups: Mapping[str, tuple[Role, ...]], bot_name: str
) -> str:
    return (
        _("Roles saved.")
        + "\n"
        + describe(settings)
        + "\n\n"
        + commands_to_show(settings, groups, bot_name)
    )


def commands_to_show(
    settings: GuildSettings, groups: Mapping[str, tuple[Role, ...]], bot_name: str
) -> str:
    """The admin's one step per role group: Discord hides it from everyone who cannot
    manage the server, and only an admin can show it to a role."""

    def role(which: Role) -> str:
        value = settings.role(which)
        return f"<@&{value}>" if value else role_label(which)

    lines = [
        _(
            "Discord shows the roles' commands only to members with the Manage Server "
            "permission. To let a role use them: Server Settings > Integrations > "
            "{bot}, open each command below and add its roles.",
            bot=bot_name,
        )
    ]
    lines += [
        _(
            "/{command}: {roles}",
            command=name,
            roles=format_list([role(r) for r in roles]),
        )
        for name, roles in groups.items()
    ]
    return "\n".join(lines)


def language_saved(code: str) -> str:
    return _("Public posts will now be in {language}.", language=code)


def calendar_off() -> str:
    return _("The calendar feed is now off.")


def calendar_on(path: str, public_url: str | None, web_server: bool) -> str:
    """Where members find the feed: the public address, or what to ask the host."""
    if public_url:
        return _(
            "The calendar feed is on. Members can subscribe to {url} in their calendar app.",
            url=public_url.rstrip("/") + path,
        )
    if web_server:
        return _(
            "The calendar feed is on, at {path} on the bot's web server. "
            "Ask the bot's host for the public address.",
            path=path,
        )
    return _(
        "The calendar feed is on, but the bot's web server is off: "
        "ask the bot's host to set it up ({path}).",
        path=path,
    )


def pages_saved(
    settings: GuildSettings,
    path: str,
    public_url: str | None,
    *,
    web_server: bool,
    forum_public: bool,
) -> str:
    """/setup pages: what the pages now show, and where they are."""
    if not settings.pages_enabled:
        lines = [_("The public pages are off.")]
    elif public_url:
        lines = [
            _(
                "The public pages are on, at {url}.",
                url=public_url.rstrip("/") + path,
            )
        ]
    elif web_server:
        lines = [
            _(
                "The public pages are on, at {path} on the bot's web server. "
                "Ask the bot's host for the public address.",
                path=path,
            )
        ]
    else:
        lines = [
            _(
                "The public pages are on, but the bot's web server is off: "
                "ask the bot's host to set it up ({path}).",
                path=path,
            )
        ]
    lines.append(pages_line(settings))
    if settings.pages_enabled and settings.pages_questions and not forum_public:
        lines.append(
            _(
                "Solved questions are shown only from a questions forum every member "
                "can read: yours is not set or not readable by everyone, so none are "
                "shown."
            )
        )
    return "\n".join(lines)


def pages_line(settings: GuildSettings) -> str:
    """One line: the pages, the solved questions, search engines."""
    on, off = _("on"), _("off")
    return _(
        "Public pages: {pages}. Solved questions: {questions}. "
        "Search engines: {indexing}.",
        pages=on if settings.pages_enabled else off,
        questions=on if settings.pages_questions else off,
        indexing=_("allowed") if settings.pages_indexable else _("asked not to index"),
    )


def summary(
    settings: GuildSettings, log_readable_by_everyone: bool, unreachable: int = 0
) -> str:
    """/setup show: the summary, members the bot cannot DM, and the log channel
    warning when it applies."""
    return (
        describe(settings)
        + "\n"
        + _("Members who could not be reached by DM: {count}", count=unreachable)
        + log_note(log_readable_by_everyone)
    )


def log_note(readable_by_everyone: bool) -> str:
    """A warning when every member can read the log channel."""
    if not readable_by_everyone:
        return ""
    return "\n" + _(
        "Every member can read the log channel, so mentoring feedback, check-in "
        "answers and grant requests are not posted there. Make it private to "
        "organisers to see them."
    )


def timezone_saved(zone: str) -> str:
    return _(
        "The server's timezone is now {zone}: commands use it when a member gives none "
        "and has not set their own with /timezone set.",
        zone=zone,
    )


def start_placed(channel_id: int) -> str:
    return _(
        "The start-here message is in <#{channel}>. Running this again moves it.",
        channel=channel_id,
    )


def describe(settings: GuildSettings) -> str:
    """A readable summary of a guild's settings (channels and roles as mentions)."""
    unset = _("not set")

    def channel(which: Channel) -> str:
        value = settings.channel(which)
        return f"<#{value}>" if value else unset

    def role(which: Role) -> str:
        value = settings.role(which)
        return f"<@&{value}>" if value else unset

    lines = [
        _("Announcements: {value}", value=channel(Channel.ANNOUNCEMENTS)),
        _("Questions forum: {value}", value=channel(Channel.QUESTIONS)),
        _("Events: {value}", value=channel(Channel.EVENTS)),
        _("Mentorship: {value}", value=channel(Channel.MENTORSHIP)),
        _("Helpers: {value}", value=channel(Channel.HELPERS)),
        _("Log: {value}", value=channel(Channel.LOG)),
        _("Extensions: {value}", value=channel(Channel.EXTENSIONS)),
        _("Organiser role: {value}", value=role(Role.ORGANISER)),
        _("Helper role: {value}", value=role(Role.HELPER)),
        _("Mentor role: {value}", value=role(Role.MENTOR)),
        _("Grants reviewer role: {value}", value=role(Role.GRANTS_REVIEWER)),
        _("Release announcements role: {value}", value=role(Role.RELEASES)),
        _("Language: {value}", value=settings.language or unset),
        _("Timezone: {value}", value=settings.timezone or unset),
        _(
            "Calendar feed: {value}",
            value=_("on") if settings.calendar_enabled else _("off"),
        ),
        pages_line(settings),
    ]
    return "\n".join(lines)


def permission_name(name: str) -> str:
    """A permission as Discord's settings name it, in the reader's language."""
    names = {
        "view_channel": _("View Channels"),
        "send_messages": _("Send Messages"),
        "embed_links": _("Embed Links"),
        "read_message_history": _("Read Message History"),
        "create_public_threads": _("Create Public Threads"),
        "create_private_threads": _("Create Private Threads"),
        "send_messages_in_threads": _("Send Messages in Threads"),
        "manage_threads": _("Manage Threads"),
        "manage_channels": _("Manage Channels"),
        "create_events": _("Create Events"),
    }
    return names.get(name) or name.replace("_", " ").title()


def channel_name(which: Channel) -> str:
    names = {
        Channel.ANNOUNCEMENTS: _("announcements"),
        Channel.QUESTIONS: _("questions forum"),
        Channel.EVENTS: _("events"),
        Channel.MENTORSHIP: _("mentorship"),
        Channel.HELPERS: _("helpers"),
        Channel.LOG: _("log"),
    }
    return names[which]


def permission_report(
    lacking: Mapping[Channel, list[str]],
    gone: list[Channel],
    server: list[str],
    ids: Mapping[Channel, int],
) -> str:
    """What the bot cannot do where it was told to work, and how to fix it.

    ``lacking``: per configured channel, the permissions missing there;
    ``gone``: configured channels that no longer exist; ``server``: server-wide
    permissions missing.
    """
    if not lacking and not gone and not server:
        return _("I have every permission I need in the channels above.")
    lines = [_("I am missing permissions, so some work will fail:")]
    for which, names in lacking.items():
        lines.append(
            _(
                "- {channel} ({purpose}): {permissions}",
                channel=f"<#{ids[which]}>",
                purpose=channel_name(which),
                permissions=", ".join(permission_name(name) for name in names),
            )
        )
    for which in gone:
        lines.append(
            _(
                "- the {purpose} channel no longer exists: choose another with "
                "/setup channels",
                purpose=channel_name(which),
            )
        )
    if server:
        lines.append(
            _(
                "- the whole server: {permissions}",
                permissions=", ".join(permission_name(name) for name in server),
            )
        )
    lines.append(
        _(
            "To fix it, allow these for my role: in the channel's Edit Channel > "
            "Permissions (or in Server Settings > Roles for the whole server). Run "
            "/setup show again to check."
        )
    )
    return "\n".join(lines)
