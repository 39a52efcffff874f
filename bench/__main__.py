"""The benchmark: ``uv run python -m bench`` (see README, "Performance").

For each scale it seeds (or finds in ``bench/.cache``) a database, copies it, and runs
the real bot on simcord against the copy in a fresh child process
(:mod:`bench.session`), so the peak RSS is the bot's and not the seeder's. Prints one
table (figure, scale, value, target, pass or miss) and writes it as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.seed import cached_database

DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"

COMMAND_P99_MS = 50.0
COMMAND_RATIO = 3.0
SEARCH_MS = 10.0
RANKING_MS = 20.0
STARTUP_S = 2.0
RATE_PER_S = 50
RSS_MB = 200.0


@dataclass(frozen=True, slots=True)
class Row:
    figure: str
    scale: float
    value: float | None
    unit: str
    target: str
    ok: bool | None  # None: informative, no target

    @property
    def verdict(self) -> str:
        return "-" if self.ok is None else ("pass" if self.ok else "MISS")

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit == "ms":
            return f"{self.value:.2f} ms"
        if self.unit == "s":
            return f"{self.value:.2f} s"
        if self.unit == "MB":
            return f"{self.value:.0f} MB"
        if self.unit == "x":
            return f"{self.value:.2f}x"
        return f"{self.value:g}{(' ' + self.unit) if self.unit else ''}"


def _below(limit: float) -> Callable[[float | None], bool]:
    return lambda value: value is not None and value < limit


def rows_for(scale: float, r: dict[str, Any]) -> list[Row]:
    """Turn one session's raw results into table rows."""
    rows: list[Row] = []

    def add(
        figure: str,
        value: float | None,
        unit: str,
        target: str = "",
        check: Callable[[float | None], bool] | None = None,
    ) -> None:
        rows.append(
            Row(
                figure,
                scale,
                value,
                unit,
                target,
                None if check is None else check(value),
            )
        )

    bare = r.get("command:bare", {}).get("p99")
    commands = [k for k in r if k.startswith("command:") and "bare" not in k]
    for key in commands:
        name = key.removeprefix("command:")
        p50, p99 = r[key]["p50"], r[key]["p99"]
        add(f"{name} p50", p50, "ms")
        add(
            f"{name} p99", p99, "ms", f"< {COMMAND_P99_MS:g} ms", _below(COMMAND_P99_MS)
        )
        if bare:
            add(
                f"{name} p99 / bare p99",
                p99 / bare,
                "x",
                f"< {COMMAND_RATIO:g}x",
                _below(COMMAND_RATIO),
            )
    for key in ("command:bare", "command:bare (again)"):
        if key in r:
            label = key.removeprefix("command:")
            add(f"bare discord.py command ({label}) p50", r[key]["p50"], "ms")
            add(f"bare discord.py command ({label}) p99", r[key]["p99"], "ms")
    if "similar:query" in r:
        s = r["similar:query"]
        add("similar-question search (query layer) p50", s["p50"], "ms")
        add(
            "similar-question search (query layer) p99",
            s["p99"],
            "ms",
            f"< {SEARCH_MS:g} ms",
            _below(SEARCH_MS),
        )
    if "similar:post" in r:
        s = r["similar:post"]
        add("new question to checklist reply p50", s["p50"], "ms")
        add("new question to checklist reply p99", s["p99"], "ms")
    if "mentor:ranking" in r:
        s = r["mentor:ranking"]
        add(
            "mentor queue ranking p99",
            s["p99"],
            "ms",
            f"< {RANKING_MS:g} ms",
            _below(RANKING_MS),
        )
    if "mentor:full_ranking" in r:
        add(
            "mentor queue, all open requests ranked in Python (old way) p50",
            r["mentor:full_ranking"]["p50"],
            "ms",
        )
    for label in ("triage", "mentorship"):
        key = f"digest:{label}"
        if key in r:
            add(f"{label} digest, full size (max of 3)", r[key]["max"], "ms")
    startup = r.get("startup", {})
    add(
        "start-up to ready with the pending jobs",
        startup.get("seconds"),
        "s",
        f"< {STARTUP_S:g} s",
        _below(STARTUP_S),
    )
    c = r.get("catchup")
    if c:
        add(
            "catch-up: max requests in any 1 s",
            c["max_requests_per_second"],
            "",
            f"< {RATE_PER_S}",
            _below(RATE_PER_S),
        )
        add("catch-up: jobs lost", c["lost"], "", "0", lambda v: v == 0)
        add("catch-up: time to drain (simulated clock)", c["virtual_seconds"], "s")
        add("catch-up: time to drain (wall clock)", c["wall_seconds"], "s")
    add(
        "peak RSS of the bot process",
        r.get("peak_rss_mb"),
        "MB",
        f"< {RSS_MB:g} MB",
        _below(RSS_MB),
    )
    add(
        "unexpected errors in the run",
        len(r.get("errors", [])),
        "",
        "0",
        lambda v: v == 0,
    )
    return rows


