"""Who sees what: the dashboard's mode, roles and each role's pages.

``DASHBOARD_MODE=public`` serves the public page alone, from the published snapshot; the warehouse
is not opened (``dashboard.db`` refuses). ``internal`` (default) serves pages by role: with login
configured (an ``[auth]`` section in .streamlit/secrets.toml, Streamlit's OIDC ``st.login``), the
role comes from ROLES_PATH, which maps e-mails and @domains to roles; without login, the app is a
single-user local tool bound to 127.0.0.1, with a banner saying so. A page a role may not see is not
in its navigation at all, so neither a URL nor ``st.switch_page`` reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core import settings

LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str
    icon: str
    group: str  # locale key of its navigation group
    filtered: bool = True  # reads the warehouse through the sidebar's filters (app.py draws them)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "app_pages/overview.py", ":material/monitoring:", "nav_dashboards"),
    PageSpec("channels", "app_pages/channels.py", ":material/hub:", "nav_dashboards"),
    PageSpec("moderation", "app_pages/moderation.py", ":material/gavel:", "nav_dashboards"),
    PageSpec("themes", "app_pages/themes.py", ":material/category:", "nav_dashboards"),
    PageSpec("actions", "app_pages/actions.py", ":material/task_alt:", "nav_dashboards", filtered=False),
    PageSpec("explorer", "app_pages/explorer.py", ":material/search:", "nav_analysis"),
    PageSpec("data_quality", "app_pages/data_quality.py", ":material/fact_check:", "nav_operations", filtered=False),
    PageSpec("public", "app_pages/public.py", ":material/public:", "nav_public", filtered=False),
)
ROLES: dict[str, tuple[str, ...]] = {
    "executive": ("overview", "channels", "moderation", "themes", "actions", "public"),
    "analyst": tuple(p.key for p in PAGES),
    "public": ("public",),
}


class AccessError(RuntimeError):
    """A configuration that must not serve: say what to fix."""


def mode() -> str:
    """``internal`` or ``public`` (the setting's model checks the value: ``SettingError`` otherwise)."""
    return str(settings.get("DASHBOARD_MODE"))


def pages_for(role: str) -> list[PageSpec]:
    """The role's pages, in navigation order; an unknown role sees nothing."""
    allowed = set(ROLES.get(role, ()))
    return [p for p in PAGES if p.key in allowed]


def load_roles(path: Path) -> dict[str, str]:
    """``role: [e-mail or @domain, ...]`` from YAML, as {lower-cased e-mail or @domain: role}."""
    import yaml

    if not path.exists():
        raise AccessError(f"{path}: no roles file; copy data/roles.example.yaml there and list who has which role")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise AccessError(f"{path}: expected a mapping of role to a list of e-mails or @domains")
    out: dict[str, str] = {}
    for role, who in raw.items():
        if role not in ROLES or role == "public":
            raise AccessError(f"{path}: unknown role {role!r}; roles are executive and analyst")
        for entry in who or []:
            key = str(entry).strip().lower()
            if key in out and out[key] != role:
                raise AccessError(f"{path}: {key} is given two roles")
            out[key] = role
    return out


def is_verified(claim: object) -> bool:
    """Whether the identity provider vouches for the e-mail (the OIDC ``email_verified`` claim).

    Most providers send a JSON boolean; Amazon Cognito sends the string ``"true"``. A missing claim
    is not a yes: without it anyone who can set their own e-mail at the provider could claim
    ``someone@agency.gov.sa`` and be given that domain's role (the "nOAuth" hole).
    """
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


def role_for(email: str | None, roles: dict[str, str], email_verified: object = False) -> str | None:
    """The role of a verified e-mail: its own entry first, then its @domain; None if neither, or if
    the provider did not verify the e-mail (``email_verified``)."""
    if not email or "@" not in email or not is_verified(email_verified):
        return None
    email = email.strip().lower()
    return roles.get(email) or roles.get("@" + email.rsplit("@", 1)[1])
