"""The desk's pages in-process (FastAPI's TestClient): sessions, roles on every action, CSRF,
escaping, the inbox's groups, the log and its export."""

from __future__ import annotations

import re

import pytest

from audits.desk.web.security import airflow_role_names, csrf_token, csrf_valid
from tests.desk.web.conftest import AG01_CASE, AG02_CASE, BURST, SECRET

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TYPED_NUMBER = "13800138000"


def holds_full_number(text: str, number: str = TYPED_NUMBER) -> bool:
    """Whether the number appears, whatever separators were put between its digits."""
    return number in re.sub(r"[\s\-().+]", "", text)


def token(response) -> str:
    return CSRF.search(response.text).group(1)


def act(client, case_id, kind, **fields):
    page = client.get(f"/cases/{case_id}")
    return client.post(f"/cases/{case_id}/act", data={"csrf": token(page), "kind": kind, **fields})


@pytest.mark.parametrize("path", ["/", f"/cases/{AG01_CASE}", "/agencies/AG01", "/log", "/log.csv"])
def test_a_request_without_a_session_gets_no_data(client, path):
    response = client().get(path)
    assert response.status_code == 401
    assert "C-" not in response.text and "AG01" not in response.text


def test_a_user_without_a_desk_role_reads_nothing(client):
    response = client("mallory", "guest").get("/")
    assert response.status_code == 403 and "C-" not in response.text


def test_the_inbox_groups_untaken_critical_cases_by_agency_and_rule_largest_first(client):
    page = client("olive", "user").get("/")
    assert page.status_code == 200
    labels = re.findall(r"<strong>(AG\d\d · [A-Z_]+ · \d+ \w+)</strong>", page.text)
    assert labels == ["AG03 · FREQ_AFTER_REFUSAL · 30 customers", "AG01 · CONF_UNASSIGNED · 1 customer",
                      "AG01 · FREQ_AFTER_REFUSAL · 1 customer"]
    assert AG02_CASE not in page.text                       # major: not in the untaken critical groups


def test_an_officer_takes_a_case_and_it_leaves_the_untaken_groups(client):
    officer = client("olive", "user")
    response = act(officer, BURST[0], "take")
    assert response.status_code == 303 and response.headers["location"].endswith(f"/cases/{BURST[0]}?done=take")
    page = officer.get(f"/cases/{BURST[0]}")
    assert '<dd id="owner">olive</dd>' in page.text and "Recorded" not in page.text
    inbox = officer.get("/").text
    assert "AG03 · FREQ_AFTER_REFUSAL · 29 customers" in inbox
    assert re.search(r'id="my-cases".*' + BURST[0], inbox, re.DOTALL)


def test_a_post_without_a_valid_form_token_is_refused_and_records_nothing(client, app):
    officer = client("olive", "user")
    assert officer.post(f"/cases/{AG01_CASE}/act", data={"kind": "take"}).status_code == 403
    other_token = token(client("bert", "op").get(f"/cases/{AG01_CASE}"))     # another user's token
    assert officer.post(f"/cases/{AG01_CASE}/act", data={"kind": "take", "csrf": other_token}).status_code == 403
    assert app.state.desk.events() == []


def test_only_a_second_person_with_the_approver_role_sees_and_may_approve(client, app):
    officer, approver = client("olive", "user"), client("bert", "op")
    assert act(officer, AG01_CASE, "propose_exception", reason="agreed call-back on 2026-12-01",
               valid_from="2026-12-05", valid_to="2026-12-31").status_code == 303
    exception_id = next(iter(app.state.desk.state().exceptions))
    page = officer.get(f"/cases/{AG01_CASE}")
    assert exception_id in page.text and 'class="approve"' not in page.text
    forged = act(officer, AG01_CASE, "approve_exception", exception_id=exception_id)
    assert forged.status_code == 403
    assert 'class="approve"' in approver.get(f"/cases/{AG01_CASE}").text
    assert re.search(r'id="awaiting-table".*' + exception_id, approver.get("/").text, re.DOTALL)
    assert 'id="awaiting-table"' not in officer.get("/").text
    assert act(approver, AG01_CASE, "approve_exception", exception_id=exception_id).status_code == 303
    assert app.state.desk.state().exceptions[exception_id].status == "approved"


