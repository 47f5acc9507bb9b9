"""The dialogue engine: one customer turn in, one reply (with UI actions and sources) out.

Flows are data (Flow/FlowStep rows); this module knows what each step *kind* does. Every turn
is masked and stored before anything else happens, so an error later never loses what the
customer said; every step outcome becomes a FunnelEvent for the scenario KPIs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from bank_ai.ai.masking import mask_pii
from bank_ai.i18n import localised, normalise_language, pick
from scenarios.matching import CustomerNeeds, comparison, match_cards
from scenarios.models import (
    CardProduct,
    DialogueSession,
    Flow,
    FlowStep,
    FunnelEvent,
    Turn,
)
from scenarios.slots import extract_slots, merge_slots

MAX_TURN_CHARS = 2000
_QUESTION = re.compile(
    r"[?？]|吗|呢|怎么|如何|多少|什么|哪|\b(how|what|when|where|why|which|"
    r"can i|do you|is there|are there)\b",
    re.IGNORECASE,
)
_YES = re.compile(
    r"^(对|是的?|没错|好的?|可以|确认|嗯|yes|yeah|yep|correct|right|sure|ok(ay)?)"
    r"\b|^(对的|是这样)",
    re.IGNORECASE,
)
_NO = re.compile(r"^(不对|不是|错了?|不|no|nope|not (quite|really|right)|wrong)", re.IGNORECASE)
_MORE = re.compile(
    r"换一批|其他|别的|都不(喜欢|要|合适)|more|others?|something else|"
    r"none of (these|them)",
    re.IGNORECASE,
)
_ORDINALS = {
    1: re.compile(r"第一|第1|1号|一号|first|#1|option 1|number 1|\b1\b", re.IGNORECASE),
    2: re.compile(r"第二|第2|2号|二号|second|#2|option 2|number 2|\b2\b", re.IGNORECASE),
    3: re.compile(r"第三|第3|3号|三号|third|#3|option 3|number 3|\b3\b", re.IGNORECASE),
}


class DialogueError(Exception):
    """A request the session cannot take now (ended session, empty turn)."""


@dataclass
class TurnResult:
    reply: str
    step: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    status: str = DialogueSession.Status.ACTIVE
    intent: str | None = None


# ----------------------------------------------------------------------------- services


@transaction.atomic
def session_start(
    *, scenario: str, channel: str, language: str, device: Any = None, user: Any = None
) -> tuple[DialogueSession, TurnResult]:
    flow = Flow.objects.filter(code=scenario, is_active=True).first()
    if flow is None:
        raise DialogueError(f"unknown scenario {scenario!r}")
    first = flow.steps.order_by("position").first()
    if first is None:
        raise DialogueError(f"scenario {scenario!r} has no steps")
    session = DialogueSession.objects.create(
        flow=flow,
        channel=channel,
        language=normalise_language(language),
        device=device,
        user=user if getattr(user, "pk", None) else None,
        current_step=first.code,
    )
    result = TurnResult(reply=first.prompt(session.language), step=first.code)
    _record_turn(session, Turn.Role.ASSISTANT, result)
    record_funnel(session, first.code, "entered")
    return session, result


def session_turn(*, session_id: Any, text: str) -> TurnResult:
    """Store the customer's turn, then work out the reply (in its own transaction)."""
    text = (text or "").strip()
    if not text:
        raise DialogueError("the turn is empty")
    if len(text) > MAX_TURN_CHARS:
        raise DialogueError(f"a turn is limited to {MAX_TURN_CHARS} characters")
    with transaction.atomic():
        session = DialogueSession.objects.select_for_update().get(pk=session_id)
        if session.status != DialogueSession.Status.ACTIVE:
            raise DialogueError(f"the session is {session.status}")
        masked = mask_pii(text).text
        customer_turn = _record_customer(session, masked)
    with transaction.atomic():
        session = DialogueSession.objects.select_for_update().get(pk=session_id)
        result = _advance(session, masked)
        Turn.objects.filter(pk=customer_turn.pk).update(intent=result.intent or "")
        _record_turn(session, Turn.Role.ASSISTANT, result)
        return result


