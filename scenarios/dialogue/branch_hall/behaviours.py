"""The branch hall: what did the customer come for, a queue ticket, and what to prepare.

`hall_service` maps free text (zh/en) to one of the branch's service types with the AI core's
need matcher and offers the top options when unsure; `hall_confirm_service` confirms it;
`hall_ticket` issues the ticket (number, people ahead, estimated wait, materials) and then
answers questions about that service from knowledge. Customer-facing text comes from the flow
steps' prompts and `config` (zh/en); the flow ships in a data migration.
"""

from __future__ import annotations

import re
from typing import Any

from bank_ai.i18n import localised, pick
from devices.models import Branch, ServiceType
from scenarios.dialogue.base import StepBehaviour, TurnResult, register_behaviour
from scenarios.dialogue.branch_hall.matching import match_service
from scenarios.dialogue.engine import NO, QUESTION, YES, ConfirmBehaviour, StepContext

# Questions about how a service works or what to bring: answered from knowledge, not matched.
PROCESS_QUESTION = re.compile(
    r"带什么|材料|证件|流程|手续|怎么办理|如何办理|需要什么|要多久|多长时间|几天|"
    r"what (do|should) i (need|bring)|documents?|how (does|do|long)|process|procedure",
    re.IGNORECASE,
)
DONE = re.compile(
    r"^(没有了|没了|没有|不用了|不需要了?|没事了|就这些|就这样|好的?谢谢|谢谢|再见|"
    r"no thanks|no,? thank you|that'?s all|nothing else|bye|thanks?( you)?)",
    re.IGNORECASE,
)
ORDINALS = (
    re.compile(r"第一|第1|一号|^1\b|first|#1|option 1", re.IGNORECASE),
    re.compile(r"第二|第2|二号|^2\b|second|#2|option 2", re.IGNORECASE),
    re.compile(r"第三|第3|三号|^3\b|third|#3|option 3", re.IGNORECASE),
)


def session_branch(ctx: StepContext) -> Branch | None:
    """The branch the customer stands in: the device's, or one named when the session began."""
    device = ctx.session.device
    if device is not None and device.branch_id is not None:
        return device.branch
    code = ctx.session.slots.get("branch")
    return Branch.objects.filter(code=code, is_active=True).first() if code else None


def available_services(ctx: StepContext) -> list[ServiceType]:
    branch = session_branch(ctx)
    services = ServiceType.objects.all()
    if branch is not None:
        services = services.filter(branches__branch=branch)
    return list(services.order_by("code"))


def config_text(ctx: StepContext, key: str, **values: Any) -> str:
    text = pick(ctx.step.config.get(key), ctx.language, "")
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def numbered(labels: list[str], language: str) -> str:
    if language == "zh-hans":
        return "；".join(f"{n}. {label}" for n, label in enumerate(labels, start=1))
    return "; ".join(f"{n}. {label}" for n, label in enumerate(labels, start=1))


def chosen_from(text: str, offered: list[str], names: dict[str, tuple[str, ...]]) -> str | None:
    """An offered option picked by name or by position ("第二个", "the first one")."""
    lowered = text.lower()
    for code in offered:
        if any(name and name.lower() in lowered for name in names.get(code, ())):
            return code
    for position, pattern in enumerate(ORDINALS):
        if position < len(offered) and pattern.search(text.strip()):
            return offered[position]
    return None


@register_behaviour
class HallService(StepBehaviour):
    """Work out which service the customer came for; unsure means offering the top options."""

    name = "hall_service"

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        services = available_services(ctx)
        by_code = {service.code: service for service in services}
        offered = [
            code for code in ctx.session.memory.get("offered_services", []) if code in by_code
        ]
        if offered:
            names = {code: (by_code[code].name_zh, by_code[code].name_en) for code in offered}
            picked = chosen_from(text, offered, names)
            if picked is not None:
                return self.choose(ctx, by_code[picked], {"by": "option"})
        match = match_service(text, services)
        if PROCESS_QUESTION.search(text) and QUESTION.search(text):
            if match.confident:
                # "开户要带什么？": answer it, and offer the ticket for that service next.
                self.remember(ctx, match.best.option.value, match.best.score)
                confirm = ctx.next_step()
                ctx.rest_on(confirm)
                ctx.funnel("entered")
            return None
        if match.confident:
            return self.choose(ctx, match.best.option.value, {"score": match.best.score})
        if not match.candidates:
            return None if QUESTION.search(text) else self.offer(ctx, services[:4], unsure=True)
        return self.offer(ctx, [option.value for option in match.top(3)], unsure=True)

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name not in {"choose_service", "tap"}:
            return None
        service = next((s for s in available_services(ctx) if s.code == data.get("service")), None)
        return None if service is None else self.choose(ctx, service, {"by": "tap"})

    def offer(self, ctx: StepContext, services: list[ServiceType], unsure: bool) -> TurnResult:
        language = ctx.language
        ctx.session.memory["offered_services"] = [service.code for service in services]
        ctx.funnel("unsure", {"options": [service.code for service in services]})
        labels = [localised(service, "name", language) for service in services]
        return ctx.say(
            config_text(ctx, "unsure", options=numbered(labels, language)),
            actions=[
                {
                    "type": "show_options",
                    "event": "choose_service",
                    "options": [
                        {"service": s.code, "label": label}
                        for s, label in zip(services, labels, strict=True)
                    ],
                }
            ],
        )

    def remember(self, ctx: StepContext, service: ServiceType, score: float | None) -> None:
        ctx.session.slots["service"] = service.code
        ctx.session.memory.pop("offered_services", None)
        ctx.funnel("service_matched", {"service": service.code, "score": score})

    def choose(self, ctx: StepContext, service: ServiceType, detail: dict[str, Any]) -> TurnResult:
        self.remember(ctx, service, detail.get("score"))
        return ctx.enter(ctx.next_step())


