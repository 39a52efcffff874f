"""One package per job of the bot; each exposes ``setup(bot)``."""
