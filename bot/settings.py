"""Typed configuration, read from the environment, a ``.env`` file and a TOML file.

Every setting has the prefix ``PALLETS_BOT_`` in the environment
(``PALLETS_BOT_DATABASE_PATH``); the token also accepts the conventional
``DISCORD_TOKEN``. ``PALLETS_BOT_CONFIG`` names an optional TOML file whose keys are
the setting names without the prefix. The environment wins over ``.env``, which wins
over the TOML file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices
from pydantic import Field
from pydantic import field_validator
from pydantic import SecretStr
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from pydantic_settings import PydanticBaseSettingsSource
from pydantic_settings import SettingsConfigDict
from pydantic_settings import TomlConfigSettingsSource

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


class Settings(BaseSettings):
    """pallets-bot configuration."""

    model_config = SettingsConfigDict(
        env_prefix="PALLETS_BOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # -- core ---------------------------------------------------------------------
    token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("PALLETS_BOT_TOKEN", "DISCORD_TOKEN", "token"),
        description="Discord bot token (also read from DISCORD_TOKEN).",
    )
    database_path: Path = Field(
        default=Path("data/pallets-bot.sqlite3"),
        description="SQLite database file; created with its folder on first run.",
    )
    default_locale: str = Field(
        default="en",
        description="Language used when neither the member nor the guild chose one.",
    )
    log_level: LogLevel = Field(default="INFO", description="Logging threshold.")
    log_format: Literal["auto", "text", "json"] = Field(
        default="auto",
        description="Log line format; 'auto' is text on a terminal and JSON otherwise.",
    )
    sync_commands: bool = Field(
        default=True,
        description="Sync the slash-command tree with Discord at start-up.",
    )
    catch_up_hours: float = Field(
        default=6.0,
        gt=0,
        description="Default window in which work missed while down is still done.",
    )
    shard_count: int | None = Field(
        default=None,
        ge=1,
        description="Run as an AutoShardedBot with this many shards (unset: one shard).",
    )

    # -- operations ---------------------------------------------------------------
    http_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of the health/metrics/calendar HTTP server (unset: off).",
    )
    http_host: str = Field(
        default="127.0.0.1",
        description="Address the HTTP server binds to.",
    )
    public_url: str | None = Field(
        default=None,
        description="Public base URL of the HTTP server (behind a reverse proxy), "
        "used to show members the calendar feed address.",
    )
    backup_dir: Path | None = Field(
        default=None,
        description="Folder for the daily database backup (unset: no automatic backup).",
    )
    backup_keep: int = Field(
        default=7, ge=1, description="How many daily backups to keep."
    )

    # -- extension watch ----------------------------------------------------------
    github_token: SecretStr | None = Field(
        default=None,
        description="Optional GitHub token for higher API rate limits.",
    )
    pypi_base_url: str = Field(
        default="https://pypi.org", description="Base URL of the PyPI JSON API."
    )
    github_api_url: str = Field(
        default="https://api.github.com", description="Base URL of GitHub's REST API."
    )
    osv_api_url: str = Field(
        default="https://api.osv.dev", description="Base URL of the OSV API."
    )
    ext_watch_months: int = Field(
        default=12, ge=1, description="Months without a release before 'watch'."
    )
    ext_risk_months: int = Field(
        default=24, ge=1, description="Months without a release before 'at risk'."
    )
    flask_major_version: int = Field(
        default=3, ge=1, description="The current Flask major version."
    )
    ext_org: str = Field(
        default="pallets-eco",
        description="The GitHub organisation whose every repository is watched "
        "(read weekly from GitHub); empty: none.",
    )
    ext_min_caretakers: int = Field(
        default=2,
        ge=0,
        description="Active caretakers an extension of that organisation should have "
        "(organisers set another number per extension).",
    )
    ext_inactive_months: int = Field(
        default=6,
        ge=1,
        description="Months without GitHub activity after which a caretaker is asked "
        "whether they are still in.",
    )

    @field_validator("default_locale")
    @classmethod
    def _locale_is_known(cls, value: str) -> str:
        from babel import Locale
        from babel import UnknownLocaleError

        try:
            Locale.parse(value.replace("-", "_"))
        except (ValueError, UnknownLocaleError) as exc:
            raise ValueError(f"unknown locale {value!r}") from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings, dotenv_settings]
        config_file = os.environ.get("PALLETS_BOT_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, Path(config_file)))
        return tuple(sources)

    @classmethod
    def load(cls) -> Settings:
        """Read the settings, turning validation errors into one line per setting."""
        config_file = os.environ.get("PALLETS_BOT_CONFIG")
        if config_file and not Path(config_file).is_file():
            raise SettingsError(f"PALLETS_BOT_CONFIG: no such file: {config_file}")
        try:
            return cls()
        except ValidationError as exc:
            raise SettingsError(_describe(exc)) from None

    def token_value(self) -> str | None:
        """Return the token as plain text, or ``None`` when it is not set."""
        return self.token.get_secret_value() if self.token is not None else None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        name = ".".join(str(loc) for loc in error["loc"]) or "settings"
        # A field read through an alias (the token) reports the alias, which is a
        # full variable name already: prefix only the plain field names.
        env_name = name if name.isupper() else f"PALLETS_BOT_{name.upper()}"
        parts.append(f"{env_name}: {error['msg']}")
    return "; ".join(parts)
