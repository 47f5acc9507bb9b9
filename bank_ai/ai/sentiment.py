"""Per-turn sentiment and anger for Chinese and English customer messages (escalation trigger).

:func:`analyse_sentiment` scores one chat / avatar / VTM turn. It is a curated-lexicon analyser,
not a model: every decision can be explained by the ``cues`` it returns, it needs no
segmenter or weights on disk, it is deterministic, and a short turn takes well under 0.2 ms.

How a turn is read
------------------
* The text is NFKC-normalised (full-width ``！？，`` and letters become ASCII) and cut into
  *units*: one unit per Chinese character, per English word (contractions kept whole), per
  number, per run of ``!``/``?`` and per other punctuation mark. Mixed turns such as
  "App又崩了，so annoying" therefore need no language detection.
* The units are scanned left to right with a longest match against one lexicon keyed by unit
  tuples, so "不好意思" (an apology) wins over "不好" (bad), "出差" (business trip) over
  "差" (poor) and "not working" over the negator "not". Neutral *blockers* exist only to
  win those matches.
* A sentiment word's polarity is scaled by a preceding degree adverb (非常, 太, "very", "so")
  and flipped by a preceding negator within a small window (不开心 → negative, "not happy"
  → negative, 不是很满意 → negative). Negating a negative word gives at most a weak positive
  (我没生气 is not praise). Lexicalised negations (不错, 不满意, 不靠谱, "not bad") are ordinary
  entries, and a graded negator reuses them: 不太合理 is a milder 不合理.
* Clause punctuation ends a negation or degree window. Positive words in a question are
  damped ("Which card is good for travel?" asks, it doesn't praise). A contrast word
  (但是, "but") halves what came before it and weights what follows: that is the point.
* A few regular expressions catch what a lexicon cannot: waiting durations (等了两个小时,
  "waited 2 hours"), repeated charges (扣了两次) and repeated attempts ("third time").
* Exclamation marks and shouting (two or more ALL-CAPS words that are not acronyms) raise
  the magnitude, and with negative content the anger. Repeated ``??`` reads as impatience.
  Polite markers (请, 麻烦您, "please") lower anger a little: a polite complaint is not rage.

Anger is separate from polarity: it rises on insults, profanity, "fed up", threats to go to
the regulator (银保监会, 12378, "regulator"), the media or a lawyer. Cues combine as a
noisy-OR, so two mild irritations approach but do not equal one outright threat.
``is_angry`` needs both anger ≥ :data:`ANGER_THRESHOLD` and a negative label, so a negated
cue ("我没生气") does not escalate.

Known limits: sarcasm without a negative cue ("真是太'好'了") reads as positive; a negator
more than its window away is missed; slang and typos outside the lexicon are ignored; any
mention of the regulator escalates, even a neutral question ("12378是什么电话"): a needless
handoff is cheap and a missed threat is not. Thanks next to irritation is read as sarcasm.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ANGER_THRESHOLD",
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "Sentiment",
    "SentimentLabel",
    "analyse_sentiment",
]

SentimentLabel = Literal["negative", "neutral", "positive"]

# Thresholds on the tanh-squashed score. A single mild word (方便, "easy", 0.35) clears them;
# a weak hint (究竟, 0.15) alone does not, so plain questions stay neutral.
POSITIVE_THRESHOLD: Final = 0.2
NEGATIVE_THRESHOLD: Final = -0.2
# One strong anger cue (regulator, profanity, "fed up") or two moderate ones reach it.
ANGER_THRESHOLD: Final = 0.5


@dataclass(frozen=True, slots=True)
class Sentiment:
    """The sentiment of one turn. ``cues`` lists what was matched, in order, for audit logs."""

    label: SentimentLabel
    score: float  # -1 (very negative) .. 1 (very positive)
    anger: float  # 0 .. 1
    is_angry: bool
    cues: tuple[str, ...]


# ============================================================================ lexicons
# The tables are data laid out for reading and review, several entries a line.
# fmt: off
# Sentiment entries map a phrase to (polarity, anger). Polarity: ±0.2 weak hint, ±0.5 clear,
# ±0.8 and beyond strong. Anger: 0.3 irritation, 0.5 an escalation-worthy cue on its own.

ZH_POSITIVE: Final[Mapping[str, float]] = {
    # Thanks and appreciation.
    "谢谢": 0.6, "感谢": 0.6, "多谢": 0.6, "谢啦": 0.6, "谢了": 0.5, "3q": 0.5, "辛苦了": 0.5,
    "辛苦": 0.3, "帮大忙": 0.6, "帮了大忙": 0.6, "感动": 0.6, "不用谢": 0.2, "不客气": 0.2,
    "没关系": 0.2, "没问题": 0.25, "不用担心": 0.2, "别担心": 0.2,
    # Satisfaction and praise of service.
    "太好了": 0.8, "好极了": 0.8, "满意": 0.6, "不错": 0.5, "还不错": 0.45, "挺好": 0.5,
    "很好": 0.6, "真好": 0.6, "好评": 0.6, "点赞": 0.6, "赞": 0.4, "棒": 0.6, "给力": 0.6,
    "专业": 0.4, "贴心": 0.6, "耐心": 0.5, "热情": 0.5, "周到": 0.5, "友好": 0.5, "礼貌": 0.4,
    "温暖": 0.5, "完美": 0.7, "优秀": 0.6, "靠谱": 0.5, "可靠": 0.4,
    # Speed and ease (bare 快 is left out: 快递, 快点 and 尽快 are not praise).
    "方便": 0.35, "便捷": 0.35, "高效": 0.5, "及时": 0.4, "很快": 0.4, "挺快": 0.4, "真快": 0.4,
    "好快": 0.4, "快多了": 0.45, "速度快": 0.4, "效率高": 0.5, "好用": 0.5, "省心": 0.5,
    "顺利": 0.4, "清楚": 0.25, "划算": 0.4, "实惠": 0.4, "成功": 0.2,
    # Feelings.
    "开心": 0.6, "高兴": 0.6, "喜欢": 0.5, "放心": 0.4, "安心": 0.4, "舒服": 0.4,
    # Outcomes.
    "解决了": 0.4, "搞定了": 0.4, "合适": 0.3,
}

ZH_NEGATIVE: Final[Mapping[str, tuple[float, float]]] = {
    # Complaints (投诉 itself is negative; an announced complaint is also a threat).
    "投诉": (-0.5, 0.2), "我要投诉": (-0.6, 0.45), "投诉你们": (-0.6, 0.5), "投诉到底": (-0.7, 0.6),
    "差评": (-0.6, 0.3), "举报": (-0.5, 0.4),
    # Speed and waiting.
    "太慢了": (-0.6, 0.2), "太慢": (-0.6, 0.2), "慢": (-0.3, 0.0), "好慢": (-0.5, 0.1),
    "慢吞吞": (-0.5, 0.2), "磨磨蹭蹭": (-0.5, 0.25), "等了半天": (-0.5, 0.3),
    "等了好久": (-0.5, 0.3), "太久": (-0.4, 0.15), "效率低": (-0.5, 0.2), "效率太低": (-0.6, 0.25),
    "等了很久": (-0.5, 0.3), "一拖再拖": (-0.6, 0.35), "拖延": (-0.4, 0.2),
    "浪费时间": (-0.6, 0.35), "耽误": (-0.4, 0.15), "白跑": (-0.6, 0.3), "白跑一趟": (-0.7, 0.35),
    "能不能快点": (-0.5, 0.35), "快点行不行": (-0.5, 0.4),
    # Fees and money taken.
    "乱扣费": (-0.7, 0.4), "乱扣": (-0.6, 0.35), "乱收费": (-0.7, 0.4), "多扣": (-0.5, 0.15),
    "扣错": (-0.5, 0.15), "重复扣款": (-0.5, 0.2), "扣我钱": (-0.4, 0.2), "太贵": (-0.45, 0.05),
    "贵": (-0.3, 0.0), "好贵": (-0.4, 0.05), "霸王条款": (-0.7, 0.5), "退钱": (-0.4, 0.3),
    "赔钱": (-0.5, 0.35), "赔偿": (-0.3, 0.2), "还我钱": (-0.6, 0.45), "把钱还给我": (-0.6, 0.45),
    # Being cheated by the bank (anger) versus by a fraudster (distress, no anger at the bank).
    "骗子": (-0.9, 0.6), "骗钱": (-0.8, 0.5), "坑人": (-0.7, 0.45), "坑钱": (-0.7, 0.45),
    "坑爹": (-0.6, 0.4), "被坑": (-0.6, 0.3), "坑": (-0.4, 0.2), "黑心": (-0.7, 0.5),
    "忽悠": (-0.5, 0.3), "套路": (-0.4, 0.2), "欺骗": (-0.7, 0.4), "欺负": (-0.6, 0.4),
    "强盗": (-0.8, 0.6), "抢钱": (-0.8, 0.6), "吸血": (-0.7, 0.5), "耍我": (-0.7, 0.5),
    "被骗": (-0.6, 0.0), "上当": (-0.5, 0.0), "盗刷": (-0.6, 0.0), "被盗": (-0.5, 0.0),
    "诈骗": (-0.5, 0.0),
    # Poor quality and attitude.
    "垃圾银行": (-1.0, 0.7), "垃圾": (-0.8, 0.5), "破银行": (-0.9, 0.6), "什么破": (-0.7, 0.5),
    "破app": (-0.7, 0.4), "破系统": (-0.7, 0.4), "破卡": (-0.6, 0.3), "烂": (-0.6, 0.3),
    "差": (-0.5, 0.0), "差劲": (-0.7, 0.3), "好差": (-0.6, 0.1), "态度差": (-0.6, 0.2),
    "服务差": (-0.6, 0.2), "态度恶劣": (-0.8, 0.4), "恶劣": (-0.7, 0.35), "糟糕": (-0.6, 0.1),
    "糟透了": (-0.8, 0.3), "难用": (-0.5, 0.15), "不好": (-0.45, 0.0), "不太好": (-0.4, 0.0),
    "不好用": (-0.5, 0.1), "不满": (-0.6, 0.15), "不满意": (-0.5, 0.1), "不专业": (-0.6, 0.2),
    "不靠谱": (-0.6, 0.2), "不合理": (-0.5, 0.2), "不公平": (-0.5, 0.25), "不负责": (-0.6, 0.35),
    "不负责任": (-0.7, 0.4), "推卸责任": (-0.7, 0.4), "敷衍": (-0.6, 0.35), "踢皮球": (-0.6, 0.35),
    "推来推去": (-0.6, 0.35), "莫名其妙": (-0.5, 0.25), "有没有搞错": (-0.6, 0.45),
    "没用": (-0.5, 0.2), "没有用": (-0.5, 0.2), "一点用都没有": (-0.7, 0.4),
    "有什么用": (-0.5, 0.3),
    # Nobody helps.
    "没人管": (-0.6, 0.35), "没人理": (-0.6, 0.35), "没有人管": (-0.6, 0.35),
    "没有人理": (-0.6, 0.35), "没人回复": (-0.5, 0.25), "没人处理": (-0.5, 0.25),
    "没人接": (-0.5, 0.25), "没人修": (-0.5, 0.25), "没人联系": (-0.5, 0.25),
    "没人跟进": (-0.5, 0.25), "没人帮": (-0.5, 0.25), "没人搭理": (-0.6, 0.35),
    "不理人": (-0.5, 0.3), "打不通": (-0.5, 0.2), "听不懂": (-0.3, 0.15),
    "听不懂人话": (-0.7, 0.55),
    # Hassle (bare 麻烦 is a politeness marker: 麻烦您查一下).
    "太麻烦": (-0.5, 0.1), "很麻烦": (-0.45, 0.0), "好麻烦": (-0.45, 0.1), "真麻烦": (-0.45, 0.1),
    "麻烦死了": (-0.7, 0.4), "手续麻烦": (-0.45, 0.0), "繁琐": (-0.4, 0.0), "折腾": (-0.45, 0.15),
    # App and machine faults.
    "闪退": (-0.5, 0.1), "卡死": (-0.5, 0.15), "卡顿": (-0.4, 0.0), "死机": (-0.5, 0.1),
    "崩了": (-0.5, 0.2), "崩溃": (-0.6, 0.3), "打不开": (-0.4, 0.0), "登不上": (-0.3, 0.0),
    "坏了": (-0.4, 0.1), "出错": (-0.3, 0.0), "错误": (-0.2, 0.0), "搞错": (-0.4, 0.1),
    "弄错": (-0.4, 0.1), "失败": (-0.15, 0.0),
    # Feelings.
    "失望": (-0.6, 0.1), "失望透顶": (-0.9, 0.4), "郁闷": (-0.4, 0.1), "无语": (-0.5, 0.25),
    "服了": (-0.4, 0.2), "烦": (-0.4, 0.2), "烦人": (-0.5, 0.3), "好烦": (-0.5, 0.3),
    "烦死了": (-0.7, 0.5), "着急": (-0.35, 0.0), "急死了": (-0.6, 0.2), "担心": (-0.3, 0.0),
    "害怕": (-0.3, 0.0), "焦虑": (-0.4, 0.0), "倒霉": (-0.4, 0.0), "难受": (-0.4, 0.0),
    "难过": (-0.4, 0.0),
    # Impatience with the conversation itself.
    "怎么回事": (-0.25, 0.1), "到底": (-0.2, 0.15), "究竟": (-0.15, 0.1), "赶紧": (-0.1, 0.1),
    "必须给我": (-0.4, 0.35), "马上给我": (-0.4, 0.35), "立刻给我": (-0.4, 0.35),
    "要个说法": (-0.5, 0.45), "给个说法": (-0.5, 0.45), "讨个说法": (-0.5, 0.45),
    "给我个说法": (-0.5, 0.45), "给我一个说法": (-0.5, 0.45),
    # Leaving the bank (a churn threat; 销户 alone is also a routine request, hence mild).
    "销户": (-0.15, 0.15), "我要销户": (-0.45, 0.35), "再也不来了": (-0.6, 0.4),
    "换银行": (-0.4, 0.3),
}

ZH_ANGER: Final[Mapping[str, tuple[float, float]]] = {
    # Anger named outright.
    "生气": (-0.6, 0.5), "气死": (-0.8, 0.7), "气死了": (-0.9, 0.8), "气死我了": (-0.9, 0.8),
    "气人": (-0.7, 0.5), "恼火": (-0.7, 0.5), "愤怒": (-0.8, 0.7), "火大": (-0.7, 0.6),
    "受够了": (-0.8, 0.7), "忍无可忍": (-0.9, 0.8), "太过分了": (-0.8, 0.6), "过分": (-0.6, 0.4),
    "岂有此理": (-0.8, 0.6), "欺人太甚": (-0.9, 0.7), "不像话": (-0.7, 0.5), "离谱": (-0.7, 0.4),
    "荒唐": (-0.7, 0.4), "凭什么": (-0.5, 0.45), "搞什么": (-0.5, 0.4), "搞什么鬼": (-0.7, 0.55),
    "什么玩意": (-0.7, 0.55), "不能接受": (-0.7, 0.5), "无法接受": (-0.7, 0.5),
    "接受不了": (-0.6, 0.4), "不讲理": (-0.7, 0.5), "不讲道理": (-0.7, 0.5),
    # Profanity, kept light; 操/靠/滚 have blockers below (操作, 靠谱, 滚动).
    "妈的": (-0.7, 0.7), "他妈": (-0.7, 0.7), "他妈的": (-0.8, 0.8), "tmd": (-0.7, 0.7),
    "尼玛": (-0.7, 0.7), "卧槽": (-0.5, 0.5), "我靠": (-0.5, 0.5), "靠": (-0.4, 0.35),
    "操": (-0.6, 0.6), "滚": (-0.7, 0.6), "傻逼": (-0.9, 0.9), "sb": (-0.8, 0.8),
    "煞笔": (-0.9, 0.9), "脑残": (-0.8, 0.7), "有病": (-0.6, 0.5), "智障": (-0.8, 0.7),
    "废物": (-0.8, 0.7), "混蛋": (-0.9, 0.8), "王八蛋": (-0.9, 0.8), "去死": (-0.9, 0.9),
    "狗屁": (-0.8, 0.7), "见鬼": (-0.6, 0.5), "该死": (-0.7, 0.6),
    # Threats to go to the regulator, consumer bodies, media or court.
    "银保监": (-0.4, 0.6), "银保监会": (-0.4, 0.6), "银监会": (-0.4, 0.6),
    "金融监管总局": (-0.4, 0.6), "监管局": (-0.4, 0.6), "监管部门": (-0.4, 0.6),
    "监管": (-0.2, 0.35), "12378": (-0.4, 0.6), "12315": (-0.3, 0.5), "消协": (-0.3, 0.5),
    "曝光": (-0.5, 0.55), "找媒体": (-0.5, 0.55), "媒体": (-0.2, 0.3), "记者": (-0.2, 0.3),
    "起诉": (-0.5, 0.55), "告你们": (-0.6, 0.6), "律师": (-0.3, 0.45), "法院": (-0.3, 0.4),
    "报警": (-0.3, 0.3),
}

EN_POSITIVE: Final[Mapping[str, float]] = {
    "thanks": 0.6, "thank": 0.5, "thank you": 0.6, "thanks a lot": 0.8, "thanks so much": 0.85,
    "thank you so much": 0.85, "many thanks": 0.75, "much appreciated": 0.7, "appreciate": 0.6,
    "appreciated": 0.6, "thx": 0.5, "ty": 0.5, "cheers": 0.4, "great": 0.6, "good": 0.4,
    "nice": 0.5, "excellent": 0.7, "awesome": 0.7, "amazing": 0.7, "perfect": 0.6, "helpful": 0.6,
    "useful": 0.5, "quick": 0.35, "fast": 0.35, "efficient": 0.5, "smooth": 0.4, "easy": 0.35,
    "easier": 0.35, "faster": 0.35, "better": 0.3, "love": 0.6, "love it": 0.7, "i like": 0.4,
    "like it": 0.4, "enjoy": 0.4, "happy": 0.6, "glad": 0.5, "pleased": 0.5, "satisfied": 0.6,
    "wonderful": 0.7, "fantastic": 0.7, "brilliant": 0.7, "lovely": 0.6, "kind": 0.4,
    "patient": 0.4, "patience": 0.3, "friendly": 0.5, "professional": 0.4, "polite": 0.4,
    "well done": 0.6, "good job": 0.6, "great job": 0.7, "not bad": 0.45, "no problem": 0.2,
    "no worries": 0.2, "resolved": 0.4, "solved": 0.4, "sorted": 0.35, "works now": 0.4,
    "the best": 0.5, "you're the best": 0.8, "lifesaver": 0.7, "relieved": 0.4, "impressed": 0.6,
    "thumbs up": 0.5, "couldn't be happier": 0.8,
}

EN_NEGATIVE: Final[Mapping[str, tuple[float, float]]] = {
    "complaint": (-0.5, 0.2), "complain": (-0.5, 0.25), "complained": (-0.5, 0.25),
    "formal complaint": (-0.6, 0.35), "ridiculous": (-0.8, 0.5), "absurd": (-0.7, 0.45),
    "worst": (-0.8, 0.4), "worst bank": (-1.0, 0.6), "terrible": (-0.8, 0.3),
    "horrible": (-0.8, 0.3), "awful": (-0.8, 0.3), "poor": (-0.5, 0.1), "bad": (-0.5, 0.0),
    "worse": (-0.5, 0.1), "slow": (-0.4, 0.05), "useless": (-0.8, 0.5), "rude": (-0.7, 0.35),
    "disappointed": (-0.6, 0.1), "disappointing": (-0.6, 0.1), "unhappy": (-0.6, 0.1),
    "upset": (-0.5, 0.2), "annoyed": (-0.5, 0.3), "annoying": (-0.5, 0.3),
    "frustrated": (-0.6, 0.35), "frustrating": (-0.6, 0.35), "worried": (-0.35, 0.0),
    "worry": (-0.25, 0.0), "scared": (-0.35, 0.0), "confused": (-0.25, 0.0),
    "confusing": (-0.35, 0.0), "embarrassing": (-0.4, 0.1),
    # Money.
    "charged twice": (-0.6, 0.3), "double charged": (-0.6, 0.3), "overcharged": (-0.6, 0.3),
    "hidden fee": (-0.6, 0.35), "hidden fees": (-0.6, 0.35), "rip off": (-0.7, 0.45),
    "ripoff": (-0.7, 0.45), "ripped off": (-0.7, 0.45), "want my money back": (-0.5, 0.4),
    "give me my money": (-0.5, 0.4), "stop charging me": (-0.5, 0.35), "too high": (-0.4, 0.1),
    "too expensive": (-0.45, 0.1),
    # Fraud against the customer (distress) versus accusing the bank (anger).
    "scammed": (-0.6, 0.0), "scammer": (-0.6, 0.1), "fraud": (-0.4, 0.0), "fraudulent": (-0.4, 0.0),
    "unauthorised": (-0.4, 0.0), "unauthorized": (-0.4, 0.0), "stolen": (-0.3, 0.0),
    "scam": (-0.7, 0.4), "robbery": (-0.8, 0.6), "thieves": (-0.9, 0.7), "stealing": (-0.7, 0.5),
    "stole": (-0.7, 0.5),
    # Nobody helps, waiting, faults.
    "nobody helps": (-0.7, 0.45), "no one helps": (-0.7, 0.45), "nobody helped": (-0.7, 0.45),
    "no one helped": (-0.7, 0.45), "nobody cares": (-0.7, 0.5), "no one cares": (-0.7, 0.5),
    "nobody answers": (-0.6, 0.4), "no one answers": (-0.6, 0.4), "nobody answered": (-0.6, 0.4),
    "nobody will": (-0.5, 0.35), "no reply": (-0.4, 0.2), "no response": (-0.4, 0.2),
    "never replied": (-0.5, 0.3), "no help": (-0.5, 0.3), "waste of time": (-0.7, 0.45),
    "wasting": (-0.5, 0.35), "wasted": (-0.5, 0.3), "error": (-0.2, 0.0), "crash": (-0.4, 0.0),
    "crashes": (-0.45, 0.05), "crashing": (-0.45, 0.05), "crashed": (-0.4, 0.0),
    "broken": (-0.4, 0.05), "doesn't work": (-0.4, 0.05), "not working": (-0.4, 0.05),
    "never works": (-0.5, 0.25), "stuck": (-0.35, 0.0), "mess": (-0.5, 0.25),
    "messed up": (-0.6, 0.3), "don't like": (-0.4, 0.0), "didn't like": (-0.4, 0.0),
    "never again": (-0.6, 0.4), "close my account": (-0.4, 0.3),
    "close all my accounts": (-0.5, 0.4), "switch banks": (-0.5, 0.35),
    "thanks for nothing": (-0.8, 0.4),
}

EN_ANGER: Final[Mapping[str, tuple[float, float]]] = {
    "angry": (-0.7, 0.6), "furious": (-0.9, 0.8), "mad": (-0.6, 0.5), "outraged": (-0.9, 0.8),
    "outrageous": (-0.8, 0.6), "disgusted": (-0.8, 0.6), "disgusting": (-0.8, 0.6),
    "disgrace": (-0.8, 0.6), "disgraceful": (-0.8, 0.6), "pathetic": (-0.8, 0.6),
    "joke": (-0.5, 0.45), "fed up": (-0.8, 0.7), "sick of": (-0.7, 0.6),
    "sick and tired": (-0.8, 0.7), "had enough": (-0.7, 0.6), "enough is enough": (-0.8, 0.7),
    "last straw": (-0.8, 0.6), "unacceptable": (-0.8, 0.65), "nonsense": (-0.6, 0.45),
    "incompetent": (-0.8, 0.6), "clueless": (-0.6, 0.4), "lazy": (-0.6, 0.4), "hate": (-0.7, 0.5),
    "are you kidding": (-0.6, 0.5), "kidding me": (-0.6, 0.5),
    # Profanity, kept light.
    "what the hell": (-0.7, 0.6), "hell": (-0.5, 0.45), "wtf": (-0.7, 0.6), "damn": (-0.5, 0.45),
    "dammit": (-0.6, 0.5), "crap": (-0.6, 0.45), "bullshit": (-0.9, 0.8), "bs": (-0.7, 0.6),
    "shit": (-0.8, 0.7), "fuck": (-0.9, 0.9), "fucking": (-0.9, 0.9), "fucked": (-0.9, 0.9),
    "stupid": (-0.7, 0.5), "idiot": (-0.8, 0.7), "idiots": (-0.8, 0.7), "morons": (-0.8, 0.7),
    "clowns": (-0.7, 0.6), "garbage": (-0.8, 0.5), "trash": (-0.8, 0.5), "rubbish": (-0.7, 0.4),
    "screw you": (-0.9, 0.9), "screwed": (-0.7, 0.5),
    # Regulator, lawyers, press (CBIRC/NFRA supervise banks, PBOC runs credit reporting).
    "regulator": (-0.5, 0.6), "regulators": (-0.5, 0.6), "ombudsman": (-0.5, 0.6),
    "cbirc": (-0.4, 0.6), "nfra": (-0.4, 0.6), "pboc": (-0.4, 0.55), "lawyer": (-0.4, 0.5),
    "lawyers": (-0.4, 0.5), "sue": (-0.6, 0.6), "lawsuit": (-0.6, 0.6), "legal action": (-0.6, 0.6),
    "court": (-0.3, 0.4), "media": (-0.2, 0.3), "the press": (-0.4, 0.45),
    "report you": (-0.5, 0.4), "report this": (-0.4, 0.35),
}

EMOJI: Final[Mapping[str, tuple[float, float]]] = {
    "😡": (-0.7, 0.6), "🤬": (-0.8, 0.8), "😠": (-0.6, 0.5), "😤": (-0.5, 0.4), "👎": (-0.5, 0.2),
    "😭": (-0.4, 0.0), "😢": (-0.4, 0.0), "😞": (-0.4, 0.0), "👍": (0.5, 0.0), "😊": (0.4, 0.0),
    "😄": (0.5, 0.0), "🙂": (0.2, 0.0), "🙏": (0.3, 0.0), "❤": (0.5, 0.0), "❤️": (0.5, 0.0),
}

# Degree adverbs: phrase -> (multiplier, window). The window is how many units may sit between
# the adverb and its word ("太让人失望" skips 让人). English "so"/"too" must be adjacent because
# they are also conjunctions ("so I can't log in").
ZH_INTENSIFIERS: Final[Mapping[str, tuple[float, int]]] = {
    "非常": (1.7, 2), "特别": (1.6, 2), "极其": (1.8, 2), "极": (1.6, 1), "十分": (1.6, 2),
    "超级": (1.7, 2), "超": (1.4, 1), "太": (1.5, 2), "很": (1.4, 2), "真": (1.4, 1),
    "真的": (1.4, 2), "实在": (1.5, 2), "简直": (1.7, 2), "挺": (1.2, 1), "蛮": (1.2, 1),
    "相当": (1.5, 2), "巨": (1.5, 1), "贼": (1.5, 1), "最": (1.6, 1), "更": (1.2, 1),
    "越来越": (1.4, 2), "老是": (1.3, 2), "总是": (1.3, 2), "一直": (1.3, 3), "天天": (1.3, 2),
    "每次": (1.3, 3), "又": (1.3, 2), "再三": (1.3, 2), "这么": (1.2, 1), "那么": (1.2, 1),
    # Diminishers: still the same polarity, less of it.
    "有点": (0.7, 2), "有点儿": (0.7, 2), "有些": (0.7, 2), "稍微": (0.6, 2), "略": (0.7, 1),
}

EN_INTENSIFIERS: Final[Mapping[str, tuple[float, int]]] = {
    "very": (1.5, 1), "so": (1.5, 0), "too": (1.4, 0), "really": (1.4, 2), "extremely": (1.8, 1),
    "super": (1.6, 0), "totally": (1.5, 2), "absolutely": (1.7, 2), "completely": (1.6, 2),
    "incredibly": (1.7, 1), "utterly": (1.7, 1), "such": (1.4, 2), "most": (1.4, 0),
    "highly": (1.4, 0), "terribly": (1.6, 0), "seriously": (1.4, 2), "truly": (1.4, 1),
    "quite": (1.2, 0), "pretty": (1.2, 0), "much": (1.2, 0), "always": (1.3, 1), "keeps": (1.3, 1),
    "keep": (1.3, 1), "still": (1.2, 1), "again": (1.2, 1), "every time": (1.3, 2),
    "ever": (1.2, 0), "a bit": (0.7, 1), "a little": (0.7, 1), "slightly": (0.6, 1),
    "somewhat": (0.7, 1), "kind of": (0.7, 1), "kinda": (0.7, 1), "sort of": (0.7, 1),
}

# Negators: phrase -> (window, strength). Strength < 1 softens the flip (不太满意 is milder than
# 不满意). English "no" must be adjacent so that "No, I'm happy with it" stays positive.
ZH_NEGATORS: Final[Mapping[str, tuple[int, float]]] = {
    "不": (2, 1.0), "没": (2, 1.0), "没有": (2, 1.0), "未": (1, 1.0), "并不": (2, 1.0),
    "并没有": (2, 1.0), "从不": (2, 1.0), "从来不": (2, 1.0), "毫不": (1, 1.0), "绝不": (1, 1.0),
    "一点也不": (2, 1.0), "一点都不": (2, 1.0), "不太": (2, 0.6), "不怎么": (2, 0.7),
    "不够": (1, 0.8), "不是": (2, 1.0), "不算": (2, 0.8),
}

EN_NEGATORS: Final[Mapping[str, tuple[int, float]]] = {
    "not": (3, 1.0), "no": (0, 1.0), "never": (3, 1.0), "cannot": (3, 1.0), "hardly": (2, 0.6),
    "barely": (2, 0.6), "nor": (2, 1.0), "neither": (2, 1.0),
}
# Any token ending in n't (don't, isn't, wasn't...) or the apostrophe-less forms people type.
_EN_NT_NEGATORS: Final = frozenset({
    "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "couldnt", "wont",
    "wouldnt", "shouldnt", "havent", "hasnt", "hadnt", "aint",
})

ZH_POLITE: Final = frozenset({
    "请", "请问", "请您", "麻烦", "麻烦您", "麻烦你", "劳驾", "您", "您好", "不好意思", "打扰",
    "打扰一下", "打扰了",
})
EN_POLITE: Final = frozenset({
    "please", "pls", "plz", "kindly", "could you", "would you", "excuse me", "sorry",
})

# Chinese questions often carry no question mark ("用哪张卡划算"); an interrogative anywhere in
# the clause marks it. English questions start with a wh-word or an auxiliary.
ZH_INTERROGATIVES: Final = frozenset({
    "哪", "什么", "怎么", "怎样", "如何", "多少", "几", "是否", "能否",
})
EN_QUESTION_STARTS: Final = frozenset({
    "what", "which", "when", "where", "why", "how", "who", "whose", "is", "are", "was", "were",
    "can", "could", "do", "does", "did", "will", "would", "should", "may", "any",
})

ZH_CONTRAST: Final = frozenset({"但是", "但", "可是", "不过", "然而", "只不过"})
EN_CONTRAST: Final = frozenset({"but", "however", "yet"})

# Neutral phrases that only exist to win the longest match against a cue inside them.
ZH_BLOCKERS: Final = frozenset({
    "出差", "差不多", "差额", "差价", "相差", "差点", "差一点", "差旅", "时差", "误差", "偏差",
    "还差", "不知道", "不用", "不然", "不少", "不同", "不管", "不仅", "不一定", "不久", "没事",
    "没想到", "没多久", "没什么", "好的", "好吧", "好了", "好像", "好多", "好几", "好久", "只好",
    "最好", "你好", "问好", "好处", "好友", "爱好", "好奇", "好在", "好吗", "好么", "好不好",
    "最近", "最低", "最高", "最后", "最多", "最少", "最新", "最快", "最晚", "最长", "超过", "超市",
    "太太", "太平洋", "真人", "真实", "认真", "真假", "慢走", "慢慢", "慢用", "操作", "操心",
    "依靠", "靠近", "滚动", "申请", "邀请", "请假", "贵行", "贵宾", "贵宾厅", "宝贵", "客服",
    "服务", "不能", "不行", "烂尾", "灿烂", "更新", "更改", "变更", "更换", "不是我", "没收到",
    "没到账", "没用过", "还好", "极速",
    # Imperatives and A-not-A questions: 不要乱扣费 and 是不是乱扣费 still complain about 乱扣费.
    "不要", "别", "是不是", "有没有", "可不可以", "行不行", "对不对", "能不能", "会不会",
})
EN_BLOCKERS: Final = frozenset({
    "good morning", "good afternoon", "good evening", "good night", "good day", "good for",
    "can't believe", "cannot believe", "don't know", "dont know", "no idea", "not sure", "not only",
    "the best time", "the best way",
})

# Regular expressions for what a lexicon cannot list (numbers, durations), run case-insensitively
# on the NFKC text: (pattern, polarity, anger). A match overlapping a lexicon cue is skipped.
_NUM = r"(?:\d+|[一二两三四五六七八九十半几]+)"
_PATTERN_SOURCES: Final[tuple[tuple[str, float, float], ...]] = (
    # Waited N minutes / hours / days.
    (rf"(?:等|排|排队)了?(?:快|将近|整整|足足|差不多|大概)?{_NUM}个?多?"
     r"(?:小时|钟头|分钟|天|周|星期|个月)", -0.5, 0.35),
    (r"\bwait(?:ed|ing)?(?: for)?(?: over| more than| almost| nearly| about)?"
     r" (?:\d+|an?|one|two|three|four|five|half an?|several|many) ?"
     r"(?:hours?|hrs?|minutes?|mins?|days?|weeks?)\b|\bwaiting forever\b|\bfor ages\b",
     -0.5, 0.35),
    # Charged twice (English "charged twice" is a lexicon entry, "3 times" is below).
    (r"(?:扣|收|扣费|扣款|刷)了?(?:两|2|三|3)次", -0.5, 0.3),
    # Had to say, ask, call or come again and again.
    (r"(?:说|问|打|来|跑|讲)了?(?:[三四五六七八九十几好多]+|\d+)(?:遍|次|趟)"
     r"|第[三四五六七八九十\d]+次", -0.4, 0.35),
    (r"跑了?(?:两|2)趟", -0.4, 0.15),
    (r"\b(?:third|fourth|fifth|\d+(?:rd|th)) time\b"
     r"|\b(?:three|four|five|six|several|many|multiple|\d+) times\b", -0.35, 0.3),
    # Still not arrived / fixed / answered.
    (r"(?:还是|还|仍然|依然|一直)(?:没|没有|未|不)"
     r"(?:到账|收到|处理|解决|回复|到|反应|消息|动静)", -0.35, 0.15),
    (r"\bstill (?:hasn't|haven't|hasnt|havent|not|no|isn't|didn't|doesn't|don't"
     r"|waiting|can't)\b", -0.35, 0.15),
)
_PATTERNS: Final = tuple(
    (re.compile(source, re.IGNORECASE), polarity, anger)
    for source, polarity, anger in _PATTERN_SOURCES
)

# Capitalised words that are not shouting: acronyms customers type in capitals anyway.
_ACRONYMS: Final = frozenset({
    "ATM", "VTM", "PIN", "APP", "USD", "RMB", "CNY", "HKD", "EUR", "GBP", "JPY", "ID", "OTP", "SMS",
    "CVV", "VIP", "FX", "OK", "UK", "US", "USA", "QR", "NFC", "PDF", "VISA", "AM", "PM", "CD",
    "CDS", "IBAN", "SWIFT", "ETF", "KYC", "CBIRC", "NFRA", "PBOC", "HK", "TV", "IT", "HR", "CEO",
    "FAQ", "ASAP",
})

# Squashing and bounds.
_QUESTION_DAMPING: Final = 0.4  # positive words in a question are mostly asking, not praising
_CONTRAST_DAMPING: Final = 0.5  # before 但是 / "but"
_CONTRAST_EMPHASIS: Final = 1.3  # after it: that is the point the customer is making
# "谢谢你们啊，让我白跑一趟": thanks next to real irritation is sarcasm, not praise.
_SARCASM_ANGER: Final = 0.3
_ANGRY_POSITIVE_DAMPING: Final = 0.3
_NEGATED_POSITIVE: Final = -0.75  # 不开心 is nearly as strong as 开心, with the sign flipped
# Litotes understates: 不差 / "not terrible" / 我没生气 are at most a weak positive, never praise.
_NEGATED_NEGATIVE: Final = 0.4
_NEGATED_NEGATIVE_CAP: Final = 0.15
_MAX_MULTIPLIER: Final = 2.2
_ANGER_FROM_MULTIPLIER_CAP: Final = 1.5


# fmt: on


# ============================================================================ compiled lexicon
@dataclass(frozen=True, slots=True)
class _Entry:
    kind: Literal["sentiment", "intensifier", "negator", "polite", "contrast", "blocker"]
    polarity: float = 0.0
    anger: float = 0.0
    multiplier: float = 1.0
    window: int = 0
    strength: float = 1.0


_UNIT_RE: Final = re.compile(
    r"[A-Za-z]+(?:'[A-Za-z]+)*"  # English word, contraction kept whole
    r"|\d+(?:[.,]\d+)*"  # number
    r"|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # one Chinese character
    r"|[!?]+"  # runs of ! and ? carry intensity
    r"|[^\sA-Za-z\d\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # any other single symbol
)
_BOUNDARY: Final = frozenset(",.;:。、…~\n") | {"!", "?"}
_QUESTION_ENDINGS: Final = frozenset({"吗", "么"})


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    # Curly apostrophes survive NFKC; fold them so "don’t" matches "don't".
    return text.replace("\u2019", "'").replace("\u2018", "'")


def _units(text: str) -> list[str]:
    return _UNIT_RE.findall(text)


def _spans(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    matches = list(_UNIT_RE.finditer(text))
    return [m.group() for m in matches], [m.span() for m in matches]


def _compile() -> tuple[dict[tuple[str, ...], _Entry], dict[str, tuple[int, ...]]]:
    lexicon: dict[tuple[str, ...], _Entry] = {}

    def put(phrases: Iterable[str], entry_for: Callable[[str], _Entry]) -> None:
        for phrase in phrases:
            key = tuple(u.lower() for u in _units(_normalise(phrase)))
            if key in lexicon:
                # Two tables claiming one phrase is a curation mistake; fail at import.
                raise ValueError(f"duplicate sentiment lexicon entry: {phrase!r}")
            lexicon[key] = entry_for(phrase)

    put(ZH_BLOCKERS | EN_BLOCKERS, lambda _p: _Entry("blocker"))
    for table in (ZH_POSITIVE, EN_POSITIVE):
        put(table, lambda p, t=table: _Entry("sentiment", polarity=t[p]))
    for table in (ZH_NEGATIVE, ZH_ANGER, EN_NEGATIVE, EN_ANGER, EMOJI):
        put(table, lambda p, t=table: _Entry("sentiment", polarity=t[p][0], anger=t[p][1]))
    for table in (ZH_INTENSIFIERS, EN_INTENSIFIERS):
        put(table, lambda p, t=table: _Entry("intensifier", multiplier=t[p][0], window=t[p][1]))
    for table in (ZH_NEGATORS, EN_NEGATORS):
        put(table, lambda p, t=table: _Entry("negator", window=t[p][0], strength=t[p][1]))
    put(ZH_POLITE | EN_POLITE, lambda _p: _Entry("polite"))
    put(ZH_CONTRAST | EN_CONTRAST, lambda _p: _Entry("contrast"))

    # First unit -> candidate lengths, longest first, so the scan tries only real lengths.
    lengths: dict[str, set[int]] = {}
    for key in lexicon:
        lengths.setdefault(key[0], set()).add(len(key))
    return lexicon, {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()}


_LEXICON, _LENGTHS = _compile()
# Multi-character negators that contain 不 and so can stand for it (不太合理 ≈ a mild 不合理).
_GRADED_ZH_NEGATORS: Final = frozenset(k for k in ZH_NEGATORS if len(k) > 1 and "不" in k)
_MAX_FOLLOW: Final = max(len(k) for k in _LEXICON)


def _lookup(keys: list[str], i: int) -> tuple[_Entry | None, int]:
    for length in _LENGTHS.get(keys[i], ()):
        if i + length <= len(keys):
            entry = _LEXICON.get(tuple(keys[i : i + length]))
            if entry is not None:
                return entry, length
    return None, 1


def _graded_negation(keys: list[str], i: int, length: int) -> tuple[_Entry, int] | None:
    """After a graded Chinese negator (不太, 并不, 一点都不), the 不X entry that follows, if any."""
    if "".join(keys[i : i + length]) not in _GRADED_ZH_NEGATORS:
        return None
    entry, span = _lookup(["不", *keys[i + length : i + length + _MAX_FOLLOW]], 0)
    if entry is None or entry.kind != "sentiment" or span < 2 or entry.polarity >= 0:
        return None
    return entry, span - 1


def _question_clauses(keys: list[str]) -> list[bool]:
    """For each unit, whether its clause is a question."""
    flags = [False] * len(keys)
    start = 0
    for end in range(len(keys) + 1):
        if end < len(keys) and keys[end][0] not in _BOUNDARY:
            continue
        clause = keys[start:end]
        closing = keys[end] if end < len(keys) else ""
        # Interrogatives are Chinese, so a substring test on the joined clause cannot be
        # fooled by letters of adjacent English words.
        joined = "".join(clause)
        if clause and (
            "?" in closing
            or clause[-1] in _QUESTION_ENDINGS
            or clause[0] in EN_QUESTION_STARTS
            or any(word in joined for word in ZH_INTERROGATIVES)
        ):
            flags[start : start + len(clause)] = [True] * len(clause)
        start = end + 1
    return flags


def _is_shouting(unit: str) -> bool:
    # isupper() first: it is False for Chinese, so most units stop there.
    return unit.isupper() and len(unit) >= 2 and unit.isalpha() and unit not in _ACRONYMS


# ============================================================================ analyser
def analyse_sentiment(text: str) -> Sentiment:
    """Score one customer turn; see the module docstring for the method."""
    norm = _normalise(text)
    units, spans = _spans(norm)
    keys = [u.lower() for u in units]
    questions = _question_clauses(keys)

    contributions: list[float] = []
    cues: list[str] = []
    # Anger cues combine as a noisy-OR: several mild irritations approach, but do not simply
    # add up to, the anger of one outright threat.
    calm = 1.0
    matched: list[tuple[int, int]] = []  # character spans of sentiment entries
    polite = 0
    emphasis = 1.0
    exclamations = 0
    # Shouting is two or more ALL-CAPS words; one may be an acronym we don't know or emphasis.
    shouted = sum(1 for unit in units if _is_shouting(unit))
    # Pending modifiers: value, units left in the window, cue text, position when seen.
    mult, mult_left, mult_cue, mult_at = 1.0, -1, "", -1
    neg, neg_left, neg_cue, neg_at = 0.0, -1, "", -1

    def reset() -> None:
        nonlocal mult, mult_left, neg, neg_left
        mult, mult_left, neg, neg_left = 1.0, -1, 0.0, -1

    def skip(count: int = 1) -> None:
        # A unit that is not the modifier's target uses up part of its window.
        nonlocal mult_left, neg_left
        if mult_left >= 0:
            mult_left -= count
        if neg_left >= 0:
            neg_left -= count

    i = 0
    n = len(keys)
    while i < n:
        key = keys[i]
        entry, length = _lookup(keys, i)
        surface_units = units[i : i + length]
        # The cue is the customer's own text for the matched span, spacing included.
        surface = norm[spans[i][0] : spans[i + length - 1][1]] if entry is not None else key
        if entry is None:
            if key[0] in _BOUNDARY:
                exclamations += key.count("!")
                if key.count("?") >= 2 or ("?" in key and "!" in key):
                    # "人呢？？？" / "why?!": impatience even without a cue word.
                    contributions.append(-0.3)
                    calm *= 1.0 - 0.2
                    cues.append(surface)
                reset()
            elif key.endswith("n't") or key in _EN_NT_NEGATORS:
                neg, neg_left, neg_cue, neg_at = 1.0, 3, surface, i
            else:
                skip()
            i += 1
            continue

        if entry.kind == "sentiment":
            polarity, entry_anger = entry.polarity, entry.anger
            applied = []
            factor = 1.0
            if mult_left >= 0:
                factor = mult
                applied.append(mult_cue)
            if neg_left >= 0:
                # "not very happy" hedges; the adverb should not deepen the flipped meaning.
                if mult_left >= 0 and mult_at > neg_at:
                    factor = 0.85
                if polarity > 0:
                    polarity = _NEGATED_POSITIVE * polarity * neg
                else:
                    polarity = min(-_NEGATED_NEGATIVE * polarity, _NEGATED_NEGATIVE_CAP) * neg
                entry_anger = 0.0
                applied.insert(0, neg_cue)
            if any(_is_shouting(u) for u in surface_units):
                factor *= 1.4  # "WORST bank": the shouted word itself counts for more
            value = polarity * factor * emphasis
            if value > 0 and questions[i]:
                value *= _QUESTION_DAMPING
            contributions.append(value)
            # An adverb sharpens anger less than it sharpens polarity ("so annoying").
            boost = 1.0 + (min(factor, _ANGER_FROM_MULTIPLIER_CAP) - 1.0) * 0.5
            calm *= 1.0 - min(entry_anger * boost, 1.0)
            cues.append("+".join([*applied, surface]))
            matched.append((spans[i][0], spans[i + length - 1][1]))
            reset()
        elif entry.kind == "intensifier":
            # Stacked adverbs (真的太) multiply, within a cap.
            base = mult if mult_left >= 0 else 1.0
            mult = min(base * entry.multiplier, _MAX_MULTIPLIER)
            mult_cue = f"{mult_cue}+{surface}" if base != 1.0 else surface
            mult_left, mult_at = entry.window, i
            if neg_left >= 0:
                neg_left -= 1
        elif entry.kind == "negator" and (hit := _graded_negation(keys, i, length)):
            # 不太合理 / 并不专业: a graded negator in front of a word whose plain negation is
            # itself an entry (不合理, 不专业) means a milder dose of that entry.
            lexical, span = hit
            contributions.append(lexical.polarity * entry.strength * emphasis)
            calm *= 1.0 - lexical.anger * entry.strength
            end = spans[i + length + span - 1][1]
            cues.append(surface + "+" + norm[spans[i + length][0] : end])
            matched.append((spans[i][0], end))
            reset()
            i += length + span
            continue
        elif entry.kind == "negator":
            # A second negator cancels the first ("不是不满意").
            neg = 0.0 if neg_left >= 0 and neg else entry.strength
            neg_left = entry.window if neg else -1
            neg_cue, neg_at = surface, i
            if mult_left >= 0:
                mult_left -= 1
        elif entry.kind == "polite":
            polite += 1
            cues.append(surface)
            skip()
        elif entry.kind == "contrast":
            contributions = [c * _CONTRAST_DAMPING for c in contributions]
            emphasis = _CONTRAST_EMPHASIS
            cues.append(surface)
            reset()
        else:  # blocker
            skip()
        i += length

    for pattern, polarity, pattern_anger in _PATTERNS:
        for match in pattern.finditer(norm):
            start, end = match.span()
            if any(start < m_end and m_start < end for m_start, m_end in matched):
                continue  # already scored by the lexicon (等了半天)
            contributions.append(polarity)
            calm *= 1.0 - pattern_anger
            cues.append(match.group().strip())

    anger = 1.0 - calm

    if anger >= _SARCASM_ANGER:
        contributions = [c * _ANGRY_POSITIVE_DAMPING if c > 0 else c for c in contributions]
    raw = sum(contributions)
    if exclamations and raw:
        raw *= 1.0 + 0.12 * min(exclamations, 4)
        if raw < 0:
            anger += 0.08 * min(exclamations, 4)
    if shouted >= 2:
        cues.append("ALL CAPS")
        # Shouting without praise is agitation even when no listed word was used.
        raw = raw * 1.3 if raw else -0.3
        if raw < 0:
            anger += 0.25
    if polite:
        anger = max(0.0, anger - 0.1 * min(polite, 2))

    score = round(math.tanh(raw), 4)
    anger = round(min(anger, 1.0), 4)
    label: SentimentLabel = (
        "negative"
        if score <= NEGATIVE_THRESHOLD
        else "positive"
        if score >= POSITIVE_THRESHOLD
        else "neutral"
    )
    return Sentiment(
        label=label,
        score=score,
        anger=anger,
        is_angry=label == "negative" and anger >= ANGER_THRESHOLD,
        cues=tuple(cues),
    )
