"""Video scripts: outline, storyboard and copy from a topic and a template, grounded in cited
knowledge passages, fitted to a target length and checked by the output guard.

Generation asks the deployment's LLM provider (`bank_ai.ai.runtime.get_llm`) for the
storyboard as JSON. The offline local engine never writes sentences of its own, so without a
remote model (or when the remote answer is unusable) the same structure is built from the
template's section lines and sentences of the cited passages, in retrieval order.

Length is counted in speech units (Chinese characters, or English words) divided by the
synthesiser's measured `speech_rate(language)`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from bank_ai.ai.guards import RISK_DISCLOSURE, check_output
from bank_ai.ai.llm.base import GenerationRequest, LLMError, Passage
from bank_ai.ai.llm.local import split_sentences

LANGUAGES = ("zh-hans", "en")
TARGET_CHOICES = (30, 60, 90)
# A generated length within this fraction of the target counts as on target.
LENGTH_TOLERANCE = 0.1
CITED_PASSAGES = 5

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['.,][A-Za-z0-9]+)*")
_CITATION = re.compile(r"\s*\[\d+\]")
_TERMINALS = ("。", "！", "？", ".", "!", "?")
# "不会要求您转账到安全账户" warns; "请转账到安全账户" instructs.
_NEGATION = re.compile(
    r"不会|不要|不得|切勿|切莫|绝不|从不|别|谨防|警惕|never|don'?t|do\s+not|won'?t|will\s+not"
    r"|beware|scam",
    re.IGNORECASE,
)

# Anti-fraud videos must never tell viewers to hand over codes or move money, and must say
# what the bank never does.
_FRAUD_FORBIDDEN = re.compile(
    r"请(?:您)?(?:提供|告诉|发送|报)[^，。,.]{0,8}(?:验证码|密码|卡号)"
    r"|(?:转|汇)(?:账|款)?到[^，。,.]{0,6}安全账户(?!的)"
    r"|\b(?:send|give|tell|share)\s+(?:us|me)\s+(?:your\s+)?(?:verification\s+)?(?:code|password|pin)\b"
    r"|\b(?:move|transfer)\s+(?:your\s+)?(?:money|savings|funds)\s+to\s+(?:a|our|the)\s+safe\s+account\b(?!\W+(?:is|are)\s+a\s+scam)",
    re.IGNORECASE,
)
_FRAUD_REMINDER_RE = re.compile(
    r"不会[^。]{0,12}(?:验证码|密码)|never\s+ask[^.]{0,40}(?:code|password|pin)", re.IGNORECASE
)
FRAUD_REMINDER = {
    "zh-hans": "海港银行不会向您索要验证码或密码。",
    "en": "Harbour Bank will never ask for your verification code or password.",
}


class ScriptInvalid(ValueError):
    """The script cannot be saved or rendered as it is; the message tells the producer why."""


@dataclass
class ScriptDraft:
    outline: list[str]
    scenes: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    target_seconds: int
    language: str
    disclosure: str = ""
    guard_decisions: list[str] = field(default_factory=list)
    provider: str = "local"

    @property
    def copy(self) -> str:
        return "\n".join(s["narration"] for s in self.scenes if s.get("narration"))


# --------------------------------------------------------------------------- length


def speech_units(text: str, language: str) -> int:
    """Characters spoken (Chinese: each CJK character and each Latin word or number) or words."""
    if language == "zh-hans":
        return len(_CJK.findall(text)) + len(_WORD.findall(_CJK.sub(" ", text)))
    return len(_WORD.findall(text))


def units_per_second(language: str) -> float:
    from bank_ai.ai.speech import speech_rate

    return float(speech_rate(language))


def estimated_seconds(scenes: list[dict[str, Any]], language: str) -> float:
    units = sum(speech_units(s.get("narration", ""), language) for s in scenes)
    return round(units / units_per_second(language), 1)


def max_script_seconds() -> int:
    from content.studio.spec import MAX_SCRIPT_SECONDS

    return int(MAX_SCRIPT_SECONDS)


# --------------------------------------------------------------------------- retrieval


def retrieve_passages(query: str, language: str, *, k: int = CITED_PASSAGES) -> list[Any]:
    """Public knowledge only: videos are shown to customers."""
    from bank_ai.ai.retrieval import RetrievalFilters
    from bank_ai.ai.runtime import get_retriever

    filters = RetrievalFilters(languages=(language,), audiences=("public",))
    return get_retriever().search(query, filters=filters, k=k)


def _citation(n: int, passage: Any) -> dict[str, Any]:
    return {
        "n": n,
        "title": passage.title,
        "url": passage.url,
        "page_id": passage.page_id,
        "revision_id": passage.revision_id,
        "snippet": passage.text[:200],
    }


def _sentence_pool(passages: list[Any]) -> list[tuple[int, str]]:
    pool: list[tuple[int, str]] = []
    for n, passage in enumerate(passages, start=1):
        for sentence in split_sentences(_CITATION.sub("", passage.text)):
            # Headings (no closing punctuation) and fragments make poor narration.
            if len(sentence) >= 8 and sentence.rstrip("”’」』）)\"'").endswith(_TERMINALS):
                pool.append((n, sentence))
    return pool


# --------------------------------------------------------------------------- building


def _short_title(title: str, language: str) -> str:
    limit = 24 if language == "zh-hans" else 80
    return title if len(title) <= limit else title[:limit].rstrip() + "…"


def _join(parts: list[str], language: str) -> str:
    return ("" if language == "zh-hans" else " ").join(p.strip() for p in parts if p.strip())


def _section_budgets(template: Any, target_seconds: int, language: str) -> list[float]:
    total_units = target_seconds * units_per_second(language)
    shares = [float(s.get("share") or 0) for s in template.sections]
    whole = sum(shares) or len(shares)
    return [total_units * (share or 1) / whole for share in shares]


def offline_scenes(
    *,
    template: Any,
    topic_title: str,
    language: str,
    target_seconds: int,
    passages: list[Any],
) -> list[dict[str, Any]]:
    """One scene per template section: its lead line, then cited sentences up to its share."""
    pool = _sentence_pool(passages)
    used: set[int] = set()
    scenes = []
    for section, budget in zip(
        template.sections, _section_budgets(template, target_seconds, language), strict=True
    ):
        lead = (
            section.get("lead", {})
            .get(language, "")
            .replace("{topic}", _short_title(topic_title, language))
        )
        parts = [lead] if lead else []
        cited: list[int] = []
        units = speech_units(lead, language)
        for index, (n, sentence) in enumerate(pool):
            if index in used:
                continue
            cost = speech_units(sentence, language)
            if units + cost > budget:
                continue
            parts.append(sentence)
            used.add(index)
            cited.append(n)
            units += cost
        scenes.append(
            {
                "section": section["key"],
                "narration": _join(parts, language),
                "on_screen_text": section["heading"][language],
                "visual": "",
                "avatar_pose": section.get("pose") or "neutral",
                "citations": sorted(set(cited)),
            }
        )
    return scenes


_STUDIO_SYSTEM = """\
You write short scripts for a bank's animated presenter. Use ONLY facts from the numbered \
passages; never promise returns or principal; never ask viewers for codes, passwords or \
transfers. Reply with JSON only: {{"scenes": [{{"section": <key>, "narration": <plain spoken \
text, no markup>, "on_screen_text": <short caption>, "avatar_pose": <pose>, "citations": \
[<passage numbers>]}}]}}, one scene per section, in this order: {sections}. Write in {language}. \
The whole narration should take about {seconds} seconds to speak (about {units} {unit_name})."""


