"""pallets-bot core: settings, storage, scheduler, outbox, i18n and the app factory."""

from bot.app import create_bot
from bot.app import PalletsBot
from bot.settings import Settings

__all__ = ["PalletsBot", "Settings", "create_bot"]
