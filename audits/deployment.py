"""What running under a scheduler settles, as pure functions the DAG calls: which day a run
audits, how long it waits for late agencies, and that its folders are shared by every process.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import MISSING, dataclass, fields
from pathlib import Path, PurePath
from zoneinfo import ZoneInfo

from audits.config import ConfigError
from audits.errors import PermanentError
from audits.manifest import MANIFEST, hash_mismatch
from audits.sources.landing import input_channel

# What a retry cannot fix (audits.errors): an unusable rulepack or setting (a relative path, mixed
# HMAC keys), unusable reference data, a stage input missing from the run's work directory, a
# review that cannot be made. The DAGs fail these at once; any other error (I/O, connections, a
# lock held by another run, a source server down) is retried.
PERMANENT_ERRORS = (PermanentError,)

# The nightly DAG's mapped tasks (Airflow keys a mapped task's state `<task id>_<map index>`).
PULL_TASK = "pull_sources"
SMS_PULL_TASK = "pull_sms"            # an agency's text messages (sources.yaml `sms:`)
MAPPED_TASKS = (PULL_TASK, SMS_PULL_TASK, "stage_agency", "bank_wide_rules")


def audited_day(scheduled_at: dt.datetime, bank_timezone: str) -> dt.date:
    """The business day a run scheduled at `scheduled_at` audits: the bank-local day before."""
    return scheduled_at.astimezone(ZoneInfo(bank_timezone)).date() - dt.timedelta(days=1)


def landing_deadline(scheduled_at: dt.datetime, wait_minutes: int) -> dt.datetime:
    """The moment a run stops waiting for late agencies: its scheduled time plus the wait.

    Measured from when the run was due (Airflow's run_after / data interval end), never from when
    it started: a backfill of last month is due long ago, so it never waits for a missing file.
    """
    return scheduled_at + dt.timedelta(minutes=wait_minutes)


def landing_wait_over(now: dt.datetime, scheduled_at: dt.datetime, wait_minutes: int) -> bool:
    """True once the run's landing deadline has passed (or is now)."""
    return now >= landing_deadline(scheduled_at, wait_minutes)


def shared_paths(paths: dict[str, str], environment_variable: str) -> None:
    """ConfigError unless every path (param name -> path) is absolute.

    Under a scheduler the dag-processor and each worker run in their own working directory, so a
    relative landing/out/store names a different folder in each process.
    """
    for name, path in paths.items():
        if not path or not PurePath(path).is_absolute():
            shown = f"{path!r}, a relative path" if path else "empty"
            raise ConfigError(
                f"Param `{name}` is {shown}. Under Airflow, landing, out and store must be absolute paths on "
                f"storage shared by the dag-processor and every worker: set {environment_variable} to such a "
                f"path in the environment of all of them (the params default to {environment_variable}/landing, "
                f"/reports and /store), or pass an absolute `{name}` in the run's conf.")


def failed_tasks(states: dict[str, str | None]) -> list[str]:
    """The tasks of a run that failed or could not run because one upstream failed, from
    Airflow's task states (task id, or `<task id>_<map index>` -> state)."""
    return sorted(name for name, state in states.items() if state in ("failed", "upstream_failed"))


def failed_pulls(failed: list[str], agencies: list[str], task: str = PULL_TASK) -> dict[str, str]:
    """The failed tasks that are pulls (Airflow's state key `pull_sources_<i>`, or `pull_sms_<i>`
    with `task`) -> the agency each pulled: the mapped task `<task>_<i>` pulled `agencies[i]`
    (source_agencies' or sms_source_agencies' list)."""
    found = {}
    for name in failed:
        index = name.removeprefix(f"{task}_")
        if index != name and index.isdigit() and int(index) < len(agencies):
            found[name] = agencies[int(index)]
    return found


def pull_failure_lines(agencies: list[str], inputs: list[dict] | None, day: str, channel: str = "cdr") -> list[str]:
    """One sentence per agency whose pull failed, saying what the report did without it: audited a
    file that was in the landing zone already (landed earlier, not by this pull), or none
    (DQ_FILE_MISSING). `inputs` are the published manifest's; None when nothing was published.
    `channel` sms: the agency's SMS file (missing, its texts are DQ_FILE_MISSING; its calls are
    still assessed)."""
    lines = []
    what = "SMS file" if channel == "sms" else "file"
    for agency in agencies:
        pulled = f"{agency}: the pull of its {what} of {day} from its source failed"
        read = [e for e in inputs or () if input_channel(e) == channel and e.get("agency_id") == agency
                and e.get("status") != "ignored"]
        if inputs is None:
            lines.append(f"{pulled}.")
        elif not read or all(e.get("status") == "missing" for e in read):
            lines.append(f"{pulled}, and no {what} of that day was in the landing zone: the report shows {agency} "
                         + ("with DQ_FILE_MISSING for its texts (its calls are still assessed)." if channel == "sms"
                            else "as DQ_FILE_MISSING (not assessed)."))
        elif isinstance((entry := read[0]).get("source"), dict):
            lines.append(f"{pulled}; the report audited {entry.get('path')}{_status(entry)}, which a later try or "
                         f"an earlier pull had landed from that source ({entry['source'].get('pulled_at') or '?'}).")
        else:
            lines.append(f"{pulled}; the report audited {entry.get('path')}{_status(entry)}, a file landed earlier "
                         "by other means, not pulled from that source: the source's file may differ.")
    return lines


def _status(entry: dict) -> str:
    return "" if entry.get("status") == "ok" else f" (status {entry.get('status')})"


def run_failed_message(failed: list[str], *, published: bool = False, pulls: dict[str, str] | None = None,
                       pull_lines: list[str] = ()) -> str:
    """Why the run's last task fails: the DagRun must not look green when its work did not finish
    (a cleared task that failed again leaves the other leaves as they were), nor when a pull
    failed although the report was published without that agency's pulled file. `pulls` gives
    the agency of each failed pull task (failed_pulls), `pull_lines` what became of each."""
    pulls = pulls or {}
    named = [f"{key.rpartition('_')[0]}[{agency}]" for key, agency in pulls.items()] + \
        [_task_label(t) for t in failed if t not in pulls]
    shown = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
    details = [f"- {line}" for line in pull_lines]
    if published:
        return "\n".join([
            f"The report IS PUBLISHED, but {shown} failed (see their logs):", *details,
            "Fix the cause (the source's connection or file). An agency shown DQ_FILE_MISSING: clear its failed "
            "pull_sources task with its downstream tasks to audit the day again with that file. An agency audited "
            "from a file landed earlier: if its source's file differs, trigger the day again (param audit_date) "
            "with replace_landed: true."])
    return "\n".join([
        f"The run did not finish: {shown} failed or could not run (see their logs). Its work files were removed.",
        *details,
        "Fix the cause, then clear the failed task: a cleared task rebuilds what it needs from the landing zone."])


def _task_label(state_key: str) -> str:
    """`stage_agency_2` (Airflow's key of a mapped task's state) as `stage_agency[2]`."""
    base, _, index = state_key.rpartition("_")
    return f"{base}[{index}]" if base in MAPPED_TASKS and index.isdigit() else state_key



def earlier_run_message(run_id: str, audit_date: str) -> str:
    """What a run's publish waits for: a run of an earlier day (by logical date) still running."""
    return (f"Waiting for run {run_id} (an earlier day) to finish before publishing {audit_date}: this day's "
            "trends (change_prev_day, change_prev_7d) and cases build on the earlier days' reports. A backfill "
            "runs its days at once; their reports come out oldest first.")


def published_inputs(report_dir: Path) -> list[dict] | None:
    """The inputs the published report in `report_dir` lists (its manifest's); None without one."""
    try:
        inputs = json.loads((report_dir / MANIFEST).read_text(encoding="utf-8")).get("inputs")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    return [e for e in inputs if isinstance(e, dict)] if isinstance(inputs, list) else None


def publication_problem(report_dir: Path, run_id: str) -> str | None:
    """None when the run `run_id` published the report in `report_dir` (its manifest names the run)
    and every output the manifest lists hashes as listed; else why the run cannot be called done.
    A run is green only when this is None, whatever happened to its tasks: an operator who marks
    a run failed (or success) while a task waits for its retry makes Airflow skip every task not
    yet done, and a run of skipped tasks would otherwise end green with nothing published."""
    try:
        manifest = json.loads((report_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"This run published nothing: {report_dir} has no {MANIFEST}. " + RUN_AGAIN
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"This run's report cannot be confirmed: {report_dir / MANIFEST} cannot be read ({exc}). " + RUN_AGAIN
    if not isinstance(manifest, dict) or manifest.get("run_id") != run_id:
        other = manifest.get("run_id") if isinstance(manifest, dict) else None
        return (f"This run published nothing: the report in {report_dir} is run {other}'s, not this run's "
                f"({run_id}). " + RUN_AGAIN)
    outputs = manifest.get("outputs") if isinstance(manifest.get("outputs"), dict) else {}
    problems = [p for name, digest in sorted(outputs.items())
                for p in hash_mismatch(report_dir / name, str(digest), f"output {name}", "the report was altered")]
    if problems or not outputs:
        shown = problems[:10] or [f"{MANIFEST} lists no outputs."]
        return "\n".join([f"This run's report in {report_dir} does not match its manifest:", *shown,
                          f"Check it with `python -m audits verify {report_dir}`. " + RUN_AGAIN])
    return None


RUN_AGAIN = ("The run is not green until its report is published: clear its failed or skipped tasks with their "
             "downstream tasks, or trigger the day again (param audit_date).")


@dataclass(frozen=True)
class RunSettings:
    """What the nightly DAG's first task settles for every later one: the day, the shared
    folders, the rulepack and the run's identity, how long to wait and whom to tell. Tasks pass
    it through XCom as plain JSON (`as_xcom`, `from_xcom`), never as a pickled object."""

    audit_date: dt.date
    landing: Path
    out: Path
    store: Path
    rulepack: str                     # a rulepack name or YAML path, loaded by each task
    run_id: str
    code_version: str
    generated_at: str                 # ISO timestamp of the run, for provenance
    landing_wait_minutes: int
    rule_partitions: int
    notify_to: str = ""               # comma-separated addresses
    notify_from: str = ""
    report_base_url: str = ""
    desk_base_url: str = ""           # where the case desk is served: the portfolio and e-mail link there
    sources: str = ""                 # sources.yaml; empty: <landing>/sources.yaml if present
    replace_landed: bool = False

    @property
    def report_dir(self) -> Path:
        return self.out / self.audit_date.isoformat()

    def as_xcom(self) -> dict:
        """JSON values only: the date as YYYY-MM-DD, folders as text."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**values, "audit_date": self.audit_date.isoformat(),
                **{name: str(values[name]) for name in ("landing", "out", "store")}}

    @classmethod
    def from_xcom(cls, values: dict) -> RunSettings:
        """The settings `as_xcom` wrote; ConfigError naming the keys when some are missing or unknown."""
        known = {f.name for f in fields(cls)}
        required = {f.name for f in fields(cls) if f.default is MISSING}
        if set(values) - known or required - set(values):
            raise ConfigError(f"the run's settings do not match this code: missing {sorted(required - set(values))}, "
                              f"unknown {sorted(set(values) - known)}. Clear the whole run from resolve_run.")
        return cls(**{**values, "audit_date": dt.date.fromisoformat(values["audit_date"]),
                      **{name: Path(values[name]) for name in ("landing", "out", "store")},
                      "landing_wait_minutes": int(values["landing_wait_minutes"]),
                      "rule_partitions": int(values["rule_partitions"]),
                      "replace_landed": bool(values.get("replace_landed", False))})
