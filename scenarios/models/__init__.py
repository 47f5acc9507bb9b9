"""Scenario domain: the card catalogue, the bank's customers and (later) dialogue sessions."""

from scenarios.models.applications import (
    ApplicationMilestone,
    ApplicationStatusChange,
    BusinessCalendarDay,
    DisclosureAcknowledgement,
)
from scenarios.models.catalogue import CardBenefit, CardProduct
from scenarios.models.customers import (
    Account,
    CardStatement,
    CardTransaction,
    Customer,
    CustomerCard,
)
from scenarios.models.dialogue import (
    ApplicationDocument,
    CardApplication,
    DialogueSession,
    Flow,
    FlowStep,
    FunnelEvent,
    Turn,
)
from scenarios.models.reminders import CustomerNotification, RepaymentReminder
from scenarios.models.takeover import HandoffKeyword, Takeover, TakeoverAudit

__all__ = [
    "Account",
    "ApplicationDocument",
    "ApplicationMilestone",
    "ApplicationStatusChange",
    "BusinessCalendarDay",
    "CustomerNotification",
    "DisclosureAcknowledgement",
    "RepaymentReminder",
    "CardApplication",
    "DialogueSession",
    "Flow",
    "FlowStep",
    "FunnelEvent",
    "Turn",
    "HandoffKeyword",
    "Takeover",
    "TakeoverAudit",
    "CardBenefit",
    "CardProduct",
    "CardStatement",
    "CardTransaction",
    "Customer",
    "CustomerCard",
]
