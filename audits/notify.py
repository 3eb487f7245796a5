"""The morning e-mail: worst agencies, critical findings, data-quality failures, with the
portfolio workbook attached. Built from a published report only (masked numbers, escaped text).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audits.csvcells import read_csv

WORST_SHOWN = 5
CRITICAL_SHOWN = 10


@dataclass(frozen=True)
class Message:
    subject: str
    html: str
    attachments: tuple[Path, ...]


def compose_summary(report_dir: Path, *, base_url: str = "") -> Message:
    """Subject, HTML body and attachments summarising the report in `report_dir`; the portfolio
    link is under `base_url` when given (see portfolio_link)."""
    scores = read_csv(report_dir / "scores.csv", dtype={"agency_id": "str", "grade": "str"})
    violations = read_csv(report_dir / "violations.csv", dtype="str", keep_default_na=False)
    audit_date = report_dir.name
    critical = violations[violations["severity"] == "critical"]
    failing_files = scores[scores["file_status"] != "ok"]
    ranked = scores.assign(rank_key=scores["overall"].fillna(-1)).sort_values(["rank_key", "agency_id"])
    escape = html.escape
    lines = [
        "<html><body style=\"font-family:sans-serif\">",
        f"<h2>Vendor audit {escape(audit_date)}</h2>",
        f"<p>{len(scores)} agencies, {int(scores['calls_audited'].sum())} calls audited, "
        f"{len(violations)} findings of which <b>{len(critical)} critical</b>; "
        f"{len(failing_files)} agency file(s) missing or unreadable.</p>",
        "<h3>Worst agencies</h3><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">",
        "<tr><th>Agency</th><th>Grade</th><th>Score</th><th>Critical</th><th>Findings</th></tr>",
    ]
    for row in ranked.head(WORST_SHOWN).itertuples(index=False):
        score = "not assessed" if pd.isna(row.overall) or not row.assessed else f"{row.overall:.1f}"
        lines.append(f"<tr><td>{escape(str(row.agency_name))} ({escape(row.agency_id)})</td><td>{escape(row.grade)}</td>"
                     f"<td>{score}</td><td>{int(row.critical_findings)}</td><td>{int(row.findings)}</td></tr>")
    lines.append("</table>")
    if len(critical):
        lines += ["<h3>Critical findings</h3><ul>"]
        for finding in critical.head(CRITICAL_SHOWN).itertuples(index=False):
            lines.append(f"<li>{escape(finding.agency_id)} {escape(finding.rule_id)} call {escape(finding.call_id)} "
                         f"to {escape(finding.callee_masked)} at {escape(finding.start_time)}: "
                         f"{escape(finding.detail)}</li>")
        if len(critical) > CRITICAL_SHOWN:
            lines.append(f"<li>… and {len(critical) - CRITICAL_SHOWN} more in the report.</li>")
        lines.append("</ul>")
    if len(failing_files):
        lines += ["<h3>Data-quality failures</h3><ul>"]
        for row in failing_files.itertuples(index=False):
            lines.append(f"<li>{escape(row.agency_id)}: file {escape(row.file_status)}</li>")
        lines.append("</ul>")
    link = escape(portfolio_link(report_dir, base_url))
    lines += [f"<p>Portfolio: <a href=\"{link}\">{link}</a> (summary.xlsx attached).</p>", "</body></html>"]
    subject = (f"Vendor audit {audit_date}: {len(critical)} critical findings, "
               f"worst {ranked.iloc[0]['agency_id'] if len(ranked) else '-'}")
    attachments = tuple(p for p in (report_dir / "summary.xlsx",) if p.is_file())
    return Message(subject=subject, html="\n".join(lines), attachments=attachments)


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
