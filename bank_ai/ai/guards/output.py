"""The output guard: leaks, promises of returns, risk disclosure and markup."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bank_ai.ai.guards.normalise import compact_text, decode_layers, language_of, normalise
from bank_ai.ai.guards.types import GuardDecision, GuardResult

RISK_DISCLOSURE = {
    "zh": "理财非存款，产品有风险，投资须谨慎。",
    "en": "Wealth management products are not deposits; investment involves risk.",
}
_PROMISE_REFUSAL = {
    "zh": "抱歉，我无法对任何产品的收益或本金作出承诺。理财非存款，产品有风险，投资须谨慎。"
    "具体产品信息请以产品说明书为准，或咨询网点理财经理。",
    "en": "Sorry, I can't make any promise about returns or the safety of principal. "
    "Wealth management products are not deposits; investment involves risk. Please refer "
    "to the product documentation or speak to one of our relationship managers.",
}
_LEAK_REFUSAL = {
    "zh": "抱歉，这个问题我暂时无法回答。请换个问法，或联系人工客服。",
    "en": "Sorry, I can't answer that right now. Please rephrase your question or contact "
    "our customer service team.",
}

# ---------------------------------------------------------------------------- output guard

_CANARY_WINDOW = 16


def _leaks(needle: str, haystacks: Sequence[str], *, partial: bool) -> bool:
    compact = compact_text(needle)
    if len(compact) < 3:
        lowered = needle.casefold().strip()
        return bool(lowered) and any(lowered in h for h in haystacks)
    if partial and len(compact) > _CANARY_WINDOW:
        windows = {
            compact[i : i + _CANARY_WINDOW] for i in range(len(compact) - _CANARY_WINDOW + 1)
        }
        return any(w in h for h in haystacks for w in windows)
    return any(compact in h for h in haystacks)


def _answer_views(answer: str) -> list[str]:
    compact = compact_text(answer)
    views = [compact, compact[::-1], answer.casefold()]
    views.extend(compact_text(decoded) for _enc, decoded in decode_layers(answer))
    return views


_ZH_PROMISE_RE = re.compile(
    r"保本(?!金额)|保底|稳赚不赔|只赚不赔|稳赚|零风险|刚性兑付|刚兑|保证收益|保证本金|保证回报"
    r"|承诺收益|承诺回报|保收益|保息|包赚|无风险(?!利率|收益率|资产)|没有(?:任何)?风险|不会亏"
    r"|绝对安全|百分之百安全|100%安全|一定(?:能|会)?赚|肯定(?:能|会)?赚|收益有保障|本金有保障"
    r"|本金无忧"
)
_EN_PROMISE_RE = re.compile(
    r"guaranteed\s+(?:returns?|yields?|profits?|income|gains?|interest|principal|capital"
    r"|payouts?)"
    r"|guarantee[sd]?\s+(?:(?:a|an|the|your|you|any|future|high|fixed|stable|positive)\s+){0,3}"
    r"(?:returns?|yields?|profits?|income|gains?|principal|capital|payouts?)"
    r"|(?:returns?|yields?|profits?|income|principal|capital|gains?)\s+(?:is|are|will\s+be)\s+"
    r"(?:fully\s+|100%\s+|always\s+)?(?:guaranteed|protected)"
    r"|principal[-\s]+(?:guaranteed|protected)|capital[-\s]+(?:guaranteed|protected)"
    r"|risk[-\s]?free(?!\s+(?:rate|interest\s+rate|assets?))"
    r"|(?:no|zero)[-\s]+risk(?:\s+(?:at\s+all|whatsoever|of\s+(?:losing|loss|default)))?"
    r"(?!\s+(?:of|to|assessment|warning|disclosure|tolerance|appetite|rating|level|profile))"
    r"|can(?:no|')?t\s+lose(?!\s+(?:your\s+(?:card|pin|password|phone|device|access|account"
    r"|login)|track|sight|access|it\b|them\b))"
    r"|won'?t\s+lose\s+(?:money|a\s+(?:penny|cent)|your\s+(?:money|principal|capital))"
    r"|never\s+lose\s+(?:money|your\s+(?:money|principal|capital))|sure[-\s]?fire|100%\s+safe"
    r"|(?:will|would)\s+definitely\s+(?:earn|make|profit|gain)|sure\s+(?:profit|win|thing)"
    r"|rigid\s+redemption"
)
_CLAUSE_BREAK_RE = re.compile(r"[，,；;。.!?！？\n:：]")
_ZH_CONTRAST_RE = re.compile(r"但是|但|却|可是|不过|然而")
_EN_CONTRAST_RE = re.compile(r"\b(?:but|however|yet|although|though|whereas|while)\b")
_ZH_FALSE_NEG_RE = re.compile(
    r"不仅|不但|不只|不光|不止|无论|不管|毫无疑问|无疑|不用担心|不必担心|别担心|无需担心|没问题"
    r"|不错|非常|无忧|不会让您失望"
)
_ZH_NEG_RE = re.compile(
    r"[不非无没未别勿莫否]|禁止|杜绝|打破|取消|谨防|警惕|小心|防范|虚假|骗|违规|违法|所谓"
)
_ZH_AFTER_NEG_RE = re.compile(
    r"^[^，,；;。.!?！？\n]{0,12}?(?:不存在|不可能|违规|违法|骗局|诈骗|虚假|已(?:被)?打破|已取消"
    r"|被禁止|不被允许|是错误的|退出|不再)"
)
_EN_FALSE_NEG_RE = re.compile(
    r"\bnot\s+only\b|\bno\s+doubt\b|\bno\s+matter\b|\bnothing\s+but\b|\bdon'?t\s+worry\b"
    r"|\bdo\s+not\s+worry\b|\bno\s+need\s+to\s+worry\b|\bnever\s+miss\b"
)
_EN_NEG_RE = re.compile(
    r"\b(?:not|no|never|cannot|can't|cant|without|neither|nor|unlike|beware|avoid|scam|fraud"
    r"|illegal|prohibited|nobody|none|nothing|false|misleading|whether)\b|n't\b"
    r"|\bclaims?\s+of\b|\bpromises?\s+of\b|\bno\s+one\b"
)
_EN_AFTER_NEG_RE = re.compile(
    r"^\W*(?:(?:is|are|was|were)\s+)?(?:not|never|a\s+(?:scam|myth|red\s+flag)|illegal"
    r"|prohibited|impossible|unrealistic|misleading|false)\b"
    r"|^\W*(?:isn't|aren't|don't|doesn't|do\s+not|does\s+not|cannot|can't)\b"
)
_PROMISE_WINDOW = 40


def _negated(view: str, start: int, end: int, *, zh: bool) -> bool:
    """Whether a promise phrase sits in a disclaimer ("不保本", "are not guaranteed")."""
    before = view[max(0, start - _PROMISE_WINDOW) : start]
    breaks = list(_CLAUSE_BREAK_RE.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    contrast_re = _ZH_CONTRAST_RE if zh else _EN_CONTRAST_RE
    contrasts = list(contrast_re.finditer(before))
    if contrasts:
        before = before[contrasts[-1].end() :]
    after = view[end : end + _PROMISE_WINDOW]
    if zh:
        before = _ZH_FALSE_NEG_RE.sub("", before)
        return bool(_ZH_NEG_RE.search(before) or _ZH_AFTER_NEG_RE.search(after))
    before = _EN_FALSE_NEG_RE.sub("", before)
    return bool(_EN_NEG_RE.search(before) or _EN_AFTER_NEG_RE.search(after))


def _find_promise(answer: str) -> str | None:
    view = normalise(answer)
    for pattern, zh in ((_ZH_PROMISE_RE, True), (_EN_PROMISE_RE, False)):
        for m in pattern.finditer(view):
            if not _negated(view, m.start(), m.end(), zh=zh):
                return m.group(0)
    return None


_WEALTH_RE = re.compile(
    r"理财|基金|净值|收益率|年化|业绩比较基准|万能险|投连险|分红险|投资型保险|结构性存款|资管|信托产品"
    r"|债券|股票|私募|公募|定投|申购|赎回"
    r"|wealth\s+management|investment\s+(?:products?|funds?|plans?|-?linked)|unit-linked"
    r"|(?:mutual|index|money[-\s]market|bond|equity|hedge|exchange[-\s]traded|balanced"
    r"|growth|pension)\s+funds?|\betfs?\b|\b(?:the|this|that)\s+fund\b|\bfund's\b"
    r"|\bfund\s+(?:manager|performance|units?|shares?|nav|price)|\bnav\b|net\s+asset\s+value"
    r"|\byields?\b|annuali[sz]ed\s+(?:returns?|yields?)|expected\s+returns?"
    r"|structured\s+(?:deposits?|products?)|universal\s+life|\binvest(?:ing)?\s+in\b"
    r"|\bstocks?\b|\bbonds?\b|\bportfolio"
)
_ZH_DISCLOSURE_RE = re.compile(r"理财非存款.{0,20}投资[须需]谨慎", re.DOTALL)
_EN_DISCLOSURE_RE = re.compile(
    r"not\s+(?:bank\s+)?deposits?.{0,80}(?:investment\s+)?involves?\s+risks?", re.DOTALL
)


def _has_disclosure(answer: str, lang: str) -> bool:
    view = normalise(answer)
    return bool((_ZH_DISCLOSURE_RE if lang == "zh" else _EN_DISCLOSURE_RE).search(view))


_MD_IMAGE_RE = re.compile(r"!\[([^\]\n]{0,300})\]\((?:[^()\n]|\([^()\n]*\))*\)")
_MD_LINK_RE = re.compile(r"\[([^\]\n]{0,300})\]\((?:[^()\n]|\([^()\n]*\))*\)")
_MD_REF_LINK_RE = re.compile(r"\[([^\]\n]{1,300})\]\[[^\]\n]{0,100}\]")
_MD_REF_DEF_RE = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*(?:\n|$)", re.MULTILINE)
_MD_AUTOLINK_RE = re.compile(
    r"<((?:https?|mailto):[^>\s]+)>|<(?:javascript|vbscript|data):[^>]*>", re.IGNORECASE
)
_DANGEROUS_SCHEME_RE = re.compile(
    r"\b(javascript|vbscript|livescript)(\s*):|\b(data)(\s*):(?=\s*[a-z]+/[a-z0-9.+\-]+[;,])",
    re.IGNORECASE,
)


def _sanitise_markup(text: str) -> tuple[str, list[GuardDecision]]:
    """Plain text out: links reduced to their labels, script URLs defanged, nothing escaped.

    Answers travel as data (JSON, websocket frames, the audit, speech, messages), where an
    HTML entity would be read out or shown verbatim; whoever renders HTML escapes there.
    """
    decisions: list[GuardDecision] = []
    stripped = _MD_IMAGE_RE.sub(r"\1", text)
    stripped = _MD_LINK_RE.sub(r"\1", stripped)
    stripped = _MD_REF_LINK_RE.sub(r"\1", stripped)
    stripped = _MD_REF_DEF_RE.sub("", stripped)
    stripped = _MD_AUTOLINK_RE.sub(lambda m: m.group(1) or "", stripped)
    if stripped != text:
        decisions.append(GuardDecision("stripped_markdown_link", "links and images -> labels"))
    # An auto-linker in a client must never see a script scheme, even as plain text; the
    # bracketed colon still reads the same to a person.
    defanged = _DANGEROUS_SCHEME_RE.sub(
        lambda m: f"{m.group(1) or m.group(3)}{m.group(2) or m.group(4) or ''}[:]", stripped
    )
    if defanged != stripped:
        decisions.append(GuardDecision("defanged_script_url", "script URL scheme -> [:]"))
    return defanged, decisions


def check_output(
    answer: str,
    *,
    language: str,
    topic: str | None = None,
    canaries: Sequence[str] = (),
    internal_markers: Sequence[str] = (),
) -> GuardResult:
    """Decide whether a model answer may reach the customer, and clean it up.

    The returned text is plain text (never HTML-escaped: renderers escape it, see
    ``_sanitise_markup``); when ``allowed`` is False it is a refusal in the answer's
    language and the original must not be shown.
    """
    lang = language_of(language, answer)
    views = _answer_views(answer)
    for index, canary in enumerate(canaries):
        if canary and _leaks(canary, views, partial=True):
            # Never echo the canary itself into logs via the decision detail.
            return GuardResult(
                _LEAK_REFUSAL[lang],
                False,
                (GuardDecision("blocked_canary_leak", f"canary #{index}"),),
            )
    for index, marker in enumerate(internal_markers):
        if marker and _leaks(marker, views, partial=False):
            return GuardResult(
                _LEAK_REFUSAL[lang],
                False,
                (GuardDecision("blocked_internal_leak", f"internal marker #{index}"),),
            )
    promise = _find_promise(answer)
    if promise is not None:
        return GuardResult(
            _PROMISE_REFUSAL[lang],
            False,
            (GuardDecision("blocked_return_promise", promise),),
        )

    text, decisions = _sanitise_markup(answer)
    is_wealth = (topic or "").lower() == "wealth" or bool(_WEALTH_RE.search(normalise(answer)))
    if is_wealth and not _has_disclosure(answer, lang):
        separator = "\n\n" if text.strip() else ""
        text = f"{text.rstrip()}{separator}{RISK_DISCLOSURE[lang]}"
        decisions.append(GuardDecision("risk_disclosure_added", lang))
    return GuardResult(text, True, tuple(decisions))
