"""Values as agencies write them: phone numbers, caller lines, agent ids, timestamps and notes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.landing.plan import Agency

MOBILE_PREFIXES = np.array([138, 139, 150, 186, 188, 135, 137, 158, 159, 187], dtype=np.int64)
LANDLINES = (("021", "6"), ("010", "6"), ("020", "3"), ("0755", "2"))    # area code, first local digit
# (separator, precision, offset): offset "" = naive local time, "colon" +08:00, "compact" +0800, "Z" UTC
TS_STYLES = ((" ", "s", ""), ("T", "s", "colon"), (" ", "s", ""), ("T", "ms", "Z"),
             ("T", "s", ""), (" ", "m", ""), (" ", "s", "compact"), ("T", "ms", ""))
PHONE_FORMS = (0, 1, 0, 2, 0, 3)      # 13812345678, +86 138 1234 5678, +8613812345678, 0086-138-1234-5678
# --messy: 45 % of numbers in one of forms 1..11 of phone_forms (the others bare), and each row's
# timestamps in one of these shapes ("hours": +08; "msc": milliseconds after a comma)
MESSY_PHONE_SHARE, MESSY_PHONE_FORMS = 0.45, np.arange(1, 12)
MESSY_TS_STYLES = TS_STYLES + ((" ", "s", "hours"), ("T", "m", "Z"), (" ", "msc", ""), ("T", "ms", "compact"))
PII = 2e-5                            # share of notes holding the callee's full number
# Notes by category: right party (marketing, servicing, collection), WRONG_PARTY, REFUSED, COMPLAINT,
# answered without outcome, NO_ANSWER, BUSY, REJECTED, VOICEMAIL, FAILED. "尾号" gets the last 4 digits.
NOTES = (
    ("客户对产品有兴趣，已发送短信链接", "客户表示考虑一下，下周再联系", '客户说"先发资料看看", 尾号'),
    ("已提醒客户还款日", "已协助客户激活信用卡，尾号", "客户确认地址变更，已记录"),
    ("客户承诺月底前还款", "客户资金周转困难，申请分期，尾号", "已告知逾期影响征信，客户表示理解"),
    ("接听人非本人", "家属接听，未透露业务信息", "对方称号码已换人使用"),
    ("客户要求不要再来电", "客户明确拒绝，要求停止致电"),
    ("客户投诉来电频繁，已安抚", "客户对沟通方式不满, 已记录投诉"),
    ("通话中断",), ("无人接听", "响铃无人接"), ("占线",), ("对方拒接", "响一声后被挂断"),
    ("已留言", "转入语音信箱，已留言请回电"), ("号码暂时无法接通", "线路故障"))
NOTE_P = np.array([0.7] * 7 + [0.08, 0.05, 0.08, 0.4, 0.08])


def as_text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def mobiles(index: np.ndarray, numbers: tuple) -> np.ndarray:
    """Distinct valid CN mobile numbers (national, as int) of global customer indexes < 10**9: the last
    8 digits are a bijection of the index mod 10**8, the prefix differs between its 10 blocks."""
    prefixes, add, _ = numbers
    suffix = (index * 61_803_399 + add) % 10**8
    return prefixes[(index // 10**8 + suffix // 10**7) % 10] * 10**8 + suffix


def phone_forms(national: np.ndarray, form: np.ndarray) -> pa.Array:
    """0 13812345678 | 1 +86 138 1234 5678 | 2 +8613812345678 | 3 0086-138-1234-5678 | 4 138 1234 5678 |
    5 008613812345678 | 6 138-1234-5678 | 7 (+86) 138 1234 5678 | 8 86 138 1234 5678 | 9 8613812345678 |
    10 +86-138-1234-5678 | 11 １３８１２３４５６７８ (full-width digits, as some Chinese spreadsheets)"""
    bare = as_text(national)
    if not national.size:
        return bare
    a, b, c = (pc.utf8_slice_codeunits(bare, i, j) for i, j in ((0, 3), (3, 7), (7, 11)))
    forms = {1: lambda: pc.binary_join_element_wise("+86", a, b, c, " "),
             2: lambda: pc.binary_join_element_wise("+86", bare, ""),
             3: lambda: pc.binary_join_element_wise("0086", a, b, c, "-"),
             4: lambda: pc.binary_join_element_wise(a, b, c, " "),
             5: lambda: pc.binary_join_element_wise("0086", bare, ""),
             6: lambda: pc.binary_join_element_wise(a, b, c, "-"),
             7: lambda: pc.binary_join_element_wise("(+86)", pc.binary_join_element_wise(a, b, c, " "), " "),
             8: lambda: pc.binary_join_element_wise("86", a, b, c, " "),
             9: lambda: pc.binary_join_element_wise("86", bare, ""),
             10: lambda: pc.binary_join_element_wise("+86", a, b, c, "-"),
             11: lambda: _full_width(bare)}
    out = bare
    for f in np.unique(form[form > 0]):
        out = pc.if_else(pa.array(form == f), forms[int(f)](), out)
    return out


def messy_phones(national: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """MESSY_PHONE_SHARE of the numbers in one of MESSY_PHONE_FORMS, the others bare."""
    n = national.size
    form = np.where(rng.random(n) < MESSY_PHONE_SHARE, rng.choice(MESSY_PHONE_FORMS, n), 0)
    return phone_forms(national, form)


def _full_width(text: pa.Array) -> pa.Array:
    for digit in "0123456789":
        text = pc.replace_substring(text, digit, chr(0xFF10 + int(digit)))
    return text


def line_forms(agency: Agency, numbers: tuple, form: int, count: int) -> pa.Array:
    """The agency's first `count` fixed lines: 0 021-61234567 | 1 02161234567 | 2 +86 21 6123 4567 |
    3 +862161234567. Line numbers are unique across agencies (a bijection of the global index)."""
    area, first = LANDLINES[agency.idx % len(LANDLINES)]
    j = np.arange(agency.first_line, agency.first_line + count, dtype=np.int64)
    local = pc.binary_join_element_wise(first, pc.utf8_lpad(as_text((j * 7_919_113 + numbers[2]) % 10**7), 7, "0"),
                                        "")
    if form == 0:
        return pc.binary_join_element_wise(area, local, "-")
    if form == 1:
        return pc.binary_join_element_wise(area, local, "")
    if form == 2:
        return pc.binary_join_element_wise(f"+86 {area[1:]}", pc.utf8_slice_codeunits(local, 0, 4),
                                           pc.utf8_slice_codeunits(local, 4, 8), " ")
    return pc.binary_join_element_wise(f"+86{area[1:]}", local, "")


def agent_ids(count: int) -> pa.Array:
    return pc.binary_join_element_wise("E", pc.utf8_lpad(as_text(np.arange(1, count + 1)), 5, "0"), "")


def timestamps(ms: np.ndarray, style: tuple[str, str, str], offset_s: int) -> pa.Array:
    """Epoch milliseconds as ISO 8601 text in a style of TS_STYLES or MESSY_TS_STYLES; ms < 0 -> null."""
    separator, precision, offset = style
    local = ms if offset == "Z" else ms + offset_s * 1000
    unit = "ms" if precision in ("ms", "msc") else "s"
    values = (local if unit == "ms" else local // 1000).astype(f"datetime64[{unit}]")
    text = pc.cast(pa.array(values, mask=ms < 0), pa.string())
    if precision == "m":
        text = pc.utf8_slice_codeunits(text, 0, 16)
    if precision == "msc":
        text = pc.replace_substring(text, ".", ",", max_replacements=1)
    if separator == "T":
        text = pc.replace_substring(text, " ", "T", max_replacements=1)
    if not offset:
        return text
    hours, minutes = divmod(abs(offset_s) // 60, 60)
    sign = "+" if offset_s >= 0 else "-"
    suffix = {"Z": "Z", "colon": f"{sign}{hours:02d}:{minutes:02d}", "compact": f"{sign}{hours:02d}{minutes:02d}",
              "hours": f"{sign}{hours:02d}" if not minutes else f"{sign}{hours:02d}:{minutes:02d}"}
    return pc.binary_join_element_wise(text, suffix[offset], "")


def mixed_timestamps(ms: np.ndarray, style: np.ndarray, offset_s: int) -> pa.Array:
    """timestamps() with each row in its own style (an index into MESSY_TS_STYLES); the time is
    cut to the style's precision first."""
    text = pa.nulls(ms.size, pa.string())
    for s in np.unique(style):
        precision = MESSY_TS_STYLES[s][1]
        unit = {"m": 60_000, "s": 1000}.get(precision, 1)
        cut = np.where(ms < 0, ms, ms // unit * unit)
        text = pc.if_else(pa.array(style == s), timestamps(cut, MESSY_TS_STYLES[s], offset_s), text)
    return text


def call_notes(disp: np.ndarray, outcome: np.ndarray, purpose: np.ndarray, callee: np.ndarray, quoted: bool,
               rng: np.random.Generator) -> pa.Array:
    n = disp.size
    category = np.where(disp != 0, disp + 6, np.select([outcome == 0, outcome < 0], [purpose, 6], outcome + 2))
    flat = [note for group in NOTES for note in group]
    if not quoted:                                     # files written without quotes hold no commas or quotes
        flat = [note.replace(", ", "，").replace('"', "“") for note in flat]
    count = np.array([len(group) for group in NOTES])
    pick = (np.cumsum(count) - count)[category] + (rng.random(n) * count[category]).astype(np.int64)
    written = rng.random(n) < NOTE_P[category]
    notes = pa.array(flat, pa.string()).take(pa.array(pick, mask=~written))
    bare = as_text(callee)
    tail = pa.array(np.array([note.endswith("尾号") for note in flat])[pick] & written)
    notes = pc.if_else(tail, pc.binary_join_element_wise(notes, pc.utf8_slice_codeunits(bare, 7, 11), ""), notes)
    return pc.if_else(pa.array(rng.random(n) < PII), pc.binary_join_element_wise("回拨号码", bare, ""), notes)