# ----------------------------------------------------------------------------- the engine


def _advance(session: DialogueSession, text: str) -> TurnResult:
    step = session.flow.steps.get(code=session.current_step)
    language = session.language
    found = extract_slots(text)
    intent = _intent(text)
    if intent is not None and intent.handoff:
        return _hand_over(session, step, language, intent.intent)
    if found:
        before = dict(session.slots)
        session.slots, corrected = merge_slots(session.slots, found)
        for name in corrected:
            record_funnel(session, step.code, "slot_corrected", {"slot": name})
        if session.slots != before and step.kind in {FlowStep.Kind.OPTIONS, FlowStep.Kind.ANSWER}:
            # New needs after the recommendation: recommend again from the new needs.
            return _enter(
                session, session.flow.steps.get(kind=FlowStep.Kind.RECOMMEND), language, intent
            )
    handler = STEP_HANDLERS[step.kind]
    result = handler(session, step, text, found, language)
    if result is None:
        result = _side_question(session, step, text, language)
    result.intent = intent.intent if intent else None
    session.save()
    return result


def _intent(text: str):  # noqa: ANN202 - IntentResult | None
    from bank_ai.ai.intents import NoIntentModel, classify_intent

    try:
        return classify_intent(text)
    except NoIntentModel:
        return None


def _next(step: FlowStep) -> FlowStep | None:
    if step.next_step:
        return step.flow.steps.get(code=step.next_step)
    return step.flow.steps.filter(position__gt=step.position).order_by("position").first()


def _enter(
    session: DialogueSession,
    step: FlowStep | None,
    language: str,
    intent: Any = None,
    lead: str = "",
) -> TurnResult:
    """Move to `step` and produce what it says on arrival."""
    if step is None:
        session.status = DialogueSession.Status.COMPLETED
        session.save()
        record_funnel(session, session.current_step, "completed")
        return TurnResult(reply=lead, step=session.current_step, status=session.status)
    session.current_step = step.code
    record_funnel(session, step.code, "entered")
    arrival = ARRIVALS.get(step.kind)
    result = (
        arrival(session, step, language)
        if arrival
        else TurnResult(reply=step.prompt(language), step=step.code)
    )
    if lead:
        result.reply = f"{lead}\n{result.reply}"
    if step.kind == FlowStep.Kind.END:
        session.status = DialogueSession.Status.COMPLETED
        record_funnel(session, step.code, "completed")
    result.status = session.status
    session.save()
    return result


def _on_ask(
    session: DialogueSession, step: FlowStep, text: str, found: dict[str, Any], language: str
) -> TurnResult | None:
    if not (set(step.slots) & set(found)):
        if step.optional and not _QUESTION.search(text):
            record_funnel(session, step.code, "skipped")
            return _enter(session, _next(step), language)
        return None
    record_funnel(session, step.code, "completed", {"slots": sorted(set(step.slots) & set(found))})
    following = _next(step)
    # Skip asks whose slots the customer already answered in passing.
    while (
        following is not None
        and following.kind == FlowStep.Kind.ASK
        and (set(following.slots) & set(session.slots))
    ):
        record_funnel(session, following.code, "prefilled")
        following = _next(following)
    return _enter(session, following, language)


def _on_confirm(
    session: DialogueSession, step: FlowStep, text: str, found: dict[str, Any], language: str
) -> TurnResult | None:
    if found:
        return _arrive_confirm(session, step, language)  # corrected: summarise again
    if _YES.search(text):
        record_funnel(session, step.code, "confirmed")
        return _enter(session, _next(step), language)
    if _NO.search(text):
        record_funnel(session, step.code, "rejected")
        first = session.flow.steps.order_by("position").first()
        return _enter(session, first, language)
    return None


def _on_options(
    session: DialogueSession, step: FlowStep, text: str, found: dict[str, Any], language: str
) -> TurnResult | None:
    shown = session.memory.get("recommended", [])
    if _MORE.search(text):
        record_funnel(session, step.code, "asked_for_more")
        excluded = session.memory.get("excluded", []) + shown
        session.memory["excluded"] = excluded
        return _enter(session, session.flow.steps.get(kind=FlowStep.Kind.RECOMMEND), language)
    chosen = _chosen_card(text, shown, language)
    if chosen is None:
        return None
    session.memory["chosen_card"] = chosen
    record_funnel(
        session, step.code, "card_chosen", {"card": chosen, "position": shown.index(chosen) + 1}
    )
    return _enter(session, _next(step), language)


