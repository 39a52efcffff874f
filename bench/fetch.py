"""Fetch a URL ``n`` times, one after another, as an outside client: ``python -m
bench.fetch URL N`` prints the milliseconds of each response (JSON)."""

from __future__ import annotations

import http.client
import json
import sys
import time
from urllib.parse import urlsplit


def main() -> None:
    url, count = sys.argv[1], int(sys.argv[2])
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    samples: list[float] = []
    errors: list[str] = []
    size = 0
    for _ in range(count):
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        samples.append((time.perf_counter() - started) * 1000)
        size = len(body)
        if response.status != 200 and len(errors) < 3:
            errors.append(f"HTTP {response.status}: {body[:200]!r}")
    conn.close()
    print(json.dumps({"samples": samples, "bytes": size, "errors": errors}))


if __name__ == "__main__":
    main()
