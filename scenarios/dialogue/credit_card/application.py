"""The application part of the credit-card journey: documents and their pre-check, value-added
services, the risk and fee disclosure, submission and the application's status.

The rules live in `scenarios.applications` (services); these behaviours only talk: they say what
is still missing, record the customer's decisions through the services and record the funnel
(`precheck_passed`, `services_chosen` / `services_skipped`, `disclosure_acknowledged`,
`application_submitted`), from which the drop-off at each step is computed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils import timezone

from bank_ai.ai.text import ordinals
from bank_ai.i18n import pick

# The module, not its names: scenarios.applications imports the engine (a cycle at import).
from scenarios import applications
from scenarios.dialogue.base import DialogueError, StepBehaviour, TurnResult, register_behaviour
from scenarios.dialogue.engine import NO, QUESTION, YES, StepContext
from scenarios.dialogue.topics import continue_in_flow
from scenarios.models import CardApplication
from scenarios.periods import parse_date

DONE = re.compile(
    r"(上传|传)(好|完|了)|都传|已上传|好了|完成|搞定|"
    r"\b(uploaded|done|finished|all set|sent them)\b",
    re.I,
)
NONE_WANTED = re.compile(
    r"都不(需要|要|用)|不需要|不用了?|不要了?|跳过|算了|\b(none|no thanks|skip|not now|nothing|"
    r"don'?t need|do not need|no,? thank)\b|^no\b",
    re.I,
)
ALL_WANTED = re.compile(r"都要|全部|都开通|\b(all of them|both|all)\b", re.I)
ACKNOWLEDGE = re.compile(
    r"已阅读|已读|阅读并同意|我同意|同意|已了解|明白了|清楚了|知道了|"
    r"\b(i have read|i'?ve read|i read|i agree|agreed|i understand|understood|acknowledge)",
    re.I,
)
DECLINE = re.compile(
    r"不同意|不接受|不认可|\b(disagree|don'?t agree|do not agree|don'?t accept|do not accept)\b",
    re.I,
)
SUBMIT = re.compile(r"提交|\b(submit|apply now)\b", re.I)

TEXT = {
    "received": {"zh-hans": "已收到", "en": "received"},
    "missing": {"zh-hans": "待上传", "en": "still needed"},
    "optional": {"zh-hans": "可选", "en": "optional"},
    "expired": {
        "zh-hans": "已过期（有效期至{date}），请上传有效证件",
        "en": "expired (valid until {date}); please upload a valid one",
    },
    "undated": {
        "zh-hans": "已收到，请告诉我证件有效期至哪天（如“有效期至2031年5月1日”）",
        "en": 'received; please tell me its expiry date (e.g. "valid until 2031-05-01")',
    },
    "precheck_passed": {"zh-hans": "材料预审通过。", "en": "Your documents passed the pre-check."},
    "still_missing": {
        "zh-hans": "材料还不齐全：",
        "en": "Some documents are still needed:",
    },
    "upload_hint": {
        "zh-hans": "上传完成后告诉我“传好了”。",
        "en": "Tell me when you have uploaded them.",
    },
    "free": {"zh-hans": "免费", "en": "free"},
    "fee": {"zh-hans": "{fee}元", "en": "RMB {fee}"},
    "services_none": {
        "zh-hans": "好的，不开通增值服务。",
        "en": "All right, no value-added services.",
    },
    "services_chosen": {"zh-hans": "已为您选择：{names}。", "en": "Noted: {names}."},
    "services_which": {
        "zh-hans": "请说第几个或服务名称，也可以说“都不需要”。",
        "en": 'Say which one ("the first one" or its name), or "none".',
    },
    "ack_needed": {
        "zh-hans": "为保障您的权益，需要您明确回复“我已阅读并同意”后才能继续。",
        "en": 'To protect you, I need you to reply "I have read and agree" before we go on.',
    },
    "ack_declined": {
        "zh-hans": "没有确认风险与费用说明，申请无法提交。"
        "您可以问我任何不清楚的地方，确认后回复“我已阅读并同意”。",
        "en": "Without your acknowledgement of the disclosures the application cannot be "
        'submitted. Ask me about anything unclear, then reply "I have read and agree".',
    },
    "ack_changed": {
        "zh-hans": "说明内容刚刚更新，请重新阅读：",
        "en": "The disclosures have just been updated; please read them again:",
    },
    "acknowledged": {
        "zh-hans": "已记录您的确认（{time}）。",
        "en": "Your acknowledgement is recorded ({time}).",
    },
    "not_submitted": {
        "zh-hans": "好的，申请暂不提交，资料会为您保留。需要时告诉我“提交申请”。",
        "en": 'All right, I won\'t submit it yet; your documents are kept. Say "submit" when '
        "you are ready.",
    },
    "card": {"zh-hans": "申请卡片：{name}", "en": "card: {name}"},
    "documents": {"zh-hans": "已提交材料：{names}", "en": "documents: {names}"},
    "services": {"zh-hans": "增值服务：{names}", "en": "value-added services: {names}"},
    "no_services": {"zh-hans": "增值服务：不开通", "en": "value-added services: none"},
    "disclosure": {
        "zh-hans": "风险与费用说明：已于{time}确认",
        "en": "risk and fee disclosure: acknowledged at {time}",
    },
    "milestone": {"zh-hans": "{label}：预计{date}前", "en": "{label}: by {date}"},
    "milestone_done": {"zh-hans": "{label}：已完成", "en": "{label}: done"},
}
STATUS_NAMES = {
    "draft": ("草稿", "draft"),
    "submitted": ("已提交", "submitted"),
    "in_review": ("审核中", "in review"),
    "approved": ("已批准", "approved"),
    "declined": ("未通过", "declined"),
    "card_mailed": ("卡片已寄出", "card sent"),
    "withdrawn": ("已撤回", "withdrawn"),
}


def t(key: str, language: str, **values: Any) -> str:
    text = pick(TEXT[key], language)
    return text.format(**values) if values else text


def _joiner(language: str) -> str:
    return "、" if language == "zh-hans" else ", "


def _when(moment: Any, language: str) -> str:
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M}"


def _day(day: Any, language: str) -> str:
    if language == "zh-hans":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day:%b %Y}"


# ----------------------------------------------------------------------------- documents


@register_behaviour
class ApplicationDocuments(StepBehaviour):
    """Ask for the documents the chosen card needs; move on when the pre-check passes."""

    name = "application_documents"

    def arrive(self, ctx: StepContext) -> TurnResult:
        application = applications.application_for(ctx.session)
        precheck = applications.application_precheck(application, ctx.language)
        if precheck["complete"]:
            # Everything arrived before the step (uploaded while reading the card details).
            ctx.funnel("precheck_passed", {"uploaded": precheck["uploaded"]})
            return ctx.enter(ctx.next_step(), lead=t("precheck_passed", ctx.language))
        return self._checklist(ctx, application, precheck, ctx.step.prompt(ctx.language))

    def prompt_again(self, ctx: StepContext) -> str:
        return self.resume(ctx).reply

    def resume(self, ctx: StepContext) -> TurnResult:
        application = applications.application_for(ctx.session)
        precheck = applications.application_precheck(application, ctx.language)
        return self._checklist(ctx, application, precheck, ctx.step.prompt(ctx.language))

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        application = applications.application_for(ctx.session)
        valid_until = parse_date(text)
        if valid_until is not None:
            dated = self._date_documents(ctx, application, valid_until)
            if dated:
                return self.check(ctx)
        if DONE.search(text) and not QUESTION.search(text):
            return self.check(ctx)
        if QUESTION.search(text):
            return None
        precheck = applications.application_precheck(application, ctx.language)
        return self._checklist(ctx, application, precheck, t("upload_hint", ctx.language))

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name == "documents_uploaded":
            return self.check(ctx)
        if name == "document_details" and isinstance(data.get("valid_until"), str):
            valid_until = parse_date(data["valid_until"])
            if valid_until is None or not isinstance(data.get("kind"), str):
                return None
            try:
                applications.application_document_date(
                    session=ctx.session, kind=data["kind"], valid_until=valid_until
                )
            except applications.ApplicationError:
                return None
            return self.check(ctx)
        return None

    def check(self, ctx: StepContext) -> TurnResult:
        application = applications.application_for(ctx.session)
        precheck = applications.application_precheck(application, ctx.language)
        if precheck["complete"]:
            ctx.funnel("precheck_passed", {"uploaded": precheck["uploaded"]})
            return ctx.enter(ctx.next_step(), lead=t("precheck_passed", ctx.language))
        ctx.funnel(
            "precheck_failed",
            {
                "missing": [doc["kind"] for doc in precheck["missing"]],
                "expired": [doc["kind"] for doc in precheck["expired"]],
                "undated": [doc["kind"] for doc in precheck["undated"]],
            },
        )
        return self._checklist(ctx, application, precheck, t("still_missing", ctx.language))

    @staticmethod
    def _date_documents(ctx: StepContext, application: CardApplication, valid_until: Any) -> bool:
        """A date in the customer's words is the expiry of the dated document(s) uploaded."""
        dated = False
        uploaded = set(application.documents.values_list("kind", flat=True))
        for doc in application.card.required_documents:
            if doc.get("expires") and doc["code"] in uploaded:
                applications.application_document_date(
                    session=ctx.session, kind=doc["code"], valid_until=valid_until
                )
                dated = True
        return dated

    @staticmethod
    def _checklist(
        ctx: StepContext, application: CardApplication, precheck: dict[str, Any], lead: str
    ) -> TurnResult:
        language = ctx.language
        expired = {doc["kind"]: doc["valid_until"] for doc in precheck["expired"]}
        undated = {doc["kind"] for doc in precheck["undated"]}
        lines, documents = [lead], []
        for doc in application.card.required_documents:
            code = doc["code"]
            if code in expired:
                state, label = "expired", t("expired", language, date=expired[code])
            elif code in undated:
                state, label = "undated", t("undated", language)
            elif code in precheck["uploaded"]:
                state, label = "received", t("received", language)
            elif doc.get("required", True):
                state, label = "missing", t("missing", language)
            else:
                state, label = "optional", t("optional", language)
            lines.append(
                f"• {pick(doc, language)}：{label}"
                if language == "zh-hans"
                else f"• {pick(doc, language)}: {label}"
            )
            documents.append(
                {
                    "kind": code,
                    "name": pick(doc, language),
                    "required": doc.get("required", True),
                    "needs_valid_until": bool(doc.get("expires")),
                    "state": state,
                }
            )

        return ctx.say(
            "\n".join(lines),
            actions=[
                {
                    "type": "request_documents",
                    "upload_url": f"/api/sessions/{ctx.session.pk}/documents/",
                    "accepted": ["image/jpeg", "image/png", "application/pdf"],
                    "max_bytes": applications.MAX_DOCUMENT_BYTES,
                    "documents": documents,
                    "precheck": precheck,
                }
            ],
        )


