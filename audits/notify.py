"""The morning e-mail: the regulator complaints of the day, then the new and reopened critical
cases grouped by agency and rule (every group, however many customers), then worst agencies,
early warnings, data-quality failures and the sources whose pull failed, with the portfolio
workbook attached. Built from a published report (and the orchestrator's list of failed pulls)
only (masked numbers,
escaped text): cases.csv, not violations.csv, so a day of half a million findings is still a
short e-mail about the few things that began today.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audits.csv_cells import read_csv
from audits.desk.nightly import attention, read_attention
from audits.models import DECISION_TABLES, NOT_ASSESSED, RULES_BY_ID, open_cases_text, worst_first_key
from audits.privacy import mask_free_text

WORST_SHOWN = 5
OVERDUE_DAYS = 7              # as on the portfolio (audits.rendering.views.cases.OVERDUE_DAYS)
WARNINGS_SHOWN = 10


@dataclass(frozen=True)
class Message:
    subject: str
    html: str
    attachments: tuple[Path, ...]


def unread_decisions_html(report_dir: Path) -> list[str]:
    """A paragraph naming each decision table (exceptions, disputes) the run could not read."""
    try:
        manifest = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
        inputs = manifest.get("inputs") or []
    except (OSError, ValueError, AttributeError):
        return []
    unread = [str(e.get("path")) for e in inputs if isinstance(e, dict) and e.get("table") in DECISION_TABLES
              and e.get("status") == "unreadable"]
    desk = manifest.get("desk")
    tampered = ["<p><b>Decisions not applied:</b> the case desk's event chain fails verification, so tonight's "
                "cases and scores are without its decisions (python -m audits verify --desk names the events).</p>"]
    return [f"<p><b>Decisions not applied:</b> {html.escape(path)} could not be read, so tonight's cases and scores "
            "are without its decisions; its rows are in quarantine.csv (DQ_FILE_UNREADABLE).</p>"
            for path in unread] + \
        (tampered if isinstance(desk, dict) and desk.get("problems") else [])


def compose_summary(report_dir: Path, *, base_url: str = "", pull_failures: Sequence[str] = (),
                    desk_base_url: str = "") -> Message:
    """Subject, HTML body and attachments summarising the report in `report_dir`; the portfolio
    link is under `base_url` when given (see portfolio_link); `pull_failures` are sentences on the
    agencies whose file could not be pulled from its source (the orchestrator knows them); the
    desk's sections link to the desk under `desk_base_url` when given."""
    scores = read_csv(report_dir / "scores.csv", dtype={"agency_id": "str", "grade": "str"})
    audit_date = report_dir.name
    cases = _cases(report_dir)
    critical = begun_critical(cases)
    failing_files = scores[scores["file_status"] != "ok"]
    ranked = ranked_scores(scores)
    escape = html.escape
    lines = [
        "<html><body style=\"font-family:sans-serif\">",
        f"<h2>Vendor audit {escape(audit_date)}</h2>",
        *unread_decisions_html(report_dir),          # cases.md §3: decisions not applied, said first
        *regulator_complaints_html(report_dir),       # signals.md §1: first thing the reader sees
        *critical_groups_html(critical),               # then the day's new critical cases, by agency and rule
        *desk_html(report_dir, desk_base_url),         # what the case desk waits on (only when there is a desk)
        f"<p>{len(scores)} agencies, {int(scores['calls_audited'].sum()):,} calls audited, "
        f"{int(scores['findings'].sum()):,} findings ({int(scores['critical_findings'].sum()):,} critical); "
        f"{len(failing_files)} agency file(s) missing or unreadable.</p>",
        f"<p>{_cases_line(cases, critical)}</p>",
        "<h3>Worst agencies</h3><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">",
        "<tr><th>Agency</th><th>Grade</th><th>Score</th><th>Critical</th><th>Findings</th></tr>",
    ]
    for row in ranked.head(WORST_SHOWN).itertuples(index=False):
        assessed = _assessed(row)
        score = f"{row.overall:.1f}" if assessed else NOT_ASSESSED
        grade = escape(str(row.grade)) if assessed else NOT_ASSESSED
        lines.append(f"<tr><td>{escape(str(row.agency_name))} ({escape(row.agency_id)})</td><td>{grade}</td>"
                     f"<td>{score}</td><td>{int(row.critical_findings)}</td><td>{int(row.findings)}</td></tr>")
    lines.append("</table>")
    lines += agency_warning_lines(report_dir)
    if len(failing_files):
        lines += ["<h3>Data-quality failures</h3><ul>"]
        for row in failing_files.itertuples(index=False):
            lines.append(f"<li>{escape(row.agency_id)}: file {escape(row.file_status)}</li>")
        lines.append("</ul>")
    lines += pull_failure_html(pull_failures)
    link = escape(portfolio_link(report_dir, base_url))
    lines += [f"<p>Portfolio: <a href=\"{link}\">{link}</a> (summary.xlsx attached).</p>", "</body></html>"]
    regulator = len(regulator_complaints(report_dir))
    subject = (f"Vendor audit {audit_date}: " + (f"{regulator} regulator complaint{'s' * (regulator != 1)}, "
                                                 if regulator else "")
               + f"{len(critical)} new critical case{'' if len(critical) == 1 else 's'}, "
               f"worst {ranked.iloc[0]['agency_id'] if len(ranked) else '-'}")
    attachments = tuple(p for p in (report_dir / "summary.xlsx",) if p.is_file())
    return Message(subject=subject, html="\n".join(lines), attachments=attachments)


