"""Card use for an identified customer: spending analysis, benefits and offers, instalments,
repayment plans and reminders.

The session is bound to a `Customer` only when a trusted channel says who it is (see
`scenarios.api.views.SessionListView`); the `card_use` flow requires it. Every figure comes from
the customer's own transactions and statements through the selectors and services
(`scenarios.selectors`, `scenarios.money`, `scenarios.repayment`, `scenarios.reminders`); these
behaviours only phrase them. The menu step routes a turn to its topic and the topic answers the
same turn ("上个月各类消费占比" goes straight to the analysis of last month).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from bank_ai.ai.text import ordinal, parse_number
from bank_ai.i18n import localised, pick
from scenarios.dialogue.base import StepBehaviour, TurnResult, register_behaviour
from scenarios.dialogue.engine import QUESTION, StepContext
from scenarios.models import CustomerCard, FlowStep
from scenarios.money import InstalmentError, InstalmentQuote, instalment_quote
from scenarios.periods import PeriodError, last_months, parse_period
from scenarios.reminders import ReminderError, repayment_reminder_schedule
from scenarios.repayment import RepaymentError, latest_statement, repayment_plans
from scenarios.selectors import (
    benefits_for_spending,
    campaigns_for_spending,
    customer_cards,
    spending_by_category,
    unbilled_purchases,
)

REMINDER = re.compile(r"提醒|\bremind", re.I)
INSTALMENT = re.compile(
    r"分期|分\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*期|\b(instal+ments?|split|spread)\b", re.I
)
REPAYMENT = re.compile(
    r"还款|最低|还多少|利息|\b(repay|pay off|pay back|minimum|interest|how much do i owe)\b", re.I
)
BENEFITS = re.compile(
    r"权益|优惠|活动|福利|返现|\b(benefits?|offers?|campaigns?|perks?|rewards?|deals?)\b", re.I
)
BILL = re.compile(
    r"账单|消费|花了|支出|分析|占比|\b(bill|statement|spending|spent|breakdown|analy[sz]e)\b", re.I
)
FINISHED = re.compile(
    r"没有了|没了|不用了|就这些|谢谢|\b(that'?s all|nothing else|no thanks|bye|that is all)\b", re.I
)
PERIODS = re.compile(
    r"(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:期|个月)|"
    r"(\d{1,2})\s*(?:months?|instal+ments?)\b",
    re.I,
)
AMOUNT = re.compile(r"(?:¥|rmb\s*|cny\s*)?(\d[\d,]*(?:\.\d{1,2})?)", re.I)
STATEMENT = re.compile(r"账单|\b(statement|bill)\b", re.I)
DAYS_BEFORE = re.compile(
    r"(?:提前|前)\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*天|"
    r"(\d{1,2}|one|two|three|four|five|six|seven)\s*days?\s*(?:before|ahead|early|in advance)",
    re.I,
)

CATEGORY_NAMES = {
    "dining": ("餐饮", "dining"),
    "groceries": ("超市", "groceries"),
    "online_shopping": ("网购", "online shopping"),
    "travel": ("旅行", "travel"),
    "airline": ("机票", "airlines"),
    "hotel": ("酒店", "hotels"),
    "fuel": ("加油", "fuel"),
    "tolls": ("通行费", "tolls"),
    "entertainment": ("娱乐", "entertainment"),
    "education": ("教育", "education"),
    "health_beauty": ("健康美容", "health and beauty"),
    "utilities": ("生活缴费", "utilities"),
    "transport": ("交通", "transport"),
    "overseas": ("境外", "overseas"),
    "other": ("其他", "other"),
}
TEXT = {
    "no_customer": {
        "zh-hans": "查询账单和用卡服务需要先在海港银行App登录。",
        "en": "Please log in to the Harbour Bank app to see your bills and card services.",
    },
    "no_card": {
        "zh-hans": "您名下暂时没有可用的海港银行信用卡。想办一张的话，说“申请信用卡”就可以。",
        "en": "You don't have an active Harbour Bank credit card yet. Say \"apply for a credit "
        'card" if you would like one.',
    },
    "card": {"zh-hans": "{name}（尾号{last4}）", "en": "{name} ending {last4}"},
    "which_topic": {
        "zh-hans": "可以说“上个月账单”“我的权益”“分期”“还款方案”或“还款提醒”。",
        "en": 'Say "last month\'s bill", "my offers", "instalments", "repayment plans" '
        'or "remind me".',
    },
    "period_future": {
        "zh-hans": "这个时间段还没有开始，请换一个时间段。",
        "en": "That period has not started yet; please pick another one.",
    },
    "period_too_long": {
        "zh-hans": "最多可以分析最近24个月的消费，请缩短时间段。",
        "en": "I can analyse up to 24 months at a time; please choose a shorter period.",
    },
    "no_spending": {
        "zh-hans": "{period}这张卡没有消费记录。",
        "en": "There was no spending on this card from {period}.",
    },
    "spending_total": {
        "zh-hans": "{period}，您的{card}共消费{total}元（{count}笔），按类别：",
        "en": "From {period}, your {card} was used for RMB {total} ({count} purchases). By "
        "category:",
    },
    "spending_line": {
        "zh-hans": "{name} {share}%（{amount}元）",
        "en": "{name} {share}% (RMB {amount})",
    },
    "benefit_line": {
        "zh-hans": "• 「{title}」：{description}（您在{names}上消费{amount}元，占{share}%）",
        "en": "• {title}: {description} (you spent RMB {amount} on {names}, {share}% of your "
        "spending)",
    },
    "campaign_line": {
        "zh-hans": "• 活动「{title}」（{until}截止）：{summary}",
        "en": '• Offer "{title}" (until {until}): {summary}',
    },
    "no_benefits": {
        "zh-hans": "您近期的消费与本卡权益和在售活动暂时没有明显对应。",
        "en": "Your recent spending does not match this card's benefits or the current offers.",
    },
    "no_instalment": {
        "zh-hans": "目前没有可以分期的消费：交易分期需单笔满{minimum}元且尚未出账，"
        "账单分期需账单未到期且未还清。",
        "en": "Nothing can be split right now: purchases must be at least RMB {minimum} and not "
        "yet billed, and a statement must be unpaid and not yet due.",
    },
    "instalment_purchase": {
        "zh-hans": "{n}. {date} {merchant} {amount}元",
        "en": "{n}. {date} {merchant} RMB {amount}",
    },
    "instalment_statement": {
        "zh-hans": "{n}. 本期账单（{due}到期）待还{amount}元",
        "en": "{n}. This statement (due {due}), RMB {amount} to repay",
    },
    "instalment_rates": {
        "zh-hans": "可选期数与月手续费率：{rates}。",
        "en": "Periods and monthly fee rates: {rates}.",
    },
    "instalment_quote": {
        "zh-hans": "{what}{principal}元分{periods}期：每期手续费{fee}元（月费率{rate}%），"
        "首期还{first}元，"
        "之后每期{other}元；手续费合计{total_fee}元，总计还款{total}元，折合年化利率约{apr}%。",
        "en": "{what}RMB {principal} over {periods} months: a fee of RMB {fee} each month ({rate}% "
        "a month); RMB {first} in the first month, then RMB {other} a month; fees total RMB "
        "{total_fee}, RMB {total} repaid in all, an annual rate of about {apr}%.",
    },
    "instalment_compare": {
        "zh-hans": "{periods}期：每期手续费{fee}元，合计{total_fee}元，年化约{apr}%",
        "en": "{periods} months: RMB {fee} a month, RMB {total_fee} in all, about {apr}% a year",
    },
    "instalment_not_offered": {
        "zh-hans": "这张卡可选的分期期数是{offered}期。",
        "en": "This card offers {offered} monthly instalments.",
    },
    "statement_word": {"zh-hans": "账单", "en": "statement "},
    "repaid": {
        "zh-hans": "您最近一期账单已经还清，目前没有待还款项。",
        "en": "Your latest statement is repaid in full; there is nothing to repay now.",
    },
    "no_statement": {
        "zh-hans": "这张卡还没有出过账单。",
        "en": "This card has no statement yet.",
    },
    "plans_head": {
        "zh-hans": "账单周期{start}至{end}，应还{outstanding}元，最低还款{minimum}元，"
        "到期还款日{due}。",
        "en": "For the statement from {start} to {end}: RMB {outstanding} to repay, minimum RMB "
        "{minimum}, due {due}.",
    },
    "plan_full": {
        "zh-hans": "① 全额还款：到期前还{amount}元，不产生利息，继续享受免息期。",
        "en": "1) Pay in full: RMB {amount} by the due date. No interest, and you keep the "
        "interest-free period.",
    },
    "plan_minimum": {
        "zh-hans": "② 最低还款：到期前还{amount}元，不算逾期、不影响征信；"
        "但剩余{unpaid}元不享受免息期，"
        "按日利率{rate}%从每笔消费的记账日起计息，到下一个账单日（{next}）约产生利息{interest}元，"
        "未还的利息按月计收复利（年化{annual}%）。",
        "en": "2) Pay the minimum: RMB {amount} by the due date. Not overdue and no credit "
        "record, but the remaining RMB {unpaid} loses the interest-free period: interest of "
        "{rate}% a day runs from each purchase's posting date, about RMB {interest} by your next "
        "statement date ({next}), and unpaid interest compounds monthly ({annual}% a year).",
    },
    "plan_instalment": {
        "zh-hans": "③ 账单分期：将{amount}元分{periods}期，每期手续费{fee}元，首期还{first}元，"
        "手续费合计{total_fee}元（年化约{apr}%），分期部分不再计收循环利息。",
        "en": "3) Split the statement: RMB {amount} over {periods} months, a fee of RMB {fee} "
        "a month, RMB {first} in the first month, RMB {total_fee} in fees (about {apr}% a "
        "year); no revolving interest on the amount split.",
    },
    "plan_late": {
        "zh-hans": "如果到期连最低还款额都没有还足，将按未还部分的{rate}%收取违约金"
        "（一分未还时为{fee}元），"
        "并报送人民银行征信系统。",
        "en": "If not even the minimum is paid by the due date, a late fee of {rate}% of the "
        "unpaid minimum applies (RMB {fee} if nothing is paid) and the arrears are reported to "
        "the PBoC credit reference centre.",
    },
    "reminder_set": {
        "zh-hans": "好的，将在{when}通过App消息提醒您还款：本期应还{amount}元，到期还款日{due}。",
        "en": "Done: I'll remind you in the app at {when}. RMB {amount} is due on {due}.",
    },
    "reminder_range": {
        "zh-hans": "提醒可以设在到期日前1到10天，请换一个天数。",
        "en": "Reminders can go 1 to 10 days before the due date; please pick another number.",
    },
    "reminder_nothing": {
        "zh-hans": "最近一期账单已还清或已过到期日，暂时不需要提醒。",
        "en": "Your latest statement is repaid or past its due date, so no reminder is needed.",
    },
}


def _t(key: str, language: str, **values: Any) -> str:
    text = pick(TEXT[key], language)
    return text.format(**values) if values else text


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def percent(share: Decimal, places: str = "0.1") -> str:
    return f"{(share * 100).quantize(Decimal(places), rounding=ROUND_HALF_UP)}"


def apr(rate: Decimal) -> str:
    return percent(rate, "0.01")


def terms_percent(rate: Decimal) -> str:
    """A rate from the card's terms as the terms state it: 0.05 -> "5", 0.1825 -> "18.25"."""
    return f"{(rate * 100).normalize():f}"


