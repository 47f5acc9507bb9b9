"""An offline, deterministic "model": extractive answers composed from the passages.

No network, no weights. It exists so the product is useful without an API key and keeps
answering when the remote model is down. It never writes a sentence of its own about bank
facts: every factual sentence it outputs is copied from a passage and cited as [n], which
makes it safe (if less fluent) by construction.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bank_ai.ai.llm.base import (
    Completed,
    GenerationRequest,
    Language,
    LLMProvider,
    Passage,
    TextDelta,
    Usage,
)

# ---------------------------------------------------------------------------------------------
# Text processing
# ---------------------------------------------------------------------------------------------

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Amounts such as 5,000 / 3.5 / 0.35% count as one number, so "3.5%" is not split at the dot.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MASKED_NUMBER = re.compile(r"\*{3,}[\dXx]*")
_WORD = re.compile(r"[a-z][a-z']*")
_CITATION = re.compile(r"\[\d+\]")

_ZH_TERMINALS = frozenset("。！？；")
_EN_TERMINALS = frozenset(".!?")
_CLOSERS = frozenset("”’」』）)\"'")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EN_STOP = _words(
    """a an the and or but if of to in on at by for with from as is are was were be been being
    do does did doing have has had having i me my we our you your he she it its they them their
    this that these those what which who whom whose when where why how can could would should
    will shall may might must not no yes so than then there here about into over under again
    any all some such only own same too very just also please tell know want need get much many"""
)
# Bigrams of question words ("请问", "怎么", …) carry no topic; matching them would reward
# sentences for being phrased as questions rather than for answering one.
_ZH_STOP_BIGRAMS = _words(
    """请问 我想 想问 怎么 怎样 如何 什么 是否 可以 能否 能不 不能 吗？ 一下 我的 你们 我们 为什么
    多少 哪些 哪个 需要 有没 没有 是什 么样"""
)
# Questions like these want a figure; sentences that contain one get a small bonus.
_QUANTITY_HINT = re.compile(
    r"多少|几|费用|收费|利率|利息|额度|限额|金额|期限|时间|多久|how (?:much|many|long)|fee|rate|"
    r"interest|limit|cost|charge|amount|minimum|maximum|when|hours?|days?",
    re.IGNORECASE,
)


def _stem(word: str) -> str:
    """A deliberately tiny English stemmer: enough to match fee/fees, charged/charges."""
    for suffix, replacement in (
        ("ies", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    # charge/charges/charged all become "charg"; short words like "fee" keep their "e".
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Index terms for mixed Chinese/English text.

    Chinese has no spaces, so runs of CJK characters become overlapping character bigrams
    (a single character stands alone); English becomes lowercase stemmed words minus stop
    words; numbers become ``#<number>`` so they can earn their own bonus.
    """
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(
                run[i : i + 2]
                for i in range(len(run) - 1)
                if run[i : i + 2] not in _ZH_STOP_BIGRAMS
            )
    lowered = text.lower()
    out.extend(_stem(w.strip("'")) for w in _WORD.findall(lowered) if w not in _EN_STOP)
    out.extend("#" + n.replace(",", "") for n in _NUMBER.findall(text))
    return [t for t in out if t]


def split_sentences(text: str) -> list[str]:
    """Split at Chinese 。！？； and English . ! ? (keeping closing quotes with the sentence).

    An English terminal only ends a sentence when whitespace or the end follows, so amounts
    such as "3.5%" stay whole, and a full stop followed by a lowercase word is taken for an
    abbreviation ("3 p.m. daily"); line breaks always end a sentence.
    """
    sentences: list[str] = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        cut = None
        if char == "\n":
            cut = i
        elif char in _ZH_TERMINALS or char in _EN_TERMINALS:
            end = i + 1
            while end < n and (text[end] in _ZH_TERMINALS or text[end] in _EN_TERMINALS):
                end += 1  # "?!" or "……" stay together
            while end < n and text[end] in _CLOSERS:
                end += 1
            if char in _ZH_TERMINALS or end >= n:
                cut = end
            elif text[end].isspace():
                # "3 p.m. usually arrive": a lowercase word after the dot means an
                # abbreviation, not a new sentence.
                following = text[end:].lstrip()[:1]
                if char != "." or not following.islower():
                    cut = end
            i = end - 1
        if cut is not None:
            sentences.append(text[start:cut])
            start = cut
        i += 1
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def approx_tokens(text: str) -> int:
    """Rough token count: ~2 Chinese characters or ~1 English word per token."""
    cjk = len(_CJK_CHAR.findall(text))
    words = len(re.findall(r"[A-Za-z0-9]+", text))
    return math.ceil(cjk / 2) + words


