"""Mentorship: mentees ask, mentors claim, pairs get a private thread and check-ins."""

from __future__ import annotations

from bot.app import PalletsBot
from cogs.mentorship._cog import MentorshipCog


async def setup(bot: PalletsBot) -> None:
    await bot.add_cog(MentorshipCog(bot))
