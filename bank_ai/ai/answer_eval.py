"""How good is an answer's text? Fact recall, step order, repeats, citations and language.

Used by ``manage.py eval_answers`` on ``eval_data/answer_facts.csv``: questions (zh and en)
written from the demo knowledge, each with the short facts a correct answer must contain
(semicolon-separated, in the order a customer must act on them when ``ordered`` is 1).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bank_ai.ai.llm.local import split_sentences

_CITATION = re.compile(r"\s?\[(\d+)\]")
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile("[A-Za-z]")
_DASHES = str.maketrans({"–": "-", "—": "-", "－": "-", "，": ",", "％": "%"})


@dataclass(frozen=True)
class AnswerScore:
    facts: int
    found: int
    ordered: bool  # the row asks for its facts in order
    # None when the row does not ask for an order, or not every fact was found.
    in_order: bool | None
    repeated_sentences: int
    sources_cited_more_than_once: int
    right_language: bool

    @property
    def recall(self) -> float:
        return self.found / self.facts if self.facts else 1.0


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", _CITATION.sub("", text).translate(_DASHES)).lower()


def sentence_key(sentence: str) -> str:
    return re.sub(r"\W+", "", _CITATION.sub("", sentence)).lower()


def score_answer(answer: str, facts: list[str], *, ordered: bool, language: str) -> AnswerScore:
    body = _normalise(answer)
    positions = [body.find(_normalise(fact)) for fact in facts]
    found = sum(p >= 0 for p in positions)
    in_order = None
    if ordered and found == len(facts):
        in_order = positions == sorted(positions)
    keys = [sentence_key(s) for s in split_sentences(answer)]
    keys = [k for k in keys if k]
    repeated = sum(n - 1 for n in Counter(keys).values())
    cited = Counter(_CITATION.findall(answer))
    multi = sum(1 for n in cited.values() if n > 1)
    cjk, latin = len(_CJK.findall(answer)), len(_LATIN.findall(answer))
    right_language = cjk > latin if language.startswith("zh") else cjk == 0
    return AnswerScore(
        facts=len(facts),
        found=found,
        ordered=ordered,
        in_order=in_order,
        repeated_sentences=repeated,
        sources_cited_more_than_once=multi,
        right_language=right_language,
    )