def _is_cjk_text(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))


def chunk_for_streaming(text: str, cjk_chars: int = 3) -> list[str]:
    """Split text into small pieces for progressive rendering.

    An English word (with its trailing space) or a few Chinese characters per chunk, and a
    citation marker such as "[12]" is never split, so a client can't render half of one.
    """
    tokens = re.findall(r"\[\d+\]|[A-Za-z0-9$%.,'’:/-]+\s*|\s+|.", text, flags=re.DOTALL)
    chunks: list[str] = []
    buffer = ""
    for token in tokens:
        if len(token) == 1 and not token.isspace() and not token.isascii():
            buffer += token
            if len(buffer) >= cjk_chars:
                chunks.append(buffer)
                buffer = ""
            continue
        if buffer:
            chunks.append(buffer)
            buffer = ""
        chunks.append(token)
    if buffer:
        chunks.append(buffer)
    return chunks


def _cite(sentence: str, number: int) -> str:
    """Put the [n] marker before the closing punctuation: "年费为200元[1]。", "… $5 [1]."."""
    match = re.search(r"[。！？；.!?;]+[”’」』）)]*$", sentence)
    if match:
        body, end = sentence[: match.start()], sentence[match.start() :]
    else:
        body, end = sentence, ""
    marker = f"[{number}]" if _is_cjk_text(body) else f" [{number}]"
    if not end:
        end = "。" if _is_cjk_text(body) else "."
    return f"{body}{marker}{end}"


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------

TEMPLATES: dict[str, dict[Language, str]] = {
    "lead_in": {"zh-hans": "根据我行资料：", "en": "According to our documentation:"},
    "no_passages": {
        "zh-hans": "抱歉，我在现有资料中没有找到与您问题相关的信息，无法给出可靠的答复。"
        "如需帮助，我可以为您转接人工客服。",
        "en": "Sorry, I couldn't find anything about that in our documentation, so I can't give "
        "you a reliable answer. If you like, I can connect you to a colleague.",
    },
    "no_match": {
        "zh-hans": "抱歉，我没有在资料中找到直接回答您问题的内容。以下资料可能相关：",
        "en": "Sorry, I couldn't find a direct answer to your question. These documents may help:",
    },
    "offer_human": {
        "zh-hans": "如需进一步帮助，我可以为您转接人工客服。",
        "en": "If you need more help, I can connect you to a colleague.",
    },
    "chat": {
        "zh-hans": "您好！我是本行的智能客服助手，可以根据我行公开资料解答关于产品和服务的问题，"
        "也可以为您转接人工客服。请问有什么可以帮您？",
        "en": "Hello! I'm the bank's virtual assistant. I can answer questions about our products "
        "and services from our published information, or connect you to a colleague. "
        "How can I help?",
    },
    "summary_lead": {"zh-hans": "摘要：", "en": "Summary:"},
    "role_user": {"zh-hans": "客户：", "en": "Customer: "},
    "role_assistant": {"zh-hans": "客服：", "en": "Bank: "},
}


def _t(key: str, lang: Language) -> str:
    return TEMPLATES[key][lang]


# ---------------------------------------------------------------------------------------------
# Sentence selection
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    passage_no: int  # 1-based, i.e. the citation number
    index: int  # position within the passage, to keep the passage's own order
    text: str
    terms: frozenset[str]


