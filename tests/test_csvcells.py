"""CSV outputs: a cell a spreadsheet would run as a formula is written as text (OWASP)."""

import numpy as np
import pandas as pd

from audits.csv_cells import formula_safe, read_csv, write_csv

PAYLOADS = ["=1+2", '=HYPERLINK("http://evil.example/?x=1","open")', "+cmd|' /C calc'!A0", "@SUM(A1)",
            "-2+3+cmd|' /C calc'!A0", "\t=1+2", "\r=1+2"]


def test_formula_cells_get_a_leading_apostrophe_and_nothing_else_changes():
    frame = pd.DataFrame({
        "text": pd.Series(PAYLOADS + ["plain", None], dtype="str"),
        "objects": pd.Series(PAYLOADS + ["a=b", np.nan], dtype="object"),
        "number": np.arange(9, dtype="int64") - 4,
    })
    safe = formula_safe(frame)
    assert safe["text"].tolist()[:-1] == ["'" + p for p in PAYLOADS] + ["plain"]
    assert pd.isna(safe["text"].iloc[-1])
    assert safe["objects"].tolist()[:-1] == ["'" + p for p in PAYLOADS] + ["a=b"]
    assert safe["number"].tolist() == frame["number"].tolist()
    assert frame["text"].iloc[0] == "=1+2"                       # the caller's frame is untouched


def test_numbers_and_masked_phones_written_as_text_stay_as_they_are():
    cells = ["+86 138****5678", "+1 202***0143", "-1.5", "+3", "-0.25e-3", "2026-11-27 09:00:00+08:00"]
    assert formula_safe(pd.DataFrame({"c": cells}))["c"].tolist() == cells
    assert formula_safe(pd.DataFrame({"c": ["+86 138****5678=1", "-1.5+A1"]}))["c"].tolist() == \
        ["'+86 138****5678=1", "'-1.5+A1"]


def test_nul_and_control_characters_are_shown_as_control_pictures():
    assert formula_safe(pd.DataFrame({"c": ["a\x00b", "tab\tand\nline", "\x1b[31m"]}))["c"].tolist() == \
        ["a\u2400b", "tab\tand\nline", "\u241b[31m"]


def test_written_cells_read_back_as_they_were(tmp_path):
    frame = pd.DataFrame({"agency_id": ["-AG01", "AG02"], "agency_name": ["=HYPERLINK(\"x\")", "'quoted"],
                          "overall": [-1.5, 90.0]})
    write_csv(frame, tmp_path / "scores.csv")
    text = (tmp_path / "scores.csv").read_text(encoding="utf-8")
    assert text.splitlines()[1].startswith("'-AG01,\"'=HYPERLINK(\"\"x\"\")\",-1.5")
    back = read_csv(tmp_path / "scores.csv", dtype={"agency_id": "str"})
    assert back.to_dict("list") == frame.to_dict("list")


def test_booleans_are_written_true_and_false_and_read_back_as_booleans(tmp_path):

    frame = pd.DataFrame({"assessed": [True, False], "grade_capped": pd.array([None, True], dtype="boolean"),
                          "agency_id": ["AG01", "AG02"]}, index=[7, 2])
    write_csv(frame, tmp_path / "scores.csv")
    assert (tmp_path / "scores.csv").read_text(encoding="utf-8").splitlines() == [
        "assessed,grade_capped,agency_id", "true,,AG01", "false,true,AG02"]
    back = read_csv(tmp_path / "scores.csv")
    assert back["assessed"].tolist() == [True, False]