def rate_percent(rate: Decimal) -> str:
    """0.0065 -> "0.65"; 0.0005 -> "0.05" (rates are never shown rounded away)."""
    text = f"{(rate * 100).normalize():f}"
    return text if "." in text and len(text.split(".")[1]) >= 2 else f"{Decimal(text):.2f}"


def day_text(day: Any, language: str) -> str:
    if language == "zh-hans":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day:%b %Y}"


def category_name(code: str, language: str) -> str:
    names = CATEGORY_NAMES.get(code, (code, code))
    return names[0] if language == "zh-hans" else names[1]


def current_card(ctx: StepContext) -> CustomerCard | None:
    customer = ctx.session.customer
    if customer is None:
        return None
    cards = customer_cards(customer)
    chosen = ctx.session.memory.get("use_card")
    for card in cards:
        if card.pk == chosen:
            return card
    return cards[0] if cards else None


def card_label(card: CustomerCard, language: str) -> str:
    return _t("card", language, name=card.product.name(language), last4=card.last4)


class UseTopic(StepBehaviour):
    """A topic of the card-use menu: answers a turn, then goes back to the menu."""

    def answer(self, ctx: StepContext, card: CustomerCard, text: str) -> TurnResult | None:
        raise NotImplementedError

    def arrive(self, ctx: StepContext) -> TurnResult:
        card = current_card(ctx)
        if card is None:
            return ctx.say(_t("no_card", ctx.language))
        return self.answer(ctx, card, "") or ctx.say(ctx.step.prompt(ctx.language))

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        card = current_card(ctx)
        if card is None:
            return None
        result = self.answer(ctx, card, text)
        if result is None and not QUESTION.search(text):
            # Not an answer to this topic: maybe another one ("那分期呢").
            return CardUseMenu().route(ctx, text)
        return result

    @staticmethod
    def to_menu(ctx: StepContext, reply: str, outcome: str, **extra: Any) -> TurnResult:
        ctx.funnel(outcome, extra.pop("detail", None))
        menu = ctx.step_with(behaviour=CardUseMenu.name)
        ctx.rest_on(menu)
        again = pick(menu.config.get("again"), ctx.language)
        return ctx.say(f"{reply}\n{again}" if again else reply, **extra)