# ----------------------------------------------------------------------------- services


def _service_name(service: dict[str, Any], language: str) -> str:
    text = pick(service, language)
    return re.split(r"[：:]", text, maxsplit=1)[0].strip()


@register_behaviour
class ValueAddedServices(StepBehaviour):
    """Offer the card's optional services; the choice (or declining them all) is recorded."""

    name = "value_added_services"

    def arrive(self, ctx: StepContext) -> TurnResult:
        application = applications.application_for(ctx.session)
        services = application.card.value_added_services
        if not services:
            applications.application_services_choose(session=ctx.session, codes=[])
            ctx.funnel("services_skipped", {"reason": "none_offered"})
            return ctx.enter(ctx.next_step())
        language = ctx.language
        lines = [ctx.step.prompt(language)]
        options = []
        for number, service in enumerate(services, start=1):
            fee = service.get("fee", "0")
            text = pick(service, language)
            free = Decimal(fee) == 0
            price = t("free", language) if free else t("fee", language, fee=fee)
            # The service's own text often states its price already; say it only once.
            amount = f"{Decimal(fee).normalize():f}"
            stated = price.lower() in text.lower() if free else amount in text
            if stated:
                lines.append(f"{number}. {text}")
            elif language == "zh-hans":
                lines.append(f"{number}. {text}（{price}）")
            else:
                lines.append(f"{number}. {text} ({price})")
            options.append(
                {"code": service["code"], "name": _service_name(service, language), "fee": fee}
            )
        return ctx.say(
            "\n".join(lines),
            actions=[
                {
                    "type": "show_options",
                    "multiple": True,
                    "event": "choose_services",
                    "options": options,
                }
            ],
        )

    def prompt_again(self, ctx: StepContext) -> str:
        return t("services_which", ctx.language)

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        services = applications.application_for(ctx.session).card.value_added_services
        codes = [service["code"] for service in services]
        chosen: list[str] = []
        if ALL_WANTED.search(text):
            chosen = codes
        else:
            lowered = text.lower()
            positions = ordinals(text)
            for position, service in enumerate(services, start=1):
                name = _service_name(service, ctx.language).lower()
                other = _service_name(service, "en" if ctx.language == "zh-hans" else "zh-hans")
                if (
                    name in lowered
                    or other.lower() in lowered
                    or service["code"] in lowered
                    or position in positions
                ):
                    chosen.append(service["code"])
        if not chosen and NONE_WANTED.search(text):
            return self.choose(ctx, [])
        if not chosen and len(services) == 1 and YES.search(text):
            chosen = codes
        if chosen:
            return self.choose(ctx, chosen)
        if QUESTION.search(text):
            return None
        return ctx.say(t("services_which", ctx.language))

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        codes = data.get("codes")
        if name != "choose_services" or not isinstance(codes, list):
            return None
        if not all(isinstance(code, str) for code in codes):
            return None
        try:
            return self.choose(ctx, codes)
        except applications.ApplicationError:
            return None  # a service the card does not offer: refused, nothing recorded

    def choose(self, ctx: StepContext, codes: list[str]) -> TurnResult:
        application = applications.application_services_choose(session=ctx.session, codes=codes)
        language = ctx.language
        if not application.value_added_services:
            ctx.funnel("services_skipped")
            return ctx.enter(ctx.next_step(), lead=t("services_none", language))
        ctx.funnel("services_chosen", {"codes": application.value_added_services})
        by_code = {service["code"]: service for service in application.card.value_added_services}
        names = _joiner(language).join(
            _service_name(by_code[code], language) for code in application.value_added_services
        )
        return ctx.enter(ctx.next_step(), lead=t("services_chosen", language, names=names))