def _is_question(sentence: str) -> bool:
    return sentence.rstrip("”’」』）) ").endswith(("？", "?"))


def _is_heading(sentence: str, title: str) -> bool:
    """A title line: the passage's own title, or a line with no closing punctuation that
    opens the passage (guides start with their title on its own line)."""
    text = sentence.strip()
    return text == title.strip() or not re.search(r"[。！？；.!?;:：”’」』）)]$", text)


def _candidates(passages: Iterable[Passage]) -> list[_Candidate]:
    found: list[_Candidate] = []
    for number, passage in enumerate(passages, start=1):
        for index, sentence in enumerate(split_sentences(passage.text)):
            if index == 0 and _is_heading(sentence, passage.title):
                # Headings name the topic (the title already scores the passage below).
                continue
            found.append(_Candidate(number, index, sentence, frozenset(terms(sentence))))
    return found


def _score_sentences(
    question: str, passages: tuple[Passage, ...], candidates: list[_Candidate]
) -> list[float]:
    query = Counter(terms(question))
    if not query or not candidates:
        return [0.0] * len(candidates)
    # IDF over the candidate sentences: a bigram found in every sentence (e.g. the product
    # name in a product leaflet) says little about which sentence answers the question.
    doc_freq: Counter[str] = Counter()
    for candidate in candidates:
        doc_freq.update(candidate.terms)
    total = len(candidates)

    def idf(term: str) -> float:
        return math.log(1.0 + total / (1 + doc_freq[term])) + 0.1

    wants_figure = bool(_QUANTITY_HINT.search(question))
    title_terms = {n: frozenset(terms(p.title)) for n, p in enumerate(passages, start=1)}
    scores: list[float] = []
    for candidate in candidates:
        matched = [t for t in query if t in candidate.terms and not t.startswith("#")]
        if not matched:
            scores.append(0.0)  # numbers or titles alone never make a sentence relevant
            continue
        overlap = sum(idf(t) for t in matched)
        # Dampen length so long sentences don't win just by containing more bigrams.
        score = overlap / math.sqrt(1.0 + len(candidate.terms) / 8.0)
        numbers = [t for t in query if t.startswith("#")]
        score += 1.5 * sum(1 for t in numbers if t in candidate.terms)
        if wants_figure and _NUMBER.search(candidate.text):
            score += 0.5
        # A question in a passage (an FAQ's own heading) restates, it does not answer.
        if _is_question(candidate.text):
            score *= 0.2
        # A passage whose title matches the question is probably about the right product.
        score += 0.3 * len(title_terms[candidate.passage_no] & query.keys())
        score += 0.1 * max(passages[candidate.passage_no - 1].score, 0.0)
        scores.append(score)
    return scores


def _dedupe_key(text: str) -> str:
    return re.sub(r"\W+", "", _CITATION.sub("", text)).lower()


def _near_duplicate(a: _Candidate, b: _Candidate) -> bool:
    """The same fact said twice: identical text, or one sentence's terms nearly all in the
    other's (a summary line restated in the body, overlapping chunks, a translated twin)."""
    if _dedupe_key(a.text) == _dedupe_key(b.text):
        return True
    if not a.terms or not b.terms:
        return False
    # "一年期利率1.5%" and "三年期利率2.1%" share nearly every word and are two facts.
    if {t for t in a.terms if t.startswith("#")} != {t for t in b.terms if t.startswith("#")}:
        return False
    shared = len(a.terms & b.terms)
    return shared / min(len(a.terms), len(b.terms)) >= NEAR_DUPLICATE_OVERLAP


NEAR_DUPLICATE_OVERLAP = 0.75
# A sentence of the chosen passage joins the answer when it scores at least this share of the
# passage's best sentence; the passage's opening statement always does (it is the summary,
# and in procedures the first thing to do).
RELEVANT_SHARE = 0.35
RANK_SHARE = 0.6


