"""The public site: static, bilingual pages of every published snapshot, for any web server or CDN.

``build_site(OUT)`` (re)writes ``OUT/site/`` from the frozen versions under ``OUT`` only, never the
warehouse, so it shows nothing suppression did not pass:

- ``index.html`` (the language choice), ``{ar,en}/index.html`` (the latest period),
  ``{ar,en}/PERIOD/index.html`` (its latest version), ``{ar,en}/PERIOD/vN/index.html`` (each version),
  ``{ar,en}/publications.html`` (every period and version, with what changed between versions);
- ``data/PERIOD/vN/``: the version's files as published (JSON, CSV zip, PDF) for download;
- ``assets/site.HASH.css`` (named by content, so it can be cached for ever), ``feed.xml`` (Atom),
  ``sitemap.xml`` and ``robots.txt``.

Pages are Jinja2 templates with autoescaping; there is no script at all and no inline style, so a
strict Content-Security-Policy holds. Each chart is an SVG rendered at build time (vl-convert) with
a text alternative, and its data sits beside it as a table with a caption and scoped headers.

A version's files are checked against its ``manifest.json`` (SHA-256 of every file, written when it
was published) before anything is built; a version edited or damaged since is refused in one line.
The site is built beside the old one and swapped in by renaming a symbolic link, so a build that
fails halfway leaves the previous site serving.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import jinja2

from dashboard.i18n import hijri, isolate, t
from etl.errors import EtlError
from etl.retention import file_sha256

SITE = "site"
BUILDS = ".sites"
LANGS = ("ar", "en")
MANIFEST = "manifest.json"
DOWNLOADS = ("data.json", "open_data_csv.zip", "report.pdf", "datapackage.json")
TEMPLATES = Path(__file__).parent / "templates"
CHART_TABLES = (
    ("volume_by_channel", "participations"),
    ("volume_by_tool", "participations"),
    ("volume_by_theme", "participations"),
    ("volume_by_region", "participations"),
    ("removals_by_control", "removed"),
)


# -- manifests -------------------------------------------------------------------------------------
def write_manifest(folder: Path) -> None:
    """Record the SHA-256 of every file of a version (before it is frozen)."""
    files = {p.relative_to(folder).as_posix(): file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    (folder / MANIFEST).write_text(json.dumps({"files": files}, indent=1), encoding="utf-8")


def verify(folder: Path) -> None:
    """Refuse a version whose files no longer match its manifest (edited by hand, or damaged)."""
    path = folder / MANIFEST
    if not path.exists():
        raise EtlError(f"{folder}: no {MANIFEST}; its files cannot be checked")
    files = json.loads(path.read_text(encoding="utf-8"))["files"]
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    for name in sorted(present ^ set(files)):
        raise EtlError(f"{folder / name}: {'not in' if name in present else 'missing from'} the version's manifest")
    for name, digest in files.items():
        if file_sha256(folder / name) != digest:
            raise EtlError(f"{folder / name}: changed since it was published (SHA-256 differs from {MANIFEST})")


# -- reading the snapshots -------------------------------------------------------------------------
@dataclass(frozen=True)
class Version:
    period: str
    number: int
    folder: Path
    data: dict


def _versions(out: Path) -> list[Version]:
    found = []
    for period_dir in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != SITE):
        for vdir in sorted(period_dir.glob("v*"), key=lambda p: int(p.name[1:]) if p.name[1:].isdigit() else -1):
            if not vdir.name[1:].isdigit() or not (vdir / "data.json").exists():
                continue
            if not (vdir / MANIFEST).exists():
                continue  # published before manifests: not shown (see unverifiable)
            verify(vdir)
            data = json.loads((vdir / "data.json").read_text(encoding="utf-8"))
            found.append(Version(period_dir.name, int(vdir.name[1:]), vdir, data))
    return found


def unverifiable(out: Path) -> list[Path]:
    """Versions published before manifests existed: the site leaves them out, and says so."""
    if not out.is_dir():
        return []
    return sorted(
        v
        for period_dir in out.iterdir()
        if period_dir.is_dir() and not period_dir.name.startswith(".") and period_dir.name != SITE
        for v in period_dir.glob("v*")
        if (v / "data.json").exists() and not (v / MANIFEST).exists()
    )


# -- rendering -------------------------------------------------------------------------------------
@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["count"] = _count
    env.filters["iso"] = isolate  # a period or date keeps its order inside Arabic text
    env.filters["share"] = lambda v: "" if v is None else f"{float(v):.1%}"
    env.filters["decimal"] = lambda v: "" if v is None else f"{float(v):,.1f}"
    return env


def _count(value: object) -> str:
    return "" if value is None else f"{int(value):,}"


def _chart_svg(rows: list[dict], value: str, lang: str, title: str) -> str | None:
    """A bar chart of the published rows as SVG markup (vl-convert, at build time); None if none.
    A version's charts appear on up to three pages (its own, its period's, the language's index):
    each is rendered once."""
    return _chart_svg_once(json.dumps(rows, ensure_ascii=False, sort_keys=True), value, lang, title)


@lru_cache(maxsize=512)
def _chart_svg_once(rows_json: str, value: str, lang: str, title: str) -> str | None:
    import pandas as pd
    import vl_convert as vlc

    from dashboard import charts
    from etl.report import FONT, _register_font

    rows = json.loads(rows_json)
    df = pd.DataFrame([r for r in rows if r["code"] != "total" and r.get(value) is not None])
    if df.empty or df[value].sum() == 0:
        return None
    chart = charts.bar(df, f"name_{lang}", value, "", t(lang, "report_count"), title).properties(width=520)
    _register_font()
    spec = chart.configure(font=FONT).to_dict()
    if lang == "ar":  # read right to left: names on the right, bars growing leftwards
        spec["encoding"]["x"]["scale"] = {"reverse": True}
        spec["encoding"]["y"].setdefault("axis", {})["orient"] = "right"
    svg = vlc.vegalite_to_svg(spec)
    return svg.replace("<svg ", '<svg role="img" aria-hidden="true" focusable="false" ', 1)


def _page(lang: str, v: Version, all_versions: list[Version], root: str, css: str, path: str, base: str) -> str:
    data = v.data
    tables = {table["code"]: table for table in data["dictionary"]["tables"]}
    charts = []
    for code, value in CHART_TABLES:
        rows = data.get(code, [])
        title = tables[code][f"name_{lang}"]
        charts.append(
            {
                "code": code,
                "title": title,
                "svg": _chart_svg(rows, value, lang, title),
                "rows": rows,
                "value": value,
            }
        )
    meta = data["metadata"]
    other = "en" if lang == "ar" else "ar"
    latest = max(x.number for x in all_versions if x.period == v.period)
    return (
        _env()
        .get_template("period.html")
        .render(
            lang=lang,
            dir="rtl" if lang == "ar" else "ltr",
            other=other,
            t=lambda key, **kw: t(lang, key, **kw),
            root=root,
            css=css,
            meta=meta,
            head=data["headline"],
            charts=charts,
            outcomes=data["outcomes_by_channel"],
            responsiveness=data["responsiveness_by_channel"],
            satisfaction={r["code"]: r for r in data["satisfaction_by_channel"]},
            polls=data["poll_results"],
            actions=data["actions"],
            metrics=data["dictionary"]["metrics"],
            base=base,
            metric_names={m["code"]: m[f"name_{lang}"] for m in data["dictionary"]["metrics"]},
            path=path,
            tables=tables,
            period=v.period,
            number=v.number,
            latest=latest,
            first_hijri=hijri(dt.date.fromisoformat(meta["first_day"])),
            last_hijri=hijri(dt.date.fromisoformat(meta["last_day"])),
            published_day=meta["published_at"][:10],
            published_hijri=hijri(dt.date.fromisoformat(meta["published_at"][:10])),
            downloads=[(name, f"{root}data/{v.period}/v{v.number}/{name}") for name in DOWNLOADS],
            csv_files=[
                (
                    tables[p.stem][f"name_{lang}"] if p.stem in tables else p.stem,
                    f"{root}data/{v.period}/v{v.number}/csv/{p.name}",
                )
                for p in sorted((v.folder / "csv").glob("*.csv"))
                if p.stat().st_size
            ],
            versions=[x for x in all_versions if x.period == v.period],
        )
    )


def _changes(versions: list[Version]) -> list[dict]:
    """What changed between consecutive versions of a period: the headline figures that differ."""
    out = []
    for v in versions:
        before = next((p for p in reversed(versions) if p.period == v.period and p.number < v.number), None)
        diff = []
        if before is not None:
            for key, value in v.data["headline"].items():
                old = before.data["headline"].get(key)
                if old != value:
                    diff.append({"key": key, "old": old, "new": value})
        out.append({"version": v, "changes": diff, "previous": before})
    return out


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build_site(out: Path, base_url: str | None = None) -> Path:
    """(Re)write ``out/site`` from the versions under ``out``; returns the site's folder.
    ``base_url``: the address it is served from (default: the PUBLIC_SITE_URL setting)."""
    if base_url is None:
        from core import settings

        base_url = settings.get("PUBLIC_SITE_URL")
    if not out.is_dir():
        raise EtlError(f"{out}: no published snapshots there; publish a period first")
    # One build at a time: a second publish's build waits, then builds with both versions. A build
    # killed midway leaves a folder in .sites that the next build removes.
    with (out / ".site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        all_versions = _versions(out)
        if not all_versions:
            raise EtlError(f"{out}: no published snapshots there; publish a period first")
        builds = out / BUILDS
        builds.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="site-", dir=builds))
        try:
            _build(tmp, all_versions, base_url)
            _swap(out, tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out / SITE


CSS_PLACEHOLDER = "__SITE_CSS__"  # the stylesheet's name, known once every page's text is (fonts)


def _build(site: Path, all_versions: list[Version], base_url: str) -> None:
    base = base_url.rstrip("/") + "/"
    (site / "assets").mkdir()
    css_name = CSS_PLACEHOLDER
    latest_period = max(all_versions, key=lambda v: (v.data["metadata"]["last_day"], v.period)).period
    latest = {v.period: v for v in all_versions}  # sorted by number: the last one wins
    env = _env()
    urls = []
    for lang in LANGS:
        common = {
            "lang": lang,
            "dir": "rtl" if lang == "ar" else "ltr",
            "t": lambda key, _l=lang, **kw: t(_l, key, **kw),
        }
        for v in all_versions:
            path = f"{v.period}/v{v.number}/"
            html = _page(lang, v, all_versions, "../../../", f"../../../assets/{css_name}", path, base)
            _write(site / lang / v.period / f"v{v.number}" / "index.html", html)
            urls.append(f"{lang}/{v.period}/v{v.number}/")
        for period, v in latest.items():
            html = _page(lang, v, all_versions, "../../", f"../../assets/{css_name}", f"{period}/", base)
            _write(site / lang / period / "index.html", html)
            urls.append(f"{lang}/{period}/")
        html = _page(lang, latest[latest_period], all_versions, "../", f"../assets/{css_name}", "", base)
        _write(site / lang / "index.html", html)
        urls.append(f"{lang}/")
        listing = env.get_template("publications.html").render(
            **common,
            other="en" if lang == "ar" else "ar",
            root="../",
            css=f"../assets/{css_name}",
            base=base,
            path="publications.html",
            entries=_changes(all_versions),
        )
        _write(site / lang / "publications.html", listing)
        urls.append(f"{lang}/publications.html")
    _write(site / "index.html", env.get_template("index.html").render(css=f"assets/{css_name}", t=t, base=base))
    for v in all_versions:
        target = site / "data" / v.period / f"v{v.number}"
        target.mkdir(parents=True)
        for name in DOWNLOADS:
            if (v.folder / name).exists():
                shutil.copyfile(v.folder / name, target / name)
        if (v.folder / "csv").is_dir():
            shutil.copytree(v.folder / "csv", target / "csv")
    _write(site / "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n")
    _write(site / "sitemap.xml", env.get_template("sitemap.xml").render(base=base, urls=["", *urls]))
    feed = sorted(all_versions, key=lambda v: v.data["metadata"]["published_at"], reverse=True)
    _write(site / "feed.xml", env.get_template("feed.xml").render(base=base, versions=feed, t=t))
    _assets(site)
    for p in site.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    site.chmod(0o755)


def _assets(site: Path) -> None:
    """Fonts subset to the characters the pages use, and the stylesheet, each named by its content's
    hash (cached for ever); then every page is pointed at the stylesheet."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    from etl.report import FONT, font_dir

    pages = sorted(site.rglob("*.html"))
    text = "".join(sorted({ch for p in pages for ch in p.read_text(encoding="utf-8")}))
    faces = []
    for weight, name in ((400, "Regular"), (700, "Bold")):
        options = subset.Options()
        options.flavor = "woff"
        options.layout_features = ["*"]  # Arabic shaping needs its joining forms and ligatures
        font = TTFont(font_dir() / f"IBMPlexSansArabic-{name}.ttf")
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        buf = io.BytesIO()
        font.flavor = "woff"
        font.save(buf)
        data = buf.getvalue()
        file = f"plex-arabic-{name.lower()}.{hashlib.sha256(data).hexdigest()[:12]}.woff"
        (site / "assets" / file).write_bytes(data)
        faces.append(
            f'@font-face {{ font-family: "{FONT}"; src: url("{file}") format("woff"); '
            f"font-weight: {weight}; font-style: normal; font-display: swap; }}\n"
        )
    icon = (TEMPLATES / "favicon.svg").read_bytes()
    (site / "favicon.svg").write_bytes(icon)
    css = ("".join(faces) + (TEMPLATES / "site.css").read_text(encoding="utf-8")).encode("utf-8")
    css_name = f"site.{hashlib.sha256(css).hexdigest()[:12]}.css"
    (site / "assets" / css_name).write_bytes(css)
    for p in pages:
        p.write_text(p.read_text(encoding="utf-8").replace(CSS_PLACEHOLDER, css_name), encoding="utf-8")


def _swap(out: Path, new: Path) -> None:
    """Point ``out/site`` at ``new`` in one rename, then remove the builds no longer pointed at."""
    link = out / SITE
    if link.exists() and not link.is_symlink():
        raise EtlError(f"{link}: a folder, not the link the site builder keeps; move it away, then publish again")
    tmp_link = out / f".{SITE}-{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    tmp_link.symlink_to(new.relative_to(out))
    os.replace(tmp_link, link)
    for old in (out / BUILDS).iterdir():
        if old.resolve() != new.resolve():
            shutil.rmtree(old, ignore_errors=True)
