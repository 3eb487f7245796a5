"""Text messages of the sample (sms.md): who texts, their registered ports, the background
texts and replies, the SMS files and the texts' ground truth.

Texting agencies are the clean and normal agencies whose files are read on every day (their
contracts say `call;sms`), an agency whose NDA lapsed (its texts carry CONF_NDA_NOT_IN_FORCE
like its calls) and the agency with a campaign outside its contract, which texts although its
contract says `call` only (every text QUAL_OUT_OF_SCOPE). Background texts go to numbers of
their own, never called: each gets at most one text a day, so no cap is reached by chance.
A background opt-out ends the marketing texts to that number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audits.sample.agencies import CLEAN, CUSTOMER_TZ, NDA, NORMAL, SCOPE, Agency, Plan, local_ms, zone_offset_s
from audits.sample.calls import SECOND_STYLES
from audits.sample.plants import DAY_MS, H, Planter
from audits.sample.reference import OPEN, PURPOSE_CODES, apportion, day_strings
from audits.sample.writer import callee_strings, csv_bytes, encode_csv, parquet_bytes, ts_strings, write_atomic

SMS_HEADER = ["message_id", "agency_id", "agent_id", "campaign_id", "direction", "sender", "customer_number",
              "sent_at", "status", "text", "customer_tz"]
SMS_SUFFIXES = (".csv", ".csv.gz", ".parquet")
SMS_FORMATS = ("csv", "csv.gz", "parquet", "gb18030", "bom")     # by position among the texting agencies
TEXTS_PER_CALLS = 20            # background texts a day: one per 20 calls of the day
STATUSES = ("DELIVERED", "PENDING", "FAILED", "REJECTED")
STATUS_P = (0.86, 0.04, 0.06, 0.04)
REPLIES = ("好的", "收到，谢谢", "已还款", "什么时候到账？", "OK", "知道了")         # harmless MO replies
OPT_OUTS = ("T", "退订", "ｔ", "STOP", "td", "TD退订")                           # MO opt-outs (sms.md §1)
OPT_OUT_SENTENCES = ("回复T退订", "退订回T", "回TD退订", "拒收请回复退订")
BODIES = {
    "marketing": ("您的信用卡临时额度已提升，详询客服。", "分期手续费限时优惠，App内可办理。",
                  "专属理财产品上新，欢迎了解。", "个人消费贷款利率优惠，点击App查看。"),
    "servicing": ("您的账单已出，请按时还款。", "您申请的业务已办理完成。", "您的卡片已寄出，请注意查收。",
                  "您的自动还款已设置成功。"),
    "collection": ("您的账户已逾期，请尽快还款以免影响信用。", "您本期账单尚未还清，请及时处理。",
                   "温馨提示：您的欠款已逾期，请联系我们协商还款。"),
}


@dataclass
class Text:
    """One planned message (MT or MO); `rules` are its planted findings."""
    agency: int
    campaign: str
    number: int
    sent_ms: int
    direction: str = "MT"
    status: str = "DELIVERED"
    text: str = ""
    sender: str = ""               # a written port; blank: the agency's first port
    agent: str = ""
    tz: str = ""
    rules: tuple[str, ...] = ()
    dq: str = ""                   # a planted data-quality problem: the row is quarantined
    copied: bool = False           # a copy of the row follows it (DQ_DUPLICATE_MESSAGE_ID)


@dataclass
class Texting:
    """Who texts and from which ports; the planned texts per day."""
    plan: Plan
    agencies: list[int]                        # texting agencies (idx), in agency order
    channels: dict[int, str]                   # contracts.channels of each agency's contract in force
    ports: dict[int, list[str]]                # registered SMS ports (digits) of each texting agency
    port_rows: list[dict] = field(default_factory=list)   # agency, port, from, to (caller_numbers rows)
    texts: dict[int, list[Text]] = field(default_factory=dict)
    retired: set[int] = field(default_factory=set)         # numbers that opted out of marketing texts

    @classmethod
    def choose(cls, plan: Plan, rng: np.random.Generator) -> Texting:
        always = [a for a in plan.agencies if all(plan.readable(d, a.idx) for d in range(plan.days))]
        texting = [a.idx for a in always if a.role in (CLEAN, NORMAL, NDA, SCOPE)]
        channels = {a.idx: ("call;sms" if a.idx in texting and a.role != SCOPE else ("call" if a.idx % 2 else ""))
                    for a in plan.agencies}
        out = cls(plan=plan, agencies=texting, channels=channels, ports={})
        for a in texting:
            out.ports[a] = [f"1069{(a + 1) % 100:02d}{j:02d}{int(rng.integers(10**4)):04d}" for j in range(2)]
            for port in out.ports[a]:
                out.add_port(a, port, -int(rng.integers(30, 500)))
        return out

    def add_port(self, agency: int, port: str, registered_from: int, registered_to: int = OPEN) -> str:
        self.port_rows.append({"agency": agency, "port": port, "from": registered_from, "to": registered_to})
        return port

    def permits_sms(self, agency: int) -> bool:
        return "sms" in self.channels[agency]

    def hosts(self) -> list[int]:
        """Texting agencies that host planted texts: normal ones, with sms in their contracts."""
        return [a for a in self.agencies if self.plan.agencies[a].role == NORMAL]

    def add(self, day: int, text: Text) -> Text:
        self.texts.setdefault(day, []).append(text)
        return text

    def level_rules(self, agency: int) -> tuple[str, ...]:
        """Findings every text of the agency carries because of its contract."""
        role = self.plan.agencies[agency].role
        if role == NDA:
            return ("CONF_NDA_NOT_IN_FORCE",)
        return () if self.permits_sms(agency) else ("QUAL_OUT_OF_SCOPE",)

    def set_contract_channels(self) -> None:
        """contracts.channels: the contract in force as chosen; an earlier contract: call only."""
        for a in self.plan.agencies:
            for row in a.contracts:
                row["channels"] = self.channels[a.idx] if row is a.contracts[-1] else "call"

    def port_frame(self) -> pd.DataFrame:
        """caller_numbers rows of channel sms (the port as digits, as operators list them)."""
        rows = self.port_rows
        return pd.DataFrame({
            "agency_id": [self.plan.agencies[r["agency"]].agency_id for r in rows],
            "caller_number": [r["port"] for r in rows],
            "registered_from": day_strings(self.plan, np.array([r["from"] for r in rows], dtype=np.int64)),
            "registered_to": day_strings(self.plan, np.array([r["to"] for r in rows], dtype=np.int64)),
            "channel": "sms"})


def signed(plan: Plan, agency: int, body: str, purpose: str, *, opt_out: str | None = None,
           at_end: bool = False) -> str:
    """A text as agencies write them: 【signature】, the body and, for marketing, how to opt out."""
    name = "招商融通" if plan.agencies[agency].abbr[0] in "RSPHQJ" else "华信银行"
    sentence = opt_out if opt_out is not None else (OPT_OUT_SENTENCES[agency % len(OPT_OUT_SENTENCES)]
                                                    if purpose == "marketing" else "")
    return f"{body}{sentence}【{name}】" if at_end else f"【{name}】{body}{sentence}"


def background_texts(texting: Texting, pl: Planter, calls_per_day: int, rng: np.random.Generator) -> None:
    """Everyday texts and replies of every texting agency on every day (numbers of their own)."""
    plan = texting.plan
    if not texting.agencies:
        return
    total = max(20, round(calls_per_day / TEXTS_PER_CALLS))
    per_agency = apportion(total, np.array([plan.agencies[a].weight for a in texting.agencies]))
    for a, volume in zip(texting.agencies, per_agency.tolist()):
        agency = plan.agencies[a]
        purposes = [p for p in PURPOSE_CODES if plan.in_scope(agency, p)]
        for purpose, n in zip(purposes, apportion(volume, np.ones(len(purposes))).tolist()):
            _purpose_texts(texting, pl, a, purpose, n, rng)


def _purpose_texts(texting: Texting, pl: Planter, a: int, purpose: str, n: int, rng: np.random.Generator) -> None:
    plan = texting.plan
    size = math.ceil(1.6 * n) + 5
    numbers, customers = pl.numbers.take(size)
    own = np.asarray(plan.in_scope(plan.agencies[a], purpose), dtype=object)
    campaigns = own[rng.integers(0, own.size, size)]
    for number, customer, campaign in zip(numbers.tolist(), customers.tolist(), campaigns.tolist()):
        pl.assignments.append({"agency": a, "campaign": campaign, "number": number, "customer": customer,
                               "from": -int(rng.integers(30, 300)), "to": OPEN})
        if purpose == "marketing":
            pl.add_consent(number, customer, pl.day_ms(0) - int(rng.integers(20, 500)) * DAY_MS)
    bodies = BODIES[purpose]
    for day in range(plan.days):
        live = [i for i in range(size) if numbers[i] not in texting.retired]
        chosen = rng.choice(live, min(n, len(live)), replace=False)
        for i in sorted(chosen.tolist()):
            sent = local_ms(CUSTOMER_TZ, plan.date(day), int(rng.integers(int(8.5 * H), int(20.5 * H))))
            status = STATUSES[int(rng.choice(4, p=STATUS_P))]
            body = bodies[int(rng.integers(len(bodies)))]
            agent = ""
            if rng.random() < 0.2:
                ids = pl.roster.eligible(a, day)
                agent = str(ids[int(rng.integers(ids.size))]) if ids.size else ""
            texting.add(day, Text(a, campaigns[i], int(numbers[i]), sent, status=status, agent=agent,
                                  text=signed(plan, a, body, purpose, at_end=rng.random() < 0.1)))
            if status == "DELIVERED" and rng.random() < 0.08:                  # the customer answers
                opt_out = rng.random() < 0.3
                replies = OPT_OUTS if opt_out else REPLIES
                reply = replies[int(rng.integers(len(replies)))]
                texting.add(day, Text(a, campaigns[i], int(numbers[i]), sent + int(rng.integers(30, 1800)) * 1000,
                                      direction="MO", status="", text=reply))
                if opt_out and purpose == "marketing":
                    texting.retired.add(int(numbers[i]))


# --- files and truth ------------------------------------------------------------------------

@dataclass
class SmsDay:
    files: dict[int, tuple[list[str], list[np.ndarray]]]     # agency -> (header, columns)
    truth: pd.DataFrame                                       # agency_id, call_id, rule_id, row_number, channel
    subjects: pd.DataFrame                                    # agency_id, call_id, agent, campaign, callee, caller


def sms_format(texting: Texting, agency: int) -> str:
    return SMS_FORMATS[texting.agencies.index(agency) % len(SMS_FORMATS)]


def sms_day(texting: Texting, day: int, rng: np.random.Generator) -> SmsDay:
    """The day's SMS files (rows in sent order, ids assigned) and their truth."""
    plan = texting.plan
    files, truth, subjects = {}, [], []
    date = plan.date(day)
    for a in texting.agencies:
        agency = plan.agencies[a]
        rows = sorted((t for t in texting.texts.get(day, []) if t.agency == a),
                      key=lambda t: (t.sent_ms, t.direction == "MT"))
        ids = np.array([f"{agency.abbr}S{date:%y%m%d}N{k + 1:05d}" for k in range(len(rows))], dtype=object)
        header, columns = _columns(texting, agency, rows, ids, date, rng)
        source = np.array([k for k, t in enumerate(rows) for _ in range(2 if t.copied else 1)], dtype=np.int64)
        files[a] = (header, [c[source] for c in columns])
        level = texting.level_rules(a)
        found = [(mid, rule, "") for mid, t in zip(ids, rows) if t.direction == "MT" and not t.dq
                 for rule in sorted(set(t.rules) | set(level))]
        copy = np.r_[False, source[1:] == source[:-1]]
        found += [(ids[k], "DQ_DUPLICATE_MESSAGE_ID" if is_copy else rows[k].dq, str(n + 1))
                  for n, (k, is_copy) in enumerate(zip(source.tolist(), copy.tolist())) if is_copy or rows[k].dq]
        truth.append(pd.DataFrame(found, columns=["call_id", "rule_id", "row_number"]).assign(
            agency_id=agency.agency_id, channel="sms"))
        subjects.append(pd.DataFrame({
            "agency_id": agency.agency_id, "call_id": ids, "agent": [t.agent for t in rows],
            "campaign": [t.campaign for t in rows], "callee": np.array([t.number for t in rows], dtype=np.int64),
            "caller": [_digits(t.sender or texting.ports[a][0]) for t in rows]}))
    columns = ["agency_id", "call_id", "rule_id", "row_number", "channel"]
    out = pd.concat(truth, ignore_index=True) if truth else pd.DataFrame(columns=columns)
    return SmsDay(files=files, truth=out[columns],
                  subjects=pd.concat(subjects, ignore_index=True) if subjects else pd.DataFrame())