def _llm_scenes(
    *,
    template: Any,
    topic_title: str,
    language: str,
    target_seconds: int,
    passages: list[Any],
) -> tuple[list[dict[str, Any]] | None, str]:
    """The remote model's storyboard, or None when it is offline or answered unusably."""
    from bank_ai.ai.runtime import get_llm

    provider = get_llm()
    if getattr(provider, "name", "local") == "local":
        return None, "local"
    sections = ", ".join(f"{s['key']} ({s['heading'][language]})" for s in template.sections)
    units = round(target_seconds * units_per_second(language))
    request = GenerationRequest(
        task="chat",
        language=language,
        question=_("Write the video script about: %(topic)s") % {"topic": topic_title},
        passages=tuple(
            Passage(source_id=str(p.chunk_id), title=p.title, url=p.url, text=p.text)
            for p in passages
        ),
        system=_STUDIO_SYSTEM.format(
            sections=sections,
            language="Simplified Chinese" if language == "zh-hans" else "English",
            seconds=target_seconds,
            units=units,
            unit_name="characters" if language == "zh-hans" else "words",
        ),
        max_tokens=2000,
    )
    try:
        completed = provider.generate(request)
    except LLMError:
        return None, "local"
    if completed.provider in {"local", "handoff"}:
        return None, "local"
    text = completed.text.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    try:
        data = json.loads(text)
        raw_scenes = data["scenes"]
        keys = {s["key"]: s for s in template.sections}
        scenes = []
        for raw in raw_scenes:
            section = keys.get(str(raw.get("section")))
            narration = str(raw.get("narration") or "").strip()
            if section is None or not narration:
                continue
            scenes.append(
                {
                    "section": section["key"],
                    "narration": _CITATION.sub("", narration),
                    "on_screen_text": str(raw.get("on_screen_text") or "")[:80]
                    or section["heading"][language],
                    "visual": "",
                    "avatar_pose": str(raw.get("avatar_pose") or section.get("pose") or "neutral"),
                    "citations": [
                        int(n) for n in raw.get("citations") or [] if 1 <= int(n) <= len(passages)
                    ],
                }
            )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, "local"
    if not scenes:
        return None, "local"
    return scenes, completed.provider


