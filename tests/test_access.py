"""Who sees what: public mode, roles, login, and the public page over a published snapshot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import access
from etl.publish import publish
from tests.conftest import REFERENCE, ROOT

APP = str(ROOT / "app.py")
CANARIES = ("CANARY-RAW-COMMENT", "0551234567", "canary.person@example.com")
INTERNAL = [p.path for p in access.PAGES if p.key != "public"]
AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "id",
        "client_secret": "secret",
        "server_metadata_url": "https://login.example/.well-known/openid-configuration",
    }
}


@pytest.fixture(scope="module")
def published(built, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A warehouse with raw comments and personal data planted, and a snapshot published from it."""
    wh, _ = built
    copy = tmp_path_factory.mktemp("acc") / "w.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    con.execute("update participation set text_redacted = ? where rowid % 5 = 0", [" ".join(CANARIES)])
    con.close()
    out = tmp_path_factory.mktemp("snap")
    publish(copy, "2026-Q2", out, 10, REFERENCE)
    publish(copy, "2026-Q3", out, 10, REFERENCE)
    return copy, out


@pytest.fixture
def env(published, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    wh, out = published
    monkeypatch.setenv("WAREHOUSE_PATH", str(wh))
    monkeypatch.setenv("PUBLIC_SNAPSHOT_PATH", str(out))
    roles = tmp_path / "roles.yaml"
    roles.write_text("analyst:\n  - ana@agency.example\nexecutive:\n  - '@agency.example'\n", encoding="utf-8")
    monkeypatch.setenv("ROLES_PATH", str(roles))
    return wh, out


def _app(lang: str = "ar", user: dict | None = None, login: bool = False, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    for k, v in params.items():
        at.query_params[k] = v
    if login:
        at.secrets.update(AUTH)
    if user is not None:
        at.user = user
    return at.run()


def _shown(at: AppTest) -> str:
    """Every text the page shows: titles, captions, metrics, plain text and table cells."""
    parts = [
        e.value
        for kind in ("title", "subheader", "caption", "text", "info", "warning", "error")
        for e in getattr(at, kind)
    ]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [df.value.to_csv() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def _reachable(at: AppTest) -> set[str]:
    """The pages this session can open: in its navigation, and rendering their own title when
    switched to (a stopped script registers no navigation, and shows no page)."""
    ok = set()
    for path in [p.path for p in access.PAGES]:
        try:
            at.switch_page(path)
        except ValueError:  # not in this session's navigation at all
            continue
        at.run()
        if at.title and not at.exception:
            ok.add(path)
    return ok


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_public_mode_serves_only_the_snapshot(env, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    monkeypatch.setenv("DASHBOARD_MODE", "public")
    at = _app(lang)
    assert not at.exception, at.exception[0].value if at.exception else ""
    assert (
        at.title[0].value
        == {
            "ar": "المشاركة الإلكترونية: ماذا سمعنا وماذا فعلنا",
            "en": "E-participation: what we heard and what we did",
        }[lang]
    )
    assert not at.sidebar.multiselect and not at.sidebar.date_input  # no internal filters
    shown = _shown(at)
    assert at.metric and not any(c in shown for c in CANARIES)
    assert _reachable(at) == {"app_pages/public.py"}  # no URL or switch_page reaches an internal page
    import streamlit as st

    assert st.get_option("client.showErrorDetails") == "none" and st.get_option("client.toolbarMode") == "viewer"
    assert st.get_option("browser.gatherUsageStats") is False
    with pytest.raises(access.AccessError):
        from dashboard.db import warehouse_path

        warehouse_path()


def test_public_page_follows_the_period_in_the_url(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_MODE", "public")
    at = _app("en", period="2026-Q2")
    assert at.selectbox[0].value == "2026-Q2"
    assert "Version 1" in at.caption[0].value
    at.selectbox[0].set_value("2026-Q3").run()
    assert at.query_params["period"] == "2026-Q3" and not at.exception
    labels = {b.label for b in at.get("download_button")}
    assert {"Open data (JSON with dictionary)", "Open data (CSV, zip)", "Transparency report (PDF)"} <= labels


def test_suppressed_counts_show_as_suppressed(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_MODE", "public")
    _, out = env
    data = json.loads((out / "2026-Q2" / "v1" / "data.json").read_text(encoding="utf-8"))
    hidden = [r["name_en"] for r in data["volume_by_region"] if r["participations"] is None]
    at = _app("en", period="2026-Q2")
    tables = "\n".join(df.value.to_csv() for df in at.dataframe)
    assert all(f"{name},suppressed" in tables for name in hidden)
    # each table and chart names what it counts by, not a generic "Name"
    headers = [tuple(df.value.columns) for df in at.dataframe]
    assert {("Channel", "Participations"), ("Region", "Participations"), ("Theme", "Participations")} <= set(headers)
    assert ("Control", "Removals") in headers and not any("Name" in h for h in headers)
    # the figures, written out beside the word "suppressed", align right as numbers do; names do not
    config = {k: v for df in at.dataframe for k, v in json.loads(df.proto.columns or "{}").items()}
    aligned = {k for k, v in config.items() if v.get("alignment") == "right"}
    assert {"Participations", "Removals", "Share answered", "Average rating"} <= aligned
    assert not aligned & {"Channel", "Region", "Theme", "Control"}


def test_local_mode_is_one_analyst_with_a_banner(env) -> None:
    at = _app("en")
    assert "Local single-user mode" in at.warning[0].value
    assert _reachable(at) == {p.path for p in access.PAGES}


@pytest.mark.parametrize(
    ("email", "pages"),
    [
        (
            "boss@agency.example",
            {
                "app_pages/overview.py",
                "app_pages/channels.py",
                "app_pages/moderation.py",
                "app_pages/themes.py",
                "app_pages/actions.py",
                "app_pages/public.py",
            },
        ),
        ("ana@agency.example", {p.path for p in access.PAGES}),
    ],
)
def test_each_role_sees_exactly_its_pages(env, email: str, pages: set[str]) -> None:
    at = _app("en", user={"is_logged_in": True, "email": email, "email_verified": True}, login=True)
    assert not at.exception, at.exception[0].value if at.exception else ""
    assert not at.warning  # no local-mode banner once login is configured
    assert _reachable(at) == pages
    assert any(email in c.value for c in at.sidebar.caption)


def test_logged_out_and_unknown_users_see_no_page(env) -> None:
    at = _app("en", user={"is_logged_in": False}, login=True)
    assert "Sign in" in at.info[0].value and not at.metric and _reachable(at) == set()
    at = _app(
        "en", user={"is_logged_in": True, "email": "stranger@elsewhere.example", "email_verified": True}, login=True
    )
    assert "has no role" in at.error[0].value and not at.metric and _reachable(at) == set()


@pytest.mark.parametrize(
    ("claim", "pages"),
    [
        ({"email_verified": True}, {p.path for p in access.PAGES}),
        ({"email_verified": "true"}, {p.path for p in access.PAGES}),  # Amazon Cognito sends a string
        ({"email_verified": False}, set()),
        ({"email_verified": "false"}, set()),
        ({}, set()),  # no claim at all: not verified
    ],
)
def test_a_role_needs_a_verified_email(env, claim: dict, pages: set[str]) -> None:
    """The nOAuth hole: an e-mail the provider did not verify gets no role, by e-mail or by @domain."""
    for email in ("ana@agency.example", "boss@agency.example"):
        at = _app("en", user={"is_logged_in": True, "email": email, **claim}, login=True)
        assert not at.exception, at.exception[0].value if at.exception else ""
        if pages:
            assert _reachable(at) >= {"app_pages/public.py"} and not at.error
        else:
            assert _reachable(at) == set() and not at.metric
            assert "not verified" in at.error[0].value and email in at.error[0].value
    at = _app("en", user={"is_logged_in": True, "email": "ana@agency.example", **claim}, login=True)
    assert _reachable(at) == pages


def test_roles_file_rules(tmp_path: Path) -> None:
    p = tmp_path / "roles.yaml"
    p.write_text("analyst: [A@X.example]\nexecutive: ['@x.example']\n", encoding="utf-8")
    roles = access.load_roles(p)
    assert access.role_for("a@x.example", roles, True) == "analyst"  # own entry beats the domain
    assert access.role_for("b@X.EXAMPLE", roles, True) == "executive"
    assert access.role_for("b@y.example", roles, True) is None and access.role_for(None, roles, True) is None
    assert access.role_for("a@x.example", roles) is None  # unverified by default
    p.write_text("admin: [a@x.example]\n", encoding="utf-8")
    with pytest.raises(access.AccessError, match="unknown role"):
        access.load_roles(p)
    with pytest.raises(access.AccessError, match="no roles file"):
        access.load_roles(tmp_path / "none.yaml")


def test_bad_mode_is_refused(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_MODE", "everything")
    at = _app("en")
    assert "DASHBOARD_MODE" in at.error[0].value and _reachable(at) == set()


def test_riyadh_time_at_one_in_the_morning(env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """At 01:00 in Riyadh (22:00 UTC the day before) the period's "today", published_at, its Hijri
    date and the public page all read Riyadh's date, not the server's UTC one."""
    import datetime as dt

    from core import clock
    from etl.cli import main

    wh, _ = env
    frozen = dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC)  # 2026-07-01 01:00 in Riyadh
    monkeypatch.setattr(clock, "_utc_now", lambda: frozen)
    out = tmp_path / "pub"
    assert main(["publish", "--warehouse", str(wh), "--period", "last-quarter", "--out", str(out)]) == 0
    periods = [p.name for p in out.iterdir() if not p.name.startswith(".") and p.name != "site"]
    assert periods == ["2026-Q2"]  # UTC's today would give Q1
    meta = json.loads((out / "2026-Q2" / "v1" / "data.json").read_text(encoding="utf-8"))["metadata"]
    assert meta["published_at"] == "2026-07-01T01:00:00+03:00"
    monkeypatch.setenv("DASHBOARD_MODE", "public")
    monkeypatch.setenv("PUBLIC_SNAPSHOT_PATH", str(out))
    caption = _app("en").caption[0].value
    assert "published \u20682026-07-01\u2069 (\u20681448/01/16\u2069 AH)" in caption, caption
    # a snapshot stamped in UTC by an older version reads the same
    assert clock.riyadh_date("2026-06-30T22:00:00+00:00") == dt.date(2026, 7, 1)


def test_the_public_page_and_the_static_site_show_the_same_figures(env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both read the same frozen snapshot: the region table and the headline agree, suppressed
    cells included."""
    from etl.site import build_site
    from tests.test_site import parse

    monkeypatch.setenv("DASHBOARD_MODE", "public")
    _, out = env
    data = json.loads((out / "2026-Q2" / "v1" / "data.json").read_text(encoding="utf-8"))
    site = build_site(out)
    at = _app("en", period="2026-Q2")
    app_table = next(df.value for df in at.dataframe if tuple(df.value.columns) == ("Region", "Participations"))
    app_rows = [(str(r), str(v).replace(",", "")) for r, v in zip(app_table["Region"], app_table["Participations"])]
    page = parse(site / "en" / "2026-Q2" / "index.html")
    title = next(t["name_en"] for t in data["dictionary"]["tables"] if t["code"] == "volume_by_region")
    site_table = next(t for t in page.tables if t["caption"].strip() == title)
    site_rows = [(r[0], r[1].replace(",", "")) for r in site_table["rows"][1:]]
    body = [r for r in site_rows if r[0] != "Total"]
    assert body and body == [r for r in app_rows if r[0] != "Total"][: len(body)] == app_rows[: len(body)]
    assert any(v == "suppressed" for _, v in body) == any(r["participations"] is None for r in data["volume_by_region"])
    headline = next(m.value for m in at.metric if m.label == "Participations")
    assert str(headline).replace(",", "") == str(data["headline"]["participations"])
    assert f"{data['headline']['participations']:,}" in " ".join(page.text)
