"""Which messages ask for the way in to contributing (bot.start_here)."""

from __future__ import annotations

import pytest

from bot.start_here import wants_to_contribute


@pytest.mark.parametrize(
    "text",
    [
        "I want to contribute to Flask, any good first issue?",
        "How can I contribute?",
        "Hi! I would like to start contributing to click",
        "looking for a good-first-issue",
        "I'd love to contribute to Jinja",
        "Je voudrais contribuer à Flask",
        "Quiero contribuir a Flask",
        "Eu gostaria de contribuir",
        "Ich möchte gerne zu Flask beitragen",
    ],
)
def test_a_wish_to_contribute_is_recognised(text: str) -> None:
    assert wants_to_contribute(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks to everyone who contribute here",
        "Contributions welcome",
        "the contributing guide is outdated",
        "I contributed yesterday; my first pull request was merged!",
        "```\nI want to contribute\n```",
        "> I want to contribute",
        "`how can I contribute`",
        "my app crashes with a KeyError",
    ],
)
def test_other_mentions_of_contributing_are_not_a_wish(text: str) -> None:
    assert not wants_to_contribute(text)