def select_sentences(
    question: str, passages: tuple[Passage, ...], max_sentences: int = 4
) -> list[_Candidate]:
    """The answer's sentences: from the best passage, in that passage's own order.

    Stitching the top sentences of several passages reorders procedures (the last step of
    one article before the first step of another) and repeats facts; the best passage reads
    in the order its editor wrote it. Its opening statement leads, then its sentences that
    bear on the question, near-duplicates dropped. Only when that passage has a single
    sentence to give does the next-best passage add its own.
    """
    candidates = _candidates(passages)
    scores = _score_sentences(question, passages, candidates)
    by_passage: dict[int, list[int]] = {}
    for i, candidate in enumerate(candidates):
        by_passage.setdefault(candidate.passage_no, []).append(i)

    def passage_score(number: int) -> float:
        top = sorted((scores[i] for i in by_passage[number]), reverse=True)
        return top[0] + 0.5 * (top[1] if len(top) > 1 else 0.0)

    useful = [n for n in sorted(by_passage) if max(scores[i] for i in by_passage[n]) > 0]
    if not useful:
        return []
    # Retrieval ranked the passages with embeddings as well as words, which sees paraphrases
    # and the article's topic where sentence overlap sees one shared word ("银行卡" in an
    # anti-fraud tip): its order stands unless a later passage's sentences fit far better.
    best_score = max(passage_score(n) for n in useful)
    leader = next(n for n in useful if passage_score(n) >= RANK_SHARE * best_score)
    # A figure the customer named ("within 2 days") is the one thing retrieval blurs.
    # The visible tail of a masked card or ID number ("************7894") is no figure asked.
    unmasked_part = _MASKED_NUMBER.sub(" ", question)
    asked = {t for t in terms(unmasked_part) if t.startswith("#")}

    def names_figures(number: int) -> bool:
        return any(asked & candidates[i].terms for i in by_passage[number])

    if asked and not names_figures(leader):
        leader = next((n for n in useful if names_figures(n)), leader)
    ranked_passages = [leader] + sorted(
        (n for n in useful if n != leader), key=lambda n: (-passage_score(n), n)
    )
    chosen: list[_Candidate] = []
    for number in ranked_passages:
        picked = _passage_sentences(by_passage[number], candidates, scores, max_sentences)
        picked = [c for c in picked if not any(_near_duplicate(c, k) for k in chosen)]
        chosen.extend(picked[: max_sentences - len(chosen)])
        if len(chosen) >= 2 or len(chosen) >= max_sentences:
            break
    return chosen


def _passage_sentences(
    members: list[int], candidates: list[_Candidate], scores: list[float], limit: int
) -> list[_Candidate]:
    """One passage's sentences worth saying, in the passage's order, without repeats."""
    statements = [i for i in members if not _is_question(candidates[i].text)]
    if not statements:
        return []
    best = max(scores[i] for i in members)
    lead = statements[0]
    relevant = [
        i for i in statements if i != lead and scores[i] > 0 and scores[i] >= RELEVANT_SHARE * best
    ]
    relevant.sort(key=lambda i: (-scores[i], i))
    keep = sorted([lead, *relevant[: limit - 1]], key=lambda i: candidates[i].index)
    out: list[_Candidate] = []
    for i in keep:
        if not any(_near_duplicate(candidates[i], c) for c in out):
            out.append(candidates[i])
    return out


def compose_cited(selected: list[_Candidate], lang: Language) -> str:
    """Join the sentences, citing each passage once: after the last sentence taken from it."""
    joiner = "" if lang == "zh-hans" else " "
    parts = []
    for position, candidate in enumerate(selected):
        following = selected[position + 1] if position + 1 < len(selected) else None
        if following is not None and following.passage_no == candidate.passage_no:
            parts.append(candidate.text)
        else:
            parts.append(_cite(candidate.text, candidate.passage_no))
    return joiner.join(parts)


# ---------------------------------------------------------------------------------------------
# Provider
# ---------------------------------------------------------------------------------------------