def _on_answer(
    session: DialogueSession, step: FlowStep, text: str, found: dict[str, Any], language: str
) -> TurnResult | None:
    if _MORE.search(text):
        record_funnel(session, step.code, "asked_for_more")
        session.memory["excluded"] = session.memory.get("excluded", []) + [
            session.memory.get("chosen_card")
        ]
        return _enter(session, session.flow.steps.get(kind=FlowStep.Kind.RECOMMEND), language)
    if _NO.search(text):
        # Not this card after all: back to the cards already recommended.
        record_funnel(session, step.code, "card_rejected")
        options = session.flow.steps.get(kind=FlowStep.Kind.OPTIONS)
        session.current_step = options.code
        return TurnResult(reply=options.prompt(language), step=options.code)
    if _QUESTION.search(text) and not _YES.search(text):
        return None  # a question about the card: answered from knowledge, step kept
    record_funnel(session, step.code, "completed")
    return _enter(session, _next(step), language)


def _on_end(
    session: DialogueSession, step: FlowStep, text: str, found: dict[str, Any], language: str
) -> TurnResult | None:
    return None


def _on_recommend(
    session: DialogueSession, step: FlowStep, text: str, found: dict[str, Any], language: str
) -> TurnResult | None:
    # Only reached if a turn arrives while the session rests on the recommend step itself.
    return _enter(session, step, language)


STEP_HANDLERS = {
    FlowStep.Kind.ASK: _on_ask,
    FlowStep.Kind.RECOMMEND: _on_recommend,
    FlowStep.Kind.CONFIRM: _on_confirm,
    FlowStep.Kind.OPTIONS: _on_options,
    FlowStep.Kind.ANSWER: _on_answer,
    FlowStep.Kind.END: _on_end,
}


# ----------------------------------------------------------------------------- arrivals


def needs_from_slots(slots: dict[str, Any]) -> CustomerNeeds:
    return CustomerNeeds(
        scenarios=tuple(slots.get("scenarios", ())),
        income_band=slots.get("income_band"),
        annual_income=Decimal(slots["annual_income"]) if slots.get("annual_income") else None,
        age=slots.get("age"),
        fee_tolerance=slots.get("fee_tolerance", "any"),
        is_student=slots.get("is_student"),
    )


SCENARIO_NAMES = {
    "travel": ("出行旅游", "travel"),
    "overseas": ("境外消费", "spending abroad"),
    "flights": ("乘机出行", "flying"),
    "dining": ("餐饮美食", "dining"),
    "online_shopping": ("网购", "online shopping"),
    "everyday": ("日常消费", "everyday spending"),
    "car": ("用车加油", "driving and fuel"),
    "study": ("学习", "study"),
    "business": ("商务出差", "business travel"),
    "health_beauty": ("健康美容", "health and beauty"),
    "entertainment": ("休闲娱乐", "entertainment"),
    "premium_service": ("高端礼遇", "premium services"),
}
FEE_NAMES = {
    "none": ("不希望有年费", "no annual fee"),
    "low": ("年费越低越好", "a low fee"),
    "any": ("年费可以接受", "a fee is fine"),
}


def summarise_needs(slots: dict[str, Any], language: str) -> str:
    index = 0 if language == "zh-hans" else 1
    uses = [SCENARIO_NAMES[s][index] for s in slots.get("scenarios", []) if s in SCENARIO_NAMES]
    parts = []
    if language == "zh-hans":
        if uses:
            parts.append("主要用于" + "、".join(uses))
        if slots.get("is_student"):
            parts.append("目前是学生")
        if slots.get("annual_income"):
            parts.append(f"年收入约{Decimal(slots['annual_income']) / 10000:g}万元")
        if slots.get("fee_tolerance"):
            parts.append(FEE_NAMES[slots["fee_tolerance"]][0])
        return "；".join(parts) or "暂未说明具体需求"
    if uses:
        parts.append("mainly for " + ", ".join(uses))
    if slots.get("is_student"):
        parts.append("you are a student")
    if slots.get("annual_income"):
        parts.append(f"annual income about RMB {Decimal(slots['annual_income']):,.0f}")
    if slots.get("fee_tolerance"):
        parts.append(FEE_NAMES[slots["fee_tolerance"]][1])
    return "; ".join(parts) or "no specific needs yet"


