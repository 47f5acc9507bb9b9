from django.contrib import admin

from bank_ai.admin_inlines import RecordInline
from scenarios.agentrouting.models import (
    AgentProfile,
    HandlingPeriod,
    PresencePeriod,
    QueueEntry,
    RoutingEvent,
    RoutingQueue,
)


@admin.register(RoutingQueue)
class RoutingQueueAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "rank",
        "sla_seconds",
        "overflow_after_seconds",
        "overflow_to",
        "is_active",
    )
    list_filter = ("is_active",)
    search_fields = ("code", "name")


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "presence", "capacity", "is_supervisor", "presence_changed_at")
    list_filter = ("presence", "is_supervisor", "queues")
    filter_horizontal = ("queues",)
    search_fields = ("user__username",)


class RoutingEventInline(RecordInline):
    model = RoutingEvent
    readonly_fields = ("kind", "queue", "agent", "waited_seconds", "detail", "at")


@admin.register(QueueEntry)
class QueueEntryAdmin(admin.ModelAdmin):
    list_display = (
        "session",
        "queue",
        "state",
        "priority",
        "agent",
        "entered_at",
        "answered_at",
        "sla_breached",
    )
    list_filter = ("state", "queue", "sla_breached")
    readonly_fields = [f.name for f in QueueEntry._meta.fields]
    inlines = [RoutingEventInline]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False  # entries come from takeover requests only


@admin.register(RoutingEvent)
class RoutingEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "queue", "agent", "waited_seconds")
    list_filter = ("kind", "queue")
    readonly_fields = [f.name for f in RoutingEvent._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


class PeriodAdmin(admin.ModelAdmin):
    """Agents' time as recorded for occupancy (the contact-centre page links here)."""

    list_filter = ("agent",)
    date_hierarchy = "started_at"

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(PresencePeriod)
class PresencePeriodAdmin(PeriodAdmin):
    list_display = ("agent", "presence", "started_at", "ended_at")
    list_filter = ("presence", "agent")


@admin.register(HandlingPeriod)
class HandlingPeriodAdmin(PeriodAdmin):
    list_display = ("agent", "entry", "started_at", "ended_at")
    raw_id_fields = ("entry",)
