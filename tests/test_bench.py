"""The benchmark runs end to end at a tiny scale, so it cannot rot unnoticed.

The real run (``uv run python -m bench``) takes minutes and is not part of the tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import main


def test_bench_runs_at_tiny_scale_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    main(
        [
            *("--scale", "0.01", "--runs", "5", "--pending", "200", "--due", "50"),
            *("--json", str(out)),
        ]
    )
    report = json.loads(out.read_text())
    figures = {row["figure"]: row for row in report["rows"]}
    for wanted in (
        "/triage queue p99",
        "/mentor queue p99 / bare p99",
        "similar-question search (query layer) p99",
        "new question to checklist reply p99",
        "mentor queue ranking p99",
        "triage digest, full size (max of 3)",
        "mentorship digest, full size (max of 3)",
        "start-up to ready with the pending jobs",
        "catch-up: max requests in any 1 s",
        "peak RSS of the bot process",
    ):
        assert figures[wanted]["value"] is not None, wanted
    assert figures["catch-up: jobs lost"]["value"] == 0
    assert figures["unexpected errors in the run"]["value"] == 0, report["raw"]
