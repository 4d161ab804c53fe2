#!/usr/bin/env python3
"""Edit-to-reload latency of `portico serve` on the bench-docs corpus (three tiers).

Copies the corpus (1,107 pages of nodejs.org; see ../shared/corpus/bench-docs/SOURCE.md) into a
temporary site, starts the release binary on a free loopback port, and then, EDITS times over:
appends one line to a page, and measures the time from the write until (a) the reload event
for that page arrives on /__portico/events and (b) the page's new bytes are served. Prints the
median and 95th percentile of each.

Usage: benches/serve-latency.py [EDITS]   (default 40; needs a release build: cargo build --release)
"""

import http.client
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared/corpus/bench-docs/nodejs.org/apps/site/pages"
BINARY = pathlib.Path(os.environ.get("PORTICO", REPO / "target/release/portico"))
PAGE = "en/blog/release/v20.0.0.md"
URL = "/referral-network/en/blog/release/v20-0-0/"


def main() -> None:
    edits = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    if not CORPUS.is_dir():
        sys.exit(f"the bench-docs corpus is absent: {CORPUS}")
    site = pathlib.Path(tempfile.mkdtemp(prefix="portico-serve-bench."))
    try:
        shutil.copy(REPO / "tests/fixtures/corpus/partners.yaml", site / "partners.yaml")
        shutil.copytree(CORPUS, site / "content")
        for path in (site / "content").rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        run(site, edits)
    finally:
        shutil.rmtree(site, ignore_errors=True)


def run(site: pathlib.Path, edits: int) -> None:
    server = subprocess.Popen(
        [str(BINARY), "serve", "--root", str(site), "--port", "0"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        port = None
        for line in server.stderr:
            match = re.search(r"serving http://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
                break
        if port is None:
            sys.exit("the server did not start")
        threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
        events = []
        threading.Thread(target=listen, args=(port, events), daemon=True).start()
        time.sleep(0.5)
        to_event, to_bytes = [], []
        page = site / "content" / PAGE
        for n in range(edits):
            marker = f"latency-marker-{n}"
            seen = len(events)
            start = time.perf_counter()
            with page.open("a") as f:
                f.write(f"\n{marker}\n")
            served = event = None
            # Wait for the event without loading the server, then fetch until the new bytes
            # arrive: fetching a large page in a loop would take a core from the rebuild.
            while event is None and time.perf_counter() - start < 10:
                if any(URL in e for e in events[seen:]):
                    event = time.perf_counter() - start
                else:
                    time.sleep(0.0005)
            while event is not None and served is None and time.perf_counter() - start < 10:
                if marker in get(port, URL):
                    served = time.perf_counter() - start
            if served is None or event is None:
                sys.exit(f"edit {n}: no reload within 10 s")
            to_event.append(event * 1000)
            to_bytes.append(served * 1000)
            time.sleep(0.3)
        report("edit → reload event", to_event)
        report("edit → new bytes served", to_bytes)
    finally:
        server.terminate()
        server.wait()


def listen(port: int, events: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/__portico/events")
    response = connection.getresponse()
    for raw in response:
        line = raw.decode()
        if line.startswith("data:"):
            events.append(line)


def get(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", path)
    body = connection.getresponse().read().decode()
    connection.close()
    return body


def report(name: str, samples: list) -> None:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    print(f"{name}: median {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms, n={len(samples)}")


if __name__ == "__main__":
    main()