# --------------------------------------------------------------------------- rules


def _instructs_fraud(sentence: str) -> bool:
    """A forbidden instruction that is not itself the warning against it."""
    for match in _FRAUD_FORBIDDEN.finditer(sentence):
        if not _NEGATION.search(sentence[: match.start()]):
            return True
    return False


def apply_rules(
    scenes: list[dict[str, Any]], *, template: Any, language: str, strict: bool
) -> tuple[list[dict[str, Any]], str, list[str]]:
    """The output guard and the anti-fraud wording rules, scene by scene.

    Generated text (strict=False) loses the sentences that break a rule; a producer's own edit
    (strict=True) is refused with the reason instead, so nothing they wrote silently vanishes.
    Returns the scenes, the risk disclosure to show (or "") and the guard's decision codes.
    """
    decisions: list[str] = []
    wealth = bool(template.requires_risk_disclosure)
    checked = []
    for scene in scenes:
        kept: list[str] = []
        for sentence in split_sentences(scene["narration"]):
            result = check_output(sentence, language=language)
            problem = None
            if not result.allowed:
                problem = _("it promises returns or principal (%(codes)s)") % {
                    "codes": ", ".join(d.detail for d in result.decisions)
                }
            elif template.anti_fraud_rules and _instructs_fraud(sentence):
                problem = _("it tells viewers to hand over codes or move money")
            if problem is not None:
                decisions.extend(result.codes or ("blocked_fraud_wording",))
                if strict:
                    raise ScriptInvalid(
                        _("“%(sentence)s” is not allowed: %(problem)s.")
                        % {"sentence": sentence, "problem": problem}
                    )
                continue
            if "risk_disclosure_added" in result.codes:
                wealth = True
            kept.append(sentence)
        checked.append({**scene, "narration": _join(kept, language)})
    checked = [s for s in checked if s["narration"]]
    if not checked:
        raise ScriptInvalid(_("The script is empty: write the narration of at least one scene."))
    text = " ".join(s["narration"] for s in checked)
    if template.anti_fraud_rules and not _FRAUD_REMINDER_RE.search(text):
        last = checked[-1]
        last["narration"] = _join([last["narration"], FRAUD_REMINDER[language]], language)
        decisions.append("fraud_reminder_added")
    disclosure = ""
    if wealth:
        disclosure = RISK_DISCLOSURE["zh" if language == "zh-hans" else "en"]
        if disclosure not in text:
            last = checked[-1]
            last["narration"] = _join([last["narration"], disclosure], language)
        decisions.append("risk_disclosure_added")
    return checked, disclosure, sorted(set(decisions))


def validate_scenes(scenes: Any, language: str) -> list[dict[str, Any]]:
    """A producer's storyboard as clean scene dicts, or ScriptInvalid naming the problem."""
    from bank_ai.ai.speech import speakable_text

    if language not in LANGUAGES:
        raise ScriptInvalid(
            _("Unsupported language %(language)r: scripts are written in %(supported)s.")
            % {"language": language, "supported": ", ".join(LANGUAGES)}
        )
    if not isinstance(scenes, list):
        raise ScriptInvalid(_("The storyboard must be a list of scenes."))
    clean = []
    for number, scene in enumerate(scenes, start=1):
        if not isinstance(scene, dict):
            raise ScriptInvalid(_("Scene %(n)d is not a scene.") % {"n": number})
        narration = speakable_text(str(scene.get("narration") or "")).strip()
        if not narration:
            continue
        clean.append(
            {
                "section": str(scene.get("section") or f"scene-{number}")[:40],
                "narration": narration,
                "on_screen_text": str(scene.get("on_screen_text") or "")[:120],
                "visual": str(scene.get("visual") or "")[:40],
                "avatar_pose": str(scene.get("avatar_pose") or "neutral")[:40],
                "citations": [int(n) for n in scene.get("citations") or [] if str(n).isdigit()],
            }
        )
    if not clean:
        raise ScriptInvalid(_("The script is empty: write the narration of at least one scene."))
    seconds = estimated_seconds(clean, language)
    if seconds > max_script_seconds():
        raise ScriptInvalid(
            _("The script is too long: about %(seconds)s s of speech, at most %(max)s s.")
            % {"seconds": seconds, "max": max_script_seconds()}
        )
    return clean


