"""The benchmark runs end to end at a tiny scale, so it cannot rot unnoticed.

The real run (``uv run python -m bench``) takes about an hour and is not part of the
tests. This one checks that every part still runs and reports, that the fair peer
still answers exactly as the bot does (a changed reply needs its twin in
``bench/peer.py`` changed too), and that nothing raised.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import main
from bench.peer import TWINS


def test_bench_runs_at_tiny_scale_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    main(
        [
            *("--scale", "0.01", "--search-scale", "0.01", "--mentor-scale", "0.01"),
            *("--startup-scale", "0.01", "--startup-runs", "1"),
            *("--memory-scale", "0.01"),
            *("--runs", "5", "--pending", "200", "--due", "50", "--json", str(out)),
        ]
    )
    report = json.loads(out.read_text())
    figures = {(row["figure"], row["scale"]): row for row in report["rows"]}
    names = {figure for figure, _scale in figures}
    for command in TWINS:
        assert f"{command} p50" in names, command
        row = figures[(f"{command} answers identical to the peer's", 0.01)]
        assert row["verdict"] == "pass", (command, report["raw"])
    for wanted in (
        "similar-question search, cold term cache, p50",
        "similar-question search, warm term cache, p50",
        "new question to its checklist, p50",
        "/mentor-tools queue Previous/Next p99",
        "calendar feed p99",
        "page: extensions p99",
        "page: one extension p99",
        "feed: extension status changes (Atom) p99",
        "page: one solved question p99",
        "page: solved questions, searched p99",
        "event-loop lag during mentoring digest, max",
        "event-loop lag during triage digest, max",
        "event-loop lag during extension refresh, max",
        "event-loop lag during catch-up, max",
        "event-loop lag during idle (the floor), p99",
        "event-loop lag during mentor queue index load, max",
        "fresh process to ready (median of 1)",
        "fresh process to first answered command (median)",
        "catch-up: max requests in any 1 s",
        "peak RSS of the bot after every command, new questions, digests, the feed",
    ):
        assert wanted in names, wanted
    # The first start syncs the commands; a restart of the same code finds them on
    # Discord and does not (bot.command_sync).
    startup = report["raw"]["startup 0.01"]
    assert startup["first"]["commands synced"] == 1
    assert startup["median"]["commands synced"] == 0
    # --runs 5: too few samples for a p99, so none is reported.
    assert figures[("/triage queue p99", 0.01)]["value"] is None
    assert figures[("catch-up: reminders lost", 0.01)]["value"] == 0
    # The catch-up's lag is sampled while the jobs drain, not after.
    assert figures[("event-loop lag during catch-up, max", 0.01)]["n"] >= 100
    assert figures[("unexpected errors in the run", 0.01)]["value"] == 0, report["raw"]
