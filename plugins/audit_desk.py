"""The case desk as an Airflow 3 plugin: the desk's FastAPI app mounted by `airflow api-server`
at /desk, and "Cases" in Airflow's navigation.

Airflow loads this file from its plugins folder (AIRFLOW__CORE__PLUGINS_FOLDER pointing at
this repository's plugins/, as `make desk` sets it). The identity is Airflow's: the JWT of
the signed-in user (the `_token` cookie the UI sets, or an `Authorization: Bearer` header),
read by Airflow's own get_user; the desk maps the user's Airflow roles to its own.

Settings (environment of the api-server): VENDOR_AUDIT_DATA (the store is <data>/store, the
reports <data>/reports), or VENDOR_AUDIT_DESK_STORE / VENDOR_AUDIT_DESK_REPORTS; the desk
database is <store>/desk.sqlite unless AUDIT_DESK_DB or the connection audit_desk_db names one;
the desk config is <store>/desk.yaml. Forms are signed with Airflow's [api_auth] jwt_secret.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import ClassVar

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin
from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

from audits.desk.web.app import create_app
from audits.desk.web.security import Identity, airflow_role_names

URL_PREFIX = "/desk"


async def _identify(request: Request) -> Identity | None:
    """The signed-in Airflow user, or None without a valid session."""
    from airflow.api_fastapi.core_api.security import get_user

    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    bearer = HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials) if credentials else None
    try:
        user = await get_user(request, None, bearer)
    except HTTPException:
        return None
    return Identity(user.get_name(), airflow_role_names(user))


def _login_url(next_url: str) -> str:
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().get_url_login(next_url=next_url)


def _paths() -> tuple[Path, Path]:
    data = os.environ.get("VENDOR_AUDIT_DATA", "")
    store = os.environ.get("VENDOR_AUDIT_DESK_STORE") or (f"{data}/store" if data else "")
    reports = os.environ.get("VENDOR_AUDIT_DESK_REPORTS") or (f"{data}/reports" if data else "")
    if not store:
        raise RuntimeError("the case desk needs VENDOR_AUDIT_DATA (or VENDOR_AUDIT_DESK_STORE) in the api-server's "
                           "environment: the folder holding the case store and the reports")
    return Path(store), Path(reports)


def _secret() -> bytes:
    """The forms' signing key, derived from Airflow's JWT secret (shared by every api-server worker)."""
    jwt_secret = conf.get("api_auth", "jwt_secret", fallback="") or os.urandom(32).hex()
    return hashlib.sha256(b"audit-desk-forms\n" + jwt_secret.encode()).digest()


class _DeskApp:
    """The desk's app, built on the first request: loading the plugin (the scheduler and the
    dag-processor load it too) neither needs the desk's settings nor opens its database."""

    def __init__(self) -> None:
        self.app = None

    async def __call__(self, scope, receive, send) -> None:
        if self.app is None:
            store, reports = _paths()
            self.app = create_app(store=store, reports=reports, identify=_identify, login_url=_login_url,
                                  secret=_secret())
        await self.app(scope, receive, send)


class AuditDeskPlugin(AirflowPlugin):
    name = "audit_desk"
    fastapi_apps: ClassVar[list] = [{"app": _DeskApp(), "url_prefix": URL_PREFIX, "name": "Case desk"}]
    external_views: ClassVar[list] = [{"name": "Cases", "href": f"{URL_PREFIX}/", "destination": "nav",
                                       "url_route": "cases",
                       "category": "browse"}]