class LocalProvider(LLMProvider):
    name = "local"

    def __init__(
        self,
        model: str = "local-extractive-v1",
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.model = model
        self._clock = clock

    # The composing functions are public so scenarios/tests can reuse them directly.

    def compose(self, request: GenerationRequest) -> str:
        lang = request.lang
        if request.task == "rephrase":
            return self._rephrase(request.draft)
        if request.task == "summarise":
            return self._summarise(request, lang)
        if request.task == "chat" and not request.passages:
            return _t("chat", lang)
        return self._answer(f"{request.question} {request.focus}".strip(), request.passages, lang)

    def _answer(self, question: str, passages: tuple[Passage, ...], lang: Language) -> str:
        if not passages:
            return _t("no_passages", lang)
        selected = select_sentences(question, passages)
        if not selected:
            # Retrieval found documents but none of their sentences overlaps the question:
            # point at the documents rather than guess which sentence matters.
            lines = [_t("no_match", lang)]
            for number, passage in enumerate(passages[:3], start=1):
                title = passage.title or passage.source_id
                lines.append(f"[{number}] {title}" + (f" {passage.url}" if passage.url else ""))
            lines.append(_t("offer_human", lang))
            return "\n".join(lines)
        return f"{_t('lead_in', lang)}\n{compose_cited(selected, lang)}"

    @staticmethod
    def _rephrase(draft: str) -> str:
        # Only whitespace is touched: the draft is grounded text and rewording it without a
        # model risks changing its meaning.
        lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in draft.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

    def _summarise(self, request: GenerationRequest, lang: Language) -> str:
        labelled: list[tuple[str, str]] = []  # (role label, sentence)
        for role, text in request.history:
            label = _t("role_user" if role == "user" else "role_assistant", lang)
            labelled.extend((label, s) for s in split_sentences(text))
        if request.question.strip():
            labelled.extend((_t("role_user", lang), s) for s in split_sentences(request.question))
        if request.draft.strip():
            labelled.extend((_t("role_assistant", lang), s) for s in split_sentences(request.draft))
        if not labelled:
            return ""
        # Centrality: a sentence is summary-worthy when its terms recur across the material.
        frequency: Counter[str] = Counter()
        sentence_terms = [frozenset(terms(s)) for _, s in labelled]
        for term_set in sentence_terms:
            frequency.update(term_set)

        def centrality(i: int) -> float:
            term_set = sentence_terms[i]
            if not term_set:
                return 0.0
            return sum(frequency[t] for t in term_set) / math.sqrt(len(term_set))

        keep = sorted(
            sorted(range(len(labelled)), key=lambda i: (-centrality(i), i))[:3]
        )  # back into conversation order
        lines = [f"{labelled[i][0]}{labelled[i][1]}" for i in keep]
        return _t("summary_lead", lang) + "\n" + "\n".join(lines)

    @staticmethod
    def _truncate(text: str, max_tokens: int) -> tuple[str, bool]:
        if approx_tokens(text) <= max_tokens:
            return text, False
        kept = ""
        for chunk in chunk_for_streaming(text):
            if approx_tokens(kept + chunk) > max_tokens:
                break
            kept += chunk
        return kept.rstrip(), True

    def stream(self, request: GenerationRequest) -> Iterator[TextDelta | Completed]:
        started = self._clock()
        text, truncated = self._truncate(self.compose(request), request.max_tokens)
        for chunk in chunk_for_streaming(text):
            yield TextDelta(chunk)
        prompt_text = " ".join(
            [request.system, request.question, request.draft]
            + [t for _, t in request.history]
            + [f"{p.title} {p.text}" for p in request.passages]
        )
        yield Completed(
            text=text,
            usage=Usage(input_tokens=approx_tokens(prompt_text), output_tokens=approx_tokens(text)),
            latency_ms=(self._clock() - started) * 1000.0,
            provider=self.name,
            model=self.model,
            stop_reason="max_tokens" if truncated else "end_turn",
        )