def desk_html(report_dir: Path, desk_base_url: str = "") -> list[str]:
    """The case desk's sections (desk.csv of the report): overdue cases with their owner, proposals
    awaiting approval, disputes waiting, exceptions ending; none for a run without a desk."""

    rows = read_attention(report_dir)
    if rows is None:
        return []
    escape = html.escape
    desk = attention(rows, desk_base_url)
    title = f"<a href=\"{escape(desk.desk_href)}\">Case desk</a>" if desk.desk_href else "Case desk"
    lines = [f"<h3>{title}</h3>"]
    for section in desk.sections:
        lines.append(f"<p><b>{escape(section.title)}: {section.count:,}</b></p>")
        if not section.items:
            continue
        lines.append("<ul>")
        for item in section.items:
            case = (f"<a href=\"{escape(item.case_href)}\">{escape(item.case_id)}</a>" if item.case_href
                    else escape(item.case_id))
            named = f" {escape(item.item_id)}" if item.item_id else ""
            where = (f" &middot; {escape(item.agency_id)} {escape(item.rule_id)} {escape(mask_free_text(item.subject))}"
                     if item.agency_id else "")
            lines.append(f"<li>{case}{named}{where} &middot; {escape(item.text)}</li>")
        if section.more:
            lines.append(f"<li>{escape(section.more)}</li>")
        lines.append("</ul>")
    return lines


def _assessed(row) -> bool:
    return str(row.assessed).strip().lower() == "true" and not pd.isna(row.overall)


def ranked_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """scores.csv rows worst first (models.worst_first_key, as the portfolio ranks)."""
    keys = [worst_first_key(assessed=_assessed(row), grade=str(row.grade), overall=row.overall,
                            agency_id=str(row.agency_id)) for row in scores.itertuples(index=False)]
    return scores.iloc[sorted(range(len(scores)), key=keys.__getitem__)]


def pull_failure_html(pull_failures: Sequence[str]) -> list[str]:
    """The sources whose pull failed, one line each (escaped); none when every pull worked."""
    if not pull_failures:
        return []
    return [f"<h3>Source pulls that failed ({len(pull_failures)})</h3><ul>",
            *(f"<li>{html.escape(line)}</li>" for line in pull_failures), "</ul>"]


def begun_critical(cases: pd.DataFrame) -> pd.DataFrame:
    """The critical cases that began an episode on the day (new or reopened), new first, then
    by findings today (most first), agency and case id."""
    if cases.empty:
        return cases
    chosen = cases[(cases["severity"] == "critical") & cases["status"].isin(["new", "reopened"])]
    order = chosen.assign(_reopened=chosen["status"] == "reopened", _today=-chosen["findings_today"].astype("int64"))
    return order.sort_values(["_reopened", "_today", "agency_id", "case_id"], kind="stable").drop(
        columns=["_reopened", "_today"])


