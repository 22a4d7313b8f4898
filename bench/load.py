"""Load: concurrent viewers of the public page, each in its own browser context (its own session).

    python -m bench.load [--snapshot DIR] [--viewers 1,10,50]

Starts the app in public mode the way ``make public-app`` does (on 127.0.0.1 and a free port), then
for each level opens that many contexts at once in Debian's chromium and times each one from
navigation to a fully rendered page (the script ran to its end, nothing loading, the first chart
drawn). Prints p50, p95 and max per level, and the app process's CPU seconds per page view. One
Chromium and the app share this machine's two cores: the times include the browser's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from core import settings

ROOT = Path(__file__).resolve().parent.parent
RENDERED = (  # the script ran to its end (the downloads come last), nothing loading, first chart drawn
    "() => document.querySelector('h1') && !document.querySelector('[data-testid=\"stSkeleton\"]') && "
    "!document.querySelector('[data-testid=\"stStatusWidget\"]') && "
    "document.querySelectorAll('[data-testid=\"stDownloadButton\"]').length >= 3 && "
    "!!document.querySelector('.vega-embed canvas, .vega-embed svg')"
)


async def _viewer(browser, url: str) -> float:
    ctx = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await ctx.new_page()
    t0 = time.perf_counter()
    await page.goto(url, timeout=900_000, wait_until="commit")
    await page.wait_for_function(RENDERED, timeout=900_000, polling=100)
    took = time.perf_counter() - t0
    await ctx.close()
    return took


async def _level(browser, url: str, n: int) -> list[float]:
    return list(await asyncio.gather(*(_viewer(browser, url) for _ in range(n))))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


async def main(snapshot: Path, levels: list[int], port: int) -> None:
    from playwright.async_api import async_playwright

    from scripts.browser import CHROMIUM_ARGS, chromium_path, serve

    env = {"DASHBOARD_MODE": "public", "PUBLIC_SNAPSHOT_PATH": str(snapshot)}
    with serve(env, port=port) as app:
        url = f"{app.url}/?lang=ar"
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            await _level(browser, url, 1)  # warm-up: first import of the page's modules
            print("| viewers | pages | p50 (s) | p95 (s) | max (s) | app CPU per page (s) |")
            print("| ---: | ---: | ---: | ---: | ---: | ---: |")
            for n in levels:
                times: list[float] = []
                cpu0 = cpu_seconds(app.pid)
                rounds = max(1, 10 // n)  # at least ten timings per level
                for _ in range(rounds):
                    times += await _level(browser, url, n)
                cpu = (cpu_seconds(app.pid) - cpu0) / len(times)
                p50, p95 = statistics.median(times), pct(times, 0.95)
                print(f"| {n} | {len(times)} | {p50:.2f} | {p95:.2f} | {max(times):.2f} | {cpu:.2f} |", flush=True)
            await browser.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snapshot", help="published snapshots (default: PUBLIC_SNAPSHOT_PATH, or a fresh demo one)")
    ap.add_argument("--viewers", default="1,10,50")
    ap.add_argument("--port", type=int, default=8599)
    args = ap.parse_args()
    snap = Path(args.snapshot) if args.snapshot else settings.path("PUBLIC_SNAPSHOT_PATH")
    if not snap.is_dir():
        from etl.publish import publish

        snap = Path(tempfile.mkdtemp(prefix="snapshot-"))
        publish(settings.path("WAREHOUSE_PATH"), "last-quarter", snap, 10, settings.path("REFERENCE_DIR"))
    asyncio.run(main(snap, [int(v) for v in args.viewers.split(",")], args.port))