@register_behaviour
class CardUseMenu(StepBehaviour):
    name = "card_use_menu"

    def arrive(self, ctx: StepContext) -> TurnResult:
        language = ctx.language
        customer = ctx.session.customer
        if customer is None:
            return ctx.enter(
                ctx.step_with(kind=FlowStep.Kind.END), lead=_t("no_customer", language)
            )
        card = current_card(ctx)
        if card is None:
            return ctx.say(_t("no_card", language))
        ctx.session.memory["use_card"] = card.pk
        reply = (
            ctx.step.prompt(language)
            .replace("{name}", customer.full_name)
            .replace("{card}", card_label(card, language))
        )
        return ctx.say(
            reply,
            actions=[
                {
                    "type": "show_options",
                    "options": ["bill_analysis", "benefits", "instalment", "repayment", "reminder"],
                }
            ],
        )

    def prompt_again(self, ctx: StepContext) -> str:
        return pick(ctx.step.config.get("again"), ctx.language) or ctx.step.prompt(ctx.language)

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if current_card(ctx) is None:
            return None
        return self.route(ctx, text)

    def route(self, ctx: StepContext, text: str) -> TurnResult | None:
        topic = self.topic(text, ctx)
        if topic is None:
            if FINISHED.search(text):
                return ctx.enter(ctx.step_with(kind=FlowStep.Kind.END))
            if QUESTION.search(text):
                return None
            return ctx.say(_t("which_topic", ctx.language))
        step = ctx.step_with(behaviour=topic)
        ctx.rest_on(step)
        ctx.funnel("entered")
        from scenarios.dialogue.base import behaviour_for

        behaviour = behaviour_for(step)
        card = current_card(ctx)
        assert card is not None
        return behaviour.answer(ctx, card, text) or ctx.say(step.prompt(ctx.language))

    @staticmethod
    def topic(text: str, ctx: StepContext) -> str | None:
        if REMINDER.search(text):
            return RepaymentReminderTopic.name
        if INSTALMENT.search(text):
            return InstalmentOffer.name
        if REPAYMENT.search(text):
            return RepaymentPlans.name
        if BENEFITS.search(text):
            return SpendingBenefits.name
        try:
            named = parse_period(text, timezone.localdate())
        except PeriodError:
            named = True
        if BILL.search(text) or named:
            return BillAnalysis.name
        return None


