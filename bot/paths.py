"""Where the project's shipped files live, independent of the working directory."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
MIGRATIONS_DIR = DATA_DIR / "migrations"
LOCALE_DIR = ROOT / "locale"
COGS_DIR = ROOT / "cogs"