def outline_of(scenes: list[dict[str, Any]], template: Any, language: str) -> list[str]:
    headings = {s["key"]: s["heading"][language] for s in template.sections}
    outline = []
    for scene in scenes:
        first = split_sentences(scene["narration"])[:1]
        heading = headings.get(scene["section"], scene.get("on_screen_text") or scene["section"])
        outline.append(f"{heading}: {first[0] if first else ''}")
    return outline


# --------------------------------------------------------------------------- public API


def generate_draft(
    *, template: Any, topic_title: str, topic_summary: str, language: str, target_seconds: int
) -> ScriptDraft:
    if language not in LANGUAGES:
        raise ScriptInvalid(
            _("Unsupported language %(language)r: scripts are written in %(supported)s.")
            % {"language": language, "supported": ", ".join(LANGUAGES)}
        )
    if not 5 <= target_seconds <= max_script_seconds():
        raise ScriptInvalid(
            _("The target length must be between 5 and %(max)s seconds.")
            % {"max": max_script_seconds()}
        )
    passages = retrieve_passages(f"{topic_title} {topic_summary}".strip(), language)
    scenes, provider = _llm_scenes(
        template=template,
        topic_title=topic_title,
        language=language,
        target_seconds=target_seconds,
        passages=passages,
    )
    if scenes is None:
        scenes = offline_scenes(
            template=template,
            topic_title=topic_title,
            language=language,
            target_seconds=target_seconds,
            passages=passages,
        )
    scenes, disclosure, decisions = apply_rules(
        scenes, template=template, language=language, strict=False
    )
    cited = sorted({n for s in scenes for n in s.get("citations", [])})
    return ScriptDraft(
        outline=outline_of(scenes, template, language),
        scenes=scenes,
        citations=[_citation(n, passages[n - 1]) for n in cited],
        target_seconds=target_seconds,
        language=language,
        disclosure=disclosure,
        guard_decisions=decisions,
        provider=provider,
    )


def fit_scenes(
    *,
    scenes: list[dict[str, Any]],
    citations: list[dict[str, Any]],
    template: Any,
    topic_title: str,
    language: str,
    target_seconds: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Shorten (drop the last sentences of the longest scenes, never a scene's first line) or
    expand (add further cited sentences, nothing invented) towards the target length."""
    rate = units_per_second(language)
    target_units = target_seconds * rate
    scenes = [dict(s) for s in scenes]
    sentences = [split_sentences(s["narration"]) for s in scenes]

    def total() -> int:
        return sum(speech_units(_join(parts, language), language) for parts in sentences)

    # Lines the rules added (disclosure, fraud reminder) are kept whatever the length.
    protected = set(RISK_DISCLOSURE.values()) | set(FRAUD_REMINDER.values())
    while total() > target_units * (1 + LENGTH_TOLERANCE):
        candidates = [
            (speech_units(_join(parts, language), language), i)
            for i, parts in enumerate(sentences)
            if len([p for p in parts if p not in protected]) > 1
        ]
        if not candidates:
            break
        _units, index = max(candidates)
        removable = [k for k, p in enumerate(sentences[index]) if k > 0 and p not in protected]
        del sentences[index][removable[-1]]
    if total() < target_units * (1 - LENGTH_TOLERANCE):
        passages = retrieve_passages(topic_title, language, k=CITED_PASSAGES * 2)
        present = {p for parts in sentences for p in parts}
        by_source = {(c.get("page_id"), c.get("snippet")): c["n"] for c in citations}
        content_index = max(range(len(scenes)), key=lambda i: len(sentences[i]))
        for n, sentence in _sentence_pool(passages):
            if total() >= target_units * (1 - LENGTH_TOLERANCE / 2):
                break
            if sentence in present:
                continue
            cost = speech_units(sentence, language)
            if total() + cost > target_units * (1 + LENGTH_TOLERANCE):
                continue
            passage = passages[n - 1]
            key = (passage.page_id, passage.text[:200])
            if key not in by_source:
                by_source[key] = len(citations) + 1
                citations = [*citations, _citation(by_source[key], passage)]
            # Insert before protected closing lines so the disclosure stays last.
            parts = sentences[content_index]
            position = len(parts)
            while position > 1 and parts[position - 1] in protected:
                position -= 1
            parts.insert(position, sentence)
            present.add(sentence)
            cites = set(scenes[content_index].get("citations", []))
            cites.add(by_source[key])
            scenes[content_index]["citations"] = sorted(cites)
    for scene, parts in zip(scenes, sentences, strict=True):
        scene["narration"] = _join(parts, language)
    return scenes, citations
