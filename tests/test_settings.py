"""Settings are declared once, and the README documents each of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import settings
from tests.conftest import ROOT


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in settings.SETTINGS if f"`{s.name}`" not in readme]
    assert not missing


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "x.duckdb"))
    assert settings.path("WAREHOUSE_PATH") == tmp_path / "x.duckdb"
    monkeypatch.delenv("WAREHOUSE_PATH")
    assert settings.path("WAREHOUSE_PATH") == ROOT / "data/warehouse/eparticipation.duckdb"
    with pytest.raises(KeyError):
        settings.get("NOT_A_SETTING")


def test_salt_is_generated_once_and_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SALT_PATH", str(tmp_path / "s" / "salt"))
    first = settings.sender_salt()
    assert len(first) >= 32 and settings.sender_salt() == first
    assert oct((tmp_path / "s" / "salt").stat().st_mode)[-3:] == "600"


def test_salt_is_never_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text()
    assert "data/secrets/" in ignored