def _arrive_confirm(session: DialogueSession, step: FlowStep, language: str) -> TurnResult:
    summary = summarise_needs(session.slots, language)
    return TurnResult(
        reply=step.prompt(language).replace("{summary}", summary),
        step=step.code,
        actions=[{"type": "show_summary", "slots": session.slots}],
    )


def _arrive_recommend(session: DialogueSession, step: FlowStep, language: str) -> TurnResult:
    excluded = set(session.memory.get("excluded", []))
    catalogue = [
        card
        for card in CardProduct.objects.filter(is_active=True).prefetch_related("benefits")
        if card.code not in excluded
    ]
    matches = match_cards(needs_from_slots(session.slots), limit=3, cards=catalogue)
    lead = ""
    if not matches and excluded:
        # Every other fitting card was shown already: show the best ones again.
        record_funnel(session, step.code, "no_more_cards")
        session.memory["excluded"] = []
        catalogue = list(CardProduct.objects.filter(is_active=True).prefetch_related("benefits"))
        matches = match_cards(needs_from_slots(session.slots), limit=3, cards=catalogue)
        lead = (
            "没有更多符合您条件的卡片了，这几张仍是最适合您的："
            if language == "zh-hans"
            else "There are no other cards that fit; these remain the best for you:"
        )
    session.memory["recommended"] = [match.card.code for match in matches]
    if not matches:
        record_funnel(session, step.code, "no_match")
        first = session.flow.steps.order_by("position").first()
        session.current_step = first.code
        reply = (
            "根据您目前的条件，暂时没有合适的卡片。您可以换个用卡场景再试，或让我为您转接客户经理。"
            if language == "zh-hans"
            else "No card fits these needs yet. Tell me about other ways you would use a card, "
            "or I can connect you to a relationship manager."
        )
        return TurnResult(reply=reply, step=first.code)
    record_funnel(
        session,
        step.code,
        "recommended",
        {"cards": session.memory["recommended"], "turns": session.turn_count},
    )
    lines = [f"{n}. {match.why(language)}" for n, match in enumerate(matches, start=1)]
    if lead:
        lines.insert(0, lead)
    options = session.flow.steps.get(kind=FlowStep.Kind.OPTIONS)
    session.current_step = options.code
    record_funnel(session, options.code, "entered")
    return TurnResult(
        reply="\n".join([step.prompt(language), *lines, options.prompt(language)]),
        step=options.code,
        actions=[
            {"type": "show_cards", "cards": comparison(matches, language)},
            {
                "type": "show_comparison",
                "columns": ["annual_fee", "fee_waiver", "interest_free_days", "top_benefits"],
            },
        ],
    )


def _arrive_card_details(session: DialogueSession, step: FlowStep, language: str) -> TurnResult:
    card = CardProduct.objects.prefetch_related("benefits").get(code=session.memory["chosen_card"])
    benefits = [localised(b, "title", language) for b in card.benefits.all()[:4]]
    documents = [pick(doc, language) for doc in card.required_documents]
    if language == "zh-hans":
        reply = (
            f"{card.name(language)}：核心权益有{'、'.join(benefits)}。年费{card.annual_fee:.0f}元，"
            f"{card.waiver_text_zh.rstrip('。')}。最长免息期{card.interest_free_days}天，额度"
            f"{card.credit_limit_min:.0f}–{card.credit_limit_max:.0f}元。申请需准备："
            f"{'、'.join(documents)}。"
        )
    else:
        reply = (
            f"{card.name(language)}: key benefits are {', '.join(benefits)}. Annual fee "
            f"RMB {card.annual_fee:.0f}, {card.waiver_text_en.rstrip('.')}. Up to "
            f"{card.interest_free_days} interest-free days, credit limit RMB "
            f"{card.credit_limit_min:.0f}–{card.credit_limit_max:.0f}. To apply you need: "
            f"{', '.join(documents)}."
        )
    return TurnResult(
        reply=f"{reply}\n{step.prompt(language)}",
        step=step.code,
        actions=[
            {
                "type": "show_card",
                "code": card.code,
                "name": card.name(language),
                "eligibility": pick(card.eligibility, language, []),
                "documents": documents,
                "disclosures": pick(card.disclosures, language, []),
            }
        ],
    )