@register_behaviour
class BillAnalysis(UseTopic):
    """Share of spending by category over the period the customer names."""

    name = "bill_analysis"

    def answer(self, ctx: StepContext, card: CustomerCard, text: str) -> TurnResult | None:
        language = ctx.language
        try:
            period = parse_period(text, timezone.localdate())
        except PeriodError as exc:
            key = "period_future" if "not started" in str(exc) else "period_too_long"
            return ctx.say(_t(key, language))
        if period is None:
            return None
        spending = spending_by_category(card, period.start, period.end)
        label = period.label(language)
        detail = {"start": period.start.isoformat(), "end": period.end.isoformat()}
        if not spending:
            return self.to_menu(
                ctx, _t("no_spending", language, period=label), "bill_analysed", detail=detail
            )
        total = sum((row.amount for row in spending), Decimal("0"))
        count = sum(row.transactions for row in spending)
        lines = [
            _t(
                "spending_line",
                language,
                name=category_name(row.category, language),
                share=percent(row.share),
                amount=money(row.amount),
            )
            for row in spending
        ]
        separator = "；" if language == "zh-hans" else "; "
        reply = (
            _t(
                "spending_total",
                language,
                period=label,
                card=card_label(card, language),
                total=money(total),
                count=count,
            )
            + ("" if language == "zh-hans" else " ")
            + separator.join(lines)
            + ("。" if language == "zh-hans" else ".")
        )
        chart = [
            {
                "category": row.category,
                "name": category_name(row.category, language),
                "amount": str(row.amount),
                "share": str(row.share),
                "transactions": row.transactions,
            }
            for row in spending
        ]
        return self.to_menu(
            ctx,
            reply,
            "bill_analysed",
            detail=detail,
            actions=[
                {
                    "type": "show_chart",
                    "chart": "spending_by_category",
                    **detail,
                    "total": str(total),
                    "data": chart,
                }
            ],
        )


