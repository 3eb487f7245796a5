"""Who the sample's agencies are: names, roles, zones, file formats, campaigns, contracts.

Every agency gets one *role*. The agency-level plants (expired contract, NDA not in force,
expired licence, a campaign outside the contract) go to the last four agencies; with five
or more agencies the first one is the fully clean agency (no plant of any kind).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

BANK_TZ = "Asia/Shanghai"
OTHER_TZ = "Asia/Urumqi"
# Every customer has a CN mobile, which phonenumbers puts in Asia/Shanghai: calling hours are
# judged there, whatever the agency's zone or the callee_tz it writes (data-contract §1).
CUSTOMER_TZ = "Asia/Shanghai"

CLEAN, NORMAL = "clean", "normal"
EXPIRED, NDA, LICENCE, SCOPE = "expired_contract", "nda_expired", "licence_expired", "out_of_scope"
LEVEL_ROLES = (EXPIRED, NDA, LICENCE, SCOPE)          # assigned to the last four agencies
LEVEL_RULE = {EXPIRED: "QUAL_NO_CONTRACT", NDA: "CONF_NDA_NOT_IN_FORCE",
              LICENCE: "QUAL_LICENCE_INVALID", SCOPE: "QUAL_OUT_OF_SCOPE"}

# (name, call-id prefix, kind); kinds decide campaigns and the purpose mix.
PRESETS = (
    ("上海融通客户服务有限公司", "RT", "full"),
    ("Silk Road Customer Care", "SRC", "full"),
    ("华信催收服务有限公司", "HX", "collection"),
    ("广州粤信电话营销有限公司", "YX", "telemarketing"),
    ("Pacific Contact Solutions", "PCS", "full"),
    ("深圳鹏城资产管理有限公司", "PC", "collection"),
    ("Harbour Point Collections", "HPC", "collection"),
    ("杭州钱塘呼叫中心有限公司", "QT", "telemarketing"),
    ("北京京诚信用管理有限公司", "JC", "collection"),
    ("Lotus Bay Teleservices", "LBT", "telemarketing"),
    ("成都天府客服外包有限公司", "TF", "full"),
    ("Jade Gate Outsourcing", "JGO", "full"),
    ("中诚信达商务咨询有限公司", "ZC", "collection"),
    ("Meridian Call Partners", "MCP", "telemarketing"),
)
_CITIES = ("苏州", "南京", "武汉", "西安", "重庆", "天津", "青岛", "厦门", "长沙", "郑州",
           "合肥", "昆明", "大连", "宁波", "福州", "济南", "沈阳", "南宁", "贵阳", "太原")
_WORDS = ("恒信", "中安", "瑞丰", "鼎诚", "汇通", "安泰", "宏远", "嘉禾", "信达", "和顺")
_CN_SUFFIX = {"full": "客户服务有限公司", "collection": "资产管理有限公司",
              "telemarketing": "电话营销有限公司"}
_LATIN = (("Blue", "Golden", "Eastern", "Summit", "Harbor", "Crystal", "Evergreen", "Pearl",
           "Red Cliff", "Northern"),
          ("Contact", "Collections", "Teleservices", "Call", "Voice", "Customer"),
          ("Solutions", "Partners", "Group", "Services", "Center", "Associates"))

# campaign code -> (purpose, product); the campaign id is "<code>-<yymm of the start>".
CAMPAIGN_SPECS = {
    "MKT-CC": ("marketing", "CREDIT_CARD"), "MKT-PL": ("marketing", "PERSONAL_LOAN"),
    "MKT-MG": ("marketing", "MORTGAGE"), "MKT-WM": ("marketing", "WEALTH_MGMT"),
    "SRV-CC": ("servicing", "CREDIT_CARD"), "SRV-PL": ("servicing", "PERSONAL_LOAN"),
    "SRV-MG": ("servicing", "MORTGAGE"),
    "COL-CC": ("collection", "CREDIT_CARD"), "COL-PL": ("collection", "PERSONAL_LOAN"),
    "COL-AL": ("collection", "AUTO_LOAN"), "COL-MG": ("collection", "MORTGAGE"),
}
KIND_CAMPAIGNS = {
    "full": ("MKT-CC", "MKT-PL", "SRV-CC", "SRV-MG", "COL-CC", "COL-PL"),
    "collection": ("COL-CC", "COL-PL", "COL-AL", "COL-MG", "SRV-PL"),
    "telemarketing": ("MKT-CC", "MKT-PL", "MKT-WM", "SRV-CC", "SRV-PL"),
}
KIND_SHARES = {
    "full": {"marketing": 0.35, "servicing": 0.25, "collection": 0.40},
    "collection": {"collection": 0.85, "servicing": 0.15},
    "telemarketing": {"marketing": 0.65, "servicing": 0.35},
}
PLAIN_CSV = ("csv", "gb18030", "bom")        # formats that are plain text CSV files


@dataclass
class Agency:
    idx: int
    agency_id: str
    name: str
    abbr: str
    kind: str
    role: str
    tz: str                                   # zone of naive timestamps (contract's timezone)
    fmt: str                                  # csv | csv.gz | parquet | gb18030 | bom
    id_style: str                             # "prefixed" or "numeric" call ids
    ts_primary: int                           # dominant timestamp style (writer.TS_STYLES)
    phone_primary: int                        # dominant written phone form
    lower_enums: bool                         # writes 'answered' instead of 'ANSWERED'
    has_callee_tz: bool                       # exports the optional callee_tz column
    weight: float                             # share of the daily volume
    campaigns: tuple[str, ...] = ()
    excluded: str | None = None               # campaign whose product the contract lacks
    contracts: list[dict] = field(default_factory=list)

    @property
    def in_force(self) -> bool:
        return self.role != EXPIRED

    @property
    def plain_csv(self) -> bool:
        return self.fmt in PLAIN_CSV

    @property
    def suffix(self) -> str:
        return {"csv.gz": ".csv.gz", "parquet": ".parquet"}.get(self.fmt, ".csv")

    def level_rules(self, campaign: str) -> tuple[str, ...]:
        """Findings every audited call of this agency carries because of its contract."""
        if self.role in (EXPIRED, NDA, LICENCE):
            return (LEVEL_RULE[self.role],)
        if self.role == SCOPE and campaign == self.excluded:
            return (LEVEL_RULE[SCOPE],)
        return ()


@dataclass
class Plan:
    start: dt.date
    days: int
    agencies: list[Agency]
    campaigns: dict[str, tuple[str, str]]     # campaign id -> (purpose, product)
    missing: tuple[int, int] | None           # (day index, agency idx) with no file
    unreadable: tuple[int, int] | None        # (day index, agency idx) with a broken header
    cap_host: int | None = None               # agency that gets volume for the caller-cap plant

    @property
    def last(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def readable(self, day: int, agency: int) -> bool:
        return (day, agency) not in (self.missing, self.unreadable)

    def purpose(self, campaign: str) -> str | None:
        spec = self.campaigns.get(campaign)
        return spec[0] if spec else None

    def in_scope(self, agency: Agency, purpose: str) -> list[str]:
        return [c for c in agency.campaigns if c != agency.excluded and self.campaigns[c][0] == purpose]


def plan_agencies(n: int, start: dt.date, days: int, rng: np.random.Generator) -> Plan:
    if not 1 <= n <= 200:
        raise ValueError(f"agencies must be between 1 and 200, got {n}")
    yymm = start.strftime("%y%m")
    campaigns = {f"{code}-{yymm}": spec for code, spec in CAMPAIGN_SPECS.items()}
    width = 2 if n < 100 else 3
    agencies = []
    for i in range(n):
        name, abbr, kind = _identity(i)
        role = LEVEL_ROLES[i - (n - 4)] if i >= n - 4 else (CLEAN if i == 0 else NORMAL)
        fmt = {1: "csv.gz", 2: "parquet", 3: "gb18030", 4: "bom"}.get(i, "csv")
        tz = OTHER_TZ if (i == 1 and role != EXPIRED) else BANK_TZ
        weight = {CLEAN: 1.2, NORMAL: float(rng.uniform(0.9, 1.5))}.get(role, float(rng.uniform(0.4, 0.7)))
        agencies.append(Agency(
            idx=i, agency_id=f"AG{i + 1:0{width}d}", name=name, abbr=abbr, kind=kind, role=role,
            tz=tz, fmt=fmt, id_style="numeric" if i in (2, 3) else "prefixed",
            ts_primary=(0, 4, 1, 0, 7, 5, 6, 3)[i % 8], phone_primary=(0, 1, 0, 2, 3, 0, 4, 5)[i % 8],
            lower_enums=(i == 3), has_callee_tz=not (role == LICENCE and n >= 5), weight=weight))
    for agency in agencies:
        _choose_campaigns(agency, yymm, campaigns, rng)
        agency.contracts = _contracts(agency, start, start + dt.timedelta(days=days - 1), campaigns, rng)
    missing, unreadable = _file_plants(agencies, days)
    hosts = sorted((a for a in agencies if a.role != CLEAN),
                   key=lambda a: (a.role != NORMAL, not a.in_force, a.idx))
    return Plan(start=start, days=days, agencies=agencies, campaigns=campaigns, missing=missing,
                unreadable=unreadable, cap_host=hosts[0].idx if hosts else None)


def _identity(i: int) -> tuple[str, str, str]:
    if i < len(PRESETS):
        return PRESETS[i]
    k = i - len(PRESETS)
    kind = ("full", "collection", "telemarketing")[i % 3]
    if k % 2 == 0:
        name = f"{_CITIES[(k // 2) % 20]}{_WORDS[(k // 40) % 10]}{_CN_SUFFIX[kind]}"
    else:
        a, b, c = _LATIN
        j = k // 2
        name = f"{a[j % 10]} {b[(j // 10) % 6]} {c[(j // 60) % 6]}"
    return name, f"G{i + 1:03d}", kind


def _choose_campaigns(agency: Agency, yymm: str, campaigns: dict, rng: np.random.Generator) -> None:
    codes = list(KIND_CAMPAIGNS[agency.kind])
    drop = codes[int(rng.integers(len(codes)))]
    if sum(CAMPAIGN_SPECS[c][0] == CAMPAIGN_SPECS[drop][0] for c in codes) > 1:
        codes.remove(drop)
    if agency.role == SCOPE:
        products = [CAMPAIGN_SPECS[c][1] for c in codes]
        unique = [c for c in codes if products.count(CAMPAIGN_SPECS[c][1]) == 1]
        if not unique:
            extra = "MKT-MG" if agency.kind != "collection" else "COL-MG"
            codes.append(extra)
            unique = [extra]
        agency.excluded = f"{unique[int(rng.integers(len(unique)))]}-{yymm}"
    agency.campaigns = tuple(f"{c}-{yymm}" for c in codes)


def _day(d: dt.date) -> str:
    return d.isoformat()


def _contracts(agency: Agency, start: dt.date, last: dt.date, campaigns: dict,
               rng: np.random.Generator) -> list[dict]:
    """Effective-dated contract rows: an optional earlier ended contract plus the latest."""
    def days(lo: int, hi: int) -> dt.timedelta:
        return dt.timedelta(days=int(rng.integers(lo, hi + 1)))

    used = [campaigns[c] for c in agency.campaigns]
    purposes = sorted({p for p, _ in used})
    products = sorted({prod for c, (_, prod) in zip(agency.campaigns, used) if c != agency.excluded})
    if agency.role == EXPIRED:
        cur_end = start - days(15, 60)
        cur_start = cur_end - days(300, 700)
    else:
        cur_start = start - days(120, 720)
        cur_end = dt.date(last.year + int(rng.integers(1, 3)), 12, 31)
    licence_no = (f"B2-{cur_start.year - int(rng.integers(1, 6))}{int(rng.integers(1000, 9999))}"
                  if agency.kind != "collection" else f"催收备案-{agency.abbr}-{int(rng.integers(100, 999))}")
    lic_expiry = "" if rng.random() < 0.4 else _day(dt.date(cur_end.year, 6, 30))
    nda_signed, nda_expiry = cur_start - days(0, 20), ("" if rng.random() < 0.5 else _day(cur_end))
    if agency.role == LICENCE:
        lic_expiry = _day(start - days(3, 60))
    if agency.role == NDA:
        nda_expiry = _day(start - days(5, 40))
    tz = "" if (agency.tz == BANK_TZ and rng.random() < 0.3) else agency.tz
    current = {
        "agency_id": agency.agency_id, "agency_name": agency.name,
        "contract_id": f"CT-{agency.abbr}-{cur_start.year}-{agency.idx + 1:02d}",
        "contract_start": _day(cur_start), "contract_end": _day(cur_end),
        "permitted_purposes": ";".join(purposes), "permitted_products": ";".join(products),
        "licence_no": licence_no, "licence_expiry": lic_expiry,
        "nda_signed": _day(nda_signed), "nda_expiry": nda_expiry, "timezone": tz,
    }
    rows = [current]
    if agency.idx % 2 == 1 or agency.role == EXPIRED:   # an earlier contract, ended, kept
        prev_end = cur_start - dt.timedelta(days=1)
        prev_start = prev_end - days(365, 900)
        rows.insert(0, dict(
            current, contract_id=f"CT-{agency.abbr}-{prev_start.year}-{agency.idx + 1:02d}",
            contract_start=_day(prev_start), contract_end=_day(prev_end),
            permitted_purposes=";".join(purposes[:1]), licence_expiry=_day(prev_end),
            nda_signed=_day(prev_start), nda_expiry=_day(prev_end),
            timezone=BANK_TZ if agency.tz != BANK_TZ else tz))
    return rows


def _file_plants(agencies: list[Agency], days: int) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """DQ_FILE_MISSING on the second day, DQ_FILE_UNREADABLE on the last (never the clean one)."""
    normal = [a.idx for a in reversed(agencies) if a.role == NORMAL]
    level = [a.idx for a in agencies if a.role in (NDA, LICENCE, SCOPE)]
    candidates = normal + level
    missing = (1, candidates[0]) if days >= 2 and candidates else None
    unreadable = None
    if days >= 3 and candidates:
        unreadable = (days - 1, candidates[1] if len(candidates) > 1 else candidates[0])
    return missing, unreadable


@lru_cache(maxsize=4096)
def zone_offset_s(tz: str, day: dt.date) -> int:
    """UTC offset of a zone at local noon of the day, in seconds."""
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(tz))
    return int(noon.utcoffset().total_seconds())


def day_midnight_ms(day: dt.date, offset_s: int) -> int:
    """Epoch milliseconds of local midnight of the day at a fixed UTC offset."""
    return ((day - dt.date(1970, 1, 1)).days * 86_400 - offset_s) * 1000


def local_ms(tz: str, day: dt.date, seconds: float) -> int:
    """Epoch milliseconds of a local wall time (seconds after midnight) in a fixed-offset zone."""
    return day_midnight_ms(day, zone_offset_s(tz, day)) + int(round(seconds * 1000))
