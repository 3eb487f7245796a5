"""`sources.yaml` (sources.md §1): where each agency's CDR file and each reference table is
pulled from, loaded into frozen dataclasses. Unknown keys and bad values stop the load with
ConfigError naming the key, as rulepacks do.

```yaml
cdr:
  AG01: {kind: sftp, connection: sftp_ag01, path: /outbound/cdr_{date:%Y%m%d}.csv.gz,
         checksum: sidecar, ready_marker: /outbound/cdr_{date:%Y%m%d}.done}
  AG02: {kind: local, path: /mnt/drops/ag02/{date:%Y-%m-%d}.csv}
  AG03: {kind: object, url: s3://bank-drops/ag03/{date:%Y/%m/%d}/cdr.parquet, connection: aws_drops}
reference:
  contracts: {kind: sql, connection: vendor_db, query: SELECT agency_id, … FROM vendor_contracts}
  agents: {kind: sftp, connection: sftp_hr, path: /exports/agents.csv}
complaints: {kind: sftp, connection: sftp_crm, path: /exports/complaints_{date:%Y%m%d}.csv}
sms:
  AG01: {kind: sftp, connection: sftp_ag01, path: /outbound/sms_{date:%Y%m%d}.csv.gz, checksum: sidecar}
  AG02: {kind: sql, connection: vendor_db,
         query: "SELECT … FROM agency_messages WHERE agency_id = 'AG02' AND sent_day = DATE '{date:%Y-%m-%d}'"}
```
`sms:` maps agencies to their text messages of the day (sms/<D>/<agency>.<ext>), from the same
kinds of source as `cdr:` or, as `kind: sql`, from a messages table: there the query is a
template of the business day like a path (checked as one SELECT once rendered).
The day's complaints are a dated feed landing as complaints/<D>.csv (signals.md §1), not a
reference table: `reference: complaints:` is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from audits.config import ConfigError
from audits.loaders import AGENCY_ID, CDR_SUFFIXES, REFERENCE_SUFFIXES
from audits.models import DECISION_TABLES, REFERENCE_TABLES
from audits.safe_yaml import load_yaml, mapping_of, no_unknown_keys, shown
from audits.sources.query import NotASelect, one_select

KINDS = ("sftp", "local", "object", "sql")
CDR_KINDS = ("sftp", "local", "object")
SMS_KINDS = (*CDR_KINDS, "sql")    # an agency's texts may also be read from a messages table
CHANNELS = ("cdr", "sms")          # the sections of agencies' files of the day, and their landing folders
COMPLAINTS = "complaints"          # the top-level key of the day's complaints, and its name in messages
COMPLAINTS_SUFFIXES = (".csv",)    # what the complaints feed reads
CHECKSUMS = ("none", "sidecar")
SIDECAR_SUFFIX = ".sha256"
# Airflow's connection ids: letters, digits and _ . - (what the UI and AIRFLOW_CONN_<ID> accept).
CONNECTION_ID = re.compile(r"[A-Za-z0-9_.-]{1,250}")
_KEYS = {
    "sftp": {"kind", "connection", "path", "checksum", "ready_marker"},
    "local": {"kind", "path", "checksum", "ready_marker"},
    "object": {"kind", "connection", "url", "checksum", "ready_marker"},
    "sql": {"kind", "connection", "query"},
}
_REQUIRED = {"sftp": ("connection", "path"), "local": ("path",), "object": ("url",), "sql": ("connection", "query")}
_SAMPLE_DAY = dt.date(2026, 11, 27)         # to check a template once at load time


def reference_tables() -> tuple[str, ...]:
    """The tables a `reference` entry may name: those read from <landing>/reference/."""
    return (*REFERENCE_TABLES, *DECISION_TABLES)


@dataclass(frozen=True)
class Source:
    """Where one file comes from. `name` is its key in sources.yaml (cdr.AG01, reference.agents)."""

    name: str
    kind: str                         # sftp | local | object | sql
    connection: str = ""              # Airflow connection id ("" for local, optional for object)
    location: str = ""                # path (sftp, local) or URL (object) template; "" for sql
    checksum: str = "none"            # none | sidecar (<file>.sha256 must match)
    ready_marker: str = ""            # template of a file that must exist before the file is pulled
    query: str = ""                   # sql only
    dated_query: bool = False         # the query is a template of the business day (sms.<agency>)

    def location_on(self, day: dt.date) -> str:
        return _render(self.location, day)

    def marker_on(self, day: dt.date) -> str:
        return _render(self.ready_marker, day) if self.ready_marker else ""

    def query_on(self, day: dt.date) -> str:
        """The query to run for `day`: the template rendered when it is dated, else as written."""
        return _render(self.query, day) if self.dated_query else self.query

    def suffix_on(self, day: dt.date) -> str:
        """The landed file's suffix, lower-case: `.csv.gz` for …/cdr_20261127.CSV.GZ; `.csv` for sql."""
        if self.kind == "sql":
            return ".csv"
        name = PurePosixPath(urlsplit(self.location_on(day)).path if self.kind == "object"
                             else self.location_on(day)).name.lower()
        return next((s for s in sorted(REFERENCE_SUFFIXES, key=len, reverse=True) if name.endswith(s)), "")

    @property
    def query_sha256(self) -> str:
        return hashlib.sha256(self.query.encode("utf-8")).hexdigest() if self.query else ""

    def described(self, day: dt.date) -> dict:
        """The source as the landing record and the manifest keep it: kind, connection id and the
        path, URL (without query or user) or the sha256 of the query it runs. Never a credential."""
        where = ({"query_sha256": hashlib.sha256(self.query_on(day).encode("utf-8")).hexdigest()}
                 if self.kind == "sql"
                 else {"url": shown_url(self.location_on(day))} if self.kind == "object"
                 else {"path": self.location_on(day)})
        return {"kind": self.kind, **({"connection": self.connection} if self.connection else {}), **where,
                **({"checksum": self.checksum} if self.kind != "sql" else {})}


