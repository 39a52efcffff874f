"""Discord's limits and mention safety, in one place."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import discord

MESSAGE_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FIELDS_LIMIT = 25
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
THREAD_NAME_LIMIT = 100
EVENT_NAME_LIMIT = 100
EVENT_DESCRIPTION_LIMIT = 1000
MODAL_TITLE_LIMIT = 45
BUTTON_LABEL_LIMIT = 80
SELECT_OPTION_LIMIT = 100

#: The bot's default: nobody is pinged unless a send names the users it means.
NO_MENTIONS = discord.AllowedMentions.none()


def mention_only(*users: discord.abc.Snowflake) -> discord.AllowedMentions:
    """Allow pinging exactly ``users``; never @everyone, @here or roles."""
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=list(users)
    )


_MASS_MENTION = re.compile(r"@(everyone|here)\b|<@&\d+>", re.IGNORECASE)


def mass_mention(text: str) -> bool:
    """Whether ``text`` mentions @everyone, @here or a role: members' text that the
    bot reposts is refused with one (even though the bot's sends ping nobody)."""
    return _MASS_MENTION.search(text) is not None


def clip(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """Shorten ``text`` to at most ``limit`` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ellipsis), 0)] + ellipsis


def clean_text(text: str) -> str:
    """Strip surrounding whitespace and characters that render as nothing."""
    invisible = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
    cleaned = "".join(
        ch for ch in text if ch not in invisible and (ch >= " " or ch in "\n\t")
    )
    return cleaned.strip()


#: Explicit bidirectional formatting characters that open a span...
_BIDI_OPENERS = {
    "\u202a": "\u202c",  # LRE ... PDF
    "\u202b": "\u202c",  # RLE
    "\u202d": "\u202c",  # LRO
    "\u202e": "\u202c",  # RLO
    "\u2066": "\u2069",  # LRI ... PDI
    "\u2067": "\u2069",  # RLI
    "\u2068": "\u2069",  # FSI
}
#: ... and the ones that close one.
_BIDI_CLOSERS = {"\u202c", "\u2069"}
#: Bidi classes that can reorder the text around them.
_BIDI_STRONG = {"R", "AL", "AN"}
FSI = "\u2068"
PDI = "\u2069"


def balance_bidi(text: str) -> str:
    """``text`` with its bidirectional controls balanced: a closer without an opener
    is dropped, and every opener left open is closed at the end (so a right-to-left
    override cannot run past the member's text)."""
    out: list[str] = []
    open_spans: list[str] = []
    for ch in text:
        if ch in _BIDI_OPENERS:
            open_spans.append(_BIDI_OPENERS[ch])
        elif ch in _BIDI_CLOSERS:
            if not open_spans or open_spans[-1] != ch:
                continue  # nothing of that kind open here: drop it
            open_spans.pop()
        out.append(ch)
    out.extend(reversed(open_spans))
    return "".join(out)


def isolate(text: str) -> str:
    """Keep a member's text from reordering the bot's words around it.

    Text with right-to-left letters, Arabic digits or bidirectional controls is
    balanced (:func:`balance_bidi`) and wrapped in FIRST STRONG ISOLATE ... POP
    DIRECTIONAL ISOLATE, so an override in a topic cannot flip the vote count
    after it; other text is returned as is.
    """
    # ASCII has no right-to-left letters, Arabic digits or bidi controls: most text
    # (and every line of a page of it) is settled without looking at each character.
    if text.isascii() or not any(
        ch in _BIDI_OPENERS
        or ch in _BIDI_CLOSERS
        or unicodedata.bidirectional(ch) in _BIDI_STRONG
        for ch in text
        if not ch.isascii()
    ):
        return text
    return f"{FSI}{balance_bidi(text)}{PDI}"


def quote(text: str, *, limit: int | None = None) -> str:
    """Show a member's text as typed inside bot messages: Markdown neutralised, and
    isolated from the words around it (:func:`isolate`); with ``limit``, clipped to
    that length first, so the isolate's closing mark is never cut off."""
    # escape_markdown escapes only the first "[" of a run of masked links; a
    # "](" escaped makes none of them a link (a cut one included).
    escaped = discord.utils.escape_markdown(text).replace("](", "]\\(")
    if limit is not None:
        isolated = isolate(escaped)
        extra = len(isolated) - len(escaped)
        escaped = clip(escaped, max(limit - extra, 1))
    return isolate(escaped)


def embed_length(embed: discord.Embed) -> int:
    return len(embed)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Clip an embed's parts to Discord's limits so a send never fails on length."""
    if embed.title:
        embed.title = clip(embed.title, EMBED_TITLE_LIMIT)
    if embed.description:
        embed.description = clip(embed.description, EMBED_DESCRIPTION_LIMIT)
    # Fields are rebuilt only when one needs it (an embed is fitted on every reply).
    if len(embed.fields) > EMBED_FIELDS_LIMIT or any(
        not field.name
        or not field.value
        or len(field.name) > EMBED_FIELD_NAME_LIMIT
        or len(field.value) > EMBED_FIELD_VALUE_LIMIT
        or not isinstance(field.inline, bool)
        for field in embed.fields
    ):
        fields = embed.fields[:EMBED_FIELDS_LIMIT]
        embed.clear_fields()
        for field in fields:
            embed.add_field(
                name=clip(field.name or "\u200b", EMBED_FIELD_NAME_LIMIT),
                value=clip(field.value or "\u200b", EMBED_FIELD_VALUE_LIMIT),
                inline=bool(field.inline),
            )
    if embed.footer.text and len(embed.footer.text) > EMBED_FOOTER_LIMIT:
        embed.set_footer(
            text=clip(embed.footer.text, EMBED_FOOTER_LIMIT),
            icon_url=embed.footer.icon_url,
        )
    while len(embed) > EMBED_TOTAL_LIMIT and embed.fields:
        embed.remove_field(-1)
    if len(embed) > EMBED_TOTAL_LIMIT and embed.description:
        overflow = len(embed) - EMBED_TOTAL_LIMIT
        embed.description = clip(embed.description, len(embed.description) - overflow)
    return embed


def fit_content(text: str | None) -> str | None:
    return None if text is None else clip(text, MESSAGE_LIMIT)


def join_lines(lines: Iterable[str], limit: int = MESSAGE_LIMIT) -> str:
    """Join lines, dropping whole lines past ``limit`` rather than cutting one in half."""
    out: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (1 if out else 0)
        if size + extra > limit:
            break
        out.append(line)
        size += extra
    return "\n".join(out)


_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE = re.compile(r"`[^`\n]*`")


def without_code_and_quotes(text: str) -> str:
    """The message with code blocks, inline code and quoted lines removed."""
    text = _FENCE.sub(" ", text)
    text = _INLINE.sub(" ", text)
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(">>> "):
            break  # Discord's block quote runs to the end of the message
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)
