"""Kill the bot at random moments while work is due; nothing is lost or doubled.

``PALLETS_CRASH_RUNS`` sets how many kills (default 12 keeps CI quick; run with
``PALLETS_CRASH_RUNS=300`` for a long soak).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from bot.outbox import nonce_for
from bot.outbox import NONCE_LENGTH
from bot.paths import ROOT
from tests.reliability.crash_child import JOBS
from tests.reliability.crash_child import send_key

RUNS = int(os.environ.get("PALLETS_CRASH_RUNS", "12"))


def start_child(directory: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.crash_child", str(directory), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(directory: Path) -> None:
    """Run the bot without killing it until its work is done."""
    for _attempt in range(3):
        child = start_child(directory)
        _out, err = child.communicate(timeout=120)
        if (directory / "finished").exists():
            return
        assert child.returncode == 0, err.decode()[-3000:]
    raise AssertionError("the bot never finished its work")


def journal_posts(directory: Path) -> list[dict[str, str]]:
    lines = (directory / "journal.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
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


def test_kill_between_the_discord_call_and_the_commit_resends_with_the_same_nonce(
    tmp_path: Path,
) -> None:
    for n in (1, 2, 5):
        child = start_child(tmp_path, "--kill-after-post", str(n))
        child.communicate(timeout=120)
        assert child.returncode == -signal.SIGKILL
    finish(tmp_path)
    judge(tmp_path)
    posts = journal_posts(tmp_path)
    assert len(posts) > JOBS  # the killed posts really were resent


@pytest.mark.timeout(900)
def test_random_kills_while_work_is_due_lose_and_double_nothing(tmp_path: Path) -> None:
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
