"""The desk's web app (FastAPI, server-rendered Jinja pages, no JavaScript): inbox, case page,
agency page with the upload of an agency's responses.csv, and the event log with its CSV
export and the chain's verification.

The host gives the signed-in user (`identify`): under Airflow, the plugin in `plugins/`
passes Airflow's auth manager identity, so audits/ stays free of Airflow. Every request needs
a signed-in user with a desk role; every POST needs the form's CSRF token and is checked
against the desk's roles (403) and rules (Desk.act: four eyes, targets, values; 409).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote, urlencode

import pandas as pd
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from audits.csv_cells import formula_safe
from audits.desk.catalogue import known_cases
from audits.desk.events import KINDS, Event
from audits.desk.export import log_frame
from audits.desk.roles import Actor, DeskConfig, may, may_read
from audits.desk.service import Refused, open_desk
from audits.desk.web import pages
from audits.desk.web.responses import RESPONSES, read_responses
from audits.desk.web.security import Identity, actor_of, csrf_token, csrf_valid
from audits.desk.web.views import FILTERS
from audits.privacy import mask_free_text

CASE_ID = re.compile(r"C-[0-9a-f]{12}")
Identify = Callable[[Request], Awaitable[Identity | None]]
FIELDS = {"take": (), "acknowledge": (), "assign": ("to",), "set_due": ("on",), "comment": ("text",),
          "propose_exception": ("reason", "valid_from", "valid_to"), "approve_exception": ("exception_id",),
          "reject_exception": ("exception_id",), "revoke_exception": ("exception_id",),
          "record_dispute": ("raised_by", "note"), "decide_dispute": ("dispute_id", "outcome"),
          "request_plan": ("note",), "record_plan": ("corrective_action", "target_date", "contact"),
          "close_note": ("text",)}
HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                      "form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def create_app(*, store: Path, reports: Path | None, identify: Identify, secret: bytes,
               config: DeskConfig | None = None, desk_url: str | None = None,
               login_url: Callable[[str], str] | None = None,
               clock: Callable[[], dt.datetime] | None = None) -> FastAPI:
    """The desk over `store` (the case store, holding the desk database by default) and
    `reports` (the published reports). `login_url(next)`: where a browser without a session
    is sent (401 without it). `clock`: the current UTC time (tests fix it)."""
    desk = open_desk(Path(store), url=desk_url, config=config)
    app = FastAPI(title="Case desk", docs_url=None, redoc_url=None, openapi_url=None)
    now = clock or (lambda: dt.datetime.now(dt.UTC))

    async def signed_in(request: Request) -> Actor:
        identity = await identify(request)
        if identity is None:
            raise HTTPException(401, "Sign in first.")
        actor = actor_of(identity, desk.config)
        if not may_read(actor):
            raise HTTPException(403, f"{identity.name} has no desk role: ask for one to be given in the desk config.")
        return actor

    def page(request: Request, actor: Actor, template: str, status: int = 200, **values) -> HTMLResponse:
        html = pages.render(template, base=_base(request), actor=actor, roles=", ".join(sorted(actor.roles)),
                            csrf=csrf_token(secret, actor.name), **values)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    async def checked_form(request: Request, actor: Actor) -> dict:
        form = await request.form()
        if not csrf_valid(secret, actor.name, str(form.get("csrf", ""))):
            raise HTTPException(403, "The form's security token is missing or expired: reload the page and try again.")
        return form

    @app.exception_handler(HTTPException)
    async def refused(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 401 and request.method == "GET" and login_url is not None:
            return RedirectResponse(login_url(str(request.url)), status_code=303, headers=HEADERS)
        html = pages.render("desk/refused.html", base=_base(request), status=exc.status_code, reason=str(exc.detail),
                            view={"page_title": f"Case desk · {exc.status_code}"}, actor=None,
                            login=login_url(str(request.url)) if login_url and exc.status_code == 401 else "")
        return HTMLResponse(html, status_code=exc.status_code, headers=HEADERS)

    def cases() -> pd.DataFrame:
        return known_cases(Path(store))

    @app.get("/", response_class=HTMLResponse)
    async def inbox(request: Request) -> HTMLResponse:
        actor = await signed_in(request)
        return inbox_response(request, actor)

    def inbox_response(request: Request, actor: Actor, *, notice: str = "") -> HTMLResponse:
        chosen = {name: request.query_params.get(name, "") for name in FILTERS}
        view = pages.inbox_view(cases(), desk.state(), actor, today=now().date(), config=desk.config, chosen=chosen)
        return page(request, actor, "desk/inbox.html", view=view, notice=notice)

    @app.post("/search", response_class=HTMLResponse)
    async def search(request: Request) -> Response:
        """A case by its id; posted, so what people type stays out of URLs and access logs."""
        actor = await signed_in(request)
        query = str((await checked_form(request, actor)).get("q", "")).strip()
        if CASE_ID.fullmatch(query):
            return RedirectResponse(f"{_base(request)}/cases/{query}", status_code=303)
        return inbox_response(request, actor, notice="Search takes a case id as the reports show it: "
                                                     "C- and 12 hexadecimal digits (C-2a55ef00a54d).")

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    async def case_page(request: Request, case_id: str) -> HTMLResponse:
        actor = await signed_in(request)
        return case_response(request, actor, case_id, done=request.query_params.get("done", ""))

    def case_response(request: Request, actor: Actor, case_id: str, *, done: str = "", problem: str = "",
                      status: int = 200) -> HTMLResponse:
        view = pages.case_view(cases(), desk, actor, case_id, store=Path(store), reports=reports,
                               today=now().date())
        if view is None:
            raise HTTPException(404, f"The desk knows no case {mask_free_text(case_id)[:40]}: search by a case id "
                                     "of the register (C-…).")
        return page(request, actor, "desk/case.html", status=status, view=view,
                    done=done if done in KINDS else "", problem=problem)

    @app.post("/cases/{case_id}/act")
    async def act(request: Request, case_id: str) -> Response:
        actor = await signed_in(request)
        form = await checked_form(request, actor)
        kind = str(form.get("kind", ""))
        if kind not in FIELDS:
            raise HTTPException(400, "The form names no act the desk records.")
        if not may(actor, kind):
            raise HTTPException(403, f"{actor.name} may not {kind.replace('_', ' ')}: the role does not permit it.")
        payload = {name: str(form.get(name, "")).strip() for name in FIELDS[kind] if form.get(name) is not None}
        try:
            desk.act(actor, kind, case_id, payload, at=now())
        except Refused as exc:
            return case_response(request, actor, case_id, problem=str(exc), status=409)
        return RedirectResponse(f"{_base(request)}/cases/{quote(case_id, safe='')}?done={kind}", status_code=303)

    @app.get("/agencies/{agency_id}", response_class=HTMLResponse)
    async def agency_page(request: Request, agency_id: str) -> HTMLResponse:
        actor = await signed_in(request)
        return agency_response(request, actor, agency_id)

    def agency_response(request: Request, actor: Actor, agency_id: str, *, upload=None) -> HTMLResponse:
        view = pages.agency_view(cases(), desk.state(), actor, agency_id, today=now().date(), config=desk.config)
        if view is None:
            raise HTTPException(404, f"The desk knows no agency {mask_free_text(agency_id)[:40]}.")
        return page(request, actor, "desk/agency.html", view=view, upload=upload)

    @app.post("/agencies/{agency_id}/responses", response_class=HTMLResponse)
    async def upload(request: Request, agency_id: str) -> HTMLResponse:
        actor = await signed_in(request)
        form = await checked_form(request, actor)
        if not any(may(actor, kind) for kind in RESPONSES.values()):
            raise HTTPException(403, f"{actor.name} may not record an agency's responses.")
        file = form.get("file")
        data = await file.read() if hasattr(file, "read") else b""
        register = cases()
        read = read_responses(data, agency_id=agency_id,
                              case_agency=dict(zip(register["case_id"].astype(str), register["agency_id"].astype(str))))
        recorded, refused = [], [(r.row, r.case_id, r.reason) for r in read.refused]
        for item in read.acts:
            try:
                event = desk.act(actor, item.kind, item.case_id, item.payload, at=now())
                recorded.append((item.row, item.case_id, event.kind))
            except Refused as exc:
                refused.append((item.row, item.case_id, str(exc)))
        result = {"recorded": recorded, "refused": sorted(refused), "blank": read.blank}
        return agency_response(request, actor, agency_id, upload=result)

    @app.get("/log", response_class=HTMLResponse)
    async def log(request: Request) -> HTMLResponse:
        actor = await signed_in(request)
        chosen = _log_filters(request)
        events = _filtered(desk.events(), chosen, cases())
        problems = desk.verify()
        view = pages.log_view(events, problems, desk.head(), chosen=chosen,
                              export=f"{_base(request)}/log.csv?{urlencode(chosen)}")
        return page(request, actor, "desk/log.html", view=view)

    @app.get("/log.csv")
    async def log_csv(request: Request) -> Response:
        await signed_in(request)
        events = _filtered(desk.events(), _log_filters(request), cases())
        return Response(log_csv_text(events), media_type="text/csv; charset=utf-8",
                        headers={**HEADERS, "Content-Disposition": 'attachment; filename="desk-log.csv"'})

    app.state.desk = desk
    return app


def log_csv_text(events: list[Event]) -> str:
    """The events as CSV (export.LOG_COLUMNS, payloads as recorded: typed text was masked before
    it was recorded, and the hashes can be checked from the file), every cell formula-safe."""
    out = io.StringIO()
    formula_safe(log_frame(events)).to_csv(out, index=False, lineterminator="\n")
    return out.getvalue()


def _log_filters(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in ("case", "actor", "kind", "agency")}


def _filtered(events: list[Event], chosen: dict[str, str], register: pd.DataFrame) -> list[Event]:
    agency_of = dict(zip(register["case_id"].astype(str), register["agency_id"].astype(str)))
    return [e for e in events
            if (not chosen["case"] or e.case_id == chosen["case"])
            and (not chosen["actor"] or e.actor == chosen["actor"])
            and (not chosen["kind"] or e.kind == chosen["kind"])
            and (not chosen["agency"] or agency_of.get(e.case_id) == chosen["agency"])]


def _base(request: Request) -> str:
    """The URL path the app is mounted at ('' at the root, '/desk' under Airflow)."""
    return request.scope.get("root_path", "").rstrip("/")
