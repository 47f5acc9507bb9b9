from django.urls import path

from devices.api.broadcasts import DeviceBroadcastsView
from devices.api.tickets import (
    BranchQueueView,
    CounterCallNextView,
    TicketCancelView,
    TicketDetailView,
    TicketListView,
    TicketNoShowView,
    TicketRecallView,
    TicketServedView,
)
from devices.api.tokens import DeviceTokenRevokeView
from devices.api.views import WhoAmIView

urlpatterns = [
    path("whoami/", WhoAmIView.as_view(), name="api-whoami"),
    path("tickets/", TicketListView.as_view(), name="api-tickets"),
    path("tickets/<int:ticket_id>/", TicketDetailView.as_view(), name="api-ticket"),
    path("tickets/<int:ticket_id>/cancel/", TicketCancelView.as_view(), name="api-ticket-cancel"),
    path("tickets/<int:ticket_id>/recall/", TicketRecallView.as_view(), name="api-ticket-recall"),
    path("tickets/<int:ticket_id>/served/", TicketServedView.as_view(), name="api-ticket-served"),
    path("tickets/<int:ticket_id>/no-show/", TicketNoShowView.as_view(), name="api-ticket-no-show"),
    path(
        "counters/<int:counter_id>/call-next/",
        CounterCallNextView.as_view(),
        name="api-counter-call-next",
    ),
    path("branches/<slug:branch_code>/queue/", BranchQueueView.as_view(), name="api-branch-queue"),
    path("broadcasts/", DeviceBroadcastsView.as_view(), name="api-broadcasts"),
    path(
        "device-tokens/<str:prefix>/revoke/",
        DeviceTokenRevokeView.as_view(),
        name="api-device-token-revoke",
    ),
]