@register_behaviour
class SpendingBenefits(UseTopic):
    """The card's benefits and the live offers that reward what the customer spends most on."""

    name = "spending_benefits"

    def answer(self, ctx: StepContext, card: CustomerCard, text: str) -> TurnResult | None:
        language = ctx.language
        try:
            period = parse_period(text, timezone.localdate()) if text else None
        except PeriodError:
            period = None
        period = period or last_months(timezone.localdate(), int(ctx.step.config.get("months", 3)))
        spending = spending_by_category(card, period.start, period.end)
        benefits = benefits_for_spending(card, spending)
        campaigns = campaigns_for_spending(card, spending, language=language)
        lines = [ctx.step.prompt(language).replace("{period}", period.label(language))]
        joiner = "、" if language == "zh-hans" else ", "
        for match in benefits:
            lines.append(
                _t(
                    "benefit_line",
                    language,
                    title=localised(match.benefit, "title", language),
                    description=localised(match.benefit, "description", language),
                    names=joiner.join(
                        category_name(row.category, language) for row in match.categories
                    ),
                    amount=money(sum((row.amount for row in match.categories), Decimal("0"))),
                    share=percent(sum((row.share for row in match.categories), Decimal("0"))),
                )
            )
        for match in campaigns:
            page = match.campaign
            lines.append(
                _t(
                    "campaign_line",
                    language,
                    title=page.title,
                    until=day_text(page.valid_until, language) if page.valid_until else "-",
                    summary=page.summary,
                )
            )
        if not benefits and not campaigns:
            lines = [_t("no_benefits", language)]
        detail = {
            "benefits": [match.benefit.pk for match in benefits],
            "campaigns": [match.campaign.pk for match in campaigns],
        }
        return self.to_menu(
            ctx,
            "\n".join(lines),
            "benefits_shown",
            detail=detail,
            actions=[
                {
                    "type": "show_benefits",
                    "benefits": [
                        {
                            "title": localised(m.benefit, "title", language),
                            "category": m.benefit.category,
                        }
                        for m in benefits
                    ],
                    "campaigns": [
                        {"title": m.campaign.title, "url": m.campaign.url} for m in campaigns
                    ],
                }
            ],
        )