@dataclass(frozen=True)
class SourcesConfig:
    """A loaded sources.yaml: per agency and per reference table, its Source."""

    path: Path | None
    sha256: str
    cdr: dict[str, Source] = field(default_factory=dict)
    reference: dict[str, Source] = field(default_factory=dict)
    complaints: Source | None = None          # the day's complaints (complaints/<D>.csv)
    sms: dict[str, Source] = field(default_factory=dict)    # agency -> its texts of the day (sms/<D>/)

    def agencies(self, channel: str) -> dict[str, Source]:
        """The agencies' sources of one channel: `cdr` (calls) or `sms` (texts)."""
        return self.sms if channel == "sms" else self.cdr


def shown_url(url: str) -> str:
    """A URL as logs and records may show it: no user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def load_sources(path: Path) -> SourcesConfig:
    """Load and check sources.yaml; ConfigError naming the file and the key on any problem."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read sources file {path}: {exc.strerror or exc}. Pass --sources (DAG param "
                          "`sources`) with the path of sources.yaml (sources.md §1).") from None
    document = load_yaml(raw, f"Sources file {path}",
                         syntax_hint=" (a template such as {date:%Y%m%d} inside {…} needs quotes).")
    try:
        return parse_sources(document, path=Path(path), sha256=hashlib.sha256(raw).hexdigest())
    except ConfigError as exc:
        raise ConfigError(f"Sources file {path}: {exc}") from None


def parse_sources(document: object, *, path: Path | None = None, sha256: str = "") -> SourcesConfig:
    """The SourcesConfig of a parsed YAML document (None or {} = nothing to pull)."""
    document = {} if document is None else mapping_of(document, "the document")
    no_unknown_keys(document, {*CHANNELS, "reference", COMPLAINTS}, "")
    reference_doc = mapping_of(document.get("reference") or {}, "reference")
    cdr = _agency_sources(document, "cdr", CDR_KINDS)
    sms = _agency_sources(document, "sms", SMS_KINDS)
    reference = {}
    for table, entry in reference_doc.items():
        if table == COMPLAINTS:
            raise ConfigError("reference.complaints: the complaints are not a reference table but the day's feed, "
                              "read from complaints/<YYYY-MM-DD>.csv: move the entry to the top-level key "
                              "`complaints:` with the business day in its path, e.g. "
                              "/exports/complaints_{date:%Y%m%d}.csv.")
        if table not in reference_tables():
            raise ConfigError(f"reference.{str(table)[:80]}: not a reference table. Known tables: "
                              + ", ".join(reference_tables()) + ".")
        reference[table] = _source(entry, f"reference.{table}", kinds=KINDS, suffixes=REFERENCE_SUFFIXES,
                                   dated=False)
    complaints = (_source(document[COMPLAINTS], COMPLAINTS, kinds=CDR_KINDS, suffixes=COMPLAINTS_SUFFIXES,
                          dated=True) if document.get(COMPLAINTS) is not None else None)
    return SourcesConfig(path=path, sha256=sha256, cdr=cdr, reference=reference, complaints=complaints, sms=sms)


def _agency_sources(document: dict, channel: str, kinds: tuple[str, ...]) -> dict[str, Source]:
    """The `cdr:` or `sms:` section: agency id -> the source of its file of the day."""
    sources = {}
    for agency_id, entry in mapping_of(document.get(channel) or {}, channel).items():
        if not isinstance(agency_id, str) or not AGENCY_ID.fullmatch(agency_id):
            raise ConfigError(f"{channel}.{str(agency_id)[:80]}: not an agency id (1 to 64 letters, digits, '_' or "
                              "'-', as contracts.agency_id).")
        sources[agency_id] = _source(entry, f"{channel}.{agency_id}", kinds=kinds, suffixes=CDR_SUFFIXES, dated=True)
    return sources


