"""Filling dialogue slots from free text, in Chinese and English.

Rules, not a model: what the customer said about usage, income, annual-fee tolerance, age and
student status must be extracted exactly and explainably, because it decides which cards a
bank may recommend. Later values overwrite earlier ones, which is how corrections work.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

SCENARIO_WORDS: dict[str, tuple[str, ...]] = {
    "travel": (
        "旅行",
        "旅游",
        "出游",
        "度假",
        "出行",
        "酒店",
        "travel",
        "trip",
        "vacation",
        "holiday",
        "hotel",
    ),
    "overseas": (
        "出国",
        "境外",
        "海外",
        "国外",
        "外币",
        "abroad",
        "overseas",
        "international",
        "foreign currency",
    ),
    "flights": (
        "机票",
        "飞机",
        "航班",
        "里程",
        "坐飞机",
        "flight",
        "flights",
        "fly",
        "miles",
        "airline",
    ),
    "dining": (
        "吃饭",
        "餐饮",
        "美食",
        "餐厅",
        "外卖",
        "下馆子",
        "聚餐",
        "dining",
        "restaurant",
        "restaurants",
        "eat out",
        "eating out",
        "food",
    ),
    "online_shopping": (
        "网购",
        "淘宝",
        "京东",
        "天猫",
        "拼多多",
        "线上购物",
        "online shopping",
        "shop online",
        "shopping online",
        "e-commerce",
    ),
    "everyday": (
        "日常",
        "超市",
        "买菜",
        "返现",
        "cashback",
        "cash back",
        "everyday",
        "groceries",
        "supermarket",
    ),
    "car": (
        "开车",
        "加油",
        "车主",
        "ETC",
        "高速",
        "油费",
        "car",
        "fuel",
        "petrol",
        "gas station",
        "drive",
        "toll",
    ),
    "study": (
        "studying",
        "studies",
        "学习",
        "留学",
        "学费",
        "考试",
        "考证",
        "课程",
        "study",
        "tuition",
        "course",
        "courses",
        "exam",
    ),
    "business": (
        "出差",
        "商务",
        "报销",
        "公务",
        "business trip",
        "business travel",
        "expenses",
        "company expenses",
    ),
    "health_beauty": (
        "美容",
        "体检",
        "护肤",
        "健身",
        "医美",
        "beauty",
        "health check",
        "skincare",
        "spa",
        "gym",
    ),
    "entertainment": (
        "电影",
        "娱乐",
        "视频会员",
        "游戏",
        "演出",
        "movies",
        "movie",
        "streaming",
        "entertainment",
        "concert",
    ),
    "premium_service": (
        "贵宾厅",
        "礼宾",
        "高端",
        "尊享",
        "concierge",
        "vip",
        "premium",
        "airport lounge",
    ),
}
# Business trips are travel too.
IMPLIED_SCENARIOS = {"business": ("travel",), "flights": ("travel",)}

_FEE_NONE = re.compile(
    r"不要年费|不想(?:交|要|付)年费|免年费|没有年费|零年费|无年费|不能有年费|"
    r"no annual fee|without (?:an )?annual fee|don'?t want (?:to pay )?(?:an |any )?annual fee|"
    r"fee[- ]free|no fees?\b|free card",
    re.IGNORECASE,
)
_FEE_LOW = re.compile(r"年费(?:低|便宜|少)|低年费|便宜一点|low (?:annual )?fee|cheap", re.I)
_FEE_ANY = re.compile(
    r"年费无所谓|不在乎年费|年费(?:没关系|都行|可以接受|不是问题)|有年费也(?:行|可以|没关系)|"
    r"don'?t mind (?:the |an |paying )?(?:annual )?fee|fee is (?:fine|ok)|"
    r"happy to pay (?:a|an|the) (?:annual )?fee|fee doesn'?t matter",
    re.IGNORECASE,
)
_NOT_STUDENT = re.compile(
    r"不是学生|已经工作|刚工作|工作了|毕业了|上班了|not a student|i work\b|i'?m working|graduated",
    re.IGNORECASE,
)
_STUDENT = re.compile(r"学生|在校|大学生|研究生|读大学|student|at university|at college", re.I)
_AGE = re.compile(
    r"(\d{2})\s*岁|今年\s*(\d{2})|i'?m\s+(\d{2})\b(?!\s*(?:k|万|000))|aged?\s+(\d{2})\b|"
    r"(\d{2})\s*years?\s*old",
    re.IGNORECASE,
)
_ZH_AMOUNT = r"(\d+(?:\.\d+)?)\s*(万|千|k|K|w|W)?"
# A few filler characters may sit between the keyword and the amount ("年收入其实是50万").
_ANNUAL_ZH = re.compile(r"(?:年收入|年薪|一年(?:能)?(?:赚|挣|收入))[^\d\n]{0,6}?" + _ZH_AMOUNT)
_MONTHLY_ZH = re.compile(
    r"(?:月薪|月收入|每月(?:收入|工资)?|一个月(?:赚|挣)?|工资)[^\d\n]{0,6}?" + _ZH_AMOUNT
)
_ANNUAL_EN = re.compile(
    r"(?:earn|make|income(?: is| of)?|salary(?: is| of)?)\s*"
    r"(?:(?:about|around|only|just|roughly|approximately|maybe) )?"
    r"(?:rmb|¥|cny)?\s*(\d[\d,]*(?:\.\d+)?)\s*(k|thousand|million|m)?\s*"
    r"(a year|per year|annually|a month|per month|monthly)?",
    re.IGNORECASE,
)
_TRAVEL_OFTEN = re.compile(r"经常|常常|每个?月都|频繁|often|frequently|every month|a lot", re.I)

INCOME_BANDS = (
    (Decimal("60000"), "lt60k"),
    (Decimal("150000"), "60k-150k"),
    (Decimal("500000"), "150k-500k"),
)


def income_band(annual_income: Decimal) -> str:
    for upper, band in INCOME_BANDS:
        if annual_income < upper:
            return band
    return "gt500k"


def _scale(number: str, unit: str | None) -> Decimal:
    value = Decimal(number.replace(",", ""))
    unit = (unit or "").lower()
    if unit in {"万", "w"}:
        return value * 10000
    if unit in {"千", "k", "thousand"}:
        return value * 1000
    if unit in {"m", "million"}:
        return value * 1000000
    return value


def _income(text: str) -> Decimal | None:
    if match := _ANNUAL_ZH.search(text):
        return _scale(match.group(1), match.group(2))
    if match := _MONTHLY_ZH.search(text):
        return _scale(match.group(1), match.group(2)) * 12
    if match := _ANNUAL_EN.search(text):
        amount = _scale(match.group(1), match.group(2))
        period = (match.group(3) or "").lower()
        return amount * 12 if "month" in period else amount
    return None


def extract_slots(text: str) -> dict[str, Any]:
    """The slots this utterance states; absent keys mean it said nothing about them."""
    lowered = text.lower()
    found: dict[str, Any] = {}
    scenarios = []
    for scenario, (chinese, english) in _SCENARIO_MATCHERS.items():
        if any(word in lowered for word in chinese) or (english and english.search(lowered)):
            scenarios.append(scenario)
            scenarios.extend(IMPLIED_SCENARIOS.get(scenario, ()))
    if scenarios:
        found["scenarios"] = list(dict.fromkeys(scenarios))
        if _TRAVEL_OFTEN.search(text) and {"travel", "business", "flights"} & set(scenarios):
            found["travel_frequency"] = "often"
    income = _income(text)
    if income is not None and income > 0:
        found["annual_income"] = str(income.quantize(Decimal("1")))
        found["income_band"] = income_band(income)
    if _FEE_ANY.search(text):
        found["fee_tolerance"] = "any"
    elif _FEE_NONE.search(text):
        found["fee_tolerance"] = "none"
    elif _FEE_LOW.search(text):
        found["fee_tolerance"] = "low"
    if _NOT_STUDENT.search(text):
        found["is_student"] = False
    elif _STUDENT.search(text):
        found["is_student"] = True
    if match := _AGE.search(text):
        age = int(next(group for group in match.groups() if group))
        if 16 <= age <= 80:
            found["age"] = age
    return found


def _matchers(words: tuple[str, ...]) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    """Chinese words are found as substrings; English ones as whole words, by one pattern."""
    lowered = [word.lower() for word in words]
    english = [re.escape(word) for word in lowered if word.isascii()]
    pattern = re.compile(rf"(?<![a-z])(?:{'|'.join(english)})(?![a-z])") if english else None
    return tuple(word for word in lowered if not word.isascii()), pattern


# Built once: every turn of every flow looks for these words.
_SCENARIO_MATCHERS = {scenario: _matchers(words) for scenario, words in SCENARIO_WORDS.items()}


def merge_slots(current: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Merged slots and the names of slots whose earlier value the customer corrected."""
    merged = dict(current)
    corrected = []
    for name, value in new.items():
        if name == "scenarios":
            # Usage scenarios accumulate over turns ("also dining") unless replaced wholesale.
            merged[name] = list(dict.fromkeys([*current.get(name, []), *value]))
            continue
        if name in current and current[name] != value:
            corrected.append(name)
        merged[name] = value
    return merged, corrected