def _periods(text: str) -> int | None:
    match = PERIODS.search(text)
    if match is None:
        return None
    return parse_number(match.group(1) or match.group(2))


@register_behaviour
class InstalmentOffer(UseTopic):
    """What can be split, and the exact fee of a split (per the card's instalment terms)."""

    name = "instalment_offer"

    def options(self, card: CustomerCard) -> list[dict[str, Any]]:
        terms = card.product.instalment_terms or {}
        minimum = Decimal(terms.get("min_amount", "0"))
        options: list[dict[str, Any]] = [
            {"kind": "purchase", "amount": tx.amount, "transaction": tx}
            for tx in unbilled_purchases(card, minimum)
        ]
        statement = latest_statement(card)
        if statement is not None:
            outstanding = statement.new_balance - statement.paid_amount
            if outstanding >= max(minimum, Decimal("0.01")) and (
                statement.due_date >= timezone.localdate()
            ):
                options.append({"kind": "statement", "amount": outstanding, "statement": statement})
        return options

    def answer(self, ctx: StepContext, card: CustomerCard, text: str) -> TurnResult | None:
        language = ctx.language
        terms = card.product.instalment_terms or {}
        offered = terms.get("periods", [])
        options = self.options(card)
        if not options or not offered:
            return self.to_menu(
                ctx,
                _t("no_instalment", language, minimum=money(Decimal(terms.get("min_amount", "0")))),
                "instalment_unavailable",
            )
        periods = _periods(text)
        target = self.target(text, options, periods)
        if periods is not None and periods not in offered:
            return ctx.say(
                _t(
                    "instalment_not_offered",
                    language,
                    offered=("、" if language == "zh-hans" else ", ").join(map(str, offered)),
                )
            )
        if target is None:
            return self.listing(ctx, card, options, offered)
        what = _t("statement_word", language) if target["kind"] == "statement" else ""
        if periods is None:
            lines = []
            for number in offered:
                quote = instalment_quote(card.product, target["amount"], number)
                lines.append(
                    _t(
                        "instalment_compare",
                        language,
                        periods=number,
                        fee=money(quote.schedule[0].fee),
                        total_fee=money(quote.total_fee),
                        apr=apr(quote.annualised_rate),
                    )
                )
            head = f"{what}{money(target['amount'])}" + (
                "元：" if language == "zh-hans" else " (RMB):"
            )
            return self.to_menu(
                ctx,
                "\n".join([head, *lines]),
                "instalment_quoted",
                detail={"amount": str(target["amount"]), "periods": offered},
            )
        try:
            quote = instalment_quote(card.product, target["amount"], periods)
        except InstalmentError:
            return None
        return self.to_menu(
            ctx,
            self.quote_text(quote, what, language),
            "instalment_quoted",
            detail={
                "amount": str(quote.principal),
                "periods": periods,
                "total_fee": str(quote.total_fee),
            },
            actions=[self.quote_action(quote, target)],
        )

    @staticmethod
    def target(
        text: str, options: list[dict[str, Any]], periods: int | None
    ) -> dict[str, Any] | None:
        if STATEMENT.search(text):
            statement = [option for option in options if option["kind"] == "statement"]
            if statement:
                return statement[0]
        cleaned = PERIODS.sub(" ", text)
        for raw in AMOUNT.findall(cleaned):
            value = Decimal(raw.replace(",", ""))
            for option in options:
                if option["amount"] == value or option["amount"].to_integral_value() == value:
                    return option
        position = ordinal(cleaned, len(options))
        if position:
            return options[position - 1]
        if periods is not None and len(options) == 1:
            return options[0]
        return None

    def listing(
        self,
        ctx: StepContext,
        card: CustomerCard,
        options: list[dict[str, Any]],
        offered: list[int],
    ) -> TurnResult:
        language = ctx.language
        lines = [ctx.step.prompt(language)]
        for number, option in enumerate(options, start=1):
            if option["kind"] == "purchase":
                tx = option["transaction"]
                lines.append(
                    _t(
                        "instalment_purchase",
                        language,
                        n=number,
                        date=day_text(timezone.localtime(tx.posted_at).date(), language),
                        merchant=tx.merchant,
                        amount=money(tx.amount),
                    )
                )
            else:
                lines.append(
                    _t(
                        "instalment_statement",
                        language,
                        n=number,
                        due=day_text(option["statement"].due_date, language),
                        amount=money(option["amount"]),
                    )
                )
        rates = card.product.instalment_terms.get("monthly_fee_rate", {})
        joiner = "、" if language == "zh-hans" else ", "
        unit = "期" if language == "zh-hans" else " months"
        lines.append(
            _t(
                "instalment_rates",
                language,
                rates=joiner.join(
                    f"{number}{unit} {rate_percent(Decimal(rates[str(number)]))}%"
                    for number in offered
                ),
            )
        )
        return ctx.say(
            "\n".join(lines),
            actions=[
                {
                    "type": "show_instalment_options",
                    "options": [
                        {"kind": option["kind"], "amount": str(option["amount"])}
                        for option in options
                    ],
                    "periods": offered,
                }
            ],
        )

    @staticmethod
    def quote_text(quote: InstalmentQuote, what: str, language: str) -> str:
        first, rest = quote.schedule[0], quote.schedule[-1]
        return _t(
            "instalment_quote",
            language,
            what=what,
            principal=money(quote.principal),
            periods=quote.periods,
            fee=money(first.fee),
            rate=rate_percent(quote.monthly_fee_rate),
            first=money(first.payment),
            other=money(rest.payment),
            total_fee=money(quote.total_fee),
            total=money(quote.total_payment),
            apr=apr(quote.annualised_rate),
        )

    @staticmethod
    def quote_action(quote: InstalmentQuote, target: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "show_instalment_quote",
            "kind": target["kind"],
            "principal": str(quote.principal),
            "periods": quote.periods,
            "monthly_fee_rate": str(quote.monthly_fee_rate),
            "total_fee": str(quote.total_fee),
            "annualised_rate": str(quote.annualised_rate),
            "schedule": [
                {
                    "n": p.number,
                    "principal": str(p.principal),
                    "fee": str(p.fee),
                    "payment": str(p.payment),
                }
                for p in quote.schedule
            ],
        }


