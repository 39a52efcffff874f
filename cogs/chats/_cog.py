"""/chat: community chat series, topics and notes."""

from __future__ import annotations

from discord.ext import commands

from bot.app import PalletsBot


class ChatsCog(commands.GroupCog, group_name="chat"):
    """Run recurring community chats."""

    def __init__(self, bot: PalletsBot) -> None:
        self.bot = bot
