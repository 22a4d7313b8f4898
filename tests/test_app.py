"""The app through Streamlit's AppTest, in both languages, over a warehouse built by the real ETL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts
from dashboard.i18n import LOCALE_DIR, isolate
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture
def app_env(built, monkeypatch: pytest.MonkeyPatch) -> Path:
    wh, _ = built
    monkeypatch.setenv("WAREHOUSE_PATH", str(wh))
    return wh


def _run(lang: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    at.query_params["start"] = "2000-01-01"  # before the first day: clamped to the data's span
    at.query_params["end"] = "2099-12-31"
    return at.run()


@pytest.mark.parametrize(
    "lang, title, metric",
    [
        ("ar", "نظرة عامة على المشاركات", "المشاركات"),
        ("en", "Participation overview", "Participations"),
        (None, "نظرة عامة على المشاركات", "المشاركات"),  # Arabic first
    ],
)
def test_overview_in_each_language(app_env: Path, lang: str | None, title: str, metric: str) -> None:
    import duckdb

    at = _run(lang)
    assert not at.exception
    assert at.title[0].value == title
    assert at.metric[0].label == metric
    n = duckdb.connect(str(app_env), read_only=True).execute("select count(*) from participation").fetchone()[0]
    assert at.metric[0].value == f"{n:,}"


def test_language_switch(app_env: Path) -> None:
    at = _run("ar")
    at.button_group(key="lang_switch").set_value("en").run()
    assert at.title[0].value == "Participation overview"
    assert at.metric[0].label == "Participations"
    at.button_group(key="lang_switch").set_value("ar").run()
    assert at.title[0].value == "نظرة عامة على المشاركات"


def test_missing_warehouse_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "none.duckdb"))
    at = _run("en")
    assert not at.exception
    assert "No data yet" in at.info[0].value


def test_locales_have_the_same_keys() -> None:
    ar = json.loads((LOCALE_DIR / "ar.json").read_text(encoding="utf-8"))
    en = json.loads((LOCALE_DIR / "en.json").read_text(encoding="utf-8"))
    assert set(ar) == set(en)
    from dashboard.i18n import forms

    assert all(f.strip() for k in ar for f in forms(ar[k]) + forms(en[k]))
    counted = {k for k in ar if isinstance(ar[k], dict)}
    assert counted == {k for k in en if isinstance(en[k], dict)}
    for k in counted:  # Arabic's six CLDR forms, English's two, counting the same placeholder
        assert set(ar[k]) == {"plural", "zero", "one", "two", "few", "many", "other"}, k
        assert set(en[k]) == {"plural", "one", "other"} and ar[k]["plural"] == en[k]["plural"], k


COUNTED = {  # every counted string, with the other values it takes
    "matches": {},
    "card_meta": {"theme": "T", "status": "S"},
    "export_note": {"total": "9", "xlsx": "9"},
    "channel_service_caption": {},
    "reason_field_count": {"found": "4"},
    "record_saved": {},
    "dq_orphan_corrections": {},
}
EXPECTED = {  # n: (the Arabic form, the English) of "matches"
    0: ("لا توجد مشاركات تطابق", "0 participations match"),
    1: ("مشاركة واحدة تطابق", "1 participation matches"),
    2: ("مشاركتان تطابقان", "2 participations match"),
    3: ("3 مشاركات تطابق", "3 participations match"),
    11: ("11 مشاركةً تطابق", "11 participations match"),
    100: ("100 مشاركة تطابق", "100 participations match"),
}


def test_every_counted_string_takes_the_form_its_count_needs() -> None:
    """CLDR plural rules through Babel: each counted string rendered for 0, 1, 2, 3, 11 and 100
    in both languages; Arabic's six forms each appear, English says "1 participation"."""
    from dashboard.i18n import plural_category, strings, t

    assert [plural_category("ar", n) for n in EXPECTED] == ["zero", "one", "two", "few", "many", "other"]
    assert [plural_category("en", n) for n in EXPECTED] == ["other", "one", "other", "other", "other", "other"]
    assert COUNTED.keys() == {k for k, v in strings("ar").items() if isinstance(v, dict)}
    for key, others in COUNTED.items():
        count = strings("ar")[key]["plural"]
        for lang in ("ar", "en"):
            for n in EXPECTED:
                shown = t(lang, key, **others, **{count: n})
                form = strings(lang)[key][plural_category(lang, n)]
                assert shown == form.format(**others, **{count: str(n)}) and "{" not in shown, (key, lang, n)
        # each text with its count written as N: Arabic's forms differ (zero and other may agree)
        ar = {t("ar", key, **others, **{count: n}).replace(str(n), "N") for n in EXPECTED}
        en = [t("en", key, **others, **{count: n}).replace(str(n), "N") for n in EXPECTED]
        assert len(ar) >= 5 and len(set(en)) == 2, (key, ar, en)
    for n, (ar_text, en_text) in EXPECTED.items():
        assert t("ar", "matches", n=n).startswith(ar_text) and t("en", "matches", n=n).startswith(en_text)
    assert t("en", "card_meta", theme="T", status="S", n=1).endswith("answering 1 participation")
    assert t("ar", "matches", n=1234) == "1,234 مشاركةً تطابق عوامل التصفية والبحث."  # 34: many
    with pytest.raises(TypeError, match="must be a number"):
        t("en", "matches", n="3")