@register_behaviour
class RepaymentPlans(UseTopic):
    """Full, minimum and instalment repayment of the latest statement, with what each costs."""

    name = "repayment_plans"

    def answer(self, ctx: StepContext, card: CustomerCard, text: str) -> TurnResult | None:
        language = ctx.language
        periods = _periods(text) or int(ctx.step.config.get("instalment_periods", 12))
        try:
            plans = repayment_plans(card, instalment_periods=periods)
        except RepaymentError as exc:
            key = "no_statement" if "no statement" in str(exc) else "repaid"
            return self.to_menu(ctx, _t(key, language), "repayment_nothing_due")
        statement = plans.statement
        minimum = plans.plan("minimum")
        lines = [
            ctx.step.prompt(language),
            _t(
                "plans_head",
                language,
                start=day_text(statement.period_start, language),
                end=day_text(statement.period_end, language),
                outstanding=money(plans.outstanding),
                minimum=money(plans.minimum_due),
                due=day_text(statement.due_date, language),
            ),
            _t("plan_full", language, amount=money(plans.outstanding)),
            _t(
                "plan_minimum",
                language,
                amount=money(minimum.pay_by_due_date),
                unpaid=money(minimum.unpaid_after),
                rate=rate_percent(plans.daily_rate),
                next=day_text(plans.next_statement_on, language),
                interest=money(minimum.interest),
                annual=terms_percent(plans.annual_rate),
            ),
        ]
        instalment = next((plan for plan in plans.plans if plan.code == "instalment"), None)
        if instalment is not None and instalment.instalment is not None:
            quote = instalment.instalment
            lines.append(
                _t(
                    "plan_instalment",
                    language,
                    amount=money(quote.principal),
                    periods=quote.periods,
                    fee=money(quote.schedule[0].fee),
                    first=money(quote.schedule[0].payment),
                    total_fee=money(quote.total_fee),
                    apr=apr(quote.annualised_rate),
                )
            )
        lines.append(
            _t(
                "plan_late",
                language,
                rate=terms_percent(card.product.late_fee_rate),
                fee=money(plans.late_fee_if_nothing_paid),
            )
        )
        return self.to_menu(
            ctx,
            "\n".join(lines),
            "repayment_plans_shown",
            detail={"statement": statement.pk, "minimum_interest": str(minimum.interest)},
            actions=[
                {
                    "type": "show_repayment_plans",
                    "statement": statement.pk,
                    "plans": [
                        {
                            "code": plan.code,
                            "pay_by_due_date": str(plan.pay_by_due_date),
                            "interest": str(plan.interest),
                            "fees": str(plan.fees),
                            "unpaid_after": str(plan.unpaid_after),
                        }
                        for plan in plans.plans
                    ],
                }
            ],
        )


