"""An agency's returned responses.csv uploaded on its agency page: each bad row refused with
its reason, the rest recorded as events."""

from __future__ import annotations

import re

from audits.desk.web.responses import read_responses
from audits.desk.web.security import csrf_token
from tests.desk.web.conftest import AG01_CASE, AG01_OTHER, AG02_CASE, SECRET

HEADER = "case_id,rule_id,subject,status,due_date,response,corrective_action,target_date,contact\n"


def upload(client, agency: str, text: str):
    page = client.get(f"/agencies/{agency}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post(f"/agencies/{agency}/responses", data={"csrf": csrf},
                       files={"file": ("responses.csv", text.encode("utf-8"), "text/csv")})


def test_one_good_row_is_recorded_and_three_bad_rows_are_refused_with_their_reasons(client, app):
    text = HEADER + (
        f"{AG01_CASE},FREQ_AFTER_REFUSAL,+86 138****5678,new,2026-12-07,accept,Retrain agent E0005,2026-12-20,"
        "ops lead\n"
        f"{AG02_CASE},CONF_AGENT_NOT_ACTIVE,E0032,new,2026-12-18,accept,Roster fixed,2026-12-20,ops lead\n"
        "C-ffffffffffff,FREQ_AFTER_REFUSAL,+86 138****0000,new,2026-12-07,accept,Something,2026-12-20,ops lead\n"
        f"{AG01_OTHER},CONF_UNASSIGNED,+86 137****0001,new,2026-12-07,accept,Fix the list,20/12/2026,ops lead\n")
    response = upload(client("vera", "viewer"), "AG01", text)          # desk.yaml: vera is a vendor manager
    assert response.status_code == 200
    assert "1 row recorded, 3 refused" in response.text
    refused = re.findall(r"<li>line (\d+) \(<span class=\"mono\">([^<]+)</span>\): ([^<]+)</li>", response.text)
    assert [(line, case) for line, case, _ in refused] == [("3", AG02_CASE), ("4", "C-ffffffffffff"), ("5", AG01_OTHER)]
    reasons = [reason for _, _, reason in refused]
    assert "belongs to AG02, not AG01" in reasons[0]
    assert "unknown case" in reasons[1]
    assert "target_date &#39;20/12/2026&#39; is not a date written as YYYY-MM-DD" in reasons[2]
    events = app.state.desk.events()
    assert [(e.case_id, e.kind, e.payload["corrective_action"]) for e in events] == [
        (AG01_CASE, "record_plan", "Retrain agent E0005")]


def test_a_vendor_manager_records_the_agencys_plans_and_disputes_and_an_approver_decides(client, app):
    text = HEADER + (f"{AG01_CASE},,,,,accept,Retrain,2026-12-20,\n"
                     f"{AG01_OTHER},,,,,contest,The customer was ours,,ops lead\n")
    response = upload(client("vera", "viewer"), "AG01", text)          # desk.yaml: vera is a vendor manager
    assert "2 rows recorded, 0 refused" in response.text
    events = app.state.desk.events()
    assert [(e.actor, e.kind) for e in events] == [("vera", "record_plan"), ("vera", "record_dispute")]
    assert events[1].payload["raised_by"].startswith("AG01")


def test_an_auditor_may_not_upload(client, app):
    text = HEADER + f"{AG01_CASE},,,,,accept,Retrain,2026-12-20,\n"
    page = client("audrey", "viewer").get("/agencies/AG01")
    assert 'id="upload-form"' not in page.text
    forged = client("audrey", "viewer").post("/agencies/AG01/responses", data={"csrf": csrf_token(SECRET, "audrey")},
                                            files={"file": ("responses.csv", text.encode(), "text/csv")})
    assert forged.status_code == 403 and app.state.desk.events() == []


def test_blank_rows_are_skipped_and_an_unusable_file_is_refused_whole():
    known = {AG01_CASE: "AG01"}
    read = read_responses((HEADER + f"{AG01_CASE},r,s,new,2026-12-07,,,,\n").encode(), agency_id="AG01",
                          case_agency=known)
    assert (read.acts, read.refused, read.blank) == ([], [], 1)
    missing = read_responses(b"case_id,response\n", agency_id="AG01", case_agency=known)
    assert missing.refused[0].row == 0 and "corrective_action" in missing.refused[0].reason
    binary = read_responses(b"\xff\xfe\x00bad", agency_id="AG01", case_agency=known)
    assert "not UTF-8" in binary.refused[0].reason


def test_an_excel_separator_line_is_skipped_and_bad_values_are_named():
    known = {AG01_CASE: "AG01"}
    data = ("sep=,\n" + HEADER + f"{AG01_CASE},,,,,maybe,x,2026-12-20,\n").encode()
    read = read_responses(data, agency_id="AG01", case_agency=known)
    assert [(r.row, r.reason) for r in read.refused] == [(3, "response 'maybe' is not accept or contest")]


def test_a_full_number_typed_in_a_cell_is_masked_before_it_is_recorded():
    known = {AG01_CASE: "AG01"}
    data = (HEADER + f"{AG01_CASE},,,,,accept,call 13800138000,2026-12-20,Li 139 0013 9000\n").encode()
    act = read_responses(data, agency_id="AG01", case_agency=known).acts[0]
    assert "13800138000" not in str(act.payload) and "139 0013 9000" not in str(act.payload)
