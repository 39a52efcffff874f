"""Tools for people working on the bot, not the running bot itself.

The offline playground and the simcord test world it shares with the tests, the
catalogue tools behind ``pallets-bot i18n``, and the generators of
``docs/commands.md`` and ``docs/configuration.md``. Nothing in the runtime core
imports this package.
"""