def test_an_approver_cannot_approve_their_own_proposal(client, app):
    approver = client("bert", "op")
    act(approver, AG01_CASE, "propose_exception", reason="own", valid_from="2026-12-05", valid_to="2026-12-20")
    exception_id = next(iter(app.state.desk.state().exceptions))
    assert 'class="approve"' not in approver.get(f"/cases/{AG01_CASE}").text
    refused = act(approver, AG01_CASE, "approve_exception", exception_id=exception_id)
    assert refused.status_code == 409 and "Not recorded" in refused.text
    assert app.state.desk.state().exceptions[exception_id].status == "proposed"


def test_an_auditor_reads_every_event_and_has_no_action(client, app):
    act(client("olive", "user"), AG01_CASE, "comment", text="called the agency")
    auditor = client("audrey", "viewer")
    page = auditor.get(f"/cases/{AG01_CASE}")
    assert "called the agency" in page.text and 'name="kind"' not in page.text and 'id="no-actions"' in page.text
    assert "called the agency" in auditor.get("/log").text
    forged = auditor.post(f"/cases/{AG01_CASE}/act", data={"kind": "take", "csrf": csrf_token(SECRET, "audrey")})
    assert forged.status_code == 403
    assert len(app.state.desk.events()) == 1


def test_typed_text_is_escaped_and_full_numbers_are_masked_everywhere(client):
    officer = client("olive", "user")
    typed = f'<script>alert("x")</script> call back {TYPED_NUMBER[:3]} {TYPED_NUMBER[3:]}'
    act(officer, AG01_CASE, "comment", text=typed)
    pages = [officer.get(path) for path in ("/", f"/cases/{AG01_CASE}", "/agencies/AG01", "/log", "/log.csv")]
    case_page = pages[1].text
    assert "&lt;script&gt;" in case_page and "<script>" not in case_page
    for response in pages:
        assert response.status_code == 200
        assert not holds_full_number(response.text), response.url
    assert "****8000" in case_page


def test_pages_carry_no_script_and_a_strict_content_policy(client):
    response = client("olive", "user").get("/")
    assert "<script" not in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_the_log_shows_the_chains_verification_and_exports_csv(client):
    officer = client("olive", "user")
    act(officer, AG01_CASE, "take")
    act(officer, AG02_CASE, "comment", text="=HYPERLINK(\"http://x\")")
    log = officer.get("/log")
    assert 'id="chain-intact"' in log.text
    export = officer.get("/log.csv")
    lines = export.text.splitlines()
    assert lines[0] == "seq,event_id,at,actor,role,case_id,kind,payload,previous_hash,hash"
    assert len(lines) == 3 and export.headers["content-type"].startswith("text/csv")
    assert all(not cell.startswith("=") for line in lines for cell in line.split(","))
    only = officer.get(f"/log.csv?case={AG02_CASE}").text.splitlines()
    assert len(only) == 2 and AG02_CASE in only[1]


def test_search_opens_a_case_by_id_and_keeps_anything_else_out_of_urls(client):
    officer = client("olive", "user")
    csrf = token(officer.get("/"))
    found = officer.post("/search", data={"csrf": csrf, "q": f" {AG01_CASE} "})
    assert found.status_code == 303 and found.headers["location"] == f"/cases/{AG01_CASE}"
    typed = officer.post("/search", data={"csrf": csrf, "q": TYPED_NUMBER})
    assert typed.status_code == 200 and "location" not in typed.headers
    assert 'id="search-notice"' in typed.text and not holds_full_number(typed.text)
    assert officer.post("/search", data={"q": AG01_CASE}).status_code == 403             # no form token


def test_an_unknown_case_is_not_found(client):
    response = client("olive", "user").get("/cases/C-000000000000")
    assert response.status_code == 404


def test_airflow_users_give_their_role_names_and_a_user_without_a_role_gets_none():
    from types import SimpleNamespace as User

    assert airflow_role_names(User(role="op")) == ("op",)
    assert airflow_role_names(User(role="ADMIN")) == ("ADMIN",)                      # all admins
    assert airflow_role_names(User(role=None)) == ()                                 # no role: no desk role
    assert airflow_role_names(User(roles=[User(name="Viewer"), User(name="Op")])) == ("Viewer", "Op")   # FAB
    assert airflow_role_names(User()) == ()


def test_the_form_token_is_bound_to_its_user_and_expires():
    issued = csrf_token(SECRET, "olive", now=1_000_000)
    assert csrf_valid(SECRET, "olive", issued, now=1_000_100)
    assert not csrf_valid(SECRET, "bert", issued, now=1_000_100)
    assert not csrf_valid(SECRET, "olive", issued, now=1_000_000 + 13 * 3600)
    assert not csrf_valid(b"other", "olive", issued, now=1_000_100)
    assert not csrf_valid(SECRET, "olive", "", now=1_000_100)
