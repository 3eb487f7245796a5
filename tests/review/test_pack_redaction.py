"""A share pack names no other agency the bank knows, not only those scored in the period: AG09,
offboarded before the period (its contract ended on 2027-01-31), is in the store (its calls and a
refusal) and the reference tables, and a finding of AG01 names it."""

from __future__ import annotations

import io
import json
import zipfile

from audits.review import period as periods
from audits.review_run import ReviewConfig, run_review
from audits.rulepack import load_rulepack
from tests.landing import REFERENCE, make_landing
from tests.review.reports import case, finding, publish_day, score, store_day

D1, D2 = "2027-02-01", "2027-02-02"
OFFBOARDED = {"id": "AG09", "name": "Northwind Recovery Ltd", "contract": "CT-NW-2026-09",
              "caller": "010 6552 0909"}
OWN_CALLER = "+861065529988"            # AG01's registered number (tests.landing.CALLER): stays


def _pack_text(pack) -> str:
    with zipfile.ZipFile(pack) as archive:
        parts = []
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith(".xlsx"):
                with zipfile.ZipFile(io.BytesIO(data)) as book:
                    parts += [book.read(part).decode("utf-8", "replace") for part in book.namelist()]
            else:
                parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_a_pack_redacts_an_agency_offboarded_before_the_period(tmp_path):
    out, store, landing = tmp_path / "reports", tmp_path / "store", tmp_path / "landing"
    contracts = REFERENCE["contracts"] + [
        dict(REFERENCE["contracts"][0], agency_id="AG02", agency_name="Pacific Contact", contract_id="CT-PC-2027"),
        dict(REFERENCE["contracts"][0], agency_id="AG09", agency_name=OFFBOARDED["name"],
             contract_id=OFFBOARDED["contract"], contract_start="2026-01-01", contract_end="2027-01-31")]
    callers = REFERENCE["caller_numbers"] + [dict(agency_id="AG09", caller_number=OFFBOARDED["caller"],
                                                  registered_from="2026-01-01", registered_to="2027-01-31")]
    make_landing(landing, contracts=contracts, caller_numbers=callers)
    store_day(store, "2027-01-31", {"AG09": 3})                        # the offboarded agency's last day
    detail = ("attempt after this number refused further calls on 2027-01-31 10:00 (AG09); also "
              f"{OFFBOARDED['name']} under {OFFBOARDED['contract']} from +86 10 6552 0909 and 01065520909; "
              f"own line {OWN_CALLER}")
    for day in (D1, D2):
        publish_day(out, day, [score(day, "AG01", calls=10, name="华信催收服务有限公司"),
                               score(day, "AG02", calls=10, name="Pacific Contact")],
                    cases=[case(day, "C-aaaaaaaaaaa1", "AG01", rule="FREQ_AFTER_REFUSAL", family="frequency")],
                    violations=[finding(day, "AG01", f"c-{day}", rule="FREQ_AFTER_REFUSAL", family="frequency",
                                        case_id="C-aaaaaaaaaaa1", detail=detail)],
                    decisions=[], landing=landing)
        store_day(store, day, {"AG01": 5, "AG02": 5})
    review = run_review(ReviewConfig(period=periods.month("2027-02"), out=out, store=store,
                                     rulepack=load_rulepack("cn_bank"), allow_missing_days=True)).review_dir
    text = _pack_text(review / "share" / "AG01.zip")
    for other in ("AG09", OFFBOARDED["name"], OFFBOARDED["contract"], "+861065520909", "01065520909",
                  "+86 10 6552 0909", "AG02", "Pacific Contact", "CT-PC-2027"):
        assert other not in text, other
    assert "refused further calls on 2027-01-31 10:00 (another agency)" in text
    assert "own line +********9988" in text and OWN_CALLER not in text   # its own number: there, masked as every number
    redaction = json.loads((review / "manifest.json").read_text(encoding="utf-8"))["redaction"]
    assert redaction["agencies"] == 3 and redaction["not_read"] == []