# ----------------------------------------------------------------------------- disclosure


@register_behaviour
class RiskDisclosure(StepBehaviour):
    """Show the card's risk and fee disclosure; only an explicit acknowledgement moves on."""

    name = "risk_disclosure"

    def arrive(self, ctx: StepContext, lead: str = "") -> TurnResult:
        application = applications.application_for(ctx.session)
        version, items = applications.disclosure_for(application.card, ctx.language)
        ctx.session.memory["disclosure_version"] = version
        numbered = "\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1))
        reply = ctx.step.prompt(ctx.language).replace("{disclosures}", numbered)
        return ctx.say(
            f"{lead}\n{reply}" if lead else reply,
            actions=[
                {
                    "type": "show_disclosure",
                    "version": version,
                    "items": items,
                    "require_acknowledgement": True,
                    "event": "acknowledge_disclosure",
                }
            ],
        )

    def prompt_again(self, ctx: StepContext) -> str:
        return ctx.step.prompt(ctx.language).split("{disclosures}")[-1].strip()

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if DECLINE.search(text):
            ctx.funnel("disclosure_declined")
            return ctx.say(t("ack_declined", ctx.language))
        if ACKNOWLEDGE.search(text) and not QUESTION.search(text):
            return self.acknowledge(ctx, ctx.session.memory.get("disclosure_version", ""), text)
        if QUESTION.search(text):
            return None
        return ctx.say(t("ack_needed", ctx.language))

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name != "acknowledge_disclosure" or not isinstance(data.get("version"), str):
            return None
        version, _ = applications.disclosure_for(
            applications.application_for(ctx.session).card, ctx.language
        )
        if data["version"] != version:
            return None  # the app showed another text than the current one
        return self.acknowledge(ctx, version, f"event:{name}")

    def acknowledge(self, ctx: StepContext, version: str, evidence: str) -> TurnResult:
        try:
            acknowledgement = applications.application_disclosure_acknowledge(
                session=ctx.session, version=version, evidence=evidence
            )
        except applications.ApplicationError:
            # The card's disclosure changed since it was shown: show the new one.
            return self.arrive(ctx, lead=t("ack_changed", ctx.language))
        ctx.funnel("disclosure_acknowledged", {"version": acknowledgement.version})
        when = _when(acknowledgement.acknowledged_at, ctx.language)
        return ctx.enter(ctx.next_step(), lead=t("acknowledged", ctx.language, time=when))


