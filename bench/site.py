"""The static public site under load (issue 22): Debian's nginx with deploy/nginx/site.conf, driven
by wrk; chromium's load time with JavaScript off and on; Lighthouse in both languages; the index's
transfer size.

    python -m bench.site [--rows 20000] [--duration 30] [--lighthouse PATH/TO/node_modules/.bin/lighthouse]

Builds a demo warehouse, publishes 2026-Q2 and its site into a temporary folder, measures, and
appends the figures to bench/results.md. Needs nginx and wrk (apt-get install nginx wrk); Lighthouse
is npm's (npm install lighthouse) and is skipped with a note when it is not found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.step import main as step
from etl.publish import publish
from etl.site import build_site
from scripts.browser import CHROMIUM_ARGS, chromium_path
from scripts.nginx import serve

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
P95 = """
done = function(summary, latency, requests)
  local p = function(q) return latency:percentile(q) end
  io.write(string.format("p50=%d p95=%d p99=%d\\n", p(50), p(95), p(99)))
end
"""


def transfer(url: str) -> dict[str, int]:
    """Bytes on the wire for a page and what it links to (stylesheet, fonts), gzip accepted."""

    def get(u: str) -> bytes:
        req = urllib.request.Request(u, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read()

    sizes = {"page": len(get(url))}
    plain = urllib.request.urlopen(url, timeout=10).read().decode("utf-8")
    css_href = re.search(r'href="([^"]+\.css)"', plain)[1]
    css_url = urllib.parse.urljoin(url, css_href)
    sizes["css"] = len(get(css_url))
    css = urllib.request.urlopen(css_url, timeout=10).read().decode("utf-8")
    sizes["fonts"] = sum(len(get(urllib.parse.urljoin(css_url, f))) for f in re.findall(r'url\("([^"]+)"\)', css))
    return sizes


def wrk(url: str, connections: int, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(P95)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", f.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(f.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    lat = dict(re.findall(r"(p\d+)=(\d+)", out))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": int(lat["p50"]) / 1000,
        "p95_ms": int(lat["p95"]) / 1000,
        "p99_ms": int(lat["p99"]) / 1000,
        "non_2xx": int(errors[1]) if errors else 0,
        "socket_errors": socket_errors[1] if socket_errors else "none",
    }


def chromium_load(url: str, js: bool, repeat: int = 5) -> float:
    """Median seconds from navigation to the load event, a fresh context each time (no cache)."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for _ in range(repeat):
                ctx = browser.new_context(java_script_enabled=js)
                page = ctx.new_page()
                t0 = time.perf_counter()
                page.goto(url, wait_until="load")
                times.append(time.perf_counter() - t0)
                ctx.close()
        finally:
            browser.close()
    return statistics.median(times)


def lighthouse(binary: str, url: str) -> dict[str, int]:
    out = subprocess.run(
        [
            binary,
            url,
            "--output=json",
            "--quiet",
            "--only-categories=performance,accessibility,best-practices,seo",
            f"--chrome-flags=--headless=new {' '.join(CHROMIUM_ARGS)}",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CHROME_PATH": chromium_path() or "chromium"},
        timeout=300,
    ).stdout
    report = json.loads(out)
    return {k: round(v["score"] * 100) for k, v in report["categories"].items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--lighthouse", default=shutil.which("lighthouse"))
    args = ap.parse_args()
    from scripts.nginx import nginx_path

    missing = [name for name, found in (("nginx", nginx_path()), ("wrk", shutil.which("wrk"))) if not found]
    if missing:
        print(f"bench.site skipped: {' and '.join(missing)} not installed (apt-get install nginx wrk)")
        return
    if args.lighthouse and not Path(args.lighthouse).exists():
        args.lighthouse = None
    work = Path(tempfile.mkdtemp(prefix="bench-site-"))
    lines = [
        "",
        f"### The static site under load ({dt.date.today().isoformat()}, `python -m bench.site --rows {args.rows} "
        f"--duration {args.duration}`)",
        "",
    ]
    try:
        step(["generate", str(args.rows), str(work / "in"), "42"])
        step(["run", str(work / "in"), str(work / "w.duckdb")])
        publish(work / "w.duckdb", "2026-Q2", work / "public", 10, ROOT / "data/reference")
        site = build_site(work / "public")
        with serve(site, workers=2) as base:
            build_site(work / "public", f"{base}/")  # its own address, as PUBLIC_SITE_URL would give
            sizes = {lang: transfer(f"{base}/{lang}/") for lang in ("ar", "en")}
            for lang, s in sizes.items():
                total = sum(s.values())
                lines.append(
                    f"- `/{lang}/` transfers {total / 1024:.0f} KB: page {s['page'] / 1024:.0f} KB (gzip), "
                    f"stylesheet {s['css'] / 1024:.1f} KB, fonts {s['fonts'] / 1024:.0f} KB (target ≤ 300 KB)."
                )
            lines += [
                "",
                "| connections | requests/s | p50 | p95 | p99 | non-2xx | socket errors |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
            for c in (50, 500):
                r = wrk(f"{base}/ar/", c, args.duration)
                print(c, r, flush=True)
                lines.append(
                    f"| {c} | {r['rps']:,.0f} | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['p99_ms']:.1f} ms | "
                    f"{r['non_2xx']} | {r['socket_errors']} |"
                )
            lines.append("")
            for lang in ("ar", "en"):
                off, on = chromium_load(f"{base}/{lang}/", False), chromium_load(f"{base}/{lang}/", True)
                lines.append(
                    f"- Chromium loads `/{lang}/` (to the load event, no cache, median of 5): "
                    f"{off:.2f} s with JavaScript off, {on:.2f} s with it on (target ≤ 1.0 s)."
                )
            if args.lighthouse:
                for lang in ("ar", "en"):
                    scores = lighthouse(args.lighthouse, f"{base}/{lang}/")
                    print(lang, scores, flush=True)
                    lines.append(
                        f"- Lighthouse `/{lang}/`: "
                        + ", ".join(f"{k} {v}" for k, v in scores.items())
                        + " (targets: performance ≥ 95, accessibility 100, best practices ≥ 95, SEO ≥ 95)."
                    )
            else:
                lines.append("- Lighthouse: not found (npm install lighthouse, then --lighthouse PATH); not measured.")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
