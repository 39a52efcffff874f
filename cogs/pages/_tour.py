"""The playground's public-pages chapter: names by consent, content removed at once."""

from __future__ import annotations

from bot.devtools.playground import Tour

ORDER = 25


async def tour(t: Tour) -> None:
    w = t.world
    t.chapter("The public pages: who is named, and taking content off")
    t.say(
        "Solved questions from the forum are on the public pages, their authors shown "
        "as \u201ca member\u201d. Alice agrees to show her name:"
    )
    await t.slash(w.alice, w.general, "pages names", show=True)
    t.say("Bob takes everything he wrote off the pages, at once, and puts it back:")
    await t.slash(w.bob, w.general, "pages remove")
    await t.slash(w.bob, w.general, "pages restore")
    await t.slash(w.bob, w.general, "pages mine")
    if t.web_url:
        t.say(f"See the solved questions at {t.web_url}questions")
        t.say(
            "The extensions' health, with each one's history, fills in once the "
            f"extension watch below has checked them: {t.web_url}extensions"
        )