# ----------------------------------------------------------------------------- submission


@register_behaviour
class ApplicationSubmit(StepBehaviour):
    """Sum the application up and submit it when the customer confirms."""

    name = "application_submit"

    def arrive(self, ctx: StepContext) -> TurnResult:
        language = ctx.language
        application = applications.application_for(ctx.session)
        card = application.card
        names = {doc["code"]: pick(doc, language) for doc in card.required_documents}
        uploaded = sorted(set(application.documents.values_list("kind", flat=True)))
        services = {service["code"]: service for service in card.value_added_services}
        parts = [
            t("card", language, name=card.name(language)),
            t(
                "documents",
                language,
                names=_joiner(language).join(names.get(kind, kind) for kind in uploaded),
            ),
        ]
        if application.value_added_services:
            parts.append(
                t(
                    "services",
                    language,
                    names=_joiner(language).join(
                        _service_name(services[code], language)
                        for code in application.value_added_services
                        if code in services
                    ),
                )
            )
        else:
            parts.append(t("no_services", language))
        acknowledgement = applications.current_acknowledgement(application, language)
        if acknowledgement is not None:
            parts.append(
                t("disclosure", language, time=_when(acknowledgement.acknowledged_at, language))
            )
        summary = ("；" if language == "zh-hans" else "; ").join(parts)
        return ctx.say(
            ctx.step.prompt(language).replace("{summary}", summary),
            actions=[
                {
                    "type": "confirm_application",
                    "event": "submit_application",
                    "card": card.code,
                    "documents": uploaded,
                    "value_added_services": application.value_added_services,
                }
            ],
        )

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if NO.search(text) and not SUBMIT.search(text):
            ctx.funnel("submission_postponed")
            return ctx.say(t("not_submitted", ctx.language))
        if YES.search(text) or SUBMIT.search(text):
            return self.submit(ctx)
        return None

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        return self.submit(ctx) if name == "submit_application" else None

    def submit(self, ctx: StepContext) -> TurnResult:
        try:
            application = applications.card_application_submit(session=ctx.session)
        except DialogueError as exc:
            # Something the submission needs is missing (a step was edited out of the flow,
            # or a document expired since): go back to the step that provides it.
            back = (
                ApplicationDocuments.name
                if "pre-check" in str(exc)
                else ValueAddedServices.name
                if "services" in str(exc)
                else RiskDisclosure.name
            )
            ctx.funnel("submission_refused", {"reason": str(exc)})
            return ctx.enter(ctx.step_with(behaviour=back))
        ctx.funnel(
            "application_submitted",
            {"application": str(application.pk), "reference": application.reference},
        )
        return ctx.enter(ctx.next_step())