def _source(entry: object, key: str, *, kinds: tuple[str, ...], suffixes: tuple[str, ...], dated: bool) -> Source:
    entry = mapping_of(entry, key)
    kind = entry.get("kind")
    if kind not in kinds:
        raise ConfigError(f"{key}.kind must be one of {', '.join(kinds)}, got {shown(kind)}.")
    allowed = _KEYS[kind]
    unknown = sorted(str(k) for k in entry if k not in allowed)
    if unknown:
        raise ConfigError(f"unknown key {key}.{unknown[0]} for kind {kind}. "
                          f"Allowed here: {', '.join(sorted(allowed))}.")
    for name in _REQUIRED[kind]:
        if entry.get(name) is None:
            raise ConfigError(f"{key}.{name} is required for kind {kind}.")
    connection = _connection(entry.get("connection"), f"{key}.connection") if "connection" in entry else ""
    checksum = entry.get("checksum", "none")
    if checksum not in CHECKSUMS:
        raise ConfigError(f"{key}.checksum must be one of {', '.join(CHECKSUMS)}, got {shown(checksum)}.")
    if kind == "sql":
        if dated:
            return Source(name=key, kind=kind, connection=connection, dated_query=True,
                          query=_dated_query(entry["query"], f"{key}.query"))
        return Source(name=key, kind=kind, connection=connection, query=_query(entry["query"], f"{key}.query"))
    location_key = "url" if kind == "object" else "path"
    location = _template(entry[location_key], f"{key}.{location_key}", kind, dated=dated)
    marker = _template(entry["ready_marker"], f"{key}.ready_marker", kind, dated=False) \
        if entry.get("ready_marker") is not None else ""
    source = Source(name=key, kind=kind, connection=connection, location=location, checksum=checksum,
                    ready_marker=marker)
    if source.suffix_on(_SAMPLE_DAY) not in suffixes:
        raise ConfigError(f"{key}.{location_key}: {shown(source.location_on(_SAMPLE_DAY))} does not end in "
                          f"{', '.join(suffixes)}; the landed file takes the source's suffix, so it must be one "
                          "the audit reads.")
    return source


def _template(value: object, key: str, kind: str, *, dated: bool) -> str:
    """A path or URL with strftime fields of the business day: /out/cdr_{date:%Y%m%d}.csv."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} must be a non-empty string, got {shown(value)}.")
    value = value.strip()
    try:
        rendered = _render(value, _SAMPLE_DAY)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"{key}: {shown(value)} is not a usable template ({exc}); the only field is the business "
                          "day, e.g. {date:%Y%m%d} (write {{ and }} for literal braces).") from None
    if dated and rendered == _render(value, _SAMPLE_DAY + dt.timedelta(days=1)):
        raise ConfigError(f"{key}: {shown(value)} names the same file every day; put the business day in it, e.g. "
                          "{date:%Y%m%d}, so that each day's file lands in its own day.")
    if kind == "local" and not PurePosixPath(rendered).is_absolute():
        raise ConfigError(f"{key}: {shown(value)} is relative; a local source must be an absolute path (workers run "
                          "in different folders).")
    if kind == "object":
        parts = urlsplit(rendered)
        if not parts.scheme or "://" not in rendered:
            raise ConfigError(f"{key}: {shown(value)} is not a URL (scheme://…, e.g. s3://bucket/key or file:///path).")
        if parts.username or parts.password or parts.query:
            raise ConfigError(f"{key}: the URL holds a user, password or query string; credentials belong in the "
                              "Airflow connection (key `connection`), never in sources.yaml.")
    return value


def _render(template: str, day: dt.date) -> str:
    return template.format(date=day)


def _query(value: object, key: str) -> str:
    """One SELECT (query.one_select), its final ';' dropped; run as a read-only cursor (sql.py)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} must be a non-empty SQL query, got {shown(value)}.")
    try:
        return one_select(value)
    except NotASelect as exc:
        raise ConfigError(f"{key}: not a single SELECT: {exc}") from None


def _dated_query(value: object, key: str) -> str:
    """A query of one business day: a template like a dated path ({date:%Y-%m-%d}) that is one
    SELECT once rendered (the rendered query is checked again before it runs) and differs from day
    to day."""
    template = _template(value, key, "sql", dated=True)
    _query(_render(template, _SAMPLE_DAY), key)
    return template


def _connection(value: object, key: str) -> str:
    if not isinstance(value, str) or not CONNECTION_ID.fullmatch(value):
        raise ConfigError(f"{key} must be an Airflow connection id (letters, digits, '_', '.', '-'), "
                          f"got {shown(value)}.")
    return value