def table(rows: Sequence[Row]) -> str:
    header = ("figure", "scale", "value", "target", "")
    body = [(r.figure, f"{r.scale:g}x", r.shown(), r.target, r.verdict) for r in rows]
    widths = [max(len(str(line[i])) for line in (header, *body)) for i in range(5)]

    def fmt(line: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True))
            + " |"
        )

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(header), sep, *(fmt(line) for line in body)])


def run_scale(
    scale: float, *, runs: int, pending: int, due: int, timeout: float
) -> dict[str, Any]:
    seeded = asyncio.run(cached_database(scale, log=True))
    with tempfile.TemporaryDirectory(prefix="pallets-bench-") as tmp:
        work = Path(tmp) / "pallets-bot.sqlite3"
        shutil.copyfile(seeded, work)
        command = [
            sys.executable,
            "-m",
            "bench.session",
            "--database",
            str(work),
            "--runs",
            str(runs),
            "--pending",
            str(pending),
            "--due",
            str(due),
        ]
        print(f"measuring at {scale:g}x ...", flush=True)
        started = time.perf_counter()
        done = subprocess.run(
            command, stdout=subprocess.PIPE, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"the measuring run at {scale:g}x failed")
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Measure the bot at real-size data."
    )
    parser.add_argument(
        "--scale", type=float, nargs="+", default=[1.0, 10.0], help="data scales"
    )
    parser.add_argument("--runs", type=int, help="runs per command (default 200)")
    parser.add_argument(
        "--quick", action="store_true", help="20 runs per command instead of 200"
    )
    parser.add_argument("--pending", type=int, default=10_000, help="jobs at start-up")
    parser.add_argument("--due", type=int, default=1_000, help="jobs due at catch-up")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="output file")
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds per measuring run"
    )
    args = parser.parse_args(argv)
    runs = args.runs or (20 if args.quick else 200)
    all_rows: list[Row] = []
    raw: dict[str, Any] = {}
    for scale in args.scale:
        result = run_scale(
            scale, runs=runs, pending=args.pending, due=args.due, timeout=args.timeout
        )
        raw[f"{scale:g}"] = result
        all_rows.extend(rows_for(scale, result))
    order: dict[str, int] = {}
    for row in all_rows:
        order.setdefault(row.figure, len(order))
    all_rows.sort(key=lambda r: (order[r.figure], r.scale))
    print()
    print(table(all_rows))
    for scale, result in raw.items():
        for error in result.get("errors", []):
            print(f"error at {scale}x: {error}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "machine": machine(),
                "runs": runs,
                "rows": [asdict(r) | {"verdict": r.verdict} for r in all_rows],
                "raw": raw,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten to {args.json}")
    return 0 if all(r.ok is not False for r in all_rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