@register_behaviour
class ApplicationStatus(StepBehaviour):
    """The submitted application's status and timeline; offers the activation guide."""

    name = "application_status"

    def arrive(self, ctx: StepContext) -> TurnResult:
        language = ctx.language
        application = applications.application_for(ctx.session)
        timeline, lines = [], []
        for milestone in application.milestones.all():
            label = milestone.label(language)
            if milestone.completed_at:
                lines.append("• " + t("milestone_done", language, label=label))
            else:
                lines.append(
                    "• "
                    + t(
                        "milestone",
                        language,
                        label=label,
                        date=_day(milestone.expected_on, language),
                    )
                )
            timeline.append(
                {
                    "code": milestone.code,
                    "label": label,
                    "expected_on": milestone.expected_on.isoformat(),
                    "done": milestone.completed_at is not None,
                }
            )
        status = STATUS_NAMES[application.status][0 if language == "zh-hans" else 1]
        reply = (
            ctx.step.prompt(language)
            .replace("{reference}", application.reference)
            .replace("{status}", status)
            .replace("{timeline}", "\n".join(lines))
        )
        return ctx.say(
            reply,
            actions=[
                {
                    "type": "show_application",
                    "reference": application.reference,
                    "status": application.status,
                    "timeline": timeline,
                }
            ],
        )

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if YES.search(text):
            return self.guide(ctx)
        if NO.search(text):
            ctx.funnel("activation_guide_declined")
            return ctx.enter(ctx.next_step())
        return None

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        return self.guide(ctx) if name == "confirm" else None

    def guide(self, ctx: StepContext) -> TurnResult:
        ctx.funnel("activation_guide_accepted")
        then = ctx.step.config.get("then_flow")
        if not then:
            return ctx.enter(ctx.next_step())
        ctx.funnel("completed")
        return continue_in_flow(ctx, then)