def test_interface_strings_come_from_the_locale_files() -> None:
    """No Arabic string literal in the code that draws pages, the report or the snapshot: they
    come from the locale files. The language switch names each language in its own script."""
    import ast
    import re

    arabic = re.compile("[\u0600-\u06ff]")
    files = [ROOT / "app.py", *ROOT.glob("app_pages/*.py"), *ROOT.glob("dashboard/*.py")]
    files += [ROOT / "etl/report.py", ROOT / "etl/publish.py"]
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno} {node.value[:40]}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and arabic.search(node.value)
            and node.value not in ("Language · اللغة", "العربية", "، ")
        ]
    assert not found, found


def test_bar_chart_isolates_labels() -> None:
    import pandas as pd

    df = pd.DataFrame({"name": ["مركز الاتصال 1909", "Website"], "n": [5, 3]})
    spec = charts.bar(df, "name", "n", "القناة", "العدد", "desc").to_dict()
    assert spec["mark"]["type"] == "bar" and spec["description"] == "desc"
    values = spec["datasets"][next(iter(spec["datasets"]))]
    assert values[0]["name"] == isolate("مركز الاتصال 1909") == "\u2068مركز الاتصال 1909\u2069"
    assert spec["encoding"]["y"]["sort"] == "-x"


def test_stacked_bars_over_categories_lie_down_with_whole_names() -> None:
    import pandas as pd

    df = pd.DataFrame(
        {"theme": ["المشكلات التقنية وتسجيل الدخول", "أخرى"], "sentiment": ["سلبي", "محايد"], "n": [3, 9]}
    )
    spec = charts.stacked_bar(df, "theme", "n", "sentiment", "الموضوع", "العدد", "الانطباع", "d").to_dict()
    y, x = spec["encoding"]["y"], spec["encoding"]["x"]
    assert (y["field"], y["type"], y["sort"], y["axis"]["labelLimit"]) == ("theme", "nominal", "-x", 320)
    assert (x["field"], x["type"], x["stack"], x["axis"]["tickMinStep"]) == ("n", "quantitative", True, 1)
    values = spec["datasets"][next(iter(spec["datasets"]))]
    assert values[0]["theme"] == isolate("المشكلات التقنية وتسجيل الدخول")
    ordered = charts.stacked_bar(
        df, "theme", "n", "sentiment", "t", "n", "s", "d", order=["أخرى", "المشكلات التقنية وتسجيل الدخول"]
    )
    assert ordered.to_dict()["encoding"]["y"]["sort"] == [isolate("أخرى"), isolate("المشكلات التقنية وتسجيل الدخول")]
    weeks = df.assign(week=pd.to_datetime(["2026-08-31", "2026-09-07"]))
    upright = charts.stacked_bar(weeks, "week", "n", "sentiment", "w", "n", "s", "d").to_dict()
    enc = upright["encoding"]
    assert upright["mark"]["orient"] == "vertical"  # else Vega reads x to x2 as a lying bar, y unstacked
    assert enc["x"]["type"] == "temporal" and enc["y"]["field"] == "n" and enc["tooltip"][1]["field"] == "week"
    bars = pd.DataFrame(upright["datasets"][next(iter(upright["datasets"]))])
    start, end = pd.to_datetime(bars[enc["x"]["field"]]), pd.to_datetime(bars[enc["x2"]["field"]])
    # wide bars: four fifths of a week each, centred on the week's Monday (the axis tick)
    assert ((end - start) == pd.Timedelta(days=7) * 0.8).all()
    assert ((start + (end - start) / 2) == pd.to_datetime(bars["week"])).all()