ARRIVALS = {
    FlowStep.Kind.CONFIRM: _arrive_confirm,
    FlowStep.Kind.RECOMMEND: _arrive_recommend,
    FlowStep.Kind.ANSWER: _arrive_card_details,
}


# ----------------------------------------------------------------------------- detours


def _side_question(
    session: DialogueSession, step: FlowStep, text: str, language: str
) -> TurnResult:
    """Answer from knowledge without leaving the step, then ask the step's question again."""
    from bank_ai.ai.engine import AskContext, ask

    answer = ask(
        text,
        AskContext(
            language=language,
            channel=session.channel,
            device=session.device,
            user=session.user,
            session_ref=str(session.pk),
        ),
    )
    record_funnel(session, step.code, "side_question", {"answer_kind": answer.kind})
    again = (
        step.prompt(language)
        if step.kind != FlowStep.Kind.CONFIRM
        else (_arrive_confirm(session, step, language).reply)
    )
    return TurnResult(
        reply=f"{answer.text}\n\n{again}",
        step=step.code,
        sources=answer.sources,
        actions=[{"type": "related_questions", "questions": answer.related_questions}],
    )


def _hand_over(
    session: DialogueSession, step: FlowStep, language: str, intent: str | None
) -> TurnResult:
    session.status = DialogueSession.Status.HANDED_OVER
    session.save()
    record_funnel(session, step.code, "handed_over", {"intent": intent})
    reply = (
        "好的，正在为您转接人工服务，请稍候。"
        if language == "zh-hans"
        else "Of course — I'm connecting you to a colleague now, please hold on."
    )
    return TurnResult(
        reply=reply, step=step.code, status=session.status, actions=[{"type": "handoff"}]
    )


def _chosen_card(text: str, shown: list[str], language: str) -> str | None:
    lowered = text.lower()
    for card in CardProduct.objects.filter(code__in=shown):
        if card.code in lowered or card.name_zh in text or card.name_en.lower() in lowered:
            return card.code
    for position, pattern in _ORDINALS.items():
        if position <= len(shown) and pattern.search(text):
            return shown[position - 1]
    return None


# ----------------------------------------------------------------------------- records


def _record_customer(session: DialogueSession, masked: str) -> Turn:
    DialogueSession.objects.filter(pk=session.pk).update(turn_count=F("turn_count") + 1)
    session.refresh_from_db(fields=["turn_count"])
    return Turn.objects.create(
        session=session,
        seq=_next_seq(session),
        role=Turn.Role.CUSTOMER,
        text=masked,
        step=session.current_step,
    )


def _record_turn(session: DialogueSession, role: str, result: TurnResult) -> Turn:
    return Turn.objects.create(
        session=session,
        seq=_next_seq(session),
        role=role,
        text=result.reply,
        step=result.step,
        payload={"actions": result.actions, "sources": result.sources},
    )


def _next_seq(session: DialogueSession) -> int:
    last = Turn.objects.filter(session=session).order_by("-seq").values_list("seq", flat=True)
    return (last.first() or 0) + 1


def record_funnel(
    session: DialogueSession, step: str, outcome: str, detail: dict[str, Any] | None = None
) -> None:
    FunnelEvent.objects.create(
        session=session,
        scenario=session.flow.scenario,
        step=step,
        outcome=outcome,
        turn_number=session.turn_count,
        channel=session.channel,
        device=session.device,
        detail=detail or {},
    )