def critical_groups(critical: pd.DataFrame) -> pd.DataFrame:
    """begun_critical's cases grouped by agency and rule: cases, new, reopened, findings today and
    the summary of the group's first case; by agency, then most cases, then rule."""
    if critical.empty:
        return pd.DataFrame(columns=["agency_id", "rule_id", "cases", "new", "reopened", "findings_today", "summary",
                                     "case_id"])
    frame = critical.assign(new=critical["status"] == "new", reopened=critical["status"] == "reopened",
                            findings_today=pd.to_numeric(critical["findings_today"], errors="coerce").fillna(0))
    grouped = frame.groupby(["agency_id", "rule_id"], sort=False)
    out = grouped.agg(cases=("case_id", "size"), new=("new", "sum"), reopened=("reopened", "sum"),
                      findings_today=("findings_today", "sum"), summary=("summary", "first"),
                      case_id=("case_id", "first")).reset_index()
    return out.sort_values(["agency_id", "cases", "rule_id"], ascending=[True, False, True], kind="stable")


def critical_groups_html(critical: pd.DataFrame) -> list[str]:
    """The e-mail's new and reopened critical cases: one line per agency and rule, every group
    (a burst of 750 customers at one agency is one line and hides no other agency's case)."""
    if critical.empty:
        return []
    escape = html.escape
    groups = critical_groups(critical)
    agencies = groups["agency_id"].nunique()
    lines = [f"<h3>New and reopened critical cases: {len(critical):,} in {len(groups):,} group"
             f"{'' if len(groups) == 1 else 's'} at {agencies:,} agenc{'y' if agencies == 1 else 'ies'}</h3>",
             "<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">",
             "<tr><th>Agency</th><th>Rule</th><th>Cases</th><th>Findings today</th><th>Summary</th></tr>"]
    for g in groups.itertuples(index=False):
        info = RULES_BY_ID.get(g.rule_id)
        begun = ", ".join(part for part in (f"{int(g.new):,} new" if g.new else "",
                                            f"{int(g.reopened):,} reopened" if g.reopened else "") if part)
        summary = escape(mask_free_text(str(g.summary)))
        if g.cases == 1:
            summary += f" <small>case {escape(str(g.case_id))}</small>"
        else:
            summary = f"e.g. {summary} <small>(case {escape(str(g.case_id))}; all in cases.csv)</small>"
        lines.append(f"<tr><td><b>{escape(g.agency_id)}</b></td><td>{escape(info.title if info else g.rule_id)} "
                     f"<small>{escape(g.rule_id)}</small></td><td>{int(g.cases):,} ({begun})</td>"
                     f"<td>{int(g.findings_today):,}</td><td>{summary}</td></tr>")
    return lines + ["</table>"]


def _cases(report_dir: Path) -> pd.DataFrame:
    """cases.csv of the report (text, blanks as ""); empty for a report made before cases."""
    path = report_dir / "cases.csv"
    if not path.is_file():
        return pd.DataFrame(columns=["case_id", "agency_id", "rule_id", "severity", "subject_kind", "subject_display",
                                     "status", "findings_today", "days_open", "decision", "summary"])
    return read_csv(path, dtype="str", keep_default_na=False)


def _cases_line(cases: pd.DataFrame, critical: pd.DataFrame) -> str:
    """'Cases: 389 open (not resolved: 40 new, 12 reopened, …); 3 resolved today; 7 new critical; 1
    critical open more than 7 days.' (models.open_cases_text: open = not resolved)."""
    if cases.empty:
        return "No open cases."
    status = cases["status"]
    days = pd.to_numeric(cases["days_open"], errors="coerce")
    overdue = ((cases["severity"] == "critical") & (status != "resolved") & (days > OVERDUE_DAYS)
               & (cases["decision"] != "accepted")).sum()
    return (f"Cases: {open_cases_text(status)}; <b>{len(critical):,} new "
            f"critical</b>; {int(overdue):,} critical open more than {OVERDUE_DAYS} days.")


