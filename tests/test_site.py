"""The static public site: built from the frozen snapshots only, bilingual, script-free, every link
resolving, every version checked against its manifest, swapped in whole."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from etl.cli import main
from etl.errors import EtlError
from etl.publish import publish
from etl.site import build_site
from tests.conftest import REFERENCE
from tests.test_publish import CANARY_PII, THRESHOLD, planted  # noqa: F401 (a fixture)


class Page(HTMLParser):
    """The parts of a page the checks read: tags with attributes, text, tables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self.tables.append({"caption": "", "rows": [], "scoped": 0, "th": 0})
        elif tag == "caption" and self.tables:
            self._caption = True
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self.tables:
            self._cell = []
            if tag == "th":
                self.tables[-1]["th"] += 1
                self.tables[-1]["scoped"] += a.get("scope") in ("row", "col")

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._caption = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._caption:
            self.tables[-1]["caption"] += data
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


BASE = "https://participation.example.gov.sa/"


@pytest.fixture(scope="module")
def out(planted: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    folder = tmp_path_factory.mktemp("site")
    publish(planted, "2026-Q2", folder, THRESHOLD, REFERENCE)
    publish(planted, "2026-05", folder, THRESHOLD, REFERENCE)
    publish(planted, "2026-Q2", folder, THRESHOLD, REFERENCE)
    build_site(folder, BASE)
    return folder


def test_the_site_has_every_page_in_both_languages(out: Path) -> None:
    site = out / "site"
    for lang in ("ar", "en"):
        for page in (
            "index.html",
            "publications.html",
            "2026-Q2/index.html",
            "2026-Q2/v1/index.html",
            "2026-Q2/v2/index.html",
            "2026-05/index.html",
            "2026-05/v1/index.html",
        ):
            assert (site / lang / page).is_file(), (lang, page)
    assert (site / "index.html").is_file() and (site / "favicon.svg").is_file()
    assert (site / "robots.txt").read_text(encoding="utf-8").endswith(f"Sitemap: {BASE}sitemap.xml\n")
    locs = [
        e.text
        for e in ET.parse(site / "sitemap.xml").getroot().iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert locs and all(loc.startswith(BASE) and (site / loc.removeprefix(BASE)).exists() for loc in locs)
    for name in ("feed.xml", "sitemap.xml"):
        ET.parse(site / name)  # well-formed
    feed = ET.parse(site / "feed.xml").getroot()
    assert len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == 3
    css = list((site / "assets").glob("site.*.css"))
    assert len(css) == 1 and hashlib.sha256(css[0].read_bytes()).hexdigest()[:12] in css[0].name
    for period, v in (("2026-Q2", "v2"), ("2026-05", "v1")):
        for name in ("data.json", "open_data_csv.zip", "report.pdf"):
            assert (site / "data" / period / v / name).read_bytes() == (out / period / v / name).read_bytes()


def test_pages_are_right_to_left_in_arabic_script_free_and_every_link_resolves(out: Path) -> None:
    site = out / "site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 15
    for path in pages:
        page = parse(path)
        html = dict(page.tags[0][1]) if page.tags[0][0] == "html" else {}
        lang = path.relative_to(site).parts[0] if len(path.relative_to(site).parts) > 1 else "ar"
        assert html.get("lang") == lang and html.get("dir") == ("rtl" if lang == "ar" else "ltr"), path
        for tag, attrs in page.tags:
            assert tag not in ("script", "style", "iframe"), (path, tag)  # a strict CSP holds
            assert "style" not in attrs and not any(k.startswith("on") for k in attrs), (path, tag, attrs)
            for attr in ("href", "src"):
                target = attrs.get(attr)
                if target is None or target.startswith("#"):
                    continue
                if "://" in target:  # only the page's own addresses (hreflang), never another host
                    assert target.startswith(BASE) and tag == "link", (path, target)
                    resolved = (site / target.removeprefix(BASE)).resolve()
                else:
                    resolved = (path.parent / target).resolve()
                if resolved.is_dir():
                    resolved = resolved / "index.html"
                assert resolved.is_file(), (path, target)
                assert site.resolve() in resolved.parents, (path, target)
        alternates = {
            a["hreflang"] for t, a in page.tags if t == "link" and a.get("rel") == "alternate" and "hreflang" in a
        }
        assert alternates >= ({"ar", "en"} if path.parent == site else {"en" if lang == "ar" else "ar"}), path
        for table in page.tables:
            assert table["caption"].strip() and table["scoped"] == table["th"], path


def test_the_site_shows_the_snapshots_figures_and_nothing_else(out: Path) -> None:
    site = out / "site"
    data = json.loads((out / "2026-Q2" / "v2" / "data.json").read_text(encoding="utf-8"))
    for lang in ("ar", "en"):
        page = parse(site / lang / "2026-Q2" / "index.html")
        text = " ".join(page.text)
        assert f"{data['headline']['participations']:,}" in text
        table = next(t for t in page.tables if len(t["rows"]) == len(data["volume_by_channel"]) + 1)
        shown = [row[1] for row in table["rows"][1:]]
        expected = [
            f"{r['participations']:,}" if r["participations"] is not None else None for r in data["volume_by_channel"]
        ]
        suppressed = "محجوب" if lang == "ar" else "suppressed"
        assert shown == [e if e is not None else suppressed for e in expected]
    # removals by control carry the policy's own words for each control
    controls = next(t for t in parse(site / "en" / "2026-Q2" / "index.html").tables if "policy" in t["rows"][0][-1])
    assert any("laws and regulations" in row[-1] for row in controls["rows"][1:])
    everything = b"".join(p.read_bytes() for p in site.rglob("*") if p.is_file())
    for canary in (b"CANARY", *(c.encode() for c in CANARY_PII)):
        assert canary not in everything


def test_an_edited_version_is_refused_and_the_old_site_keeps_serving(out: Path, tmp_path: Path) -> None:
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    before = os.readlink(copy / "site")
    data = copy / "2026-05" / "v1" / "data.json"
    data.parent.chmod(0o755)
    data.chmod(0o644)
    data.write_text(data.read_text(encoding="utf-8").replace('"participations": ', '"participations": 1'), "utf-8")
    with pytest.raises(EtlError, match=r"2026-05/v1/data.json: changed since it was published"):
        build_site(copy)
    assert os.readlink(copy / "site") == before and (copy / "site" / "ar" / "index.html").is_file()
    assert [p.name for p in (copy / ".sites").iterdir()] == [Path(before).name]


def test_a_build_that_fails_halfway_leaves_the_previous_site(out: Path, tmp_path: Path, monkeypatch) -> None:
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    before = os.readlink(copy / "site")
    import etl.site

    def broken(site: Path, *args) -> None:
        (site / "half.html").write_text("half", encoding="utf-8")
        raise OSError("No space left on device")

    monkeypatch.setattr(etl.site, "_build", broken)
    with pytest.raises(OSError):
        build_site(copy)
    assert os.readlink(copy / "site") == before
    assert not (copy / "site" / "half.html").exists()
    assert [p.name for p in (copy / ".sites").iterdir()] == [Path(before).name]


def test_cli_site_and_its_error(out: Path, tmp_path: Path, capsys) -> None:
    assert main(["site", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no published snapshots" in err[0]
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    # a version from before manifests: left out of the site, and named
    legacy = copy / "2026-05" / "v1"
    legacy.chmod(0o755)
    (legacy / "manifest.json").chmod(0o644)
    (legacy / "manifest.json").unlink()
    assert main(["site", "--out", str(copy)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {legacy} has no manifest.json" in err
    assert (copy / "site" / "en" / "index.html").is_file() and not (copy / "site" / "en" / "2026-05").exists()


# -- served by Debian's nginx with the shipped configuration --------------------------------------
@pytest.fixture()
def nginx(out: Path):
    """deploy/nginx/site.conf, as shipped but for the port and the root (scripts/nginx.py)."""
    from scripts.nginx import nginx_path, serve

    if nginx_path() is None:
        pytest.skip("nginx is not installed (apt-get install nginx); CI installs it")
    with serve(out / "site") as url:
        yield url


def _get(url: str, gzip: bool = False):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, b""


def test_nginx_serves_the_site_with_caching_compression_and_security_headers(nginx: str, out: Path) -> None:
    status, headers, body = _get(f"{nginx}/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    for lang in ("ar", "en"):
        status, headers, body = _get(f"{nginx}/{lang}/")
        assert status == 200 and f'lang="{lang}"'.encode() in body
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src" not in csp and "default-src 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
        assert "max-age=300" in headers["Cache-Control"]
    css = next((out / "site" / "assets").glob("site.*.css")).name
    status, headers, _ = _get(f"{nginx}/assets/{css}")
    assert status == 200 and "immutable" in headers["Cache-Control"] and headers["Content-Type"] == "text/css"
    status, headers, body = _get(f"{nginx}/ar/", gzip=True)
    assert headers["Content-Encoding"] == "gzip" and len(body) < len((out / "site" / "ar" / "index.html").read_bytes())
    assert _get(f"{nginx}/ar/2026-Q2/v1/")[0] == 200
    assert _get(f"{nginx}/data/2026-Q2/v2/data.json")[0] == 200
    assert _get(f"{nginx}/no/such/page")[0] == 404


def test_each_version_is_a_valid_data_package_with_its_tables(out: Path) -> None:
    from frictionless import validate

    for folder in (out / "site" / "data" / "2026-Q2" / "v2", out / "2026-05" / "v1"):
        package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        report = validate(folder / "datapackage.json")
        assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "note"])[:5]
        names = {r["path"] for r in package["resources"]}
        assert {"csv/volume_by_channel.csv", "csv/outcomes_by_channel.csv", "csv/dictionary.csv"} <= names
        fields = {
            f["name"]: f["type"]
            for r in package["resources"]
            for f in r["schema"]["fields"]
            if r["path"] == "csv/volume_by_channel.csv"
        }
        assert fields["participations"] == "integer" and fields["name_ar"] == "string"


def test_fonts_are_self_hosted_subset_and_named_by_content(out: Path) -> None:
    site = out / "site"
    css = next((site / "assets").glob("site.*.css")).read_text(encoding="utf-8")
    fonts = sorted((site / "assets").glob("*.woff"))
    assert len(fonts) == 2
    for font in fonts:
        assert hashlib.sha256(font.read_bytes()).hexdigest()[:12] in font.name
        assert f'url("{font.name}")' in css
        assert font.stat().st_size < 80_000  # subset: the full face is several times larger
    from fontTools.ttLib import TTFont

    cmap = TTFont(fonts[0]).getBestCmap()
    page = (site / "ar" / "index.html").read_text(encoding="utf-8")
    assert all(ord(ch) in cmap for ch in "المشاركات") and len(cmap) < 400
    assert "__SITE_CSS__" not in page


# -- in Debian's chromium --------------------------------------------------------------------------
@pytest.mark.parametrize("width", [1280, 360])
def test_the_site_in_chromium_passes_axe_reads_without_javascript_and_fits_a_phone(out: Path, width: int) -> None:
    from scripts.browser import CHROMIUM_ARGS, chromium_path

    if chromium_path() is None:
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    site = out / "site"
    pages = ["ar/index.html", "en/index.html", "ar/2026-Q2/v1/index.html", "en/publications.html", "index.html"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for js in (True, False):
                ctx = browser.new_context(java_script_enabled=js, viewport={"width": width, "height": 900})
                page = ctx.new_page()
                for rel in pages:
                    page.goto((site / rel).as_uri(), wait_until="load")
                    assert page.locator("h1").first.inner_text().strip(), rel  # reads with JavaScript off
                    overflow = page.evaluate("document.documentElement.scrollWidth") - width
                    assert overflow <= 1, (rel, width, overflow)  # wide tables scroll inside themselves
                    if js:
                        violations = Axe().run(page).response["violations"]
                        assert violations == [], [(v["id"], v["impact"], v["nodes"][0]["target"]) for v in violations]
                ctx.close()
        finally:
            browser.close()


def test_two_builds_at_once_leave_one_whole_site(out: Path, tmp_path: Path) -> None:
    """Two publishes finishing together: the second build waits for the first, and the site that
    stays is whole, with one build folder behind it."""
    import threading

    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    errors: list[BaseException] = []

    def build() -> None:
        try:
            build_site(copy, BASE)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert errors == []
    assert len(list((copy / ".sites").iterdir())) == 1
    assert len(list((copy / "site").rglob("*.html"))) == 15
