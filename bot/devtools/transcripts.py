"""Write the README's transcripts: what members and organisers see, from the real bot.

Each transcript is a few lines typed at the playground's prompt and what the bot
answered, as the playground prints them. The README keeps each between
``<!-- transcript NAME -->`` and ``<!-- /transcript -->``; a test fails when one no
longer matches what the bot prints. Regenerate them with
``python -m bot.devtools.transcripts``.
"""

from __future__ import annotations

import asyncio
import re
import sys

import click

from bot.devtools.playground import run_playground
from bot.paths import ROOT

README = ROOT / "README.md"

#: Each transcript: its name and the lines typed, in one server, in this order.
SCENES: dict[str, tuple[str, ...]] = {
    "setup-roles": ("admin /setup roles mentor:@Mentors",),
    "chat": (
        'olivia /chat-admin series-create name:"Tea chat" cadence:monthly '
        "weekday:Friday week:1 time:18:00 timezone:Europe/Paris duration:60 "
        'channel:"Flask chats"',
        "olivia click Confirm",
        "alice /upcoming",
    ),
    "event": (
        "alice /event create kind:meetup timezone:Europe/Paris",
        "alice click I accept the code of conduct",
        'alice fill title:"Flask meetup Lyon" description:"Talks and pizza. '
        'Step-free venue. Contact: alice" start:"2026-01-20 18:30" '
        'end:"2026-01-20 21:00" location:"Lyon"',
        "alice click Confirm",
        "alice click Submit for review",
        "olivia click Approve and publish",
    ),
    "mentor": (
        'alice /mentor request topics:flask goal:"Ship my first pull request" '
        "timezone:Europe/Paris",
        "maya /mentor-tools profile topics:flask timezone:Europe/Paris",
        "maya /mentor-tools queue",
        "maya click Claim #1",
    ),
}

_BLOCK = re.compile(
    r"(<!-- transcript (?P<name>[\w-]+) -->\n```text\n)(?P<body>.*?)(```\n<!-- /transcript -->)",
    re.DOTALL,
)
_PROMPT = "playground> "
#: Discord ids in links: they change whenever the server gains a channel or a message.
_SNOWFLAKE = re.compile(r"(?<=/)[0-9]{17,20}\b")


async def _run() -> dict[str, str]:
    typed = [line for lines in SCENES.values() for line in lines]
    out: list[str] = []
    await run_playground(
        interactive=True, database=None, echo=out.append, tour=False, lines=typed
    )
    text = click.unstyle("\n".join(out))
    # What each typed line printed, up to the next prompt.
    chunks = text.split("\n" + _PROMPT)[1:]
    assert len(chunks) >= len(typed), "the playground stopped early"
    printed = iter(chunks)
    found = {}
    for name, lines in SCENES.items():
        parts = []
        for line in lines:
            chunk = next(printed)
            assert chunk.startswith(line + "\n"), (line, chunk[:200])
            parts.append(_SNOWFLAKE.sub("…", chunk[len(line) + 1 :].rstrip()))
        found[name] = "\n".join(parts) + "\n"
    return found


def transcripts() -> dict[str, str]:
    """Each transcript's text, as the bot prints it now."""
    return asyncio.run(_run())


def in_readme(text: str) -> dict[str, str]:
    """The transcripts the README holds, by name."""
    return {m["name"]: m["body"] for m in _BLOCK.finditer(text)}


def main() -> None:
    fresh = transcripts()
    text = README.read_text("utf-8")
    missing = set(fresh) - set(in_readme(text))
    if missing:
        raise SystemExit(f"README.md has no place for {sorted(missing)}")
    text = _BLOCK.sub(lambda m: m.group(1) + fresh[m["name"]] + m.group(4), text)
    README.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {len(fresh)} transcripts into README.md\n")


if __name__ == "__main__":
    main()
