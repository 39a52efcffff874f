"""Solved questions on the community's public pages (a section of ``bot.pages``).

Off until an organiser turns them on (``/setup pages questions:true``). Only the
server's questions forum, and only while every member can read it; only solved
questions whose answer text the bot kept; nothing by a member who took their content
off the pages; names only of members who agreed (``/pages names``). Search reads the
same full-text index as the similar-question search, with the same bound on work.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.guilds import Channel
from bot.pages import Html
from bot.pages import PageRequest
from bot.pages import readable_by_everyone
from bot.pages import Section
from cogs.triage import _logic as logic
from cogs.triage import _queries as q
from cogs.triage import _render as render
from cogs.triage._search import TermCounts

if TYPE_CHECKING:
    from bot.app import PalletsBot

NAME = "questions"
TEMPLATES = Path(__file__).resolve().parent / "templates"


def section(counts: TermCounts) -> Section:
    """The section the engine registers; ``counts`` is the engine's word counts."""

    async def listing(bot: PalletsBot, request: PageRequest) -> Html:
        return await questions_page(bot, request, counts)

    return Section(
        name=NAME,
        title=render.pages_title,
        routes={NAME: listing, f"{NAME}/{{thread}}": question_page},
        templates=TEMPLATES,
        order=30,
        shown=lambda settings: settings.pages_questions,
        summary=render.pages_summary,
    )


def public_forum(bot: PalletsBot, request: PageRequest) -> int | None:
    """The questions forum, when every member can read it."""
    forum = request.settings.channel(Channel.QUESTIONS)
    if forum is None or not readable_by_everyone(bot, request.guild_id, forum):
        return None
    return forum


async def questions_page(
    bot: PalletsBot, request: PageRequest, counts: TermCounts
) -> Html:
    """The newest solved questions, or the best matches of a search (``?q=``)."""
    forum = public_forum(bot, request)
    search = " ".join(request.query.get("q", "").split())
    found: list[q.PublicQuestion] = []
    older = ""
    if forum is not None and search:
        found = await _search(bot, request.guild_id, forum, search, counts)
    elif forum is not None:
        before = logic.parse_cursor(request.query.get("before", ""))
        found = await q.public_latest(
            bot.db,
            request.guild_id,
            forum,
            before=before,
            limit=logic.PUBLIC_PAGE_SIZE + 1,
        )
        if len(found) > logic.PUBLIC_PAGE_SIZE:
            found = found[: logic.PUBLIC_PAGE_SIZE]
            last = found[-1]
            older = request.url(
                NAME, before=logic.cursor(last.solved_at, last.thread_id)
            )
    shown = [render.shown_question(question, request.guild_id) for question in found]
    return Html(
        f"{NAME}/list.html",
        render.pages_title(),
        {
            "questions": shown,
            "search": search,
            "older": older,
            "paged": "before" in request.query and not search,
            "forum_public": forum is not None,
        },
    )


async def _search(
    bot: PalletsBot, guild_id: int, forum: int, search: str, counts: TermCounts
) -> list[q.PublicQuestion]:
    terms = logic.search_terms(search)[: logic.PUBLIC_SEARCH_TERMS]
    match = logic.fts_all(terms)
    if not terms or match is None:
        return []
    documents = await counts.documents(bot.db, terms)
    # Ranking reads every match; a rare word bounds them. With only common words
    # the newest matches are read instead, and FTS5 stops after a page of them.
    ranked = min(documents.get(term, 0) for term in terms) < logic.SEARCH_POSTINGS
    return await q.public_search(
        bot.db,
        guild_id,
        forum,
        match,
        ranked=ranked,
        limit=logic.PUBLIC_PAGE_SIZE,
    )


async def question_page(bot: PalletsBot, request: PageRequest) -> Html | None:
    """One solved question and the answer that solved it (404 if not publishable)."""
    thread = request.params.get("thread", "")
    forum = public_forum(bot, request)
    if forum is None or not thread.isdecimal() or len(thread) > 19:
        return None
    question = await q.public_question(bot.db, request.guild_id, forum, int(thread))
    if question is None:
        return None
    shown = render.shown_question(question, request.guild_id)
    return Html(
        f"{NAME}/question.html",
        shown.title,
        {"question": shown, "back": request.url(NAME)},
    )
