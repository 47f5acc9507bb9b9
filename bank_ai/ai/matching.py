"""Does a customer's question ask the same thing as a curated FAQ question?

Sentence embeddings rank paraphrases well but are blind to the small words that change
the answer: "能" vs "不能", "提高" vs "降低", "5万" vs "50万", "open" vs "close".
:class:`QuestionMatcher` therefore blends

* embedding cosine (the main signal, and the only one across languages),
* lexical overlap - Jaccard of CJK character bigrams plus Latin content words, so no
  word segmentation is needed -
* and penalties for a negation mismatch, different amounts, and opposite actions
  (a short list of banking antonyms)

into one score in roughly [-0.5, 1].  The threshold depends on the embedder and on the
cost of a wrong FAQ answer, so the caller calibrates it on labelled pairs
(:func:`bank_ai.ai.evaluation.best_threshold` helps).  ``python -m bank_ai.ai.matching``
evaluates the matcher on ``eval_data/question_pairs.tsv``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bank_ai.ai.embeddings import Embedder
from bank_ai.ai.evaluation import best_threshold, roc_auc
from bank_ai.ai.intent_model import normalise_text

__all__ = [
    "MatchFeatures",
    "QuestionMatcher",
    "cv_threshold_accuracy",
    "same_question",
]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_LATIN_WORD = re.compile(rf"[^\W\d_{_CJK}]+(?:'[^\W\d_{_CJK}]+)*")

# Function words carry no topic; leaving them in inflates overlap between any two
# "how do I ...?" questions.
_EN_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "my",
        "me",
        "we",
        "our",
        "you",
        "your",
        "it",
        "its",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "how",
        "what",
        "when",
        "where",
        "why",
        "which",
        "who",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "to",
        "of",
        "in",
        "on",
        "for",
        "at",
        "by",
        "from",
        "with",
        "and",
        "or",
        "if",
        "this",
        "that",
        "there",
        "here",
        "please",
        "want",
        "need",
        "like",
        "get",
        "have",
        "has",
        "had",
    ]
)

# --- negation -----------------------------------------------------------------
# Chinese A-not-A questions (能不能, 有没有) are neutral "whether" questions, and some
# 不/没/无 compounds are ordinary words; both are removed before looking for negation.
_ZH_A_NOT_A = re.compile(rf"([{_CJK}])[不没]\1")
_ZH_NOT_NEGATION = re.compile("不同|不过|不错|不少|不久|不断|不仅|不管|无论|没什么|不良")
# 别 is left out: 别人/区别/特别 are far more common in questions than "don't".
_ZH_NEGATION = re.compile("不|没|未|无法|勿")
_EN_NEGATION = frozenset(["not", "no", "never", "cannot", "unable", "without", "nothing", "none"])

# --- amounts -------------------------------------------------------------------
_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_AMOUNT = re.compile(
    r"(\d+(?:[.,]\d+)*)\s*(k|m|千|万|亿|百)?|([零〇一二两三四五六七八九十百千万亿]+)"
)

# --- opposite actions ---------------------------------------------------------
# Each entry: (one side, the other side).  A pair conflicts when each question uses
# only one side.  Kept short and generic: every entry must be a real banking contrast.
_OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(a.split()), frozenset(b.split()))
    for a, b in (  # "_" joins the words of an English phrase
        (
            "提高 提升 增加 调高 上调 提额 increase raise higher bigger",
            "降低 减少 调低 下调 降额 decrease reduce lower smaller",
        ),
        (
            "开通 开启 激活 开卡 设置 绑定 open activate enable start set_up turn_on",
            "关闭 取消 注销 停用 解绑 销户 close deactivate disable cancel stop turn_off",
        ),
        (
            "存入 转入 收到 收款 deposit receive received",
            "取出 取款 取现 转出 汇出 付款 withdraw send sent",
        ),
        ("上班 开门", "下班 关门"),
        ("境内 国内 domestic", "境外 国外 海外 international abroad"),
        ("定期", "活期"),
        ("借记卡 储蓄卡 debit", "信用卡 credit"),
    )
)


@dataclass(frozen=True)
class MatchFeatures:
    cosine: float
    # Jaccard of lexical units; None when the questions share no script (zh vs en).
    lexical: float | None
    # Cosine between what is left of each question once the shared units are removed.
    residual_cosine: float
    negation_mismatch: bool
    amount_mismatch: bool
    opposite_action: bool


def _zh_number(s: str) -> float | None:
    """Value of a Chinese numeral such as 五万, 十二, 三千五百; None if unparsable."""
    total, section, digit = 0, 0, 0
    for ch in s:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            unit = _ZH_UNITS[ch]
            if unit >= 10_000:
                total = (total + section + digit) * unit
                section = 0
            else:
                section += (digit or 1) * unit
            digit = 0
        else:
            return None
    return float(total + section + digit)


def amounts(text: str) -> frozenset[float]:
    """Numeric values mentioned in normalised text (5万 and 50000 are the same)."""
    found = set()
    for num, unit, zh in _AMOUNT.findall(text):
        if num:
            try:
                value = float(num.replace(",", ""))
            except ValueError:
                continue
            value *= {"k": 1e3, "m": 1e6, "百": 1e2, "千": 1e3, "万": 1e4, "亿": 1e8}.get(unit, 1)
            found.add(value)
        elif zh and zh not in ("一", "两"):  # "一天", "两次": idioms more often than amounts
            value_zh = _zh_number(zh)
            if value_zh is not None:
                found.add(value_zh)
    return frozenset(found)


def has_negation(text: str) -> bool:
    zh = _ZH_NOT_NEGATION.sub("", _ZH_A_NOT_A.sub("", text))
    if _ZH_NEGATION.search(zh):
        return True
    words = _LATIN_WORD.findall(text)
    return any(w in _EN_NEGATION or w.endswith("n't") for w in words)


def lexical_units(text: str) -> frozenset[str]:
    """CJK character bigrams (single characters for one-character runs) and Latin
    content words."""
    units: set[str] = set()
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            units.add(run)
        units.update(run[i : i + 2] for i in range(len(run) - 1))
    units.update(w for w in _LATIN_WORD.findall(text) if w not in _EN_STOP)
    return frozenset(units)


_PIECE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)*")


def residual(text: str, other: str) -> str:
    """``text`` without what it shares with ``other``: CJK characters inside a bigram
    that also occurs in ``other``, and words that also occur in ``other``.

    For a "minimal pair" (信用卡年费怎么免 / 信用卡年费是多少) the residuals are the
    words that change the question (怎么免 / 是多少); for a paraphrase they are
    synonyms or rewordings (怎么免 / 如何减免的).  Embedding the residuals asks the
    model the question that the whole-sentence cosine hides under shared words.
    """
    pieces = _PIECE.findall(text)
    other_words = set(_PIECE.findall(other))
    kept: list[str] = []
    for i, piece in enumerate(pieces):
        if _CJK_RUN.fullmatch(piece):
            prev_pair = i > 0 and (pieces[i - 1] + piece) in other
            next_pair = i + 1 < len(pieces) and (piece + pieces[i + 1]) in other
            if not (prev_pair or next_pair):
                kept.append(piece)
        elif piece not in other_words:
            kept.append(piece)
    # Rejoin CJK characters without spaces and words with spaces.
    out = ""
    for piece in kept:
        if out and not (_CJK_RUN.fullmatch(piece) and _CJK_RUN.fullmatch(out[-1])):
            out += " "
        out += piece
    return out


def _action_sides(text: str) -> set[tuple[int, int]]:
    words = _LATIN_WORD.findall(text)
    grams = set(words) | {f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)}
    sides = set()
    for g, pair in enumerate(_OPPOSITES):
        for s, vocab in enumerate(pair):
            if any((w in grams) if w.isascii() else (w in text) for w in vocab):
                sides.add((g, s))
    return sides


def _opposite(a: set[tuple[int, int]], b: set[tuple[int, int]]) -> bool:
    for g in {g for g, _ in a | b}:
        sa = {s for gg, s in a if gg == g}
        sb = {s for gg, s in b if gg == g}
        if len(sa) == 1 and len(sb) == 1 and sa != sb:
            return True
    return False


class QuestionMatcher:
    """Scores whether two questions ask the same thing (higher = more likely).

    The blend weights were chosen by 2-fold cross-validation on
    ``eval_data/question_pairs.tsv`` from a small grid (see ``_main``); the penalties
    were set by hand from what each signal means.
    """

    w_cosine = 0.3
    w_residual = 0.7
    w_lexical = 0.0
    # Two different amounts or opposite actions almost always mean a different question,
    # so a hit outweighs most of the score range.  Negation is noisier (没到期 is a
    # state, not a negated question), so it costs less.
    negation_penalty = 0.35
    amount_penalty = 0.5
    opposite_penalty = 0.5

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def features_many(self, pairs: Sequence[tuple[str, str]]) -> list[MatchFeatures]:
        pairs = list(pairs)
        if not pairs:
            return []
        norm = {t: normalise_text(t) for pair in pairs for t in pair}
        residuals = [(residual(norm[a], norm[b]), residual(norm[b], norm[a])) for a, b in pairs]
        # One embedding call for every distinct string (questions and residuals).
        texts = sorted(set(norm.values()) | {r for rr in residuals for r in rr if r})
        row = {t: i for i, t in enumerate(texts)}
        # Symmetric task: both sides are "queries" (E5's recommendation; USE ignores it).
        vecs = self.embedder.embed_queries(texts)

        def cos(x: str, y: str) -> float:
            return float(vecs[row[x]] @ vecs[row[y]])

        out = []
        for (a, b), (ra, rb) in zip(pairs, residuals, strict=True):
            na, nb = norm[a], norm[b]
            ua, ub = lexical_units(na), lexical_units(nb)
            lex = len(ua & ub) / len(ua | ub) if _same_script(ua, ub) else None
            if ra and rb:
                res = cos(ra, rb)
            elif ra or rb:
                # One question only adds words: is the addition implied by the other?
                res = cos(ra, nb) if ra else cos(rb, na)
            else:
                res = 1.0  # same words
            am_a, am_b = amounts(na), amounts(nb)
            out.append(
                MatchFeatures(
                    cosine=cos(na, nb),
                    lexical=lex,
                    residual_cosine=res,
                    negation_mismatch=has_negation(na) != has_negation(nb),
                    # Only two different explicit amounts conflict: an FAQ about "the
                    # daily limit" still answers "can I move 5万 a day?".
                    amount_mismatch=bool(am_a and am_b and am_a != am_b),
                    opposite_action=_opposite(_action_sides(na), _action_sides(nb)),
                )
            )
        return out

    def combine(self, f: MatchFeatures) -> float:
        lexical = f.cosine if f.lexical is None else f.lexical  # cross-lingual: no evidence
        total = self.w_cosine + self.w_residual + self.w_lexical
        base = (
            self.w_cosine * f.cosine
            + self.w_residual * f.residual_cosine
            + self.w_lexical * lexical
        ) / total
        return float(
            base
            - self.negation_penalty * f.negation_mismatch
            - self.amount_penalty * f.amount_mismatch
            - self.opposite_penalty * f.opposite_action
        )

    def score_many(
        self,
        pairs: Sequence[tuple[str, str]],
        known_vectors: dict[str, np.ndarray] | None = None,
        also_embed: Sequence[str] = (),
    ) -> np.ndarray:
        """Scores in [0, 1] from the trained model (``matcher_model``) when one for this
        embedder is stored; otherwise the hand-set blend below. ``known_vectors`` (text ->
        stored embedding, e.g. the curated questions' own) saves embedding them again;
        ``also_embed``: the caller's texts, embedded in the same batch as the pairs'."""
        from bank_ai.ai.matcher_model import trained_model

        model = trained_model()
        if model is not None and model.embedder_name == getattr(self.embedder, "name", None):
            featuriser = model.featuriser(self.embedder)
            features = featuriser.transform(list(pairs), known_vectors, also_embed=also_embed)
            scores = model.probabilities(features)
        else:
            if also_embed:
                self.embedder.embed_queries(list(also_embed))
            scores = self.blend_scores(pairs)
        # The same words (but for case, punctuation and a greeting or thanks) are the same
        # question. The model learnt from reworded positives and one-word-edit negatives, so a
        # near-identical pair looked like a look-alike to it: an FAQ's exact question scored
        # 0.40 against itself (median over the demo's 380), below the engine's thresholds.
        same = [i for i, (a, b) in enumerate(pairs) if same_question(a, b)]
        if same:
            scores = np.array(scores, np.float32)
            scores[same] = 1.0
        return scores

    def blend_scores(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """The hand-set blend: what serves until a model is trained (and the old baseline)."""
        return np.array([self.combine(f) for f in self.features_many(pairs)], np.float32)

    def score(self, q1: str, q2: str) -> float:
        return float(self.score_many([(q1, q2)])[0])


# Greetings and thanks around a question ask nothing (normalised text: lower case, ASCII
# punctuation). English ones must be whole words ("hi" is not the start of "history").
_COURTESY = re.compile(
    r"^(?:请问|你好|您好|麻烦问一下|麻烦|(?:hi|hello|hey|excuse me|dear sir or madam)\b)[,!.\s]*"
    r"|[,!.\s]*(?:谢谢您|谢谢你|谢谢|多谢|\b(?:please|thanks|thank you))[,!.?\s]*$"
)


def same_question(a: str, b: str) -> bool:
    """True when the two texts have the same words once case, spaces, punctuation and a
    greeting or thanks around them are set aside."""
    return _question_key(a) == _question_key(b) != ""


def _question_key(text: str) -> str:
    stripped = normalise_text(text).strip()
    previous = None
    while previous != stripped:  # "你好，请问…" has two
        previous, stripped = stripped, _COURTESY.sub("", stripped).strip()
    return "".join(ch for ch in stripped if ch.isalnum())


def _same_script(a: frozenset[str], b: frozenset[str]) -> bool:
    def scripts(units: frozenset[str]) -> set[bool]:
        return {u.isascii() for u in units}

    return bool(scripts(a) & scripts(b))


# ------------------------------------------------------------------ calibration
def cv_threshold_accuracy(
    scores: np.ndarray,
    labels: np.ndarray,
    *,
    folds: int = 2,
    seed: int = 0,
    groups: Sequence[str] | None = None,
) -> float:
    """Accuracy when the threshold is chosen on the other folds (stratified by label
    and optional group, e.g. language), so the number is not tuned on itself."""
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(int)
    fold_of = _fold_ids(labels, list(groups or [""] * len(labels)), folds, seed)
    correct = 0
    for f in range(folds):
        test, train = fold_of == f, fold_of != f
        t = best_threshold(scores=scores[train], labels=labels[train])
        correct += int(((scores[test] >= t) == labels[test].astype(bool)).sum())
    return correct / len(labels)


def _fold_ids(labels: np.ndarray, groups: Sequence[str], folds: int, seed: int) -> np.ndarray:
    keys = np.array([f"{lab}|{g}" for lab, g in zip(labels, groups, strict=True)])
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), int)
    for key in sorted(set(keys)):
        members = np.flatnonzero(keys == key)
        rng.shuffle(members)
        fold_of[members] = np.arange(len(members)) % folds
    return fold_of


_WEIGHT_GRID = [
    (wc, wr, wl)
    for wc in (0.0, 0.3, 0.5, 0.7, 1.0)
    for wr in (0.0, 0.3, 0.5, 0.7, 1.0)
    for wl in (0.0, 0.15, 0.3)
    if wc + wr + wl > 0
]


def _nested_cv_accuracy(
    matcher: QuestionMatcher,
    feats: list[MatchFeatures],
    labels: np.ndarray,
    groups: Sequence[str],
) -> tuple[float, list[tuple[float, float, float]]]:
    """Blend weights *and* threshold chosen on one fold, accuracy measured on the other."""
    fold_of = _fold_ids(labels, groups, 2, 0)
    correct, chosen = 0, []
    for f in (0, 1):
        train, test = fold_of != f, fold_of == f
        best = None
        for w in _WEIGHT_GRID:
            s = _blend(matcher, feats, w)
            t = best_threshold(scores=s[train], labels=labels[train])
            acc = ((s[train] >= t) == labels[train].astype(bool)).mean()
            if best is None or acc > best[0]:
                best = (acc, w, t)
        assert best is not None
        _, w, t = best
        chosen.append(w)
        s = _blend(matcher, feats, w)
        correct += int(((s[test] >= t) == labels[test].astype(bool)).sum())
    return correct / len(labels), chosen


def _blend(
    matcher: QuestionMatcher, feats: list[MatchFeatures], w: tuple[float, float, float]
) -> np.ndarray:
    m = QuestionMatcher(matcher.embedder)
    m.w_cosine, m.w_residual, m.w_lexical = w
    return np.array([m.combine(f) for f in feats])


def _main() -> None:  # pragma: no cover - evaluation entry point
    import argparse
    import csv
    from pathlib import Path

    from bank_ai.ai.embeddings import DEFAULT_EMBEDDER, get_embedder

    ap = argparse.ArgumentParser(description="Evaluate QuestionMatcher on labelled pairs")
    ap.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    ap.add_argument(
        "--pairs",
        type=Path,
        default=Path(__file__).parent / "eval_data" / "question_pairs.tsv",
    )
    args = ap.parse_args()
    with args.pairs.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    pairs = [(r["question1"], r["question2"]) for r in rows]
    labels = np.array([int(r["label"]) for r in rows])
    lang = np.array(["zh" if _CJK_RUN.search(a + b) else "en" for a, b in pairs])
    matcher = QuestionMatcher(get_embedder(args.embedder))
    feats = matcher.features_many(pairs)
    no_pen = [
        replace(f, negation_mismatch=False, amount_mismatch=False, opposite_action=False)
        for f in feats
    ]
    variants = {
        "cosine only": np.array([f.cosine for f in feats]),
        "0.7 cosine + 0.3 Jaccard": _blend(matcher, no_pen, (0.7, 0.0, 0.3)),
        "cosine - penalties": _blend(matcher, feats, (1.0, 0.0, 0.0)),
        "residual blend, no penalties": np.array([matcher.combine(f) for f in no_pen]),
        "full matcher (defaults)": np.array([matcher.combine(f) for f in feats]),
    }
    print(f"embedder: {matcher.embedder.name}")
    print("| scorer | subset | n | 2-fold-CV threshold accuracy | ROC AUC |")
    print("|---|---|---|---|---|")
    for name, s in variants.items():
        for subset in ("all", "zh", "en"):
            m = (lang == subset) | (subset == "all")
            acc = cv_threshold_accuracy(s[m], labels[m], groups=list(lang[m]))
            auc = roc_auc(scores=s[m], labels=labels[m])
            print(f"| {name} | {subset} | {m.sum()} | {acc:.3f} | {auc:.3f} |")
    acc, chosen = _nested_cv_accuracy(matcher, feats, labels, list(lang))
    print(
        f"nested 2-fold CV (weights + threshold picked on the other fold): {acc:.3f}; "
        f"weights (cos, residual, Jaccard) per fold: {chosen}"
    )
    s = variants["full matcher (defaults)"]
    cut = best_threshold(scores=s, labels=labels)
    print(f"threshold on all pairs for the defaults: {cut:.3f}")


if __name__ == "__main__":  # pragma: no cover
    _main()
