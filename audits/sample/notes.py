"""Agents' free-text notes (Chinese, numbers masked) and the personal identifiers that the
CONF_PII_IN_NOTES plants put into them.

Background notes only ever contain written numbers of at most 12 ASCII digits that are not
`1[3-9]\\d{9}`: 4-digit tails, amounts, dates, 10-digit ticket numbers, masked numbers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

PRODUCT_CN = {"CREDIT_CARD": "信用卡分期", "PERSONAL_LOAN": "个人消费贷", "MORTGAGE": "房贷",
              "WEALTH_MGMT": "理财产品", "AUTO_LOAN": "车贷"}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

_ANSWERED = {
    ("collection", "RIGHT_PARTY"): ("客户表示月底还款，尾号{tail}", "客户承诺{date}前还款{amount}元",
                                    "客户称已通过手机银行还款，待核实", "客户资金周转困难，申请分期，尾号{tail}",
                                    "已告知逾期影响征信，客户表示理解，工单号{ticket}"),
    ("marketing", "RIGHT_PARTY"): ("客户对{product}有兴趣，已发送短信链接", "客户表示考虑一下，下周再联系",
                                   "已介绍{product}优惠活动，客户暂不需要", "客户询问{product}利率，已解答，尾号{tail}",
                                   '客户说"先发资料看看", 尾号{tail}'),
    ("servicing", "RIGHT_PARTY"): ("提醒客户{product}还款日为每月{dom}日", "已协助客户激活信用卡，尾号{tail}",
                                   "客户确认地址变更，已记录", "告知客户本期账单金额{amount}元",
                                   "客户新号码{masked}，已核实本人"),
    "WRONG_PARTY": ("接听人非本人，称不认识机主", "家属接听，未透露业务信息", "对方称号码已换人使用",
                    "接听人表示打错了, 已致歉"),
    "REFUSED": ("客户要求不要再来电", "客户明确拒绝，要求停止致电", "客户表示不需要，请勿再打扰"),
    "COMPLAINT": ("客户投诉来电频繁，已安抚", "客户情绪激动，表示将向监管投诉",
                  "客户对沟通方式不满，已记录投诉，工单号{ticket}"),
}
_UNANSWERED = {
    "NO_ANSWER": ("", "", "无人接听", "响铃无人接"),
    "BUSY": ("", "占线"),
    "REJECTED": ("", "对方拒接", "响一声后被挂断"),
    "VOICEMAIL": ("已留言", "转入语音信箱，已留言请回电", ""),
    "FAILED": ("", "号码暂时无法接通", "线路故障"),
}


def fill_notes(purpose: np.ndarray, disp: np.ndarray, outcome: np.ndarray, product: np.ndarray,
               callee: np.ndarray, day: dt.date, rng: np.random.Generator) -> np.ndarray:
    """One note per call (object array of str), vectorised over template groups."""
    n = len(disp)
    out = np.full(n, "", dtype=object)
    if n == 0:
        return out
    key = np.where(disp == "ANSWERED",
                   np.where(outcome == "RIGHT_PARTY", "A|" + purpose.astype(str), "A|" + outcome.astype(str)),
                   "U|" + disp.astype(str))
    tails = pd.Series(callee % 10_000).astype(str).str.zfill(4).to_numpy(dtype=object)
    wide = rng.random(n) < 0.02
    if wide.any():
        tails[wide] = pd.Series(tails[wide]).str.translate(FULL_WIDTH).to_numpy(dtype=object)
    for group in np.unique(key):
        rows = np.flatnonzero(key == group)
        kind, name = group.split("|")
        if kind == "U":
            templates = _UNANSWERED[name]
        elif name in ("marketing", "servicing", "collection"):
            templates = _ANSWERED[(name, "RIGHT_PARTY")]
        else:
            templates = _ANSWERED.get(name, ("",))
        pick = rng.integers(0, len(templates), rows.size)
        for t, template in enumerate(templates):
            sub = rows[pick == t]
            if sub.size:
                out[sub] = _render(template, sub, tails, product, callee, day, rng)
    return out


def _render(template: str, rows: np.ndarray, tails: np.ndarray, product: np.ndarray,
            callee: np.ndarray, day: dt.date, rng: np.random.Generator) -> np.ndarray:
    if "{" not in template:
        return np.full(rows.size, template, dtype=object)
    k = rows.size
    fills = {
        "tail": lambda: tails[rows],
        "product": lambda: pd.Series(product[rows]).map(PRODUCT_CN).fillna("贷款产品").to_numpy(dtype=object),
        "amount": lambda: (rng.integers(5, 800, k) * 100).astype(str).astype(object),
        "dom": lambda: rng.integers(1, 29, k).astype(str).astype(object),
        "ticket": lambda: pd.Series(rng.integers(10**9, 10**10 - 1, k)).astype(str).to_numpy(dtype=object),
        "masked": lambda: (pd.Series(callee[rows] // 10**8).astype(str) + "****"
                           + pd.Series(tails[rows])).to_numpy(dtype=object),
        "date": lambda: _dates(day, rng.integers(1, 15, k)),
    }
    parts = pd.Series([""] * k, dtype=object)
    rest = template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        parts = parts + head + pd.Series(fills[name](), dtype=object)
    return (parts + rest).to_numpy(dtype=object)


def _dates(day: dt.date, ahead: np.ndarray) -> np.ndarray:
    base = np.datetime64(day.isoformat(), "D") + ahead
    months = base.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (base - base.astype("datetime64[M]")).astype(int) + 1
    return (pd.Series(months).astype(str) + "月" + pd.Series(dom).astype(str) + "日").to_numpy(dtype=object)


# --- personal identifiers ----------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_REGIONS = ("110105", "310104", "440305", "330106", "510107", "320102", "420106")


def id_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a PRC resident ID."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _id17(rng: np.random.Generator) -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=int(rng.integers(0, 15_000)))
    return f"{_REGIONS[int(rng.integers(len(_REGIONS)))]}{born:%Y%m%d}{int(rng.integers(0, 1000)):03d}"


def prc_id(rng: np.random.Generator) -> str:
    """A resident ID with a valid check character (an 'X' is written lower-case half the time)."""
    first = _id17(rng)
    check = id_check(first)
    return first + (check.lower() if check == "X" and rng.random() < 0.5 else check)


def card_number(rng: np.random.Generator) -> str:
    """A 16- or 19-digit card number passing the Luhn check."""
    length = 16 if rng.random() < 0.6 else 19
    body = ("6222", "6228", "4367", "6217")[int(rng.integers(4))]
    body += "".join(str(int(x)) for x in rng.integers(0, 10, length - 5))
    return body + next(str(c) for c in range(10) if luhn_ok(body + str(c)))


def pii_note(rng: np.random.Generator, mobile: int) -> str:
    """A note that leaks an unmasked identifier (a CONF_PII_IN_NOTES finding)."""
    variant = int(rng.integers(5))
    if variant == 0:
        return f"客户提供新手机号{mobile}，已更新"
    if variant == 1:
        return f"备用号码{str(mobile).translate(FULL_WIDTH)}，请回拨"
    if variant == 2:
        return f"核实身份证号{prc_id(rng)}，本人确认"
    if variant == 3:
        return f"客户报卡号{card_number(rng)}要求查询账单"
    return f"mobile:{mobile}; 客户要求短信联系"


def near_pii_note(rng: np.random.Generator, mobile: int) -> str:
    """A note that looks risky but holds no unmasked identifier under the rule's exact reading."""
    s = str(mobile)
    variant = int(rng.integers(5))
    if variant == 0:
        return f"客户新号码{s[:3]} {s[3:7]} {s[7:10]}，少一位"          # 10 digits in groups
    if variant == 1:
        return f"回拨号码{s[:3]} - {s[3:7]} - {s[7:]}"                  # two separators end a number
    if variant == 2:
        first = _id17(rng)
        return f"身份证{first[:6]}********{first[14:]}{id_check(first)}"  # masked ID
    if variant == 3:
        while True:                                                      # 16 digits failing Luhn
            card = "6222" + "".join(str(int(x)) for x in rng.integers(0, 10, 12))
            if not luhn_ok(card):
                return f"卡号{card}（客户口述有误，已作废）"
    return f"外线0{s}转人工"                                              # a 12-digit run