def _service(ctx: StepContext) -> ServiceType | None:
    code = ctx.session.slots.get("service")
    return ServiceType.objects.filter(code=code).first() if code else None


@register_behaviour
class HallConfirmService(ConfirmBehaviour):
    """ "You came for <service>, shall I take a ticket?"; no (or another service) goes back."""

    name = "hall_confirm_service"

    def arrive(self, ctx: StepContext) -> TurnResult:
        service = _service(ctx)
        name = localised(service, "name", ctx.language) if service else ""
        return ctx.say(ctx.step.prompt(ctx.language).replace("{service}", name))

    def prompt_again(self, ctx: StepContext) -> str:
        return self.arrive(ctx).reply

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if NO.search(text) and not YES.search(text):
            # "不是，我要换外币": the correction itself names the service.
            match = match_service(text, available_services(ctx))
            if match.confident and match.best.option.key != ctx.session.slots.get("service"):
                ctx.session.slots["service"] = match.best.option.key
                ctx.funnel("service_corrected", {"service": match.best.option.key})
                return self.arrive(ctx)
        return super().respond(ctx, text, found)


@register_behaviour
class HallTicket(StepBehaviour):
    """Issue the ticket, then answer questions about the service until the customer is done."""

    name = "hall_ticket"

    def arrive(self, ctx: StepContext) -> TurnResult:
        from devices.tickets import TicketError, ticket_issue, ticket_payload

        session, language = ctx.session, ctx.language
        service = _service(ctx)
        if service is None:
            return ctx.enter(ctx.first_step())
        branch = session_branch(ctx)
        materials = list(pick(service.materials, language, []))
        service_name = localised(service, "name", language)
        if branch is None:
            # The app or the web: no hall to queue in, but the customer can still prepare.
            ctx.funnel("no_branch", {"service": service.code})
            return ctx.say(
                config_text(
                    ctx,
                    "no_branch",
                    service=service_name,
                    materials=self.listed(materials, language),
                ),
                actions=[
                    {"type": "show_materials", "service": service_name, "materials": materials}
                ],
            )
        try:
            ticket = ticket_issue(
                branch=branch,
                service=service,
                language=language,
                session_id=session.pk,
                device=session.device,
            )
        except TicketError as exc:
            ctx.funnel("ticket_refused", {"service": service.code, "code": exc.code})
            ctx.session.slots.pop("service", None)
            first = ctx.first_step()
            ctx.rest_on(first)
            return ctx.say(
                "\n".join(
                    [config_text(ctx, "not_offered", service=service_name), first.prompt(language)]
                )
            )
        payload = ticket_payload(ticket, language)
        session.memory["ticket"] = {"id": ticket.pk, "number": ticket.display}
        ctx.funnel(
            "ticket_issued",
            {
                "number": ticket.display,
                "service": service.code,
                "waiting_ahead": payload["waiting_ahead"],
            },
        )
        reply = ctx.step.prompt(language)
        for key, value in {
            "number": ticket.display,
            "service": service_name,
            "waiting_ahead": payload["waiting_ahead"],
            "minutes": payload["estimated_minutes"],
            "materials": self.listed(materials, language),
        }.items():
            reply = reply.replace("{" + key + "}", str(value))
        return ctx.say(
            reply,
            actions=[
                {
                    "type": "show_ticket",
                    "ticket": ticket.pk,
                    "number": ticket.display,
                    "service": service_name,
                    "branch": payload["branch"],
                    "waiting_ahead": payload["waiting_ahead"],
                    # the protocol document's name for the same number
                    "waiting": payload["waiting_ahead"],
                    "estimated_minutes": payload["estimated_minutes"],
                    "materials": materials,
                }
            ],
        )

    @staticmethod
    def listed(materials: list[str], language: str) -> str:
        return ("；" if language == "zh-hans" else "; ").join(materials)

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if DONE.search(text.strip()) and not PROCESS_QUESTION.search(text):
            ctx.funnel("completed")
            return ctx.enter(ctx.next_step())
        service = _service(ctx)
        if service is None:
            return None
        # Questions after the ticket are about that service unless they name another one:
        # "需要带什么？" is answered for the service the ticket is for.
        from bank_ai.ai.need_matching import keyword_hits

        names = [service.name_zh, service.name_en]
        others = ServiceType.objects.exclude(pk=service.pk)
        names_other = any(keyword_hits(text, other.keywords or {}) for other in others)
        if names_other or any(name and name.lower() in text.lower() for name in names):
            return ctx.side_question(text)
        return ctx.side_question(f"{localised(service, 'name', ctx.language)}：{text}")

    def prompt_again(self, ctx: StepContext) -> str:
        return config_text(ctx, "again") or ctx.step.prompt(ctx.language)

    def resume(self, ctx: StepContext) -> TurnResult:
        """After a human hand-back: the ticket stands; do not issue another."""
        ticket = ctx.session.memory.get("ticket")
        if ticket is None and session_branch(ctx) is not None:
            return self.arrive(ctx)
        return ctx.say(self.prompt_again(ctx))
