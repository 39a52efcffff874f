"""Render ``docs/configuration.md`` from the :class:`~bot.settings.Settings` fields.

The reference is generated so it cannot drift from the code; a test fails when the
file is out of date. Regenerate it with ``python -m bot.devtools.settings_doc``.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bot.paths import ROOT
from bot.settings import Settings

DOC_PATH = ROOT / "docs" / "configuration.md"

_HEADER = """\
# Configuration reference

<!-- Generated from bot/settings.py by `python -m bot.devtools.settings_doc`; do not edit. -->

pallets-bot reads its settings from, in order of precedence:

1. the environment, as `PALLETS_BOT_<NAME>` (for example `PALLETS_BOT_DATABASE_PATH`);
2. a `.env` file in the working directory, with the same names;
3. a TOML file named by `PALLETS_BOT_CONFIG`, whose keys are the lower-case names
   without the prefix (`database_path = "/var/lib/pallets-bot/bot.sqlite3"`).

The token also accepts the conventional `DISCORD_TOKEN`. Check a configuration with
`pallets-bot check`.

| Environment variable | TOML key | Type | Default | Description |
|---|---|---|---|---|
"""


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    text = str(annotation) if "[" in str(annotation) or "|" in str(annotation) else text
    for noise in ("typing.", "pathlib.", "pydantic.types.", "<class '", "'>"):
        text = text.replace(noise, "")
    return text


def _default(field: FieldInfo) -> str:
    value = field.default
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "unset"
    return f"`{value}`"


def _env_names(name: str, field: FieldInfo) -> str:
    names = [f"PALLETS_BOT_{name.upper()}"]
    alias = field.validation_alias
    for choice in getattr(alias, "choices", []) or []:
        if isinstance(choice, str) and choice.isupper() and choice not in names:
            names.append(choice)
    return ", ".join(f"`{n}`" for n in names)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    """The configuration reference, as Markdown."""
    rows = []
    for name, field in Settings.model_fields.items():
        rows.append(
            "| "
            + " | ".join(
                [
                    _env_names(name, field),
                    f"`{name}`",
                    _cell(f"`{_type_name(field.annotation)}`"),
                    _cell(_default(field)),
                    _cell(field.description or ""),
                ]
            )
            + " |"
        )
    return _HEADER + "\n".join(rows) + "\n"


def main() -> None:
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC_PATH}\n")


if __name__ == "__main__":
    main()
