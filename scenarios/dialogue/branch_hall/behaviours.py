"""The branch hall: what did the customer come for, a queue ticket, and what to prepare.

`hall_service` locates which of the branch's service types the customer means and offers the
top options when unsure (the shared `scenarios.dialogue.locating` component);
`hall_confirm_service` confirms it; `hall_ticket` issues the ticket (number, people ahead,
estimated wait, materials) and then answers questions about that service from knowledge.
Customer-facing text comes from the flow steps' prompts and `config` (zh/en); the flow ships as
data in `flows.json`.
"""

from __future__ import annotations

import re
from typing import Any

from bank_ai.i18n import localised, pick
from scenarios.branches.models import Branch, ServiceType
from scenarios.branches.selectors import (
    active_branch_by_code,
    service_type_by_code,
    service_types_except,
    service_types_offered,
    ticket_payload,
)
from scenarios.branches.services import TicketError, ticket_issue
from scenarios.dialogue.base import StepBehaviour, TurnResult, register_behaviour
from scenarios.dialogue.engine import NO, QUESTION, YES, ConfirmBehaviour, StepContext
from scenarios.dialogue.locating import (
    PROCESS_QUESTION,
    LocateStep,
    Option,
    match_options,
    step_text,
)

DONE = re.compile(
    r"^(没有了|没了|没有|不用了|不需要了?|没事了|就这些|就这样|好的?谢谢|谢谢|再见|"
    r"no thanks|no,? thank you|that'?s all|nothing else|bye|thanks?( you)?)",
    re.IGNORECASE,
)


def session_branch(ctx: StepContext) -> Branch | None:
    """The branch the customer stands in: the device's, or one named when the session began."""
    device = ctx.session.device
    if device is not None and device.branch_id is not None:
        return device.branch
    code = ctx.session.slots.get("branch")
    return active_branch_by_code(code)


def available_services(ctx: StepContext) -> list[ServiceType]:
    return service_types_offered(session_branch(ctx))


def service_options(ctx: StepContext) -> list[Option]:
    """The branch's service types as options to locate and offer (names, keywords and intent
    codes are edited in the admin)."""
    return [
        Option(
            key=service.code,
            label=localised(service, "name", ctx.language),
            names=(service.name_zh, service.name_en),
            keywords={str(k): list(v) for k, v in (service.keywords or {}).items()},
            intents=tuple(service.intents or ()),
            value=service,
        )
        for service in available_services(ctx)
    ]


RATING_ACTION = {"type": "rating", "scale": [1, 5], "about": "service_explanation"}


@register_behaviour
class HallService(LocateStep):
    """Work out which service the customer came for; unsure means offering the top options."""

    name = "hall_service"
    offered_memory = "offered_services"
    choose_event = "choose_service"
    option_field = "service"

    def options(self, ctx: StepContext) -> list[Option]:
        return service_options(ctx)

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        options = self.options(ctx)
        result = self.pick_offered(ctx, text, options)
        if result is not None:
            return result
        located = self.match(ctx, text, options)
        if PROCESS_QUESTION.search(text) and QUESTION.search(text):
            if located.confident and located.best is not None:
                # "开户要带什么？": answer it, and offer the ticket for that service next.
                self.remember(ctx, located.best.option.value, located.best.score)
                confirm = ctx.next_step()
                ctx.rest_on(confirm)
                ctx.funnel("entered")
            return None
        return self.decide(ctx, text, options, located)

    def remember(self, ctx: StepContext, service: ServiceType, score: float | None) -> None:
        ctx.session.slots["service"] = service.code
        ctx.session.memory.pop(self.offered_memory, None)
        ctx.funnel("service_matched", {"service": service.code, "score": score})

    def chosen(self, ctx: StepContext, option: Option, detail: dict[str, Any]) -> TurnResult:
        self.remember(ctx, option.value, detail.get("score"))
        return ctx.enter(ctx.next_step())


def _service(ctx: StepContext) -> ServiceType | None:
    code = ctx.session.slots.get("service")
    return service_type_by_code(code)


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
            match = match_options(text, service_options(ctx))
            if (
                match.confident
                and match.best is not None
                and match.best.option.key != ctx.session.slots.get("service")
            ):
                ctx.session.slots["service"] = match.best.option.key
                ctx.funnel("service_corrected", {"service": match.best.option.key})
                return self.arrive(ctx)
        return super().respond(ctx, text, found)


@register_behaviour
class HallTicket(StepBehaviour):
    """Issue the ticket, then answer questions about the service until the customer is done."""

    name = "hall_ticket"

    def arrive(self, ctx: StepContext) -> TurnResult:
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
                step_text(
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
                    [step_text(ctx, "not_offered", service=service_name), first.prompt(language)]
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
            result = ctx.enter(ctx.next_step())
            # The rating step of the service explanation: the client asks for a score and posts
            # it to the session's rating (the hall's explanation-satisfaction KPI).
            result.actions.append(dict(RATING_ACTION))
            return result
        service = _service(ctx)
        if service is None:
            return None
        # Questions after the ticket are about that service unless they name another one:
        # "需要带什么？" is answered for the service the ticket is for.
        from bank_ai.ai.need_matching import keyword_hits

        names = [service.name_zh, service.name_en]
        others = service_types_except(service)
        names_other = any(keyword_hits(text, other.keywords or {}) for other in others)
        if names_other or any(name and name.lower() in text.lower() for name in names):
            return ctx.side_question(text)
        return ctx.side_question(f"{localised(service, 'name', ctx.language)}：{text}")

    def prompt_again(self, ctx: StepContext) -> str:
        return step_text(ctx, "again") or ctx.step.prompt(ctx.language)

    def resume(self, ctx: StepContext) -> TurnResult:
        """After a human hand-back: the ticket stands; do not issue another."""
        ticket = ctx.session.memory.get("ticket")
        if ticket is None and session_branch(ctx) is not None:
            return self.arrive(ctx)
        return ctx.say(self.prompt_again(ctx))
