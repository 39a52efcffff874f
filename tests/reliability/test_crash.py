"""Kill the bot at random moments while work is due; nothing is lost or doubled.

Two kinds of due work (see crash_child.py): a synthetic job kind, and the cogs' own
timed work seeded through their commands. ``PALLETS_CRASH_RUNS`` sets how many kills
for the synthetic work (default 6), ``PALLETS_CRASH_REAL_RUNS`` for the real work
(default 4); the defaults keep CI quick. For a long soak run, for example,
``PALLETS_CRASH_RUNS=300 PALLETS_CRASH_REAL_RUNS=100``; ``PALLETS_CRASH_SEED`` changes
where the kills land.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from bot.outbox import nonce_for
from bot.outbox import NONCE_LENGTH
from bot.paths import ROOT
from tests.reliability.crash_child import JOBS
from tests.reliability.crash_child import send_key

RUNS = int(os.environ.get("PALLETS_CRASH_RUNS", "6"))
REAL_RUNS = int(os.environ.get("PALLETS_CRASH_REAL_RUNS", "4"))


def start_child(directory: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.crash_child", str(directory), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(directory: Path, *extra: str) -> None:
    """Run the bot without killing it until its work is done."""
    for _attempt in range(3):
        child = start_child(directory, *extra)
        _out, err = child.communicate(timeout=120)
        if (directory / "finished").exists():
            return
        assert child.returncode == 0, err.decode()[-3000:]
    raise AssertionError("the bot never finished its work")


def journal_lines(directory: Path) -> list[str]:
    return (directory / "journal.jsonl").read_text().splitlines()


def journal_posts(directory: Path) -> list[dict[str, str]]:
    entries = [json.loads(line) for line in journal_lines(directory)]
    return [e for e in entries if e["method"] == "POST" and e["nonce"]]


def judge(directory: Path) -> None:
    posts = journal_posts(directory)
    nonces_by_content: dict[str, set[str]] = defaultdict(set)
    for post in posts:
        assert len(post["nonce"]) <= NONCE_LENGTH
        nonces_by_content[post["content"]].add(post["nonce"])
    expected = {f"announcement {n}": nonce_for(send_key(n)) for n in range(JOBS)}
    # Every due send was posted at least once...
    assert set(nonces_by_content) == set(expected)
    # ...and each logical send only ever with its one nonce, which Discord
    # deduplicates under enforce_nonce: a resend after a crash is not a second post.
    for content, nonces in nonces_by_content.items():
        assert nonces == {expected[content]}, content
    with sqlite3.connect(directory / "pallets-bot.sqlite3") as db:
        jobs = db.execute(
            "SELECT state, count(*) FROM jobs WHERE kind = 'crash.announce' GROUP BY state"
        ).fetchall()
        sent = db.execute(
            "SELECT count(*) FROM outbox WHERE key LIKE 'crash:announce:%' AND state = 'sent'"
        ).fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert jobs == [("done", JOBS)]  # no job lost, none added by restarts
    assert sent == JOBS


@pytest.mark.timeout(900)
def test_kills_while_work_is_due_lose_and_double_nothing(tmp_path: Path) -> None:
    # First between the Discord call and the commit: Discord has the message, the
    # database does not know yet.
    for n in (1, 2, 5):
        child = start_child(tmp_path, "--kill-after-post", str(n))
        child.communicate(timeout=120)
        assert child.returncode == -signal.SIGKILL
    # Then anywhere at all.
    rng = random.Random(os.environ.get("PALLETS_CRASH_SEED", "pallets"))
    for _run in range(RUNS):
        if (tmp_path / "finished").exists():
            break
        child = start_child(tmp_path)
        # Importing discord.py and starting the bot takes about a second; the due
        # work then runs for a few seconds: land the kill anywhere in there.
        time.sleep(rng.uniform(0.8, 3.5))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    finish(tmp_path)
    judge(tmp_path)
    assert len(journal_posts(tmp_path)) > JOBS  # the killed posts really were resent


# -- the cogs' real work ------------------------------------------------------------------
REAL = ("--mode", "real")


def seed(directory: Path) -> None:
    child = start_child(directory, *REAL, "--seed")
    _out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()[-3000:]


def fingerprint(post: dict[str, Any]) -> str:
    """What a member would see: where, the text, the embeds and the buttons."""
    return json.dumps(
        [post["path"], post["content"], post["embeds"], post["components"]]
    )


#: Rows the cogs keep; none may be lost (or added) by crashes.
TABLES = (
    "chat_series",
    "chat_occurrences",
    "chat_interest",
    "events",
    "event_rsvps",
    "mentor_pairings",
    "mentor_checkins",
    "triage_questions",
)


def database_summary(directory: Path) -> dict[str, Any]:
    with sqlite3.connect(directory / "pallets-bot.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            "jobs": db.execute(
                "SELECT kind, state, count(*) FROM jobs GROUP BY kind, state "
                "ORDER BY kind, state"
            ).fetchall(),
            "outbox": db.execute(
                "SELECT key, state, nonce FROM outbox ORDER BY key"
            ).fetchall(),
            "rows": {
                table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in TABLES
            },
        }


def judge_real(crashed: Path, reference: Path) -> None:
    """Compare a run that was killed many times with one that never was."""
    expected: dict[str, set[str]] = defaultdict(set)
    for post in journal_posts(reference):
        expected[fingerprint(post)].add(post["nonce"])
    seen: dict[str, set[str]] = defaultdict(set)
    for post in journal_posts(crashed):
        assert len(post["nonce"]) <= NONCE_LENGTH
        seen[fingerprint(post)].add(post["nonce"])
    # Every due send was posted at least once, nothing else was posted, and each
    # logical send only ever with its own nonce: a resend is deduplicated by Discord.
    assert set(seen) == set(expected)
    for key, nonces in seen.items():
        assert nonces == expected[key], key
    crashed_db, reference_db = database_summary(crashed), database_summary(reference)
    assert crashed_db["rows"] == reference_db["rows"]  # no row lost
    assert crashed_db["jobs"] == reference_db["jobs"]  # none lost, none added
    assert crashed_db["outbox"] == reference_db["outbox"]


@pytest.mark.timeout(900)
def test_random_kills_during_the_cogs_real_work_lose_and_double_nothing(
    tmp_path: Path,
) -> None:
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    crashed.mkdir()
    seed(crashed)
    shutil.copytree(crashed, reference)  # the same seed, never to be killed
    finish(reference, *REAL)
    # First between Discord's answer and the commit, then anywhere at all.
    for n in (1, 2):
        child = start_child(crashed, *REAL, "--kill-after-post", str(n))
        child.communicate(timeout=120)
        assert child.returncode == -signal.SIGKILL
    rng = random.Random(os.environ.get("PALLETS_CRASH_SEED", "pallets"))
    for _run in range(REAL_RUNS):
        if (crashed / "finished").exists():
            break
        child = start_child(crashed, *REAL)
        time.sleep(rng.uniform(1.5, 6.0))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    finish(crashed, *REAL)
    judge_real(crashed, reference)
    # The killed posts really were resent (with their nonce).
    assert len(journal_posts(crashed)) > len(journal_posts(reference))


# -- an event's Discord event, made just before a kill ------------------------------------
EVENTS = ("--mode", "events")


def test_a_kill_after_discord_made_an_events_discord_event_makes_no_second(
    tmp_path: Path,
) -> None:
    """Killed after Discord made the Discord event of an event being published, and
    before the bot recorded it: after the restart, the server has that one Discord
    event, recorded, and the bot never asked Discord for another."""
    child = start_child(tmp_path, *EVENTS, "--seed", "--kill-after-event")
    _out, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err.decode()[-3000:]
    with sqlite3.connect(tmp_path / "pallets-bot.sqlite3") as db:
        killed = db.execute(
            "SELECT state, message_id, scheduled_event_id FROM events"
        ).fetchall()
    # Published and announced, the Discord event made but not recorded.
    [(state, message_id, scheduled_event_id)] = killed
    assert (state, scheduled_event_id) == ("published", None) and message_id
    finish(tmp_path, *EVENTS)
    outcome = json.loads((tmp_path / "outcome.json").read_text())
    made = json.loads((tmp_path / "discord_events.json").read_text())
    assert len(made) == 1, "Discord was asked for a second event"
    assert outcome["discord"] == [int(made[0]["id"])]
    assert outcome["recorded"] == [[1, int(made[0]["id"])]]
    asked = [
        e
        for e in (json.loads(line) for line in journal_lines(tmp_path))
        if e["method"] == "POST" and e["path"].endswith("/scheduled-events")
    ]
    assert len(asked) == 1