@register_behaviour
class RepaymentReminderTopic(UseTopic):
    """Schedule a repayment reminder N days before the due date (django-q2)."""

    name = "repayment_reminder"

    def answer(self, ctx: StepContext, card: CustomerCard, text: str) -> TurnResult | None:
        language = ctx.language
        match = DAYS_BEFORE.search(text)
        if match is None:
            return None
        raw = match.group(1) or match.group(2)
        days = parse_number(raw)
        if days is None:
            return None
        statement = latest_statement(card)
        if statement is None:
            return self.to_menu(ctx, _t("reminder_nothing", language), "reminder_not_needed")
        try:
            reminder = repayment_reminder_schedule(
                card=card,
                statement=statement,
                days_before=days,
                channel=ctx.step.config.get("channel", "app_inbox"),
            )
        except ReminderError as exc:
            if "1 to" in str(exc):
                return ctx.say(_t("reminder_range", language))
            return self.to_menu(ctx, _t("reminder_nothing", language), "reminder_not_needed")
        local = timezone.localtime(reminder.remind_at)
        when = f"{day_text(local.date(), language)} {local:%H:%M}"
        return self.to_menu(
            ctx,
            _t(
                "reminder_set",
                language,
                when=when,
                amount=money(statement.new_balance - statement.paid_amount),
                due=day_text(statement.due_date, language),
            ),
            "reminder_scheduled",
            detail={"days_before": days, "remind_at": reminder.remind_at.isoformat()},
            actions=[
                {
                    "type": "reminder_scheduled",
                    "remind_at": reminder.remind_at.isoformat(),
                    "channel": reminder.channel,
                }
            ],
        )