def regulator_complaints(report_dir: Path) -> pd.DataFrame:
    """complaints.csv rows received through the regulator and linked to an agency (by a call or
    by name); none when the report has no complaints.csv."""
    path = report_dir / "complaints.csv"
    if not path.is_file():
        return pd.DataFrame()
    complaints = read_csv(path, dtype="str", keep_default_na=False)
    return complaints[(complaints["channel"] == "regulator") & (complaints["linked_agencies"] != "")]


def regulator_complaints_html(report_dir: Path) -> list[str]:
    """The e-mail's opening section: every regulator complaint linked to an agency (masked
    number, agencies, cases; never the customer's words)."""
    rows = regulator_complaints(report_dir)
    if rows.empty:
        return []
    escape = html.escape
    lines = [f"<h3 style=\"color:#b3261e\">Regulator complaints ({len(rows)})</h3><ul>"]
    for row in rows.itertuples(index=False):
        cases = f"; cases {escape(row.linked_case_ids.replace(';', ', '))}" if row.linked_case_ids else ""
        calls = f"{int(row.calls_in_window)} call(s) in the look-back window" if row.status == "linked" else \
            "named by the customer, no call found"
        lines.append(f"<li><b>{escape(row.complaint_id)}</b> received {escape(row.received_at)} "
                     f"({escape(row.category)}) "
                     f"from {escape(row.callee_masked)}: agencies {escape(row.linked_agencies.replace(';', ', '))}; "
                     f"{calls}{cases}.</li>")
    lines.append("</ul>")
    return lines


def agency_warning_lines(report_dir: Path) -> list[str]:
    """The agency-level early warnings of the report (warnings.csv, highest z first), as HTML
    lines; none when there are none (or the report predates warnings.csv)."""
    path = report_dir / "warnings.csv"
    if not path.is_file():
        return []
    warnings = read_csv(path, dtype="str", keep_default_na=False)
    agencies = warnings[warnings["level"] == "agency"]
    if agencies.empty:
        return []
    agencies = agencies.assign(_z=pd.to_numeric(agencies["z"])).sort_values(["_z", "agency_id", "metric"],
                                                                            ascending=[False, True, True])
    lines = ["<h3>Early warnings (agencies)</h3><ul>"]
    for row in agencies.head(WARNINGS_SHOWN).itertuples(index=False):
        lines.append(f"<li>{html.escape(row.agency_id)} {html.escape(row.metric)} ({html.escape(row.basis)}): "
                     f"{html.escape(row.detail)}</li>")
    if len(agencies) > WARNINGS_SHOWN:
        lines.append(f"<li>… and {len(agencies) - WARNINGS_SHOWN} more in the report.</li>")
    return lines + ["</ul>"]


def portfolio_link(report_dir: Path, base_url: str) -> str:
    """Where readers open the day's portfolio: `<base_url>/<YYYY-MM-DD>/index.html` when the reports
    folder is served at `base_url` (param report_base_url / env VENDOR_AUDIT_REPORT_URL), else the
    file:// path, which opens only where that path is mounted (the publishing worker)."""
    if base_url.strip():
        return f"{base_url.strip().rstrip('/')}/{report_dir.name}/index.html"
    return (report_dir / "index.html").resolve().as_uri()


def sender_address(configured: str, connection_default: str | None, host: str) -> str:
    """The From address: the configured one (param notify_from / env VENDOR_AUDIT_NOTIFY_FROM), else
    the SMTP connection's `from_email` extra, else vendor-audit@<host> (SMTP refuses an empty sender)."""
    return configured.strip() or (connection_default or "").strip() or f"vendor-audit@{host}"


def undelivered(report_dir: Path, connection_id: str, error: BaseException) -> str:
    """What a failed e-mail says: the report is published all the same, where, and what to fix."""
    return (f"The report of {report_dir.name} IS PUBLISHED at {report_dir} (check it with `python -m audits "
            f"verify {report_dir}`); only the e-mail summary failed: {type(error).__name__}: {error}. Check the "
            f"SMTP connection {connection_id} (host, port, and its extras: disable_ssl for a server without "
            "implicit TLS on connect, disable_tls for one without STARTTLS, from_email), then clear the notify "
            "task; the audit itself need not run again.")