def test_sentiment_keeps_its_colours_in_every_language() -> None:
    import pandas as pd

    from dashboard.charts import SENTIMENT_COLORS

    df = pd.DataFrame({"theme": ["a", "a", "a"], "sentiment": ["سلبي", "محايد", "إيجابي"], "n": [1, 2, 3]})
    palette = dict(zip(df["sentiment"], ["#c62828", "#9e9e9e", "#2e7d32"]))
    spec = charts.stacked_bar(df, "theme", "n", "sentiment", "x", "y", "c", "d", palette=palette).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"])) == {isolate(k): v for k, v in palette.items()}
    assert SENTIMENT_COLORS["negative"] == "#c62828" and SENTIMENT_COLORS["positive"] == "#2e7d32"


@pytest.mark.parametrize(("lang", "august"), [("ar", "أغسطس"), ("en", "Aug")])
def test_weekly_charts_read_dates_in_the_page_language(lang: str, august: str) -> None:
    import pandas as pd

    weeks = pd.DataFrame({"week": pd.to_datetime(["2026-08-31", "2026-09-07", "2026-09-14"]), "n": [5, 6, 7]})
    spec = charts.localised(charts.line(weeks, "week", "n", "w", "n", "d"), lang).to_dict()
    time = spec["config"]["locale"]["time"]
    assert len(time["months"]) == len(time["shortMonths"]) == 12 and len(time["days"]) == 7
    assert august in time["shortMonths"][7]  # the axis format %b names the month in the page's language
    axis = spec["encoding"]["x"]["axis"]
    assert axis["format"] == "%-d %b"
    # a tick on each week's Monday, where the points are (Vega's own week ticks fall on Sundays)
    assert [(v["year"], v["month"], v["date"]) for v in axis["values"]] == [(2026, 8, 31), (2026, 9, 7), (2026, 9, 14)]
    assert spec["encoding"]["tooltip"][0]["format"] == "%Y/%m/%d"
    years = pd.DataFrame({"week": pd.to_datetime(["2025-01-06", "2026-01-05"]), "n": [1, 2]})
    assert charts.line(years, "week", "n", "w", "n", "d").to_dict()["encoding"]["x"]["axis"]["format"] == "%b %Y"


def test_a_connection_in_use_outlives_two_warehouse_swaps(app_env: Path) -> None:
    """The connection cache keeps two warehouse versions. A session still rendering with the first
    when two more swaps evict it keeps a working connection: the cache never closes one itself."""
    import gc

    from dashboard import db

    db._connection.clear()
    held = db._connection(str(app_env), "v1")  # a long render holds it
    for version in ("v2", "v3"):
        db._connection(str(app_env), version)
    assert db._connection(str(app_env), "v1") is not held  # evicted: a new one for new sessions
    cur = held.cursor()
    assert cur.execute("select count(*) from warehouse.participation").fetchone()[0] > 0
    cur.close()
    gc.collect()
    db._connection.clear()
