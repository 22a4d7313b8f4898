"""Screenshots of the running app's pages in headless Chromium, in Arabic and English.

    python -m scripts.screenshots --url http://127.0.0.1:8501 --out artifacts/screenshots

Uses Debian's chromium (/usr/bin/chromium); Playwright never downloads a browser here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from scripts.browser import CHROMIUM_ARGS, PHONE_USER_AGENT, chromium_path, wait_until_ready


def shoot(
    url: str, out: Path, pages: list[str], langs: tuple[str, ...] = ("ar", "en"), width: int = 1400, height: int = 1000
) -> list[Path]:
    exe = chromium_path()
    if not exe:
        raise SystemExit("no chromium found: apt-get install chromium")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        for lang in langs:
            # narrower than a tablet: a phone's browser, which says so (the app lays tables out for it)
            phone = {"user_agent": PHONE_USER_AGENT} if width < 640 else {}
            ctx = browser.new_context(viewport={"width": width, "height": height}, locale=lang, **phone)
            page = ctx.new_page()
            for name in pages:
                path = "" if name == "overview" else name
                page.goto(f"{url}/{path}?lang={lang}")
                page.wait_for_load_state("networkidle")
                wait_until_ready(page)  # charts and tables arrive after the first paint
                page.wait_for_timeout(500)
                target = out / f"{name}_{lang}_{width}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
            ctx.close()
        browser.close()
    return written


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8501")
    ap.add_argument("--out", default="artifacts/screenshots")
    ap.add_argument("--pages", default="overview")
    ap.add_argument("--width", type=int, default=1400, help="viewport width (390 for a phone)")
    ap.add_argument("--height", type=int, default=1000)
    args = ap.parse_args()
    for f in shoot(args.url, Path(args.out), args.pages.split(","), width=args.width, height=args.height):
        print(f)
