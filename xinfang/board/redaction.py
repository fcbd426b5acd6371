"""Automatic redaction of personal data before anything reaches the public board (DOMAIN P-6).

`redact` replaces each kind of personal data with a fixed, readable placeholder and counts what
it replaced (counts only: the values are never returned, stored or logged). It runs on every
proposed text and again on every text a moderator edits, so a moderator cannot put a phone
number back by accident.

Rules, in the order they run (earlier ones consume digits later ones would mistake):

- e-mail addresses → [邮箱];
- ID numbers: 18 digits (last may be X) or the old 15, with a plausible birth date, spaces or
  dashes allowed between the 6-8-4 parts → [身份证号];
- bank cards: 16–19 digits (or groups of four): kept only when the Luhn check fails AND no card
  cue (卡号, 银行, 账号 …) precedes AND the number does not start with 62 (UnionPay) — an order
  number may then stay public, a card number never does → [银行卡号];
- mobile numbers (+86, spaces and dashes allowed) → [手机号]; landlines with an area code, or
  a 7–8 digit number right after 电话/座机/固话 → [电话]. Short service numbers (12345, 110,
  400 lines) are public and stay;
- plate numbers: province + letter + 5 (6 for new energy) letters/digits, optional "·" or
  space → [车牌号];
- personal names: the names known from the case, then a common surname plus one or two
  characters after a cue (我叫, 本人, 姓名：, 联系人 …) or before a title (书记, 局长, 先生 …),
  unless the dictionary reads them as ordinary words (`_is_word`: "麻烦书记", "业主房屋").
  Decision: the title stays and only the name goes ("王建国书记" → "[姓名]书记"), while a bare
  surname with a title ("王书记", "李先生") stays as written: it is how public boards address
  people and names nobody on its own. Already-anonymised forms (张某, A市, A3区) stay too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import rjieba

PHONE = "phone"
ID_NUMBER = "id_number"
EMAIL = "email"
BANK_CARD = "bank_card"
PLATE = "plate"
NAME = "name"
CLASSES: tuple[str, ...] = (PHONE, ID_NUMBER, EMAIL, BANK_CARD, PLATE, NAME)

MASK_MOBILE = "[手机号]"
MASK_LANDLINE = "[电话]"
MASK_ID = "[身份证号]"
MASK_EMAIL = "[邮箱]"
MASK_CARD = "[银行卡号]"
MASK_PLATE = "[车牌号]"
MASK_NAME = "[姓名]"
# Placeholder → class, for counting what a text (e.g. a test corpus line) contains.
PLACEHOLDERS: dict[str, str] = {
    MASK_MOBILE: PHONE,
    MASK_LANDLINE: PHONE,
    MASK_ID: ID_NUMBER,
    MASK_EMAIL: EMAIL,
    MASK_CARD: BANK_CARD,
    MASK_PLATE: PLATE,
    MASK_NAME: NAME,
}


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- numbers -------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID = re.compile(
    rf"(?<![0-9A-Za-z])(?:[1-9]\d{{5}}[\s-]?{_DATE8}[\s-]?\d{{3}}[0-9Xx]"
    rf"|[1-9]\d{{5}}{_DATE6}\d{{3}})(?![0-9A-Za-z])"
)
_CARD = re.compile(r"(?<![0-9A-Za-z])(?:\d{16,19}|\d{4}(?:[\s-]\d{4}){3}(?:[\s-]?\d{1,3})?)(?!\d)")
_CARD_CUE = re.compile(r"(?:卡号|卡|银行|账号|帐号|账户|帐户|工资|转账|汇款)[^\d]{0,6}$")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[\s-]?)\d{3,4}[\s-]?\d{4}(?!\d)"
)
# A local number without its area code, where the words before it say it is a phone.
_LANDLINE_CUE = re.compile(
    r"((?:电话|座机|固话|tel|Tel|TEL)(?:号码)?(?:是|为)?[:：]?\s*)\d{3,4}[\s-]?\d{4}(?!\d)"
)

# --- plates --------------------------------------------------------------------------------

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    rf"[{_PROVINCES}][A-HJ-NP-Z][·•\s]?"
    r"(?=(?:[A-HJ-NP-Z]*\d){2})[A-HJ-NP-Z0-9]{5,6}[挂学警]?(?![A-Za-z0-9])"
)

# --- names ---------------------------------------------------------------------------------

# Common surnames, leaving out those that are also everyday words a petition uses before a
# title (向, 于, 区, 司, 项, 管, 单, 路 …): "公司项目经理" must not lose "项目".
_SURNAMES_2 = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "夏侯", "尉迟")
_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵钱严覃武戴莫孔汤易常温康施文牛樊葛邢安齐伍庞颜倪聂章鲁岳翟殷詹申耿兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂成苗谷盛曲翁冉骆蓝游辛靳柴蒙鲍华喻祁蒲房滕屈饶"
    "解牟艾尤阳时穆农卓古吉缪简车连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟应臧闵"
    "苟邬边卞姬和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_NOT_SURNAME_HERE = set("和时党明成应")  # too often part of a word before a title
_SURNAME_RE = "(?:" + "|".join(_SURNAMES_2) + "|[" + _SURNAMES_1 + "])"
_TITLES = [
    "先生",
    "女士",
    "小姐",
    "老师",
    "师傅",
    "书记",
    "副书记",
    "局长",
    "副局长",
    "经理",
    "总经理",
    "主任",
    "副主任",
    "科长",
    "所长",
    "队长",
    "镇长",
    "乡长",
    "村长",
    "区长",
    "县长",
    "市长",
    "处长",
    "厅长",
    "站长",
    "院长",
    "校长",
    "医生",
    "律师",
    "警官",
    "同志",
    "阿姨",
    "大爷",
    "支书",
    "会计",
    "组长",
    "股长",
    "部长",
    "总监",
    "董事长",
    "老板",
    "法官",
    "检察官",
]
_TITLE_RE = "(?:" + "|".join(sorted(_TITLES, key=len, reverse=True)) + ")"
# A given name never starts with these (units, places, titles, an anonymised 某).
_NOT_GIVEN_START = set("某先女师副总区市县镇乡村街局委社厅处科所部院校公司组办站队会长")
# Nor goes on with these: a cue name is cut before them ("我叫张伟住在…" → 张伟).
# Nor ends with these: "房产局局长", "麻将馆老板", "柳叶湖管委会" are units and places.
_NOT_GIVEN_END = set("局院所店馆案厂司校部委办处站队会湖峰山江河路桥贷")
_PLACE = set("村镇乡区县市街路巷组屯")
_GIVEN_STOP = set("某姓是在住的了和与及家今男女电手身联系年岁，。、；：,.;: （(") | _PLACE
_CUES = [
    "我叫",
    "我是",
    "本人",
    "名叫",
    "叫做",
    "姓名",
    "联系人",
    "信访人",
    "申请人",
    "投诉人",
    "反映人",
    "当事人",
    "被反映人",
    "户主",
    "收款人",
    "儿子",
    "女儿",
    "丈夫",
    "妻子",
    "父亲",
    "母亲",
]
_CUE_RE = re.compile(
    "(?:" + "|".join(sorted(_CUES, key=len, reverse=True)) + r")[:：\s]*(?=" + _SURNAME_RE + ")"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SURNAME_AT = re.compile(_SURNAME_RE)
_TITLED_SURNAME_RE = (
    "(?:"
    + "|".join(_SURNAMES_2)
    + "|["
    + "".join(sorted(set(_SURNAMES_1) - _NOT_SURNAME_HERE))
    + "])"
)
_TITLED = re.compile(rf"({_TITLED_SURNAME_RE})([\u4e00-\u9fff]{{1,2}}?)(?={_TITLE_RE})")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _sub(pattern: re.Pattern[str], text: str, mask: str, counts: dict[str, int], cls: str) -> str:
    def replace(m: re.Match[str]) -> str:
        counts[cls] = counts.get(cls, 0) + 1
        return mask

    return pattern.sub(replace, text)


def _cued_landlines(text: str, counts: dict[str, int]) -> str:
    def replace(m: re.Match[str]) -> str:
        counts[PHONE] = counts.get(PHONE, 0) + 1
        return m.group(1) + MASK_LANDLINE

    return _LANDLINE_CUE.sub(replace, text)


def _cards(text: str, counts: dict[str, int]) -> str:
    def replace(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group())
        cue = _CARD_CUE.search(text[max(0, m.start() - 12) : m.start()]) is not None
        if not (_luhn(digits) or cue or digits.startswith("62")):
            return m.group()  # e.g. an order or waybill number: not a card by any sign
        counts[BANK_CARD] = counts.get(BANK_CARD, 0) + 1
        return MASK_CARD

    return _CARD.sub(replace, text)


def _given_after(text: str, start: int) -> int:
    """The end of a cue name's given part (1–2 CJK chars) starting at `start`, or `start`."""
    end = start
    while end < len(text) and end - start < 2:
        ch = text[end]
        if not _CJK.match(ch) or ch in _GIVEN_STOP or (end == start and ch in _NOT_GIVEN_START):
            break
        end += 1
    return end


