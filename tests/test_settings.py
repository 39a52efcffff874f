from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from bot.settings import SettingsError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("PALLETS_BOT_TOKEN", "DISCORD_TOKEN", "PALLETS_BOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = Settings.load()
    assert settings.token is None
    assert settings.database_path == Path("data/pallets-bot.sqlite3")
    assert settings.default_locale == "en"


def test_token_from_prefixed_variable_or_discord_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "fallback")
    assert Settings.load().token_value() == "fallback"
    monkeypatch.setenv("PALLETS_BOT_TOKEN", "primary")
    assert Settings.load().token_value() == "primary"


def test_dotenv_and_toml_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PALLETS_BOT_LOG_LEVEL=DEBUG\n")
    config = tmp_path / "bot.toml"
    config.write_text('database_path = "/srv/bot.sqlite3"\nlog_level = "ERROR"\n')
    monkeypatch.setenv("PALLETS_BOT_CONFIG", str(config))
    settings = Settings.load()
    assert settings.database_path == Path("/srv/bot.sqlite3")
    assert settings.log_level == "DEBUG"  # .env wins over the TOML file


def test_malformed_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PALLETS_BOT_HTTP_PORT", "not-a-port")
    with pytest.raises(SettingsError) as info:
        Settings.load()
    message = str(info.value)
    assert "PALLETS_BOT_HTTP_PORT" in message
    assert "\n" not in message


def test_unknown_locale_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PALLETS_BOT_DEFAULT_LOCALE", "xx-nowhere")
    with pytest.raises(SettingsError, match="PALLETS_BOT_DEFAULT_LOCALE"):
        Settings.load()


def test_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PALLETS_BOT_CONFIG", "/nowhere/bot.toml")
    with pytest.raises(SettingsError, match="PALLETS_BOT_CONFIG"):
        Settings.load()


def test_a_malformed_token_is_named_once_with_the_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The token's aliases are full variable names already: the message must not
    # prefix them a second time (it said PALLETS_BOT_PALLETS_BOT_TOKEN).
    config = tmp_path / "bot.toml"
    config.write_text("token = 5\n")
    monkeypatch.setenv("PALLETS_BOT_CONFIG", str(config))
    with pytest.raises(SettingsError) as info:
        Settings.load()
    message = str(info.value)
    assert message.startswith("PALLETS_BOT_TOKEN: "), message
    assert "PALLETS_BOT_PALLETS_BOT" not in message