def _digits(port: str) -> str:
    return "".join(ch for ch in port if ch.isdigit())


def _columns(texting: Texting, agency: Agency, rows: list[Text], ids: np.ndarray, date, rng: np.random.Generator):
    n = len(rows)
    primary = agency.ts_primary if agency.ts_primary in SECOND_STYLES else 0
    style = np.where(rng.random(n) < 0.8, primary, np.asarray(SECOND_STYLES)[rng.integers(0, len(SECOND_STYLES), n)])
    offset = np.full(n, zone_offset_s(agency.tz, date))
    forms = np.where(rng.random(n) < 0.7, agency.phone_primary, rng.integers(0, 6, n))
    port = texting.ports[agency.idx]
    text = {
        "message_id": ids,
        "agency_id": np.full(n, agency.agency_id, dtype=object),
        "agent_id": np.array([t.agent for t in rows], dtype=object),
        "campaign_id": np.array([t.campaign for t in rows], dtype=object),
        "direction": np.array([t.direction for t in rows], dtype=object),
        "sender": np.array([_written_port(t.sender or port[int(rng.integers(len(port)))], agency.idx)
                            for t in rows], dtype=object),
        "customer_number": callee_strings(np.array([t.number for t in rows], dtype=np.int64), forms),
        "sent_at": ts_strings(np.array([t.sent_ms for t in rows], dtype=np.int64), style.astype(np.int64), offset),
        "status": np.array([t.status for t in rows], dtype=object),
        "text": np.array([t.text for t in rows], dtype=object),
        "customer_tz": np.array([t.tz for t in rows], dtype=object),
    }
    header = [c for c in SMS_HEADER if agency.has_callee_tz or c != "customer_tz"]
    return header, [text[c] for c in header]


