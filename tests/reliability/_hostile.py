"""Hostile values, and the checks every request the bot makes must pass.

Used by ``test_hostile_input.py``. The strategies build strings a member can type
into a slash option or a form; the checks read simcord's HTTP log with Discord's
rules, which simcord itself does not enforce (mentions, most length limits).
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

from bot.app import PalletsBot

# -- hostile strings ----------------------------------------------------------------
#: Fragments a member can type; ``{role}``/``{user}``/``{channel}`` become real ids.
FRAGMENTS: tuple[str, ...] = (
    "",
    " ",
    "   \t  ",
    "\n\n",
    "\u200b",  # zero-width space
    "\u200d\u2060\ufeff",  # zero-width joiner, word joiner, BOM
    "\u202eevil\u202c",  # right-to-left override
    "\u2067\u05e9\u05dc\u05d5\u05dd\u2069",  # RTL isolate around Hebrew
    "مرحبا بالعالم",
    "\x00",
    "\x07\x08\x1b[31m",
    "\r\n",
    "\u0085\u2028\u2029",
    "Z\u0334\u0322\u031ba\u0338l\u0337g\u0335o\u0336",
    "👩\u200d👩\u200d👧\u200d👦",
    "@everyone",
    "@here",
    "<@&{role}>",
    "<@{user}>",
    "<@!{user}>",
    "<#{channel}>",
    "@\u200beveryone",
    "```py\nprint('x')\n```",
    "```",
    "`",
    "**bold** __under__ ~~gone~~ ||spoiler||",
    "# Heading\n> quote\n- item",
    "[click](https://example.com)",
    "\\",
    '"',
    "'",
    "*",
    "flask*",
    '"unterminated',
    "NEAR(flask session)",
    "NEAR(",
    "a AND OR NOT b",
    "NOT",
    "title:flask",
    "col:",
    "^start",
    "(",
    ")",
    "-",
    "'; DROP TABLE x; --",
    "Robert'); DROP TABLE students;--",
    "1 OR 1=1",
    "%s %d {0} {name} %(x)s",
    "$(reboot)",
    "2026-02-30",
    "2026-13-01",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01 00:00",
    "9999-12-31 23:59",
    "24:00",
    "23:60",
    "-01:00",
    "12:00 PM",
    "Europe/Nowhere",
    "../../etc/passwd",
    "UTC+25",
    "europe/paris",
    "-1",
    "--1",
    "0",
    "²",  # a digit to str.isdigit, not to int()
    "٣",  # an Arabic-Indic three: int() reads it
    "#²",
    "99999999999999999999",
    "-99999999999999999999",
    "1e309",
    "NaN",
    "inf",
    "G-0",
    "G--1",
    "G-99999999999999999999",
    "https://",
    "javascript:alert(1)",
    "http://127.0.0.1:9/",
    "owner/",
    "/",
    ",,,",
    ", , ,",
)

#: Characters for free-form text: controls, invisible, bidi and Markdown among letters.
ALPHABET = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Co")),
    st.sampled_from(
        "\x00\x01\x1f\x7f\u200b\u200e\u200f\u202a\u202b\u202d\u202e\u2066\ufeff"
        "@#<>&*_~`|\\\"'():-^,;/ \n\t"
    ),
)

#: Discord refuses a string option longer than this, whatever the bot declares.
STRING_OPTION_LIMIT = 6000
#: ... and a text input value longer than this.
TEXT_INPUT_LIMIT = 4000


#: Stands for a valid value in a drawn string; :func:`with_valid` fills it in.
VALID_MARK = "\ue000"


def with_valid(text: str, valid: tuple[str, ...], index: int) -> str:
    """Put a valid value where ``hostile_text`` marked one (chosen by ``index``).

    The strategy never depends on the current valid values (which change as examples
    add rows): hypothesis requires data generation to be the same on a replay.
    """
    value = valid[index % len(valid)] if valid else "Flask"
    return text.replace(VALID_MARK, value)


def hostile_text(ids: dict[str, int]) -> Any:
    """Strings a member could type, often around a valid value (``VALID_MARK``)."""
    fragments = tuple(_with_ids(f, ids) for f in FRAGMENTS)
    fragment = st.sampled_from(fragments)
    joined = st.lists(fragment, min_size=1, max_size=6).map("".join)
    long = st.tuples(fragment | st.just("a"), st.sampled_from([101, 257, 2001, 10_000]))
    good = st.just(VALID_MARK)
    return st.one_of(
        fragment,
        joined,
        st.text(ALPHABET, max_size=40),
        long.map(lambda pair: (pair[0] or "x") * (pair[1] // max(len(pair[0]), 1) + 1)),
        st.tuples(fragment, good, fragment).map("".join),
        st.tuples(good, fragment).map("".join),
    )


def fragment_values(ids: dict[str, int]) -> list[str]:
    """Every fragment alone, ids filled in: for a field-by-field sweep."""
    return [_with_ids(f, ids) for f in FRAGMENTS]


def _with_ids(fragment: str, ids: dict[str, int]) -> str:
    for name, value in ids.items():
        fragment = fragment.replace("{" + name + "}", str(value))
    return fragment


def fit(text: str, *, min_length: int = 0, max_length: int) -> str:
    """Cut or pad ``text`` to what the Discord client lets a member send."""
    text = text[:max_length]
    if len(text) < min_length:
        text += "x" * (min_length - len(text))
    return text


# -- what Discord would refuse or what would ping --------------------------------------
#: Nothing is pinged because a member wrote it: the bot names the users it pings.
PING_PARSE = {"everyone", "roles", "users"}


def mention_problems(body: dict[str, Any]) -> list[str]:
    """A message body that could ping @everyone, @here or a role.

    Only content pings: Discord never notifies anyone for a mention inside an embed,
    and discord.py sends the client's default ``allowed_mentions`` with every body
    that has content (on an edit, only then).
    """
    if not body.get("content"):
        return []
    mentions = body.get("allowed_mentions")
    if mentions is None:
        # Discord then parses every mention in the content: @everyone included.
        return ["no allowed_mentions"]
    problems = []
    parse = set(mentions.get("parse") or ())
    if parse & PING_PARSE:
        problems.append(f"allowed_mentions.parse allows {sorted(parse & PING_PARSE)}")
    if mentions.get("roles"):
        problems.append(f"allowed_mentions.roles names {mentions['roles']}")
    return problems


def _len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def embed_problems(embed: dict[str, Any]) -> list[str]:
    problems = []
    limits = {"title": 256, "description": 4096}
    for key, limit in limits.items():
        if _len(embed.get(key)) > limit:
            problems.append(f"embed {key} is {_len(embed.get(key))} > {limit}")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(f"embed has {len(fields)} fields > 25")
    total = _len(embed.get("title")) + _len(embed.get("description"))
    for field in fields:
        name, value = field.get("name"), field.get("value")
        if not (isinstance(name, str) and name.strip()):
            problems.append(f"embed field with an empty name {name!r}")
        if not (isinstance(value, str) and value.strip()):
            problems.append(f"embed field with an empty value {value!r}")
        if _len(name) > 256 or _len(value) > 1024:
            problems.append(f"embed field too long ({_len(name)}, {_len(value)})")
        total += _len(name) + _len(value)
    footer = (embed.get("footer") or {}).get("text")
    author = (embed.get("author") or {}).get("name")
    if _len(footer) > 2048 or _len(author) > 256:
        problems.append("embed footer or author too long")
    total += _len(footer) + _len(author)
    if total > 6000:
        problems.append(f"embed is {total} characters > 6000")
    return problems


def _walk_components(components: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for component in components or []:
        if not isinstance(component, dict):
            continue
        out.append(component)
        out += _walk_components(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            out += _walk_components([component["component"]])
        if isinstance(component.get("accessory"), dict):
            out += _walk_components([component["accessory"]])
    return out


def component_problems(components: list[Any]) -> list[str]:
    problems = []
    if len(components or []) > 5:
        problems.append(f"{len(components)} component rows > 5")
    for c in _walk_components(components):
        kind = c.get("type")
        if kind == 1 and len(c.get("components") or []) > 5:
            problems.append("an action row with more than 5 components")
        if kind == 3 and not 1 <= len(c.get("options") or []) <= 25:
            problems.append(f"a select with {len(c.get('options') or [])} options")
        if _len(c.get("custom_id")) > 100:
            problems.append(f"custom_id longer than 100: {c['custom_id'][:40]!r}")
        if kind == 2 and _len(c.get("label")) > 80:
            problems.append(f"button label is {_len(c.get('label'))} > 80")
        if kind == 3:
            for option in c.get("options") or []:
                for key, limit in (
                    ("label", 100),
                    ("value", 100),
                    ("description", 100),
                ):
                    if _len(option.get(key)) > limit:
                        problems.append(f"select option {key} > {limit}")
                if not str(option.get("label") or "").strip():
                    problems.append("select option with an empty label")
        if kind in (3, 5, 6, 7, 8) and _len(c.get("placeholder")) > 150:
            problems.append("select placeholder > 150")
        if kind == 4:
            if _len(c.get("label")) > 45 or _len(c.get("placeholder")) > 100:
                problems.append("text input label > 45 or placeholder > 100")
            if _len(c.get("value")) > 4000:
                problems.append(f"text input value is {_len(c.get('value'))} > 4000")
            maximum = c.get("max_length")
            if maximum is not None and _len(c.get("value")) > maximum:
                problems.append("text input prefilled beyond its own max_length")
        if kind == 18 and _len(c.get("label")) > 45:
            problems.append(f"modal label is {_len(c.get('label'))} > 45")
    return problems


#: A Markdown link that a clip to Discord's limit cut in half: it shows as raw text.
CUT_LINK = re.compile(r"\]\(https?://[^)\s]*…?$")


def texts_of(body: dict[str, Any]) -> list[str]:
    out = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        out += [embed.get("title") or "", embed.get("description") or ""]
        out += [f.get("value") or "" for f in embed.get("fields") or []]
    return [text for text in out if isinstance(text, str)]


def message_problems(body: dict[str, Any]) -> list[str]:
    problems = mention_problems(body)
    for text in texts_of(body):
        if CUT_LINK.search(text):
            problems.append(f"a link was cut short: ...{text[-60:]!r}")
    content = body.get("content")
    if _len(content) > 2000:
        problems.append(f"content is {_len(content)} > 2000 characters")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds > 10")
    for embed in embeds:
        problems += embed_problems(embed)
    problems += component_problems(body.get("components") or [])
    return problems


THREADS = re.compile(r"^/channels/\d+/(messages/\d+/)?threads$")
EVENTS = re.compile(r"^/guilds/\d+/scheduled-events(/\d+)?$")
CHANNEL = re.compile(r"^/channels/\d+$")


def name_problems(name: Any, what: str) -> list[str]:
    # Discord trims a name before checking its length: blank is refused.
    if not isinstance(name, str) or not 1 <= len(name.strip()) or len(name) > 100:
        return [f"{what} name {str(name)[:40]!r} is not 1 to 100 characters"]
    return []


def request_problems(method: str, path: str, body: Any) -> list[str]:
    """Everything Discord would refuse, or that could ping, in one REST request."""
    if method == "GET" or not isinstance(body, dict):
        return []
    problems: list[str] = []
    if path.startswith("/interactions/"):
        kind, data = body.get("type"), body.get("data") or {}
        if kind in (4, 7):
            problems += message_problems(data)
        elif kind == 8:
            choices = data.get("choices") or []
            if len(choices) > 25:
                problems.append(f"{len(choices)} autocomplete choices > 25")
            for choice in choices:
                name, value = choice.get("name"), choice.get("value")
                if not 1 <= _len(name) <= 100:
                    problems.append(f"autocomplete choice name {str(name)[:40]!r}")
                if isinstance(value, str) and len(value) > 100:
                    problems.append(f"autocomplete choice value {value[:40]!r}")
        elif kind == 9:
            if not 1 <= _len(data.get("title")) <= 45:
                problems.append(f"modal title {data.get('title')!r}")
            problems += component_problems(data.get("components") or [])
        return problems
    if THREADS.match(path) and method == "POST":
        problems += name_problems(body.get("name"), "thread")
        if isinstance(body.get("message"), dict):
            problems += message_problems(body["message"])
        return problems
    if EVENTS.match(path):
        if "name" in body or method == "POST":
            problems += name_problems(body.get("name"), "event")
        if _len(body.get("description")) > 1000:
            problems.append(f"event description is {_len(body['description'])} > 1000")
        location = (body.get("entity_metadata") or {}).get("location")
        if _len(location) > 100:
            problems.append(f"event location is {_len(location)} > 100")
        return problems
    if CHANNEL.match(path) and method == "PATCH" and "name" in body:
        problems += name_problems(body.get("name"), "channel or thread")
    if "content" in body or "embeds" in body or "components" in body:
        problems += message_problems(body)
    return problems


# -- the database ---------------------------------------------------------------------
async def snapshot(bot: PalletsBot) -> dict[str, list[str]]:
    """Every row of every table (the search index's shadow tables and the
    organisers seen using the bot aside)."""
    tables = await bot.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts%'"
        # Who was seen using the bot as an organiser: bookkeeping, not a change.
        " AND name != 'seen_organisers'"
    )
    out = {}
    for row in tables:
        name = row["name"]
        rows = await bot.db.fetchall(f'SELECT * FROM "{name}"')
        out[name] = sorted(repr(tuple(r)) for r in rows)
    return out


def changed_tables(
    before: dict[str, list[str]], after: dict[str, list[str]]
) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