_jieba: rjieba.Jieba | None = None


def _segmenter() -> rjieba.Jieba:
    # A private instance (as in triage.textnorm): words others add must not change our cuts.
    # Two threads racing here build two equal instances; one is dropped.
    global _jieba
    if _jieba is None:
        _jieba = rjieba.Jieba()
    return _jieba


def _is_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] reads as ordinary words rather than a name.

    Cut by the dictionary alone (no HMM, which would guess unknown names as words), a name
    starts and ends on word boundaries and does not begin with a two-character dictionary
    word: "麻烦书记", "游客唐女士", "担任过校长", "业主房屋进行" are words; "周晖书记", "刘志强主任"
    are names. A name that is also a word ("江山", "安宁") stays: the moderator reads the rest.
    """
    left = max(0, start - 6)
    offset, bounds, first = left, {left}, ""
    for token in _segmenter().cut(text[left : end + 6], False):
        if offset == start:
            first = token
        offset += len(token)
        bounds.add(offset)
    word = len(first) == 2 and first not in _SURNAMES_2
    unit = text[end - 1] in _NOT_GIVEN_END or text.startswith("事务所", end + 2)
    return start not in bounds or end not in bounds or word or unit


def _starts_title(text: str, pos: int) -> bool:
    return any(text.startswith(t, pos) for t in _TITLES)


def _cue_names(text: str, counts: dict[str, int]) -> str:
    out: list[str] = []
    last = 0
    for cue in _CUE_RE.finditer(text):
        if cue.start() < last:
            continue
        surname = _SURNAME_AT.match(text, cue.end())
        if surname is None or surname.group() in _NOT_SURNAME_HERE:
            continue
        g = surname.end()
        end = _given_after(text, g)
        # "联系人李老师": a surname with a title names nobody on its own; leave it.
        # "我是黄花镇的": a place, not a person.
        place = end < len(text) and text[end] in _PLACE
        if end == g or place or _starts_title(text, g) or _is_word(text, cue.end(), end):
            continue
        out.append(text[last : cue.end()] + MASK_NAME)
        counts[NAME] = counts.get(NAME, 0) + 1
        last = end
    out.append(text[last:])
    return "".join(out)


def _titled_names(text: str, counts: dict[str, int]) -> str:
    def replace(m: re.Match[str]) -> str:
        given = m.group(2)
        if (
            given[0] in _NOT_GIVEN_START
            or any(ch in _GIVEN_STOP for ch in given)
            or _starts_title(text, m.start(2))
            or _is_word(text, m.start(1), m.end(2))
        ):
            return m.group()
        counts[NAME] = counts.get(NAME, 0) + 1
        return MASK_NAME

    return _TITLED.sub(replace, text)


def _known(text: str, names: Iterable[str], counts: dict[str, int]) -> str:
    # Longest first, so "欧阳明月" is not half-replaced through a shorter "欧阳明".
    for name in sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True):
        found = text.count(name)
        if found:
            counts[NAME] = counts.get(NAME, 0) + found
            text = text.replace(name, MASK_NAME)
    return text


Step = Callable[[str, dict[str, int]], str]

_STEPS: tuple[Step, ...] = (
    lambda t, c: _sub(_EMAIL, t, MASK_EMAIL, c, EMAIL),
    lambda t, c: _sub(_ID, t, MASK_ID, c, ID_NUMBER),
    _cards,
    lambda t, c: _sub(_MOBILE, t, MASK_MOBILE, c, PHONE),
    lambda t, c: _sub(_LANDLINE, t, MASK_LANDLINE, c, PHONE),
    _cued_landlines,
    lambda t, c: _sub(_PLATE, t, MASK_PLATE, c, PLATE),
    _cue_names,
    _titled_names,
)


def redact(text: str, *, known_names: Iterable[str] = ()) -> Redacted:
    """`text` with personal data replaced by placeholders, and how many of each class went.

    `known_names` are the case's people (petitioners, the person complained about), given in
    clear by the caller and used only here. Running `redact` on its own output finds nothing.
    """
    counts: dict[str, int] = {}
    text = _known(text, known_names, counts)
    for step in _STEPS:
        text = step(text, counts)
    return Redacted(text=text, counts=counts)


def placeholder_counts(text: str) -> dict[str, int]:
    """How many placeholders of each class a text holds (for corpora and the moderator)."""
    counts: dict[str, int] = {}
    for mask, cls in PLACEHOLDERS.items():
        n = text.count(mask)
        if n:
            counts[cls] = counts.get(cls, 0) + n
    return counts
