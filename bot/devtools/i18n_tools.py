"""Catalogue maintenance: extract the .pot, update and check the .po files.

Messages come from two places: ``_()``, ``ngettext()``, ``pgettext()`` and ``N_()``
calls in ``bot/`` and ``cogs/`` (Python, and the public pages' Jinja templates), and the slash-command tree (names, descriptions,
options and choices), which is enumerated through discord.py's own translation pass
so that exactly the strings Discord will ask for are extracted.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import discord
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.messages.pofile import write_po
from discord import app_commands

from bot.i18n import is_valid_command_name
from bot.i18n import NAME_CONTEXT
from bot.paths import LOCALE_DIR
from bot.paths import ROOT

POT_PATH = LOCALE_DIR / "messages.pot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
SOURCE_DIRS = ("bot", "cogs")
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-zA-Z_][a-zA-Z0-9_]*)(?:[!:][^}]*)?\}(?!\})")
_NAME_LOCATIONS = {
    app_commands.TranslationContextLocation.command_name,
    app_commands.TranslationContextLocation.group_name,
    app_commands.TranslationContextLocation.parameter_name,
}


@dataclass(frozen=True, slots=True)
class _Found:
    message: str | tuple[str, ...]
    context: str | None
    location: str


def _code_messages() -> Iterator[_Found]:
    for directory in SOURCE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in {"bot/i18n.py", "bot/i18n_tools.py"}:
                continue
            for _lineno, message, _comments, context in extract_from_file(
                "python", str(path), keywords=KEYWORDS
            ):
                yield _Found(message, context, relative)
        # The public pages' templates: {{ _("...") }} and {{ ngettext(...) }}.
        for path in sorted((ROOT / directory).rglob("templates/*.html")):
            relative = path.relative_to(ROOT).as_posix()
            for _lineno, message, _comments, context in extract_from_file(
                # Babel also takes the method by name: Jinja's extractor, as its docs say.
                "jinja2.ext:babel_extract",
                str(path),
                keywords=KEYWORDS,
                options={"extensions": "jinja2.ext.i18n", "trimmed": "false"},
            ):
                yield _Found(message, context, relative)


class _Recorder(app_commands.Translator):
    def __init__(self) -> None:
        self.found: dict[tuple[str, str | None], str] = {}

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        is_name = context.location in _NAME_LOCATIONS
        key = (string.message, NAME_CONTEXT if is_name else None)
        self.found.setdefault(key, context.location.name)
        return None


async def _tree_messages() -> list[_Found]:
    from bot.app import offline_bot

    recorder = _Recorder()
    async with offline_bot() as bot:
        for command in bot.tree.get_commands():
            await command.get_translated_payload(bot.tree, recorder)
    return [
        _Found(message, context, f"command tree ({location})")
        # One word may be a command name and a choice ("help"): contexts may be None.
        for (message, context), location in sorted(
            recorder.found.items(), key=lambda item: (item[0][0], item[0][1] or "")
        )
    ]


def build_catalog() -> Catalog:
    """Return the template catalogue for the current code."""
    catalog = Catalog(
        project="pallets-bot",
        version="",
        msgid_bugs_address="",
        copyright_holder="The Pallets community",
        header_comment="# Translations template for pallets-bot.",
        fuzzy=False,
    )
    found = list(_code_messages()) + asyncio.run(_tree_messages())
    for item in found:
        message = item.message
        flags = ["python-brace-format"] if _has_placeholders(message) else []
        catalog.add(
            message, locations=[(item.location, 0)], flags=flags, context=item.context
        )
    return catalog


def _has_placeholders(message: str | tuple[str, ...]) -> bool:
    texts = message if isinstance(message, tuple) else (message,)
    return any(PLACEHOLDER.search(text) for text in texts)


def render_pot(catalog: Catalog) -> str:
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=88,
        omit_header=False,
        sort_output=True,
        include_lineno=False,
    )
    return _without_dates(buffer.getvalue().decode("utf-8"))


def _without_dates(text: str) -> str:
    return re.sub(
        r'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', "", text, flags=re.M
    )


def write_pot() -> int:
    catalog = build_catalog()
    LOCALE_DIR.mkdir(exist_ok=True)
    POT_PATH.write_text(render_pot(catalog), encoding="utf-8")
    return len(catalog)


def catalogue_paths() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=locale)


def _write(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=88, sort_output=True, include_lineno=False)
    path.write_text(_without_dates(buffer.getvalue().decode("utf-8")), encoding="utf-8")


def update_catalogues(languages: list[str] | None = None) -> list[str]:
    template = _read(POT_PATH)
    updated = []
    for path in catalogue_paths():
        language = path.parent.parent.name
        if languages and language not in languages:
            continue
        catalog = _read(path, language)
        catalog.update(template, no_fuzzy_matching=True)
        _write(path, catalog)
        updated.append(language)
    return updated


def init_catalogue(language: str) -> Path:
    template = _read(POT_PATH)
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True)
    catalog = Catalog(locale=language, project="pallets-bot", fuzzy=False)
    catalog.update(template)
    _write(path, catalog)
    return path


def check(*, require_complete: bool = True, pot_path: Path = POT_PATH) -> list[str]:
    """Return every problem with the catalogues (an empty list means all is well)."""
    problems: list[str] = []
    current = render_pot(build_catalog())
    if not pot_path.is_file() or pot_path.read_text("utf-8") != current:
        problems.append(
            f"{pot_path.relative_to(ROOT)} is out of date: run `pallets-bot i18n extract` "
            "(then `pallets-bot i18n update`)"
        )
    template = _read(pot_path) if pot_path.is_file() else Catalog()
    for path in catalogue_paths():
        problems.extend(
            check_catalogue(path, template, require_complete=require_complete)
        )
    return problems


def check_catalogue(
    path: Path, template: Catalog, *, require_complete: bool
) -> list[str]:
    """Problems in one .po file: compile errors, gaps, fuzzy entries, bad placeholders."""
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    language = path.parent.parent.name
    try:
        catalog = _read(path, language)
        write_mo(io.BytesIO(), catalog)
    except Exception as exc:  # noqa: BLE001 - any parse/compile failure is a finding
        return [f"{name}: does not compile: {exc}"]
    problems = []
    for message in catalog:
        if not message.id:
            continue
        label = (
            f"{name}: {message.id if isinstance(message.id, str) else message.id[0]!r}"
        )
        if message.fuzzy:
            problems.append(f"{label} is fuzzy")
        strings = _texts(message.string)
        if require_complete and not all(strings):
            problems.append(f"{label} is untranslated")
            continue
        sources = _texts(message.id)
        wanted = set().union(*(set(PLACEHOLDER.findall(s)) for s in sources))
        required = wanted - _optional(sources)
        for text in strings:
            if text and not required <= set(PLACEHOLDER.findall(text)) <= wanted:
                problems.append(
                    f"{label}: placeholders {sorted(wanted)} do not match {text!r}"
                )
        if message.context == NAME_CONTEXT:
            for text in strings:
                if text and not is_valid_command_name(text):
                    problems.append(
                        f"{label}: {text!r} is not a valid Discord command name"
                    )
    if require_complete:
        known = {(m.id, m.context) for m in catalog if m.id}
        for message in template:
            if message.id and (message.id, message.context) not in known:
                problems.append(
                    f"{name}: missing {message.id!r} (run pallets-bot i18n update)"
                )
    return problems


def _texts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list):
        return tuple(str(item) for item in value)
    return ()


def _optional(sources: tuple[str, ...]) -> set[str]:
    # A singular form may say "one" instead of "{count}" (e.g. "one vote").
    if len(sources) > 1:
        return {"count"}
    return set()
