"""The written definition of every contact-centre and outbound figure (docs/kpis.md repeats
them): what the page shows beside each number, and what the API lists."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from scenarios.analytics import kpis as kpi_defs
from scenarios.analytics.selectors import CONTACT_PAGE, OUTBOUND_PAGE

PERCENTILE = "percentile"


@dataclass(frozen=True)
class RecordKpi:
    code: str  # "<page>.<kpi>", unique
    name: str | Promise
    definition: str | Promise
    measure: str


QUEUE_KPIS: tuple[RecordKpi, ...] = (
    RecordKpi(
        "contact_centre.offered",
        _("Offered"),
        _(
            "Hand-overs that entered the queue in the range: queued there, or overflowed into it "
            "from another queue."
        ),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "contact_centre.answered",
        _("Answered"),
        _("Hand-overs an agent took over from the queue in the range."),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "contact_centre.waiting_now",
        _("Waiting now"),
        _("Hand-overs waiting in the queue at this moment (not bounded by the dates)."),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "contact_centre.abandoned",
        _("Abandoned"),
        _(
            "Hand-overs that ended before an agent took them (the customer left, or the session "
            "was handed back unanswered)."
        ),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "contact_centre.abandon_rate",
        _("Abandon rate"),
        _("Abandoned / (answered + abandoned)."),
        kpi_defs.RATIO,
    ),
    RecordKpi(
        "contact_centre.answer_seconds_avg",
        _("Average time to answer (s)"),
        _("Mean seconds from the hand-over entering routing to an agent taking it, of answers."),
        kpi_defs.MEAN,
    ),
    RecordKpi(
        "contact_centre.answer_seconds_p90",
        _("90th percentile time to answer (s)"),
        _("Seconds within which 90% of the answers came (nearest rank)."),
        PERCENTILE,
    ),
    RecordKpi(
        "contact_centre.sla_met",
        _("SLA met"),
        _("Answers within the queue's 'answer within' seconds / answers."),
        kpi_defs.RATIO,
    ),
    RecordKpi(
        "contact_centre.transfers",
        _("Transfers"),
        _("Warm transfers accepted by another agent."),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "contact_centre.overflows",
        _("Overflows"),
        _("Hand-overs that waited past the queue's overflow time and moved to its overflow queue."),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "contact_centre.answered_per_agent",
        _("Answers per agent"),
        _("Answers by each agent (share of all answers)."),
        kpi_defs.BREAKDOWN,
    ),
    RecordKpi(
        "contact_centre.occupancy",
        _("Agent occupancy"),
        _(
            "Seconds agents spent handling routed conversations / seconds they were staffed, "
            "in the range, per agent and over all agents. Handling: at least one conversation "
            "taken (or accepted in a transfer) and not yet handed back or transferred on; two "
            "at once count once. Staffed: online, or handling while away; away without a "
            "conversation (a break) and offline do not count. Not filtered by queue, channel "
            "or language: an agent's time is not split between queues. Day by day: each day's "
            "seconds (a stretch across midnight counts on both days; one still open, up to "
            "now); no value on a day nobody was staffed."
        ),
        kpi_defs.RATIO,
    ),
)

CAMPAIGN_KPIS: tuple[RecordKpi, ...] = (
    RecordKpi(
        "outbound.targeted",
        _("Targeted"),
        _(
            "Customers a campaign run picked from the segment in the range (delivered, waiting to "
            "be delivered, failed or suppressed: one per campaign and customer)."
        ),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "outbound.attempted",
        _("Attempted"),
        _(
            "Targeted customers a delivery was tried for (delivered + waiting to be delivered + "
            "delivery failed)."
        ),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "outbound.delivered",
        _("Delivered"),
        _("Contacts the channel accepted."),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "outbound.waiting",
        _("Waiting to be delivered"),
        _(
            "Contacts a channel has queued and not yet delivered or given up (WeChat messages "
            "in the outbox, retried after a failure); each becomes delivered or failed."
        ),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "outbound.reached",
        _("Reached"),
        _("Delivered contacts the customer answered (any outcome, opting out included)."),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "outbound.interested",
        _("Interested"),
        _("Delivered contacts whose outcome is interested or converted."),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "outbound.converted",
        _("Converted"),
        _("Delivered contacts whose outcome is converted."),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "outbound.opted_out",
        _("Opted out"),
        _("Delivered contacts the customer opted out of (now on the do-not-contact list)."),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "outbound.suppressed",
        _("Suppressed"),
        _(
            "Targeted customers not contacted, by reason: do-not-contact list, no marketing "
            "consent, channel not consented, contact-frequency cap (share of targeted). Quiet "
            "hours only delay a contact: see Held back."
        ),
        kpi_defs.BREAKDOWN,
    ),
    RecordKpi(
        "outbound.held_back",
        _("Held back, by reason"),
        _(
            "Customers a campaign held back, counted once per campaign, customer and reason: "
            "quiet hours (a run was due to contact them while the campaign's quiet hours held "
            "it back, counted on the day first held; most are contacted later and then count "
            "as targeted too), do-not-contact list, no marketing consent, channel not consented "
            "and contact-frequency cap (the suppressed contacts, on the day of the run). Day "
            "by day: each day's customers per reason."
        ),
        kpi_defs.COUNT,
    ),
    RecordKpi(
        "outbound.delivery_rate",
        _("Delivery rate"),
        _("Delivered / attempted (contacts still waiting count as not delivered yet)."),
        kpi_defs.RATIO,
    ),
    RecordKpi(
        "outbound.reach_rate",
        _("Reach rate"),
        _("Reached / delivered."),
        kpi_defs.RATIO,
    ),
    RecordKpi(
        "outbound.interest_rate",
        _("Interest rate"),
        _("Interested / delivered."),
        kpi_defs.RATIO,
    ),
    RecordKpi(
        "outbound.conversion_rate",
        _("Conversion rate"),
        _("Converted / delivered."),
        kpi_defs.RATIO,
    ),
    RecordKpi(
        "outbound.opt_out_rate",
        _("Opt-out rate"),
        _("Opted out / delivered."),
        kpi_defs.RATIO,
    ),
    RecordKpi(
        "outbound.conversion_per_channel",
        _("Conversion per channel"),
        _("Per delivery channel (app inbox, WeChat, voice): converted / delivered."),
        kpi_defs.BREAKDOWN,
    ),
)

QUEUE_TREND = "contact_centre.abandon_rate"
CAMPAIGN_TREND = "outbound.conversion_rate"


def record_kpis(page_code: str) -> tuple[RecordKpi, ...]:
    """The KPIs of a record page (KeyError for another page)."""
    return {CONTACT_PAGE: QUEUE_KPIS, OUTBOUND_PAGE: CAMPAIGN_KPIS}[page_code]