def _written_port(port: str, agency: int) -> str:
    """Ports as agencies export them: digits, grouped by spaces or dashes, or with a '+'."""
    if not port.startswith("1069") or len(port) != 12:
        return port
    form = agency % 4
    return {0: port, 1: f"{port[:4]} {port[4:8]} {port[8:]}", 2: f"{port[:4]}-{port[4:8]}-{port[8:]}",
            3: f"+{port}"}[form]


def write_sms_day(folder, texting: Texting, day: SmsDay) -> int:
    """Write the day's SMS files; returns the data rows written. Other runs' files are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    written, rows = set(), 0
    for a, (header, columns) in day.files.items():
        agency = texting.plan.agencies[a]
        fmt = sms_format(texting, a)
        suffix = {"csv.gz": ".csv.gz", "parquet": ".parquet"}.get(fmt, ".csv")
        path = folder / f"{agency.agency_id}{suffix}"
        if fmt == "parquet":
            data = parquet_bytes(header, columns)
        else:
            data = encode_csv(csv_bytes(header, columns, newline="\r\n" if fmt == "gb18030" else "\n"), fmt)
        write_atomic(path, data)
        written.add(path.name)
        rows += len(columns[0])
    for path in folder.iterdir():
        if path.is_file() and path.name.endswith(SMS_SUFFIXES) and path.name not in written:
            path.unlink()
    return rows
