"""The app's resident memory with a given warehouse: start it as `make run` does, open every page in
both languages in headless Chromium, then read the server's peak RSS (VmHWM) from /proc.

    python -m bench.app_memory --warehouse W.duckdb [--port 8599]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["", "channels", "moderation", "themes", "actions", "explorer", "data_quality"]


def rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--port", type=int, default=8599)
    args = ap.parse_args()
    env = {**os.environ, "WAREHOUSE_PATH": str(Path(args.warehouse).resolve())}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(args.port),
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        from scripts.screenshots import CHROMIUM_ARGS, chromium_path

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for lang in ("ar", "en"):
                page = browser.new_page()
                for name in PAGES:
                    page.goto(f"http://127.0.0.1:{args.port}/{name}?lang={lang}")
                    page.wait_for_selector("h1", timeout=60000)
                    page.wait_for_load_state("networkidle")
                page.close()
            browser.close()
        now, peak = rss_mb(server.pid)
        print(
            f"app server with {args.warehouse}: RSS now {now:,.0f} MB, peak {peak:,.0f} MB "
            f"after every page in both languages"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
